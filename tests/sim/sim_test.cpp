// The protocol core under the deterministic simulator: thousands of seeds of mixed faults with
// the invariants checked after every step, reproducibility from a seed, liveness once faults
// stop, and a broken variant (an acceptor that forgets on restart) that must be caught.
#include <doctest/doctest.h>

#include <chrono>
#include <iostream>

#include "sim/rounds.hpp"
#include "sim/simulation.hpp"

using namespace paxos::sim;

namespace {

// Mixed faults: loss, duplication, reordering by random delay, partitions that heal, and
// crash/restart of any consensus node, for the first 600 ms of virtual time.
FaultMix mixed() {
  FaultMix f;
  f.loss = 0.15;
  f.duplicate = 0.1;
  f.crashPerStep = 0.02;
  f.partitionPerStep = 0.005;
  return f;
}

std::vector<Setup> setups() {
  Setup single{1, 3, 1, {"a", "b", "c", "d"}, {}};
  Setup competing{3, 3, 2, {"a", "b", "c", "d"}, {}};
  Setup five{2, 5, 2, {"x", "y", "z"}, {}};
  return {single, competing, five};
}

}  // namespace

TEST_CASE("10,000 seeds of mixed faults: no violation, and every client decides once faults stop") {
  constexpr uint64_t kSeeds = 10000;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t steps = 0, runs = 0;
  const auto all = setups();
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const Setup& setup = all[seed % 3];
    Result r = simulate(setup, mixed(), seed);
    steps += r.steps;
    ++runs;
    if (r.violation) {
      Result replay = simulate(setup, mixed(), seed, true);
      std::string trace;
      for (auto& line : paxosEvents(replay.trace)) trace += "\n  " + line;
      FAIL("seed " << seed << ": " << *r.violation << trace);
    }
    REQUIRE(r.decided.has_value());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << runs << " seeds of mixed faults, " << steps / runs << " steps each, "
            << int(runs / secs) << " seeds/s, 0 violations\n";
}

TEST_CASE("paxos-sim rounds: 2,000 seeds with crashes every round, agreement across rounds") {
  RoundsConfig config;
  config.numProc = 5;
  config.crashProbability = 0.3;
  config.numRounds = 8;
  int decided = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    auto result = runRounds(config, seed);
    INFO("seed " << seed);
    REQUIRE_FALSE(result.violation.has_value());
    std::optional<std::string> first;
    for (auto& round : result.rounds) {
      if (!round.decided) continue;
      ++decided;
      if (!first) first = round.decided;
      CHECK(*round.decided == *first);
    }
  }
  CHECK(decided > 2000);  // most rounds with a live majority decide
}

TEST_CASE("a seed reproduces a run exactly") {
  Setup setup = setups()[1];
  Result a = simulate(setup, mixed(), 42, true);
  Result b = simulate(setup, mixed(), 42, true);
  CHECK(a.trace == b.trace);
  CHECK(a.steps == b.steps);
  CHECK(a.decided == b.decided);
  Result c = simulate(setup, mixed(), 43, true);
  CHECK(a.trace != c.trace);
}

TEST_CASE("liveness is checked: with two of three acceptors crashed for good, it is reported") {
  // Not a protocol bug: the check must be able to fail. Crash-only, never restarted within
  // the bound: the simulator must say that clients did not decide.
  FaultMix f;
  f.loss = 0;
  f.duplicate = 0;
  f.randomCrashes = false;
  f.faultsEnd = std::chrono::seconds(100);
  f.livenessBound = std::chrono::seconds(1);
  Simulation sim(setups()[0], f, 7, false);
  sim.crash(1);
  sim.crash(2);
  Result r = sim.run();
  REQUIRE(r.violation.has_value());
  CHECK(r.violation->find("liveness") == 0);
}

TEST_CASE("broken variant caught: an acceptor that forgets its promise on restart") {
  FaultMix f = mixed();
  f.durableAcceptors = false;
  int found = 0;
  for (uint64_t seed = 1; seed <= 2000 && !found; ++seed)
    found += simulate(setups()[1], f, seed).violation.has_value();
  CHECK(found == 1);
}
