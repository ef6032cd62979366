#include "core/learner.hpp"

#include <fmt/format.h>

namespace paxos::core {

using wire::Message;
using wire::Type;

void Learner::receive(const Message& m, Outbox& out) {
  if (m.instance != 0) return;
  if (m.type == Type::decided && cluster_.roleOf(m.from) == wire::Role::proposer) {
    // The proposer counted a majority of ACCEPTED itself: the value is chosen. This covers a
    // learner whose own ACCEPTEDs were lost.
    if (!decided_) {
      decided_ = m.value;
      out.decided = m.value;
      out.event("decide", 0, {}, m.value);
      out.note(Level::info,
               fmt::format("inst 0 decided {} (told by proposer {})", m.value, m.from));
    }
    return;
  }
  if (m.type != Type::accepted) return;
  if (cluster_.roleOf(m.from) != wire::Role::acceptor) return;
  if (decided_) {
    out.send(m.ballot.uid, wire::msg::decided(0, *decided_));
    return;
  }
  Tally& tally = tallies_[m.ballot];
  if (tally.acceptors.empty()) tally.value = m.value;
  if (tally.value != m.value) {
    // One ballot carries one value; two values under one ballot mean a broken proposer.
    out.note(Level::error, fmt::format("inst 0 ballot {}: acceptor {} reports value {}, others {}",
                                       wire::toString(m.ballot), m.from, m.value, tally.value));
    return;
  }
  tally.acceptors.add(cluster_, m.from);
#ifdef PAXOS_MUTANT_LEARNER_COUNTS_TWICE          // a deliberately broken build for tests/sim
  if (++tally.votes < cluster_.quorum()) return;  // a repeated ACCEPTED counts again
#else
  if (!tally.acceptors.reached(cluster_)) return;
#endif

  decided_ = tally.value;
  tallies_.clear();
  out.decided = *decided_;
  out.event("decide", 0, m.ballot, *decided_);
  out.note(Level::info,
           fmt::format("inst 0 decided {} (ballot {}, {} of {} acceptors)", *decided_,
                       wire::toString(m.ballot), cluster_.quorum(), cluster_.acceptors().size()));
  Message reply = wire::msg::decided(0, *decided_);
  for (uint32_t client : cluster_.clients()) out.send(client, reply);
  for (uint32_t proposer : cluster_.proposers()) out.send(proposer, reply);
}

}  // namespace paxos::core
