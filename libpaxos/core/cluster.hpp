// The cluster as one node sees it: who holds which role and who the clients are. The hosts file
// assigns the first roles (first P consensus UIDs propose, next A accept, the rest learn), so two
// nodes that both believe they lead assign the same ones; in multi mode that is epoch 0 of the
// membership, which changes decided in the log move on (docs/MEMBERSHIP.md). Each Node holds its
// own copy: its membership is what it knows.
#pragma once

#include <cstdint>
#include <vector>

#include "config/mode.hpp"
#include "core/membership.hpp"
#include "wire/message.hpp"

namespace paxos::core {

class Cluster {
 public:
  Cluster(int proposers, int acceptors, int learners, int clients, uint64_t hostsHash,
          config::Mode mode = config::Mode::basic, bool service = false,
          uint64_t alpha = kDefaultAlpha);

  uint64_t hostsHash() const { return hostsHash_; }
  bool multi() const { return mode_ == config::Mode::multi; }  // a replicated log (seed 004)
  // Service mode (docs/KV.md): a multi-mode cluster that runs until it is stopped, whose
  // learners also submit commands of their own (from their HTTP clients) to the log.
  bool service() const { return service_; }
  // Who may put commands in the log: the clients, and in service mode the learners.
  bool submits(uint32_t uid) const {
    return isClient(uid) || (service_ && roleOf(uid) == wire::Role::learner);
  }
  // The hosts file's UIDs: consensus nodes first, then clients.
  int size() const { return static_cast<int>(roles_.size()) + static_cast<int>(clients_.size()); }
  int consensusCount() const { return static_cast<int>(roles_.size()); }
  bool isClient(uint32_t uid) const { return uid >= roles_.size() && uid < uint32_t(size()); }
  // A consensus node of the hosts file, or of a configuration this node holds.
  bool isConsensus(uint32_t uid) const {
    return uid < roles_.size() || membership_.latest().contains(uid) ||
           membership_.ever(uid, wire::Role::acceptor);
  }
  bool known(uint32_t uid) const { return isClient(uid) || isConsensus(uid); }
  // The hosts file's roles, as START carries them.
  const std::vector<wire::Role>& roles() const { return roles_; }
  // A UID's role in the newest configuration known (none: not a member).
  wire::Role roleOf(uint32_t uid) const { return membership_.latest().roleOf(uid); }

  // The newest configuration's members: whom a node talks to now. What is counted per slot
  // asks that slot's configuration (membership().at).
  const std::vector<uint32_t>& proposers() const { return membership_.latest().proposers; }
  const std::vector<uint32_t>& acceptors() const { return membership_.latest().acceptors; }
  const std::vector<uint32_t>& learners() const { return membership_.latest().learners; }
  const std::vector<uint32_t>& clients() const { return clients_; }
  Membership& membership() { return membership_; }
  const Membership& membership() const { return membership_; }

  // A majority of the acceptors named in the configuration, never of those alive: two quorums
  // always share an acceptor, which is what makes a chosen value stick (P2c).
  size_t quorum() const { return membership_.latest().quorum(); }

  // Next consensus UID of the hosts file after `uid` on the Chang-Roberts ring (ascending,
  // wrapping). It stays the hosts file's when the configuration changes: nodes that restart
  // know no more than the file until a PROGRESS reaches them, and a ring must be one for all
  // (docs/MEMBERSHIP.md); the ring repair skips a removed node like a dead one.
  uint32_t successor(uint32_t uid) const { return (uid + 1) % roles_.size(); }

 private:
  uint64_t hostsHash_;
  config::Mode mode_;
  bool service_;
  std::vector<wire::Role> roles_;
  std::vector<uint32_t> clients_;
  Membership membership_;
};

}  // namespace paxos::core
