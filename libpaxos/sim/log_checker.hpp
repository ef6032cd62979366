// Multi mode's invariants (a replicated log, seed 004), judged after every step from what the
// nodes did: the values a learner put on its output (with the slot of each, from its "deliver"
// events) and the DECIDED answers it sent, the acceptor state a step persisted, and the lines a
// client printed.
//
// A learner keeps nothing across a restart: each incarnation delivers again, from slot 0 or from
// where the acceptors' trimmed log makes it skip ahead. So the unit of "a learner's output" is
// one incarnation, and the checks are:
// - total order: every incarnation's output is a run of one global sequence of values, starting
//   at its beginning (or, after a skip, at the first value of the slot it skipped to); every
//   value is delivered at the same slot wherever it is delivered;
// - integrity: no incarnation delivers a value twice;
// - validity: every delivered, answered or chosen value was submitted, by the client and under
//   the request id its command names;
// - per-slot safety: one value per (slot, ballot); no two ballots choose different values for a
//   slot (chosen = accepted by a majority); a learner delivers, and another learner is told,
//   only what was chosen at that slot; no acceptor ever lowers a promise (per slot, or for every
//   slot);
// - clients: each value is printed once, with the slot the learners delivered it at.
//
// One exception is tolerated and counted (repeats()), because the protocol as it stands cannot
// avoid it: a learner that skipped ahead after a restart has lost the memory of which commands
// it delivered below the skip, so a command the log holds twice (a client resent it, a new
// leader proposed it again), once below the skip and once above, is delivered again by that
// incarnation, and its client may be told the later slot. docs/SIMULATOR.md has the details.
//
// Service mode (docs/KV.md): the learners submit the commands (registered with submitted() as
// they are), deliver them on Outbox::delivered instead of output, and an incarnation starts at its
// replica's snapshot, whose de-duplication table makes the exception above impossible: there a
// repeat is a violation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cluster.hpp"
#include "core/outbox.hpp"

namespace paxos::sim {

// A service-mode command for a trace line: "put k1=n5.2.7", "get k0 (n6.1.3)".
std::string describeKv(std::string_view bytes);

class LogChecker {
 public:
  // `streams[i]`: the values client `cluster.clients()[i]` submits, request id = index + 1.
  // Values must be unique across all clients (the checks identify a command by its value).
  // `trace`: keep a line per delivery for takeDeliveries().
  LogChecker(const core::Cluster& cluster, const std::vector<std::vector<std::string>>& streams,
             bool trace);

  // A learner incarnation begins (first start or restart): it delivers from `slot` (0, or in
  // service mode the slot of the snapshot it starts from).
  void learnerStarted(uint32_t uid, uint64_t slot = 0);
  // Service mode: learner `client` submitted `value` as its request `request` (values unique).
  void submitted(uint32_t client, uint64_t request, const std::string& value);
  // The learner skipped to `slot`: the acceptors forgot the slots below it, which every learner,
  // this one's earlier incarnations included, delivered.
  void learnerSkipped(uint32_t uid, uint64_t slot);
  // A learner's step: `out` as the node produced it (before any loss), and how far its log
  // reached before and after the step (Node::logEnd).
  void learnerStep(uint32_t uid, const core::Outbox& out, uint64_t endBefore, uint64_t endAfter);
  void acceptorStep(uint32_t uid, const core::Outbox& out);
  void clientStep(uint32_t uid, const core::Outbox& out);

  // Liveness: every client printed every value, and every learner delivered every value (in some
  // incarnation: a learner that restarts late may skip what it delivered before).
  bool complete() const;
  // Values a skipped-ahead learner delivered again, at a later slot of the log (see above).
  uint64_t repeats() const { return repeats_; }
  // Extra copies in the chosen log: a value chosen at three slots counts 2. The learners deliver
  // each once; copies come from a client's resend reaching a leader after the value was decided.
  uint64_t duplicates() const;
  uint64_t slotsChosen() const { return chosen_.size(); }
  // One past the highest slot a majority of acceptors chose (0: none).
  uint64_t chosenEnd() const { return chosen_.empty() ? 0 : chosen_.rbegin()->first + 1; }
  // "clients 38 of 40 values; n5 40 of 40, n6 12 of 40"
  std::string progress() const;
  // The slot each value of client `uid` was answered with, by index (nullopt: not yet).
  std::vector<std::optional<uint64_t>> clientSlots(uint32_t uid) const;
  // One line per delivery, for a trace: "n5 DELIVER slot 3 c7v0".
  std::vector<std::string> takeDeliveries() { return std::exchange(deliveries_, {}); }

  const std::optional<std::string>& violation() const { return violation_; }
  // The configurations of the log (docs/MEMBERSHIP.md), from the chosen slots in order: a slot
  // counts as chosen by a majority of its own configuration, known once the slot is below this
  // membership's horizon.
  const core::Membership& membership() const { return truth_; }

 private:
  struct Submitted {
    uint32_t client;
    uint64_t request;
  };
  struct Incarnation {
    std::set<std::string> seen;
    uint64_t lastSlot = 0;
    size_t cursor = 0;       // index into log_ of the next value it must deliver
    uint64_t skippedTo = 0;  // it never saw the slots below
  };
  struct Entry {
    std::string value;
    uint64_t slot;
  };
  struct Acceptance {
    std::string value;
    std::set<uint32_t> acceptors;
  };
  struct Chosen {
    wire::Ballot ballot;  // the first ballot a majority accepted it under
    std::string batch;
    std::set<std::string> values;
  };

  void skipTo(Incarnation& inc, uint64_t slot);
  // A value's delivery at `slot` is the first one, or a tolerated repeat.
  bool deliveredAt(const std::string& value, uint64_t slot) const;
  // Validity of one command: submitted by its client under its request id.
  bool valid(const std::string& value, uint32_t client, uint64_t request) const;
  // Chooses (slot, ballot) if a majority of the slot's configuration accepted it, once known.
  void count(uint64_t slot, wire::Ballot ballot, const Acceptance& a);
  void choose(uint64_t slot, wire::Ballot ballot, const std::string& batch);
  // Reads the chosen slots from truth_.through() on, in order, counting what waited on them.
  void advance();
  void fail(std::string what);

  const core::Cluster& cluster_;
  std::map<std::string, Submitted> submitted_;
  std::map<uint32_t, std::vector<std::string>> streams_;  // client uid -> its values
  std::map<uint32_t, Incarnation> incarnations_;          // learner uid -> current incarnation
  std::map<uint32_t, std::set<std::string>> everDelivered_;
  std::vector<Entry> log_;                                // the global sequence, in delivery order
  std::map<std::string, uint64_t> slotOf_;                // value -> the slot it was delivered at
  std::map<std::string, std::set<uint64_t>> repeatedAt_;  // value -> later slots (tolerated)
  uint64_t repeats_ = 0;
  std::map<std::string, uint64_t> answered_;  // value -> the slot its client printed
  std::map<std::pair<uint32_t, uint64_t>, wire::Ballot> promised_;  // (acceptor, slot)
  std::map<uint32_t, wire::Ballot> promisedAll_;
  std::map<std::pair<uint64_t, wire::Ballot>, Acceptance> accepted_;
  std::map<uint64_t, Chosen> chosen_;
  core::Membership truth_;
  bool service_;
  bool tracing_;
  std::vector<std::string> deliveries_;
  std::optional<std::string> violation_;
};

}  // namespace paxos::sim
