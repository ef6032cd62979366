#include "core/configuration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace paxos::core {

namespace {

void writeUids(wire::Writer& w, const std::vector<uint32_t>& uids) {
  w.u16(static_cast<uint16_t>(uids.size()));
  for (uint32_t uid : uids) w.u32(uid);
}

std::vector<uint32_t> readUids(wire::Reader& r) {
  uint16_t n = r.u16();
  if (n > kMaxMembers) r.fail();
  std::vector<uint32_t> uids;
  for (uint16_t i = 0; i < n && r.ok(); ++i) uids.push_back(r.u32());
  return uids;
}

}  // namespace

wire::Role Configuration::roleOf(uint32_t uid) const {
  auto in = [uid](const std::vector<uint32_t>& v) {
    return std::binary_search(v.begin(), v.end(), uid);
  };
  if (in(acceptors)) return wire::Role::acceptor;
  if (in(proposers)) return wire::Role::proposer;
  if (in(learners)) return wire::Role::learner;
  return wire::Role::none;
}

std::set<uint32_t> Configuration::members() const {
  std::set<uint32_t> uids(proposers.begin(), proposers.end());
  uids.insert(acceptors.begin(), acceptors.end());
  uids.insert(learners.begin(), learners.end());
  return uids;
}

std::optional<std::string> Configuration::invalid() const {
  if (proposers.empty() || acceptors.empty() || learners.empty())
    return "a configuration needs at least one proposer, one acceptor and one learner";
  std::set<uint32_t> seen;
  for (const auto* list : {&proposers, &acceptors, &learners}) {
    if (list->size() > kMaxMembers)
      return fmt::format("more than {} UIDs in one role", kMaxMembers);
    if (!std::is_sorted(list->begin(), list->end()))
      return "UIDs must be listed in ascending order";
    for (uint32_t uid : *list) {
      if (uid & kChangeBit) return fmt::format("UID {} is too large", uid);
      if (!seen.insert(uid).second) return fmt::format("UID {} is listed twice", uid);
    }
  }
  for (const auto& [uid, address] : addresses)
    if (!seen.contains(uid)) return fmt::format("an address for UID {}, which has no role", uid);
  return std::nullopt;
}

void Configuration::encode(wire::Writer& w) const {
  w.u64(epoch);
  writeUids(w, proposers);
  writeUids(w, acceptors);
  writeUids(w, learners);
  w.u16(static_cast<uint16_t>(addresses.size()));
  for (const auto& [uid, address] : addresses) {
    w.u32(uid);
    w.bytes(address);
  }
  w.u32(static_cast<uint32_t>(retired.size()));
  for (uint32_t uid : retired) w.u32(uid);
}

Configuration Configuration::decode(wire::Reader& r) {
  Configuration c;
  c.epoch = r.u64();
  c.proposers = readUids(r);
  c.acceptors = readUids(r);
  c.learners = readUids(r);
  uint16_t n = r.u16();
  if (n > 3 * kMaxMembers) r.fail();
  for (uint16_t i = 0; i < n && r.ok(); ++i) {
    uint32_t uid = r.u32();
    c.addresses[uid] = r.bytes();
  }
  uint32_t retired = r.u32();
  if (retired > r.remaining() / 4) r.fail();
  for (uint32_t i = 0; i < retired && r.ok(); ++i) c.retired.push_back(r.u32());
  if (r.ok() && (c.invalid() || c.addresses.size() != n)) r.fail();
  return c;
}

std::string encodeChange(const Change& change) {
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  w.u64(change.from);
  change.next.encode(w);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<Change> decodeChange(std::string_view bytes) {
  wire::Reader r({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  Change change;
  change.from = r.u64();
  change.next = Configuration::decode(r);
  if (!r.ok() || !r.atEnd() || change.next.epoch != change.from + 1) return std::nullopt;
  return change;
}

std::string describe(const Configuration& config) {
  return fmt::format("epoch {}: proposers {}, acceptors {}, learners {}", config.epoch,
                     fmt::join(config.proposers, " "), fmt::join(config.acceptors, " "),
                     fmt::join(config.learners, " "));
}

}  // namespace paxos::core
