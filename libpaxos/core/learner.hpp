// Learner: decides a value once a majority of distinct acceptors report ACCEPTED for the same
// ballot (or a proposer that counted such a majority says DECIDED), then tells every client
// and proposer. Later ACCEPTEDs (a proposer still working on
// a decided instance) are answered with DECIDED so that proposer can stop.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/player.hpp"
#include "core/quorum.hpp"

namespace paxos::core {

class Learner : public Player {
 public:
  explicit Learner(const Cluster& cluster) : cluster_(cluster) {}

  void receive(const wire::Message& message, Outbox& out);
  void receive(Time, const wire::Message& message, Outbox& out) override { receive(message, out); }
  std::optional<std::string> decided() const override { return decided_; }

 private:
  struct Tally {
    Quorum acceptors;
    std::string value;
#ifdef PAXOS_MUTANT_LEARNER_COUNTS_TWICE
    size_t votes = 0;
#endif
  };
  const Cluster& cluster_;
  std::map<wire::Ballot, Tally> tallies_;  // instance 0 only, in basic mode
  std::optional<std::string> decided_;
};

}  // namespace paxos::core
