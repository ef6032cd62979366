// Chang-Roberts on an unreliable ring: whole Nodes exchanging messages through an in-test queue
// (lossless, lossy, with dead nodes), then the Election and Resender pieces on their own.
#include "core/election.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <set>

#include "core/node.hpp"
#include "core/resender.hpp"
#include "messages.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Outbox;
using core::Time;
using namespace std::chrono_literals;

namespace {

// Consensus nodes joined by a FIFO queue. Messages to a dead node or to a client are lost; with
// `dropEvery` = n, every n-th message sent is lost too (deterministic, so a failure reproduces).
class Ring {
 public:
  Ring(core::Cluster cluster, std::set<uint32_t> dead = {}, int dropEvery = 0)
      : cluster_(std::move(cluster)), dead_(std::move(dead)), dropEvery_(dropEvery) {
    for (int uid = 0; uid < cluster_.consensusCount(); ++uid)
      nodes_.push_back(std::make_unique<core::Node>(cluster_, timing_, uid, 1000 + uid));
  }

  const core::Timing& timing() const { return timing_; }
  const core::Node& node(uint32_t uid) const { return *nodes_[uid]; }

  // Starts the live nodes, then runs until every live node knows the same leader and nothing is
  // in flight, or until `limit`. Returns the time of agreement (nullopt if none).
  std::optional<Time> elect(Time limit = Time(5s)) {
    for (uint32_t uid : live()) {
      Outbox out;
      nodes_[uid]->start(now_, out);
      post(out);
    }
    do {
      deliverAll();
      if (agreed()) return now_;
    } while (tickNext(limit));
    return std::nullopt;
  }

  // Keeps delivering and ticking until `limit`: for checking that an agreement lasts.
  void runUntil(Time limit) {
    do {
      deliverAll();
    } while (tickNext(limit));
  }

  std::vector<uint32_t> live() const {
    std::vector<uint32_t> list;
    for (uint32_t uid = 0; uid < nodes_.size(); ++uid)
      if (!dead_.contains(uid)) list.push_back(uid);
    return list;
  }

  // The leader each live node believes in (nullopt: none yet).
  std::set<std::optional<uint32_t>> leaders() const {
    std::set<std::optional<uint32_t>> set;
    for (uint32_t uid : live()) set.insert(nodes_[uid]->leader());
    return set;
  }

  bool agreed() const { return leaders().size() == 1 && leaders().begin()->has_value(); }
  int droppedCount() const { return dropped_; }
  int unstampedCount() const { return unstamped_; }
  int exitCount() const { return exits_; }

 private:
  void post(Outbox& out) {
    for (core::Envelope& e : out.messages) {
      if (e.message.from >= nodes_.size() || e.message.hostsHash != cluster_.hostsHash())
        ++unstamped_;  // every Node stamps its UID and the hosts hash on what it sends
      ++sent_;
      if (dropEvery_ > 0 && sent_ % dropEvery_ == 0) {
        ++dropped_;
        continue;
      }
      if (e.to < nodes_.size() && !dead_.contains(e.to)) queue_.push_back(std::move(e));
    }
    if (out.exitCode) ++exits_;
  }

  void deliverAll() {
    for (int steps = 0; !queue_.empty(); ++steps) {
      if (steps == 100000) FAIL("a message storm: 100000 deliveries without a pause");
      core::Envelope e = std::move(queue_.front());
      queue_.pop_front();
      Outbox out;
      nodes_[e.to]->receive(now_, e.message, out);
      post(out);
    }
  }

  // Moves the clock to the earliest deadline of a live node and ticks every node that is due;
  // false if there is none up to `limit`.
  bool tickNext(Time limit) {
    std::optional<Time> next;
    for (uint32_t uid : live()) next = core::earliest(next, nodes_[uid]->nextWake());
    if (!next || *next > limit) return false;
    now_ = std::max(now_, *next);
    for (uint32_t uid : live()) {
      auto wake = nodes_[uid]->nextWake();
      if (!wake || *wake > now_) continue;
      Outbox out;
      nodes_[uid]->tick(now_, out);
      post(out);
    }
    return true;
  }

  core::Cluster cluster_;
  core::Timing timing_;
  std::vector<std::unique_ptr<core::Node>> nodes_;
  std::set<uint32_t> dead_;
  int dropEvery_;
  std::deque<core::Envelope> queue_;
  Time now_ = Time(0);
  int sent_ = 0;
  int dropped_ = 0;
  int unstamped_ = 0;
  int exits_ = 0;
};

// Seven consensus nodes: proposers 0-1, acceptors 2-4, learners 5-6; one client (7).
core::Cluster seven() {
  return core::Cluster(2, 3, 2, 1, kHash);
}

// Leaders as the set Ring::leaders() returns when everyone agrees on `uid`.
std::set<std::optional<uint32_t>> only(uint32_t uid) {
  return {uid};
}

}  // namespace

TEST_CASE(
    "Chang-Roberts: on a lossless ring exactly one leader, the highest UID, and all know it") {
  Ring ring(seven());
  auto agreedAt = ring.elect();
  REQUIRE(agreedAt.has_value());
  CHECK(ring.leaders() == only(6));
  CHECK(*agreedAt < ring.timing().hopSkip);  // nobody had to be skipped
  CHECK(ring.unstampedCount() == 0);
  CHECK(ring.exitCount() == 0);
  for (uint32_t uid : ring.live()) {
    CAPTURE(uid);
    CHECK(ring.node(uid).role() == seven().roleOf(uid));  // roles taken once the leader is known
  }
}

TEST_CASE("Chang-Roberts: every ring size elects its highest UID") {
  for (int acceptors = 1; acceptors <= 5; ++acceptors) {
    CAPTURE(acceptors);
    Ring ring(core::Cluster(1, acceptors, 1, 0, kHash));
    REQUIRE(ring.elect().has_value());
    CHECK(ring.leaders() == only(acceptors + 1));
  }
}

TEST_CASE("Chang-Roberts: a single consensus node elects itself") {
  Ring ring(core::Cluster(0, 0, 1, 1, kHash));
  REQUIRE(ring.elect().has_value());
  CHECK(ring.leaders() == only(0));
}

TEST_CASE(
    "Chang-Roberts with acks: losing every n-th message (n = 2..5) still elects the highest UID") {
  for (int dropEvery : {2, 3, 4, 5}) {
    CAPTURE(dropEvery);
    Ring ring(seven(), {}, dropEvery);
    REQUIRE(ring.elect().has_value());
    CHECK(ring.droppedCount() > 0);
    CHECK(ring.leaders() == only(6));
  }
}

TEST_CASE("Ring repair: a dead node in the middle is skipped after hopSkip") {
  for (uint32_t deadUid : {0u, 1u, 3u, 5u}) {
    CAPTURE(deadUid);
    Ring ring(seven(), {deadUid});
    auto agreedAt = ring.elect();
    REQUIRE(agreedAt.has_value());
    CHECK(ring.leaders() == only(6));
    // Node 6's token passes every node, so it waits for the dead one to be given up on.
    CHECK(*agreedAt >= ring.timing().hopSkip);
    CHECK(*agreedAt < ring.timing().hopSkip + ring.timing().electionStall);
  }
}

TEST_CASE("Ring repair: when the highest UID is dead the highest live UID leads") {
  Ring ring(seven(), {6});
  auto agreedAt = ring.elect();
  REQUIRE(agreedAt.has_value());
  CHECK(ring.leaders() == only(5));
  // Node 5's token can only come back once node 5 has given up on node 6.
  CHECK(*agreedAt >= ring.timing().hopSkip);
  CHECK(*agreedAt < ring.timing().hopSkip + ring.timing().electionStall);
}

TEST_CASE("Ring repair: the two highest UIDs dead, with message loss as well") {
  Ring ring(seven(), {5, 6}, 3);
  REQUIRE(ring.elect().has_value());
  CHECK(ring.leaders() == only(4));
}

TEST_CASE("Ring repair under loss: for every set of dead nodes the live ones agree, and it lasts") {
  // With loss, lost acks can make a node suspect a live successor, so a lower live UID may lead;
  // what must hold is one leader, alive, known to every live node, and never changed afterwards.
  for (int dropEvery : {0, 2, 3}) {
    for (int mask = 0; mask < (1 << 7) - 1; ++mask) {
      std::set<uint32_t> dead;
      for (uint32_t uid = 0; uid < 7; ++uid)
        if (mask & (1 << uid)) dead.insert(uid);
      CAPTURE(dropEvery);
      CAPTURE(mask);
      Ring ring(seven(), dead, dropEvery);
      REQUIRE(ring.elect().has_value());
      auto agreed = ring.leaders();
      REQUIRE(agreed.size() == 1);
      CHECK_FALSE(dead.contains(**agreed.begin()));
      if (dropEvery == 0) CHECK(agreed == only(ring.live().back()));
      ring.runUntil(Time(3s));
      CHECK(ring.leaders() == agreed);
      CHECK(ring.unstampedCount() == 0);
      CHECK(ring.exitCount() == 0);
    }
  }
}

TEST_CASE("Ring repair: only one node alive elects itself") {
  Ring ring(core::Cluster(1, 1, 1, 0, kHash), {0, 2});
  REQUIRE(ring.elect().has_value());
  CHECK(ring.leaders() == only(1));
}

// --- Election on its own: ring of four (0-3), no Node around it. ---

namespace {

struct Alone {
  explicit Alone(uint32_t self) : election(cluster, timing, self) {}

  core::Cluster cluster{1, 2, 1, 0, kHash};
  core::Timing timing;
  core::Election election;
  Time now = Time(1s);

  Outbox deliver(Type type, uint32_t from, uint32_t uid) {
    Message m = test::from(from, type);
    m.uid = uid;
    Outbox out;
    election.receive(now, m, out);
    return out;
  }

  Outbox tickAt(Time when) {
    now = when;
    Outbox out;
    election.tick(now, out);
    return out;
  }
};

}  // namespace

TEST_CASE("Chang-Roberts: a node starts by sending its own UID to its successor") {
  Alone a(1);
  Outbox out;
  a.election.start(a.now, out);
  CHECK(sent(out) == std::vector<Sent>{{.to = 2, .type = Type::elect, .uid = 1}});
  Alone last(3);
  out.clear();
  last.election.start(last.now, out);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::elect, .uid = 3}});  // wraps
}

TEST_CASE("Chang-Roberts: a node forwards a larger UID and acknowledges the hop") {
  Alone a(1);
  Outbox out = a.deliver(Type::elect, 0, 3);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::electAck, .uid = 3},
                                       {.to = 2, .type = Type::elect, .uid = 3}});
  // The same token resent (our ack was lost) is acknowledged again but not relayed twice.
  out = a.deliver(Type::elect, 0, 3);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::electAck, .uid = 3}});
}

TEST_CASE("Chang-Roberts: a node swallows a smaller UID, and still acknowledges the hop") {
  Alone a(2);
  Outbox out = a.deliver(Type::elect, 1, 1);
  CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::electAck, .uid = 1}});
  CHECK_FALSE(a.election.leader().has_value());
}

TEST_CASE("Chang-Roberts: a node that gets its own UID back leads and announces it") {
  Alone a(3);
  Outbox out = a.deliver(Type::elect, 2, 3);
  CHECK(sent(out) == std::vector<Sent>{{.to = 2, .type = Type::electAck, .uid = 3},
                                       {.to = 0, .type = Type::leader, .uid = 3}});
  CHECK(a.election.leader() == 3u);
}

TEST_CASE("Chang-Roberts: a node's own token coming back late does not replace a larger leader") {
  // Seen under loss: node 1 learns leader 3, then its own resent token returns round a repaired
  // ring. It must not become a second leader (it used to set itself and announce LEADER 1).
  Alone a(1);
  a.deliver(Type::leader, 0, 3);
  Outbox out = a.deliver(Type::elect, 0, 1);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::electAck, .uid = 1}});
  CHECK(a.election.leader() == 3u);
}

TEST_CASE("Chang-Roberts: LEADER is acknowledged, learned, and relayed until the leader's turn") {
  Alone a(1);
  Outbox out = a.deliver(Type::leader, 0, 3);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::leaderAck, .uid = 3},
                                       {.to = 2, .type = Type::leader, .uid = 3}});
  CHECK(a.election.leader() == 3u);
  Alone b(2);  // its successor is the leader: the announcement stops here
  out = b.deliver(Type::leader, 1, 3);
  CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::leaderAck, .uid = 3}});
  CHECK(b.election.leader() == 3u);
}

TEST_CASE("Chang-Roberts with acks: an unacknowledged hop is resent until acknowledged") {
  Alone a(0);
  Time begin = a.now;
  Outbox out;
  a.election.start(a.now, out);
  CHECK(a.election.nextWake() == begin + a.timing.retryFirst);
  out = a.tickAt(begin + a.timing.retryFirst);
  CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::elect, .uid = 0}});
  CHECK(a.election.nextWake() == a.now + 2 * a.timing.retryFirst);  // backing off

  // An ack from the wrong node, or for another candidate, does not count.
  a.deliver(Type::electAck, 2, 0);
  a.deliver(Type::electAck, 1, 3);
  out = a.tickAt(*a.election.nextWake());
  CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::elect, .uid = 0}});

  a.deliver(Type::electAck, 1, 0);
  CHECK(a.election.nextWake() == begin + a.timing.electionStall);  // only the stall timer is left
}

TEST_CASE("Ring repair: a successor silent for hopSkip is skipped, the token goes to the next") {
  Alone a(0);
  Time begin = a.now;
  Outbox out;
  a.election.start(a.now, out);
  std::vector<Sent> skipped;
  while (a.now <= begin + a.timing.hopSkip + a.timing.retryMax) {
    out = a.tickAt(*a.election.nextWake());
    for (const Sent& s : sent(out))
      if (s.to != 1) skipped.push_back(s);
    if (!skipped.empty()) break;
  }
  CHECK(skipped == std::vector<Sent>{{.to = 2, .type = Type::elect, .uid = 0}});
  CHECK(a.now > begin + a.timing.hopSkip);
  CHECK(a.now <= begin + a.timing.hopSkip + a.timing.retryMax);
  // Any message from node 1 clears the suspicion: the next hop goes to it again.
  a.election.heardFrom(1);
  out = a.deliver(Type::elect, 3, 3);
  CHECK(sent(out, Type::elect) == std::vector<Sent>{{.to = 1, .type = Type::elect, .uid = 3}});
}

TEST_CASE("Ring repair: suspecting every other node does not make a node elect itself late") {
  // Seen under heavy loss: node 2 knew leader 1 (from a START), then lost every ack and suspected
  // both others; "alone on the ring" it used to elect itself, a second leader.
  core::Cluster three(1, 1, 1, 0, kHash);
  core::Timing timing;
  core::Election election(three, timing, 2);
  Time now = Time(1s);
  Outbox out;
  election.start(now, out);
  election.learnLeader(1);
  std::vector<uint32_t> tried;
  while (auto wake = election.nextWake()) {
    REQUIRE(*wake < Time(1s) + 3 * timing.hopSkip);
    now = *wake;
    out.clear();
    election.tick(now, out);
    CHECK(sent(out, Type::leader).empty());
    for (uint32_t to : destinations(out, Type::elect))
      if (tried.empty() || tried.back() != to) tried.push_back(to);
  }
  CHECK(tried == std::vector<uint32_t>{0, 1});  // both successors tried, then given up on
  CHECK(election.leader() == 1u);
  CHECK(now > Time(1s) + 2 * timing.hopSkip);
}

// --- Resender: the reliability under every ring hop, START and DONE. ---

TEST_CASE("Resender: resends back off exponentially from retryFirst up to retryMax") {
  core::Timing timing;
  core::Resender resender(timing);
  Outbox out;
  Time now = Time(0);
  resender.send(now, 4, wire::make(Type::done, 9), out);
  CHECK(sent(out) == std::vector<Sent>{{.to = 4, .type = Type::done, .uid = 9}});

  std::vector<core::Duration> gaps;
  for (int i = 0; i < 8; ++i) {
    Time due = *resender.nextWake();
    gaps.push_back(due - now);
    now = due;
    out.clear();
    resender.tick(now, out);
    CHECK(sent(out) == std::vector<Sent>{{.to = 4, .type = Type::done, .uid = 9}});
  }
  CHECK(gaps == std::vector<core::Duration>{5ms, 10ms, 20ms, 40ms, 80ms, 100ms, 100ms, 100ms});
}

TEST_CASE("Resender: with maxSends it sends that often in all, then gives up") {
  core::Timing timing;
  core::Resender resender(timing);
  Outbox out;
  resender.send(Time(0), 4, wire::make(Type::done, 9), out, 3);
  int sends = 1;
  while (auto wake = resender.nextWake()) {
    out.clear();
    resender.tick(*wake, out);
    sends += static_cast<int>(out.messages.size());
    REQUIRE(sends <= 10);
  }
  CHECK(sends == 3);
  CHECK(resender.empty());
}

TEST_CASE("Resender: an acknowledgement stops the resends of exactly the message it answers") {
  core::Timing timing;
  core::Resender resender(timing);
  Outbox out;
  wire::Message elect = wire::make(Type::elect, 5);
  resender.send(Time(0), 1, elect, out);
  resender.send(Time(0), 2, elect, out);
  CHECK(resender.pendingTo(1, Type::elect));

  CHECK_FALSE(resender.ack(Time(1ms), 1, Type::elect, 6));   // another candidate
  CHECK_FALSE(resender.ack(Time(1ms), 1, Type::leader, 5));  // another type
  CHECK(resender.ack(Time(1ms), 1, Type::elect, 5));
  CHECK_FALSE(resender.ack(Time(1ms), 1, Type::elect, 5));  // nothing left to acknowledge
  CHECK_FALSE(resender.pendingTo(1, Type::elect));

  out.clear();
  resender.tick(*resender.nextWake(), out);
  CHECK(destinations(out, Type::elect) == std::vector<uint32_t>{2});
  CHECK(resender.ack(*resender.nextWake(), 2, Type::elect));  // no uid: any message of the type
  CHECK(resender.empty());
  CHECK_FALSE(resender.nextWake().has_value());
}

TEST_CASE("Resender: on a slow network the resends wait for the round trip acks took") {
  core::Timing timing;
  core::Resender resender(timing);
  Outbox out;
  // Acks of messages sent once took 300 ms: resending after retryFirst (5 ms) would only add load.
  for (uint32_t peer = 1; peer <= 4; ++peer) {
    resender.send(Time(0), peer, wire::make(Type::elect, 5), out);
    CHECK(resender.ack(Time(300ms), peer, Type::elect, 5));
  }
  resender.send(Time(1s), 1, wire::make(Type::elect, 5), out);
  CHECK(*resender.nextWake() >= Time(1s) + 300ms);
  // On a fast network the constants stand.
  core::Resender fast(timing);
  fast.send(Time(0), 1, wire::make(Type::elect, 5), out);
  CHECK(fast.ack(Time(100us), 1, Type::elect, 5));
  fast.send(Time(1s), 1, wire::make(Type::elect, 5), out);
  CHECK(*fast.nextWake() == Time(1s) + timing.retryFirst);
}

TEST_CASE("Resender: takeOlderThan hands back the messages whose peer looks dead") {
  core::Timing timing;
  core::Resender resender(timing);
  Outbox out;
  resender.send(Time(0), 1, wire::make(Type::elect, 1), out);
  resender.send(Time(10ms), 2, wire::make(Type::elect, 2), out);
  auto old = resender.takeOlderThan(Time(5ms));
  REQUIRE(old.size() == 1);
  CHECK(old[0].to == 1);
  CHECK(old[0].message.uid == 1);
  CHECK_FALSE(resender.pendingTo(1, Type::elect));
  CHECK(resender.pendingTo(2, Type::elect));
}

TEST_CASE("No leader by electionStall: START_QUERY to the nearest nodes first, doubling") {
  Alone a(2);  // ring 0-3: the others after 2 are 3, 0, 1
  Outbox out;
  a.election.start(a.now, out);
  a.deliver(Type::electAck, 3, 2);  // the hop is done: only the stall timer is left
  out = a.tickAt(a.now + a.timing.electionStall);
  CHECK(destinations(out, Type::startQuery) == std::vector<uint32_t>{3, 0});
  out = a.tickAt(a.now + a.timing.electionStall);
  CHECK(destinations(out, Type::startQuery) == std::vector<uint32_t>{3, 0, 1});
}
