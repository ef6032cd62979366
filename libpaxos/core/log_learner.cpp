#include "core/log_learner.hpp"

#include <fmt/format.h>

#include <vector>

#include "wire/batch.hpp"

namespace paxos::core {

using wire::Message;
using wire::Type;

LogLearner::LogLearner(Cluster& cluster, const Timing& timing, uint32_t self, LearnerStart start)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      next_(start.slot),
      known_(start.slot),
      requests_(std::move(start.requests)),
      progress_(cluster),
      durable_(start.slot) {
  if (cluster.service()) submitter_.emplace(cluster, timing, self, start.firstRequest);
  cluster_.membership().adopt(start.membership, start.membershipThrough);
}

void LogLearner::receive(Time now, const Message& m, Outbox& out) {
  switch (m.type) {
    case Type::accepted:
      if (cluster_.membership().ever(m.from, wire::Role::acceptor)) onAccepted(now, m, out);
      return;
    case Type::decided:  // another learner's answer to our CATCHUP
      known_ = std::max(known_, m.instance + 1);
      if (cluster_.roleOf(m.from) == wire::Role::learner) learn(now, m.instance, m.value, out);
      return;
    case Type::heartbeat:  // the leader's decided prefix
      if (cluster_.roleOf(m.from) != wire::Role::proposer) return;
      known_ = std::max(known_, m.instance);
      // A ballot: it leads and hears a majority of acceptors (LogProposer::heartbeat).
      if (submitter_ && !m.ballot.none()) submitter_->heardLeader(now, m.from);
      return;
    case Type::progress: {
      bool fromAcceptor = cluster_.membership().ever(m.from, wire::Role::acceptor);
      // Nobody needs the configurations of the slots the acceptors forgot.
      if (fromAcceptor) cluster_.membership().forget(m.instance);
      if (cluster_.roleOf(m.from) == wire::Role::learner) {
        // Another learner has delivered further: those slots exist (this one may have been cut
        // off while they were decided) and can be fetched.
        known_ = std::max(known_, m.instance);
        progress_.report(m.from, m.instance);
        forget();
      } else if (fromAcceptor && m.instance > next_ && cluster_.service()) {
        // A replica must apply every slot: skipping ahead would lose writes. A snapshot of a
        // peer's, taken at or after the trim point, is the only way on.
        if (behindTrim_ == 0)
          out.note(Level::warn, fmt::format("slots {}..{} are forgotten by the acceptors and "
                                            "were never applied here: a peer's snapshot is "
                                            "needed (the service fetches one)",
                                            next_, m.instance - 1));
        behindTrim_ = std::max(behindTrim_, m.instance);
      } else if (fromAcceptor && m.instance > next_) {
        // Every acceptor forgets a slot only once every learner, this one included, reported it
        // delivered: this learner restarted, and printed those slots before.
        out.note(Level::warn, fmt::format("slots {}..{} were delivered before a restart; "
                                          "continuing from {}",
                                          next_, m.instance - 1, m.instance));
        next_ = m.instance;
        ready_.erase(ready_.begin(), ready_.lower_bound(next_));
        tallies_.erase(tallies_.begin(), tallies_.lower_bound(next_));
        drain(now, out);
      }
      return;
    }
    case Type::request:  // the leader's: resends of values it saw decided
      if (cluster_.roleOf(m.from) != wire::Role::proposer) return;
      {
        std::map<uint64_t, std::string> bySlot;  // one answer per slot
        wire::forEachCommand(m.value, [&](const wire::CommandView& c) {
          if (auto slot = requests_.slotOf(c.client, c.request)) bySlot[*slot].append(c.encoded);
        });
        for (auto& [slot, mine] : bySlot) answer(m.uid, std::move(mine), slot, out);
      }
      return;
    case Type::catchup:
      if (cluster_.roleOf(m.from) != wire::Role::learner) return;
      for (auto it = log_.lower_bound(m.instance);
           it != log_.end() && it->first < m.end && it->first < m.instance + kCatchupSlots; ++it)
        out.send(m.from, wire::msg::decided(it->first, it->second));
      return;
    default:
      return;
  }
}

bool LogLearner::install(Time now, uint64_t slot, RequestLog requests,
                         const std::string& membership, uint64_t through, Outbox& out) {
  if (slot <= next_) return false;
  cluster_.membership().adopt(membership, through);
  out.note(Level::info, fmt::format("installed a snapshot at slot {}: slots {}..{} are in it", slot,
                                    next_, slot - 1));
  next_ = slot;
  known_ = std::max(known_, slot);
  requests_ = std::move(requests);
  tallies_.erase(tallies_.begin(), tallies_.lower_bound(slot));
  ready_.erase(ready_.begin(), ready_.lower_bound(slot));
  log_.erase(log_.begin(), log_.lower_bound(slot));
  if (behindTrim_ <= slot) behindTrim_ = 0;
  askedFrom_.reset();
  askedUpTo_ = 0;
  if (submitter_) submitter_->settle(now, requests_, out);
  drain(now, out);
  return true;
}

void LogLearner::onAccepted(Time now, const Message& m, Outbox& out) {
  known_ = std::max(known_, m.instance + 1);
  if (m.instance < next_ || ready_.contains(m.instance)) return;
  Tally& tally = tallies_[m.instance][m.ballot];
  if (tally.acceptors.empty()) tally.value = m.value;
  if (tally.value != m.value) {
    out.note(Level::error, fmt::format("slot {} ballot {}: acceptor {} reports another value",
                                       m.instance, wire::toString(m.ballot), m.from));
    return;
  }
  tally.acceptors.insert(m.from);
  count(now, m.instance, out);
}

void LogLearner::count(Time now, uint64_t slot, Outbox& out) {
  const Membership& membership = cluster_.membership();
  auto it = tallies_.find(slot);
  if (it == tallies_.end() || slot >= membership.horizon()) return;
  for (auto& [ballot, tally] : it->second)
    if (tally.acceptors.reached(membership.at(slot))) return learn(now, slot, tally.value, out);
}

void LogLearner::learn(Time now, uint64_t slot, std::string value, Outbox& out) {
  if (slot < next_ || ready_.contains(slot)) return;
  if (out.tracing) out.event("commit", slot, {}, wire::describeBatch(value));
  ready_.emplace(slot, std::move(value));
  tallies_.erase(slot);
  drain(now, out);
}

void LogLearner::drain(Time now, Outbox& out) {
  bool delivered = false;
  uint64_t horizon = cluster_.membership().horizon();
  for (auto it = ready_.begin(); it != ready_.end() && it->first == next_; it = ready_.erase(it)) {
    deliver(now, it->first, it->second, out);
    log_.emplace(it->first, std::move(it->second));
    ++next_;
    delivered = true;
  }
  if (!delivered) return;
  // The configurations of more slots are known now: count what waited for them.
  uint64_t known = cluster_.membership().horizon();
  for (auto it = tallies_.lower_bound(horizon); it != tallies_.end() && it->first < known;) {
    uint64_t slot = (it++)->first;
    count(now, slot, out);
    it = tallies_.upper_bound(slot);
  }
  catchupAt_ = now + timing_.catchupDelay;
  // Catching up: the range asked for is in, ask for the next one now rather than after a pause.
  if (next_ >= askedUpTo_ && next_ < known_ && askedUpTo_ != 0) catchup(now, out);
}

void LogLearner::deliver(Time now, uint64_t slot, const std::string& value, Outbox& out) {
  std::vector<wire::Command> changes;  // configuration changes: few and rare
  bool batch = wire::forEachCommand(value, [&](const wire::CommandView& c) {
    if (isChange(c.client)) changes.push_back(c.copy());
  });
  if (!batch) {  // only a broken proposer could have proposed it; all learners skip it alike
    out.note(Level::error, fmt::format("slot {}: malformed batch skipped", slot));
    cluster_.membership().deliver(slot, {});
    return;
  }
  if (auto config = cluster_.membership().deliver(slot, changes))
    out.note(Level::info, fmt::format("slot {}: configuration {} from slot {}", slot,
                                      describe(*config), slot + cluster_.membership().alpha()));
  std::map<uint32_t, std::string> answers;  // client -> its commands in the slot, encoded
  wire::forEachCommand(value, [&](const wire::CommandView& c) {
    if (requests_.contains(c.client, c.request)) {
      // Proposed twice: delivered once, at its first slot, which the client is told again.
      if (auto first = requests_.slotOf(c.client, c.request))
        answer(c.client, std::string(c.encoded), *first, out);
      return;
    }
    requests_.add(c.client, c.request, slot);
    if (out.tracing) out.event("deliver", slot, {}, std::string(c.value));
    if (submitter_) {
      if (c.client == self_ || c.client == changeClient(self_))
        submitter_->delivered(now, c.request, out);
      out.delivered.emplace_back(slot, c.copy());
      return;
    }
    out.output.emplace_back(c.value);
    answers[c.client].append(c.encoded);
  });
  out.debug([&] { return fmt::format("slot {} delivered: {}", slot, wire::describeBatch(value)); });
  for (auto& [client, mine] : answers) answer(client, std::move(mine), slot, out);
}

void LogLearner::answer(uint32_t client, std::string batch, uint64_t slot, Outbox& out) const {
  if (!cluster_.isClient(client)) return;
  out.send(client, wire::msg::decided(slot, std::move(batch)));
}

void LogLearner::catchup(Time now, Outbox& out) {
  uint64_t end = known_;
  if (!ready_.empty()) end = std::min(end, ready_.begin()->first);  // only the gap
  end = std::min(end, next_ + kCatchupSlots);
  catchupAt_ = now + timing_.catchupDelay;
  if (end <= next_) return;
  // Asked before for this very gap and still missing it: no learner has it, and no majority of
  // acceptors reports it under one ballot (a recovery cut short leaves them split over two).
  // The leader runs both phases for it again (LogProposer::onCatchup).
  bool again = askedFrom_ == next_;
  askedFrom_ = next_;
  askedUpTo_ = end;
  out.debug([&] { return fmt::format("missing slots {}..{}: asking", next_, end - 1); });
  Message m = wire::msg::catchup(next_, end);
  for (uint32_t learner : cluster_.learners())
    if (learner != self_) out.send(learner, m);
  for (uint32_t acceptor : cluster_.membership().acceptorsFrom(next_)) out.send(acceptor, m);
  if (again)
    for (uint32_t proposer : cluster_.proposers()) out.send(proposer, m);
}

void LogLearner::forget() {
  log_.erase(log_.begin(), log_.lower_bound(progress_.everywhere()));
}

void LogLearner::report(Outbox& out) {
  uint64_t reported = submitter_ ? durable_ : next_;
  progress_.report(self_, reported);
  forget();  // a lone learner hears no other learner's report: its own counts
  const Membership& membership = cluster_.membership();
  Message m = wire::msg::progress(reported, membership.through(), membership.encode());
  for (uint32_t uid : membership.members())
    if (uid != self_) out.send(uid, m);
}

void LogLearner::tick(Time now, Outbox& out) {
  if (now >= reportAt_) {
    report(out);
    reportAt_ = now + timing_.heartbeat;
  }
  if (now >= catchupAt_) {
    if (next_ < known_) catchup(now, out);
    catchupAt_ = now + timing_.catchupDelay;
  }
  if (submitter_) submitter_->tick(now, out);
}

std::optional<Time> LogLearner::nextWake() const {
  Time wake = std::min(reportAt_, catchupAt_);
  if (submitter_)
    if (auto due = submitter_->nextWake()) wake = std::min(wake, *due);
  return wake;
}

}  // namespace paxos::core
