// Who holds which role for a range of the log (docs/MEMBERSHIP.md). The hosts file is epoch 0;
// every later configuration is decided in the log as a Change, and governs the slots from the
// change's own slot + alpha on (core/membership.hpp). A UID keeps one role for life: a change
// adds or removes it, never moves it to another role.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wire/batch.hpp"
#include "wire/bytes.hpp"
#include "wire/message.hpp"

namespace paxos::core {

// A command whose client has this bit is a configuration change, submitted by the service
// learner of the other bits under its own request ids, so the log de-duplicates it too. UIDs
// stay below it.
inline constexpr uint32_t kChangeBit = 0x80000000;
inline uint32_t changeClient(uint32_t learner) {
  return learner | kChangeBit;
}
inline bool isChange(uint32_t client) {
  return (client & kChangeBit) != 0;
}
inline bool isChange(const wire::Command& c) {
  return isChange(c.client);
}
// Most UIDs a configuration lists, per role: a change fits one command.
inline constexpr size_t kMaxMembers = 64;

struct Configuration {
  uint64_t epoch = 0;
  std::vector<uint32_t> proposers, acceptors, learners;  // ascending, disjoint
  // Where UIDs outside the hosts file listen: "host:port", and for a service learner
  // "host:port http host:port". The core only carries it; the transport reads it.
  std::map<uint32_t, std::string> addresses;
  // Acceptors removed so far, ascending. The core does not read it: the HTTP API refuses to add
  // one again, because a node under that UID may have lost the disk that held its promises.
  std::vector<uint32_t> retired;

  wire::Role roleOf(uint32_t uid) const;
  bool contains(uint32_t uid) const { return roleOf(uid) != wire::Role::none; }
  std::set<uint32_t> members() const;  // every UID it lists
  // A majority of this configuration's acceptors: two of them always share an acceptor.
  size_t quorum() const { return acceptors.size() / 2 + 1; }
  // Why this cannot be a configuration (no acceptor, proposer or learner, a UID listed twice,
  // too many, one with kChangeBit), or nullopt.
  std::optional<std::string> invalid() const;
  bool operator==(const Configuration&) const = default;

  void encode(wire::Writer& w) const;
  static Configuration decode(wire::Reader& r);  // fails `r` on what encode cannot write
};

// A configuration change as the log carries it: applied only if `from` is still the newest epoch
// when the change is decided (a compare-and-swap: of two changes built from one epoch, the first
// decided wins and the second is void). `next.epoch` is from + 1.
struct Change {
  uint64_t from = 0;
  Configuration next;
};
std::string encodeChange(const Change& change);
std::optional<Change> decodeChange(std::string_view bytes);

// "epoch 2: proposers 0 1, acceptors 2 3 9, learners 5 6"
std::string describe(const Configuration& config);

}  // namespace paxos::core
