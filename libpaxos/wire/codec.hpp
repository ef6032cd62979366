// Binary wire format: a fixed header (magic, version, type, hosts hash, sender, the sender's
// datagram number, instance) and a body laid out per type, little-endian. Decoding is strict: a
// datagram that is short, long, of an unknown type or version, or carries impossible fields does
// not decode, so the core never sees it (the transport drops and counts it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/message.hpp"

namespace paxos::wire {

inline constexpr uint16_t kMagic = 0x5850;  // "PX" on the wire
inline constexpr uint8_t kVersion = 4;  // 2: seq in the header; 3: multi-mode types; 4: membership
inline constexpr size_t kHeaderSize = 28;
// Values are client data; the cap keeps every message far below the 65,507-byte UDP limit.
inline constexpr size_t kMaxValue = kMaxBytes;
inline constexpr size_t kMaxDatagram = kHeaderSize + 64 + kMaxValue;

std::vector<uint8_t> encode(const Message& message);
std::optional<Message> decode(std::span<const uint8_t> bytes);

}  // namespace paxos::wire
