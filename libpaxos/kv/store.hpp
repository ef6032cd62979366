// The replicated key-value map (docs/KV.md): what every replica builds by applying the log's
// commands in slot order, exactly once. Pure and deterministic: replicas that apply the same
// commands hold the same map, the same versions and the same de-duplication table, so a snapshot
// of one is as good as any other's.
//
// Versions are one counter for the whole map, bumped by every write that changes something (as
// etcd's revision): a key's version is the revision of its last write. Unlike a per-key counter,
// a key deleted and created again never shows an old version, so compare-and-swap has no ABA.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kv/command.hpp"

namespace paxos::kv {

// failed: the compare did not hold; reused: the request id was applied before to another write
enum class Status : uint8_t { ok, created, notFound, failed, reused };

struct Item {
  std::string key;
  std::string value;
  uint64_t version = 0;
  bool operator==(const Item&) const = default;
};

// What applying a command answers. For a write retried under a request id already applied, the
// first outcome again (status, version, slot, round, and the value seed 002's round holds), if it
// is the same write; a request id sent again with another write is `reused`, and not applied.
struct Result {
  Status status = Status::ok;
  uint64_t version = 0;  // put/erase: the write's revision (failed: the key's current one)
  uint64_t slot = 0;     // where the command (its first copy) was applied
  uint64_t round = 0;    // propose/reset/state: the round
  std::optional<std::string> value;  // get: the value; propose/state: the round's value
  std::vector<Item> items;           // list
  bool more = false;                 // list: items past the limit
  bool duplicate = false;            // answered from the de-duplication table
  bool operator==(const Result&) const = default;
};

class Store {
 public:
  // Request ids remembered for retries: the oldest is forgotten first.
  static constexpr size_t kRememberedIds = 100000;

  Result apply(uint64_t slot, const Command& command);

  const Item* find(const std::string& key) const;
  Result list(const std::string& prefix, uint32_t limit) const;
  uint64_t revision() const { return revision_; }
  uint64_t round() const { return round_; }
  const std::optional<std::string>& roundValue() const { return roundValue_; }
  size_t size() const { return items_.size(); }

  // The whole state as bytes, and back (nullopt when malformed).
  std::string serialize() const;
  static std::optional<Store> deserialize(std::string_view bytes);
  bool operator==(const Store&) const = default;

 private:
  Result write(uint64_t slot, const Command& c);
  void remember(const std::string& requestId, const Result& result, uint64_t fingerprint);

  std::map<std::string, Item> items_;  // ordered: prefix listing is a range
  uint64_t revision_ = 0;
  uint64_t round_ = 0;
  std::optional<std::string> roundValue_;
  struct Outcome {
    Result result;
    uint64_t fingerprint;  // of the write (kv::fingerprint): a retry is the same write
    bool operator==(const Outcome&) const = default;
  };
  std::unordered_map<std::string, Outcome> outcomes_;  // request id -> first outcome
  std::deque<std::string> outcomeOrder_;               // oldest first
};

}  // namespace paxos::kv
