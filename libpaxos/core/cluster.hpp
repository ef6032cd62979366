// The cluster as the protocol sees it: who holds which role and who the clients are. Roles are
// a pure function of the hosts file (first P consensus UIDs propose, next A accept, the rest
// learn), so two nodes that both believe they lead still assign the same roles.
#pragma once

#include <cstdint>
#include <vector>

#include "config/mode.hpp"
#include "wire/message.hpp"

namespace paxos::core {

class Cluster {
 public:
  Cluster(int proposers, int acceptors, int learners, int clients, uint64_t hostsHash,
          config::Mode mode = config::Mode::basic, bool service = false);

  uint64_t hostsHash() const { return hostsHash_; }
  bool multi() const { return mode_ == config::Mode::multi; }  // a replicated log (seed 004)
  // Service mode (docs/KV.md): a multi-mode cluster that runs until it is stopped, whose
  // learners also submit commands of their own (from their HTTP clients) to the log.
  bool service() const { return service_; }
  // Who may put commands in the log: the clients, and in service mode the learners.
  bool submits(uint32_t uid) const {
    return isClient(uid) || (service_ && roleOf(uid) == wire::Role::learner);
  }
  int size() const { return static_cast<int>(roles_.size()) + static_cast<int>(clients_.size()); }
  int consensusCount() const { return static_cast<int>(roles_.size()); }
  bool isConsensus(uint32_t uid) const { return uid < roles_.size(); }
  bool isClient(uint32_t uid) const { return uid >= roles_.size() && uid < uint32_t(size()); }
  wire::Role roleOf(uint32_t uid) const {
    return isConsensus(uid) ? roles_[uid] : wire::Role::none;
  }
  const std::vector<wire::Role>& roles() const { return roles_; }

  const std::vector<uint32_t>& proposers() const { return proposers_; }
  const std::vector<uint32_t>& acceptors() const { return acceptors_; }
  const std::vector<uint32_t>& learners() const { return learners_; }
  const std::vector<uint32_t>& clients() const { return clients_; }

  // A majority of the acceptors named in the hosts file, never of those alive: two quorums
  // always share an acceptor, which is what makes a chosen value stick (P2c).
  size_t quorum() const { return acceptors_.size() / 2 + 1; }

  // Next consensus UID after `uid` on the ring (ascending, wrapping).
  uint32_t successor(uint32_t uid) const { return (uid + 1) % roles_.size(); }

 private:
  uint64_t hostsHash_;
  config::Mode mode_;
  bool service_;
  std::vector<wire::Role> roles_;
  std::vector<uint32_t> proposers_, acceptors_, learners_, clients_;
};

}  // namespace paxos::core
