// Multi mode: which proposer leads, as one proposer sees it (docs/MULTI.md). The leader is the
// highest proposer that reaches a majority of acceptors and was heard from within leaderTimeout:
// directly, by its heartbeat, or through an acceptor that relays the ballot it promised. A
// proposer reaches the acceptors if a majority of them answered it within leaderTimeout. Pure:
// it keeps the times it is told, and reads no clock.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/cluster.hpp"
#include "core/timing.hpp"
#include "wire/message.hpp"

namespace paxos::core {

class Leadership {
 public:
  Leadership(const Cluster& cluster, const Timing& timing, uint32_t self);

  // Every proposer and acceptor counts as heard at start-up, so the highest UID leads at once
  // and the others wait for it instead of duelling.
  void start(Time now);
  // Takes note of who a message shows alive: a proposer's heartbeat (a forward does not say its
  // sender reaches the acceptors), any message of an acceptor, and the leader an acceptor's
  // heartbeat relays.
  void heard(Time now, const wire::Message& message);

  // `slot`: the first slot the proposer would run, whose configuration's acceptors count (those
  // of a configuration still to come may not be up yet: the leader asks them when it gets there).
  uint32_t leader(Time now, uint64_t slot) const;
  bool reaches(Time now, uint64_t slot) const;
  // The majority of `config`'s acceptors heard from most recently (ties by UID), each within
  // leaderTimeout; empty if fewer were heard that recently.
  std::vector<uint32_t> freshest(Time now, const Configuration& config) const;

 private:
  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  std::map<uint32_t, Time> proposers_;  // other proposers: last heard alive
  std::map<uint32_t, Time> acceptors_;  // last answer
};

}  // namespace paxos::core
