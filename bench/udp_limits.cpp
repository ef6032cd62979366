#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "affinity.hpp"
#include "limits.hpp"
#include "process_group.hpp"
#include "stats.hpp"

namespace paxos::bench {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in addressOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return addr;
}

void setTimeout(int fd, std::chrono::milliseconds limit) {
  timeval tv{static_cast<time_t>(limit.count() / 1000),
             static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Both sockets are connected to each other, so send/recv need no address.
bool pair(int a, int b) {
  sockaddr_in aa = addressOf(a), bb = addressOf(b);
  return connect(a, reinterpret_cast<sockaddr*>(&bb), sizeof bb) == 0 &&
         connect(b, reinterpret_cast<sockaddr*>(&aa), sizeof aa) == 0;
}

}  // namespace

UdpRoundTrip measureUdpRing(int hops, int roundTrips, int bytes, const std::vector<int>& cpus) {
  UdpRoundTrip result;
  auto cpuOf = [&](int thread) { return std::vector<int>{cpus.at(size_t(thread))}; };
  std::optional<CpuPin> pinger;
  if (!cpus.empty()) pinger.emplace(cpuOf(0));
  // Socket 0 is the pinger; socket i (1..hops-1) belongs to relay thread i, which sends what it
  // gets to socket i+1 (the last one back to 0). Two hops: an echo pair.
  std::vector<int> fds;
  std::vector<sockaddr_in> addrs;
  for (int i = 0; i < hops; ++i) {
    int fd = test::bindLoopbackUdp(0);
    if (fd < 0) break;
    fds.push_back(fd);
    addrs.push_back(addressOf(fd));
  }
  auto closeAll = [&] {
    for (int fd : fds) close(fd);
  };
  if (int(fds.size()) != hops) {
    closeAll();
    return result;
  }
  auto sendTo = [&](int from, const char* data, size_t n) {
    const sockaddr_in& to = addrs[size_t(from + 1) % addrs.size()];
    sendto(fds[size_t(from)], data, n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  };
  std::vector<std::thread> relays;
  for (int i = 1; i < hops; ++i) {
    setTimeout(fds[size_t(i)], std::chrono::milliseconds(1000));  // ends if the pinger is gone
    relays.emplace_back([&, i] {
      std::optional<CpuPin> pin;
      if (!cpus.empty()) pin.emplace(cpuOf(i));
      char buffer[65536];
      for (;;) {
        ssize_t n = recv(fds[size_t(i)], buffer, sizeof buffer, 0);
        if (n <= 0) return;
        sendTo(i, buffer, size_t(n));  // a 'q' goes on round the ring, then each relay stops
        if (n == 1 && buffer[0] == 'q') return;
      }
    });
  }
  setTimeout(fds[0], std::chrono::milliseconds(100));  // a lost datagram is sent again
  std::vector<char> message(size_t(bytes), 'x'), reply(65536);
  std::vector<double> samples;
  samples.reserve(size_t(roundTrips));
  int warmup = std::max(100, roundTrips / 20);
  for (int i = 0; i < warmup + roundTrips; ++i) {
    auto start = Clock::now();
    ssize_t n = -1;
    for (int attempt = 0; attempt < 10 && n <= 0; ++attempt) {
      sendTo(0, message.data(), message.size());
      n = recv(fds[0], reply.data(), reply.size(), 0);
    }
    if (n <= 0) break;
    if (i >= warmup)
      samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  sendTo(0, "q", 1);
  for (auto& t : relays) t.join();
  closeAll();
  result.roundTrips = int(samples.size());
  result.p50Us = quantile(samples, 0.5);
  result.p99Us = quantile(samples, 0.99);
  result.p999Us = quantile(samples, 0.999);
  return result;
}

UdpRate measureUdpRate(int bytes, double seconds) {
  UdpRate result;
  int receiver = test::bindLoopbackUdp(0), sender = test::bindLoopbackUdp(0);
  if (receiver < 0 || sender < 0 || !pair(receiver, sender)) {
    if (receiver >= 0) close(receiver);
    if (sender >= 0) close(sender);
    return result;
  }
  int size = 1 << 20;
  setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setTimeout(receiver, std::chrono::milliseconds(200));
  std::atomic<bool> stop{false};
  long received = 0;
  Clock::time_point first{}, last{};
  std::thread counter([&] {
    std::vector<char> buffer(65536);
    for (;;) {
      ssize_t n = recv(receiver, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        if (stop) return;
        continue;
      }
      last = Clock::now();
      if (received++ == 0) first = last;
    }
  });
  std::vector<char> message(size_t(bytes), 'x');
  long sent = 0;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end)
    for (int i = 0; i < 64; ++i)
      if (send(sender, message.data(), message.size(), 0) > 0) ++sent;
  stop = true;
  counter.join();  // returns once 200 ms pass without a datagram
  close(receiver);
  close(sender);
  result.sent = double(sent);
  result.received = double(received);
  double span = std::chrono::duration<double>(last - first).count();
  if (received > 1 && span > 0) result.datagramsPerSec = double(received - 1) / span;
  return result;
}

}  // namespace paxos::bench
