#include "core/cluster.hpp"

namespace paxos::core {

namespace {

Configuration hostsConfiguration(int proposers, int acceptors, int learners) {
  Configuration c;
  uint32_t uid = 0;
  for (int i = 0; i < proposers; ++i) c.proposers.push_back(uid++);
  for (int i = 0; i < acceptors; ++i) c.acceptors.push_back(uid++);
  for (int i = 0; i < learners; ++i) c.learners.push_back(uid++);
  return c;
}

}  // namespace

Cluster::Cluster(int proposers, int acceptors, int learners, int clients, uint64_t hostsHash,
                 config::Mode mode, bool service, uint64_t alpha)
    : hostsHash_(hostsHash),
      mode_(mode),
      service_(service),
      membership_(hostsConfiguration(proposers, acceptors, learners), alpha) {
  roles_.insert(roles_.end(), proposers, wire::Role::proposer);
  roles_.insert(roles_.end(), acceptors, wire::Role::acceptor);
  roles_.insert(roles_.end(), learners, wire::Role::learner);
  for (int i = 0; i < clients; ++i) clients_.push_back(static_cast<uint32_t>(roles_.size() + i));
}

}  // namespace paxos::core
