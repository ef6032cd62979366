#include "core/client.hpp"

#include <fmt/format.h>

namespace paxos::core {

using wire::Message;
using wire::Type;

namespace {
constexpr int kSendsBeforeFailover = 3;
}

Client::Client(const Cluster& cluster, const Timing& timing, uint32_t self, std::string value,
               uint32_t desiredProposer)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      value_(std::move(value)),
      proposerIndex_(desiredProposer % cluster.proposers().size()),
      dones_(timing) {}

void Client::start(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  giveUpAt_ = now + timing_.clientTimeout;
  // START will come from the leader; asking every node as well covers a client that starts
  // after the leader gave up on it, or a leader that died after the election.
  for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
    out.send(uid, wire::make(Type::startQuery));
  retryAt_ = now + timing_.retryMax;
  stamp(out, mark);
}

void Client::receive(Time now, const Message& m, Outbox& out) {
  size_t mark = out.messages.size();
  if (m.hostsHash != cluster_.hostsHash()) {
    if (!warnedHash_)
      out.note(Level::error,
               fmt::format("ignoring uid {}: its hosts file differs from ours", m.from));
    warnedHash_ = true;
    return;
  }
  if (!cluster_.isConsensus(m.from)) return;
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
        out.note(Level::info,
                 fmt::format("START from {} (leader {}); proposing {} to proposer {}", m.from,
                             m.uid, value_, cluster_.proposers()[proposerIndex_]));
        sendRequest(now, out);
      }
      break;
    case Type::decided:
      if (decided_ || m.instance != 0) break;
      decided_ = m.value;
      out.decided = m.value;
      out.event("decide", 0, {}, m.value);
      out.note(Level::info, fmt::format("decided {} (from {})", m.value, m.from));
      finish(now, 0, out);
      break;
    case Type::doneAck:
      dones_.ack(m.from, Type::done);
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

void Client::sendRequest(Time now, Outbox& out) {
  if (sendsToThisProposer_ == kSendsBeforeFailover && cluster_.proposers().size() > 1) {
    sendsToThisProposer_ = 0;
    proposerIndex_ = (proposerIndex_ + 1) % cluster_.proposers().size();
    out.note(Level::info, fmt::format("no answer: failing over to proposer {}",
                                      cluster_.proposers()[proposerIndex_]));
  }
  ++sendsToThisProposer_;
  Message m;
  m.type = Type::request;
  m.uid = self_;
  m.request = 1;
  m.value = value_;
  out.send(cluster_.proposers()[proposerIndex_], std::move(m));
  retryAt_ = now + timing_.requestRetry;
}

void Client::finish(Time now, int exitCode, Outbox& out) {
  phase_ = Phase::finishing;
  exitCode_ = exitCode;
  // Bounded: a dead node never acknowledges, and the rest still exit when idle.
  for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
    dones_.send(now, uid, wire::make(Type::done, self_), out, timing_.doneSends);
}

void Client::tick(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  if (phase_ != Phase::finishing && now >= giveUpAt_) {
    out.note(Level::error, fmt::format("no decision after {} ms; giving up",
                                       timing_.clientTimeout.count() / 1000000));
    finish(now, 1, out);
  } else if (phase_ == Phase::waitingStart && now >= retryAt_) {
    for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
      out.send(uid, wire::make(Type::startQuery));
    retryAt_ = now + timing_.retryMax;
  } else if (phase_ == Phase::requesting && now >= retryAt_) {
    sendRequest(now, out);
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
  return std::min(retryAt_, giveUpAt_);
}

void Client::stamp(Outbox& out, size_t from) const {
  for (size_t i = from; i < out.messages.size(); ++i) {
    out.messages[i].message.from = self_;
    out.messages[i].message.hostsHash = cluster_.hostsHash();
  }
}

}  // namespace paxos::core
