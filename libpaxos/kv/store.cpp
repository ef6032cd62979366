#include "kv/store.hpp"

#include "wire/bytes.hpp"

namespace paxos::kv {

const Item* Store::find(const std::string& key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : &it->second;
}

Result Store::list(const std::string& prefix, uint32_t limit) const {
  Result r;
  for (auto it = items_.lower_bound(prefix);
       it != items_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (r.items.size() == limit) {
      r.more = true;
      break;
    }
    r.items.push_back(it->second);
  }
  return r;
}

Result Store::apply(uint64_t slot, const Command& c) {
  if (!writes(c.op)) {
    Result r;
    r.slot = slot;
    r.round = round_;
    switch (c.op) {
      case Op::get:
        if (const Item* item = find(c.key)) {
          r.value = item->value;
          r.version = item->version;
        } else {
          r.status = Status::notFound;
        }
        break;
      case Op::list:
        r = list(c.key, c.limit);
        r.slot = slot;
        break;
      default:  // state
        r.value = roundValue_;
        break;
    }
    return r;
  }
  uint64_t print = c.requestId.empty() ? 0 : fingerprint(c);
  if (!c.requestId.empty()) {
    if (auto it = outcomes_.find(c.requestId); it != outcomes_.end()) {
      Result again = it->second.result;
      if (it->second.fingerprint != print) {
        again = Result{};
        again.status = Status::reused;
        again.slot = it->second.result.slot;
      }
      again.duplicate = true;
      return again;
    }
  }
  Result r = write(slot, c);
  if (!c.requestId.empty()) remember(c.requestId, r, print);
  return r;
}

Result Store::write(uint64_t slot, const Command& c) {
  Result r;
  r.slot = slot;
  r.round = round_;
  if (c.op == Op::propose) {
    if (!roundValue_) {
      roundValue_ = c.value;
      ++revision_;
    }
    r.value = roundValue_;
    return r;
  }
  if (c.op == Op::reset) {
    r.round = ++round_;
    roundValue_.reset();
    ++revision_;
    return r;
  }
  auto it = items_.find(c.key);
  uint64_t current = it == items_.end() ? 0 : it->second.version;
  if (c.prevVersion && *c.prevVersion != current) {
    r.status = Status::failed;
    r.version = current;
    return r;
  }
  if (c.op == Op::erase) {
    if (it == items_.end()) {
      r.status = Status::notFound;
      return r;
    }
    items_.erase(it);
    r.version = ++revision_;
    return r;
  }
  r.version = ++revision_;
  if (it == items_.end()) {
    items_.emplace(c.key, Item{c.key, c.value, r.version});
    r.status = Status::created;
  } else {
    it->second.value = c.value;
    it->second.version = r.version;
  }
  return r;
}

void Store::remember(const std::string& requestId, const Result& result, uint64_t fingerprint) {
  outcomes_.emplace(requestId, Outcome{result, fingerprint});
  outcomeOrder_.push_back(requestId);
  if (outcomeOrder_.size() <= kRememberedIds) return;
  outcomes_.erase(outcomeOrder_.front());
  outcomeOrder_.pop_front();
}

namespace {
constexpr uint32_t kMagic = 0x31564b50;  // "PKV1"

void writeOptional(wire::Writer& w, const std::optional<std::string>& s) {
  w.u8(s.has_value());
  w.bytes(s.value_or(""));
}
std::optional<std::string> readOptional(wire::Reader& r) {
  bool has = r.u8();
  std::string s = r.bytes();
  return has ? std::optional(std::move(s)) : std::nullopt;
}
}  // namespace

std::string Store::serialize() const {
  std::vector<uint8_t> out;
  wire::Writer w(out);
  w.u32(kMagic);
  w.u64(revision_);
  w.u64(round_);
  writeOptional(w, roundValue_);
  w.u64(items_.size());
  for (const auto& [key, item] : items_) {
    w.bytes(key);
    w.bytes(item.value);
    w.u64(item.version);
  }
  w.u64(outcomeOrder_.size());
  for (const auto& id : outcomeOrder_) {  // only writes are remembered: no items, no list
    const auto& [r, print] = outcomes_.at(id);
    w.bytes(id);
    w.u64(print);
    w.u8(static_cast<uint8_t>(r.status));
    w.u64(r.version);
    w.u64(r.slot);
    w.u64(r.round);
    writeOptional(w, r.value);
  }
  return std::string(out.begin(), out.end());
}

std::optional<Store> Store::deserialize(std::string_view bytes) {
  wire::Reader r({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  Store s;
  if (r.u32() != kMagic) return std::nullopt;
  s.revision_ = r.u64();
  s.round_ = r.u64();
  s.roundValue_ = readOptional(r);
  uint64_t n = r.u64();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    Item item;
    item.key = r.bytes();
    item.value = r.bytes();
    item.version = r.u64();
    if (item.version > s.revision_) r.fail();
    s.items_.emplace(item.key, item);
  }
  uint64_t ids = r.u64();
  if (ids > kRememberedIds) r.fail();
  for (uint64_t i = 0; i < ids && r.ok(); ++i) {
    std::string id = r.bytes();
    uint64_t print = r.u64();
    Result result;
    uint8_t status = r.u8();
    if (status > uint8_t(Status::failed)) r.fail();  // never remembered: reused
    result.status = static_cast<Status>(status);
    result.version = r.u64();
    result.slot = r.u64();
    result.round = r.u64();
    result.value = readOptional(r);
    if (!s.outcomes_.emplace(id, Outcome{result, print}).second) r.fail();
    s.outcomeOrder_.push_back(std::move(id));
  }
  if (!r.ok() || !r.atEnd() || s.items_.size() != n) return std::nullopt;
  return s;
}

}  // namespace paxos::kv
