// Multi mode's unit of agreement: one slot of the log holds a batch of client commands, so one
// Paxos round trip carries many values. The same encoding tells a client which of its commands a
// slot decided. An empty batch is the no-op a new leader puts in a slot nobody filled.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paxos::wire {

// A client's value with its identity: (client, request) names it, so a value that is retried,
// forwarded or re-proposed by a new leader is still delivered once.
struct Command {
  uint32_t client = 0;
  uint64_t request = 0;
  std::string value;
  bool operator==(const Command&) const = default;
};

inline constexpr size_t kCommandOverhead = 4 + 8 + 2;  // client, request, value length
inline size_t encodedSize(const Command& c) {
  return kCommandOverhead + c.value.size();
}

std::string encodeBatch(const std::vector<Command>& commands);
// Splits `commands` (in order) into batches of at most `maxBytes` encoded (one command alone may
// exceed it) and calls `emit` with each: how a client fills as few REQUESTs as it can.
void forEachBatch(std::vector<Command> commands, size_t maxBytes,
                  const std::function<void(std::vector<Command>&)>& emit);
// nullopt unless `bytes` is exactly a sequence of encoded commands.
std::optional<std::vector<Command>> decodeBatch(std::string_view bytes);
// For logs and traces: "no-op", or "3 values: c7#1 'a', c7#2 'b', c8#1 'c'" (the first few).
std::string describeBatch(std::string_view bytes);

}  // namespace paxos::wire
