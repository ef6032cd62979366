// Figure "scale": basic mode with n consensus nodes (1 proposer, n-2 acceptors, 1 learner) and
// one client. Time from launch to the client's decision and to every exit, the election's
// duration (from the nodes' logs), and Chang-Roberts' message count against n and n log2 n.
#include <time.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "cluster_run.hpp"
#include "figures.hpp"
#include "stats.hpp"

namespace paxos::bench {
namespace {

// Seconds since local midnight of a log line's "HH:MM:SS.micro" prefix, or -1.
double logSeconds(const std::string& line) {
  int h = 0, m = 0;
  double s = 0;
  if (std::sscanf(line.c_str(), "%d:%d:%lf", &h, &m, &s) != 3) return -1;
  return h * 3600.0 + m * 60.0 + s;
}

double secondsOfDay(std::chrono::system_clock::time_point t) {
  auto since = t.time_since_epoch();
  time_t whole = std::chrono::duration_cast<std::chrono::seconds>(since).count();
  tm local{};
  localtime_r(&whole, &local);
  double fraction = std::chrono::duration<double>(since).count() - double(whole);
  return local.tm_hour * 3600.0 + local.tm_min * 60.0 + local.tm_sec + fraction;
}

struct NodeLog {
  long electionMsgs = -1;
  double roleAt = -1;  // seconds of day when it learned its role (START from the leader)
};

NodeLog readNodeLog(const std::string& text) {
  NodeLog node;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (node.roleAt < 0 && line.find("; my role: ") != std::string::npos)
      node.roleAt = logSeconds(line);
    auto at = line.find("summary: ");
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + 9));
    std::string key, value;
    while (words >> key >> value)
      if (key == "election-msgs") node.electionMsgs = std::stol(value);
  }
  return node;
}

struct ScaleRun {
  std::string problem;
  double spawnMs = 0, electMs = 0, decideMs = 0, exitMs = 0;
  long electionMsgs = 0;
};

ScaleRun runOnce(Context& c, int n) {
  ScaleRun run;
  test::Scenario s;
  s.name = "scale-" + std::to_string(n);
  s.proposers = 1, s.acceptors = n - 2, s.learners = 1;
  s.clients = {{"7", 0}};
  s.limit = std::chrono::seconds(30);
  test::Cluster cluster(s, c.nextRun++);
  auto wallStart = std::chrono::system_clock::now();
  cluster.startAll();
  auto spawned = std::chrono::steady_clock::now();
  auto t0 = cluster.started();
  auto ms = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - t0).count();
  };
  run.spawnMs = ms(spawned);
  int client = n;
  if (!cluster.waitForLines(client, 1)) run.problem = "the client printed no decision";
  run.decideMs = ms(std::chrono::steady_clock::now());
  if (!cluster.waitAll() && run.problem.empty()) run.problem = "not every process exited in time";
  run.exitMs = cluster.outcome().elapsedMs;
  double launch = secondsOfDay(wallStart), lastRole = -1;
  for (int uid = 0; uid < n; ++uid) {
    NodeLog node = readNodeLog(cluster.log(uid, 0));
    if (node.electionMsgs < 0 || node.roleAt < 0) {
      if (run.problem.empty()) run.problem = "uid " + std::to_string(uid) + " has no summary";
      continue;
    }
    run.electionMsgs += node.electionMsgs;
    lastRole = std::max(lastRole, node.roleAt);
  }
  double elect = lastRole - launch;
  if (elect < -43200) elect += 86400;  // across midnight
  run.electMs = elect * 1000;
  if (!run.problem.empty()) run.problem += " (run folder " + cluster.dir() + ")";
  for (auto& [uid, code] : cluster.outcome().status)
    if (code != 0 && run.problem.empty())
      run.problem = "uid " + std::to_string(uid) + " exited " + std::to_string(code) +
                    " (run folder " + cluster.dir() + ")";
  return run;
}

}  // namespace

void scaleFigure(Context& c) {
  int runs = c.options.quick ? 1 : 3;
  for (int n : {3, 11, 31, 101}) {
    std::vector<double> spawn, elect, decide, exit, msgs;
    std::string problem;
    for (int i = 0; i < runs; ++i) {
      ScaleRun run = runOnce(c, n);
      if (!run.problem.empty()) {
        problem = run.problem;
        continue;
      }
      spawn.push_back(run.spawnMs);
      elect.push_back(run.electMs);
      decide.push_back(run.decideMs);
      exit.push_back(run.exitMs);
      msgs.push_back(double(run.electionMsgs));
    }
    std::string prefix = "n=" + std::to_string(n) + " ";
    if (decide.empty()) {
      c.report.fail("scale", prefix + "elect and decide", problem);
      c.report.printNew();
      continue;
    }
    const ProcessFloor& floor = c.processFloor(n + 1);
    std::string floorName = std::to_string(n + 1) + " x driver --help";
    std::string note = std::to_string(decide.size()) + " runs, median";
    if (!problem.empty()) note += "; a run FAILED: " + problem;
    c.report.add(
        {.figure = "scale", .name = prefix + "spawn all", .value = median(spawn), .unit = "ms"});
    c.report.add({.figure = "scale",
                  .name = prefix + "elect (all roles known)",
                  .value = median(elect),
                  .unit = "ms"});
    Row row{.figure = "scale",
            .name = prefix + "elect and decide",
            .value = median(decide),
            .unit = "ms",
            .limit = floor.launchToExitMs,
            .limitName = floorName,
            .note = note};
    if (n == 101) {
      row.target = "<= 1000 ms";
      row.met = *row.value <= 1000;
    }
    c.report.add(row);
    c.report.add({.figure = "scale",
                  .name = prefix + "launch to exit",
                  .value = median(exit),
                  .unit = "ms",
                  .limit = floor.launchToExitMs,
                  .limitName = floorName});
    double nlogn = n * std::log2(double(n));
    c.report.add({.figure = "scale",
                  .name = prefix + "election messages",
                  .value = median(msgs),
                  .unit = "msgs",
                  .limit = nlogn,
                  .limitName = "n log2 n",
                  .note = formatNumber(median(msgs) / n) + " per node"});
    if (!problem.empty()) c.report.fail("scale", prefix + "correctness", problem);
    c.report.printNew();
  }
}

}  // namespace paxos::bench
