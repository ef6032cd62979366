// Runs one core Actor on a real UDP socket: decodes datagrams (dropping and counting those that
// do not decode), applies injected faults, feeds the actor with the monotonic clock, persists
// and then sends what it returns, logs its notes, writes the trace, and keeps one timer armed at
// its next deadline. Single-threaded: everything happens on one io_context. The steps of one
// burst of datagrams share one persist (one fsync) and one flush: group commit.
#pragma once

#include <asio.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/actor.hpp"
#include "net/authenticator.hpp"
#include "net/fault_injector.hpp"
#include "net/udp_transport.hpp"
#include "trace/trace_writer.hpp"

namespace paxos::net {

struct DriverHooks {
  std::function<std::string()> label;                 // prefixes every log line: "n2 learner"
  std::function<std::string()> role;                  // the role now, for trace records
  std::function<void(const std::string&)> onDecided;  // each newly decided value
  // Makes the step's state durable before its messages are sent (may be empty).
  std::function<void(const core::Outbox&)> persist;
  trace::TraceWriter* trace = nullptr;  // may be null
  bool batches = false;                 // multi mode: logs show values as decoded batches
  const Authenticator* key = nullptr;   // the cluster key: MAC on every datagram (may be null)
  // Input from outside the network (clidriver: the lines of stdin), given to the actor in the
  // same step: after each step (start, a burst of datagrams, a tick) before its output leaves,
  // and on offerInput(). May be empty.
  std::function<void(core::Time now, core::Outbox& out)> feed;
  // Multi mode: where a member the hosts file does not list listens (its configuration's
  // address), asked the first time a message goes to it. May be empty.
  std::function<std::optional<config::HttpAddress>(uint32_t uid)> addressOf;
  // Service mode: the commands the learner delivered in the step (Outbox::delivered).
  std::function<void(const std::vector<std::pair<uint64_t, wire::Command>>&)> delivered;
};

class Driver {
 public:
  Driver(asio::io_context& io, UdpTransport& transport, core::Actor& actor, FaultInjector& faults,
         DriverHooks hooks);

  // Runs until the actor asks to exit or SIGINT/SIGTERM arrives; returns the exit code.
  int run();
  // New input has come (call on the io_context's thread): runs hooks.feed as a step of its own.
  void offerInput();

 private:
  core::Time now() const;
  void onDatagram(std::span<const uint8_t> bytes);
  void handle(const wire::Message& message);  // one step; its output waits in out_
  void flush();                               // persists, sends and logs out_, re-arms
  void apply(core::Outbox& out);
  void arm();
  void traceMessage(const char* event, const wire::Message& message, uint32_t to);
  void crash(std::string_view event);
  void record(const trace::Record& record);

  asio::io_context& io_;
  UdpTransport& transport_;
  core::Actor& actor_;
  FaultInjector& faults_;
  DriverHooks hooks_;
  asio::steady_timer timer_;
  std::optional<core::Time> armedFor_;  // the timer's deadline while a wait is pending
  bool debug_ = false;                  // debug logging on: describe every message
  asio::signal_set signals_;
  core::Outbox out_;
  std::optional<int> exitCode_;
  uint32_t sent_ = 0;  // datagram counter: the seq of the next message
};

}  // namespace paxos::net
