#include "net/driver.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "wire/codec.hpp"

namespace paxos::net {

Driver::Driver(asio::io_context& io, UdpTransport& transport, core::Actor& actor,
               FaultInjector& faults, DriverHooks hooks)
    : io_(io),
      transport_(transport),
      actor_(actor),
      faults_(faults),
      hooks_(std::move(hooks)),
      timer_(io),
      signals_(io, SIGINT, SIGTERM) {}

void Driver::record(const trace::Record& r) {
  if (hooks_.trace) hooks_.trace->write(now().count(), hooks_.role(), r);
}

core::Time Driver::now() const {
  return std::chrono::steady_clock::now().time_since_epoch();
}

int Driver::run() {
  debug_ = spdlog::should_log(spdlog::level::debug);
  out_.debugging = debug_;
  out_.tracing = hooks_.trace != nullptr;
  signals_.async_wait([this](std::error_code error, int signal) {
    if (error) return;
    spdlog::info("{}: signal {}: exiting", hooks_.label(), signal);
    exitCode_ = 0;
    io_.stop();
  });
  transport_.receive([this](std::span<const uint8_t> bytes) { onDatagram(bytes); },
                     [this] { flush(); });
  actor_.start(now(), out_);
  flush();
  if (!exitCode_) io_.run();
  // Exiting: a second SIGTERM (a supervisor that signals the process and then its group) must
  // not kill the process halfway through its summary once signals_ has given the signal back
  // its default action. Blocked, it stays pending until the exit.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  int code = exitCode_.value_or(0);
  record(trace::Record::of("exit", std::to_string(code)));
  return code;
}

void Driver::onDatagram(std::span<const uint8_t> bytes) {
  if (hooks_.key) {
    auto body = hooks_.key->open(bytes);
    if (!body) {
      ++transport_.counters().unauthenticated;
      auto drop = trace::Record::of("drop");
      drop.to = transport_.self();
      record(drop);
      if (debug_)
        spdlog::debug("{}: dropped a datagram of {} bytes without a valid MAC", hooks_.label(),
                      bytes.size());
      return;
    }
    bytes = *body;
  }
  auto message = wire::decode(bytes);
  if (!message) {
    ++transport_.counters().malformed;
    auto drop = trace::Record::of("drop");
    drop.to = transport_.self();
    record(drop);
    if (debug_)
      spdlog::debug("{}: dropped a malformed datagram of {} bytes", hooks_.label(), bytes.size());
    return;
  }
  // Without a cluster key the source address is all that ties a datagram to the UID it claims
  // (docs/FAULTS.md).
  // A member outside the hosts file is checked against the address its configuration gives.
  // A UID no configuration known here names passes only under the cluster key: it may be a
  // member a PROGRESS is about to introduce, whose configuration the core then checks; without a
  // key anyone could claim one, and with it a configuration (docs/MEMBERSHIP.md).
  uint32_t from = message->from;
  if (!transport_.knows(from) && hooks_.addressOf)
    if (auto address = hooks_.addressOf(from)) transport_.learn(from, *address);
  bool known = transport_.knows(from);
  if ((known && !transport_.cameFrom(from)) || (!known && !hooks_.key)) {
    ++transport_.counters().wrongSender;
    traceMessage("drop", *message, transport_.self());
    if (debug_)
      spdlog::debug("{}: dropped {} claiming uid {} from another address", hooks_.label(),
                    wire::describe(*message, hooks_.batches), message->from);
    return;
  }
  if (faults_.drop()) {
    ++transport_.counters().injectedDrops;
    traceMessage("drop", *message, transport_.self());
    if (debug_)
      spdlog::debug("{}: drop (injected) {} from {}", hooks_.label(),
                    wire::describe(*message, hooks_.batches), message->from);
    return;
  }
  int copies = faults_.duplicate() ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    auto delay = faults_.delay();
    if (delay.count() == 0) {
      handle(*message);
      continue;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([this, timer, m = *message](std::error_code error) {
      if (error || exitCode_) return;
      handle(m);
      flush();
    });
  }
}

void Driver::handle(const wire::Message& message) {
  if (exitCode_ || out_.exitCode) return;  // an earlier step of this burst exits
  if (debug_)
    spdlog::debug("{}: recv {} from {}", hooks_.label(), wire::describe(message, hooks_.batches),
                  message.from);
  traceMessage("recv", message, transport_.self());
  if (auto event = crashEventOf(message.type); event && faults_.crashNow(*event)) {
    flush();  // the steps before this one happened: their messages leave first
    crash(*event);
  }
  actor_.receive(now(), message, out_);
}

void Driver::offerInput() {
  if (!exitCode_) flush();
}

void Driver::flush() {
  if (hooks_.feed && !exitCode_ && !out_.exitCode) hooks_.feed(now(), out_);
  apply(out_);
  arm();
}

void Driver::traceMessage(const char* event, const wire::Message& message, uint32_t to) {
  if (hooks_.trace) record(trace::TraceWriter::forMessage(event, message, to, hooks_.batches));
}

void Driver::apply(core::Outbox& out) {
  transport_.counters().refused += out.refused;
  for (const auto& note : out.notes) {
    auto level = note.level == core::Level::debug  ? spdlog::level::debug
                 : note.level == core::Level::info ? spdlog::level::info
                 : note.level == core::Level::warn ? spdlog::level::warn
                                                   : spdlog::level::err;
    spdlog::log(level, "{}: {}", hooks_.label(), note.text);
  }
  for (const auto& e : out.events) {
    auto r = trace::Record::of(e.kind, e.value);
    if (e.instance) r.instance = *e.instance;
    if (!e.ballot.none()) r.ballot = e.ballot;
    record(r);
  }
  if (out.decided || !out.output.empty() || !out.delivered.empty()) {
    if (faults_.crashNow("learn")) crash("learn");
    if (out.decided) hooks_.onDecided(*out.decided);
  }
  if (!out.delivered.empty() && hooks_.delivered) hooks_.delivered(out.delivered);
  if (hooks_.persist && out.mustPersist()) hooks_.persist(out);  // before any reply leaves
  for (auto& envelope : out.messages) {
    envelope.message.seq = ++sent_;
    if (debug_)
      spdlog::debug("{}: send {} to {}", hooks_.label(),
                    wire::describe(envelope.message, hooks_.batches), envelope.to);
    traceMessage("send", envelope.message, envelope.to);
    auto datagram = wire::encode(envelope.message);
    if (hooks_.key) hooks_.key->seal(datagram);
    if (!transport_.knows(envelope.to) && hooks_.addressOf)
      if (auto address = hooks_.addressOf(envelope.to)) transport_.learn(envelope.to, *address);
    transport_.send(envelope.to, std::move(datagram));
  }
  transport_.flush();
  // Multi mode's delivered values: stdout (logs go to stderr). After the messages: the next
  // value's REQUEST, or a client's answer, need not wait for a write to a pipe or a file.
  if (!out.output.empty()) {
    for (const auto& line : out.output) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    }
    std::fflush(stdout);
  }
  if (out.exitCode) {
    exitCode_ = out.exitCode;
    io_.stop();
  }
  out.clear();
}

void Driver::arm() {
  if (exitCode_) return;
  auto wake = actor_.nextWake();
  // A pending wait that ends no later stays: a tick before its deadline is harmless (every tick
  // checks its own deadlines, as Node's parts already must), and re-arming is a system call.
  if (armedFor_ && (!wake || *wake >= *armedFor_)) return;
  if (!wake) return;
  armedFor_ = wake;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*wake)));
  timer_.async_wait([this](std::error_code error) {
    if (error || exitCode_) return;
    armedFor_.reset();
    actor_.tick(now(), out_);
    if (!out_.messages.empty()) record(trace::Record::of("timeout"));
    flush();
  });
}

void Driver::crash(std::string_view event) {
  spdlog::warn("{}: crashing at {} (--crash-at {})", hooks_.label(), event,
               faults_.crashPoint()->event);
  record(trace::Record::of("crash", std::string(event)));
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

}  // namespace paxos::net
