#include "wire/batch.hpp"

#include <fmt/format.h>

#include <span>

#include "wire/bytes.hpp"

namespace paxos::wire {

std::string encodeBatch(const std::vector<Command>& commands) {
  std::vector<uint8_t> bytes;
  size_t size = 0;
  for (const Command& c : commands) size += encodedSize(c);
  bytes.reserve(size);
  Writer w(bytes);
  for (const Command& c : commands) {
    w.u32(c.client);
    w.u64(c.request);
    w.bytes(c.value);
  }
  return std::string(bytes.begin(), bytes.end());
}

std::optional<std::vector<Command>> decodeBatch(std::string_view bytes) {
  Reader r(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  std::vector<Command> commands;
  while (r.ok() && !r.atEnd()) {
    Command c;
    c.client = r.u32();
    c.request = r.u64();
    c.value = r.bytes();
    commands.push_back(std::move(c));
  }
  if (!r.ok()) return std::nullopt;
  return commands;
}

std::string describeBatch(std::string_view bytes) {
  auto commands = decodeBatch(bytes);
  if (!commands) return "malformed batch";
  if (commands->empty()) return "no-op";
  constexpr size_t kShown = 4;
  std::string text = fmt::format("{} value{}:", commands->size(), commands->size() > 1 ? "s" : "");
  for (size_t i = 0; i < commands->size() && i < kShown; ++i) {
    const Command& c = (*commands)[i];
    text += fmt::format("{} c{}#{} '{}'", i ? "," : "", c.client, c.request, c.value);
  }
  return commands->size() > kShown ? text + ", ..." : text;
}

void forEachBatch(std::vector<Command> commands, size_t maxBytes,
                  const std::function<void(std::vector<Command>&)>& emit) {
  std::vector<Command> batch;
  size_t bytes = 0;
  for (auto& c : commands) {
    if (!batch.empty() && bytes + encodedSize(c) > maxBytes) {
      emit(batch);
      batch.clear();
      bytes = 0;
    }
    bytes += encodedSize(c);
    batch.push_back(std::move(c));
  }
  if (!batch.empty()) emit(batch);
}

}  // namespace paxos::wire
