// Messages that are resent with exponential backoff until the peer acknowledges them. UDP
// loses datagrams and peers start at different times; this is the whole of our reliability.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/outbox.hpp"
#include "core/rtt.hpp"
#include "core/timing.hpp"

namespace paxos::core {

class Resender {
 public:
  struct Entry {
    uint32_t to;
    wire::Message message;
    Time firstSent;
    Time due;
    Duration interval;
    int sends;
    int maxSends;  // 0: until acknowledged
  };

  explicit Resender(const Timing& timing) : timing_(timing) {}

  // Sends now, then again at retryFirst, 2x, 4x... (capped at retryMax; both stretched to the
  // retransmission timeout of the round trips acknowledgements took, when that is longer)
  // until acked; at most
  // `maxSends` times in all when it is positive (the peer may be dead, and waiting forever on
  // it is worse than giving up).
  void send(Time now, uint32_t to, wire::Message message, Outbox& out, int maxSends = 0);

  // The acknowledgement, received at `now`, from `from` for a message of `type` (and, for ring
  // hops, carrying `uid`). Returns whether something was waiting for it.
  bool ack(Time now, uint32_t from, wire::Type type, std::optional<uint32_t> uid = std::nullopt);

  void tick(Time now, Outbox& out);
  std::optional<Time> nextWake() const;

  // Removes and returns the entries first sent before `cutoff`: their peer looks dead.
  std::vector<Entry> takeOlderThan(Time cutoff) {
    return take([cutoff](const Entry& e) { return e.firstSent < cutoff; });
  }
  // Removes and returns the entries for which `match` holds.
  template <class Match>
  std::vector<Entry> take(Match match) {
    std::vector<Entry> taken;
    std::erase_if(entries_, [&](Entry& e) {
      if (!match(e)) return false;
      taken.push_back(std::move(e));
      return true;
    });
    return taken;
  }
  bool pendingTo(uint32_t to, wire::Type type) const;
  bool empty() const { return entries_.empty(); }

 private:
  const Timing& timing_;
  std::vector<Entry> entries_;
  RttEstimator rtt_;  // from each acknowledged message's first send
};

}  // namespace paxos::core
