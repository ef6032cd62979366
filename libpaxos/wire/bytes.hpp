// Little-endian integers and length-prefixed strings in a byte buffer: the one encoding shared
// by the wire format and the acceptor's state file. Reading checks every length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/message.hpp"

namespace paxos::wire {

inline constexpr size_t kMaxBytes = 8192;

// 64-bit FNV-1a: the hosts file's hash and a key-value write's fingerprint (not a checksum).
inline uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}  // longest string a Reader accepts (kMaxValue)

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
    auto data = reinterpret_cast<const uint8_t*>(s.data());  // one memcpy, not a byte loop
    out_.insert(out_.end(), data, data + s.size());
  }

 private:
  void integer(uint64_t v, int width) {
    uint8_t little[8];
    for (int i = 0; i < width; ++i) little[i] = static_cast<uint8_t>(v >> (8 * i));
    out_.insert(out_.end(), little, little + width);
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
    if (n > kMaxBytes || !take(n)) return fail(), std::string();
    return std::string(reinterpret_cast<const char*>(in_.data() + pos_ - n), n);
  }
  // As bytes(), without a copy: valid while the input is.
  std::string_view view() {
    size_t n = u16();
    if (n > kMaxBytes || !take(n)) return fail(), std::string_view();
    return {reinterpret_cast<const char*>(in_.data() + pos_ - n), n};
  }
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

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

}  // namespace paxos::wire
