// The interface a driver (the asio transport, or a simulator) runs: a state machine that takes
// time and messages and fills an Outbox. Nothing behind it does I/O or reads a clock.
#pragma once

#include <optional>

#include "core/outbox.hpp"
#include "core/timing.hpp"
#include "wire/message.hpp"

namespace paxos::core {

class Actor {
 public:
  virtual ~Actor() = default;
  virtual void start(Time now, Outbox& out) = 0;
  virtual void receive(Time now, const wire::Message& message, Outbox& out) = 0;
  // Called at (or after) nextWake(); handles every timeout that is due.
  virtual void tick(Time now, Outbox& out) = 0;
  virtual std::optional<Time> nextWake() const = 0;
};

// Earliest of two optional deadlines.
inline std::optional<Time> earliest(std::optional<Time> a, std::optional<Time> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace paxos::core
