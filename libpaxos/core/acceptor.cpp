#include "core/acceptor.hpp"

#include <fmt/format.h>

namespace paxos::core {

using wire::Message;
using wire::Type;

void Acceptor::receive(const Message& m, Outbox& out) {
  if (m.type != Type::prepare && m.type != Type::accept) return;
  // A ballot names its proposer; one claiming another's ballot, or from a non-proposer, is forged.
  if (m.ballot.uid != m.from || cluster_.roleOf(m.from) != wire::Role::proposer) {
    out.note(Level::warn, fmt::format("ignoring {} from {} with ballot {}", wire::typeName(m.type),
                                      m.from, wire::toString(m.ballot)));
    return;
  }
  AcceptorState& s = instances_[m.instance];
  if (m.ballot < s.promised) return nack(m, s, out);
  s.promised = m.ballot;
  if (m.type == Type::accept) {
    s.acceptedBallot = m.ballot;
    s.acceptedValue = m.value;
  }
  out.persist.emplace_back(m.instance, s);
  if (m.type == Type::accept)
    out.event("accept", m.instance, m.ballot, m.value);
  else
    out.event("promise", m.instance, m.ballot,
              s.acceptedBallot.none() ? std::nullopt : std::optional(s.acceptedValue));

  Message reply;
  reply.instance = m.instance;
  reply.ballot = m.ballot;
  if (m.type == Type::prepare) {
    reply.type = Type::promise;
    reply.accepted = s.acceptedBallot;
    reply.value = s.acceptedValue;
    out.note(Level::debug, fmt::format("inst {} promise {} (accepted {})", m.instance,
                                       wire::toString(m.ballot), wire::toString(s.acceptedBallot)));
    out.send(m.from, std::move(reply));
    return;
  }
  out.note(Level::debug, fmt::format("inst {} accepted {} value {}", m.instance,
                                     wire::toString(m.ballot), m.value));
  reply.type = Type::accepted;
  reply.value = m.value;
  for (uint32_t learner : cluster_.learners()) out.send(learner, reply);
  out.send(m.from, std::move(reply));
}

void Acceptor::nack(const Message& m, const AcceptorState& s, Outbox& out) const {
  out.note(Level::info,
           fmt::format("inst {} NACK {} {}: promised {}", m.instance, wire::typeName(m.type),
                       wire::toString(m.ballot), wire::toString(s.promised)));
  Message reply;
  reply.type = Type::nack;
  reply.instance = m.instance;
  reply.ballot = m.ballot;
  reply.accepted = s.promised;
  out.send(m.from, std::move(reply));
}

}  // namespace paxos::core
