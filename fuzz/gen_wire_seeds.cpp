// Why: writes fuzz/corpus/wire/ seeds with the real encoder, one valid datagram per message type.
#include <cstdio>
#include <string>

#include "core/membership.hpp"
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
  // And a configuration change among them (docs/MEMBERSHIP.md).
  paxos::core::Change change{0, {}};
  change.next.epoch = 1;
  change.next.proposers = {0};
  change.next.acceptors = {1, 9};
  change.next.learners = {2};
  change.next.addresses[9] = "127.0.0.1:10109";
  change.next.retired = {3};
  batch.value = encodeBatch({{5, 1, "a"},
                             {6, 2, "bc"},
                             {paxos::core::changeClient(2), 3, paxos::core::encodeChange(change)}});
  if (!write(dir + "/ACCEPT_batch", batch)) return 1;
  // A learner's PROGRESS with the membership history that change made.
  paxos::core::Configuration initial;
  initial.proposers = {0};
  initial.acceptors = {1, 3};
  initial.learners = {2};
  paxos::core::Membership membership(initial, 4);
  membership.deliver(0, *decodeBatch(batch.value));
  Message progress = paxos::wire::msg::progress(1, membership.through(), membership.encode());
  progress.hostsHash = 0x1234567890abcdefULL;
  progress.from = 2;
  return write(dir + "/PROGRESS_membership", progress) ? 0 : 1;
}
