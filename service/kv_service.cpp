#include "service/kv_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/driver.hpp"

namespace paxos::service {

namespace {
constexpr size_t kRecent = 20;
constexpr auto kSweep = std::chrono::milliseconds(100);

}  // namespace

KvService::KvService(asio::io_context& io, core::Node& node, ServiceOptions options,
                     SnapshotFile* file, std::optional<kv::Snapshot> snapshot)
    : io_(io),
      node_(node),
      learner_(*node.logLearner()),
      options_(options),
      file_(file),
      replica_(node.uid(), snapshot ? std::move(snapshot->store) : kv::Store{}),
      sweeper_(io),
      snapshotSlot_(snapshot ? snapshot->slot : 0),
      appliedFrom_(snapshotSlot_),
      fetcher_(io),
      backoff_(options_.fetchBackoff) {
  // A restarted replica serves its snapshot at once: a peer behind the trim point may need it.
  if (snapshot)
    snapshotBytes_ =
        kv::encodeSnapshot(snapshotSlot_, replica_.store(), learner_.requests(), membershipState());
  sweep();
}

kv::MembershipState KvService::membershipState() const {
  const core::Membership& m = node_.cluster().membership();
  return {m.through(), m.encode()};
}

core::Time KvService::now() {
  return std::chrono::steady_clock::now().time_since_epoch();
}

std::optional<uint32_t> KvService::leader() const {
  return learner_.leader(now());
}

bool KvService::leaderKnown() const {
  return leader().has_value();
}

bool KvService::admit(Reply& reply) {
  Outcome refused{Outcome::Kind::unavailable, {}, {}};
  // Playing (a joined node never hears the hosts file's election), and a leader heard.
  if (node_.role() == wire::Role::none || !leaderKnown())
    refused.message = "no leader reaching a majority of acceptors is known; retry later";
  else if (pending_.size() >= options_.maxPending)
    refused.message = fmt::format("{} commands are waiting already; retry later", pending_.size());
  if (refused.message.empty()) return true;
  ++counters_.unavailable;
  asio::post(io_, [reply = std::move(reply), refused] { reply(refused); });
  return false;
}

void KvService::submit(kv::Command command, Reply reply) {
  if (admit(reply)) submitted(learner_.submit(kv::encode(command)), std::move(reply));
}

void KvService::submitChange(const core::Change& change, Reply reply) {
  if (admit(reply)) submitted(learner_.submitChange(change), std::move(reply));
}

void KvService::submitted(uint64_t id, Reply reply) {
  ++counters_.submitted;
  pending_.emplace(id, Pending{std::move(reply), now() + options_.requestTimeout});
  // Commands that come in one turn of the event loop leave in one REQUEST: post, not send.
  if (toSubmit_++ == 0)
    asio::post(io_, [this] {
      toSubmit_ = 0;
      if (driver_) driver_->offerInput();
    });
}

void KvService::feed(core::Time now, core::Outbox& out) {
  if (toInstall_) install(now, out);
  node_.flushSubmitted(now, out);
}

void KvService::delivered(const std::vector<std::pair<uint64_t, wire::Command>>& all) {
  // Deliveries of a step that ended just before a snapshot was installed are in that snapshot.
  std::vector<std::pair<uint64_t, wire::Command>> later;
  bool stale = !all.empty() && all.front().first < appliedFrom_;
  if (stale)
    for (const auto& d : all)
      if (d.first >= appliedFrom_) later.push_back(d);
  const auto& delivered = stale ? later : all;
  if (!delivered.empty()) appliedFrom_ = delivered.back().first;
  for (const auto& [slot, c] : delivered) {
    if (auto command = kv::decode(c.value)) {
      recent_.push_back(fmt::format("{} {} {}", slot, kv::opName(command->op), command->key));
      if (recent_.size() > kRecent) recent_.pop_front();
    }
  }
  // Configuration changes of ours: applied if the configuration they built now follows them.
  for (const auto& [slot, c] : delivered) {
    auto it =
        c.client == core::changeClient(node_.uid()) ? pending_.find(c.request) : pending_.end();
    if (it == pending_.end()) continue;
    auto change = core::decodeChange(c.value);
    const auto& configs = membership().configs();
    auto effect = configs.find(slot + membership().alpha());
    bool applied = change && effect != configs.end() && effect->second == change->next;
    Reply reply = std::move(it->second.reply);
    pending_.erase(it);
    ++counters_.applied;
    kv::Result result;
    result.status = applied ? kv::Status::ok : kv::Status::failed;
    result.slot = slot;
    reply(Outcome{Outcome::Kind::applied, result, {}});
  }
  for (auto& [id, result] : replica_.apply(delivered)) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // its client had its 504 already
    ++counters_.applied;
    Reply reply = std::move(it->second.reply);
    pending_.erase(it);
    reply(Outcome{Outcome::Kind::applied, std::move(result), {}});
  }
  // Also once a configuration has taken effect: the acceptors it removed forget their slots only
  // when every replica holds a snapshot past it, and exit then (docs/MEMBERSHIP.md).
  uint64_t effect = membership().configs().rbegin()->first;
  if (learner_.next() >= snapshotSlot_ + options_.snapshotEvery ||
      (learner_.next() >= effect && snapshotSlot_ < effect))
    snapshot();
}

void KvService::snapshot() {
  uint64_t slot = learner_.next();
  std::string bytes =
      kv::encodeSnapshot(slot, replica_.store(), learner_.requests(), membershipState());
  if (file_) {
    try {
      file_->write(bytes);
    } catch (const SnapshotError& e) {
      // The acceptors keep every slot from the last good snapshot on: nothing is lost, the log
      // just grows until a write succeeds.
      spdlog::error("snapshot at slot {} not written: {}", slot, e.what());
      return;
    }
  }
  snapshotSlot_ = slot;
  snapshotBytes_ = std::move(bytes);
  ++counters_.snapshots;
  learner_.snapshotted(slot);
}

void KvService::fetchSnapshot() {
  if (options_.peers.empty()) {
    spdlog::error("behind the trim point and no peer to fetch a snapshot from");
    fetchAt_ = now() + options_.fetchBackoffMax;
    return;
  }
  const auto& peer = options_.peers[nextPeer_++ % options_.peers.size()];
  spdlog::info("slots {}..{} are trimmed and were never applied here: fetching the snapshot of {}",
               learner_.next(), learner_.behindTrim() - 1, config::httpText(peer));
  fetcher_.fetch(peer, [this](const std::string& error, std::string bytes) {
    fetched(error, std::move(bytes));
  });
}

void KvService::fetched(const std::string& error, std::string bytes) {
  std::string problem = error;
  std::optional<kv::Snapshot> s;
  if (problem.empty()) {
    s = kv::decodeSnapshot(bytes);
    if (!s)
      problem = fmt::format("{} bytes that are not a snapshot", bytes.size());
    else if (s->slot < learner_.behindTrim() || s->slot <= learner_.next())
      problem = fmt::format("its snapshot is at slot {}, not past the trim point {}", s->slot,
                            std::max(learner_.behindTrim(), learner_.next() + 1));
  }
  if (!problem.empty()) {
    ++counters_.fetchFailures;
    spdlog::warn("snapshot fetch failed: {}; next try in {} ms", problem, backoff_.count());
    fetchAt_ = now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.fetchBackoffMax);
    return;
  }
  spdlog::info("fetched a snapshot at slot {} ({} keys, {} bytes)", s->slot, s->store.size(),
               bytes.size());
  toInstall_.emplace(std::move(*s), std::move(bytes));
  if (driver_) driver_->offerInput();  // a step of its own: feed() installs it
}

void KvService::install(core::Time now, core::Outbox& out) {
  auto [s, bytes] = std::move(*toInstall_);
  toInstall_.reset();
  if (s.slot <= learner_.next()) return;  // caught up meanwhile
  if (file_) {
    try {
      file_->write(bytes);  // on disk before the learner reports it (snapshotted)
    } catch (const SnapshotError& e) {
      spdlog::error("fetched snapshot at slot {} not written: {}", s.slot, e.what());
      fetchAt_ = now + backoff_;
      return;
    }
  }
  replica_ = kv::Replica(node_.uid(), std::move(s.store));
  appliedFrom_ = s.slot;
  snapshotSlot_ = s.slot;
  snapshotBytes_ = std::move(bytes);
  // Our own commands the snapshot's table holds were applied in the slots skipped: their results
  // are not in it, so their clients hear 504 (outcome unknown). Before install(), whose table
  // also holds the commands it then delivers, which are answered as usual.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!s.requests.contains(node_.uid(), it->first)) {
      ++it;
      continue;
    }
    Reply reply = std::move(it->second.reply);
    it = pending_.erase(it);
    ++counters_.timeouts;
    reply(Outcome{Outcome::Kind::timeout,
                  {},
                  "applied in slots this replica skipped by installing a peer's snapshot; "
                  "the outcome is unknown here"});
  }
  learner_.install(now, s.slot, std::move(s.requests), s.membership.encoded, s.membership.through,
                   out);
  learner_.snapshotted(s.slot);
  ++counters_.installed;
  backoff_ = options_.fetchBackoff;
  spdlog::info("installed the snapshot at slot {}: {} keys, revision {}", snapshotSlot_,
               replica_.store().size(), replica_.store().revision());
}

void KvService::sweep() {
  auto t = now();
  if (learner_.behindTrim() > 0 && !fetcher_.busy() && !toInstall_ && t >= fetchAt_)
    fetchSnapshot();
  // Ids grow with time and every command has the same timeout, so the overdue ones come first.
  while (!pending_.empty() && pending_.begin()->second.deadline <= t) {
    Reply reply = std::move(pending_.begin()->second.reply);
    pending_.erase(pending_.begin());
    ++counters_.timeouts;
    reply(Outcome{
        Outcome::Kind::timeout, {}, "no answer in time: the command may or may not be applied"});
  }
  sweeper_.expires_after(kSweep);
  sweeper_.async_wait([this](std::error_code error) {
    if (!error) sweep();
  });
}

}  // namespace paxos::service
