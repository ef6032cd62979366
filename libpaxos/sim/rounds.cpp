#include "sim/rounds.hpp"

namespace paxos::sim {

RoundsResult runRounds(const RoundsConfig& config, uint64_t seed, bool trace) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);  // independent of the network's choices
  std::uniform_real_distribution<> coin(0, 1);
  int n = config.numProc;

  Setup setup =
      config.multi ? multiSetup(n, n, 1, config.numRounds, config.values) : basicSetup(n, n, 1, {});
  for (int r = 0; r < config.numRounds; ++r) {
    if (!config.multi) setup.values.push_back(coin(rng) < 0.5 ? "0" : "1");
    setup.desired.push_back(uint32_t(r % n));
  }
  FaultMix faults;
  faults.randomCrashes = false;
  faults.partitionPerStep = 0;
  faults.faultsEnd = config.networkFaults ? Time::max() : Time::zero();

  Simulation sim(setup, faults, seed, trace);
  RoundsResult result;
  for (int r = 0; r < config.numRounds; ++r) {
    RoundOutcome round;
    round.proposer = uint32_t(r % n);
    if (!config.multi) round.proposed = setup.values[r];
    for (uint32_t node = 0; node < uint32_t(n); ++node) {
      bool down = coin(rng) < config.crashProbability;
      for (uint32_t uid : {node, node + n}) {  // its proposer and its acceptor
        if (down) {
          sim.crash(uid);
        } else {
          sim.restart(uid);
        }
      }
      if (down) round.crashed.push_back(node);
    }
    uint32_t client = uint32_t(2 * n + 1 + r);
    sim.startClient(client);
    bool safe = sim.runUntil(config.roundLength * (r + 1));
    round.client = client;
    round.decided = sim.clientDecision(client);
    round.slots = sim.clientSlots(client);
    result.rounds.push_back(round);
    if (!safe) break;
  }
  result.violation = sim.result().violation;
  result.trace = sim.result().trace;
  return result;
}

std::vector<std::string> paxosEvents(const std::vector<std::string>& trace) {
  static const char* kept[] = {"PREPARE",  "PROMISE", "ACCEPT",  "NACK",      "DECIDED",
                               "REQUEST",  "CRASH",   "RESTART", "PARTITION", "HEAL",
                               "CATCHUP",  "DELIVER", "SKIP",    "CUT",       "SUBMIT",
                               "SNAPSHOT", "RESTORE", "INSTALL", "DISK"};
  std::vector<std::string> events;
  for (const auto& line : trace)
    for (const char* word : kept)
      if (line.find(word) != std::string::npos) {
        events.push_back(line);
        break;
      }
  return events;
}

}  // namespace paxos::sim
