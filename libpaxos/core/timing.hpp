// Time as the core sees it: a monotonic count of nanoseconds from an arbitrary epoch, given to
// every call. The core never reads a clock, so a simulator can run it on virtual time.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace paxos::core {

using Duration = std::chrono::nanoseconds;
using Time = std::chrono::nanoseconds;
using namespace std::chrono_literals;

// Every timeout of the protocol, in one place. Defaults suit loopback and a LAN; they bound how
// long a lost datagram costs, never whether the protocol is correct.
struct Timing {
  Duration retryFirst = 5ms;       // first resend of an unacknowledged message
  Duration retryMax = 100ms;       // resends back off exponentially up to this
  Duration hopSkip = 150ms;        // ring successor silent this long is skipped (ring repair)
  Duration electionStall = 400ms;  // no leader by then: ask others for START, resend own token
  Duration phaseRetry = 20ms;      // proposer resends PREPARE/ACCEPT to acceptors not yet heard
  Duration backoffBase = 4ms;      // after a NACK wait uniform(0, base * 2^k) before a new round
  Duration backoffMax = 200ms;
  Duration requestRetry = 40ms;  // client resends REQUEST; every 3rd resend fails over
  int doneSends = 6;             // client sends DONE at most this often to a silent node
  Duration idleTimeout = 10s;    // node exits after hearing nothing for this long
  Duration clientTimeout = 5s;   // client gives up without a decision after this long
  // Multi mode (docs/MULTI.md).
  Duration heartbeat = 20ms;       // proposers say they are alive (and the leader its progress)
  Duration leaderTimeout = 200ms;  // a proposer silent this long is taken for dead
  Duration catchupDelay = 30ms;    // a learner waits this long on a gap before fetching it
  int pipeline = 32;               // slots a leader keeps in phase 2 at once
  size_t batchBytes = 8000;        // most bytes of commands one slot carries
  int window = 64;                 // values a streaming client keeps in flight
};

// After the k-th NACK in a row a proposer waits uniform(0, min(max, base * 2^k)) before a higher
// ballot: randomised exponential backoff keeps two duelling proposers from pre-empting each
// other forever (FLP: no deterministic way out). On a fast network base and max are backoffBase
// and backoffMax. On a network whose round trip `srtt` (as the proposer observed it) is longer
// than backoffBase, the base is srtt, the ceiling at least 8 of them, and the wait at least two
// of them more: the ballot that NACKed us needs two round trips to be chosen.
inline Duration randomBackoff(const Timing& t, int nacks, std::mt19937_64& rng,
                              Duration srtt = Duration(0)) {
  bool slow = srtt > t.backoffBase;
  auto base = slow ? srtt : t.backoffBase;
  auto ceiling =
      std::min<Duration>(std::max(t.backoffMax, 8 * srtt), base * (1 << std::min(nacks, 16)));
  auto least = slow ? 2 * srtt : Duration(0);
  return least + Duration(std::uniform_int_distribution<int64_t>(0, ceiling.count())(rng));
}

}  // namespace paxos::core
