// Figure "openloop" (issue 16): latency against offered load, measured without coordinated
// omission. Four clients send at a fixed combined rate (clidriver --rate), whatever the cluster
// answers, and each value's latency counts from when it was due: once the offered rate passes
// what the cluster sustains, values wait in the clients' windows and that wait shows, where a
// closed loop (the throughput sweep) would slow its sending and hide it. Rates rise until the
// knee: delivered below 90% of offered, or p99 above 100 ms.
#include "figures.hpp"
#include "load.hpp"
#include "stats.hpp"

namespace paxos::bench {

void openLoopFigure(Context& c) {
  bool quick = c.options.quick;
  std::vector<double> rates =
      quick ? std::vector<double>{20000, 100000}
            : std::vector<double>{10000,  25000,  50000,  100000, 200000, 300000,  400000,
                                  500000, 600000, 700000, 800000, 900000, 1000000, 1200000};
  // Enough windows that the clients hold what the cluster has in flight at its peak (about
  // 1M values/s at ~3 ms): fewer would make their windows the knee.
  constexpr int kClients = 4;
  for (double rate : rates) {
    LoadSpec spec;
    spec.name = "open-" + std::to_string(long(rate));
    spec.clients = kClients;
    spec.window = 1024;
    spec.rate = rate / kClients;
    spec.durability = Durability::none;
    spec.warmupSeconds = quick ? 0.2 : 0.5;
    spec.seconds = quick ? 0.5 : 2;
    spec.valuesPerClient = size_t(spec.rate * (spec.warmupSeconds + spec.seconds)) + 1;
    spec.skipLatencies = size_t(spec.rate * spec.warmupSeconds);  // while the leader settles
    LoadResult r = runLoad(spec, c.workDir + "/inputs", c.nextRun++);
    std::string name = "offered " + formatNumber(rate) + " values/s";
    OpenPoint point{.offered = rate, .achieved = r.valuesPerSec};
    if (!r.ok || r.latencyUs.empty()) {
      c.report.fail("openloop", name, r.ok ? "no latencies in the clients' output" : r.error);
      c.report.printNew();
      break;
    }
    point.p50Ms = quantile(r.latencyUs, 0.5) / 1000;
    point.p99Ms = quantile(r.latencyUs, 0.99) / 1000;
    c.openSweep.push_back(point);
    bool knee = r.valuesPerSec < 0.9 * rate || point.p99Ms > 100;
    c.report.add({.figure = "openloop",
                  .name = name,
                  .value = r.valuesPerSec,
                  .unit = "values/s",
                  .limit = rate,
                  .limitName = "offered values/s",
                  .note = "p50 " + formatNumber(point.p50Ms) + " ms, p99 " +
                          formatNumber(point.p99Ms) + " ms, " + std::to_string(kClients) +
                          " clients, --durability none" + (knee ? "; past the knee" : "")});
    c.report.printNew();
    if (knee) break;
  }
}

}  // namespace paxos::bench
