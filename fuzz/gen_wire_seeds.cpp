// Why: writes fuzz/corpus/wire/ seeds with the real encoder, one valid datagram per message type.
#include <cstdio>
#include <string>

#include "wire/codec.hpp"

using namespace paxos::wire;

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "fuzz/corpus/wire";
  for (uint8_t t = 1; t <= kMaxType; ++t) {
    Message m = make(static_cast<Type>(t), 3);
    m.hostsHash = 0x1234567890abcdefULL;
    m.from = 1;
    m.seq = t;
    m.instance = t % 3;
    m.ballot = {2, 1};
    m.request = 7;
    if (m.type == Type::start) m.roles = {Role::proposer, Role::acceptor, Role::learner};
    if (m.type == Type::promise) m.accepted = {1, 0};
    if (m.type == Type::nack) m.accepted = {5, 2};
    if (m.type == Type::request || m.type == Type::promise || m.type == Type::accept ||
        m.type == Type::accepted || m.type == Type::decided)
      m.value = "hello";
    auto bytes = encode(m);
    if (!decode(bytes)) return std::fprintf(stderr, "seed %u does not decode\n", t), 1;
    std::string path = dir + "/" + std::string(typeName(m.type));
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return std::perror(path.c_str()), 1;
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return 0;
}
