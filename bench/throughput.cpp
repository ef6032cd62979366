// Figure "throughput": multi mode, 3 acceptors, 64-byte values. A load sweep from one value in
// flight to saturation (the plot's points), then saturating runs with --durability none and with
// fsync. Limits: every value is at least one REQUEST datagram into the single leader, so the
// loopback rate of 64-byte datagrams into one receiver bounds the first; the disk's fsync rate
// (values per fsync as the ratio) the second. Each saturating run also reports the CPU seconds
// all its processes spent per million values (issue 16).
#include <algorithm>
#include <cmath>

#include "figures.hpp"
#include "load.hpp"
#include "stats.hpp"

namespace paxos::bench {
namespace {

constexpr size_t kMaxValuesPerRun = 4'000'000;  // 260 MB of input: bounds the disk a run uses

// Values each client needs to keep delivering at `rate` for the run, with a margin.
size_t valuesPerClient(double rate, const LoadSpec& spec) {
  double total = 2.0 * rate * (spec.warmupSeconds + spec.seconds) + 2000;
  total = std::min(total, double(kMaxValuesPerRun));
  return size_t(std::ceil(total / spec.clients));
}

std::string describe(const LoadResult& r) {
  std::string text = formatNumber(r.measuredSeconds) + " s";
  if (r.ranOut) text += ", clients ran out of values";
  if (!r.latencyUs.empty())
    text += ", p50 " + formatNumber(quantile(r.latencyUs, 0.5) / 1000) + " ms, p99 " +
            formatNumber(quantile(r.latencyUs, 0.99) / 1000) + " ms";
  return text;
}

}  // namespace

void throughputFigure(Context& c) {
  bool quick = c.options.quick;
  // The sweep: offered load from one value in flight to more than the pipeline holds.
  std::vector<std::pair<int, int>> loads =
      quick ? std::vector<std::pair<int, int>>{{1, 16}, {4, 1024}}
            : std::vector<std::pair<int, int>>{{1, 1}, {1, 8}, {1, 64}, {2, 256}, {4, 1024}};
  double best = 0;
  LoadResult saturated;
  for (auto [clients, window] : loads) {
    LoadSpec spec;
    spec.name = "sweep-" + std::to_string(clients) + "x" + std::to_string(window);
    spec.clients = clients;
    spec.window = window;
    spec.durability = Durability::none;
    spec.warmupSeconds = quick ? 0.2 : 0.5;
    spec.seconds = quick ? 0.7 : 2;
    spec.valuesPerClient = valuesPerClient(std::max(20000.0, 3 * best), spec);
    LoadResult r = runLoad(spec, c.workDir + "/inputs", c.nextRun++);
    SweepPoint point{
        .clients = clients, .window = window, .valuesPerSec = r.valuesPerSec, .ok = r.ok};
    if (!r.latencyUs.empty()) {
      point.p50Ms = quantile(r.latencyUs, 0.5) / 1000;
      point.p99Ms = quantile(r.latencyUs, 0.99) / 1000;
    }
    c.sweep.push_back(point);
    std::string name =
        "load " + std::to_string(clients) + " client(s) x window " + std::to_string(window);
    if (!r.ok) {
      c.report.fail("throughput", name, r.error);
    } else {
      c.report.add({.figure = "throughput",
                    .name = name,
                    .value = r.valuesPerSec,
                    .unit = "values/s",
                    .note = describe(r)});
      best = std::max(best, r.valuesPerSec);
    }
    c.report.printNew();
  }

  const UdpRate& udp = c.udpRate64();
  double fsyncs = c.fsyncRate();
  for (Durability d : {Durability::none, Durability::fsync}) {
    bool none = d == Durability::none;
    LoadSpec spec;
    spec.name = none ? "throughput-none" : "throughput-fsync";
    spec.clients = 4;
    spec.window = 1024;
    spec.durability = d;
    spec.warmupSeconds = quick ? 0.3 : 1;
    spec.seconds = c.options.seconds;
    spec.valuesPerClient = valuesPerClient(std::max(20000.0, 1.5 * best), spec);
    LoadResult r = runLoad(spec, c.workDir + "/inputs", c.nextRun++);
    std::string name = none ? "values/s, --durability none" : "values/s, fsync";
    if (!r.ok) {
      c.report.fail("throughput", name, r.error);
      c.report.printNew();
      continue;
    }
    Row row{.figure = "throughput", .name = name, .value = r.valuesPerSec, .unit = "values/s"};
    if (none) {
      row.limit = udp.datagramsPerSec;
      row.limitName = "UDP 64 B datagrams/s";
      row.target = ">= 200000";
      row.met = r.valuesPerSec >= 200000;
      saturated = r;
    } else {
      row.limit = fsyncs;
      row.limitName = "fsyncs/s (ratio: per)";
      row.target = ">= 50000";
      row.met = r.valuesPerSec >= 50000;
    }
    row.note = "4 clients x window 1024, " + describe(r);
    c.report.add(row);
    // Issue 16: what a value costs, every process together, against what it cost before (the
    // same measurement at 8d8c1e0, 2-core Xeon VM; run/profile.sh compares two builds side by
    // side in one sitting, docs/BENCHMARKS.md).
    std::string cpuName = none ? "CPU per value, --durability none" : "CPU per value, fsync";
    if (r.cpuSecondsPerMillion > 0) {
      double before = none ? 3.81 : 3.99;
      Row cpu{.figure = "throughput",
              .name = cpuName,
              .value = r.cpuSecondsPerMillion,
              .unit = "CPU s/M values",
              .target = "<= " + formatNumber(before / 2) + " (half of " + formatNumber(before) +
                        " before)",
              .note = "user + system of the 5 nodes and 4 clients while all of them ran"};
      cpu.met = r.cpuSecondsPerMillion <= before / 2;
      c.report.add(cpu);
    } else if (r.ok) {
      c.report.fail("throughput", cpuName, "not measured: a process exited within 100 ms");
    }
    c.report.printNew();
  }
  c.addLoadRss(saturated);
}

}  // namespace paxos::bench
