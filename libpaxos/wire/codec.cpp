#include "wire/codec.hpp"

#include "wire/bytes.hpp"

namespace paxos::wire {

std::vector<uint8_t> encode(const Message& m) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + 32 + m.value.size());
  Writer w(out);
  w.u16(kMagic);
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(m.type));
  w.u64(m.hostsHash);
  w.u32(m.from);
  w.u32(m.seq);
  w.u64(m.instance);
  switch (m.type) {
    case Type::elect:
    case Type::electAck:
    case Type::leader:
    case Type::leaderAck:
    case Type::done:
    case Type::doneAck:
      w.u32(m.uid);
      break;
    case Type::start:
      w.u32(m.uid);
      w.u16(static_cast<uint16_t>(m.roles.size()));
      for (Role r : m.roles) w.u8(static_cast<uint8_t>(r));
      break;
    case Type::startAck:
    case Type::startQuery:
      break;
    case Type::request:
      w.u32(m.uid);
      w.u64(m.requestId);
      w.bytes(m.value);
      break;
    case Type::prepare:
      w.ballot(m.ballot);
      break;
    case Type::promise:
      w.ballot(m.ballot);
      w.ballot(m.accepted);
      w.bytes(m.value);
      break;
    case Type::accept:
    case Type::accepted:
      w.ballot(m.ballot);
      w.bytes(m.value);
      break;
    case Type::nack:
      w.ballot(m.ballot);
      w.ballot(m.promised);
      break;
    case Type::decided:
      w.bytes(m.value);
      break;
    case Type::prepareAll:
      w.ballot(m.ballot);
      break;
    case Type::promiseAll:
      w.ballot(m.ballot);
      w.u64(m.end);
      break;
    case Type::heartbeat:
      w.ballot(m.ballot);
      w.u32(m.uid);
      w.u64(0);  // reserved: once meant for a trim point, never set
      break;
    case Type::progress:
      w.u64(m.end);
      w.bytes(m.value);
      break;
    case Type::catchup:
      w.u64(m.end);
      break;
  }
  return out;
}

std::optional<Message> decode(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  Message m;
  if (r.u16() != kMagic || r.u8() != kVersion) return std::nullopt;
  uint8_t type = r.u8();
  if (type == 0 || type > kMaxType) return std::nullopt;
  m.type = static_cast<Type>(type);
  m.hostsHash = r.u64();
  m.from = r.u32();
  m.seq = r.u32();
  m.instance = r.u64();
  switch (m.type) {
    case Type::elect:
    case Type::electAck:
    case Type::leader:
    case Type::leaderAck:
    case Type::done:
    case Type::doneAck:
      m.uid = r.u32();
      break;
    case Type::start: {
      m.uid = r.u32();
      uint16_t n = r.u16();
      for (uint16_t i = 0; i < n && r.ok(); ++i) {
        uint8_t role = r.u8();
        if (role < 1 || role > 3) r.fail();
        m.roles.push_back(static_cast<Role>(role));
      }
      if (n == 0) r.fail();
      break;
    }
    case Type::startAck:
    case Type::startQuery:
      break;
    case Type::request:
      m.uid = r.u32();
      m.requestId = r.u64();
      m.value = r.bytes();
      break;
    case Type::prepare:
      m.ballot = r.ballot();
      break;
    case Type::promise:
      m.ballot = r.ballot();
      m.accepted = r.ballot();
      m.value = r.bytes();
      // A promise without an accepted ballot cannot carry a value.
      if (m.accepted.none() && !m.value.empty()) r.fail();
      break;
    case Type::accept:
    case Type::accepted:
      m.ballot = r.ballot();
      m.value = r.bytes();
      break;
    case Type::nack:
      m.ballot = r.ballot();
      m.promised = r.ballot();
      break;
    case Type::decided:
      m.value = r.bytes();
      break;
    case Type::prepareAll:
      m.ballot = r.ballot();
      break;
    case Type::promiseAll:
      m.ballot = r.ballot();
      m.end = r.u64();
      if (m.end < m.instance) r.fail();  // the accepted log cannot end before it starts
      break;
    case Type::heartbeat:
      m.ballot = r.ballot();
      m.uid = r.u32();
      if (r.u64() != 0) r.fail();  // reserved, always 0: nothing is read from it
      break;
    case Type::progress:
      m.end = r.u64();
      m.value = r.bytes();
      break;
    case Type::catchup:
      m.end = r.u64();
      if (m.end <= m.instance) r.fail();  // an empty or inverted range
      break;
  }
  bool needsBallot = m.type == Type::prepare || m.type == Type::promise || m.type == Type::accept ||
                     m.type == Type::accepted || m.type == Type::nack ||
                     m.type == Type::prepareAll || m.type == Type::promiseAll;
  if (needsBallot && m.ballot.none()) return std::nullopt;
  if (!r.ok() || !r.atEnd()) return std::nullopt;
  return m;
}

}  // namespace paxos::wire
