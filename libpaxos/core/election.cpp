#include "core/election.hpp"

#include <fmt/format.h>

namespace paxos::core {

using wire::Message;
using wire::Type;

Election::Election(const Cluster& cluster, const Timing& timing, uint32_t self)
    : cluster_(cluster), timing_(timing), self_(self), hops_(timing) {}

void Election::start(Time now, Outbox& out) {
  stallAt_ = now + timing_.electionStall;
  sendOwnToken(now, out);
}

void Election::sendOwnToken(Time now, Outbox& out) {
  if (nextAlive(self_) == self_) return onElect(now, self_, out);  // alone on the ring
  hop(now, Type::elect, self_, out);
}

void Election::hop(Time now, Type type, uint32_t uid, Outbox& out) {
  Message m;
  m.type = type;
  m.uid = uid;
  hops_.send(now, nextAlive(self_), std::move(m), out);
}

void Election::receive(Time now, const Message& m, Outbox& out) {
  auto ackType = m.type == Type::elect ? Type::electAck : Type::leaderAck;
  switch (m.type) {
    case Type::elect:
    case Type::leader: {
      Message ack;
      ack.type = ackType;
      ack.uid = m.uid;
      out.send(m.from, std::move(ack));
      if (!cluster_.isConsensus(m.uid)) return;
      if (m.type == Type::elect) return onElect(now, m.uid, out);
      return onLeader(now, m.uid, out);
    }
    case Type::electAck:
      hops_.ack(now, m.from, Type::elect, m.uid);
      return;
    case Type::leaderAck:
      hops_.ack(now, m.from, Type::leader, m.uid);
      return;
    default:
      return;
  }
}

void Election::onElect(Time now, uint32_t candidate, Outbox& out) {
  if (candidate == self_) {
    // A leader already known that is not smaller wins, as in onLeader and learnLeader: our own
    // token coming back late (resent after a stall, or re-routed round a repaired ring) must not
    // make this node a second, smaller leader.
    if (leader_ && *leader_ >= self_) return;
    leader_ = self_;
    out.note(Level::info, fmt::format("elected leader (my UID came back around the ring)"));
    if (nextAlive(self_) != self_) hop(now, Type::leader, self_, out);
    return;
  }
  if (suspected_.contains(candidate)) {
    out.note(Level::info, fmt::format("dropping token of suspected node {}", candidate));
    if (!leader_) sendOwnToken(now, out);
    return;
  }
  if (candidate < self_ || relayed_.contains(candidate)) return;  // swallowed, or a resend
  relayed_.insert(candidate);
  hop(now, Type::elect, candidate, out);
}

void Election::onLeader(Time now, uint32_t leader, Outbox& out) {
  if (leader_ && *leader_ >= leader) return;  // already known (or a larger one is)
  leader_ = leader;
  out.note(Level::info, fmt::format("leader is {}", leader));
  if (leader != self_ && nextAlive(self_) != leader) hop(now, Type::leader, leader, out);
}

void Election::learnLeader(uint32_t leader) {
  if (!leader_ || *leader_ < leader) leader_ = leader;
}

void Election::reroute(Time now, const Resender::Entry& stale, Outbox& out) {
  if (suspected_.insert(stale.to).second)
    out.note(Level::warn, fmt::format("successor {} silent for {} ms: suspected", stale.to,
                                      timing_.hopSkip.count() / 1000000));
  uint32_t next = nextAlive(self_);
  out.debug([&] {
    return fmt::format("{} {} re-routed to {}", wire::typeName(stale.message.type),
                       stale.message.uid, next == self_ ? "this node" : std::to_string(next));
  });
  if (stale.message.type == Type::leader) {
    if (next != self_ && next != stale.message.uid) hop(now, Type::leader, stale.message.uid, out);
  } else if (next == self_ && leader_) {
    // Suspecting every other node proves nothing once a leader is known: the token stops
    // here rather than making this node, "alone on the ring", a second leader.
  } else if (next == self_ || suspected_.contains(stale.message.uid)) {
    onElect(now, stale.message.uid, out);
  } else {
    hop(now, Type::elect, stale.message.uid, out);
  }
}

void Election::tick(Time now, Outbox& out) {
  // A hop unanswered for hopSkip makes its target suspected, and every other hop waiting on a
  // suspected node is re-routed at once rather than after its own hopSkip.
  auto stale = [&](const Resender::Entry& e) {
    return e.firstSent < now - timing_.hopSkip || suspected_.contains(e.to);
  };
  for (auto batch = hops_.take(stale); !batch.empty(); batch = hops_.take(stale))
    for (auto& hop : batch) reroute(now, hop, out);
  hops_.tick(now, out);
  if (!leader_ && now >= stallAt_) {
    stallAt_ = now + timing_.electionStall;
    out.note(Level::info, "no leader yet: resending my token and asking for START");
    relayed_.clear();
    sendOwnToken(now, out);
    // Anyone who knows the leader answers. Asking everyone at every stall is n messages from
    // each of n nodes while a large cluster is still starting (85% of all datagrams when 101
    // nodes start one by one), so the nearest nodes are asked first, twice as many each stall.
    int others = cluster_.consensusCount() - 1;
    queryReach_ = std::min(2 * queryReach_, others);
    Message query;
    query.type = Type::startQuery;
    for (int i = 1; i <= queryReach_; ++i) out.send((self_ + i) % cluster_.consensusCount(), query);
  }
}

std::optional<Time> Election::nextWake() const {
  std::optional<Time> wake = hops_.nextWake();
  if (!leader_ && (!wake || stallAt_ < *wake)) wake = stallAt_;
  return wake;
}

uint32_t Election::nextAlive(uint32_t uid) const {
  for (uint32_t next = cluster_.successor(uid); next != self_; next = cluster_.successor(next))
    if (!suspected_.contains(next)) return next;
  return self_;
}

}  // namespace paxos::core
