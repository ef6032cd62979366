// A service-mode learner's own commands (those of its HTTP clients, docs/KV.md): sent as REQUESTs
// to the leader it last heard, batched, and resent (to the next proposer when no leader is heard)
// until this learner delivers them. The learner is the client here, so the log's (client,
// request) de-duplication applies: a command resent, forwarded or re-proposed is delivered once.
// At most kOpen are in flight; the rest wait in order, so a request id is never more than kOpen
// behind the newest (RequestLog remembers 4096 per client). Commands are never abandoned: one
// whose HTTP client gave up may still be applied, which is why that client hears 504, not 4xx.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "core/request_log.hpp"
#include "core/timing.hpp"

namespace paxos::core {

class Submitter {
 public:
  static constexpr size_t kOpen = 1024;

  // `firstRequest`: the first request id. A learner that restarts must not reuse an id of its
  // previous run (the log would take the new command for a resend of the old one).
  Submitter(const Cluster& cluster, const Timing& timing, uint32_t self, uint64_t firstRequest);

  // Queues a command; it leaves at the next flush. Returns its request id.
  uint64_t submit(std::string value);
  // Queues a configuration change (encodeChange): it leaves as client changeClient(self).
  uint64_t submitChange(std::string value);
  // Sends what the window has room for, batched.
  void flush(Time now, Outbox& out);
  // The learner delivered request `id` of ours: it needs no more sending.
  void delivered(Time now, uint64_t id, Outbox& out);
  // The learner installed a snapshot whose request table is `requests`: the commands of ours it
  // holds were delivered in slots this learner skipped, and need no more sending.
  void settle(Time now, const RequestLog& requests, Outbox& out);
  // A heartbeat of a proposer leading with a majority of acceptors.
  void heardLeader(Time now, uint32_t proposer);
  // The leader, if one reaching a majority was heard within the leader timeout.
  std::optional<uint32_t> leader(Time now) const;
  void tick(Time now, Outbox& out);
  std::optional<Time> nextWake() const;
  size_t waiting() const { return queue_.size() + open_.size(); }

 private:
  struct Open {
    std::string value;
    Time dueAt{};
    int sends = 0;
    bool change = false;
  };
  struct Queued {
    uint64_t id;
    std::string value;
    bool change;
  };
  // Its commands' client: its own UID, with kChangeBit for a configuration change.
  uint32_t clientOf(bool change) const { return change ? changeClient(self_) : self_; }
  uint32_t target(Time now);  // the leader, or the next proposer in turn
  void send(const std::map<uint64_t, Open*>& batch, uint32_t to, Outbox& out) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  uint64_t nextId_;
  std::deque<Queued> queue_;       // not sent yet
  std::map<uint64_t, Open> open_;  // sent, not delivered
  std::optional<uint32_t> leader_;
  Time leaderHeardAt_{};
  size_t turn_ = 0;  // fail-over: the proposer to try next without a leader
};

}  // namespace paxos::core
