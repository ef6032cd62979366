// The limits, measured once per run when a figure first needs one, each reported as a row.
#include "affinity.hpp"
#include "figures.hpp"

namespace paxos::bench {

const UdpRoundTrip& Context::udpRing(std::optional<UdpRoundTrip>& cached, int hops,
                                     const std::string& name, const std::string& how,
                                     const std::vector<int>& cpus) {
  if (!cached) {
    cached = measureUdpRing(hops, options.quick ? 3000 : 20000, 32, cpus);
    report.add({.figure = "limits",
                .name = name + " p50",
                .value = cached->p50Us,
                .unit = "us",
                .note = std::to_string(cached->roundTrips) + " trips of 32 B, " + how});
    report.add({.figure = "limits", .name = name + " p99", .value = cached->p99Us, .unit = "us"});
    report.printNew();
  }
  return *cached;
}

const UdpRoundTrip& Context::udpRoundTrip() {
  return udpRing(rtt_, 2, "UDP round trip", "echo thread");
}

const UdpRoundTrip& Context::udpRing4() {
  return udpRing(ring4_, 4, "UDP 4-hop ring", "3 relay threads");
}

const UdpRoundTrip& Context::udpRoundTripOneCore() {
  return udpRing(rttOneCore_, 2, "UDP round trip, one core", "echo thread, both on CPU 0", {0, 0});
}

const UdpRoundTrip& Context::udpRoundTripTwoCores() {
  if (usableCpus() < 2) return udpRoundTripOneCore();
  return udpRing(rttTwoCores_, 2, "UDP round trip, two cores",
                 "pinger on CPU 0, echo thread on CPU 1", {0, 1});
}

const UdpRoundTrip& Context::udpRing4OneCore() {
  return udpRing(ring4OneCore_, 4, "UDP 4-hop ring, one core", "3 relay threads, all on CPU 0",
                 {0, 0, 0, 0});
}

const UdpRate& Context::udpRate64() {
  if (!rate64_) {
    rate64_ = measureUdpRate(64, options.quick ? 0.3 : 1);
    report.add({.figure = "limits",
                .name = "UDP 64 B datagrams into one socket",
                .value = rate64_->datagramsPerSec,
                .unit = "dgrams/s",
                .note = formatNumber(rate64_->received / std::max(1.0, rate64_->sent) * 100) +
                        "% of sent arrived"});
    rate8k_ = measureUdpRate(8192, options.quick ? 0.3 : 1);
    report.add({.figure = "limits",
                .name = "UDP 8 KiB datagrams into one socket",
                .value = rate8k_->datagramsPerSec,
                .unit = "dgrams/s",
                .note = formatNumber(rate8k_->datagramsPerSec * 8192 / 1e6) + " MB/s"});
    // Multi mode batches values (a client's REQUEST, a slot's ACCEPT): one datagram carries
    // about 100 of them, so decided values/s can pass the 64 B datagram rate.
    report.printNew();
  }
  return *rate64_;
}

const UdpRate& Context::udpRate8k() {
  udpRate64();
  return *rate8k_;
}

double Context::fsyncRate() {
  if (!fsync_) {
    fsync_ = measureFsyncRate(workDir + "/fsync", options.quick ? 0.3 : 1);
    report.add({.figure = "limits",
                .name = "fsync of a 100 B append",
                .value = *fsync_,
                .unit = "fsyncs/s",
                .note = "in the work folder's file system"});
    report.printNew();
  }
  return *fsync_;
}

const ProcessFloor& Context::processFloor(int count) {
  auto it = floors_.find(count);
  if (it == floors_.end())
    it = floors_
             .emplace(count, measureProcessFloor(condriver(), count, options.quick ? 2 : 5,
                                                 workDir + "/floor"))
             .first;
  return it->second;
}

long Context::idleRssKiB() {
  if (!idleRss_) {
    idleRss_ = measureIdleRssKiB(condriver(), workDir + "/floor");
    report.add({.figure = "limits",
                .name = "condriver --help, blocked alive",
                .value = double(*idleRss_) / 1024,
                .unit = "MiB",
                .note = "peak RSS: libraries loaded, options parsed"});
    report.printNew();
  }
  return *idleRss_;
}

void Context::addLoadRss(const LoadResult& r) {
  for (auto& [uid, kib] : r.peakRssKiB) {
    const std::string& kind = r.roleOf.at(uid);
    auto& most = loadPeakRss[kind];
    most = std::max(most, kib);
  }
}

}  // namespace paxos::bench
