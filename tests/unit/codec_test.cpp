// The wire codec: every message survives a round trip, and decode() refuses anything that is not
// exactly a datagram encode() could have written, so the core never sees a malformed message.
#include "wire/codec.hpp"

#include <doctest/doctest.h>

#include <random>

#include "messages.hpp"
#include "wire/batch.hpp"

using namespace paxos;
using namespace paxos::wire;

namespace {

using Bytes = std::vector<uint8_t>;

// A message of `type` with every field that type carries set to something non-trivial, and the
// fields it does not carry left at their defaults (the codec does not write those).
Message sample(Type type) {
  Message m;
  m.type = type;
  m.hostsHash = 0x0123456789abcdefULL;
  m.from = 0x01020304;
  m.instance = 0xfedcba9876543210ULL;
  switch (type) {
    case Type::elect:
    case Type::electAck:
    case Type::leader:
    case Type::leaderAck:
    case Type::done:
    case Type::doneAck:
      m.uid = 0xa1b2c3d4;
      break;
    case Type::start:
      m.uid = 7;
      m.roles = {Role::proposer, Role::acceptor, Role::acceptor, Role::learner};
      break;
    case Type::startAck:
    case Type::startQuery:
      break;
    case Type::request:
      m.uid = 9;
      m.requestId = 0x1122334455667788ULL;
      m.value = std::string("va\0lue\xff", 7);  // binary-safe, not a C string
      break;
    case Type::prepare:
      m.ballot = {0x100000001ULL, 3};
      break;
    case Type::promise:
      m.ballot = {12, 1};
      m.accepted = {11, 0};
      m.value = "accepted before";
      break;
    case Type::accept:
    case Type::accepted:
      m.ballot = {12, 1};
      m.value = std::string(kMaxValue, 'x');  // the longest value allowed
      break;
    case Type::nack:
      m.ballot = {3, 0};
      m.promised = {4, 1};
      break;
    case Type::decided:
      m.value = "";  // an empty value is a value
      break;
    case Type::prepareAll:
      m.ballot = {5, 1};
      break;
    case Type::promiseAll:
      m.ballot = {5, 1};
      m.end = ~0ULL;  // one past the last accepted slot: never below instance
      break;
    case Type::heartbeat:
      m.uid = 1;
      m.ballot = {0x0102030405060708ULL, 1};
      break;
    case Type::progress:
      break;
    case Type::catchup:
      m.end = ~0ULL;
      break;
  }
  return m;
}

bool same(const Message& a, const Message& b) {
  return a.type == b.type && a.hostsHash == b.hostsHash && a.from == b.from && a.seq == b.seq &&
         a.instance == b.instance && a.ballot == b.ballot && a.accepted == b.accepted &&
         a.promised == b.promised && a.uid == b.uid && a.requestId == b.requestId &&
         a.end == b.end && a.value == b.value && a.roles == b.roles;
}

bool decodes(const Bytes& bytes) {
  return decode(bytes).has_value();
}

Type typeAt(uint8_t index) {
  return static_cast<Type>(index);
}

}  // namespace

TEST_CASE("Codec: every message type survives encode then decode with all its fields") {
  for (uint8_t t = 1; t <= kMaxType; ++t) {
    CAPTURE(typeAt(t));
    Message m = sample(typeAt(t));
    Bytes bytes = encode(m);
    CHECK(bytes.size() <= kMaxDatagram);
    auto back = decode(bytes);
    REQUIRE(back.has_value());
    CHECK(same(*back, m));
    CHECK(encode(*back) == bytes);
  }
}

TEST_CASE("Codec: every message with the longest value fits in one datagram (kMaxDatagram)") {
  for (Type type : {Type::request, Type::promise, Type::accept, Type::accepted, Type::decided}) {
    CAPTURE(type);
    Message m = sample(type);
    m.value = std::string(kMaxValue, 'z');
    Bytes bytes = encode(m);
    CHECK(bytes.size() <= kMaxDatagram);
    CHECK(decodes(bytes));
  }
}

TEST_CASE(
    "Codec: the header is magic, version, type, hash, sender, seq, instance, "
    "little-endian") {
  Message m = sample(Type::startAck);
  m.seq = 0x0a0b0c0d;
  Bytes bytes = encode(m);
  REQUIRE(bytes.size() == kHeaderSize);
  CHECK(bytes[0] == 0x50);  // 'P'
  CHECK(bytes[1] == 0x58);  // 'X'
  CHECK(bytes[2] == kVersion);
  CHECK(bytes[3] == static_cast<uint8_t>(Type::startAck));
  CHECK(bytes[4] == 0xef);  // low byte of the hash first
  CHECK(bytes[11] == 0x01);
  CHECK(bytes[12] == 0x04);
  CHECK(bytes[16] == 0x0d);  // seq, low byte first
  CHECK(bytes[19] == 0x0a);
  CHECK(bytes[20] == 0x10);
}

TEST_CASE("Codec: a PROMISE with nothing accepted round-trips with an empty value") {
  Message m = test::promise(2, {1, 0});
  auto back = decode(encode(m));
  REQUIRE(back.has_value());
  CHECK(same(*back, m));
}

TEST_CASE("Codec: decode rejects a wrong magic or a wrong version") {
  Bytes good = encode(sample(Type::prepare));
  REQUIRE(decodes(good));
  for (size_t i : {0, 1}) {
    Bytes bad = good;
    bad[i] ^= 0x01;
    CHECK_FALSE(decodes(bad));
  }
  for (uint8_t version : {0, 1, 2, 3, 5, 255}) {
    Bytes bad = good;
    bad[2] = version;
    CHECK_FALSE(decodes(bad));
  }
}

TEST_CASE("Codec: decode rejects type 0 and every type above the last one") {
  Bytes good = encode(sample(Type::startQuery));  // a header-only type: only the type byte varies
  for (int type : {0, kMaxType + 1, 100, 255}) {
    CAPTURE(type);
    Bytes bad = good;
    bad[3] = static_cast<uint8_t>(type);
    CHECK_FALSE(decodes(bad));
  }
}

TEST_CASE("Codec: a datagram truncated at any length does not decode") {
  for (uint8_t t = 1; t <= kMaxType; ++t) {
    CAPTURE(typeAt(t));
    Message m = sample(typeAt(t));
    if (m.value.size() > 64) m.value.resize(64);  // keeps the loop short; same layout
    Bytes bytes = encode(m);
    for (size_t length = 0; length < bytes.size(); ++length) {
      CAPTURE(length);
      CHECK_FALSE(decode(std::span(bytes.data(), length)).has_value());
    }
  }
}

TEST_CASE("Codec: one trailing byte after a complete message does not decode") {
  for (uint8_t t = 1; t <= kMaxType; ++t) {
    CAPTURE(typeAt(t));
    Bytes bytes = encode(sample(typeAt(t)));
    bytes.push_back(0);
    CHECK_FALSE(decodes(bytes));
  }
}

TEST_CASE("Codec: a value longer than kMaxValue does not decode") {
  for (Type type : {Type::request, Type::promise, Type::accept, Type::accepted, Type::decided}) {
    CAPTURE(type);
    Message m = sample(type);
    m.value = std::string(kMaxValue + 1, 'y');
    CHECK_FALSE(decodes(encode(m)));
  }
}

TEST_CASE("Codec: a ballot message with round 0 (no ballot) does not decode") {
  for (Type type : {Type::prepare, Type::promise, Type::accept, Type::accepted, Type::nack}) {
    CAPTURE(type);
    Message m = sample(type);
    m.ballot = {0, 1};
    CHECK_FALSE(decodes(encode(m)));
  }
}

TEST_CASE("Codec: a PROMISE with no accepted ballot but a value does not decode") {
  Message m = test::promise(2, {1, 0}, {}, "from nowhere");
  CHECK_FALSE(decodes(encode(m)));
  m.accepted = {0, 1};  // a uid without a round is still "none"
  CHECK_FALSE(decodes(encode(m)));
}

TEST_CASE("Codec: a START with no roles or a role byte out of range does not decode") {
  CHECK_FALSE(decodes(encode(test::start(4, 4, {}))));

  Bytes good = encode(test::start(4, 4, {Role::proposer, Role::acceptor, Role::learner}));
  REQUIRE(decodes(good));
  size_t firstRole = kHeaderSize + 4 + 2;  // after uid and count
  for (uint8_t role : {0, 4, 255}) {
    for (size_t at = firstRole; at < good.size(); ++at) {
      CAPTURE(role);
      CAPTURE(at);
      Bytes bad = good;
      bad[at] = role;
      CHECK_FALSE(decodes(bad));
    }
  }
}

TEST_CASE("Codec: random datagrams never crash decode, and whatever decodes re-encodes exactly") {
  std::mt19937_64 rng(20240601);
  auto byte = [&] { return static_cast<uint8_t>(rng()); };
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    Bytes bytes;
    switch (i % 3) {
      case 0: {  // any bytes at all
        bytes.resize(rng() % 64);
        for (auto& b : bytes) b = byte();
        break;
      }
      case 1: {  // a valid header of a random type, then a random short body
        Message m = sample(typeAt(static_cast<uint8_t>(1 + rng() % kMaxType)));
        bytes = encode(m);
        bytes.resize(kHeaderSize + rng() % 48);
        for (size_t at = kHeaderSize; at < bytes.size(); ++at) bytes[at] = byte();
        break;
      }
      default: {  // a valid message with a few bytes changed
        Message m = sample(typeAt(static_cast<uint8_t>(1 + rng() % kMaxType)));
        if (m.value.size() > 16) m.value.resize(16);
        bytes = encode(m);
        for (int flips = 1 + rng() % 3; flips > 0; --flips) bytes[rng() % bytes.size()] = byte();
        break;
      }
    }
    auto m = decode(bytes);
    if (!m) continue;
    ++accepted;
    if (encode(*m) != bytes) {
      CAPTURE(i);
      FAIL("decoded message re-encodes to different bytes: " << describe(*m));
    }
  }
  CHECK(accepted > 1000);  // the loop exercised the accepting paths, not only the rejections
}

TEST_CASE("Codec: multi-mode ranges that cannot be are refused") {
  Message promise = sample(Type::promiseAll);
  promise.instance = 10;
  promise.end = 9;  // the accepted log ends before the slot it starts at
  CHECK_FALSE(decodes(encode(promise)));
  promise.end = 10;  // nothing accepted from slot 10 on
  CHECK(decodes(encode(promise)));

  Message catchup = sample(Type::catchup);
  catchup.instance = 10;
  catchup.end = 10;  // an empty range asks for nothing
  CHECK_FALSE(decodes(encode(catchup)));
}

TEST_CASE("Batch: BatchWriter fills batches up to maxBytes in order; a command alone may pass") {
  std::vector<std::pair<uint64_t, std::string>> emitted;
  BatchWriter writer(2 * (kCommandOverhead + 3), [&](uint64_t first, std::string batch) {
    emitted.emplace_back(first, std::move(batch));
  });
  writer.add(7, 1, "aaa");
  writer.add(7, 2, "bbb");
  writer.add(7, 3, "a value longer than the limit");
  writer.add(7, 4, "ddd");
  writer.finish();
  writer.finish();  // nothing left: nothing more
  REQUIRE(emitted.size() == 3);
  CHECK(emitted[0] ==
        std::pair<uint64_t, std::string>{1, encodeBatch({{7, 1, "aaa"}, {7, 2, "bbb"}})});
  CHECK(emitted[1].first == 3);
  CHECK(decodeBatch(emitted[1].second) ==
        std::vector<Command>{{7, 3, "a value longer than the limit"}});
  CHECK(emitted[2] == std::pair<uint64_t, std::string>{4, encodeBatch({{7, 4, "ddd"}})});
}

TEST_CASE("Batch: forEachCommand sees each command in place, or none of a malformed batch") {
  std::string batch = encodeBatch({{7, 1, "x"}, {8, 2, "yz"}});
  std::vector<Command> seen;
  std::string again;
  CHECK(forEachCommand(batch, [&](const CommandView& c) {
    seen.push_back(c.copy());
    again.append(c.encoded);
  }));
  CHECK(seen == std::vector<Command>{{7, 1, "x"}, {8, 2, "yz"}});
  CHECK(again == batch);
  int calls = 0;
  CHECK_FALSE(forEachCommand(batch + "\x01", [&](const CommandView&) { ++calls; }));
  CHECK(calls == 0);
}
