// Multi mode's learner (docs/MULTI.md): learns each slot from a majority of acceptors reporting
// one ballot (or from another learner), delivers the slots in order, each command once, tells
// each client which slot decided its values, and fetches the slots it missed (CATCHUP) from the
// other learners and the acceptors. It keeps delivered slots until every learner has them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/progress.hpp"
#include "core/timing.hpp"

namespace paxos::core {

class LogLearner {
 public:
  LogLearner(const Cluster& cluster, const Timing& timing, uint32_t self);

  void receive(Time now, const wire::Message& message, Outbox& out);
  void tick(Time now, Outbox& out);
  std::optional<Time> nextWake() const;

  // The next slot to deliver: every slot below is delivered.
  uint64_t next() const { return next_; }

 private:
  struct Tally {
    std::set<uint32_t> acceptors;
    std::string value;
  };
  // What was delivered for one client: request id -> slot, for the most recent requests.
  struct Delivered {
    std::map<uint64_t, uint64_t> slotOf;
    uint64_t forgottenUpTo = 0;  // ids at or below were delivered and are no longer listed
  };

  void onAccepted(Time now, const wire::Message& m, Outbox& out);
  void learn(Time now, uint64_t slot, std::string value, Outbox& out);
  void drain(Time now, Outbox& out);  // delivers the ready slots that are next in order
  void deliver(uint64_t slot, const std::string& value, Outbox& out);
  void catchup(Time now, Outbox& out);
  void report(Outbox& out);

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  uint64_t next_ = 0;
  uint64_t known_ = 0;      // slots below this exist (heard of), delivered or not
  uint64_t askedUpTo_ = 0;  // end of the last CATCHUP range
  std::map<uint64_t, std::map<wire::Ballot, Tally>> tallies_;
  std::map<uint64_t, std::string> ready_;  // decided, waiting for an earlier slot
  std::map<uint64_t, std::string> log_;    // delivered, kept for learners that catch up
  std::map<uint32_t, Delivered> delivered_;
  Progress progress_;
  Time catchupAt_{};
  Time reportAt_{};
};

}  // namespace paxos::core
