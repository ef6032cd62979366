// Acceptor: the memory of Paxos. It answers PREPARE and ACCEPT for each instance and never goes
// back on a promise. In multi mode it also promises for every slot at once (PREPARE_ALL), hands
// its accepted log to learners that catch up, and forgets slots every learner has delivered.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/player.hpp"
#include "core/progress.hpp"

namespace paxos::core {

class Acceptor : public Player {
 public:
  // `recovered`: the state it had persisted before a restart (empty on a first start).
  explicit Acceptor(const Cluster& cluster, DurableState recovered = {})
      : cluster_(cluster),
        instances_(std::move(recovered.acceptor)),
        promisedAll_(recovered.promisedAll),
        trimmedBelow_(recovered.trimmedBelow),
        progress_(cluster),
        highestRound_(promisedAll_.round) {
    for (const auto& [instance, state] : instances_)
      highestRound_ = std::max(highestRound_, state.promised.round);
  }

  // PREPARE(b): if b >= promised, promise b and report the highest accepted proposal (1b);
  // else NACK with the promise that beat it. Re-promising an equal ballot makes a resent
  // PREPARE harmless. ACCEPT(b, v): if b >= promised, accept (2b) and tell the learners and the
  // proposer; else NACK. Messages whose ballot is not the sender's own are ignored.
  // PREPARE_ALL(b, from) promises b for every slot at once and answers where its accepted log
  // ends; CATCHUP resends accepted slots to a learner; PROGRESS from the learners trims the log;
  // a proposer's HEARTBEAT is answered (onHeartbeat).
  void receive(const wire::Message& message, Outbox& out);
  void receive(Time, const wire::Message& message, Outbox& out) override { receive(message, out); }
  uint64_t logEnd() const override { return trimmedBelow_; }

  const AcceptorState& state(uint64_t instance) { return instances_[instance]; }
  const std::map<uint64_t, AcceptorState>& states() const { return instances_; }
  uint64_t trimmedBelow() const { return trimmedBelow_; }

 private:
  // Refuses (and counts) a ballot that is not its sender's own or absurdly high.
  bool untrusted(const wire::Message& message, Outbox& out);
  void prepareAll(const wire::Message& message, Outbox& out);
  void catchup(const wire::Message& message, Outbox& out) const;
  void trim(Outbox& out);
  void tellTrimmed(uint32_t to, Outbox& out) const;
  void nack(const wire::Message& message, wire::Ballot promised, Outbox& out) const;
  // Multi mode: a proposer's heartbeat probes whether it reaches the acceptors, so the answer
  // (a HEARTBEAT) tells it that it does; one that leads with a ballot below the promise also
  // gets a NACK. The answer carries the ballot this acceptor promised for
  // every slot if that ballot's proposer has heartbeated here since the asker's previous probe:
  // the leader is alive and leading, even if the asker cannot hear it directly.
  void onHeartbeat(const wire::Message& message, Outbox& out);

  const Cluster& cluster_;
  std::map<uint64_t, AcceptorState> instances_;
  wire::Ballot promisedAll_;   // a floor under every instance's promise
  uint64_t trimmedBelow_ = 0;  // slots below were delivered by every learner, and forgotten
  Progress progress_;
  uint64_t highestRound_;                      // highest round accepted as plausible
  uint64_t leaderBeats_ = 0;                   // heartbeats from the proposer of promisedAll_
  std::map<uint32_t, uint64_t> beatsRelayed_;  // per proposer: leaderBeats_ at its last probe
};

// How far above every round seen a ballot may go: 2^32 rounds. Rounds are 64-bit, so even a
// forger who gets through (without a cluster key) cannot exhaust them.
inline constexpr uint64_t kMaxRoundStep = uint64_t{1} << 32;

}  // namespace paxos::core
