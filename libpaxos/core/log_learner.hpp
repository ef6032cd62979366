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
#include "core/submitter.hpp"
#include "core/timing.hpp"
#include "wire/batch.hpp"

namespace paxos::core {

// Where a service-mode learner starts (docs/KV.md): from its replica's snapshot, which holds
// every slot below `slot` and the log's de-duplication table as of there.
struct LearnerStart {
  uint64_t slot = 0;
  RequestLog requests;
  uint64_t firstRequest = 1;  // Submitter: ids of this run start here
  std::string membership;     // Membership::encode() whose through() is membershipThrough
  uint64_t membershipThrough = 0;
};

class LogLearner : public Player {
 public:
  // It applies the configuration changes it delivers to `cluster`'s membership.
  LogLearner(Cluster& cluster, const Timing& timing, uint32_t self, LearnerStart start = {});

  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  // The next slot to deliver: every slot below is delivered.
  uint64_t next() const { return next_; }
  uint64_t logEnd() const override { return next_; }

  // Service mode. A command of this learner's own for the log (Submitter::submit); it leaves at
  // the end of the step. Returns its request id, which Outbox::delivered names when it is in.
  uint64_t submit(std::string value) { return submitter_->submit(std::move(value)); }
  // A configuration change (core/configuration.hpp) for the log; Outbox::delivered names it
  // with client changeClient(self) and the request id returned.
  uint64_t submitChange(const Change& change) {
    return submitter_->submitChange(encodeChange(change));
  }
  void flushSubmitted(Time now, Outbox& out) { submitter_->flush(now, out); }
  std::optional<uint32_t> leader(Time now) const { return submitter_->leader(now); }
  size_t submitted() const { return submitter_->waiting(); }
  // Every slot below is in the replica's durable snapshot: what this learner reports to the
  // acceptors, who forget only slots every replica has on disk.
  void snapshotted(uint64_t slot) { durable_ = std::max(durable_, slot); }
  uint64_t durable() const { return durable_; }
  const RequestLog& requests() const { return requests_; }
  // Set when the acceptors have forgotten slots this learner never delivered (a replica that
  // lost its disk, or a new one): only a peer's snapshot can bring it on (0: not behind).
  uint64_t behindTrim() const { return behindTrim_; }
  // Service mode: restarts this learner at a peer's snapshot (docs/KV.md#snapshots-and-compaction)
  // that holds every slot below `slot` and the log's request table as of there; the caller has
  // put the snapshot's map in its replica. Drops what it kept below `slot` (tallies, decided
  // slots waiting, delivered slots), treats own commands the table holds as delivered, and
  // delivers the ready slots from `slot` on (Outbox::delivered). Returns false, changing
  // nothing, unless slot > next(): a snapshot never takes a replica back.
  // `membership`: a Membership::encode() whose through() is `through`.
  bool install(Time now, uint64_t slot, RequestLog requests, const std::string& membership,
               uint64_t through, Outbox& out);
  uint64_t known() const { return known_; }

 private:
  struct Tally {
    Quorum acceptors;  // whoever reported: counted against the slot's configuration once known
    std::string value;
  };
  // Learns `slot` if one of its tallies has a majority of the slot's configuration (known only
  // below the membership's horizon).
  void count(Time now, uint64_t slot, Outbox& out);

  void onAccepted(Time now, const wire::Message& m, Outbox& out);
  void learn(Time now, uint64_t slot, std::string value, Outbox& out);
  void drain(Time now, Outbox& out);  // delivers the ready slots that are next in order
  void deliver(Time now, uint64_t slot, const std::string& value, Outbox& out);
  // Tells a client where commands of its own were delivered: DECIDED to `client` (if it is one)
  // with `batch`, its commands in `slot`.
  void answer(uint32_t client, std::string batch, uint64_t slot, Outbox& out) const;
  void catchup(Time now, Outbox& out);
  void report(Outbox& out);
  void forget();  // drops the delivered slots every learner has reported

  Cluster& cluster_;
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
  std::optional<Submitter> submitter_;  // service mode
  uint64_t durable_ = 0;                // service mode: slots below are in a snapshot
  uint64_t behindTrim_ = 0;
};

}  // namespace paxos::core
