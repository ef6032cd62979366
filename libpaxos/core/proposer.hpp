// Proposer: turns a client's value into a chosen one with ballots (round, uid). It runs
// phase 1 (PREPARE/PROMISE) and phase 2 (ACCEPT/ACCEPTED) for instance 0, resends to acceptors
// it has not heard from (randomised exponential backoff), and after a NACK backs off for a
// random time before a higher round.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/player.hpp"
#include "core/quorum.hpp"
#include "core/rtt.hpp"
#include "core/timing.hpp"

namespace paxos::core {

class Proposer : public Player {
 public:
  // `recoveredRound`: the highest round it persisted before a restart; it never reuses it.
  Proposer(const Cluster& cluster, const Timing& timing, uint32_t self, std::mt19937_64& rng,
           uint64_t recoveredRound = 0);

  // REQUEST starts a ballot (or is answered with DECIDED once known); PROMISE, ACCEPTED and
  // NACK drive the phases; DECIDED from a learner ends them.
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  std::optional<std::string> decided() const override { return decided_; }
  wire::Ballot ballot() const { return ballot_; }

 private:
  enum class Phase { idle, preparing, accepting, backingOff, done };

  void startRound(Time now, Outbox& out);
  void startPhase(Time now, Outbox& out);  // sends PREPARE or ACCEPT and times the answers
  void sampleRoundTrip(Time now);          // an acceptor answered the current phase
  void onPromise(Time now, const wire::Message& m, Outbox& out);
  void onNack(Time now, const wire::Message& m, Outbox& out);
  // Tells the waiting clients, and the learners unless a learner told us.
  void decide(const std::string& value, bool fromLearner, Outbox& out);
  void sendToSilentAcceptors(Outbox& out) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  std::mt19937_64& rng_;

  Phase phase_ = Phase::idle;
  wire::Ballot ballot_;
  uint64_t highestRoundSeen_ = 0;
  int nacks_ = 0;  // consecutive NACKed rounds, for exponential backoff
  Time wakeAt_{};
  Duration resendInterval_{};  // current resend period in phase 1 or 2
  // Round trips to acceptors: from a phase's (for a NACK, the round's) first send to each answer.
  RttEstimator rtt_;
  Time phaseSentAt_{}, roundSentAt_{};
  std::optional<std::string> clientValue_;
  std::set<uint32_t> waitingClients_;
  Promises promises_;  // phase 1
  Quorum acceptedBy_;  // phase 2
  std::string proposal_;
  std::optional<std::string> decided_;
};

}  // namespace paxos::core
