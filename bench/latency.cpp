// Figure "latency": multi mode, one client, one value in flight; per-value latency beside the
// loopback UDP round trip. A value needs at least four one-way hops (client, proposer,
// acceptors, learner, client), two round trips, so the floor is 2x.
#include "figures.hpp"
#include "load.hpp"
#include "stats.hpp"

namespace paxos::bench {

void latencyFigure(Context& c) {
  const UdpRoundTrip& rtt = c.udpRoundTrip();
  const UdpRoundTrip& ring = c.udpRing4();
  LoadSpec spec;
  spec.name = "latency";
  spec.clients = 1;
  spec.window = 1;
  spec.valuesPerClient = c.options.quick ? 300 : 5000;
  spec.durability = Durability::memory;
  spec.warmupSeconds = 0;
  spec.seconds = 120;  // ends when the client has every value decided
  LoadResult r = runLoad(spec, c.workDir + "/inputs", c.nextRun++);
  if (!r.ok) {
    c.report.fail("latency", "per value", r.error);
    c.report.printNew();
    return;
  }
  std::string note = std::to_string(r.delivered) + " values, no --data-dir";
  if (!r.ranOut) note += ", client did not finish";
  if (!r.latencyUs.empty()) {
    double p50 = quantile(r.latencyUs, 0.5);
    Row row{.figure = "latency",
            .name = "p50 per value",
            .value = p50,
            .unit = "us",
            .limit = rtt.p50Us,
            .limitName = "UDP round trip p50",
            .target = "<= 3x limit",
            .note = note};
    row.met = p50 <= 3 * rtt.p50Us;
    c.report.add(row);
    c.report.add({.figure = "latency",
                  .name = "p50 per value, against 4 hops",
                  .value = p50,
                  .unit = "us",
                  .limit = ring.p50Us,
                  .limitName = "UDP 4-hop ring p50"});
    c.report.add({.figure = "latency",
                  .name = "p99 per value",
                  .value = quantile(r.latencyUs, 0.99),
                  .unit = "us",
                  .limit = rtt.p99Us,
                  .limitName = "UDP round trip p99"});
    c.report.add({.figure = "latency",
                  .name = "p999 per value",
                  .value = quantile(r.latencyUs, 0.999),
                  .unit = "us",
                  .limit = rtt.p999Us,
                  .limitName = "UDP round trip p999"});
  } else {
    c.report.fail("latency", "p50 per value", "no MICROS field in the client's output");
  }
  // Wall time over values: with one in flight, the mean latency.
  c.report.add({.figure = "latency",
                .name = "mean per value (wall)",
                .value = 1e6 / r.valuesPerSec,
                .unit = "us",
                .limit = rtt.p50Us,
                .limitName = "UDP round trip p50",
                .note = "measured over " + formatNumber(r.measuredSeconds) + " s"});
  c.report.printNew();
}

}  // namespace paxos::bench
