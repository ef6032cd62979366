#include "core/leadership.hpp"

#include <algorithm>
#include <optional>

#include "core/quorum.hpp"

namespace paxos::core {

Leadership::Leadership(const Cluster& cluster, const Timing& timing, uint32_t self)
    : cluster_(cluster), timing_(timing), self_(self) {}

void Leadership::start(Time now) {
  for (uint32_t p : cluster_.proposers())
    if (p != self_) proposers_[p] = now;
  for (uint32_t a : cluster_.acceptors()) acceptors_[a] = now;
}

void Leadership::heard(Time now, const wire::Message& m) {
  wire::Role role = cluster_.roleOf(m.from);
  if (cluster_.membership().ever(m.from, wire::Role::acceptor)) role = wire::Role::acceptor;
  if (role == wire::Role::proposer && m.type == wire::Type::heartbeat) proposers_[m.from] = now;
  if (role != wire::Role::acceptor) return;
  acceptors_[m.from] = now;
  uint32_t relayed = m.ballot.uid;
  if (m.type == wire::Type::heartbeat && !m.ballot.none() && relayed != self_ &&
      cluster_.roleOf(relayed) == wire::Role::proposer)
    proposers_[relayed] = now;
}

uint32_t Leadership::leader(Time now, uint64_t slot) const {
  // Only proposers of the newest configuration lead: a removed one hands over (MEMBERSHIP.md).
  std::optional<uint32_t> best;
  if (reaches(now, slot) && cluster_.roleOf(self_) == wire::Role::proposer) best = self_;
  for (const auto& [p, heard] : proposers_)
    if (now - heard < timing_.leaderTimeout && (!best || p > *best) &&
        cluster_.roleOf(p) == wire::Role::proposer)
      best = p;
  return best.value_or(self_);  // nobody better: try, at worst in vain
}

bool Leadership::reaches(Time now, uint64_t slot) const {
  Quorum answering;
  for (const auto& [acceptor, heard] : acceptors_)
    if (now - heard < timing_.leaderTimeout) answering.insert(acceptor);
  return answering.reached(cluster_.membership().at(slot));
}

std::vector<uint32_t> Leadership::freshest(Time now, const Configuration& config) const {
  std::vector<std::pair<Time, uint32_t>> fresh;
  for (uint32_t acceptor : config.acceptors)
    if (auto it = acceptors_.find(acceptor);
        it != acceptors_.end() && now - it->second < timing_.leaderTimeout)
      fresh.emplace_back(it->second, acceptor);
  size_t n = config.quorum();
  if (fresh.size() < n) return {};
  std::partial_sort(fresh.begin(), fresh.begin() + n, fresh.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  std::vector<uint32_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(fresh[i].second);
  return out;
}

}  // namespace paxos::core
