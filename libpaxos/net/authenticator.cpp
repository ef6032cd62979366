#include "net/authenticator.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace paxos::net {

static_assert(Authenticator::kTagBytes == crypto_auth_BYTES);

Authenticator Authenticator::fromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(
        fmt::format("key file {}: cannot read: {}", path, std::strerror(errno)));
  std::vector<uint8_t> secret((std::istreambuf_iterator<char>(in)), {});
  if (secret.size() < kMinKeyBytes)
    throw std::runtime_error(fmt::format(
        "key file {}: {} bytes; a cluster key needs at least {} (e.g. head -c 32 /dev/urandom)",
        path, secret.size(), kMinKeyBytes));
  return Authenticator(secret);
}

Authenticator::Authenticator(std::span<const uint8_t> secret) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot initialise");
  static_assert(sizeof(key_) == crypto_auth_KEYBYTES);
  crypto_generichash(key_.data(), key_.size(), secret.data(), secret.size(), nullptr, 0);
}

void Authenticator::seal(std::vector<uint8_t>& datagram) const {
  std::array<uint8_t, kTagBytes> tag;
  crypto_auth(tag.data(), datagram.data(), datagram.size(), key_.data());
  datagram.insert(datagram.end(), tag.begin(), tag.end());
}

std::optional<std::span<const uint8_t>> Authenticator::open(
    std::span<const uint8_t> datagram) const {
  if (datagram.size() < kTagBytes) return std::nullopt;
  auto body = datagram.first(datagram.size() - kTagBytes);
  if (crypto_auth_verify(datagram.data() + body.size(), body.data(), body.size(), key_.data()) != 0)
    return std::nullopt;
  return body;
}

}  // namespace paxos::net
