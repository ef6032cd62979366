// Why: writes fuzz/corpus/wire/ seeds with the real encoder, one valid datagram per message type.
#include <cstdio>
#include <string>

#include "wire/batch.hpp"
#include "wire/codec.hpp"

using namespace paxos::wire;

static bool write(const std::string& path, const Message& m) {
  auto bytes = encode(m);
  if (!decode(bytes)) return std::fprintf(stderr, "%s does not decode\n", path.c_str()), false;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return std::perror(path.c_str()), false;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return true;
}

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "fuzz/corpus/wire";
  for (uint8_t t = 1; t <= kMaxType; ++t) {
    Message m = make(static_cast<Type>(t), 3);
    m.hostsHash = 0x1234567890abcdefULL;
    m.from = 1;
    m.seq = t;
    m.instance = t % 3;
    m.ballot = {2, 1};
    m.requestId = 7;
    m.end = 7;  // PROMISE_ALL and CATCHUP: above every instance used here
    if (m.type == Type::start) m.roles = {Role::proposer, Role::acceptor, Role::learner};
    if (m.type == Type::promise) m.accepted = {1, 0};
    if (m.type == Type::nack) m.promised = {5, 2};
    if (m.type == Type::request || m.type == Type::promise || m.type == Type::accept ||
        m.type == Type::accepted || m.type == Type::decided)
      m.value = "hello";
    if (!write(dir + "/" + std::string(typeName(m.type)), m)) return 1;
  }
  // Multi mode: an accept whose value is a batch of two commands, so decodeBatch has a seed.
  Message batch = make(Type::accept, 3);
  batch.hostsHash = 0x1234567890abcdefULL;
  batch.from = 1;
  batch.instance = 4;
  batch.ballot = {2, 1};
  batch.value = encodeBatch({{5, 1, "a"}, {6, 2, "bc"}});
  return write(dir + "/ACCEPT_batch", batch) ? 0 : 1;
}
