// The cluster key: every datagram carries a MAC (libsodium's crypto_auth, HMAC-SHA-512-256) over
// all its bytes, so that only holders of the key can speak for a UID. Without a key a node trusts
// the source address of a datagram and nothing more (docs/FAULTS.md#authentication).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace paxos::net {

class Authenticator {
 public:
  static constexpr size_t kTagBytes = 32;  // crypto_auth_BYTES
  static constexpr size_t kMinKeyBytes = 32;

  // Reads the key file (at least kMinKeyBytes bytes of secret; the key is their hash, so any
  // length works). Throws std::runtime_error with a one-line reason.
  static Authenticator fromFile(const std::string& path);
  explicit Authenticator(std::span<const uint8_t> secret);

  // Appends the tag.
  void seal(std::vector<uint8_t>& datagram) const;
  // The datagram without its tag, if the tag is valid for the rest.
  std::optional<std::span<const uint8_t>> open(std::span<const uint8_t> datagram) const;

 private:
  std::array<uint8_t, 32> key_;  // crypto_auth_KEYBYTES
};

}  // namespace paxos::net
