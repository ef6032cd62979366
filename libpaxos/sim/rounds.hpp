// paxos-sim's rounds, in the spirit of seed 000: NUMPROC nodes, and in round r the proposer is
// node r % NUMPROC, proposing a random binary value for a new client; at the start of each
// round every node crashes with probability PROB (and stays down for the round). Node i is a
// proposer and an acceptor that crash together; one learner never crashes. Basic Paxos decides
// one value, so every round that decides must decide the same value (agreement across rounds).
// In multi mode each round's client instead streams `values` values of its own into the one log,
// and the simulator checks the log's invariants (LogChecker) throughout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulation.hpp"

namespace paxos::sim {

struct RoundsConfig {
  int numProc = 3;
  double crashProbability = 0.1;
  int numRounds = 1;
  Duration roundLength = std::chrono::milliseconds(300);  // virtual time per round
  bool networkFaults = true;  // loss, duplication and reordering throughout
  bool multi = false;         // a replicated log (seed 004) instead of one value
  int values = 20;            // multi mode: values each round's client streams
};

struct RoundOutcome {
  uint32_t proposer = 0;
  std::string proposed;                // basic mode
  std::vector<uint32_t> crashed;       // node indexes down this round
  std::optional<std::string> decided;  // basic mode
  uint32_t client = 0;
  // Multi mode: the slot of each of the round's values, as far as decided by the round's end.
  std::vector<std::optional<uint64_t>> slots;
};

struct RoundsResult {
  std::vector<RoundOutcome> rounds;
  std::optional<std::string> violation;
  std::vector<std::string> trace;
};

RoundsResult runRounds(const RoundsConfig& config, uint64_t seed, bool trace = false);

// The trace events that explain a safety violation: Paxos messages, crashes, restarts and
// partitions, without the election, START and DONE traffic around them.
std::vector<std::string> paxosEvents(const std::vector<std::string>& trace);

}  // namespace paxos::sim
