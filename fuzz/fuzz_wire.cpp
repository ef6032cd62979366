// Why: decode() parses every UDP datagram from the network, so it must survive any bytes, and
// whatever it accepts must re-encode to exactly the same bytes (one canonical form per message).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "wire/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto message = paxos::wire::decode(std::span<const uint8_t>(data, size));
  if (!message) return 0;
  (void)paxos::wire::describe(*message);  // log formatting must handle any decoded message
  auto again = paxos::wire::encode(*message);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "re-encode differs: %zu bytes in, %zu bytes out\n", size, again.size());
    std::abort();
  }
  return 0;
}
