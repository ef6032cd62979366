// How far every learner has delivered the log (multi mode), from their PROGRESS messages. Below
// the slowest learner's point nobody needs a slot again, so acceptors and learners forget it;
// a learner that has never reported holds the point at 0, so nothing it still needs is lost.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>

#include "core/cluster.hpp"

namespace paxos::core {

// Slots one CATCHUP answer carries, from an acceptor or a learner: a learner asks again for the
// rest, so one request never floods.
inline constexpr uint64_t kCatchupSlots = 64;

class Progress {
 public:
  explicit Progress(const Cluster& cluster) : cluster_(cluster) {}

  // A learner's report: every slot below `next` is delivered there. Reports only move forward
  // (a reordered older one is ignored).
  void report(uint32_t learner, uint64_t next) {
    if (cluster_.roleOf(learner) != wire::Role::learner) return;
    uint64_t& at = next_[learner];
    at = std::max(at, next);
  }
  // Every learner (of the newest configuration) has delivered every slot below this.
  uint64_t everywhere() const {
    uint64_t low = UINT64_MAX;
    for (uint32_t learner : cluster_.learners()) {
      auto it = next_.find(learner);
      low = std::min(low, it == next_.end() ? 0 : it->second);
    }
    return low;
  }

 private:
  const Cluster& cluster_;
  std::map<uint32_t, uint64_t> next_;
};

}  // namespace paxos::core
