// The key-value service on one learner node (docs/KV.md): submits its HTTP clients' commands to
// the log through the node's learner, applies what the learner delivers to its replica, answers
// each command once its own replica has applied it (so a client reads its writes on that node),
// answers 504 for a command still out when its deadline passes, and writes a snapshot every N
// slots. A replica the acceptors have trimmed past (it lost its disk, or is new) fetches a peer's
// snapshot, installs it and goes on from its slot. Runs on the node's io_context thread, beside the
// Driver; no locks.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/node.hpp"
#include "kv/replica.hpp"
#include "service/snapshot_fetcher.hpp"
#include "service/snapshot_file.hpp"

namespace paxos::net {
class Driver;
}

namespace paxos::service {

struct ServiceOptions {
  uint64_t snapshotEvery = 1000;  // slots between snapshots
  std::chrono::milliseconds requestTimeout{5000};
  size_t maxPending = 50000;  // more commands waiting than this: 503
  // The other learners' HTTP addresses: where a replica behind the trim point fetches a snapshot.
  std::vector<config::HttpAddress> peers;
  std::chrono::milliseconds fetchBackoff{200}, fetchBackoffMax{5000};  // between failed fetches
};

// How a command ended for its HTTP client.
struct Outcome {
  enum class Kind { applied, unavailable, timeout };
  Kind kind = Kind::applied;
  kv::Result result;  // applied
  std::string message;
};

class KvService {
 public:
  using Reply = std::function<void(const Outcome&)>;

  // `snapshot`: restored from disk (nullopt on a first start); the node's learner must have
  // started at its slot. `file`: where snapshots go (null: kept in memory only).
  KvService(asio::io_context& io, core::Node& node, ServiceOptions options, SnapshotFile* file,
            std::optional<kv::Snapshot> snapshot);

  void attach(net::Driver& driver) { driver_ = &driver; }

  // Puts a command in the log; `reply` runs once, on this thread, when the replica has applied
  // it, or 503/504. Not re-entrant into reply: it never runs inside submit.
  void submit(kv::Command command, Reply reply);
  // The same for a configuration change (docs/MEMBERSHIP.md): `reply` says, once this replica has
  // it, whether it applied (result.status ok) or was void (failed: the epoch had moved on).
  void submitChange(const core::Change& change, Reply reply);
  const core::Membership& membership() const { return node_.cluster().membership(); }
  const kv::Store& store() const { return replica_.store(); }

  // Driver hooks: the step's input (commands to send) and its deliveries.
  void feed(core::Time now, core::Outbox& out);
  void delivered(const std::vector<std::pair<uint64_t, wire::Command>>& delivered);

  core::LogLearner& learner() const { return learner_; }
  bool leaderKnown() const;
  std::optional<uint32_t> leader() const;
  uint64_t snapshotSlot() const { return snapshotSlot_; }
  size_t pending() const { return pending_.size(); }
  struct Counters {
    uint64_t submitted = 0, applied = 0, timeouts = 0, unavailable = 0, snapshots = 0;
    uint64_t installed = 0, fetchFailures = 0;  // peers' snapshots installed; failed fetches
  };
  const Counters& counters() const { return counters_; }
  // The latest commands applied here (any node's): "slot op key", newest last.
  const std::deque<std::string>& recent() const { return recent_; }
  // The latest snapshot's bytes (what a peer that fell behind the trim point would fetch).
  const std::string& lastSnapshot() const { return snapshotBytes_; }

 private:
  void sweep();  // answers 504 to commands past their deadline
  void snapshot();
  // Behind the trim point: fetch a peer's snapshot (one at a time, peers in turn, backing off).
  void fetchSnapshot();
  void fetched(const std::string& error, std::string bytes);
  void install(core::Time now, core::Outbox& out);  // the fetched snapshot, in a driver step
  static core::Time now();
  // Admits a request unless no leader is known or too many wait: then answers 503, and false.
  bool admit(Reply& reply);
  void submitted(uint64_t id, Reply reply);
  kv::MembershipState membershipState() const;

  asio::io_context& io_;
  core::Node& node_;
  core::LogLearner& learner_;
  ServiceOptions options_;
  SnapshotFile* file_;
  kv::Replica replica_;
  net::Driver* driver_ = nullptr;
  struct Pending {
    Reply reply;
    core::Time deadline;
  };
  std::map<uint64_t, Pending> pending_;  // by request id: ids grow, deadlines with them
  size_t toSubmit_ = 0;                  // submitted since the last post to the driver
  asio::steady_timer sweeper_;
  uint64_t snapshotSlot_ = 0;
  std::string snapshotBytes_;
  Counters counters_;
  std::deque<std::string> recent_;
  uint64_t appliedFrom_ = 0;  // deliveries of slots below are in the store already
  SnapshotFetcher fetcher_;
  size_t nextPeer_ = 0;
  std::chrono::milliseconds backoff_;
  core::Time fetchAt_{};
  std::optional<std::pair<kv::Snapshot, std::string>> toInstall_;  // decoded, and its bytes
};

}  // namespace paxos::service
