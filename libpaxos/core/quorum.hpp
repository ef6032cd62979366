// A tally of distinct acceptors toward a majority of the cluster's acceptors: the one place the
// protocol counts. Any two majorities share an acceptor, which is what makes a chosen value stick
// (P2c). Membership change plugs in here: `reached` will ask the configuration of the slot.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "core/cluster.hpp"

namespace paxos::core {

class Quorum {
 public:
  // Counts `uid` once, if it is an acceptor of `cluster`; true if it counted for the first time.
  bool add(const Cluster& cluster, uint32_t uid) {
    return cluster.roleOf(uid) == wire::Role::acceptor && members_.insert(uid).second;
  }
  bool reached(const Cluster& cluster) const { return members_.size() >= cluster.quorum(); }
  bool contains(uint32_t uid) const { return members_.contains(uid); }
  bool empty() const { return members_.empty(); }
  void clear() { members_.clear(); }

 private:
  std::set<uint32_t> members_;
};

// Phase 1's tally: the promises of distinct acceptors, and the proposal accepted under the
// highest ballot among them, which P2c makes a new ballot propose again once they are a majority.
struct Promises {
  Quorum from;
  wire::Ballot highest;  // none: no acceptor among them accepted anything
  std::string value;

  bool add(const Cluster& cluster, uint32_t acceptor, wire::Ballot accepted,
           const std::string& acceptedValue) {
    if (!from.add(cluster, acceptor)) return false;
    if (accepted > highest) highest = accepted, value = acceptedValue;
    return true;
  }
};

}  // namespace paxos::core
