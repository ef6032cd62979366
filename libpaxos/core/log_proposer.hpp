// Multi mode's proposer (docs/MULTI.md): the proposers keep one leader among them (Leadership).
// The leader runs phase 1 once for every slot from its
// decided prefix on (PREPARE_ALL), re-runs both phases for the slots an earlier leader left
// unfinished (no-op where nobody accepted anything), and then runs only phase 2 per slot: each
// slot carries a batch of client commands, and up to `pipeline` slots are in flight at once.
// A proposer that does not lead forwards requests to the one it believes leads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/cluster.hpp"
#include "core/id_table.hpp"
#include "core/leadership.hpp"
#include "core/outbox.hpp"
#include "core/player.hpp"
#include "core/progress.hpp"
#include "core/quorum.hpp"
#include "core/request_log.hpp"
#include "core/rtt.hpp"
#include "core/timing.hpp"
#include "wire/batch.hpp"

namespace paxos::core {

class LogProposer : public Player {
 public:
  // `recoveredRound`: the highest round it persisted before a restart; it never reuses it.
  // It reads the configuration changes in the slots it decides into `cluster`'s membership.
  LogProposer(Cluster& cluster, const Timing& timing, uint32_t self, std::mt19937_64& rng,
              uint64_t recoveredRound = 0);

  void start(Time now, Outbox& out) override;
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  bool leading() const { return state_ == State::leading; }
  // Every slot below this is decided, as far as this proposer knows.
  uint64_t decidedPrefix() const { return commit_; }
  // Every learner has delivered every slot below this.
  uint64_t deliveredEverywhere() const { return std::max(progress_.everywhere(), forgottenBelow_); }
  uint64_t logEnd() const override { return commit_; }
  uint64_t settled() const override { return deliveredEverywhere(); }

 private:
  enum class State { following, preparing, backingOff, leading };
  using Key = std::pair<uint32_t, uint64_t>;  // (client, request)
  struct Slot {
    bool recovering = false;  // phase 1 for this slot: an earlier leader may have left a value
    bool again = false;       // decided already, run again for a learner (onCatchup)
    Promises promises;
    Quorum acceptedBy;
    std::vector<Key> keys;  // ours (all of `value`'s commands): re-queued if the ballot fails
    std::string value;
    Time resendAt{};
    int resends = 0;
    Time sentAt{};  // this phase's first send, for round-trip samples
  };
  void follow(Time now, Outbox& out);  // leadership changes follow who is alive
  void prepare(Time now, Outbox& out);
  void sendPrepareAll(Time now, Outbox& out);  // to the acceptors that have not promised
  void onPromiseAll(Time now, const wire::Message& m, Outbox& out);
  // Leads once a majority of the configuration of the decided prefix promised (phase 1 done).
  void lead(Time now, Outbox& out);
  void onPromise(Time now, const wire::Message& m, Outbox& out);
  void onAccepted(Time now, const wire::Message& m, Outbox& out);
  void arm(Slot& s, Time now);  // a phase of `s` was just sent: times its answers and resend
  void onNack(Time now, const wire::Message& m, Outbox& out);
  void onRequest(const wire::Message& m, Outbox& out);
  void enqueue(Key key, std::string_view encoded);  // a command's encoding, to the queue's end
  void onCatchup(Time now, const wire::Message& m, Outbox& out);
  // Starts the slots from next_ on, below the membership's horizon: phase 1 for those a
  // promise reported accepted (below recoverEnd_), then phase 2 for queued commands, pipeline
  // permitting, once a majority of the slot's configuration promised (else asks it first), and
  // no-ops while a decided change waits to take effect.
  void fill(Time now, Outbox& out);
  // Reads the changes in the decided values from the membership's through() on, in order.
  void readMembership(Outbox& out);
  void decided(uint64_t slot, Outbox& out);
  void decidedBelow(uint64_t slot);
  // An acceptor forgot the slots below `slot`: every learner has them, none needs them run again.
  void forgotten(uint64_t slot);
  void stepDown(Outbox& out, const std::string& why);
  // To every acceptor that has not answered; `thrifty` (a slot's first ACCEPT only): to just a
  // majority, those heard from most recently, or to all if fewer than a majority were heard
  // within leaderTimeout or a slot needed a resend lately (thriftyFrom_). Safety does not depend
  // on it; liveness relies on tick's resend to all.
  void sendPhase(uint64_t slot, const Slot& s, Outbox& out, bool thrifty = false) const;
  void heartbeat(Outbox& out) const;

  Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  std::mt19937_64& rng_;
  Time now_{};

  State state_ = State::following;
  wire::Ballot ballot_;
  uint64_t highestRoundSeen_ = 0;
  int nacks_ = 0;
  Time wakeAt_{};  // prepare resend or end of backoff
  // Round trips to acceptors (PREPARE_ALL, and each slot's phases) set resends and back-offs.
  RttEstimator rtt_;
  Time prepareSentAt_{};
  Time heartbeatAt_{};
  Leadership leadership_;     // who leads: the highest proposer that reaches the acceptors
  Quorum promisedAll_;        // every acceptor that promised this ballot for every slot
  uint64_t promisedEnd_ = 0;  // the highest end of an accepted log they reported
  uint64_t recoverEnd_ = 0;   // leading: slots from next_ below this need phase 1 of their own
  bool asking_ = false;       // leading: waits for a configuration's promises (fill)
  Time thriftyFrom_{};        // a slot was resent (a loss): ACCEPT to every acceptor until then

  uint64_t commit_ = 0;       // every slot below is decided
  std::set<uint64_t> above_;  // decided slots above commit_
  uint64_t next_ = 0;         // the next free slot
  std::map<uint64_t, Slot> inFlight_;
  // The value this ballot proposed in each slot no longer in flight, until an acceptor has
  // forgotten the slot (no slot below that is run again): a run again for a learner (onCatchup)
  // proposes that value and no other.
  std::map<uint64_t, std::string> proposed_;
  // Values decided under this proposer's lead, from the membership's through() on.
  std::map<uint64_t, std::string> values_;
  // Commands waiting for a slot: each one's key and encoding's size, the encodings back to back
  // in pending_ from pendingHead_ on. A slot's value is a slice of it, not a re-encoding.
  struct Queued {
    Key key;
    size_t bytes;
  };
  std::deque<Queued> queue_;
  std::string pending_;
  size_t pendingHead_ = 0;
  RequestSet queued_;       // in queue_ or in flight: a retried request is not proposed twice
  RequestLog decided_;      // decided under this proposer's lead: a resend goes to the learners
  std::set<Key> referred_;  // resends sent to the learners once
  Progress progress_;
  uint64_t forgottenBelow_ = 0;  // an acceptor forgot the slots below: every learner has them
};

}  // namespace paxos::core
