// Figure "scenario": launch-to-exit wall time of the seed's three scenarios, against the floor of
// starting and reaping as many driver processes that do nothing.
#include <set>

#include "cluster_run.hpp"
#include "figures.hpp"
#include "stats.hpp"

namespace paxos::bench {
namespace {

// Every process exited 0 by itself and every client printed the same decision.
std::string problem(const test::Outcome& o, size_t clients) {
  if (!o.allExited) return "not every process exited in time: " + o.describe();
  for (auto& [uid, code] : o.status)
    if (code != 0) return "uid " + std::to_string(uid) + " exited " + std::to_string(code);
  auto decisions = o.clientDecisions();
  if (decisions.size() != clients) return "a client printed no decision: " + o.describe();
  std::set<std::string> distinct;
  for (auto& [uid, value] : decisions) distinct.insert(value);
  if (distinct.size() != 1) return "clients disagree: " + o.describe();
  return "";
}

}  // namespace

void scenarioFigure(Context& c) {
  struct Seed {
    const char* label;
    test::Scenario scenario;
  };
  std::vector<Seed> seeds = {
      {"run.sh", test::seedRun()}, {"run2.sh", test::seedRun2()}, {"run3.sh", test::seedRun3()}};
  for (auto& [label, scenario] : seeds) {
    int processes =
        scenario.proposers + scenario.acceptors + scenario.learners + int(scenario.clients.size());
    std::vector<double> times;
    std::string firstProblem;
    int failures = 0;
    for (int run = 0; run < c.options.runs; ++run) {
      test::Outcome o = test::runCluster(scenario, c.nextRun++);
      std::string p = problem(o, scenario.clients.size());
      if (p.empty())
        times.push_back(o.elapsedMs);
      else if (failures++ == 0)
        firstProblem = p;
    }
    std::string name = std::string(label) + " launch to exit";
    if (times.empty()) {
      c.report.fail("scenario", name, firstProblem);
      c.report.printNew();
      continue;
    }
    const ProcessFloor& floor = c.processFloor(processes);
    std::string note =
        std::to_string(times.size()) + " runs, " + std::to_string(processes) + " processes";
    if (failures > 0)
      note += "; " + std::to_string(failures) + " runs FAILED, first: " + firstProblem;
    Row median{.figure = "scenario",
               .name = name + " p50",
               .value = bench::median(times),
               .unit = "ms",
               .limit = floor.launchToExitMs,
               .limitName = std::to_string(processes) + " x driver --help",
               .note = note};
    if (std::string(label) == "run.sh") {
      median.target = "<= 50 ms";
      median.met = *median.value <= 50;
    }
    c.report.add(median);
    c.report.add({.figure = "scenario",
                  .name = name + " p90",
                  .value = quantile(times, 0.9),
                  .unit = "ms",
                  .limit = floor.launchToExitMs,
                  .limitName = std::to_string(processes) + " x driver --help"});
    if (failures > 0) c.report.fail("scenario", std::string(label) + " correctness", note);
  }
  c.report.printNew();
}

}  // namespace paxos::bench
