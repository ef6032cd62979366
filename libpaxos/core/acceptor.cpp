#include "core/acceptor.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "wire/batch.hpp"

namespace paxos::core {

using wire::Message;
using wire::Type;

void Acceptor::receive(const Message& m, Outbox& out) {
  switch (m.type) {
    case Type::prepareAll:
      return prepareAll(m, out);
    case Type::catchup:
      return catchup(m, out);
    case Type::progress:
      progress_.report(m.from, m.instance);
      return trim(out);
    case Type::heartbeat:
      return onHeartbeat(m, out);
    case Type::prepare:
    case Type::accept:
      break;
    default:
      return;
  }
  if (untrusted(m, out)) return;
  if (m.instance < trimmedBelow_) return tellTrimmed(m.from, out);
  AcceptorState& s = instances_[m.instance];
  wire::Ballot promised = std::max(s.promised, promisedAll_);
  if (m.ballot < promised) return nack(m, promised, out);
  AcceptorState before = s;
  s.promised = m.ballot;
  if (m.type == Type::accept) {
    s.acceptedBallot = m.ballot;
    s.acceptedValue = m.value;
  }
  if (s != before) out.persist.emplace_back(m.instance, s);  // a resend changes nothing
  // Multi mode's values are batches: traced decoded.
  auto shown = [&](const std::string& v) { return cluster_.multi() ? wire::describeBatch(v) : v; };
  if (out.tracing && m.type == Type::accept)
    out.event("accept", m.instance, m.ballot, shown(m.value));
  else if (out.tracing)
    out.event("promise", m.instance, m.ballot,
              s.acceptedBallot.none() ? std::nullopt : std::optional(shown(s.acceptedValue)));

  if (m.type == Type::prepare) {
    out.debug([&] {
      return fmt::format("inst {} promise {} (accepted {})", m.instance, wire::toString(m.ballot),
                         wire::toString(s.acceptedBallot));
    });
    out.send(m.from, wire::msg::promise(m.instance, m.ballot, s.acceptedBallot, s.acceptedValue));
    return;
  }
  out.debug([&] {
    return fmt::format("inst {} accepted {} value {}", m.instance, wire::toString(m.ballot),
                       m.value);
  });
  Message reply = wire::msg::accepted(m.instance, m.ballot, m.value);
  for (uint32_t learner : cluster_.learners()) out.send(learner, reply);
  out.send(m.from, std::move(reply));
}

bool Acceptor::untrusted(const Message& m, Outbox& out) {
  // A ballot names its proposer; one claiming another's ballot, or from a non-proposer, is forged.
  bool forged = m.ballot.uid != m.from || cluster_.roleOf(m.from) != wire::Role::proposer;
  // A proposer only ever goes one round above what it has seen: a round this far above every
  // one seen would make every honest proposer's ballot lose, until rounds run out (seed 003's
  // "infinite proposal number").
  bool absurd = m.ballot.round > highestRound_ + kMaxRoundStep;
  if (!forged && !absurd) {
    highestRound_ = std::max(highestRound_, m.ballot.round);
    return false;
  }
  ++out.refused;
  out.note(Level::warn,
           fmt::format("ignoring {} from {} with {} ballot {}", wire::typeName(m.type), m.from,
                       forged ? "forged" : "absurd", wire::toString(m.ballot)));
  return true;
}

void Acceptor::prepareAll(const Message& m, Outbox& out) {
  if (untrusted(m, out)) return;
  // A per-slot promise above b (from a proposer recovering that slot) still stands: ACCEPT checks
  // both, so promising b here only ever raises the floor.
  if (m.ballot < promisedAll_) return nack(m, promisedAll_, out);
  if (m.ballot != promisedAll_) out.persistPromisedAll = m.ballot;  // a resend changes nothing
  promisedAll_ = m.ballot;
  // Below trimmedBelow every learner has delivered: the new leader need not recover those.
  uint64_t first = std::max(m.instance, trimmedBelow_), end = first;
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) {
    if (it->first < first) break;
    if (!it->second.acceptedBallot.none()) {
      end = it->first + 1;
      break;
    }
  }
  out.event("promise", std::nullopt, m.ballot, std::nullopt);
  out.debug([&] {
    return fmt::format("promise {} for every slot from {}; accepted up to {}",
                       wire::toString(m.ballot), first, end);
  });
  out.send(m.from, wire::msg::promiseAll(first, end, m.ballot));
}

void Acceptor::catchup(const Message& m, Outbox& out) const {
  if (cluster_.roleOf(m.from) != wire::Role::learner) return;
  if (m.instance < trimmedBelow_) tellTrimmed(m.from, out);
  uint64_t end = std::min(m.end, std::max(m.instance, trimmedBelow_) + kCatchupSlots);
  for (auto it = instances_.lower_bound(m.instance); it != instances_.end() && it->first < end;
       ++it) {
    if (it->second.acceptedBallot.none()) continue;
    // The learner counts these as it counts live ones.
    out.send(m.from,
             wire::msg::accepted(it->first, it->second.acceptedBallot, it->second.acceptedValue));
  }
}

void Acceptor::trim(Outbox& out) {
  uint64_t below = progress_.everywhere();
  if (below <= trimmedBelow_) return;
  trimmedBelow_ = below;
  instances_.erase(instances_.begin(), instances_.lower_bound(below));
  out.persistTrim = below;
  out.debug([&] { return fmt::format("every learner has slots below {}: forgotten", below); });
}

void Acceptor::tellTrimmed(uint32_t to, Outbox& out) const {
  // With the membership it knows: a learner that restarted past a change needs it to count.
  const Membership& membership = cluster_.membership();
  out.send(to, wire::msg::progress(trimmedBelow_, membership.through(), membership.encode()));
}

void Acceptor::onHeartbeat(const Message& m, Outbox& out) {
  if (!cluster_.multi() || cluster_.roleOf(m.from) != wire::Role::proposer) return;
  // A proposer that leads with a ballot below our promise was pre-empted without knowing it
  // (with nothing to propose, it sent nothing we could refuse): tell it, as its ACCEPT would
  // have been told, so that it takes a new ballot or follows. Else it could announce a decided
  // prefix that stopped growing while others decided slots past it.
  if (!m.ballot.none() && m.ballot.uid == m.from && m.ballot < promisedAll_)
    nack(m, promisedAll_, out);
  if (!promisedAll_.none() && m.ballot == promisedAll_ && m.ballot.uid == m.from) ++leaderBeats_;
  uint64_t& relayed = beatsRelayed_[m.from];
  // Its log starts at trimmedBelow_: as in PROGRESS, every slot below is decided.
  out.send(m.from, wire::msg::heartbeat(trimmedBelow_,
                                        leaderBeats_ > relayed ? promisedAll_ : wire::Ballot{}));
  relayed = leaderBeats_;
}

void Acceptor::nack(const Message& m, wire::Ballot promised, Outbox& out) const {
  out.note(Level::info,
           fmt::format("inst {} NACK {} {}: promised {}", m.instance, wire::typeName(m.type),
                       wire::toString(m.ballot), wire::toString(promised)));
  out.send(m.from, wire::msg::nack(m.instance, m.ballot, promised));
}

}  // namespace paxos::core
