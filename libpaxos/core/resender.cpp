#include "core/resender.hpp"

#include <algorithm>

namespace paxos::core {

void Resender::send(Time now, uint32_t to, wire::Message message, Outbox& out, int maxSends) {
  out.send(to, message);
  Duration first = rtt_.timeout(timing_.retryFirst);
  entries_.push_back({to, std::move(message), now, now + first, first, 1, maxSends});
}

bool Resender::ack(Time now, uint32_t from, wire::Type type, std::optional<uint32_t> uid) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.to == from && e.message.type == type && (!uid || e.message.uid == *uid)) {
      rtt_.sample(now - e.firstSent);
      entries_.erase(entries_.begin() + i);
      return true;
    }
  }
  return false;
}

void Resender::tick(Time now, Outbox& out) {
  for (size_t i = 0; i < entries_.size();) {
    Entry& e = entries_[i];
    if (e.due > now) {
      ++i;
      continue;
    }
    if (e.maxSends > 0 && e.sends >= e.maxSends) {
      entries_.erase(entries_.begin() + i);
      continue;
    }
    out.send(e.to, e.message);
    ++e.sends;
    e.interval = std::min(e.interval * 2, rtt_.timeout(timing_.retryMax));
    e.due = now + e.interval;
    ++i;
  }
}

std::optional<Time> Resender::nextWake() const {
  if (entries_.empty()) return std::nullopt;
  return std::min_element(entries_.begin(), entries_.end(),
                          [](auto& a, auto& b) { return a.due < b.due; })
      ->due;
}

bool Resender::pendingTo(uint32_t to, wire::Type type) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](auto& e) { return e.to == to && e.message.type == type; });
}

}  // namespace paxos::core
