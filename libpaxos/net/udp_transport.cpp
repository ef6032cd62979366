#include "net/udp_transport.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "wire/codec.hpp"

namespace paxos::net {

using asio::ip::udp;

namespace {

udp::endpoint resolve(asio::io_context& io, const config::Host& host) {
  udp::resolver resolver(io);
  std::error_code error;
  auto results = resolver.resolve(udp::v4(), host.name, std::to_string(host.port), error);
  if (error || results.empty())
    throw std::runtime_error(fmt::format("cannot resolve host '{}' (line {}): {}", host.name,
                                         host.line, error ? error.message() : "no IPv4 address"));
  return results.begin()->endpoint();
}

}  // namespace

UdpTransport::UdpTransport(asio::io_context& io, const config::Hosts& hosts, uint32_t self)
    : self_(self), socket_(io), buffer_(wire::kMaxDatagram + 1) {
  for (const auto& host : hosts.hosts) peers_.push_back(resolve(io, host));
  const auto& own = hosts.hosts.at(self);
  std::error_code error;
  socket_.open(udp::v4(), error);
  if (!error) socket_.bind(peers_[self], error);
  if (error)
    throw std::runtime_error(
        fmt::format("cannot bind {}:{}: {}", own.name, own.port, error.message()));
  // Bursts (START to every node, ACCEPTED to every learner) must not overflow a small default.
  socket_.set_option(asio::socket_base::receive_buffer_size(1 << 20), error);
  socket_.non_blocking(true, error);
}

void UdpTransport::receive(Handler handler, std::function<void()> burstEnd) {
  handler_ = std::move(handler);
  burstEnd_ = std::move(burstEnd);
  receiveNext();
}

void UdpTransport::receiveNext() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_, [this](std::error_code error, size_t size) {
        if (error == asio::error::operation_aborted) return;
        // Then whatever else is queued, without going back to the event loop for each: under
        // load most wake-ups find many datagrams waiting.
        for (int read = 1;; ++read) {
          // Errors (e.g. ICMP port unreachable) are transient: read on.
          if (!error) {
            ++counters_.received;
            handler_(std::span<const uint8_t>(buffer_.data(), size));
          }
          if (read == kBurst || !socket_.is_open()) break;
          size = socket_.receive_from(asio::buffer(buffer_), sender_, 0, error);
          if (error == asio::error::would_block) break;
        }
        burstEnd_();
        if (socket_.is_open()) receiveNext();
      });
}

void UdpTransport::send(uint32_t to, std::span<const uint8_t> bytes) {
  if (to >= peers_.size()) return;
  std::error_code error;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), peers_[to], 0, error);
  if (error)
    ++counters_.sendErrors;  // lost like any datagram; the sender's resend covers it
  else
    ++counters_.sent;
}

}  // namespace paxos::net
