#include "wire/batch.hpp"

#include <fmt/format.h>

#include <span>

#include "wire/bytes.hpp"

namespace paxos::wire {

void appendCommand(std::string& batch, uint32_t client, uint64_t request, std::string_view value) {
  char head[kCommandOverhead];
  for (int i = 0; i < 4; ++i) head[i] = char(client >> (8 * i));
  for (int i = 0; i < 8; ++i) head[4 + i] = char(request >> (8 * i));
  for (int i = 0; i < 2; ++i) head[12 + i] = char(value.size() >> (8 * i));
  batch.append(head, sizeof head).append(value);
}

std::string encodeBatch(const std::vector<Command>& commands) {
  std::string batch;
  size_t size = 0;
  for (const Command& c : commands) size += encodedSize(c);
  batch.reserve(size);
  for (const Command& c : commands) appendCommand(batch, c.client, c.request, c.value);
  return batch;
}

namespace {

// Reads the next command of `r`, which reads `bytes` (for the encoding's extent).
CommandView next(Reader& r, std::string_view bytes) {
  size_t start = bytes.size() - r.remaining();
  CommandView c;
  c.client = r.u32();
  c.request = r.u64();
  c.value = r.view();
  c.encoded = bytes.substr(start, bytes.size() - r.remaining() - start);
  return c;
}

Reader readerOf(std::string_view bytes) {
  return Reader(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace

bool forEachCommand(std::string_view bytes, const std::function<void(const CommandView&)>& each) {
  Reader check = readerOf(bytes);
  while (check.ok() && !check.atEnd()) next(check, bytes);
  if (!check.ok()) return false;
  Reader r = readerOf(bytes);
  while (!r.atEnd()) each(next(r, bytes));
  return true;
}

std::optional<std::vector<Command>> decodeBatch(std::string_view bytes) {
  std::vector<Command> commands;
  if (!forEachCommand(bytes, [&](const CommandView& c) { commands.push_back(c.copy()); }))
    return std::nullopt;
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

void BatchWriter::add(uint32_t client, uint64_t request, std::string_view value) {
  if (!batch_.empty() && batch_.size() + kCommandOverhead + value.size() > maxBytes_) finish();
  if (batch_.empty()) first_ = request;
  appendCommand(batch_, client, request, value);
}

void BatchWriter::finish() {
  if (batch_.empty()) return;
  emit_(first_, std::move(batch_));
  batch_.clear();
}

}  // namespace paxos::wire
