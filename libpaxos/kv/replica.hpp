// A replica of the key-value map (docs/KV.md): applies what its learner delivers, in log order,
// and answers this node's own commands. A snapshot holds the map, the store's de-duplication
// table (X-Request-Id), the log's (client, request) table and the slot below which everything is
// applied: a replica restored from it, whose learner starts at that slot, applies every later
// command exactly once. Pure: no files, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/configuration.hpp"
#include "core/request_log.hpp"
#include "kv/store.hpp"
#include "wire/batch.hpp"

namespace paxos::kv {

// The configurations of the log (docs/MEMBERSHIP.md) as a snapshot keeps them: Membership::encode()
// and its through().
struct MembershipState {
  uint64_t through = 0;
  std::string encoded;
};

struct Snapshot {
  uint64_t slot = 0;  // every slot below is applied
  Store store;
  core::RequestLog requests;
  MembershipState membership;
};

std::string encodeSnapshot(const Snapshot& snapshot);
// The same from a live replica's parts, without copying its store (which the de-duplication
// table can make tens of MB: a copy every snapshot doubled a replica's memory high-water mark).
std::string encodeSnapshot(uint64_t slot, const Store& store, const core::RequestLog& requests,
                           const MembershipState& membership);
std::optional<Snapshot> decodeSnapshot(std::string_view bytes);

class Replica {
 public:
  Replica(uint32_t self, Store store = {}) : self_(self), store_(std::move(store)) {}

  // Applies one step's deliveries; returns the results of this node's own commands, by request
  // id. A command that is not a KV command (a client of the log wrote something else) is skipped,
  // alike on every replica.
  std::vector<std::pair<uint64_t, Result>> apply(
      const std::vector<std::pair<uint64_t, wire::Command>>& delivered);
  const Store& store() const { return store_; }
  uint64_t commands() const { return commands_; }
  uint64_t skipped() const { return skipped_; }

 private:
  uint32_t self_;
  Store store_;
  uint64_t commands_ = 0;  // applied since start
  uint64_t skipped_ = 0;
};

}  // namespace paxos::kv
