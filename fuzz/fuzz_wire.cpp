// Why: decode() parses every UDP datagram from the network, so it must survive any bytes, and
// whatever it accepts must re-encode to exactly the same bytes (one canonical form per message).
// A decoded value may be a multi-mode batch, so decodeBatch() and describeBatch() get the same
// bytes: a batch that decodes must re-encode exactly, too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "wire/batch.hpp"
#include "wire/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto message = paxos::wire::decode(std::span<const uint8_t>(data, size));
  if (!message) return 0;
  (void)paxos::wire::describe(*message);  // log formatting must handle any decoded message
  (void)paxos::wire::describe(*message, true);
  auto again = paxos::wire::encode(*message);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "re-encode differs: %zu bytes in, %zu bytes out\n", size, again.size());
    std::abort();
  }
  (void)paxos::wire::describeBatch(message->value);
  if (auto batch = paxos::wire::decodeBatch(message->value)) {
    if (paxos::wire::encodeBatch(*batch) != message->value) {
      std::fprintf(stderr, "batch re-encode differs (%zu commands)\n", batch->size());
      std::abort();
    }
  }
  return 0;
}
