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
#include "core/player.hpp"
#include "core/progress.hpp"
#include "core/quorum.hpp"
#include "core/request_log.hpp"
#include "core/timing.hpp"
#include "wire/batch.hpp"

namespace paxos::core {

class LogLearner : public Player {
 public:
  LogLearner(const Cluster& cluster, const Timing& timing, uint32_t self);

  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  // The next slot to deliver: every slot below is delivered.
  uint64_t next() const { return next_; }
  uint64_t logEnd() const override { return next_; }

 private:
  struct Tally {
    Quorum acceptors;
    std::string value;
  };

  void onAccepted(Time now, const wire::Message& m, Outbox& out);
  void learn(Time now, uint64_t slot, std::string value, Outbox& out);
  void drain(Time now, Outbox& out);  // delivers the ready slots that are next in order
  void deliver(uint64_t slot, const std::string& value, Outbox& out);
  // Tells a client where these commands of its own (one client's, non-empty) were delivered.
  void answer(const std::vector<wire::Command>& commands, uint64_t slot, Outbox& out) const;
  void catchup(Time now, Outbox& out);
  void report(Outbox& out);
  void forget();  // drops the delivered slots every learner has reported

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  uint64_t next_ = 0;
  uint64_t known_ = 0;                 // slots below this exist (heard of), delivered or not
  uint64_t askedUpTo_ = 0;             // end of the last CATCHUP range
  std::optional<uint64_t> askedFrom_;  // start of the last CATCHUP range
  std::map<uint64_t, std::map<wire::Ballot, Tally>> tallies_;
  std::map<uint64_t, std::string> ready_;  // decided, waiting for an earlier slot
  std::map<uint64_t, std::string> log_;    // delivered, kept for learners that catch up
  RequestLog requests_;                    // what was delivered, and where
  Progress progress_;
  Time catchupAt_{};
  Time reportAt_{};
};

}  // namespace paxos::core
