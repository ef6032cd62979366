#include "kv/command.hpp"

#include <vector>

#include "wire/bytes.hpp"

namespace paxos::kv {

namespace {
constexpr uint8_t kTag = 'K';  // tells a KV command from anything else a client might log
constexpr uint8_t kHasPrev = 1;
}  // namespace

bool writes(Op op) {
  return op == Op::put || op == Op::erase || op == Op::propose || op == Op::reset;
}

std::string_view opName(Op op) {
  switch (op) {
    case Op::put:
      return "put";
    case Op::erase:
      return "delete";
    case Op::get:
      return "get";
    case Op::list:
      return "list";
    case Op::propose:
      return "propose";
    case Op::reset:
      return "reset";
    case Op::state:
      return "state";
  }
  return "?";
}

uint64_t fingerprint(const Command& command) {
  Command c = command;
  c.requestId.clear();
  return wire::fnv1a(encode(c));
}

std::string encode(const Command& c) {
  std::vector<uint8_t> out;
  wire::Writer w(out);
  w.u8(kTag);
  w.u8(static_cast<uint8_t>(c.op));
  w.u8(c.prevVersion ? kHasPrev : 0);
  w.bytes(c.key);
  w.bytes(c.value);
  if (c.prevVersion) w.u64(*c.prevVersion);
  w.u32(c.limit);
  w.bytes(c.requestId);
  return std::string(out.begin(), out.end());
}

std::optional<Command> decode(std::string_view bytes) {
  wire::Reader r({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  Command c;
  if (r.u8() != kTag) return std::nullopt;
  uint8_t op = r.u8();
  if (op < uint8_t(Op::put) || op > uint8_t(Op::state)) return std::nullopt;
  c.op = static_cast<Op>(op);
  uint8_t flags = r.u8();
  if (flags & ~kHasPrev) return std::nullopt;
  c.key = r.bytes();
  c.value = r.bytes();
  if (flags & kHasPrev) c.prevVersion = r.u64();
  c.limit = r.u32();
  c.requestId = r.bytes();
  if (!r.ok() || !r.atEnd() || c.key.size() > kMaxKey || c.value.size() > kMaxValue ||
      c.requestId.size() > kMaxRequestId || c.limit > kMaxList)
    return std::nullopt;
  return c;
}

}  // namespace paxos::kv
