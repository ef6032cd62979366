#include "kv/replica.hpp"

namespace paxos::kv {

namespace {
constexpr uint32_t kSnapshotMagic = 0x32564b50;  // "PKV2": with the membership
}

std::string encodeSnapshot(const Snapshot& s) {
  return encodeSnapshot(s.slot, s.store, s.requests, s.membership);
}

std::string encodeSnapshot(uint64_t slot, const Store& store, const core::RequestLog& requests,
                           const MembershipState& membership) {
  std::vector<uint8_t> out;
  wire::Writer w(out);
  w.u32(kSnapshotMagic);
  w.u64(slot);
  requests.encode(w);
  w.u64(membership.through);
  w.bytes(membership.encoded);
  std::string bytes(out.begin(), out.end());
  bytes += store.serialize();
  return bytes;
}

std::optional<Snapshot> decodeSnapshot(std::string_view bytes) {
  wire::Reader r({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  Snapshot s;
  if (r.u32() != kSnapshotMagic) return std::nullopt;
  s.slot = r.u64();
  s.requests = core::RequestLog::decode(r);
  s.membership.through = r.u64();
  s.membership.encoded = r.bytes();
  if (!r.ok()) return std::nullopt;
  size_t used = bytes.size() - r.remaining();
  auto store = Store::deserialize(bytes.substr(used));
  if (!store) return std::nullopt;
  s.store = std::move(*store);
  return s;
}

std::vector<std::pair<uint64_t, Result>> Replica::apply(
    const std::vector<std::pair<uint64_t, wire::Command>>& delivered) {
  std::vector<std::pair<uint64_t, Result>> mine;
  for (const auto& [slot, c] : delivered) {
    if (core::isChange(c)) continue;  // the log's, not the map's
    auto command = decode(c.value);
    if (!command) {
      ++skipped_;
      continue;
    }
    ++commands_;
    bool own = c.client == self_;
    // Another replica's read changes nothing: only its own replica computes the answer.
    if (!own && !writes(command->op)) continue;
    Result r = store_.apply(slot, *command);
    if (own) mine.emplace_back(c.request, std::move(r));
  }
  return mine;
}

}  // namespace paxos::kv
