// One multi-mode cluster under load: 1 proposer, 3 acceptors, 1 learner (UIDs 0, 1-3, 4) and K
// streaming clients (UIDs 5..), each proposing its own file of distinct fixed-size values with
// `window` in flight. The learner prints each delivered value on its own line, so its stdout's
// size divided by (value size + 1) counts delivered values at any moment.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace paxos::bench {

enum class Durability { memory, none, fsync };  // no --data-dir; --durability none; fsync

struct LoadSpec {
  std::string name;  // run folder name
  int clients = 1;
  int window = 1;
  size_t valuesPerClient = 1000;
  int valueBytes = 64;
  Durability durability = Durability::memory;
  double rate = 0;  // values/s per client: open loop (clidriver --rate); 0: as the window allows
  size_t skipLatencies = 0;    // each client's first answers left out of latencyUs (the warm-up)
  double warmupSeconds = 0.5;  // after the first delivery, before measuring
  double seconds = 10;         // measured; less if the clients run out of values first
};

struct LoadResult {
  bool ok = false;
  std::string error;
  double valuesPerSec = 0;
  double measuredSeconds = 0;
  size_t delivered = 0;           // by the learner, over the whole run
  bool ranOut = false;            // the clients finished before the measured time was up
  double startupMs = 0;           // launch to the first delivered value
  double clientsDoneMs = 0;       // launch to the last client exit (0 if killed first)
  std::vector<double> latencyUs;  // per value, from the clients' --latency field
  // User + system CPU seconds of every process (nodes and clients) per million values delivered
  // from the start of the measured time to the last 100 ms tick before any process exited (or
  // the end); 0 when unknown (the clients ran out within 100 ms).
  double cpuSecondsPerMillion = 0;
  std::map<int, long>
      peakRssKiB;  // uid -> peak RSS (VmHWM just before the kill) of those still running
  std::map<int, std::string> roleOf;  // uid -> proposer, acceptor, learner, client
  std::string dir;
};

// Writes (or reuses) `dir`/client-I-N.in: N lines of `bytes` bytes, distinct across clients.
std::string valuesFile(const std::string& dir, int client, size_t count, int bytes);

// Runs the load and then kills every process of it.
LoadResult runLoad(const LoadSpec& spec, const std::string& inputDir, int runIndex);

}  // namespace paxos::bench
