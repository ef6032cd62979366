// A deterministic simulator: the same core objects as the real nodes, on a virtual clock and a
// virtual network that loses, duplicates, delays (and so reorders) and partitions messages,
// with crash and restart of any consensus node between any two steps. One 64-bit seed fixes
// every choice, so a run is reproduced exactly by its seed.
//
// After every step the invariants of DESIGN §7 are checked: validity, agreement (over what
// learners, proposers and clients were told, and over what a majority of acceptors accepted),
// integrity, and that no acceptor ever lowers its promise, across restarts too. In multi mode
// (a replicated log) the same ideas are checked per slot and over the learners' output
// sequences (LogChecker).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/acceptor.hpp"
#include "core/actor.hpp"
#include "core/cluster.hpp"
#include "core/node.hpp"
#include "core/timing.hpp"
#include "kv/replica.hpp"
#include "sim/log_checker.hpp"

namespace paxos::sim {

using core::Duration;
using core::Time;

// How hostile the network and the machines are until `faultsEnd`; after it, every crashed node
// restarts, partitions heal, and messages get through (liveness is then checked).
struct FaultMix {
  double loss = 0.1;
  double duplicate = 0.05;
  Duration minDelay = std::chrono::microseconds(50);
  Duration maxDelay = std::chrono::milliseconds(4);  // random delays reorder messages
  // A heavy tail: with this chance a copy of a message (each copy drawn apart) is delivered
  // tailMin..tailMax late instead (log-uniform), so that it arrives across leader changes,
  // restarts and new ballots. Drawn while faults last.
  double tail = 0;
  double duplicateTail = 0;  // the same for the second copy of a duplicated message, if higher
  Duration tailMin = std::chrono::milliseconds(100), tailMax = std::chrono::seconds(2);
  double crashPerStep = 0.003;  // chance a live consensus node crashes
  Duration downMin = std::chrono::milliseconds(1), downMax = std::chrono::milliseconds(80);
  double partitionPerStep = 0.001;  // chance a partition starts (if none is active)
  Duration partitionMin = std::chrono::milliseconds(5);
  Duration partitionMax = std::chrono::milliseconds(150);
  // Partial partitions: the chance per step that a random node stops hearing another random
  // node (clients included) for cutMin..cutMax, while the other direction still flows. Any
  // number may be on at once.
  double cutPerStep = 0;
  Duration cutMin = std::chrono::milliseconds(5), cutMax = std::chrono::milliseconds(300);
  // Timers in every order, throughout the run: each node's clock runs at its own rate, drawn
  // once per node from 1 ± clockSkew, and each wake-up comes up to wakeLateness late.
  double clockSkew = 0;
  Duration wakeLateness{0};
  Time faultsEnd = std::chrono::milliseconds(600);
  Duration livenessBound = std::chrono::seconds(5);  // after faultsEnd, every client decides
  // false: a restarted acceptor forgets its promises and acceptances (a broken variant)
  bool durableAcceptors = true;
  // false: a replica's snapshot leaves out the log's de-duplication table (service mode; a
  // broken variant: a command the log holds twice is applied twice across a restart)
  bool snapshotRequests = true;
  // Service mode: the chance that a replica that crashes loses its disk too. It restarts empty,
  // finds the acceptors trimmed past it (LogLearner::behindTrim), and starts again from a copy
  // of a live peer's latest snapshot (what fetching it over HTTP gives).
  double diskLoss = 0;
  bool randomCrashes = true;  // false: the caller crashes and restarts nodes itself
};

struct Setup {
  int proposers = 2, acceptors = 3, learners = 2;
  std::vector<std::string> values = {"a", "b", "c"};  // basic mode: one client per value
  std::vector<uint32_t> desired;                      // per client; default i % proposers
  // Multi mode (a replicated log): one client per stream, which submits the stream's values in
  // order (Timing::window in flight). Values must be unique across streams (see multiSetup).
  bool multi = false;
  std::vector<std::vector<std::string>> streams;
  // Service mode (docs/KV.md; multi is set too): the learners are key-value replicas and submit
  // the commands themselves, each `commands` of them at random times while faults last (puts of
  // unique values and gets, to `keys` keys); each takes a durable snapshot every
  // `snapshotEvery` slots or so (drawn in [snapshotEvery / 2, 3 * snapshotEvery / 2]), and a
  // crashed one restarts from it.
  bool service = false;
  int commands = 10, keys = 3;
  uint64_t snapshotEvery = 5;
  // Membership (docs/MEMBERSHIP.md; service mode): `changes` configuration changes, each built by
  // a random live learner, at a random time while faults last, from the newest epoch it knows:
  // a random set of 1 to 5 acceptors out of the hosts file's and `spares` more (UIDs after the
  // hosts file's, started as joining acceptors). An acceptor removed for good exits by itself
  // once its slots are forgotten; one added again is started again, with its disk.
  int changes = 0, spares = 0;
  uint64_t alpha = core::kDefaultAlpha;  // small: slots wait on the horizon, changes take over soon
  int clients() const { return int(multi ? streams.size() : values.size()); }
};

// Basic mode: one client per value.
Setup basicSetup(int proposers, int acceptors, int learners, std::vector<std::string> values);
// Multi mode: `clients` clients, the one with UID u streaming "c<u>v0", "c<u>v1", ...
Setup multiSetup(int proposers, int acceptors, int learners, int clients, int valuesPerClient);
// Service mode: no clients; each learner submits `commands` key-value commands.
Setup serviceSetup(int proposers, int acceptors, int learners, int commands);

struct Result {
  std::optional<std::string> violation;  // what broke, if anything
  std::vector<std::string> trace;        // events up to the violation (when tracing)
  std::optional<std::string> decided;    // basic mode
  uint64_t steps = 0;
  uint64_t messages = 0;    // sent by every actor, before loss and duplication
  uint64_t repeats = 0;     // multi mode: values delivered again after a skip (LogChecker)
  uint64_t duplicates = 0;  // multi mode: extra copies of values in the chosen log
  uint64_t slots = 0;       // multi mode: slots chosen
  uint64_t submitted = 0;   // service mode: commands the learners submitted
  uint64_t snapshots = 0;   // service mode: snapshots taken
  uint64_t restores = 0;    // service mode: learner restarts from a snapshot past slot 0
  uint64_t installs = 0;    // service mode: peer snapshots installed after a lost disk
  uint64_t reinstalls = 0;  // of which by a replica whose disk was not lost (see diskLoss)
  uint64_t epoch = 0;       // membership: the newest configuration chosen
  uint64_t exits = 0;       // membership: removed nodes that exited by themselves
  Time end{};               // when the run stopped (all decided, a violation, or the bound)
};

class Simulation {
 public:
  Simulation(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace);
  Result run();

  // For callers that script crashes themselves (paxos-sim's rounds, randomCrashes false).
  void crash(uint32_t uid);
  void restart(uint32_t uid);
  // Runs until `until` or until nothing is left to do; returns false on a violation.
  bool runUntil(Time until);
  Time now() const { return now_; }
  std::optional<std::string> clientDecision(uint32_t uid) const;
  // Multi mode: the slot each of the client's values was decided at (by index), so far.
  std::vector<std::optional<uint64_t>> clientSlots(uint32_t uid) const;
  const Result& result() const { return result_; }
  // Adds client actors lazily: a client not yet started is not running (run() starts those).
  void startClient(uint32_t uid);
  // Membership (service mode). Learner `uid` submits `change` now; returns its request id (0: the
  // learner is down).
  uint64_t submitChange(uint32_t uid, core::Change change);
  // Consensus node `uid` (spares included), if it is up.
  const core::Node* node(uint32_t uid) const;
  // The configurations of the log as the acceptors chose them (LogChecker).
  const core::Membership& membership() const { return checker_->membership(); }

  // Directed schedules: every message sent from now on goes through `script` (before the random
  // faults, which a directed test turns off), which delivers it, drops it, holds it back, or
  // delivers it and holds a copy. A held message stays in the network: `release` delivers a copy
  // of each held one that `match` accepts, now, and keeps it, so it can arrive again later.
  enum class Fate { deliver, drop, hold, duplicate };
  using Script = std::function<Fate(uint32_t from, uint32_t to, const wire::Message&)>;
  void script(Script script) { script_ = std::move(script); }
  using Match = std::function<bool(uint32_t from, uint32_t to, const wire::Message&)>;
  int release(const Match& match);

  // Partial partitions, scripted: while cut(from, to) is on, every message from `from` to `to`
  // is dropped when it arrives (also one already in flight), while `to` -> `from` still flows.
  // Any asymmetric reachability is a set of such cuts. Scripted cuts outlast `faultsEnd`: they
  // stay until cut(from, to, false) or heal(), which removes them all.
  void cut(uint32_t from, uint32_t to, bool on = true);
  void heal();

 private:
  struct Delivery {
    Time at;
    uint64_t seq;
    uint32_t to;
    wire::Message message;
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  // Service mode: a learner's key-value replica, what it holds, and its disk.
  struct Replica {
    std::optional<kv::Replica> replica;  // the live incarnation's
    // (client, request) of every command applied to the state the replica holds now: from its
    // snapshot and since. A second application of one is the exactly-once violation.
    std::set<std::pair<uint32_t, uint64_t>> applied;
    std::set<uint64_t> open;  // this incarnation's commands not yet applied
    uint64_t snapshotAt = 0;  // the next snapshot, when the learner's next slot reaches it
    uint64_t at = 0;          // the learner's next slot after its last step
    int made = 0;             // commands its clients sent, over every incarnation
    bool diskLost = false;    // since its disk was lost, it has not installed a peer's snapshot
    bool install = false;     // behind the trim: install a peer's snapshot after this step
    struct Disk {
      kv::Snapshot snapshot;
      std::set<std::pair<uint32_t, uint64_t>> applied;
    } disk;
  };

  struct Slot {
    std::unique_ptr<core::Actor> actor;
    bool up = false;
    int incarnation = 0;
    int decisions = 0;         // this incarnation
    std::optional<Time> wake;  // actor->nextWake(), which changes only when the actor steps
    Time fireAt{};             // when that wake fires on the simulator's clock
  };

  bool step(Time limit);
  void apply(uint32_t uid, core::Outbox& out);
  void injectFaults();
  bool blocked(uint32_t from, uint32_t to) const;  // a partition or a one-way cut
  void check(uint32_t uid);
  void checkLog(uint32_t uid, const core::Outbox& out);  // multi mode, before loss
  bool allDecided() const;
  // Service mode.
  void submit(uint32_t uid);              // a learner's HTTP client's command
  void change(uint32_t uid);              // a random configuration change
  wire::Role roleOf(uint32_t uid) const;  // for life: the hosts file's, or a spare acceptor
  int nodes() const { return cluster_.consensusCount() + setup_.spares; }
  void serve(uint32_t uid, const core::Outbox& out);  // applies, checks, snapshots
  void drawSnapshotAt(Replica& r, uint64_t from);
  void installPeerSnapshots();
  bool serviceDone() const;
  std::string serviceProgress() const;
  void violate(std::string what);
  void log(const std::string& event);
  void startNode(uint32_t uid);
  Duration delay(bool duplicate);  // for one copy of a message
  // Node clocks (FaultMix::clockSkew): the time `uid` reads at simulator time t, and the
  // earliest simulator time at which it reads `local`.
  Time localTime(uint32_t uid, Time t) const;
  Time simTime(uint32_t uid, Time local) const;
  void setWake(uint32_t uid);

  Setup setup_;
  FaultMix faults_;
  core::Cluster cluster_;
  core::Timing timing_;
  std::mt19937_64 rng_;
  bool tracing_;
  Time now_{};
  uint64_t seq_ = 0;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> network_;
  std::vector<Slot> slots_;
  std::map<uint32_t, Time> restartAt_;
  std::set<uint32_t> partitioned_;  // one side of the active partition
  Time healAt_{};
  std::set<std::pair<uint32_t, uint32_t>> cuts_;              // scripted one-way cuts (from, to)
  std::map<std::pair<uint32_t, uint32_t>, Time> randomCuts_;  // (from, to) -> heals at
  std::vector<double> clockRate_;                             // per node, 1 without skew
  std::map<uint32_t, core::DurableState> disk_;
  std::map<uint32_t, wire::Ballot> highestPromise_;
  std::map<wire::Ballot, std::pair<std::string, std::set<uint32_t>>> acceptances_;
  std::map<uint32_t, std::string> clientDecisions_;
  std::set<std::string> proposed_;
  std::optional<LogChecker> checker_;  // multi mode
  std::vector<uint64_t> logEnd_;  // multi mode: each learner's Node::logEnd after its last step
  std::map<uint32_t, Replica> replicas_;  // service mode, by learner uid
  std::set<uint32_t> exited_;             // membership: removed, and exited by themselves
  // Service mode: when a learner submits (a UID with core::kChangeBit: a configuration change).
  std::multimap<Time, uint32_t> submissions_;
  int disksLost_ = 0;                      // service mode
  std::map<uint64_t, kv::Store> storeAt_;  // service mode: the store of the first replica at a slot
  const wire::Message* input_ = nullptr;   // the message being delivered, while it is
  Script script_;
  std::vector<std::pair<uint32_t, wire::Message>> held_;  // (to, message), for release()
  Result result_;
};

// One seed, random faults from `faults`: the run the tests and `paxos-sim --seeds` repeat.
Result simulate(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace = false);

}  // namespace paxos::sim
