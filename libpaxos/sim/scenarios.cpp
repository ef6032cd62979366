#include "sim/scenarios.hpp"

namespace paxos::sim {

using namespace std::chrono_literals;

FaultMix mixedFaults() {
  FaultMix f;
  f.loss = 0.15;
  f.duplicate = 0.1;
  f.crashPerStep = 0.02;
  f.partitionPerStep = 0.005;
  return f;
}

FaultMix harshFaults() {
  FaultMix f = mixedFaults();
  f.tail = 0.01;
  f.tailMin = 100ms;
  f.tailMax = 2s;
  f.cutPerStep = 0.005;
  f.cutMin = 5ms;
  f.cutMax = 300ms;
  f.clockSkew = 0.05;
  f.wakeLateness = 3ms;
  return f;
}

FaultMix huntFaults() {
  FaultMix f = harshFaults();
  f.duplicate = 0.3;
  f.duplicateTail = 0.5;
  f.tailMin = 1ms;
  f.tailMax = 60ms;
  f.cutPerStep = 0.03;
  f.cutMin = 20ms;
  f.cutMax = 400ms;
  f.faultsEnd = 2s;
  return f;
}

FaultMix diskFaults() {
  FaultMix f = harshFaults();
  f.diskLoss = 0.3;
  return f;
}

FaultMix slowFaults() {
  FaultMix f = mixedFaults();
  f.maxDelay = 300ms;
  return f;
}

std::vector<Setup> basicSetups() {
  return {basicSetup(1, 3, 1, {"a", "b", "c", "d"}), basicSetup(3, 3, 2, {"a", "b", "c", "d"}),
          basicSetup(2, 5, 2, {"x", "y", "z"})};
}

std::vector<Setup> multiSetups() {
  return {multiSetup(2, 3, 2, 2, 20), multiSetup(1, 3, 1, 3, 10), multiSetup(3, 3, 3, 2, 15)};
}

std::vector<Setup> serviceSetups() {
  return {serviceSetup(2, 3, 2, 20), serviceSetup(1, 3, 1, 24), serviceSetup(3, 3, 3, 16)};
}

std::vector<Setup> membershipSetups() {
  auto with = [](Setup s, int changes, int spares, uint64_t alpha) {
    s.changes = changes;
    s.spares = spares;
    s.alpha = alpha;
    return s;
  };
  return {with(serviceSetup(2, 3, 2, 20), 3, 2, 3), with(serviceSetup(2, 5, 2, 16), 4, 1, 8),
          with(serviceSetup(1, 3, 1, 20), 2, 3, 1), with(serviceSetup(3, 3, 2, 16), 3, 2, 64)};
}

}  // namespace paxos::sim
