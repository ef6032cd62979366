// paxos-sim NUMPROC PROB NUMROUNDS [--seed S] [--seeds K] [--multi [--values N]]: the real
// protocol core on the deterministic simulator, in rounds as in seed 000 (see sim/rounds.hpp);
// with --multi, a replicated log (seed 004) into which each round's client streams N values.
// Prints each round's outcome and the invariant verdict; with --seeds, a summary over K seeds.
// Exit 1 on a violation.
//
// paxos-sim --long N [--seed S] [--jobs J] [--modes basic,multi,service,members]
// [--mixes mixed,harsh,slow,hunt]:
// the long run. Seeds S..S+N-1, each run once per mode and fault mix (sim/scenarios.hpp, the
// tests' cluster shapes: setup seed % 3), on J threads; prints the runs, violations and seeds/s
// per mode and mix, and the events of each violation (at most 3 per mode and mix).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "net/startup.hpp"
#include "paxos_version.hpp"
#include "sim/rounds.hpp"
#include "sim/scenarios.hpp"

using namespace paxos;

namespace {

void printViolation(const sim::RoundsConfig& config, uint64_t seed, bool fullTrace) {
  auto replay = sim::runRounds(config, seed, true);  // the same seed replays the same run
  auto events = fullTrace ? replay.trace : sim::paxosEvents(replay.trace);
  fmt::print("VIOLATION seed {}: {}\n", seed, replay.violation.value_or("(not reproduced)"));
  fmt::print("trace ({} events{}):\n", events.size(), fullTrace ? "" : "; --trace for all");
  for (const auto& line : events) fmt::print("  {}\n", line);
}

size_t decidedCount(const sim::RoundOutcome& round) {
  return size_t(std::count_if(round.slots.begin(), round.slots.end(),
                              [](const auto& slot) { return slot.has_value(); }));
}

// "decided 20 in slots 0..5", "decided 13 of 20 in slots 2..7", "decided 0 of 20"
std::string describeSlots(const sim::RoundOutcome& round) {
  size_t decided = decidedCount(round);
  std::string text = decided == round.slots.size()
                         ? fmt::format("decided {}", decided)
                         : fmt::format("decided {} of {}", decided, round.slots.size());
  if (decided == 0) return text;
  uint64_t low = UINT64_MAX, high = 0;
  for (const auto& slot : round.slots)
    if (slot) low = std::min(low, *slot), high = std::max(high, *slot);
  return text + fmt::format(" in slots {}..{}", low, high);
}

struct Sweep {
  std::string mode, mix;
  std::vector<sim::Setup> setups;
  sim::FaultMix faults;
  std::atomic<uint64_t> runs{0}, violations{0}, steps{0};
};

sim::FaultMix mixNamed(const std::string& name) {
  if (name == "harsh") return sim::harshFaults();
  if (name == "slow") return sim::slowFaults();
  if (name == "hunt") return sim::huntFaults();
  if (name == "disk") return sim::diskFaults();
  return sim::mixedFaults();
}

// Every seed of [first, first + count) under every (mode, mix), `jobs` threads taking seeds in
// turn; violations are printed with the replayed events, at most 3 per (mode, mix).
int longRun(uint64_t first, uint64_t count, int jobs, const std::vector<std::string>& modes,
            const std::vector<std::string>& mixes, bool fullTrace) {
  std::vector<std::unique_ptr<Sweep>> sweeps;
  for (const auto& mode : modes)
    for (const auto& mix : mixes) {
      auto& sweep = *sweeps.emplace_back(std::make_unique<Sweep>());
      sweep.mode = mode;
      sweep.mix = mix;
      sweep.setups = mode == "multi"     ? sim::multiSetups()
                     : mode == "service" ? sim::serviceSetups()
                     : mode == "members" ? sim::membershipSetups()
                                         : sim::basicSetups();
      sweep.faults = mixNamed(mix);
    }
  std::atomic<uint64_t> next{first};
  std::mutex printing;
  auto t0 = std::chrono::steady_clock::now();
  auto work = [&] {
    for (uint64_t seed; (seed = next++) < first + count;) {
      // Progress on stderr every tenth of the run (a million seeds take tens of minutes).
      if (count >= 10000 && (seed - first) % (count / 10) == 0 && seed != first) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        uint64_t violations = 0;
        for (const auto& sweep : sweeps) violations += sweep->violations;
        std::lock_guard lock(printing);
        fmt::print(stderr, "{} seeds started, {} violations, {:.0f} seeds/s\n", seed - first,
                   violations, (seed - first) / secs);
      }
      for (auto& sweep : sweeps) {
        const auto& setup = sweep->setups[seed % sweep->setups.size()];
        auto result = sim::simulate(setup, sweep->faults, seed);
        ++sweep->runs;
        sweep->steps += result.steps;
        if (!result.violation || sweep->violations++ >= 3) continue;
        auto replay = sim::simulate(setup, sweep->faults, seed, true);
        std::lock_guard lock(printing);
        fmt::print("VIOLATION {} {} seed {}: {}\n", sweep->mode, sweep->mix, seed,
                   *result.violation);
        for (const auto& line : fullTrace ? replay.trace : sim::paxosEvents(replay.trace))
          fmt::print("  {}\n", line);
        std::fflush(stdout);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t violations = 0;
  for (const auto& sweep : sweeps) {
    fmt::print("{:5} {:5}: {} runs, {} steps each, {} violations\n", sweep->mode, sweep->mix,
               sweep->runs.load(), sweep->steps / std::max<uint64_t>(sweep->runs, 1),
               sweep->violations.load());
    violations += sweep->violations;
  }
  fmt::print(
      "{} seeds x {} (mode, mix): {} runs, {} violations in {:.0f} s on {} thread{} ({:.0f} "
      "seeds/s, {:.0f} runs/s)\n",
      count, sweeps.size(), count * sweeps.size(), violations, secs, jobs, jobs == 1 ? "" : "s",
      count / secs, count * sweeps.size() / secs);
  return violations ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-sim: runs the Paxos core under a deterministic simulator, in rounds: the "
      "proposer of round r is r % NUMPROC, each node crashes with probability PROB per "
      "round, values are 0/1 (with --multi: each round's client streams values into a "
      "replicated log). Checks validity, agreement and integrity after every step."};
  app.set_version_flag("--version", versionLine("paxos-sim"));
  sim::RoundsConfig config;
  uint64_t seed = 1, seeds = 0;
  bool trace = false, clean = false;
  uint64_t longSeeds = 0;
  int jobs = 1;
  std::vector<std::string> modes = {"basic", "multi"}, mixes = {"mixed", "harsh"};
  auto* numProc =
      app.add_option("NUMPROC", config.numProc, "number of nodes (each a proposer and an acceptor)")
          ->check(CLI::Range(1, 64));
  auto* prob =
      app.add_option("PROB", config.crashProbability, "probability a node crashes in a round")
          ->check(CLI::Range(0.0, 1.0));
  auto* numRounds = app.add_option("NUMROUNDS", config.numRounds, "number of rounds")
                        ->check(CLI::Range(1, 100000));
  auto* longRunOption = app.add_option(
      "--long", longSeeds,
      "the long run: this many seeds, each under every --modes and --mixes (the tests' "
      "cluster shapes and fault mixes), instead of rounds");
  app.add_option("--jobs", jobs, "threads for --long")
      ->check(CLI::Range(1, 256))
      ->needs(longRunOption);
  app.add_option("--modes", modes,
                 "with --long: basic, multi, service (key-value replicas as learners), members "
                 "(service mode with configuration changes)")
      ->check(CLI::IsMember({"basic", "multi", "service", "members"}))
      ->delimiter(',')
      ->needs(longRunOption);
  app.add_option(
         "--mixes", mixes,
         "with --long: mixed, harsh (heavy tail, one-way cuts, skewed "
         "clocks), slow (delays up to 300 ms), hunt (harsh with many late duplicates and cuts), "
         "disk (harsh, and service replicas that lose their disk)")
      ->check(CLI::IsMember({"mixed", "harsh", "slow", "hunt", "disk"}))
      ->delimiter(',')
      ->needs(longRunOption);
  app.add_option("--seed", seed, "the seed of the (first) run")->capture_default_str();
  app.add_option("--seeds", seeds, "run this many seeds (seed, seed+1, ...) and summarise");
  app.add_flag("--trace", trace,
               "print every event of the run (one seed; with --long, of each violation)");
  app.add_flag("--clean-network", clean, "no loss, duplication or reordering; only crashes");
  auto* multi = app.add_flag(
      "--multi", config.multi,
      "multi-Paxos: a replicated log; each round a new client streams --values values");
  app.add_option("--values", config.values, "values each round's client streams (with --multi)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->needs(multi);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    return net::usageError("paxos-sim", error.what());
  }
  config.networkFaults = !clean;
  if (longSeeds > 0) return longRun(seed, longSeeds, jobs, modes, mixes, trace);
  if (numProc->count() == 0 || prob->count() == 0 || numRounds->count() == 0)
    return net::usageError("paxos-sim", "NUMPROC PROB NUMROUNDS are required (or --long N)");

  if (seeds == 0) {
    auto result = sim::runRounds(config, seed, trace);
    for (size_t r = 0; r < result.rounds.size(); ++r) {
      const auto& round = result.rounds[r];
      if (config.multi)
        fmt::print("round {}: client {} streams {} values via proposer {}; crashed [{}]; {}\n", r,
                   round.client, config.values, round.proposer, fmt::join(round.crashed, " "),
                   describeSlots(round));
      else
        fmt::print("round {}: proposer {} proposes {}; crashed [{}]; decided {}\n", r,
                   round.proposer, round.proposed, fmt::join(round.crashed, " "),
                   round.decided.value_or("none"));
    }
    if (trace)
      for (const auto& line : result.trace) fmt::print("  {}\n", line);
    if (result.violation) {
      printViolation(config, seed, trace);
      return 1;
    }
    if (config.multi)
      fmt::print(
          "invariants: ok (total order, per-slot agreement, no duplicates, validity, "
          "client slots, promises never lowered)\n");
    else
      fmt::print("invariants: ok (validity, agreement, integrity, promises never lowered)\n");
    return 0;
  }

  auto t0 = std::chrono::steady_clock::now();
  uint64_t decisions = 0, violations = 0, roundsRun = 0;
  for (uint64_t s = seed; s < seed + seeds; ++s) {
    auto result = sim::runRounds(config, s);
    roundsRun += result.rounds.size();
    for (const auto& round : result.rounds)
      decisions += config.multi ? decidedCount(round) : round.decided.has_value();
    if (result.violation && violations++ < 3) printViolation(config, s, false);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (config.multi)
    fmt::print(
        "{} runs, {} rounds, {} of {} values decided by the end of their round, {} "
        "violations ({:.0f} seeds/s)\n",
        seeds, roundsRun, decisions, roundsRun * config.values, violations, seeds / secs);
  else
    fmt::print("{} runs, {} rounds, {} decisions, {} violations ({:.0f} seeds/s)\n", seeds,
               roundsRun, decisions, violations, seeds / secs);
  return violations ? 1 : 0;
}
