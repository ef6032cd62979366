#include "net/fault_injector.hpp"

#include <algorithm>
#include <charconv>

namespace paxos::net {

std::optional<CrashPoint> parseCrashAt(std::string_view spec, std::string& error) {
  CrashPoint point;
  auto colon = spec.find(':');
  point.event = std::string(spec.substr(0, colon));
  if (std::find(std::begin(kCrashEvents), std::end(kCrashEvents), point.event) ==
      std::end(kCrashEvents)) {
    error = "unknown event '" + point.event +
            "' (expected election, prepare, promise, accept, accepted or learn)";
    return std::nullopt;
  }
  if (colon != std::string_view::npos) {
    auto count = spec.substr(colon + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), point.occurrence);
    if (ec != std::errc() || end != count.data() + count.size() || point.occurrence < 1) {
      error = "bad occurrence '" + std::string(count) + "' (expected a number >= 1)";
      return std::nullopt;
    }
  }
  return point;
}

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
  std::string error;
  if (!faults.crashAt.empty()) crash_ = parseCrashAt(faults.crashAt, error);
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
