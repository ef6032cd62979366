// The key-value service's commands (docs/KV.md), as they travel in the log: each is the value of
// one wire::Command, so the log's batching, ordering and (client, request) de-duplication carry
// them unchanged. Reads go through the log too: a GET applied at slot s sees every write before s,
// which is what makes it linearizable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paxos::kv {

enum class Op : uint8_t {
  put = 1,      // key, value, optional prevVersion
  erase = 2,    // key, optional prevVersion
  get = 3,      // key
  list = 4,     // key is the prefix, limit
  propose = 5,  // seed 002's /state/: value, the first proposed in a round wins it
  reset = 6,    // seed 002's /reset/: a new round
  state = 7,    // seed 002's GET /state/
};

inline constexpr size_t kMaxKey = 512;
inline constexpr size_t kMaxValue = 7168;  // a command, its header and key fit a slot (8192)
inline constexpr size_t kMaxRequestId = 64;
inline constexpr uint32_t kMaxList = 1000;

struct Command {
  Op op = Op::get;
  std::string key;
  std::string value;
  // Compare-and-swap: applies only if the key's version is this one (0: the key is absent).
  std::optional<uint64_t> prevVersion;
  uint32_t limit = 0;
  // The HTTP client's X-Request-Id: a write retried under the same id applies once.
  std::string requestId;
  bool operator==(const Command&) const = default;
};

bool writes(Op op);
std::string_view opName(
    Op op);  // "put", "delete", "get", "list", "propose", "reset", "state"  // put, erase, propose,
             // reset: what the de-duplication table remembers
// A hash of the command but its request id: a retry has the same, another write (almost surely)
// not. Stored instead of the value, which may be 7 KiB.
uint64_t fingerprint(const Command& command);

std::string encode(const Command& command);
// nullopt unless `bytes` is exactly one command within the limits above.
std::optional<Command> decode(std::string_view bytes);

}  // namespace paxos::kv
