#include "core/cluster.hpp"

namespace paxos::core {

Cluster::Cluster(int proposers, int acceptors, int learners, int clients, uint64_t hostsHash,
                 config::Mode mode, bool service)
    : hostsHash_(hostsHash), mode_(mode), service_(service) {
  auto add = [this](int count, wire::Role role, std::vector<uint32_t>& list) {
    for (int i = 0; i < count; ++i) {
      list.push_back(static_cast<uint32_t>(roles_.size()));
      roles_.push_back(role);
    }
  };
  add(proposers, wire::Role::proposer, proposers_);
  add(acceptors, wire::Role::acceptor, acceptors_);
  add(learners, wire::Role::learner, learners_);
  for (int i = 0; i < clients; ++i) clients_.push_back(static_cast<uint32_t>(roles_.size() + i));
}

}  // namespace paxos::core
