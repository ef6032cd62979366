// One UDP socket bound to this process's host line, and the resolved address of every other
// UID. Sends are fire-and-forget (the core resends what matters), queued and then given to the
// kernel together by flush(); receives call a handler with the raw bytes, a burst at a time:
// every datagram already queued (up to kBurst), then the burst's end, so a driver can persist
// and send once per burst. A burst is one recvmmsg and its answers one sendmmsg: a system call
// per datagram was a third of a node's system calls at one value in flight (docs/BENCHMARKS.md).
// Nothing here knows the protocol.
#pragma once

#include <sys/socket.h>

#include <array>
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "config/hosts.hpp"

namespace paxos::net {

struct Counters {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t sendErrors = 0;
  // Dropped, counted by the driver: no valid MAC; did not decode; claimed a UID whose address it
  // did not come from; refused by the core (another hosts hash, unknown UID, forged or absurd
  // ballot).
  uint64_t unauthenticated = 0;  // no valid MAC (with a cluster key)
  uint64_t malformed = 0;
  uint64_t wrongSender = 0;
  uint64_t refused = 0;
  uint64_t injectedDrops = 0;
};

class UdpTransport {
 public:
  using Handler = std::function<void(std::span<const uint8_t>)>;
  static constexpr size_t kBurst = 64;  // datagrams read before the burst ends and others run

  // Resolves every host line and binds this UID's (or `bind`: a UID outside the hosts file that
  // joins, docs/MEMBERSHIP.md). Throws std::runtime_error with a one-line reason ("cannot bind
  // localhost:10000: Address already in use").
  UdpTransport(asio::io_context& io, const config::Hosts& hosts, uint32_t self,
               std::optional<config::HttpAddress> bind = std::nullopt);

  void receive(Handler handler, std::function<void()> burstEnd);
  // Queues a datagram for `to` (dropped if its address is unknown); flush() sends the queue.
  void send(uint32_t to, std::vector<uint8_t> datagram);
  void flush();
  Counters& counters() { return counters_; }
  // Whether the datagram being handled came from uid's address (valid inside the handler).
  bool cameFrom(uint32_t uid) const {
    const auto* peer = find(uid);
    return peer && sender_ == *peer;
  }
  // Whether it has an address for `uid`; learn() gives it one: a member the hosts file does not
  // list, from a configuration ("HOST:PORT", resolved now). False if it does not resolve.
  bool knows(uint32_t uid) const { return find(uid) != nullptr; }
  bool learn(uint32_t uid, const config::HttpAddress& address);
  uint32_t self() const { return self_; }

 private:
  void receiveNext();  // waits until the socket is readable, then drains it
  void drain();
  const asio::ip::udp::endpoint* find(uint32_t uid) const;

  asio::io_context& io_;
  uint32_t self_;
  asio::ip::udp::socket socket_;
  std::vector<asio::ip::udp::endpoint> peers_;          // index is the UID
  std::map<uint32_t, asio::ip::udp::endpoint> joined_;  // UIDs outside the hosts file
  std::vector<uint8_t> buffers_;           // kBurst datagrams of up to kMaxDatagram + 1 bytes
  std::array<mmsghdr, kBurst> headers_{};  // recvmmsg's, into buffers_ and from_
  std::array<iovec, kBurst> pieces_{};
  std::array<sockaddr_storage, kBurst> from_{};
  asio::ip::udp::endpoint sender_;
  struct Outgoing {
    asio::ip::udp::endpoint to;
    std::vector<uint8_t> bytes;
  };
  std::vector<Outgoing> outgoing_;
  Handler handler_;
  std::function<void()> burstEnd_;
  Counters counters_;
};

}  // namespace paxos::net
