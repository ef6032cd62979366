#include "wire/codec.hpp"

#include <cstring>

namespace paxos::wire {
namespace {

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { integer(v, 2); }
  void u32(uint32_t v) { integer(v, 4); }
  void u64(uint64_t v) { integer(v, 8); }
  void ballot(const Ballot& b) {
    u64(b.round);
    u32(b.uid);
  }
  void bytes(const std::string& s) {
    u16(static_cast<uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

 private:
  void integer(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t>& out_;
};

// Every read checks the remaining length; after the first failure all reads fail, so a caller
// checks ok() once at the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  uint8_t u8() { return static_cast<uint8_t>(integer(1)); }
  uint16_t u16() { return static_cast<uint16_t>(integer(2)); }
  uint32_t u32() { return static_cast<uint32_t>(integer(4)); }
  uint64_t u64() { return integer(8); }
  Ballot ballot() {
    Ballot b;
    b.round = u64();
    b.uid = u32();
    return b;
  }
  std::string bytes() {
    size_t n = u16();
    if (n > kMaxValue || !take(n)) return fail(), std::string();
    return std::string(reinterpret_cast<const char*>(in_.data() + pos_ - n), n);
  }
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == in_.size(); }

 private:
  bool take(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return ok_ = false;
    pos_ += n;
    return true;
  }
  uint64_t integer(int width) {
    if (!take(width)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= uint64_t{in_[pos_ - width + i]} << (8 * i);
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::vector<uint8_t> encode(const Message& m) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + 32 + m.value.size());
  Writer w(out);
  w.u16(kMagic);
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(m.type));
  w.u64(m.hostsHash);
  w.u32(m.from);
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
      w.u64(m.request);
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
      w.ballot(m.accepted);
      break;
    case Type::decided:
      w.bytes(m.value);
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
      m.request = r.u64();
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
      m.accepted = r.ballot();
      break;
    case Type::decided:
      m.value = r.bytes();
      break;
  }
  bool needsBallot = m.type == Type::prepare || m.type == Type::promise || m.type == Type::accept ||
                     m.type == Type::accepted || m.type == Type::nack;
  if (needsBallot && m.ballot.none()) return std::nullopt;
  if (!r.ok() || !r.atEnd()) return std::nullopt;
  return m;
}

}  // namespace paxos::wire
