#include "net/driver.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>

#include "wire/codec.hpp"

namespace paxos::net {

Driver::Driver(asio::io_context& io, UdpTransport& transport, core::Actor& actor,
               FaultInjector& faults, std::function<std::string()> label,
               std::function<void(const std::string&)> onDecided, Persist persist)
    : io_(io),
      transport_(transport),
      actor_(actor),
      faults_(faults),
      label_(std::move(label)),
      onDecided_(std::move(onDecided)),
      persist_(std::move(persist)),
      timer_(io),
      signals_(io, SIGINT, SIGTERM) {}

core::Time Driver::now() const {
  return std::chrono::steady_clock::now().time_since_epoch();
}

int Driver::run() {
  signals_.async_wait([this](std::error_code error, int signal) {
    if (error) return;
    spdlog::info("{}: signal {}: exiting", label_(), signal);
    exitCode_ = 0;
    io_.stop();
  });
  transport_.receive([this](std::span<const uint8_t> bytes) { onDatagram(bytes); });
  actor_.start(now(), out_);
  apply(out_);
  arm();
  if (!exitCode_) io_.run();
  return exitCode_.value_or(0);
}

void Driver::onDatagram(std::span<const uint8_t> bytes) {
  auto message = wire::decode(bytes);
  if (!message) {
    ++transport_.counters().malformed;
    spdlog::debug("{}: dropped a malformed datagram of {} bytes", label_(), bytes.size());
    return;
  }
  if (faults_.drop()) {
    ++transport_.counters().injectedDrops;
    spdlog::debug("{}: drop (injected) {} from {}", label_(), wire::describe(*message),
                  message->from);
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
      if (!error && !exitCode_) handle(m);
    });
  }
}

void Driver::handle(const wire::Message& message) {
  if (exitCode_) return;
  spdlog::debug("{}: recv {} from {}", label_(), wire::describe(message), message.from);
  if (auto event = crashEventOf(message.type); event && faults_.crashNow(*event)) crash(*event);
  actor_.receive(now(), message, out_);
  apply(out_);
  arm();
}

void Driver::apply(core::Outbox& out) {
  for (const auto& note : out.notes) {
    auto level = note.level == core::Level::debug  ? spdlog::level::debug
                 : note.level == core::Level::info ? spdlog::level::info
                 : note.level == core::Level::warn ? spdlog::level::warn
                                                   : spdlog::level::err;
    spdlog::log(level, "{}: {}", label_(), note.text);
  }
  if (out.decided) {
    if (faults_.crashNow("learn")) crash("learn");
    onDecided_(*out.decided);
  }
  if (persist_ && (!out.persist.empty() || out.persistRound)) persist_(out);  // before replies
  for (const auto& envelope : out.messages) {
    spdlog::debug("{}: send {} to {}", label_(), wire::describe(envelope.message), envelope.to);
    transport_.send(envelope.to, wire::encode(envelope.message));
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
  if (!wake) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*wake)));
  timer_.async_wait([this](std::error_code error) {
    if (error || exitCode_) return;
    actor_.tick(now(), out_);
    apply(out_);
    arm();
  });
}

void Driver::crash(std::string_view event) {
  spdlog::warn("{}: crashing at {} (--crash-at {})", label_(), event, faults_.crashPoint()->event);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

}  // namespace paxos::net
