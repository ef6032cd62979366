#include "core/client.hpp"

#include <fmt/format.h>

#include "wire/batch.hpp"
#include "wire/codec.hpp"

namespace paxos::core {

using wire::Message;
using wire::Type;

namespace {
constexpr int kSendsBeforeFailover = 3;  // resend periods without an answer
}

Client::Client(const Cluster& cluster, const Timing& timing, uint32_t self,
               std::vector<std::string> values, uint32_t desiredProposer)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      proposerIndex_(desiredProposer % cluster.proposers().size()),
      dones_(timing) {
  for (auto& value : values) values_.push_back({std::move(value), {}, {}, {}});
  inputEnded_ = true;
}

Client::Client(const Cluster& cluster, const Timing& timing, uint32_t self,
               uint32_t desiredProposer)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      proposerIndex_(desiredProposer % cluster.proposers().size()),
      dones_(timing) {}

void Client::start(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  lastProgress_ = now;
  // START will come from the leader; asking every node as well covers a client that starts
  // after the leader gave up on it, or a leader that died after the election.
  for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
    out.send(uid, wire::make(Type::startQuery));
  retryAt_ = now + timing_.retryMax;
  if (complete()) finish(now, 0, out);  // an empty stream is answered already
  stamp(out, mark);
}

void Client::receive(Time now, const Message& m, Outbox& out) {
  size_t mark = out.messages.size();
  if (m.hostsHash != cluster_.hostsHash()) {
    ++out.refused;
    if (!warnedHash_)
      out.note(Level::error,
               fmt::format("ignoring uid {}: its hosts file differs from ours", m.from));
    warnedHash_ = true;
    return;
  }
  if (!cluster_.isConsensus(m.from)) {
    ++out.refused;
    return;
  }
  switch (m.type) {
    case Type::start:
      out.send(m.from, wire::make(Type::startAck));
      if (m.roles != cluster_.roles()) {
        out.note(Level::error,
                 fmt::format("START from {} assigns other roles than our hosts file", m.from));
        out.exitCode = 2;
        exited_ = true;
      } else if (phase_ == Phase::waitingStart) {
        phase_ = Phase::requesting;
        askedSince_ = now;
        paceStart_ = now;
        out.note(Level::info,
                 fmt::format("START from {} (leader {}); proposing {} value{}{} to proposer {}",
                             m.from, m.uid, added(), added() == 1 ? "" : "s",
                             inputEnded_ ? "" : " so far, and those that follow",
                             cluster_.proposers()[proposerIndex_]));
        sendNew(now, out);
      }
      break;
    case Type::decided:
      if (phase_ != Phase::finishing) onDecided(now, m, out);
      break;
    case Type::doneAck:
      dones_.ack(now, m.from, Type::done);
      if (phase_ == Phase::finishing && dones_.empty()) {
        out.exitCode = exitCode_;
        exited_ = true;
      }
      break;
    default:
      break;
  }
  stamp(out, mark);
}

void Client::onDecided(Time now, const Message& m, Outbox& out) {
  if (!cluster_.multi()) {
    if (m.instance != 0 || decided_) return;
    decided_ = m.value;
    out.decided = m.value;
    out.event("decide", 0, {}, m.value);
    out.note(Level::info, fmt::format("decided {} (from {})", m.value, m.from));
    return finish(now, 0, out);
  }
  wire::forEachCommand(m.value, [&](const wire::CommandView& c) {
    size_t index = c.request - 1;
    if (c.client != self_ || c.request == 0 || index < firstOpen_ || index >= nextToSend_ ||
        at(index).slot)
      return;
    Entry& entry = at(index);
    if (c.value != entry.value) {
      out.note(Level::error,
               fmt::format("slot {} holds request {} with another value", m.instance, c.request));
      return;
    }
    entry.slot = m.instance;
    logEnd_ = std::max(logEnd_, m.instance + 1);
    // Under load an answer takes longer than requestRetry: resending then only adds load. Only
    // a value sent once tells how long answers take (Karn's rule): one that was resent may be
    // answered for either send, and after a fail-over it took seconds, which would stretch the
    // resend period just when resends are needed.
    --open_;
    Duration took = now - entry.firstSent;
    if (entry.lastSent == entry.firstSent)
      answerTime_ = answerTime_.count() == 0 ? took : (7 * answerTime_ + took) / 8;
    if (rate_ > 0) took = now - dueAt(index);
    ++answered_;
    lastProgress_ = now;
    askedSince_ = now;
    out.output.push_back(
        latency_ ? fmt::format("decided {} {} {}", m.instance, c.value, took.count() / 1000)
                 : fmt::format("decided {} {}", m.instance, c.value));
    if (out.tracing) out.event("deliver", m.instance, {}, std::string(c.value));
  });
  // Answered in order: forgotten, so that a long stream takes no memory.
  while (firstOpen_ < added() && at(firstOpen_).slot) ++firstOpen_;
  while (base_ < firstOpen_) {
    values_.pop_front();
    ++base_;
  }
  if (complete()) {
    out.note(Level::info, fmt::format("all {} values decided", added()));
    return finish(now, 0, out);
  }
  if (phase_ == Phase::requesting) sendNew(now, out);
}

void Client::add(Time now, std::vector<std::string> values, Outbox& out) {
  if (!cluster_.multi() || inputEnded_ || phase_ == Phase::finishing || values.empty()) return;
  size_t mark = out.messages.size();
  // The timeout counts time without progress while something is outstanding: an idle stream
  // that gets a value starts the count afresh.
  if (!outstanding()) lastProgress_ = now;
  for (auto& value : values) values_.push_back({std::move(value), {}, {}, {}});
  if (phase_ == Phase::requesting) sendNew(now, out);
  stamp(out, mark);
}

void Client::endOfInput(Time now, Outbox& out) {
  if (inputEnded_) return;
  inputEnded_ = true;
  size_t mark = out.messages.size();
  if (phase_ != Phase::finishing && complete()) {
    out.note(Level::info, fmt::format("input ended; all {} values decided", added()));
    finish(now, 0, out);
  }
  stamp(out, mark);
}

void Client::sendNew(Time now, Outbox& out) {
  // The window is a span of request ids, not a count: learners remember recent ids per client
  // (LogLearner), and a span bounds how far back a resent id can be.
  size_t window = cluster_.multi() ? size_t(timing_.window) : 1;
  if (nextToSend_ == added() || nextToSend_ >= firstOpen_ + window || !due(nextToSend_, now))
    return;
  if (open_ == 0) {
    oldestSent_ = now;
    // Nothing was open (a stream that had run dry): the proposer has not been failing us.
    askedSince_ = now;
  }
  std::vector<size_t> fresh;
  lastPaced_ = now;
  while (nextToSend_ < added() && nextToSend_ < firstOpen_ + window && due(nextToSend_, now)) {
    at(nextToSend_).firstSent = at(nextToSend_).lastSent = now;
    ++open_;
    // The trace's validity check needs every value a client proposed (docs/TRACE.md).
    if (cluster_.multi() && out.tracing)
      out.event("propose", std::nullopt, {}, at(nextToSend_).value);
    fresh.push_back(nextToSend_++);
  }
  send(fresh, out);
}

void Client::send(const std::vector<size_t>& indices, Outbox& out) const {
  uint32_t proposer = cluster_.proposers()[proposerIndex_];
  if (!cluster_.multi()) {
    for (size_t index : indices)
      out.send(proposer, wire::msg::request(self_, index + 1, at(index).value));
    return;
  }
  // Multi mode: one REQUEST carries a batch of commands, so a datagram carries many values.
  wire::BatchWriter batches(
      std::min(timing_.batchBytes, wire::kMaxValue), [&](uint64_t first, std::string batch) {
        out.send(proposer, wire::msg::request(self_, first, std::move(batch)));
      });
  for (size_t index : indices) batches.add(self_, index + 1, at(index).value);
  batches.finish();
}

void Client::resend(Time now, Outbox& out) {
  // A proposer that has answered nothing for three resend periods looks dead: try the next.
  if (now - askedSince_ >= kSendsBeforeFailover * retryPeriod() &&
      cluster_.proposers().size() > 1) {
    askedSince_ = now;
    proposerIndex_ = (proposerIndex_ + 1) % cluster_.proposers().size();
    out.note(Level::info, fmt::format("no answer: failing over to proposer {}",
                                      cluster_.proposers()[proposerIndex_]));
  }
  std::vector<size_t> again;
  oldestSent_ = now;
  for (size_t index = firstOpen_; index < nextToSend_; ++index) {
    Entry& entry = at(index);
    if (entry.slot) continue;
    if (now - entry.lastSent >= retryPeriod()) {
      entry.lastSent = now;
      again.push_back(index);
    }
    oldestSent_ = std::min(oldestSent_, entry.lastSent);
  }
  send(again, out);
}

Duration Client::retryPeriod() const {
  return std::max<Duration>(timing_.requestRetry, 2 * answerTime_);
}

Time Client::retryAt() const {
  return open_ == 0 ? Time::max() : oldestSent_ + retryPeriod();
}

void Client::finish(Time now, int exitCode, Outbox& out) {
  phase_ = Phase::finishing;
  exitCode_ = exitCode;
  // Multi mode: DONE says how far the log must reach for this client, so that learners do not
  // exit before delivering it.
  Message done = wire::make(Type::done, self_);
  done.instance = logEnd_;
  // Bounded: a dead node never acknowledges, and the rest still exit when idle.
  for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
    dones_.send(now, uid, done, out, timing_.doneSends);
}

void Client::tick(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  if (phase_ != Phase::finishing && outstanding() && now >= lastProgress_ + timing_.clientTimeout) {
    out.note(Level::error,
             fmt::format("no decision for {} ms; giving up with {} of {} values decided",
                         timing_.clientTimeout.count() / 1000000, answered_, added()));
    finish(now, 1, out);
  } else if (phase_ == Phase::waitingStart && now >= retryAt_) {
    for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
      out.send(uid, wire::make(Type::startQuery));
    retryAt_ = now + timing_.retryMax;
  } else if (phase_ == Phase::requesting) {
    if (now >= retryAt()) resend(now, out);
    if (rate_ > 0) sendNew(now, out);  // paced: the values that have come due
  } else if (phase_ == Phase::finishing) {
    dones_.tick(now, out);
    if (dones_.empty()) {
      out.exitCode = exitCode_;
      exited_ = true;
    }
  }
  stamp(out, mark);
}

std::optional<Time> Client::nextWake() const {
  if (exited_) return std::nullopt;
  if (phase_ == Phase::finishing) return dones_.nextWake();
  std::optional<Time> wake;
  if (phase_ == Phase::waitingStart)
    wake = retryAt_;
  else if (open_ != 0)
    wake = retryAt();
  size_t window = cluster_.multi() ? size_t(timing_.window) : 1;
  // Paced: woken when the next value is due, but not more often than every kPaceTick: at high
  // rates a wake-up per value would cost the clients more CPU than the cluster spends on it.
  // The values sent late by it count that delay (their latency starts when they were due).
  if (phase_ == Phase::requesting && rate_ > 0 && nextToSend_ < added() &&
      nextToSend_ < firstOpen_ + window)
    wake = earliest(wake, std::max(dueAt(nextToSend_), lastPaced_ + kPaceTick));
  // A stream waiting for input with every value answered has no deadline.
  if (outstanding()) wake = earliest(wake, lastProgress_ + timing_.clientTimeout);
  return wake;
}

void Client::stamp(Outbox& out, size_t from) const {
  for (size_t i = from; i < out.messages.size(); ++i) {
    out.messages[i].message.from = self_;
    out.messages[i].message.hostsHash = cluster_.hostsHash();
  }
}

}  // namespace paxos::core
