// RttEstimator (RFC 6298's SRTT/RTTVAR) and the back-off it scales: on a fast network every
// timeout is the constant in Timing; on a slow one it follows the round trips observed.
#include "core/rtt.hpp"

#include <doctest/doctest.h>

#include "core/timing.hpp"

using namespace paxos::core;
using namespace std::chrono_literals;

TEST_CASE("RttEstimator: before any sample, and on a fast network, the floor stands") {
  RttEstimator rtt;
  CHECK(rtt.timeout(20ms) == 20ms);
  CHECK(rtt.srtt() == 0ms);
  for (int i = 0; i < 10; ++i) rtt.sample(100us);
  CHECK(rtt.timeout(20ms) == 20ms);
  CHECK(rtt.atLeastRoundTrip(4ms) == 4ms);
}

TEST_CASE("RttEstimator: the first sample sets SRTT and RTTVAR = SRTT/2; later ones smooth") {
  RttEstimator rtt;
  rtt.sample(300ms);
  CHECK(rtt.srtt() == 300ms);
  CHECK(rtt.timeout(20ms) == 300ms + 4 * 150ms);
  rtt.sample(100ms);  // SRTT 7/8 * 300 + 1/8 * 100; RTTVAR 3/4 * 150 + 1/4 * 200
  CHECK(rtt.srtt() == 275ms);
  CHECK(rtt.timeout(20ms) == 275ms + 4 * 162500us);
  for (int i = 0; i < 200; ++i) rtt.sample(200ms);  // a steady network: RTTVAR goes to 0
  CHECK(rtt.srtt() > 199ms);
  CHECK(rtt.timeout(20ms) < 210ms);
}

TEST_CASE(
    "randomBackoff: backoffBase and backoffMax on a fast network, round trips on a slow one") {
  Timing timing;
  std::mt19937_64 rng(1);
  Duration fastMax{}, slowMax{}, slowMin = 1h;
  for (int i = 0; i < 2000; ++i) {
    fastMax = std::max(fastMax, randomBackoff(timing, 16, rng, 1ms));
    auto slow = randomBackoff(timing, 16, rng, 300ms);
    slowMax = std::max(slowMax, slow);
    slowMin = std::min(slowMin, slow);
  }
  CHECK(slowMin >= 600ms);  // the NACKing ballot gets its two round trips
  CHECK(fastMax <= timing.backoffMax);
  CHECK(slowMax <= 10 * 300ms);
  CHECK(slowMax > 2s);  // a ballot needs two round trips: back-offs span many of them
}
