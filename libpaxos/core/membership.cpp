#include "core/membership.hpp"

#include <algorithm>

namespace paxos::core {

Membership::Membership(Configuration initial, uint64_t alpha)
    : initial_(std::move(initial)), alpha_(std::max<uint64_t>(1, alpha)) {
  configs_.emplace(0, initial_);
}

const Configuration& Membership::at(uint64_t slot) const {
  auto it = configs_.upper_bound(slot);
  return it == configs_.begin() ? it->second : std::prev(it)->second;
}

std::optional<Configuration> Membership::deliver(uint64_t slot,
                                                 const std::vector<wire::Command>& commands) {
  if (slot != through_) return std::nullopt;
  through_ = slot + 1;
  for (const auto& c : commands) {
    if (!isChange(c)) continue;
    auto change = decodeChange(c.value);
    if (!change || change->from != latest().epoch) continue;  // void: built from an old epoch
    // A UID keeps its role for life (judged against the newest configuration, which every
    // holder of this history has).
    bool moved = false;
    for (const auto* list :
         {&change->next.proposers, &change->next.acceptors, &change->next.learners})
      for (uint32_t uid : *list) {
        wire::Role was = latest().roleOf(uid);
        moved |= was != wire::Role::none && was != change->next.roleOf(uid);
      }
    if (moved) continue;
    configs_[slot + alpha_] = change->next;
    ++changes_;
    return change->next;
  }
  return std::nullopt;
}

bool Membership::adopt(std::string_view encoded, uint64_t through) {
  if (through <= through_) return false;
  std::map<uint64_t, Configuration> configs;
  if (encoded.empty()) {
    configs.emplace(0, initial_);
  } else {
    wire::Reader r({reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()});
    uint16_t n = r.u16();
    if (n == 0 || n > kMaxMembers) r.fail();
    uint64_t lastEpoch = 0;
    for (uint16_t i = 0; i < n && r.ok(); ++i) {
      uint64_t first = r.u64();
      Configuration c = Configuration::decode(r);
      if (i > 0 &&
          (c.epoch <= lastEpoch || configs.contains(first) || first <= configs.rbegin()->first))
        r.fail();
      lastEpoch = c.epoch;
      configs.emplace(first, std::move(c));
    }
    // A change takes effect alpha slots after its own slot, which is below `through`.
    if (!r.ok() || !r.atEnd() || configs.rbegin()->first >= through + alpha_) return false;
  }
  if (configs.rbegin()->second.epoch < latest().epoch) return false;  // not the same history
  // The peer may have forgotten configurations this node still needs: keep those. One history
  // has its epochs ascending with the slots; a peer whose does not fit ours is not taken.
  for (const auto& [first, config] : configs_)
    if (first < configs.begin()->first) configs.emplace(first, config);
  uint64_t epoch = 0;
  for (auto it = configs.begin(); it != configs.end(); epoch = (it++)->second.epoch)
    if (it != configs.begin() && it->second.epoch <= epoch) return false;
  if (configs != configs_) ++changes_;
  configs_ = std::move(configs);
  through_ = through;
  return true;
}

void Membership::forget(uint64_t slot) {
  // Keep the configuration of `slot` itself: the first one whose successor starts above it.
  while (configs_.size() > 1 && std::next(configs_.begin())->first <= slot) {
    configs_.erase(configs_.begin());
    ++changes_;
  }
}

std::string Membership::encode() const {
  if (configs_.size() == 1 && configs_.begin()->first == 0 && latest() == initial_) return {};
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  w.u16(static_cast<uint16_t>(configs_.size()));
  for (const auto& [first, config] : configs_) {
    w.u64(first);
    config.encode(w);
  }
  return std::string(bytes.begin(), bytes.end());
}

bool Membership::ever(uint32_t uid, wire::Role role) const {
  return std::any_of(configs_.begin(), configs_.end(),
                     [&](const auto& c) { return c.second.roleOf(uid) == role; });
}

std::optional<std::string> Membership::addressOf(uint32_t uid) const {
  for (auto it = configs_.rbegin(); it != configs_.rend(); ++it)
    if (auto a = it->second.addresses.find(uid); a != it->second.addresses.end()) return a->second;
  return std::nullopt;
}

std::set<uint32_t> Membership::members() const {
  std::set<uint32_t> uids;
  for (const auto& [first, c] : configs_) uids.merge(c.members());
  return uids;
}

std::set<uint32_t> Membership::acceptorsFrom(uint64_t slot) const {
  std::set<uint32_t> uids;
  for (auto it = configs_.begin(); it != configs_.end(); ++it) {
    auto next = std::next(it);
    if (next != configs_.end() && next->first <= slot) continue;  // governs only slots below
    uids.insert(it->second.acceptors.begin(), it->second.acceptors.end());
  }
  return uids;
}

}  // namespace paxos::core
