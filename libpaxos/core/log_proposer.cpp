#include "core/log_proposer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace paxos::core {

using wire::Message;
using wire::Type;

LogProposer::LogProposer(Cluster& cluster, const Timing& timing, uint32_t self,
                         std::mt19937_64& rng, uint64_t recoveredRound)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      rng_(rng),
      ballot_{recoveredRound, self},
      highestRoundSeen_(recoveredRound),
      leadership_(cluster, timing, self),
      progress_(cluster) {}

void LogProposer::start(Time now, Outbox& out) {
  now_ = now;
  leadership_.start(now);
  heartbeatAt_ = now;
  tick(now, out);
}

void LogProposer::follow(Time now, Outbox& out) {
  uint32_t lead = leadership_.leader(now_, commit_);
  if (lead == self_ && state_ == State::following) {
    bool highest = self_ == cluster_.proposers().back();
    out.note(Level::info, highest
                              ? std::string("the highest proposer: taking the lead")
                              : fmt::format("no proposer above me heard for {} ms: taking the lead",
                                            timing_.leaderTimeout.count() / 1000000));
    prepare(now, out);
  } else if (lead != self_ && state_ != State::following) {
    stepDown(out, fmt::format("proposer {} is alive and outranks me", lead));
  }
  if (state_ == State::leading) fill(now, out);
}

void LogProposer::prepare(Time now, Outbox& out) {
  ballot_ = {std::max(ballot_.round, highestRoundSeen_) + 1, self_};
  highestRoundSeen_ = ballot_.round;
  out.persistRound = ballot_.round;
  state_ = State::preparing;
  promisedAll_.clear();
  promisedEnd_ = 0;
  recoverEnd_ = 0;
  proposed_.clear();
  prepareSentAt_ = now;
  out.note(Level::info, fmt::format("ballot {}: phase 1 for every slot from {}",
                                    wire::toString(ballot_), commit_));
  sendPrepareAll(now, out);
}

void LogProposer::sendPrepareAll(Time now, Outbox& out) {
  Message m = wire::msg::prepareAll(commit_, ballot_);
  // Phase 1 with a majority of each configuration of the slots it will run (MEMBERSHIP.md).
  for (uint32_t acceptor : cluster_.membership().acceptorsFrom(commit_))
    if (!promisedAll_.contains(acceptor)) out.send(acceptor, m);
  wakeAt_ = now + rtt_.timeout(timing_.phaseRetry);
}

void LogProposer::arm(Slot& s, Time now) {
  s.sentAt = now;
  s.resendAt = now + rtt_.timeout(timing_.phaseRetry);
}

void LogProposer::receive(Time now, const Message& m, Outbox& out) {
  now_ = now;
  leadership_.heard(now, m);
  wire::Role role = cluster_.roleOf(m.from);
  if (cluster_.membership().ever(m.from, wire::Role::acceptor)) role = wire::Role::acceptor;
  if (role == wire::Role::proposer) highestRoundSeen_ = std::max(highestRoundSeen_, m.ballot.round);
  switch (m.type) {
    case Type::request:
      onRequest(m, out);
      break;
    case Type::catchup:
      onCatchup(now, m, out);
      break;
    case Type::heartbeat:
      // The leader's decided prefix: where this proposer starts if it ever takes over. An
      // acceptor's answer says where its log starts, as its PROGRESS does.
      if (role == wire::Role::acceptor)
        forgotten(m.instance);
      else if (!m.ballot.none())
        decidedBelow(m.instance);
      break;
    case Type::progress:
      // From a learner: delivered below that slot, so decided. From an acceptor: forgotten.
      if (role == wire::Role::acceptor) {
        forgotten(m.instance);
      } else if (role == wire::Role::learner) {
        progress_.report(m.from, m.instance);
        decidedBelow(m.instance);
      }
      break;
    case Type::promiseAll:
      onPromiseAll(now, m, out);
      break;
    case Type::promise:
      onPromise(now, m, out);
      break;
    case Type::accepted:
      onAccepted(now, m, out);
      break;
    case Type::nack:
      onNack(now, m, out);
      break;
    default:
      break;
  }
  follow(now, out);
}

void LogProposer::onRequest(const Message& m, Outbox& out) {
  if (!cluster_.submits(m.uid)) return;
  uint32_t lead = leadership_.leader(now_, commit_);
  if (lead != self_) {
    out.send(lead, m);  // a forward keeps the client's uid, and its commands
    return;
  }
  // A client's REQUEST carries a batch of its own commands.
  std::string refer;
  uint64_t firstReferred = 0;
  bool batch = wire::forEachCommand(m.value, [&](const wire::CommandView& c) {
    bool change = isChange(c.client) && c.client == changeClient(m.uid) && cluster_.service();
    if (c.client != m.uid && !change) {
      ++out.refused;  // a learner's configuration change is the only command of another client
      return;
    }
    Key key{c.client, c.request};
    if (queued_.contains(key)) return;  // a resend of a value already on its way
    if (decided_.contains(c.client, c.request) && referred_.insert(key).second) {
      // Decided already: its answer was lost. The learners know where they delivered it. If the
      // client asks again (a learner that restarted has forgotten it), it is proposed again: the
      // learners deliver only its first copy.
      if (referred_.size() > RequestLog::kRemembered) referred_.erase(referred_.begin());
      if (refer.empty()) firstReferred = c.request;
      refer.append(c.encoded);
      return;
    }
    queued_.insert(key);
    enqueue(key, c.encoded);
  });
  if (!batch) ++out.refused;
  if (refer.empty()) return;
  Message r = wire::msg::request(m.uid, firstReferred, std::move(refer));
  for (uint32_t learner : cluster_.learners()) out.send(learner, r);
}

void LogProposer::enqueue(Key key, std::string_view encoded) {
  queue_.push_back({key, encoded.size()});
  pending_.append(encoded);
}

// A learner that asked twice for slots it lacks and got nothing: no learner has them, and the
// acceptors' acceptances there may be split over ballots (a leader's recovery cut short by a
// crash, a NACK, or by hearing the slot was decided), so no majority reports one ballot. Running
// the slot again at our ballot leaves a majority under one ballot, whose ACCEPTEDs the learners
// learn from. Where this ballot proposed a value already, only phase 2 runs again, with that
// value: P2 allows a ballot one value per slot, and phase 1 run twice under one ballot could count
// a PROMISE sent before our ACCEPT (delayed, duplicated) and pick another. Elsewhere no acceptor
// holds anything under our ballot, so old and new PROMISEs tell the same, and phase 1 is safe
// (P2c then makes us propose the chosen value).
void LogProposer::onCatchup(Time now, const Message& m, Outbox& out) {
  if (state_ != State::leading || cluster_.roleOf(m.from) != wire::Role::learner) return;
  // Slots from commit_ on are in flight or decided by us already, under our ballot. Slots an
  // acceptor forgot need nothing (the acceptors tell the learner to skip them): proposed_ has
  // forgotten their values, so phase 1 there could be the second under this ballot. (The
  // learners' own reports are no such sign: a learner that restarts forgets what it delivered.)
  uint64_t end = std::min(
      {m.end, commit_, m.instance + uint64_t(timing_.pipeline), cluster_.membership().horizon()});
  for (uint64_t slot = std::max(m.instance, forgottenBelow_); slot < end; ++slot) {
    if (inFlight_.contains(slot)) continue;
    Slot& s = inFlight_[slot];
    s.again = true;
    arm(s, now);
    if (auto p = proposed_.find(slot); p != proposed_.end())
      s.value = p->second;
    else
      s.recovering = true;
    sendPhase(slot, s, out);
  }
}

void LogProposer::onPromiseAll(Time now, const Message& m, Outbox& out) {
  bool open = state_ == State::preparing || state_ == State::leading;
  if (!open || m.ballot != ballot_ || !cluster_.membership().ever(m.from, wire::Role::acceptor))
    return;
  if (!promisedAll_.insert(m.from)) return;
  rtt_.sample(now - prepareSentAt_);
  // Below where its log starts, every learner has delivered (the acceptor forgot those slots).
  // Up to the largest end reported, some acceptor of the quorum accepted something: those slots
  // need phase 1 of their own. Above it, nobody in the quorum accepted anything, and having
  // promised, nobody will accept a lower ballot there: every such slot is free.
  decidedBelow(m.instance);
  promisedEnd_ = std::max(promisedEnd_, m.end);
  // Leading already: an acceptor of a configuration still to come (fill waits for a majority of
  // it), or a late one. The slots it reports accepted from next_ on need phase 1 of their own.
  recoverEnd_ = std::max(recoverEnd_, promisedEnd_);
  lead(now, out);
}

void LogProposer::lead(Time now, Outbox& out) {
  if (state_ != State::preparing || !promisedAll_.reached(cluster_.membership().at(commit_)))
    return;
  uint64_t end = std::max(commit_, promisedEnd_);
  state_ = State::leading;
  nacks_ = 0;
  next_ = commit_;
  recoverEnd_ = end;
  out.event("elect", std::nullopt, ballot_, "lead");
  out.note(Level::info, fmt::format("leading with ballot {}: slots below {} decided, up to {} to "
                                    "recover, new values from slot {}",
                                    wire::toString(ballot_), commit_, end - commit_, end));
  fill(now, out);
}

void LogProposer::onPromise(Time now, const Message& m, Outbox& out) {
  auto it = inFlight_.find(m.instance);
  if (state_ != State::leading || m.ballot != ballot_ || it == inFlight_.end()) return;
  Slot& s = it->second;
  const Configuration& config = cluster_.membership().at(m.instance);
  if (!s.recovering || !s.promises.add(config, m.from, m.accepted, m.value)) return;
  rtt_.sample(now - s.sentAt);
  if (!s.promises.from.reached(config)) return;
  // P2c per slot: the value accepted under the highest ballot, or a no-op (an empty batch).
  bool free = s.promises.highest.none();
  s.value = free ? wire::encodeBatch({}) : s.promises.value;
  s.recovering = false;
  arm(s, now);
  out.note(Level::info,
           fmt::format("slot {} recovered: {}", m.instance, free ? "no-op" : "earlier value"));
  sendPhase(m.instance, s, out, /*thrifty=*/true);
}

void LogProposer::onAccepted(Time now, const Message& m, Outbox& out) {
  auto it = inFlight_.find(m.instance);
  if (it == inFlight_.end() || m.ballot != ballot_ || it->second.recovering) return;
  const Configuration& config = cluster_.membership().at(m.instance);
  if (!it->second.acceptedBy.add(config, m.from)) return;
  rtt_.sample(now - it->second.sentAt);
  if (it->second.acceptedBy.reached(config)) decided(m.instance, out);
}

void LogProposer::onNack(Time now, const Message& m, Outbox& out) {
  highestRoundSeen_ = std::max(highestRoundSeen_, m.promised.round);
  if (m.ballot != ballot_ || (state_ != State::preparing && state_ != State::leading)) return;
  // A higher ballot exists: another proposer believes it leads. Back off for a random time and
  // try again above it, unless by then we hear that it outranks us (then we follow it).
  for (auto& [slot, s] : inFlight_)
    if (!s.keys.empty())  // ours: every command of the slot's value
      wire::forEachCommand(s.value, [&](const wire::CommandView& c) {
        enqueue({c.client, c.request}, c.encoded);
      });
  inFlight_.clear();
  nacks_ = std::min(nacks_ + 1, 16);
  auto wait = randomBackoff(timing_, nacks_, rng_, rtt_.srtt());
  state_ = State::backingOff;
  wakeAt_ = now + wait;
  out.note(Level::info, fmt::format("ballot {} NACKed by {} (promised {}): retry in {} us",
                                    wire::toString(ballot_), m.from, wire::toString(m.promised),
                                    wait.count() / 1000));
}

void LogProposer::fill(Time now, Outbox& out) {
  const Membership& membership = cluster_.membership();
  asking_ = false;
#ifdef PAXOS_MUTANT_LEADER_IGNORES_HORIZON  // a deliberately broken build for tests/sim
  while (next_ < membership.horizon() + 1000) {
#else
  while (next_ < membership.horizon()) {
#endif
    if (above_.contains(next_) || inFlight_.contains(next_)) {
      ++next_;
      continue;
    }
    if (next_ < recoverEnd_) {  // an acceptor that promised reported a value here, maybe
      Slot& s = inFlight_[next_];
      s.recovering = true;
      arm(s, now);
      sendPhase(next_, s, out);
      ++next_;
      continue;
    }
#ifdef PAXOS_MUTANT_LEADER_SKIPS_NEW_PROMISES  // a deliberately broken build for tests/sim
    if (false) {
#else
    if (!promisedAll_.reached(membership.at(next_))) {
#endif
      asking_ = true;  // a new configuration: its acceptors promise before it runs a slot
      if (now >= wakeAt_) sendPrepareAll(now, out);
      return;
    }
    // A decided change takes effect at a slot ahead: no-ops bring it on when nothing else does.
    bool changing = membership.configs().rbegin()->first > next_;
    if ((queue_.empty() && !changing) || inFlight_.size() >= size_t(timing_.pipeline)) return;
    Slot& s = inFlight_[next_];
    // The queue's encodings are the batch: a slot's value is a slice of pending_.
    size_t bytes = 0, taken = 0;
    for (; taken < queue_.size() &&
           (taken == 0 || bytes + queue_[taken].bytes <= size_t(timing_.batchBytes));
         ++taken) {
      bytes += queue_[taken].bytes;
      s.keys.push_back(queue_[taken].key);
    }
    queue_.erase(queue_.begin(), queue_.begin() + long(taken));
    s.value.assign(pending_, pendingHead_, bytes);
    pendingHead_ += bytes;
    if (queue_.empty() || pendingHead_ > (size_t(1) << 20)) {
      pending_.erase(0, pendingHead_);
      pendingHead_ = 0;
    }
    arm(s, now);
    out.debug([&] { return fmt::format("slot {}: ACCEPT {} values", next_, s.keys.size()); });
    if (out.tracing && s.keys.empty())
      out.event("noop", next_, ballot_, "a configuration change takes effect ahead");
    sendPhase(next_, s, out, /*thrifty=*/true);
    ++next_;
  }
}

void LogProposer::decided(uint64_t slot, Outbox& out) {
  auto it = inFlight_.find(slot);
  if (out.tracing) out.event("commit", slot, ballot_, wire::describeBatch(it->second.value));
  for (const Key& key : it->second.keys) {
    queued_.erase(key);
    decided_.add(key.first, key.second, slot);
  }
  if (slot >= cluster_.membership().through()) values_[slot] = it->second.value;
  proposed_[slot] = std::move(it->second.value);
  inFlight_.erase(it);
  readMembership(out);
  if (slot < commit_) return;
  above_.insert(slot);
  decidedBelow(commit_);
}

void LogProposer::readMembership(Outbox& out) {
  Membership& membership = cluster_.membership();
  values_.erase(values_.begin(), values_.lower_bound(membership.through()));
  for (auto it = values_.begin(); it != values_.end() && it->first == membership.through();
       it = values_.erase(it)) {
    auto commands = wire::decodeBatch(it->second);
    if (auto config =
            membership.deliver(it->first, commands.value_or(std::vector<wire::Command>{})))
      out.note(Level::info, fmt::format("slot {}: configuration {} from slot {}", it->first,
                                        describe(*config), it->first + membership.alpha()));
  }
}

void LogProposer::forgotten(uint64_t slot) {
  decidedBelow(slot);
  forgottenBelow_ = std::max(forgottenBelow_, slot);
  cluster_.membership().forget(forgottenBelow_);
  std::erase_if(inFlight_, [&](const auto& e) { return e.second.again && e.first < slot; });
  proposed_.erase(proposed_.begin(), proposed_.lower_bound(forgottenBelow_));
}

void LogProposer::decidedBelow(uint64_t slot) {
  commit_ = std::max(commit_, slot);
  while (above_.contains(commit_)) ++commit_;
  above_.erase(above_.begin(), above_.lower_bound(commit_));
  if (state_ != State::leading) return;
  // Another leader or a learner says these are decided: stop working on them (unless a learner
  // asked for them to be run again).
  for (auto it = inFlight_.begin(); it != inFlight_.end() && it->first < commit_;) {
    if (it->second.again) {
      ++it;
      continue;
    }
    for (const Key& key : it->second.keys) queued_.erase(key);
    if (!it->second.recovering) proposed_[it->first] = std::move(it->second.value);
    it = inFlight_.erase(it);
  }
  next_ = std::max(next_, commit_);
}

void LogProposer::stepDown(Outbox& out, const std::string& why) {
  out.note(Level::info, fmt::format("stepping down ({}); ballot {}", why, wire::toString(ballot_)));
  state_ = State::following;
  inFlight_.clear();
  proposed_.clear();
  queue_.clear();  // the clients resend to the new leader
  pending_.clear();
  pendingHead_ = 0;
  queued_.clear();
  above_.clear();
}

void LogProposer::sendPhase(uint64_t slot, const Slot& s, Outbox& out, bool thrifty) const {
  const Configuration& config = cluster_.membership().at(slot);
  Message m =
      s.recovering ? wire::msg::prepare(slot, ballot_) : wire::msg::accept(slot, ballot_, s.value);
  if (thrifty && !s.recovering && now_ >= thriftyFrom_) {
    std::vector<uint32_t> majority = leadership_.freshest(now_, config);
    if (!majority.empty()) {
      for (uint32_t acceptor : majority)
        if (!s.acceptedBy.contains(acceptor)) out.send(acceptor, m);
      return;
    }
  }
  for (uint32_t acceptor : config.acceptors) {
    bool heard =
        s.recovering ? s.promises.from.contains(acceptor) : s.acceptedBy.contains(acceptor);
    if (!heard) out.send(acceptor, m);
  }
}

// Every heartbeat also probes the acceptors (they answer): a proposer that does not hear a
// majority of them answer cannot lead, so it stops telling the other proposers it is alive, and
// its heartbeats stop carrying its ballot, which the acceptors would relay.
void LogProposer::heartbeat(Outbox& out) const {
  bool reaching = leadership_.reaches(now_, commit_);
  bool leading = state_ == State::leading && reaching;
  Message m = wire::msg::heartbeat(commit_, leading ? ballot_ : wire::Ballot{},
                                   leadership_.leader(now_, commit_));
  for (uint32_t acceptor : cluster_.membership().acceptorsFrom(commit_)) out.send(acceptor, m);
  if (reaching)
    for (uint32_t p : cluster_.proposers())
      if (p != self_) out.send(p, m);
  // The leader's decided prefix tells a learner which slots exist even when it heard none.
  if (state_ == State::leading)
    for (uint32_t learner : cluster_.learners()) out.send(learner, m);
  // A joined acceptor that restarted plays once a PROGRESS shows it listed. The learners send
  // theirs, but they may be stuck before the very slots whose majority needs it: the proposers,
  // who need it, tell it too.
  const Membership& membership = cluster_.membership();
  if (membership.latest().epoch == 0) return;
  Message progress = wire::msg::progress(0, membership.through(), membership.encode());
  for (uint32_t acceptor : membership.acceptorsFrom(commit_))
    if (acceptor >= cluster_.roles().size()) out.send(acceptor, progress);
}

void LogProposer::tick(Time now, Outbox& out) {
  now_ = now;
  if (now >= heartbeatAt_) {
    heartbeat(out);
    heartbeatAt_ = now + timing_.heartbeat;
  }
  if (state_ == State::backingOff && now >= wakeAt_) {
    if (leadership_.leader(now_, commit_) == self_)
      prepare(now, out);
    else
      state_ = State::following;
  } else if (state_ == State::preparing && now >= wakeAt_) {
    // The decided prefix may have moved into a configuration whose majority promised already
    // (the acceptors of the one before may have been removed and gone).
    lead(now, out);
    if (state_ == State::preparing) sendPrepareAll(now, out);
  } else if (state_ == State::leading) {
    // Silent acceptors may be slow, partitioned or dead: resend each slot's phase to them.
    for (auto& [slot, s] : inFlight_) {
      if (now < s.resendAt) continue;
      // A loss: a majority is one copy short, and every slot that loses one waits a resend
      // timeout. Back to every acceptor for a while, where the third copy covers it.
      thriftyFrom_ = now + timing_.leaderTimeout * 4;
      sendPhase(slot, s, out);
      // Backing off exponentially: a cut-off or dead acceptor is not flooded with every slot.
      s.resends = std::min(s.resends + 1, 3);
      s.resendAt = now + std::min<Duration>(rtt_.timeout(timing_.phaseRetry) * (1 << s.resends),
                                            rtt_.timeout(timing_.retryMax));
    }
  }
  follow(now, out);
}

std::optional<Time> LogProposer::nextWake() const {
  Time wake = heartbeatAt_;
  if (state_ == State::preparing || state_ == State::backingOff ||
      (state_ == State::leading && asking_))
    wake = std::min(wake, wakeAt_);
  for (const auto& [slot, s] : inFlight_) wake = std::min(wake, s.resendAt);
  return wake;
}

}  // namespace paxos::core
