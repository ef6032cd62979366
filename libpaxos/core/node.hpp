// A consensus node: elects a leader, takes the role the hosts file gives its UID, plays it (one
// Player: core/player.hpp), and exits once every client has said DONE (or after an idle timeout;
// in service mode it runs until stopped).
// The leader pushes START (leader and role table) to every node and client until each acknowledges;
// any node that knows the leader answers a START_QUERY or a late ELECT with START.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "core/acceptor.hpp"
#include "core/actor.hpp"
#include "core/election.hpp"
#include "core/log_learner.hpp"
#include "core/player.hpp"
#include "core/resender.hpp"

namespace paxos::core {

class Node : public Actor {
 public:
  // `recovered`: what it persisted before a restart (empty on a first start).
  // `start`: where a service-mode learner starts (its replica's snapshot).
  // `joinAs`: the role of a UID outside the hosts file (multi mode), which a configuration
  // change adds (docs/MEMBERSHIP.md): it takes no part in the election, and plays once a
  // learner's PROGRESS shows it a configuration that lists it.
  // The node keeps a copy of `cluster`: its membership is what this node knows.
  Node(const Cluster& cluster, const Timing& timing, uint32_t self, uint64_t seed,
       DurableState recovered = {}, LearnerStart start = {}, wire::Role joinAs = wire::Role::none);

  void start(Time now, Outbox& out) override;
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  uint32_t uid() const { return self_; }
  // The role is known once the leader is; before that the node only takes part in the election.
  wire::Role role() const;
  std::optional<uint32_t> leader() const { return election_.leader(); }
  std::optional<std::string> decided() const;
  // The acceptor this node plays, if it does (the simulator reads its state).
  const Acceptor* acceptor() const;
  // Multi mode: how far this node has the log (Player::logEnd).
  uint64_t logEnd() const;
  // The learner this node plays in multi mode, if it does (service mode submits through it).
  LogLearner* logLearner() const;
  // Service mode: sends the commands submitted to the learner since the last step, stamped as
  // every message of this node is.
  void flushSubmitted(Time now, Outbox& out);
  int electionMessages() const { return electionMessages_; }
  const Cluster& cluster() const { return cluster_; }
  // "uid 2 role learner leader 2 decided 210 election-msgs 6"
  std::string summary() const;

 private:
  void dispatch(Time now, const wire::Message& m, Outbox& out);
  void onLeaderKnown(Time now, Outbox& out);
  wire::Message startMessage() const;
  void stamp(Outbox& out, size_t from);
  void exit(Outbox& out, const std::string& why);
  void onDone(Time now, const wire::Message& m, Outbox& out);
  bool isNews(const wire::Message& m);  // keeps the node from its idle timeout
  // Multi mode: once every client is done, exits when the learners have the whole log.
  void drain(Time now, Outbox& out);
  // Multi mode: a learner's or an acceptor's PROGRESS carries the membership it knows.
  void adoptMembership(const wire::Message& m, Outbox& out);
  // After every step: a joining node starts playing once it is a member; a removed one exits
  // once no slot it still had a part in is left (MEMBERSHIP.md).
  void followMembership(Time now, Outbox& out);

  Cluster cluster_;
  wire::Role role_;  // for life: the hosts file's, or joinAs
  // Outside the hosts file: on no Chang-Roberts ring (a walk round it would never come back to
  // it), so it never takes part in the election.
  bool joined_;
  bool joining_;         // joined_, and not playing yet
  bool member_ = false;  // it was a member of a configuration it knew
  // What followMembership derived from the configurations, as of membership().changes().
  std::optional<uint64_t> seenChanges_;
  bool listed_ = false, held_ = false;
  const Timing& timing_;
  uint32_t self_;
  std::mt19937_64 rng_;
  Election election_;
  Resender starts_;  // leader's START pushes
  std::unique_ptr<Player> player_;
  bool playing_ = false;  // leader known, role taken
  std::set<uint32_t> doneClients_;
  uint64_t doneEnd_ = 0;  // multi mode: the log must reach this for every client's values
  std::optional<Time> allDoneAt_;
  std::optional<Time> reachedEndAt_;   // a multi-mode learner that has every client value
  std::set<uint32_t> wrongHashPeers_;  // warned about once each
  Time lastHeard_{};
  uint64_t heardSlot_ = 0;  // multi mode: every slot below was heard of (for the idle timeout)
  int electionMessages_ = 0;
};

}  // namespace paxos::core
