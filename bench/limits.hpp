// The physical limits each figure is held against, measured on this machine in the same run:
// loopback UDP (round trip, datagram rate), the disk's fsync rate, and the floor of starting
// and reaping processes of the driver binary.
#pragma once

#include <string>
#include <vector>

namespace paxos::bench {

struct UdpRoundTrip {
  double p50Us = 0, p99Us = 0, p999Us = 0;
  int roundTrips = 0;
};
// A `bytes`-byte datagram sent round a ring of `hops` sockets with blocking receives: the pinger
// and hops-1 relay threads, each on its own socket. hops = 2 is the echo pair (the UDP round
// trip); hops = 4 is the shortest path of a multi-mode value (client, proposer, acceptor,
// learner), with no protocol work at all. `cpus`, if given, pins thread i (0: the pinger) to
// cpus[i]: {0, 0} is a round trip on one core, {0, 1} one across two.
UdpRoundTrip measureUdpRing(int hops, int roundTrips, int bytes = 32,
                            const std::vector<int>& cpus = {});

struct UdpRate {
  double datagramsPerSec = 0;
  double sent = 0, received = 0;
};
// One thread blasts `bytes`-byte datagrams at another thread's socket (1 MiB receive buffer,
// as the transport asks for) for `seconds`; the rate is what the receiver got.
UdpRate measureUdpRate(int bytes, double seconds);

// Appends of `bytes` bytes, each followed by fsync, to a file in `dir` for `seconds`: the
// ceiling on durable steps per second of one process (an acceptor fsyncs before it replies).
double measureFsyncRate(const std::string& dir, double seconds, int bytes = 100);

struct ProcessFloor {
  double launchToExitMs = 0;  // median over runs: `count` processes started at once, all reaped
};
// Starts `count` copies of `program --help` at once and waits for all; median over `runs`.
ProcessFloor measureProcessFloor(const std::string& program, int count, int runs,
                                 const std::string& dir);

// Peak RSS (KiB) of `program --help` caught alive: its stdout is a full pipe, so it blocks in
// its write with its libraries loaded and its options parsed. The memory floor of the binary.
long measureIdleRssKiB(const std::string& program, const std::string& dir);

}  // namespace paxos::bench
