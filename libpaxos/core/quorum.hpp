// A tally of distinct acceptors toward a majority of a configuration's acceptors: the one place
// the protocol counts. Any two majorities of one configuration share an acceptor, which is what
// makes a chosen value stick (P2c); with membership change, a slot is counted against its own
// configuration (Membership::at), so the two majorities are always of the same one.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "core/cluster.hpp"

namespace paxos::core {

class Quorum {
 public:
  // Counts `uid` once, if it is an acceptor of `config`; true if it counted for the first time.
  bool add(const Configuration& config, uint32_t uid) {
    return config.roleOf(uid) == wire::Role::acceptor && members_.insert(uid).second;
  }
  bool add(const Cluster& cluster, uint32_t uid) { return add(cluster.membership().latest(), uid); }
  // Counts `uid` once whatever it is: for a slot whose configuration is not known yet.
  bool insert(uint32_t uid) { return members_.insert(uid).second; }
  // A majority of `config`'s acceptors is in (members it does not list do not count).
  bool reached(const Configuration& config) const {
    size_t in = 0;
    for (uint32_t uid : members_) in += config.roleOf(uid) == wire::Role::acceptor;
    return in >= config.quorum();
  }
  bool reached(const Cluster& cluster) const { return reached(cluster.membership().latest()); }
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

  bool add(const Configuration& config, uint32_t acceptor, wire::Ballot accepted,
           const std::string& acceptedValue) {
    if (!from.add(config, acceptor)) return false;
    if (accepted > highest) highest = accepted, value = acceptedValue;
    return true;
  }
};

}  // namespace paxos::core
