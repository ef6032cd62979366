// The round trip as one node observes it, estimated as TCP does (RFC 6298: SRTT and RTTVAR),
// so that resends and back-offs follow the network the node is on. Pure: a sample is the time
// from a request's first send to an answer, both times given by the caller (the core never reads
// a clock). Timed from the first send even when the request was resent since: on a network
// slower than the resend constants every request is resent before any answer can come, so
// Karn's rule (no samples from resent requests) would never see one. A sample can then overstate
// the round trip (when the first copy was lost), never understate it.
#pragma once

#include <algorithm>
#include <cstdlib>

#include "core/timing.hpp"

namespace paxos::core {

class RttEstimator {
 public:
  void sample(Duration rtt) {
    if (rtt.count() < 0) return;
    if (samples_++ == 0) {
      srtt_ = rtt;
      rttvar_ = rtt / 2;
      return;
    }
    Duration error = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + error) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  // The smoothed round trip; zero before any sample.
  Duration srtt() const { return srtt_; }
  // How long to wait for an answer before sending again: SRTT + 4 RTTVAR, never less than
  // `floor` (the constant in Timing, so a fast network behaves exactly as without an estimate).
  Duration timeout(Duration floor) const { return std::max(floor, srtt_ + 4 * rttvar_); }
  // A time scale of at least one round trip: `floor`, or SRTT when the network is slower.
  Duration atLeastRoundTrip(Duration floor) const { return std::max(floor, srtt_); }

 private:
  Duration srtt_{0}, rttvar_{0};
  long samples_ = 0;
};

}  // namespace paxos::core
