// Why: decode() parses every UDP datagram from the network, so it must survive any bytes, and
// whatever it accepts must re-encode to exactly the same bytes (one canonical form per message).
// A decoded value may be a multi-mode batch, so decodeBatch() and describeBatch() get the same
// bytes: a batch that decodes must re-encode exactly, too. A PROGRESS value is a membership
// history (docs/MEMBERSHIP.md), which every node adopts from the network: it must survive any
// bytes, and a history it takes must pass on to the next node unchanged. A configuration change
// inside a batch is decoded by every learner: same rule.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "core/membership.hpp"
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
    for (const auto& c : *batch)
      if (auto change = paxos::core::decodeChange(c.value))
        if (paxos::core::encodeChange(*change) != c.value) std::abort();
  }
  if (message->type == paxos::wire::Type::progress && !message->value.empty()) {
    paxos::core::Configuration initial;
    initial.proposers = {0};
    initial.acceptors = {1};
    initial.learners = {2};
    paxos::core::Membership m(initial, 4), again(initial, 4);
    // What a node adopted (its own older configurations kept) passes on unchanged.
    if (m.adopt(message->value, message->end) &&
        (!again.adopt(m.encode(), m.through()) || again.encode() != m.encode())) {
      std::fprintf(stderr, "an adopted membership does not pass on unchanged\n");
      std::abort();
    }
  }
  return 0;
}
