#include "net/fault_injector.hpp"

namespace paxos::net {

std::optional<std::string_view> crashEventOf(wire::Type type) {
  switch (type) {
    case wire::Type::elect:
      return "election";
    case wire::Type::prepare:
      return "prepare";
    case wire::Type::promise:
      return "promise";
    case wire::Type::accept:
      return "accept";
    case wire::Type::accepted:
      return "accepted";
    default:
      return std::nullopt;
  }
}

FaultInjector::FaultInjector(const config::Faults& faults, uint64_t seed)
    : faults_(faults), rng_(seed) {
  if (!faults.crashAt.empty()) crash_ = config::parseCrashAt(faults.crashAt);
}

std::chrono::milliseconds FaultInjector::delay() {
  int jitter =
      faults_.jitterMs > 0 ? std::uniform_int_distribution<>(0, faults_.jitterMs)(rng_) : 0;
  return std::chrono::milliseconds(faults_.delayMs + jitter);
}

bool FaultInjector::crashNow(std::string_view event) {
  return crash_ && crash_->event == event && ++seen_ == crash_->occurrence;
}

}  // namespace paxos::net
