#include "net/udp_transport.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "wire/codec.hpp"

namespace paxos::net {

using asio::ip::udp;

namespace {

constexpr size_t kSlot = wire::kMaxDatagram + 1;  // a longer datagram shows up as too long

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
    : io_(io), self_(self), socket_(io), buffers_(kBurst * kSlot) {
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
  for (size_t i = 0; i < kBurst; ++i) {
    pieces_[i] = {buffers_.data() + i * kSlot, kSlot};
    headers_[i].msg_hdr.msg_iov = &pieces_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &from_[i];
  }
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
  socket_.async_wait(udp::socket::wait_read, [this](std::error_code error) {
    if (error == asio::error::operation_aborted || !socket_.is_open()) return;
    drain();
  });
}

void UdpTransport::drain() {
  // The headers point into buffers_ and from_ once and for all; only the lengths change.
  for (auto& h : headers_) h.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  int n = ::recvmmsg(socket_.native_handle(), headers_.data(), kBurst, MSG_DONTWAIT, nullptr);
  for (size_t i = 0; i < size_t(std::max(n, 0)); ++i) {
    ++counters_.received;
    std::memcpy(sender_.data(), &from_[i], headers_[i].msg_hdr.msg_namelen);
    handler_(std::span<const uint8_t>(buffers_.data() + i * kSlot, headers_[i].msg_len));
  }
  if (n > 0) burstEnd_();
  if (!socket_.is_open()) return;
  // The socket is watched edge-triggered: wait again only once it is empty. A full burst or an
  // error (an ICMP port unreachable, transient) may leave datagrams: read on, after whatever
  // else is ready.
  if (n == kBurst || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
    asio::post(io_, [this] {
      if (socket_.is_open()) drain();
    });
  else
    receiveNext();
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

void UdpTransport::send(uint32_t to, std::vector<uint8_t> datagram) {
  if (const udp::endpoint* peer = find(to)) outgoing_.push_back({*peer, std::move(datagram)});
}

void UdpTransport::flush() {
  for (size_t first = 0; first < outgoing_.size(); first += kBurst) {
    size_t count = std::min<size_t>(kBurst, outgoing_.size() - first);
    std::array<mmsghdr, kBurst> headers;
    std::array<iovec, kBurst> pieces;
    for (size_t i = 0; i < count; ++i) {
      Outgoing& o = outgoing_[first + i];
      pieces[i] = {o.bytes.data(), o.bytes.size()};
      headers[i] = {};
      headers[i].msg_hdr.msg_iov = &pieces[i];
      headers[i].msg_hdr.msg_iovlen = 1;
      headers[i].msg_hdr.msg_name = o.to.data();
      headers[i].msg_hdr.msg_namelen = socklen_t(o.to.size());
    }
    // sendmmsg stops at the first datagram it cannot send: count it lost (the sender's resend
    // covers it, as for any datagram) and go on with the next.
    for (size_t done = 0; done < count;) {
      int n = ::sendmmsg(socket_.native_handle(), headers.data() + done, unsigned(count - done), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++counters_.sendErrors;
        ++done;
        continue;
      }
      counters_.sent += uint64_t(n);
      done += size_t(n);
    }
  }
  outgoing_.clear();
}

}  // namespace paxos::net
