// The fault mixes and cluster shapes that the simulator tests (tests/sim) and the long run
// (`paxos-sim --long`) share, so that a seed named in docs/SIMULATOR.md means the same run in
// both.
#pragma once

#include <string>
#include <vector>

#include "sim/simulation.hpp"

namespace paxos::sim {

// Loss 15%, duplication 10%, delays up to 4 ms, a 2% crash chance and a 0.5% partition chance
// per step, for the first 600 ms of virtual time: the tests' mix since the beginning.
FaultMix mixedFaults();
// mixedFaults plus what a real network also does: a heavy tail (1% of message copies arrive
// 100 ms to 2 s late), one-way cuts, clocks 5% apart in rate and wake-ups up to 3 ms late.
FaultMix harshFaults();
// mixedFaults on a network across continents: every delay up to 300 ms, throughout the run.
FaultMix slowFaults();
// harshFaults aimed at stale messages within a round trip: 30% duplication, half the duplicates
// 1-60 ms late, one-way cuts of 20-400 ms (learners that miss slots and ask the leader), faults
// for 2 s. It found the one-value-per-ballot bug (seed 165617) where the other mixes did not.
FaultMix huntFaults();
// Service mode: harshFaults, and 30% of the crashes of a replica (one at a time, never a lone
// one) lose its disk: it starts again from a live peer's snapshot.
FaultMix diskFaults();

// Basic mode: 1 proposer and 3 acceptors; 3 proposers competing; 2 proposers and 5 acceptors.
std::vector<Setup> basicSetups();
// Multi mode: the run scripts' shape (2/3/2, 2 clients x 20 values); one learner (every
// restart of it skips ahead); 3 proposers competing for the lead.
std::vector<Setup> multiSetups();
// Service mode: 2 proposers, 3 acceptors, 2 replicas x 10 commands; one replica x 12 (it alone
// holds the acceptors' trim back); 3 proposers and 3 replicas x 8.
std::vector<Setup> serviceSetups();
// Service mode with configuration changes (docs/MEMBERSHIP.md): acceptors replaced, shrunk and
// grown while faults last, spare acceptors joining.
std::vector<Setup> membershipSetups();

}  // namespace paxos::sim
