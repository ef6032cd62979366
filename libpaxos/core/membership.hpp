// The configurations of the log, as far as one node knows them (docs/MEMBERSHIP.md). A change
// decided at slot s governs the slots from s + alpha on. So whoever knows every change decided
// below slot t (through() = t) knows the configuration of every slot below t + alpha (horizon()):
// a leader proposes nothing at or past its horizon, and a learner counts a slot's acceptances
// against that slot's configuration only once the slot is below its horizon.
//
// Learners know the history from the log they deliver, and tell it to every node with each
// PROGRESS (value = encode(), end = through()); a leader also reads it from the slots it decides.
// Every holder of a history has the same one up to its through(), by agreement, so a node takes
// a peer's history whenever it reaches further (adopt).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/configuration.hpp"
#include "wire/batch.hpp"

namespace paxos::core {

// The default alpha: a leader keeps up to this many slots in flight beyond the decided prefix it
// has read, so it must be above Timing::pipeline for the pipeline to stay full.
inline constexpr uint64_t kDefaultAlpha = 64;

class Membership {
 public:
  Membership(Configuration initial, uint64_t alpha);

  uint64_t alpha() const { return alpha_; }
  // Every change decided below this slot is applied here.
  uint64_t through() const { return through_; }
  // The configuration of every slot below this is known here.
  uint64_t horizon() const { return through_ + alpha_; }
  // The newest configuration known: it may govern only slots still to come.
  const Configuration& latest() const { return configs_.rbegin()->second; }
  // The configuration of `slot`. Below horizon() it is final; at or past it, a later change may
  // still take over.
  const Configuration& at(uint64_t slot) const;
  // The configurations held: first slot governed -> configuration.
  const std::map<uint64_t, Configuration>& configs() const { return configs_; }

  // The commands decided at `slot`: applies the first change among them built from the newest
  // epoch (at slot + alpha); the others are void. Only slot == through() moves anything (a slot
  // past it leaves a gap this history cannot cross: adopt a peer's). Returns the change applied.
  std::optional<Configuration> deliver(uint64_t slot, const std::vector<wire::Command>& commands);
  // Takes a peer's history (its encode() and through()) if it reaches further, keeping the
  // configurations of older slots the peer forgot. False if it does not reach further, or cannot
  // be decoded (then nothing changes).
  bool adopt(std::string_view encoded, uint64_t through);
  // Forgets the configurations that govern only slots below `slot` (nobody needs those slots).
  void forget(uint64_t slot);
  // An empty string while the history is the hosts file alone.
  std::string encode() const;
  // Counts the changes to the configurations held (not to through()): a caller that derived
  // something from them knows when to look again.
  uint64_t changes() const { return changes_; }

  // `uid` held `role` in some configuration still held (a removed acceptor still answers for
  // the slots of its configurations).
  bool ever(uint32_t uid, wire::Role role) const;
  // The address the newest configuration that has one gives `uid` (a UID outside the hosts file).
  std::optional<std::string> addressOf(uint32_t uid) const;
  // Every UID of every configuration held: whom a learner tells its progress.
  std::set<uint32_t> members() const;
  // The acceptors of every configuration of slots from `slot` on, as known.
  std::set<uint32_t> acceptorsFrom(uint64_t slot) const;

 private:
  Configuration initial_;
  uint64_t alpha_;
  std::map<uint64_t, Configuration> configs_;
  uint64_t through_ = 0;
  uint64_t changes_ = 0;
};

}  // namespace paxos::core
