#include "sim/log_checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "kv/command.hpp"
#include "wire/batch.hpp"

namespace paxos::sim {

using wire::Type;

std::string describeKv(std::string_view bytes) {
  auto c = kv::decode(bytes);
  if (!c) return "(not a kv command)";
  switch (c->op) {
    case kv::Op::put:
      return fmt::format("put {}={}", c->key, c->value);
    case kv::Op::get:
      return fmt::format("get {} ({})", c->key, c->requestId);
    default:
      return fmt::format("{} {}", kv::opName(c->op), c->key);
  }
}

LogChecker::LogChecker(const core::Cluster& cluster,
                       const std::vector<std::vector<std::string>>& streams, bool trace)
    : cluster_(cluster),
      truth_(cluster.membership()),
      service_(cluster.service()),
      tracing_(trace) {
  for (size_t i = 0; i < streams.size() && i < cluster.clients().size(); ++i) {
    uint32_t client = cluster.clients()[i];
    streams_[client] = streams[i];
    for (size_t j = 0; j < streams[i].size(); ++j)
      if (!submitted_.emplace(streams[i][j], Submitted{client, j + 1}).second)
        throw std::invalid_argument("multi-mode values must be unique: " + streams[i][j]);
  }
}

void LogChecker::fail(std::string what) {
  if (!violation_) violation_ = std::move(what);
}

bool LogChecker::valid(const std::string& value, uint32_t client, uint64_t request) const {
  auto it = submitted_.find(value);
  return it != submitted_.end() && it->second.client == client && it->second.request == request;
}

void LogChecker::learnerStarted(uint32_t uid, uint64_t slot) {
  incarnations_[uid] = Incarnation{};
  if (slot == 0) return;
  skipTo(incarnations_[uid], slot);
  if (tracing_) deliveries_.push_back(fmt::format("n{} START at slot {} (snapshot)", uid, slot));
}

void LogChecker::submitted(uint32_t client, uint64_t request, const std::string& value) {
  if (!submitted_.emplace(value, Submitted{client, request}).second)
    fail(fmt::format("n{} submitted request {} with a value already submitted", client, request));
}

void LogChecker::learnerSkipped(uint32_t uid, uint64_t slot) {
  skipTo(incarnations_[uid], slot);
  if (tracing_) deliveries_.push_back(fmt::format("n{} SKIP to slot {}", uid, slot));
}

void LogChecker::skipTo(Incarnation& inc, uint64_t slot) {
  // Every slot below `slot` was delivered by every learner, so the global sequence has them all:
  // this incarnation goes on with the first value of a later slot.
  size_t at = 0;
  while (at < log_.size() && log_[at].slot < slot) ++at;
  inc.cursor = std::max(inc.cursor, at);
  inc.lastSlot = std::max(inc.lastSlot, slot);
  inc.skippedTo = std::max(inc.skippedTo, slot);
}

void LogChecker::learnerStep(uint32_t uid, const core::Outbox& out, uint64_t endBefore,
                             uint64_t endAfter) {
  // A catch-up answer to another learner carries a slot's whole batch: it must be the chosen one.
  for (const auto& [to, m] : out.messages) {
    if (m.type != Type::decided || cluster_.roleOf(to) != wire::Role::learner) continue;
    auto chosen = chosen_.find(m.instance);
    if (chosen == chosen_.end() || chosen->second.batch != m.value)
      fail(
          fmt::format("agreement: n{} told learner n{} that slot {} holds {}, which no majority "
                      "of acceptors accepted there",
                      uid, to, m.instance, wire::describeBatch(m.value)));
  }
  // The learner's "deliver" events name the slot of each value it output, in the same order.
  // In service mode it hands over each command with its slot instead (Outbox::delivered).
  std::vector<std::pair<uint64_t, std::string>> delivered;
  std::vector<std::string> output;
  if (service_) {
    if (!out.output.empty()) fail(fmt::format("service learner n{} printed output", uid));
    for (const auto& [slot, c] : out.delivered) {
      delivered.emplace_back(slot, c.value);
      output.push_back(c.value);
      if (!valid(c.value, c.client, c.request))
        fail(
            fmt::format("validity: learner n{} delivered c{}#{} at slot {}, which that learner "
                        "never submitted",
                        uid, c.client, c.request, slot));
    }
  } else {
    for (const auto& e : out.events)
      if (e.kind == "deliver" && e.instance && e.value)
        delivered.emplace_back(*e.instance, *e.value);
    output = out.output;
  }
  if (delivered.size() != output.size())
    fail(fmt::format("learner n{} output {} values but reported {} deliveries", uid, output.size(),
                     delivered.size()));

  Incarnation& inc = incarnations_[uid];
  auto show = [this](const std::string& v) { return service_ ? describeKv(v) : v; };
  for (size_t k = 0; k < output.size() && k < delivered.size(); ++k) {
    const std::string& value = output[k];
    uint64_t slot = delivered[k].first;
    if (delivered[k].second != value)
      fail(fmt::format("learner n{} output {} but reported delivering {}", uid, show(value),
                       delivered[k].second));
    if (tracing_)
      deliveries_.push_back(
          fmt::format("n{} DELIVER slot {} {}", uid, slot, service_ ? describeKv(value) : value));
    if (!submitted_.contains(value)) {
      fail(fmt::format("validity: learner n{} delivered '{}', which no client submitted", uid,
                       value));
      continue;
    }
    if (slot < endBefore || slot >= endAfter)
      fail(fmt::format("learner n{} delivered {} at slot {}, but its log went from {} to {}", uid,
                       value, slot, endBefore, endAfter));
    if (!inc.seen.insert(value).second)
      fail(fmt::format("integrity: learner n{} delivered {} twice", uid, show(value)));
    if (slot < inc.lastSlot)
      fail(fmt::format("order: learner n{} delivered {} at slot {} after slot {}", uid, show(value),
                       slot, inc.lastSlot));
    inc.lastSlot = slot;
    everDelivered_[uid].insert(value);
    auto chosen = chosen_.find(slot);
    if (chosen == chosen_.end() || !chosen->second.values.contains(value))
      fail(fmt::format(
          "agreement: learner n{} delivered {} at slot {}, but a majority of "
          "acceptors accepted {} there",
          uid, show(value), slot,
          chosen == chosen_.end() ? "nothing" : wire::describeBatch(chosen->second.batch)));
    auto [first, fresh] = slotOf_.emplace(value, slot);
    // In service mode the snapshot's table remembers it: no exception there.
    if (!fresh && !service_ && first->second < inc.skippedTo && slot >= inc.skippedTo) {
      // The tolerated repeat: the log holds the value below the skip too. No learner that
      // remembers delivers it here, so the global sequence does not have it.
      ++repeats_;
      repeatedAt_[value].insert(slot);
      continue;
    }
    if (first->second != slot)
      fail(fmt::format("agreement: learner n{} delivered {} at slot {}, another learner at slot {}",
                       uid, show(value), slot, first->second));
    if (inc.cursor < log_.size()) {
      const Entry& expected = log_[inc.cursor];
      if (expected.value != value)
        fail(
            fmt::format("total order: learner n{} delivered {} (slot {}) as value {} of the log, "
                        "where another learner delivered {} (slot {})",
                        uid, show(value), slot, inc.cursor, show(expected.value), expected.slot));
    } else {
      if (!log_.empty() && log_.back().slot > slot)
        fail(fmt::format("total order: learner n{} delivered {} at slot {} after slot {}", uid,
                         value, slot, log_.back().slot));
      log_.push_back({value, slot});
    }
    ++inc.cursor;
  }

  // Every answer to a client names the slot its value was delivered at (a repeat names the first
  // one), and only that client's own commands.
  for (const auto& [to, m] : out.messages) {
    if (m.type != Type::decided || !cluster_.isClient(to)) continue;
    auto commands = wire::decodeBatch(m.value);
    if (!commands) fail(fmt::format("n{} answered n{} with a malformed batch", uid, to));
    for (const auto& c : commands.value_or(std::vector<wire::Command>{})) {
      if (!valid(c.value, c.client, c.request) || c.client != to)
        fail(
            fmt::format("validity: n{} told n{} that slot {} decided c{}#{} '{}', which that "
                        "client never submitted",
                        uid, to, m.instance, c.client, c.request, c.value));
      auto at = slotOf_.find(c.value);
      if (!deliveredAt(c.value, m.instance))
        fail(fmt::format("learner n{} told client n{} that slot {} decided {}, delivered at {}",
                         uid, to, m.instance, c.value,
                         at == slotOf_.end() ? "no slot" : std::to_string(at->second)));
    }
  }
}

void LogChecker::acceptorStep(uint32_t uid, const core::Outbox& out) {
  if (out.persistPromisedAll) {
    wire::Ballot& all = promisedAll_[uid];
    if (*out.persistPromisedAll < all)
      fail(fmt::format("acceptor n{} lowered its promise for every slot from {} to {}", uid,
                       wire::toString(all), wire::toString(*out.persistPromisedAll)));
    all = std::max(all, *out.persistPromisedAll);
  }
  for (const auto& [slot, state] : out.persist) {
    wire::Ballot& promised = promised_[{uid, slot}];
    if (state.promised < promised)
      fail(fmt::format("acceptor n{} lowered its promise for slot {} from {} to {}", uid, slot,
                       wire::toString(promised), wire::toString(state.promised)));
    promised = std::max(promised, state.promised);
    if (state.acceptedBallot.none()) continue;
    Acceptance& a = accepted_[{slot, state.acceptedBallot}];
    if (a.acceptors.empty()) a.value = state.acceptedValue;
    if (a.value != state.acceptedValue)
      fail(fmt::format("slot {} ballot {}: acceptor n{} accepted {}, another acceptor {}", slot,
                       wire::toString(state.acceptedBallot), uid,
                       wire::describeBatch(state.acceptedValue), wire::describeBatch(a.value)));
    a.acceptors.insert(uid);
    count(slot, state.acceptedBallot, a);
  }
  advance();
}

void LogChecker::count(uint64_t slot, wire::Ballot ballot, const Acceptance& a) {
  if (slot >= truth_.horizon()) return;  // its configuration is not known yet: advance()
  const core::Configuration& config = truth_.at(slot);
  size_t in = 0;
  for (uint32_t uid : a.acceptors) in += config.roleOf(uid) == wire::Role::acceptor;
  if (in >= config.quorum()) choose(slot, ballot, a.value);
}

void LogChecker::advance() {
  for (auto it = chosen_.find(truth_.through()); it != chosen_.end();
       it = chosen_.find(truth_.through())) {
    uint64_t known = truth_.horizon();
    truth_.deliver(it->first,
                   wire::decodeBatch(it->second.batch).value_or(std::vector<wire::Command>{}));
    for (auto a = accepted_.lower_bound({known, wire::Ballot{}});
         a != accepted_.end() && a->first.first < truth_.horizon(); ++a)
      count(a->first.first, a->first.second, a->second);
  }
}

void LogChecker::choose(uint64_t slot, wire::Ballot ballot, const std::string& batch) {
  auto [it, fresh] = chosen_.try_emplace(slot);
  if (!fresh) {
    if (it->second.batch != batch)
      fail(fmt::format("agreement: slot {} chose {} at ballot {} and {} at ballot {}", slot,
                       wire::describeBatch(it->second.batch), wire::toString(it->second.ballot),
                       wire::describeBatch(batch), wire::toString(ballot)));
    return;
  }
  it->second.ballot = ballot;
  it->second.batch = batch;
  auto commands = wire::decodeBatch(batch);
  if (!commands) return fail(fmt::format("validity: slot {} chose a malformed batch", slot));
  for (const auto& c : *commands) {
    if (!valid(c.value, c.client, c.request))
      fail(fmt::format("validity: slot {} chose c{}#{} '{}', which that client never submitted",
                       slot, c.client, c.request, c.value));
    it->second.values.insert(c.value);
  }
}

void LogChecker::clientStep(uint32_t uid, const core::Outbox& out) {
  for (const auto& line : out.output) {
    std::istringstream in(line);
    std::string word, value;
    uint64_t slot = 0;
    if (!(in >> word >> slot >> value) || word != "decided") {
      fail(fmt::format("client n{} printed '{}'", uid, line));
      continue;
    }
    auto submitted = submitted_.find(value);
    if (submitted == submitted_.end() || submitted->second.client != uid)
      fail(fmt::format("validity: client n{} printed {}, which it never submitted", uid, value));
    if (!answered_.emplace(value, slot).second)
      fail(fmt::format("client n{} printed {} twice", uid, value));
    auto at = slotOf_.find(value);
    if (!deliveredAt(value, slot))
      fail(fmt::format("client n{} printed {} at slot {}; the learners delivered it at {}", uid,
                       value, slot, at == slotOf_.end() ? "no slot" : std::to_string(at->second)));
  }
}

bool LogChecker::deliveredAt(const std::string& value, uint64_t slot) const {
  auto first = slotOf_.find(value);
  if (first != slotOf_.end() && first->second == slot) return true;
  auto repeated = repeatedAt_.find(value);
  return repeated != repeatedAt_.end() && repeated->second.contains(slot);
}

uint64_t LogChecker::duplicates() const {
  std::map<std::string, int> copies;
  for (const auto& [slot, chosen] : chosen_)
    for (const auto& value : chosen.values) ++copies[value];
  uint64_t extra = 0;
  for (const auto& [value, n] : copies) extra += n - 1;
  return extra;
}

bool LogChecker::complete() const {
  if (answered_.size() < submitted_.size()) return false;
  for (uint32_t learner : cluster_.learners()) {
    auto it = everDelivered_.find(learner);
    if (it == everDelivered_.end() || it->second.size() < submitted_.size()) return false;
  }
  return true;
}

std::string LogChecker::progress() const {
  std::string text = fmt::format("clients {} of {} values", answered_.size(), submitted_.size());
  for (uint32_t learner : cluster_.learners()) {
    auto it = everDelivered_.find(learner);
    text += fmt::format("; n{} {} of {}", learner,
                        it == everDelivered_.end() ? 0 : it->second.size(), submitted_.size());
  }
  return text;
}

std::vector<std::optional<uint64_t>> LogChecker::clientSlots(uint32_t uid) const {
  std::vector<std::optional<uint64_t>> slots;
  auto stream = streams_.find(uid);
  if (stream == streams_.end()) return slots;
  for (const auto& value : stream->second) {
    auto it = answered_.find(value);
    slots.push_back(it == answered_.end() ? std::nullopt : std::optional(it->second));
  }
  return slots;
}

}  // namespace paxos::sim
