#include "core/proposer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace paxos::core {

using wire::Message;
using wire::Type;

Proposer::Proposer(const Cluster& cluster, const Timing& timing, uint32_t self,
                   std::mt19937_64& rng, uint64_t recoveredRound)
    : cluster_(cluster), timing_(timing), self_(self), rng_(rng), ballot_{recoveredRound, self} {}

void Proposer::receive(Time now, const Message& m, Outbox& out) {
  if (m.instance != 0) return;
  switch (m.type) {
    case Type::request:
      if (decided_) {
        out.send(m.uid, wire::msg::decided(0, *decided_));
        return;
      }
      waitingClients_.insert(m.uid);
      if (!clientValue_) clientValue_ = m.value;
      if (phase_ == Phase::idle) startRound(now, out);
      return;
    case Type::promise:
      return onPromise(now, m, out);
    case Type::accepted:
      if (phase_ != Phase::accepting || m.ballot != ballot_) return;
      if (!acceptedBy_.add(cluster_, m.from)) return;
      sampleRoundTrip(now);
      if (acceptedBy_.reached(cluster_)) decide(m.value, false, out);
      return;
    case Type::nack:
      return onNack(now, m, out);
    case Type::decided:
      if (cluster_.roleOf(m.from) == wire::Role::learner) decide(m.value, true, out);
      return;
    default:
      return;
  }
}

void Proposer::startRound(Time now, Outbox& out) {
  ballot_ = {std::max(ballot_.round, highestRoundSeen_) + 1, self_};
  out.persistRound = ballot_.round;
  phase_ = Phase::preparing;
  promises_ = {};
  acceptedBy_.clear();
  out.note(Level::info, fmt::format("inst 0 ballot {}: phase 1, PREPARE to {} acceptors",
                                    wire::toString(ballot_), cluster_.acceptors().size()));
  roundSentAt_ = now;
  startPhase(now, out);
}

void Proposer::startPhase(Time now, Outbox& out) {
  resendInterval_ = rtt_.timeout(timing_.phaseRetry);
  phaseSentAt_ = now;
  sendToSilentAcceptors(out);
  wakeAt_ = now + resendInterval_;
}

void Proposer::sampleRoundTrip(Time now) {
  rtt_.sample(now - phaseSentAt_);
}

void Proposer::onPromise(Time now, const Message& m, Outbox& out) {
  if (phase_ != Phase::preparing || m.ballot != ballot_) return;
  if (!promises_.add(cluster_.membership().latest(), m.from, m.accepted, m.value)) return;
  sampleRoundTrip(now);
  if (!promises_.from.reached(cluster_)) return;
    // P2c: among a majority's promises, the value accepted with the highest ballot must be
    // proposed again; only if none accepted anything is the client's value free to go.
#ifdef PAXOS_MUTANT_PROPOSER_IGNORES_ACCEPTED  // a deliberately broken build for tests/sim
  bool constrained = false;
#else
  bool constrained = !promises_.highest.none();
#endif
  proposal_ = constrained ? promises_.value : *clientValue_;
  phase_ = Phase::accepting;
  nacks_ = 0;
  out.note(Level::info, fmt::format("inst 0 ballot {}: phase 2, ACCEPT value {} ({})",
                                    wire::toString(ballot_), proposal_,
                                    constrained ? "accepted at " + wire::toString(promises_.highest)
                                                : std::string("client's value")));
  startPhase(now, out);
}

void Proposer::onNack(Time now, const Message& m, Outbox& out) {
  highestRoundSeen_ = std::max(highestRoundSeen_, m.promised.round);
  if (m.ballot != ballot_ || (phase_ != Phase::preparing && phase_ != Phase::accepting)) return;
  // A NACK does not say which phase it answers: timed from the round's start, it may overstate
  // the round trip, never understate it.
  rtt_.sample(now - roundSentAt_);
  nacks_ = std::min(nacks_ + 1, 16);
  auto wait = randomBackoff(timing_, nacks_, rng_, rtt_.srtt());
  phase_ = Phase::backingOff;
  wakeAt_ = now + wait;
  out.note(Level::info, fmt::format("inst 0 ballot {} NACKed by {}: promised {}; retry in {} us",
                                    wire::toString(ballot_), m.from, wire::toString(m.promised),
                                    wait.count() / 1000));
}

void Proposer::decide(const std::string& value, bool fromLearner, Outbox& out) {
  if (decided_) return;
  decided_ = value;
  phase_ = Phase::done;
  out.event("decide", 0, ballot_, value);
  out.note(Level::info, fmt::format("inst 0 decided {}", value));
  Message reply = wire::msg::decided(0, value);
  for (uint32_t client : waitingClients_) out.send(client, reply);
  if (!fromLearner)
    for (uint32_t learner : cluster_.learners()) out.send(learner, reply);
}

void Proposer::sendToSilentAcceptors(Outbox& out) const {
  Message m = phase_ == Phase::preparing ? wire::msg::prepare(0, ballot_)
                                         : wire::msg::accept(0, ballot_, proposal_);
  for (uint32_t acceptor : cluster_.acceptors()) {
    bool heard = phase_ == Phase::preparing ? promises_.from.contains(acceptor)
                                            : acceptedBy_.contains(acceptor);
    if (!heard) out.send(acceptor, m);
  }
}

void Proposer::tick(Time now, Outbox& out) {
  if (now < wakeAt_) return;
  if (phase_ == Phase::backingOff) return startRound(now, out);
  if (phase_ == Phase::preparing || phase_ == Phase::accepting) {
    // Silent acceptors may be slow, partitioned or dead: resend with randomised exponential
    // backoff, so a lossy network is retried quickly and a dead one is not flooded.
    sendToSilentAcceptors(out);
    resendInterval_ = std::min<Duration>(resendInterval_ * 2, rtt_.timeout(timing_.retryMax));
    auto half = resendInterval_.count() / 2;
    wakeAt_ = now + Duration(half + std::uniform_int_distribution<int64_t>(0, half)(rng_));
  }
}

std::optional<Time> Proposer::nextWake() const {
  if (phase_ == Phase::idle || phase_ == Phase::done) return std::nullopt;
  return wakeAt_;
}

}  // namespace paxos::core
