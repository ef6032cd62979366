// The seed's three scenarios as real processes on loopback, 20 times each: every client prints
// the same decided value, it is one of the proposed values, and every process exits 0 by itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "cluster_run.hpp"

using namespace paxos::test;

namespace {

constexpr int kRuns = 20;

std::set<std::string> proposed(const Scenario& s) {
  std::set<std::string> values;
  for (auto& c : s.clients) values.insert(c.value);
  return values;
}

void runTwentyTimes(const Scenario& scenario) {
  std::vector<double> times;
  for (int run = 0; run < kRuns; ++run) {
    Outcome o = runCluster(scenario, run);
    INFO(o.describe());
    REQUIRE(o.allExited);
    for (auto& [uid, code] : o.status) CHECK_MESSAGE(code == 0, "uid " << uid);
    auto decisions = o.clientDecisions();
    REQUIRE(decisions.size() == scenario.clients.size());
    std::set<std::string> distinct;
    for (auto& [uid, value] : decisions) distinct.insert(value);
    CHECK(distinct.size() == 1);                            // agreement
    CHECK(proposed(scenario).contains(*distinct.begin()));  // validity
    for (auto& [uid, text] : o.stdoutText)                  // printed once, nothing else
      if (uid >= o.consensus) CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    times.push_back(o.elapsedMs);
  }
  std::sort(times.begin(), times.end());
  std::cout << scenario.name << ": " << kRuns << " runs, median " << times[kRuns / 2]
            << " ms launch to exit, max " << times.back() << " ms\n";
}

}  // namespace

TEST_CASE("run.sh scenario: 1 proposer, 1 acceptor, 1 learner, 1 client") {
  runTwentyTimes(seedRun());
}

TEST_CASE("run2.sh scenario: 3 proposers, 3 acceptors, 5 learners, 8 competing clients") {
  runTwentyTimes(seedRun2());
}

TEST_CASE("run3.sh scenario: 1 proposer, 3 acceptors, 1 learner, 4 clients") {
  runTwentyTimes(seedRun3());
}
