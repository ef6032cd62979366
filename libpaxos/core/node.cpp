#include "core/node.hpp"

#include <fmt/format.h>

#include "core/learner.hpp"
#include "core/log_learner.hpp"
#include "core/log_proposer.hpp"
#include "core/proposer.hpp"

namespace paxos::core {

using wire::Message;
using wire::Role;
using wire::Type;

namespace {
// START pushes are bounded: a node or client that missed them asks with START_QUERY.
constexpr int kStartSends = 10;
// Heartbeat periods a multi-mode learner keeps reporting its progress after it has every value.
constexpr int kLingerBeats = 3;

std::unique_ptr<Player> makePlayer(Cluster& cluster, wire::Role role, const Timing& timing,
                                   uint32_t self, std::mt19937_64& rng, DurableState recovered,
                                   LearnerStart start) {
  bool multi = cluster.multi();
  switch (role) {
    case Role::proposer:
      if (multi)
        return std::make_unique<LogProposer>(cluster, timing, self, rng, recovered.proposerRound);
      return std::make_unique<Proposer>(cluster, timing, self, rng, recovered.proposerRound);
    case Role::acceptor:
      return std::make_unique<Acceptor>(cluster, std::move(recovered));
    case Role::learner:
      if (multi) return std::make_unique<LogLearner>(cluster, timing, self, std::move(start));
      return std::make_unique<Learner>(cluster);
    case Role::none:
      break;
  }
  return nullptr;
}

}  // namespace

Node::Node(const Cluster& cluster, const Timing& timing, uint32_t self, uint64_t seed,
           DurableState recovered, LearnerStart start, Role joinAs)
    : cluster_(cluster),
      role_(self < cluster.roles().size() ? cluster.roles()[self] : joinAs),
      joined_(self >= cluster.roles().size()),
      joining_(joined_),
      timing_(timing),
      self_(self),
      rng_(seed),
      election_(cluster_, timing, self),
      starts_(timing),
      player_(
          makePlayer(cluster_, role_, timing, self, rng_, std::move(recovered), std::move(start))) {
  member_ = cluster_.roleOf(self_) != Role::none;
}

Role Node::role() const {
  return playing_ ? role_ : Role::none;
}

std::optional<std::string> Node::decided() const {
  return playing_ ? player_->decided() : std::nullopt;
}

const Acceptor* Node::acceptor() const {
  return dynamic_cast<const Acceptor*>(player_.get());
}

uint64_t Node::logEnd() const {
  return player_->logEnd();
}

LogLearner* Node::logLearner() const {
  return dynamic_cast<LogLearner*>(player_.get());
}

void Node::flushSubmitted(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  if (LogLearner* learner = logLearner(); learner && playing_) learner->flushSubmitted(now, out);
  stamp(out, mark);
}

std::string Node::summary() const {
  auto leader = election_.leader();
  std::string decided = cluster_.multi() ? fmt::format("log {}", logEnd())
                                         : "decided " + this->decided().value_or("-");
  return fmt::format("uid {} role {} leader {} {} election-msgs {}", self_, wire::roleName(role_),
                     leader ? std::to_string(*leader) : "-", decided, electionMessages_);
}

void Node::start(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  lastHeard_ = now;
  if (!joined_) election_.start(now, out);
  if (election_.leader()) onLeaderKnown(now, out);
  followMembership(now, out);
  stamp(out, mark);
}

void Node::receive(Time now, const Message& m, Outbox& out) {
  size_t mark = out.messages.size();
  dispatch(now, m, out);
  followMembership(now, out);
  stamp(out, mark);
}

void Node::adoptMembership(const Message& m, Outbox& out) {
  Membership& membership = cluster_.membership();
  uint64_t epoch = membership.latest().epoch;
  if (!membership.adopt(m.value, m.end)) return;
  if (membership.latest().epoch != epoch)
    out.note(Level::info,
             fmt::format("configuration {} (from {})", describe(membership.latest()), m.from));
}

void Node::followMembership(Time now, Outbox& out) {
  if (!cluster_.multi() || out.exitCode) return;
  Membership& membership = cluster_.membership();
  if (role_ == Role::acceptor) membership.forget(player_->logEnd());  // its trim point
  if (seenChanges_ != membership.changes()) {  // not every step: only when they changed
    seenChanges_ = membership.changes();
    listed_ = membership.latest().roleOf(self_) == role_;
    // A node that joined restarts as one that joins: its snapshot (a learner) or the next
    // PROGRESS shows it listed, maybe only in a configuration that removed it since but still
    // needs it.
    held_ = membership.ever(self_, role_);
    member_ |= held_;
  }
  if (held_ && joining_) {
    joining_ = false;
    playing_ = true;
    out.note(Level::info,
             fmt::format("joined: {} in {}", wire::roleName(role_), describe(membership.latest())));
    out.event("role", std::nullopt, {}, std::string(wire::roleName(role_)));
    player_->start(now, out);
  }
  // A removed acceptor still answers for the slots of the configurations that listed it, until
  // they are forgotten (every replica has them): a majority there may need its vote. A removed
  // proposer or learner is needed by no one (the others lead and learn those slots; peers stop
  // sending it what it would deliver), so it goes at once.
  if (member_ && !listed_) {
    bool needed = false;
    if (role_ == Role::acceptor)
      for (const auto& [first, config] : membership.configs())
        needed |= config.contains(self_) &&
                  (&config == &membership.at(player_->logEnd()) || first >= player_->logEnd());
    if (!needed) {
      out.note(Level::info, fmt::format("removed from the configuration ({}), with nothing left "
                                        "to serve",
                                        describe(membership.latest())));
      exit(out, "removed from the configuration");
    }
  }
}

void Node::dispatch(Time now, const Message& m, Outbox& out) {
  // A PROGRESS may introduce members (and the sender) this node did not know yet.
  if (m.type == Type::progress && m.end > 0 && cluster_.multi() && m.from != self_ &&
      m.hostsHash == cluster_.hostsHash())
    adoptMembership(m, out);
  if (!cluster_.known(m.from) || m.from == self_) {
    ++out.refused;
    return;
  }
  if (m.hostsHash != cluster_.hostsHash()) {
    ++out.refused;
    if (wrongHashPeers_.insert(m.from).second)
      out.note(Level::error, fmt::format("ignoring uid {}: its hosts file differs from ours "
                                         "(hash {:016x}, ours {:016x})",
                                         m.from, m.hostsHash, cluster_.hostsHash()));
    return;
  }
  // Heartbeats and progress reports go on while nothing happens: only a heartbeat that reports
  // new decisions keeps a node from its idle timeout.
  if (isNews(m)) lastHeard_ = now;
  election_.heardFrom(m.from);
  bool knewLeader = election_.leader().has_value();

  switch (m.type) {
    case Type::elect:
      if (joined_) return;
      if (knewLeader) {  // a late or restarted node: tell it how the election ended
        Message ack;
        ack.type = Type::electAck;
        ack.uid = m.uid;
        out.send(m.from, std::move(ack));
        out.send(m.from, startMessage());
        return;
      }
      [[fallthrough]];
    case Type::electAck:
    case Type::leader:
    case Type::leaderAck:
      if (cluster_.isConsensus(m.from) && !joined_) election_.receive(now, m, out);
      break;
    case Type::start:
      if (m.roles != cluster_.roles()) {
        out.note(Level::error, fmt::format("START from {} assigns other roles than our hosts "
                                           "file; refusing",
                                           m.from));
        out.exitCode = 2;
        return;
      }
      election_.learnLeader(m.uid);
      out.send(m.from, wire::make(Type::startAck));
      break;
    case Type::startAck:
      starts_.ack(now, m.from, Type::start);
      return;
    case Type::startQuery:
      if (knewLeader) out.send(m.from, startMessage());
      return;
    case Type::done:
      return onDone(now, m, out);
    default:
      if (!playing_) return;  // roles not assigned yet: the sender will resend
      player_->receive(now, m, out);
      drain(now, out);
      return;
  }
  if (!knewLeader && election_.leader()) onLeaderKnown(now, out);
}

bool Node::isNews(const Message& m) {
  if (!cluster_.multi()) return true;
  // Multi mode: heartbeats and progress reports go on while nothing happens, and so do resends
  // for a slot that cannot be decided (a majority of acceptors gone). Only a heartbeat with new
  // decisions, or a message about a slot never heard of, keeps a node from its idle timeout.
  bool slotted = (m.type >= Type::prepare && m.type <= Type::decided) ||
                 m.type == Type::promiseAll || m.type == Type::catchup;
  bool news = m.type == Type::heartbeat  ? m.instance > heardSlot_
              : m.type == Type::progress ? false
              : slotted                  ? m.instance >= heardSlot_
                                         : true;
  if (m.type == Type::heartbeat || slotted) heardSlot_ = std::max(heardSlot_, m.instance + slotted);
  return news;
}

void Node::onDone(Time now, const Message& m, Outbox& out) {
  out.send(m.from, wire::make(Type::doneAck, m.uid));
  // A service runs until it is stopped, whoever is done.
  if (cluster_.service() || !cluster_.isClient(m.from) || !doneClients_.insert(m.from).second)
    return;
  doneEnd_ = std::max(doneEnd_, m.instance);
  out.debug([&] {
    return fmt::format("client {} done ({} of {})", m.from, doneClients_.size(),
                       cluster_.clients().size());
  });
  if (doneClients_.size() < cluster_.clients().size()) return;
  if (!cluster_.multi()) return exit(out, "every client is done");
  allDoneAt_ = now;
  drain(now, out);
}

void Node::drain(Time now, Outbox& out) {
  if (!allDoneAt_ || out.exitCode) return;
  // A learner needs the log up to the last client value; the others serve it until every
  // learner reports having it (a late learner may still be catching up).
  bool learner = role() == Role::learner;
  uint64_t have = player_->settled();
  if (have >= doneEnd_ && learner && !reachedEndAt_) reachedEndAt_ = now;
  // A learner that has it all still reports for a few heartbeats, so that the others hear it.
  bool finished = learner
                      ? reachedEndAt_ && now >= *reachedEndAt_ + kLingerBeats * timing_.heartbeat
                      : have >= doneEnd_;
  if (finished)
    exit(out, fmt::format("every client is done and the learners have slots below {}", doneEnd_));
  else if (now >= *allDoneAt_ + timing_.idleTimeout)
    exit(out, fmt::format("every client is done; gave up waiting for the learners to reach slot "
                          "{} (at {})",
                          doneEnd_, have));
}

void Node::onLeaderKnown(Time now, Outbox& out) {
  if (joined_) return;  // plays once a configuration lists it (followMembership)
  playing_ = true;
  out.event("elect", std::nullopt, {}, std::to_string(*election_.leader()));
  out.event("role", std::nullopt, {}, std::string(wire::roleName(role_)));
  out.note(Level::info,
           fmt::format("leader {}; my role: {}", *election_.leader(), wire::roleName(role_)));
  player_->start(now, out);
  if (*election_.leader() != self_) return;
  for (int uid = 0; uid < cluster_.size(); ++uid)
    if (uint32_t(uid) != self_) starts_.send(now, uid, startMessage(), out, kStartSends);
}

Message Node::startMessage() const {
  Message m;
  m.type = Type::start;
  m.uid = *election_.leader();
  m.roles = cluster_.roles();
  return m;
}

void Node::tick(Time now, Outbox& out) {
  size_t mark = out.messages.size();
  if (!cluster_.service() && now - lastHeard_ >= timing_.idleTimeout) {
    exit(out, fmt::format("idle for {} ms", timing_.idleTimeout.count() / 1000000));
  } else {
    bool knewLeader = election_.leader().has_value();
    if (!joined_) election_.tick(now, out);
    if (!knewLeader && election_.leader()) onLeaderKnown(now, out);
    starts_.tick(now, out);
    if (playing_) player_->tick(now, out);
    drain(now, out);
    followMembership(now, out);
  }
  stamp(out, mark);
}

std::optional<Time> Node::nextWake() const {
  auto wake = joined_ ? starts_.nextWake() : earliest(election_.nextWake(), starts_.nextWake());
  if (playing_) wake = earliest(wake, player_->nextWake());
  if (allDoneAt_) wake = earliest(wake, *allDoneAt_ + timing_.idleTimeout);
  if (reachedEndAt_) wake = earliest(wake, *reachedEndAt_ + kLingerBeats * timing_.heartbeat);
  if (cluster_.service()) return wake;
  return earliest(wake, lastHeard_ + timing_.idleTimeout);
}

void Node::exit(Outbox& out, const std::string& why) {
  out.note(Level::info, "exiting: " + why);
  out.exitCode = 0;
}

void Node::stamp(Outbox& out, size_t from) {
  for (size_t i = from; i < out.messages.size(); ++i) {
    Message& m = out.messages[i].message;
    m.from = self_;
    m.hostsHash = cluster_.hostsHash();
    if (m.type <= Type::leaderAck) ++electionMessages_;
  }
}

}  // namespace paxos::core
