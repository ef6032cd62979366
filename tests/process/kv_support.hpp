// What the key-value process tests share (kv_test.cpp, kv_members_test.cpp): the service cluster
// they start and a bounded poll.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cluster_run.hpp"

namespace paxos::test {

// 2 proposers (UIDs 0-1, the higher leads), 3 acceptors (2-4) and 3 learners (5-7) serving the
// HTTP API, all with --data-dir so that any can be restarted.
inline Scenario kvScenario(const std::string& name, std::vector<std::string> nodeArgs = {}) {
  Scenario s;
  s.name = name;
  s.proposers = 2, s.acceptors = 3, s.learners = 3;
  s.multi = true;
  s.http = true;
  s.dataDir = true;
  s.nodeArgs = std::move(nodeArgs);
  // Service nodes run until they are killed: this only bounds Cluster's own waits.
  s.limit = std::chrono::seconds(120);
  return s;
}

// Polls `condition` every 10 ms until it holds or `within` passes; whether it held.
template <typename Condition>
bool eventually(std::chrono::steady_clock::duration within, Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace paxos::test
