// Membership change under the simulator (docs/MEMBERSHIP.md): random configuration changes with
// every fault of the mixed and harsh mixes, each slot judged against its own configuration; and
// the known failure shapes as directed runs.
#include <doctest/doctest.h>

#include <chrono>
#include <iostream>

#include "sim/rounds.hpp"
#include "sim/scenarios.hpp"
#include "sim/simulation.hpp"

using namespace paxos;
using namespace paxos::sim;

namespace {

std::string eventsOf(const Setup& setup, const FaultMix& faults, uint64_t seed) {
  Result replay = simulate(setup, faults, seed, true);
  std::string trace;
  for (auto& line : paxosEvents(replay.trace)) trace += "\n  " + line;
  return trace;
}

void sweep(const char* what, const FaultMix& faults, uint64_t first, uint64_t count) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t epochs = 0, exits = 0, slots = 0;
  const auto all = membershipSetups();
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const Setup& setup = all[seed % all.size()];
    Result r = simulate(setup, faults, seed);
    if (r.violation)
      FAIL(what << " seed " << seed << ": " << *r.violation << eventsOf(setup, faults, seed));
    epochs += r.epoch;
    exits += r.exits;
    slots += r.slots;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << count << " seeds, " << what << ": " << epochs << " configurations chosen, " << exits
            << " removed nodes exited, " << slots / count << " slots each; " << int(count / secs)
            << " seeds/s, 0 violations\n";
}

}  // namespace

TEST_CASE(
    "membership: random changes under mixed and harsh faults, each slot against its own "
    "configuration") {
  sweep("membership, mixed faults", mixedFaults(), 1, 300);
  sweep("membership, harsh faults", harshFaults(), 1, 300);
}

namespace {

// A network that loses and duplicates but crashes nothing: the directed runs script the rest.
FaultMix lossy() {
  FaultMix f;
  f.loss = 0.1;
  f.duplicate = 0.05;
  f.randomCrashes = false;
  f.partitionPerStep = 0;
  f.faultsEnd = std::chrono::milliseconds(400);
  f.livenessBound = std::chrono::seconds(5);
  return f;
}

Setup withSpares(Setup s, int spares, uint64_t alpha) {
  s.spares = spares;
  s.alpha = alpha;
  return s;
}

// Runs until `done` holds (checked every millisecond of simulated time) or `bound` passes.
template <typename Pred>
bool runUntil(Simulation& sim, Pred done, Time bound) {
  while (!done()) {
    if (sim.now() >= bound || !sim.runUntil(sim.now() + std::chrono::milliseconds(1))) return false;
  }
  return true;
}

core::Change change(const Simulation& sim, uint32_t learner, std::vector<uint32_t> acceptors) {
  const core::Configuration& latest = sim.node(learner)->cluster().membership().latest();
  core::Change c{latest.epoch, latest};
  c.next.epoch = latest.epoch + 1;
  c.next.acceptors = std::move(acceptors);
  c.next.addresses.clear();
  return c;
}

// The change of epoch `epoch` is chosen and in effect (the log reached its first slot), and
// `learner` knows it (a change it builds next starts from there).
bool inEffect(const Simulation& sim, uint64_t epoch, uint32_t learner) {
  const core::Membership& m = sim.membership();
  const core::Node* n = sim.node(learner);
  return m.latest().epoch >= epoch && m.through() >= m.configs().rbegin()->first && n &&
         n->cluster().membership().latest().epoch >= epoch;
}

std::vector<uint32_t> acceptorsNow(const Simulation& sim) {
  return sim.membership().latest().acceptors;
}

}  // namespace

TEST_CASE("membership: two changes built from one epoch, only the first decided applies") {
  // n7 and n8 are the learners of 2 proposers and 5 acceptors (n2-n6).
  Simulation sim(withSpares(serviceSetup(2, 5, 2, 20), 0, 4), lossy(), 11, false);
  REQUIRE(runUntil(
      sim, [&] { return sim.now() >= std::chrono::milliseconds(50); }, std::chrono::seconds(1)));
  core::Change a = change(sim, 7, {2, 3, 4});
  core::Change b = change(sim, 8, {4, 5, 6});
  REQUIRE(a.from == 0);
  REQUIRE(b.from == 0);
  sim.submitChange(7, a);
  sim.submitChange(8, b);
  Result r = sim.run();
  REQUIRE_FALSE(r.violation);
  const core::Membership& m = sim.membership();
  CHECK(m.latest().epoch == 1);
  CHECK((m.latest() == a.next || m.latest() == b.next));
  for (uint32_t learner : {7u, 8u})
    CHECK(sim.node(learner)->cluster().membership().latest() == m.latest());
}

TEST_CASE("membership: the leader crashes between a change's decision and its effect") {
  Simulation sim(withSpares(serviceSetup(2, 3, 2, 20), 1, 16), lossy(), 5, false);
  REQUIRE(runUntil(
      sim, [&] { return sim.node(5) != nullptr; }, std::chrono::seconds(1)));
  sim.submitChange(5, change(sim, 5, {2, 3, 7}));  // n4 out, spare n7 in
  REQUIRE(runUntil(
      sim, [&] { return sim.membership().latest().epoch == 1; }, std::chrono::seconds(2)));
  REQUIRE_FALSE(inEffect(sim, 1, 5));
  sim.crash(1);  // the leader (the highest proposer), before the slot the change governs from
  Result r = sim.run();
  INFO(r.violation.value_or(""));
  REQUIRE_FALSE(r.violation);
  CHECK(inEffect(sim, 1, 5));
  CHECK(acceptorsNow(sim) == std::vector<uint32_t>{2, 3, 7});
  CHECK(sim.node(7) != nullptr);  // the spare joined and plays
}

TEST_CASE("membership: removing the leader hands the lead to a proposer that stays") {
  Simulation sim(withSpares(serviceSetup(2, 3, 2, 20), 0, 4), lossy(), 3, false);
  REQUIRE(runUntil(
      sim, [&] { return sim.node(5) != nullptr; }, std::chrono::seconds(1)));
  core::Change c = change(sim, 5, {2, 3, 4});
  c.next.proposers = {0};  // n1, the highest proposer, leads
  sim.submitChange(5, c);
  Result r = sim.run();
  INFO(r.violation.value_or(""));
  REQUIRE_FALSE(r.violation);
  CHECK(sim.membership().latest().proposers == std::vector<uint32_t>{0});
  CHECK(sim.node(1) == nullptr);  // removed, nothing left to serve: it exited by itself
  CHECK(r.exits >= 1);
}

TEST_CASE("membership: shrinking 5 -> 3 -> 1 acceptors and growing back while commands flow") {
  Simulation sim(withSpares(serviceSetup(2, 5, 2, 30), 0, 4), lossy(), 9, false);
  REQUIRE(runUntil(
      sim, [&] { return sim.node(7) != nullptr; }, std::chrono::seconds(1)));
  uint64_t epoch = 0;
  for (std::vector<uint32_t> acceptors : {std::vector<uint32_t>{2, 3, 4}, {3}, {2, 3, 4, 5, 6}}) {
    sim.submitChange(7, change(sim, 7, acceptors));
    ++epoch;
    INFO("to " << acceptors.size() << " acceptors");
    REQUIRE(runUntil(
        sim, [&] { return inEffect(sim, epoch, 7); }, sim.now() + std::chrono::seconds(2)));
    CHECK(acceptorsNow(sim) == acceptors);
  }
  Result r = sim.run();
  INFO(r.violation.value_or(""));
  REQUIRE_FALSE(r.violation);
  CHECK(sim.membership().latest().epoch == 3);
}

TEST_CASE("membership: every acceptor replaced by a spare, one by one, with a crash on the way") {
  // Acceptors n2-n4, learners n5 and n6, spares n7-n9 (joining acceptors).
  Simulation sim(withSpares(serviceSetup(2, 3, 2, 30), 3, 8), lossy(), 21, false);
  REQUIRE(runUntil(
      sim, [&] { return sim.node(5) != nullptr; }, std::chrono::seconds(1)));
  std::vector<std::vector<uint32_t>> steps = {{3, 4, 7}, {4, 7, 8}, {7, 8, 9}};
  for (size_t i = 0; i < steps.size(); ++i) {
    sim.submitChange(5, change(sim, 5, steps[i]));
    if (i == 1) sim.crash(7);  // a new acceptor down while the next change runs: 2 of 3 remain
    REQUIRE(runUntil(
        sim, [&] { return inEffect(sim, i + 1, 5); }, sim.now() + std::chrono::seconds(2)));
    if (i == 1) sim.restart(7);
  }
  Result r = sim.run();
  INFO(r.violation.value_or(""));
  REQUIRE_FALSE(r.violation);
  CHECK(acceptorsNow(sim) == std::vector<uint32_t>{7, 8, 9});
  // The replicas' snapshots past the last change let every acceptor forget the slots of the
  // configurations before it: the removed ones exit by themselves (reports go on meanwhile).
  REQUIRE(runUntil(
      sim, [&] { return !sim.node(2) && !sim.node(3) && !sim.node(4); },
      sim.now() + std::chrono::seconds(1)));
}

TEST_CASE(
    "membership: a joined acceptor that restarts after its removal still serves the slots of "
    "the configuration that removed it") {
  // Found by paxos-sim --long (members mixed seeds 939 and 1236, hunt 700): a spare that
  // restarted waited to be listed in the newest configuration, which had removed it, while the
  // slots up to that change's effect still needed it.
  Simulation sim(withSpares(serviceSetup(2, 3, 2, 30), 1, 8), lossy(), 31, false);  // spare n7
  REQUIRE(runUntil(
      sim, [&] { return sim.node(5) != nullptr; }, std::chrono::seconds(1)));
  sim.submitChange(5, change(sim, 5, {2, 7}));  // a majority of two is both
  REQUIRE(runUntil(
      sim, [&] { return inEffect(sim, 1, 5); }, std::chrono::seconds(2)));
  sim.submitChange(5, change(sim, 5, {3}));
  REQUIRE(runUntil(
      sim, [&] { return sim.membership().latest().epoch == 2; },
      sim.now() + std::chrono::seconds(2)));
  REQUIRE_FALSE(inEffect(sim, 2, 5));
  // The new leader must run the slots up to the change's effect with n2 and n7.
  sim.crash(1);
  sim.crash(7);
  sim.restart(7);
  Result r = sim.run();
  INFO(r.violation.value_or(""));
  REQUIRE_FALSE(r.violation);
  CHECK(acceptorsNow(sim) == std::vector<uint32_t>{3});
}
