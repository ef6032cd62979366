// Faults a user injects without editing code (DESIGN §5): crash at the N-th occurrence of a
// protocol event, drop, duplicate or delay incoming datagrams. Lives at the edge, never in the
// core, so the protocol cannot tell an injected fault from a real one.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "config/hosts.hpp"
#include "wire/message.hpp"

namespace paxos::net {

// The crash event a received message counts towards, if any ("learn" is the learner deciding).
std::optional<std::string_view> crashEventOf(wire::Type type);

class FaultInjector {
 public:
  // `faults` must be valid (config validates hosts files, the drivers validate options).
  FaultInjector(const config::Faults& faults, uint64_t seed);

  bool drop() { return chance(faults_.drop); }
  bool duplicate() { return chance(faults_.duplicate); }
  std::chrono::milliseconds delay();
  // Counts one occurrence of `event`; true when it is the one to crash at.
  bool crashNow(std::string_view event);
  const std::optional<config::CrashPoint>& crashPoint() const { return crash_; }

 private:
  bool chance(double p) { return p > 0 && std::uniform_real_distribution<>(0, 1)(rng_) < p; }

  config::Faults faults_;
  std::optional<config::CrashPoint> crash_;
  int seen_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace paxos::net
