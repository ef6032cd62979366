#include "service/kv_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/driver.hpp"

namespace paxos::service {

namespace {
constexpr size_t kRecent = 20;
constexpr auto kSweep = std::chrono::milliseconds(100);

std::string_view opName(kv::Op op) {
  switch (op) {
    case kv::Op::put:
      return "put";
    case kv::Op::erase:
      return "delete";
    case kv::Op::get:
      return "get";
    case kv::Op::list:
      return "list";
    case kv::Op::propose:
      return "propose";
    case kv::Op::reset:
      return "reset";
    case kv::Op::state:
      return "state";
  }
  return "?";
}
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
      snapshotSlot_(snapshot ? snapshot->slot : 0) {
  sweep();
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

void KvService::submit(kv::Command command, Reply reply) {
  Outcome refused{Outcome::Kind::unavailable, {}, {}};
  if (!node_.leader() || !leaderKnown())
    refused.message = "no leader reaching a majority of acceptors is known; retry later";
  else if (pending_.size() >= options_.maxPending)
    refused.message = fmt::format("{} commands are waiting already; retry later", pending_.size());
  if (!refused.message.empty()) {
    ++counters_.unavailable;
    asio::post(io_, [reply = std::move(reply), refused] { reply(refused); });
    return;
  }
  ++counters_.submitted;
  uint64_t id = learner_.submit(kv::encode(command));
  pending_.emplace(id, Pending{std::move(reply), now() + options_.requestTimeout});
  // Commands that come in one turn of the event loop leave in one REQUEST: post, not send.
  if (toSubmit_++ == 0)
    asio::post(io_, [this] {
      toSubmit_ = 0;
      if (driver_) driver_->offerInput();
    });
}

void KvService::feed(core::Time now, core::Outbox& out) {
  node_.flushSubmitted(now, out);
}

void KvService::delivered(const std::vector<std::pair<uint64_t, wire::Command>>& delivered) {
  for (const auto& [slot, c] : delivered) {
    if (auto command = kv::decode(c.value)) {
      recent_.push_back(fmt::format("{} {} {}", slot, opName(command->op), command->key));
      if (recent_.size() > kRecent) recent_.pop_front();
    }
  }
  for (auto& [id, result] : replica_.apply(delivered)) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // its client had its 504 already
    ++counters_.applied;
    Reply reply = std::move(it->second.reply);
    pending_.erase(it);
    reply(Outcome{Outcome::Kind::applied, std::move(result), {}});
  }
  if (learner_.next() >= snapshotSlot_ + options_.snapshotEvery) snapshot();
}

void KvService::snapshot() {
  kv::Snapshot s{learner_.next(), replica_.store(), learner_.requests()};
  std::string bytes = kv::encodeSnapshot(s);
  if (file_) {
    try {
      file_->write(bytes);
    } catch (const SnapshotError& e) {
      // The acceptors keep every slot from the last good snapshot on: nothing is lost, the log
      // just grows until a write succeeds.
      spdlog::error("snapshot at slot {} not written: {}", s.slot, e.what());
      return;
    }
  }
  snapshotSlot_ = s.slot;
  snapshotBytes_ = std::move(bytes);
  ++counters_.snapshots;
  learner_.snapshotted(s.slot);
}

void KvService::sweep() {
  auto t = now();
  // Ids grow with time and every command has the same timeout, so the overdue ones come first.
  while (!pending_.empty() && pending_.begin()->second.deadline <= t) {
    Reply reply = std::move(pending_.begin()->second.reply);
    pending_.erase(pending_.begin());
    ++counters_.timeouts;
    reply(Outcome{Outcome::Kind::timeout, {},
                  "no answer in time: the command may or may not be applied"});
  }
  sweeper_.expires_after(kSweep);
  sweeper_.async_wait([this](std::error_code error) {
    if (!error) sweep();
  });
}

}  // namespace paxos::service
