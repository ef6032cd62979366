// Chang-Roberts leader election on the ring of consensus UIDs (ascending, wrapping). Each node
// sends its UID to its successor; a node forwards larger UIDs and swallows smaller ones; the
// node that gets its own UID back leads and announces itself around the ring with LEADER.
//
// UDP makes three additions necessary: every hop is acknowledged and resent; a successor silent
// for hopSkip is suspected and skipped (ring repair); and a token whose candidate is suspected
// is dropped and replaced by the dropping node's own, so a dead maximum cannot stall the ring.
// A node still without a leader after electionStall resends its own token and asks the others.
#pragma once

#include <cstdint>
#include <optional>
#include <set>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/resender.hpp"
#include "core/timing.hpp"

namespace paxos::core {

class Election {
 public:
  Election(const Cluster& cluster, const Timing& timing, uint32_t self);

  void start(Time now, Outbox& out);
  // ELECT, ELECT_ACK, LEADER, LEADER_ACK.
  void receive(Time now, const wire::Message& message, Outbox& out);
  void tick(Time now, Outbox& out);
  std::optional<Time> nextWake() const;

  // Any datagram from `uid` proves it alive again.
  void heardFrom(uint32_t uid) { suspected_.erase(uid); }
  // A START names the leader; a larger UID wins if two are heard (both assign the same roles).
  void learnLeader(uint32_t leader);
  std::optional<uint32_t> leader() const { return leader_; }

 private:
  void onElect(Time now, uint32_t candidate, Outbox& out);
  void onLeader(Time now, uint32_t leader, Outbox& out);
  void hop(Time now, wire::Type type, uint32_t uid, Outbox& out);
  // Sends a hop whose target is suspected on to the next live successor.
  void reroute(Time now, const Resender::Entry& stale, Outbox& out);
  void sendOwnToken(Time now, Outbox& out);
  // First consensus UID after `uid` that is not suspected; `self_` if there is none.
  uint32_t nextAlive(uint32_t uid) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  Resender hops_;
  std::set<uint32_t> suspected_;
  std::set<uint32_t> relayed_;  // candidates already forwarded: a resent token is not relayed twice
  std::optional<uint32_t> leader_;
  Time stallAt_{};
  int queryReach_ = 1;  // START_QUERY goes to this many nodes after us on the ring, doubling
};

}  // namespace paxos::core
