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

// A command read in place from a batch (forEachCommand): its fields, and its whole encoding.
struct CommandView {
  uint32_t client = 0;
  uint64_t request = 0;
  std::string_view value;
  std::string_view encoded;  // what appendCommand wrote: copied as is into another batch
  Command copy() const { return {client, request, std::string(value)}; }
};

// Appends one command's encoding to `batch`: a batch is its commands' encodings back to back.
void appendCommand(std::string& batch, uint32_t client, uint64_t request, std::string_view value);
std::string encodeBatch(const std::vector<Command>& commands);
// Calls `each(const CommandView&)` for every command of `bytes`, in order, without copying any;
// false, having called nothing, unless `bytes` is exactly a sequence of encoded commands.
// The steps that touch every value (a leader's REQUEST, a learner's delivery, a client's answer)
// read batches this way: a copy per value was most of their CPU (docs/BENCHMARKS.md).
bool forEachCommand(std::string_view bytes, const std::function<void(const CommandView&)>& each);
// Packs commands, in the order added, into batches of at most `maxBytes` (one command alone may
// exceed it) and hands each to `emit` with its first command's request id: how a client fills as
// few REQUESTs as it can. finish() hands over the last one.
class BatchWriter {
 public:
  using Emit = std::function<void(uint64_t firstRequest, std::string batch)>;
  BatchWriter(size_t maxBytes, Emit emit) : maxBytes_(maxBytes), emit_(std::move(emit)) {}
  void add(uint32_t client, uint64_t request, std::string_view value);
  void finish();

 private:
  size_t maxBytes_;
  Emit emit_;
  std::string batch_;
  uint64_t first_ = 0;
};
// nullopt unless `bytes` is exactly a sequence of encoded commands.
std::optional<std::vector<Command>> decodeBatch(std::string_view bytes);
// For logs and traces: "no-op", or "3 values: c7#1 'a', c7#2 'b', c8#1 'c'" (the first few).
std::string describeBatch(std::string_view bytes);

}  // namespace paxos::wire
