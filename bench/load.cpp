#include "load.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster_run.hpp"
#include "process_group.hpp"

namespace paxos::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kProposer = 0, kLearner = 4, kFirstClient = 5;

long fileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? long(st.st_size) : 0;
}

double since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

// The MICROS field of "decided SLOT VALUE MICROS" lines, after the first `skip` of them.
void readLatencies(const std::string& text, size_t skip, std::vector<double>& out) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) break;
    size_t space = text.rfind(' ', end);
    if (space != std::string::npos && space > at && text.compare(at, 8, "decided ") == 0) {
      char* stop = nullptr;
      double micros = std::strtod(text.c_str() + space + 1, &stop);
      if (stop == text.c_str() + end) {
        if (skip > 0)
          --skip;
        else
          out.push_back(micros);
      }
    }
    at = end + 1;
  }
}

}  // namespace

std::string valuesFile(const std::string& dir, int client, size_t count, int bytes) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/client-" + std::to_string(client) + "-" + std::to_string(count) + "-" +
                     std::to_string(bytes) + ".in";
  if (fileSize(path) == long(count) * (bytes + 1)) return path;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string line(size_t(bytes), 'v');
  line.push_back('\n');
  char head[48];
  for (size_t i = 0; i < count; ++i) {
    int n = std::snprintf(head, sizeof head, "c%d-%zu-", client, i);
    line.replace(0, size_t(std::min(n, bytes)), head, size_t(std::min(n, bytes)));
    out.write(line.data(), long(line.size()));
  }
  return path;
}

LoadResult runLoad(const LoadSpec& spec, const std::string& inputDir, int runIndex) {
  LoadResult result;
  test::Scenario s;
  s.name = spec.name;
  s.multi = true;
  s.proposers = 1, s.acceptors = 3, s.learners = 1;
  double budget = spec.warmupSeconds + spec.seconds + 20;
  s.limit = std::chrono::milliseconds(long(budget * 1000));
  for (int i = 0; i < spec.clients; ++i) {
    s.clients.push_back({"-", 0});
    s.stdinFiles[kFirstClient + i] = valuesFile(inputDir, i, spec.valuesPerClient, spec.valueBytes);
  }
  s.clientArgs = {"--window", std::to_string(spec.window), "--timeout", "10000"};
  s.clientArgs.push_back("--latency");  // per-value micros on each output line
  if (spec.rate > 0) s.clientArgs.insert(s.clientArgs.end(), {"--rate", std::to_string(spec.rate)});
  if (spec.durability != Durability::memory) s.dataDir = true;
  if (spec.durability == Durability::none) s.nodeArgs = {"--durability", "none"};

  test::Cluster cluster(s, runIndex);
  result.dir = cluster.dir();
  for (int uid = 0; uid < cluster.size(); ++uid)
    result.roleOf[uid] = uid == kProposer  ? "proposer"
                         : uid < kLearner  ? "acceptor"
                         : uid == kLearner ? "learner"
                                           : "client";
  std::string learnerOut = cluster.dir() + "/" + std::to_string(kLearner) + ".out";
  auto lineBytes = long(spec.valueBytes + 1);
  auto count = [&] { return fileSize(learnerOut) / lineBytes; };
  auto clientsDone = [&] {
    for (int uid = kFirstClient; uid < cluster.size(); ++uid)
      if (!cluster.exited(uid)) return false;
    return true;
  };
  auto exitedBelow = [&](int end) {  // some process with a UID below `end` exited
    for (int uid = 0; uid < end; ++uid)
      if (cluster.exited(uid)) return true;
    return false;
  };
  auto nodeDied = [&] { return exitedBelow(kFirstClient); };

  cluster.startAll();
  auto t0 = cluster.started();
  auto deadline = t0 + s.limit;
  auto tick = std::chrono::milliseconds(10);
  // The first delivered value: the cluster elected, assigned roles and ran phase 1.
  Clock::time_point first{};
  while (Clock::now() < deadline) {
    if (count() > 0) {
      first = Clock::now();
      break;
    }
    if (clientsDone() || nodeDied()) break;
    std::this_thread::sleep_for(tick);
  }
  if (first == Clock::time_point{}) {
    result.error = "no value delivered (run folder " + cluster.dir() + ")";
  } else {
    result.startupMs = since(t0, first) * 1000;
    // Warm-up, then measure from (t1, c1); each change of the count is remembered so that
    // clients running out of values end the measurement where delivery stopped.
    auto t1 = first + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(spec.warmupSeconds));
    while (Clock::now() < t1 && !clientsDone()) std::this_thread::sleep_for(tick);
    bool early = clientsDone();
    if (early) t1 = first;  // too few values for a warm-up: measure from the first delivery
    long c1 = early ? 1 : count();
    // CPU of every process over the same window as the count (all of them are still running).
    auto cpuNow = [&] {
      double total = 0;
      for (int uid = 0; uid < cluster.size(); ++uid) total += test::cpuSeconds(cluster.pid(uid));
      return total;
    };
    double cpu1 = cpuNow();
    auto end = t1 + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(spec.seconds));
    long lastCount = c1;
    Clock::time_point lastChange = early ? first : t1;
    Clock::time_point doneAt{};
    // CPU is sampled every tenth tick while every process still runs (a client that runs out
    // of values exits and takes its CPU time with it): the last such sample counts. Exits are
    // checked after the read, so every process counted was alive during it.
    for (int ticks = 0;; ++ticks) {
      bool done = clientsDone();
      long c = count();
      auto now = Clock::now();
      if (c != lastCount) lastCount = c, lastChange = now;
      if (ticks % 10 == 9 && c > c1) {
        double cpu = cpuNow();
        if (!exitedBelow(cluster.size()))
          result.cpuSecondsPerMillion = (cpu - cpu1) / double(c - c1) * 1e6;
      }
      if (done) {
        doneAt = now;
        break;
      }
      if (now >= end || now >= deadline || nodeDied()) break;
      std::this_thread::sleep_for(tick);
    }
    // One more look: lines written before the clients' exit were seen by the final count.
    long c = count();
    if (c != lastCount) lastCount = c, lastChange = Clock::now();
    result.ranOut = doneAt != Clock::time_point{};

    if (result.ranOut) result.clientsDoneMs = since(t0, doneAt) * 1000;
    auto stop = result.ranOut ? lastChange : Clock::now();
    result.measuredSeconds = since(t1, stop);
    if (result.measuredSeconds > 0)
      result.valuesPerSec = double(lastCount - c1) / result.measuredSeconds;
    result.ok = result.valuesPerSec > 0;
    if (!result.ok) result.error = "no values delivered while measuring (" + cluster.dir() + ")";
  }
  // Peak RSS is read while each process still runs (VmHWM); one that exited is left out.
  for (int uid = 0; uid < cluster.size(); ++uid)
    if (!cluster.exited(uid)) result.peakRssKiB[uid] = test::peakRssSoFarKiB(cluster.pid(uid));
  for (int uid = 0; uid < cluster.size(); ++uid) cluster.kill(uid);
  cluster.waitAll();
  result.delivered = size_t(count());
  for (int uid = kFirstClient; uid < cluster.size(); ++uid)
    readLatencies(test::readFile(cluster.dir() + "/" + std::to_string(uid) + ".out"),
                  spec.skipLatencies, result.latencyUs);
  return result;
}

}  // namespace paxos::bench
