#include "core/submitter.hpp"

#include <algorithm>

#include "core/configuration.hpp"
#include "wire/batch.hpp"
#include "wire/codec.hpp"

namespace paxos::core {

Submitter::Submitter(const Cluster& cluster, const Timing& timing, uint32_t self,
                     uint64_t firstRequest)
    : cluster_(cluster),
      timing_(timing),
      self_(self),
      nextId_(std::max<uint64_t>(1, firstRequest)) {}

uint64_t Submitter::submit(std::string value) {
  queue_.push_back({nextId_, std::move(value), false});
  return nextId_++;
}

uint64_t Submitter::submitChange(std::string value) {
  queue_.push_back({nextId_, std::move(value), true});
  return nextId_++;
}

void Submitter::heardLeader(Time now, uint32_t proposer) {
  leader_ = proposer;
  leaderHeardAt_ = now;
}

std::optional<uint32_t> Submitter::leader(Time now) const {
  if (leader_ && now - leaderHeardAt_ < timing_.leaderTimeout) return leader_;
  return std::nullopt;
}

uint32_t Submitter::target(Time now) {
  if (auto lead = leader(now)) return *lead;
  const auto& proposers = cluster_.proposers();
  return proposers[turn_++ % proposers.size()];
}

void Submitter::send(const std::map<uint64_t, Open*>& batch, uint32_t to, Outbox& out) const {
  wire::BatchWriter batches(std::min(timing_.batchBytes, wire::kMaxValue),
                            [&](uint64_t first, std::string commands) {
                              out.send(to, wire::msg::request(self_, first, std::move(commands)));
                            });
  for (const auto& [id, open] : batch) batches.add(clientOf(open->change), id, open->value);
  batches.finish();
}

void Submitter::flush(Time now, Outbox& out) {
  std::map<uint64_t, Open*> batch;
  while (!queue_.empty() && open_.size() < kOpen) {
    auto& [id, value, change] = queue_.front();
    Open& o = open_[id];
    o.value = std::move(value);
    o.change = change;
    o.dueAt = now + timing_.requestRetry;
    o.sends = 1;
    batch.emplace(id, &o);
    queue_.pop_front();
  }
  if (!batch.empty()) send(batch, target(now), out);
}

void Submitter::delivered(Time now, uint64_t id, Outbox& out) {
  if (open_.erase(id)) flush(now, out);
}

void Submitter::settle(Time now, const RequestLog& requests, Outbox& out) {
  size_t before = open_.size();
  auto in = [&](uint64_t id, bool change) { return requests.contains(clientOf(change), id); };
  std::erase_if(open_, [&](const auto& o) { return in(o.first, o.second.change); });
  std::erase_if(queue_, [&](const Queued& q) { return in(q.id, q.change); });
  if (open_.size() < before) flush(now, out);
}

void Submitter::tick(Time now, Outbox& out) {
  std::map<uint64_t, Open*> due;
  for (auto& [id, o] : open_) {
    if (o.dueAt > now) continue;
    // Backs off to retryMax per command; a leader that is merely slow is not flooded.
    ++o.sends;
    o.dueAt = now + std::min<Duration>(timing_.requestRetry * (1 << std::min(o.sends, 8)),
                                       std::max(timing_.retryMax, timing_.requestRetry));
    due.emplace(id, &o);
  }
  if (!due.empty()) send(due, target(now), out);
  flush(now, out);
}

std::optional<Time> Submitter::nextWake() const {
  std::optional<Time> wake;
  for (const auto& [id, o] : open_) wake = wake ? std::min(*wake, o.dueAt) : o.dueAt;
  return wake;
}

}  // namespace paxos::core
