// Built against deliberately broken cores (see tests/CMakeLists.txt): a learner that counts a
// repeated ACCEPTED again, a proposer that ignores the values reported in PROMISEs, and two
// leaders that break the membership rule (docs/MEMBERSHIP.md): one proposes past its horizon
// (a slot whose configuration it cannot know yet), one runs a new configuration's slots without
// a majority of that configuration's promises. The simulator must find a safety violation in
// each within its seed budget: a checker that cannot catch these would pass anything.
#include <doctest/doctest.h>

#include <iostream>

#include "sim/rounds.hpp"
#include "sim/scenarios.hpp"
#include "sim/simulation.hpp"

using namespace paxos::sim;

TEST_CASE("the simulator finds a violation in the broken build (" PAXOS_MUTANT_NAME ")") {
#if defined(PAXOS_MUTANT_LEADER_IGNORES_HORIZON) || defined(PAXOS_MUTANT_LEADER_SKIPS_NEW_PROMISES)
  // Configuration changes with every fault: the membership sweep of tests/sim/membership_test.
  const auto setups = membershipSetups();
  auto run = [&](uint64_t seed) {
    return simulate(setups[seed % setups.size()], seed % 2 ? mixedFaults() : harshFaults(), seed);
  };
  uint64_t budget = 4000;
#else
  FaultMix f;
  f.loss = 0.15;
  f.duplicate = 0.2;
  f.crashPerStep = 0.02;
  f.partitionPerStep = 0.005;
  Setup setup = basicSetup(3, 3, 2, {"a", "b", "c", "d"});
  auto run = [&](uint64_t seed) { return simulate(setup, f, seed); };
  uint64_t budget = 20000;
#endif
  // A broken leader may also stall a run (a liveness violation) before any seed shows it
  // unsafe: those are passed over, the sweep wants the safety violation.
  auto safety = [](const std::string& what) {
    return what.find("agreement") == 0 || what.find("validity") == 0;
  };
  std::optional<uint64_t> caught;
  std::string what;
  int stalled = 0;
  for (uint64_t seed = 1; seed <= budget && !caught; ++seed) {
    Result r = run(seed);
    if (r.violation && safety(*r.violation))
      caught = seed, what = *r.violation;
    else if (r.violation)
      ++stalled;
  }
  REQUIRE(caught.has_value());
  std::cout << PAXOS_MUTANT_NAME << ": caught at seed " << *caught << " (" << stalled
            << " runs stalled before): " << what << "\n";
}
