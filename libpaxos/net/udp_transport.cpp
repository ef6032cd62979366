#include "net/udp_transport.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "wire/codec.hpp"

namespace paxos::net {

using asio::ip::udp;

namespace {

std::optional<udp::endpoint> lookup(asio::io_context& io, const std::string& name, uint16_t port,
                                    std::string& why) {
  udp::resolver resolver(io);
  std::error_code error;
  auto results = resolver.resolve(udp::v4(), name, std::to_string(port), error);
  if (error || results.empty()) {
    why = error ? error.message() : "no IPv4 address";
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

udp::endpoint resolve(asio::io_context& io, const config::Host& host) {
  std::string why;
  auto endpoint = lookup(io, host.name, host.port, why);
  if (!endpoint)
    throw std::runtime_error(
        fmt::format("cannot resolve host '{}' (line {}): {}", host.name, host.line, why));
  return *endpoint;
}

}  // namespace

UdpTransport::UdpTransport(asio::io_context& io, const config::Hosts& hosts, uint32_t self,
                           std::optional<config::HttpAddress> bind)
    : io_(io), self_(self), socket_(io), buffer_(wire::kMaxDatagram + 1) {
  for (const auto& host : hosts.hosts) peers_.push_back(resolve(io, host));
  config::HttpAddress own =
      bind ? *bind : config::HttpAddress{hosts.hosts.at(self).name, hosts.hosts.at(self).port};
  if (bind && !learn(self, *bind))
    throw std::runtime_error(fmt::format("cannot resolve {}", config::httpText(*bind)));
  std::error_code error;
  socket_.open(udp::v4(), error);
  if (!error) socket_.bind(*find(self), error);
  if (error)
    throw std::runtime_error(
        fmt::format("cannot bind {}:{}: {}", own.host, own.port, error.message()));
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

const udp::endpoint* UdpTransport::find(uint32_t uid) const {
  if (uid < peers_.size()) return &peers_[uid];
  auto it = joined_.find(uid);
  return it == joined_.end() ? nullptr : &it->second;
}

bool UdpTransport::learn(uint32_t uid, const config::HttpAddress& address) {
  std::string why;
  auto endpoint = lookup(io_, address.host, address.port, why);
  if (!endpoint) return false;
  joined_[uid] = *endpoint;
  return true;
}

void UdpTransport::send(uint32_t to, std::span<const uint8_t> bytes) {
  const udp::endpoint* peer = find(to);
  if (!peer) return;
  std::error_code error;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), *peer, 0, error);
  if (error)
    ++counters_.sendErrors;  // lost like any datagram; the sender's resend covers it
  else
    ++counters_.sent;
}

}  // namespace paxos::net
