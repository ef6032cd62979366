// Figure "memory": peak RSS per process kind under the saturating load (VmHWM), and
// the RSS of each node at rest, shortly after the election of a basic-mode cluster. The limit is
// the peak RSS of the same binary doing nothing (`--help`, caught alive): its libraries' floor.
#include <chrono>
#include <thread>

#include "cluster_run.hpp"
#include "figures.hpp"
#include "load.hpp"

namespace paxos::bench {
namespace {

constexpr double kMiB = 1024;

// A basic-mode cluster (1 proposer, 3 acceptors, 1 learner; its client never started): each
// node's VmRSS 0.5 s after every node knows its role. Empty if the election did not finish.
std::map<std::string, long> atRest(Context& c, std::string& problem) {
  test::Scenario s;
  s.name = "memory-rest";
  s.proposers = 1, s.acceptors = 3, s.learners = 1;
  s.clients = {{"7", 0}};
  s.limit = std::chrono::seconds(10);
  test::Cluster cluster(s, c.nextRun++);
  for (int uid = 0; uid < cluster.consensus(); ++uid) cluster.start(uid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::map<std::string, long> most;
  for (int uid = 0; uid < cluster.consensus(); ++uid) {
    while (cluster.log(uid, 0).find("; my role: ") == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline || cluster.exited(uid)) {
        problem = "uid " + std::to_string(uid) + " learned no role (" + cluster.dir() + ")";
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const char* kinds[] = {"proposer", "acceptor", "acceptor", "acceptor", "learner"};
  for (int uid = 0; uid < cluster.consensus(); ++uid) {
    long kib = test::rssKiB(cluster.pid(uid));
    auto& m = most[kinds[uid]];
    m = std::max(m, kib);
  }
  for (int uid = 0; uid < cluster.consensus(); ++uid) cluster.kill(uid);
  cluster.waitAll();
  return most;
}

}  // namespace

void memoryFigure(Context& c) {
  double floor = double(c.idleRssKiB()) / kMiB;
  std::string floorName = "condriver doing nothing";
  if (c.loadPeakRss.empty()) {  // no throughput figure in this run: a short load of its own
    LoadSpec spec;
    spec.name = "memory-load";
    spec.clients = 4;
    spec.window = 1024;
    spec.durability = Durability::none;
    spec.warmupSeconds = 0.3;
    spec.seconds = c.options.quick ? 0.7 : 2;
    spec.valuesPerClient =
        c.options.quick ? 100000 : 400000;  // more than it can deliver: all alive at the reading
    LoadResult r = runLoad(spec, c.workDir + "/inputs", c.nextRun++);
    if (!r.ok) c.report.fail("memory", "peak under load", r.error);
    c.addLoadRss(r);
  }
  for (const char* kind : {"proposer", "acceptor", "learner", "client"}) {
    auto it = c.loadPeakRss.find(kind);
    if (it == c.loadPeakRss.end() || it->second <= 0) continue;
    std::string note = kind == std::string("client") ? "holds all its input values" : "";
    c.report.add({.figure = "memory",
                  .name = std::string("peak under load, ") + kind,
                  .value = double(it->second) / kMiB,
                  .unit = "MiB",
                  .limit = floor,
                  .limitName = floorName,
                  .note = note});
  }
  std::string problem;
  auto rest = atRest(c, problem);
  if (rest.empty()) c.report.fail("memory", "at rest", problem);
  for (auto& [kind, kib] : rest) {
    Row row{.figure = "memory",
            .name = "at rest, " + kind,
            .value = double(kib) / kMiB,
            .unit = "MiB",
            .limit = floor,
            .limitName = floorName,
            .target = "<= 10 MiB"};
    row.met = kib <= 10 * 1024;
    c.report.add(row);
  }
  c.report.printNew();
}

}  // namespace paxos::bench
