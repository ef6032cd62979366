// Runs one core Actor on a real UDP socket: decodes datagrams (dropping and counting those that
// do not decode), applies injected faults, feeds the actor with the monotonic clock, sends what
// it returns, logs its notes, and keeps one timer armed at its next deadline. Single-threaded:
// everything happens on one io_context.
#pragma once

#include <asio.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/actor.hpp"
#include "net/fault_injector.hpp"
#include "net/udp_transport.hpp"

namespace paxos::net {

class Driver {
 public:
  using Persist = std::function<void(const core::Outbox&)>;

  // `label` prefixes every log line ("n2 learner"); `onDecided` sees each newly decided value;
  // `persist` (may be empty) makes the step's state durable before its messages are sent.
  Driver(asio::io_context& io, UdpTransport& transport, core::Actor& actor, FaultInjector& faults,
         std::function<std::string()> label, std::function<void(const std::string&)> onDecided,
         Persist persist = {});

  // Runs until the actor asks to exit or SIGINT/SIGTERM arrives; returns the exit code.
  int run();

 private:
  core::Time now() const;
  void onDatagram(std::span<const uint8_t> bytes);
  void handle(const wire::Message& message);
  void apply(core::Outbox& out);
  void arm();
  void crash(std::string_view event);

  asio::io_context& io_;
  UdpTransport& transport_;
  core::Actor& actor_;
  FaultInjector& faults_;
  std::function<std::string()> label_;
  std::function<void(const std::string&)> onDecided_;
  Persist persist_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  core::Outbox out_;
  std::optional<int> exitCode_;
};

}  // namespace paxos::net
