// Built twice against deliberately broken cores (see tests/CMakeLists.txt): a learner that
// counts a repeated ACCEPTED again, and a proposer that ignores the values reported in
// PROMISEs. The simulator must find a safety violation in each within its seed budget: a
// checker that cannot catch these would pass anything.
#include <doctest/doctest.h>

#include <iostream>

#include "sim/rounds.hpp"
#include "sim/simulation.hpp"

using namespace paxos::sim;

TEST_CASE("the simulator finds a violation in the broken build (" PAXOS_MUTANT_NAME ")") {
  FaultMix f;
  f.loss = 0.15;
  f.duplicate = 0.2;
  f.crashPerStep = 0.02;
  f.partitionPerStep = 0.005;
  Setup setup = basicSetup(3, 3, 2, {"a", "b", "c", "d"});
  std::optional<uint64_t> caught;
  std::string what;
  for (uint64_t seed = 1; seed <= 20000 && !caught; ++seed) {
    Result r = simulate(setup, f, seed);
    if (r.violation) caught = seed, what = *r.violation;
  }
  REQUIRE(caught.has_value());
  std::cout << PAXOS_MUTANT_NAME << ": caught at seed " << *caught << ": " << what << "\n";
  CHECK((what.find("agreement") == 0 || what.find("validity") == 0));
}
