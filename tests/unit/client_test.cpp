// The client's life: ask for START, send REQUEST to its proposer (resend, fail over), take the
// DECIDED value, send DONE until acknowledged or given up on, exit. Time is driven by hand.
// Cluster: proposers 0-1, acceptors 2-4, learner 5 (the leader), clients 6-7; the client is 6.
#include "core/client.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "messages.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Outbox;
using core::Time;
using namespace std::chrono_literals;

namespace {

const std::vector<uint32_t> kConsensus = {0, 1, 2, 3, 4, 5};

struct Fixture {
  explicit Fixture(uint32_t desired = 0) : client(cluster, timing, 6, "apple", desired) {}

  core::Cluster cluster{2, 3, 1, 2, kHash};
  core::Timing timing;
  core::Client client;
  Time begin = Time(1s);
  Time now = begin;

  Outbox start() {
    Outbox out;
    client.start(now, out);
    return out;
  }

  Outbox deliver(const Message& m) {
    Outbox out;
    client.receive(now, m, out);
    return out;
  }

  // Advances the clock to the client's next deadline and lets it act.
  Outbox tickAtWake() {
    REQUIRE(client.nextWake().has_value());
    now = std::max(now, *client.nextWake());
    Outbox out;
    client.tick(now, out);
    return out;
  }

  // Started, and told by the leader (5) to go.
  Outbox started() {
    start();
    return deliver(startFromLeader());
  }

  Message startFromLeader() const { return test::start(5, 5, cluster.roles()); }
};

Sent requestTo(uint32_t proposer) {
  return {.to = proposer, .type = Type::request, .value = "apple", .uid = 6};
}

std::vector<Sent> doneToEveryNode() {
  std::vector<Sent> list;
  for (uint32_t to : kConsensus) list.push_back({.to = to, .type = Type::done, .uid = 6});
  return list;
}

Message doneAck(uint32_t from) {
  Message m = test::from(from, Type::doneAck);
  m.uid = 6;
  return m;
}

}  // namespace

TEST_CASE(
    "Client: at start it asks every consensus node for START, stamped with its UID and hash") {
  Fixture f;
  Outbox out = f.start();
  CHECK(destinations(out, Type::startQuery) == kConsensus);
  CHECK(out.messages.size() == kConsensus.size());
  for (const core::Envelope& e : out.messages) {
    CHECK(e.message.from == 6);
    CHECK(e.message.hostsHash == kHash);
  }
  // Still no START after retryMax: ask again.
  CHECK(f.client.nextWake() == f.begin + f.timing.retryMax);
  CHECK(destinations(f.tickAtWake(), Type::startQuery) == kConsensus);
}

TEST_CASE("Client: after START it acknowledges and sends REQUEST to proposers[desired % P]") {
  for (uint32_t desired : {0u, 1u, 2u, 3u}) {
    CAPTURE(desired);
    Fixture f(desired);
    f.start();
    Outbox out = f.deliver(f.startFromLeader());
    CHECK(sent(out) ==
          std::vector<Sent>{{.to = 5, .type = Type::startAck}, requestTo(desired % 2)});
    CHECK(out.messages[1].message.requestId == 1);
    // A second START (the leader resending) is acknowledged but starts nothing new.
    CHECK(sent(f.deliver(f.startFromLeader())) ==
          std::vector<Sent>{{.to = 5, .type = Type::startAck}});
  }
}

TEST_CASE("Client: REQUEST is resent every requestRetry and fails over after 3 sends") {
  Fixture f(1);
  f.started();  // send 1 to proposer 1
  std::vector<uint32_t> targets;
  for (int i = 0; i < 6; ++i) {
    Time before = f.now;
    Outbox out = f.tickAtWake();
    CHECK(f.now == before + f.timing.requestRetry);
    REQUIRE(sent(out).size() == 1);
    CHECK(sent(out)[0].type == Type::request);
    targets.push_back(sent(out)[0].to);
  }
  // Sends 2 and 3 to proposer 1, then 3 to proposer 0, then back to proposer 1.
  CHECK(targets == std::vector<uint32_t>{1, 1, 0, 0, 0, 1});
}

TEST_CASE("Client: DECIDED sets Outbox::decided once and sends DONE to every consensus node") {
  Fixture f;
  f.started();
  Outbox out = f.deliver(decided(5, "pear"));
  CHECK(out.decided == "pear");
  CHECK(f.client.decided() == "pear");
  CHECK(sent(out) == doneToEveryNode());
  // A second DECIDED (another learner, or a proposer) changes nothing.
  Outbox again = f.deliver(decided(0, "pear"));
  CHECK_FALSE(again.decided.has_value());
  CHECK(again.messages.empty());
  // No more REQUESTs once decided.
  for (const Sent& s : sent(f.tickAtWake())) CHECK(s.type == Type::done);
}

TEST_CASE("Client: a DECIDED before START is taken too") {
  Fixture f;
  f.start();
  Outbox out = f.deliver(decided(1, "pear"));
  CHECK(out.decided == "pear");
  CHECK(sent(out) == doneToEveryNode());
}

TEST_CASE("Client: exits 0 once every consensus node acknowledged DONE") {
  Fixture f;
  f.started();
  f.deliver(decided(5, "pear"));
  for (uint32_t node : {0u, 1u, 2u, 3u, 4u}) {
    Outbox out = f.deliver(doneAck(node));
    CHECK_FALSE(out.exitCode.has_value());
  }
  Outbox out = f.deliver(doneAck(7));  // from a client: not a node that owes an ack
  CHECK_FALSE(out.exitCode.has_value());
  out = f.deliver(doneAck(5));
  CHECK(out.exitCode == 0);
  CHECK_FALSE(f.client.nextWake().has_value());
}

TEST_CASE(
    "Client: DONE to a silent node is resent doneSends times in all, then the client exits 0") {
  Fixture f;
  f.started();
  Outbox first = f.deliver(decided(5, "pear"));
  for (uint32_t node : {0u, 1u, 2u, 3u, 4u}) f.deliver(doneAck(node));
  auto firstTo = destinations(first, Type::done);
  int sendsToSilent = static_cast<int>(std::count(firstTo.begin(), firstTo.end(), 5u));
  std::optional<int> exitCode;
  for (int step = 0; step < 100 && !exitCode; ++step) {
    Outbox out = f.tickAtWake();
    for (const Sent& s : sent(out)) {
      CHECK(s == Sent{.to = 5, .type = Type::done, .uid = 6});
      ++sendsToSilent;
    }
    exitCode = out.exitCode;
  }
  CHECK(exitCode == 0);
  CHECK(sendsToSilent == f.timing.doneSends);
  CHECK_FALSE(f.client.nextWake().has_value());
}

TEST_CASE("Client: exits 1 after clientTimeout without a decision, still sending DONE first") {
  Fixture f;
  f.started();
  std::optional<core::Outbox> gaveUp;
  for (int step = 0; step < 1000 && !gaveUp; ++step) {
    Outbox out = f.tickAtWake();
    if (!sent(out, Type::done).empty()) gaveUp = out;
  }
  REQUIRE(gaveUp.has_value());
  CHECK(f.now == f.begin + f.timing.clientTimeout);
  CHECK(sent(*gaveUp) == doneToEveryNode());
  CHECK_FALSE(gaveUp->exitCode.has_value());  // not before the nodes have been told
  CHECK_FALSE(f.client.decided().has_value());
  for (uint32_t node : {0u, 1u, 2u, 3u, 4u}) f.deliver(doneAck(node));
  CHECK(f.deliver(doneAck(5)).exitCode == 1);
}

TEST_CASE("Client: without any START it still gives up after clientTimeout and exits 1") {
  Fixture f;
  f.start();
  std::optional<int> exitCode;
  for (int step = 0; step < 1000 && !exitCode; ++step) exitCode = f.tickAtWake().exitCode;
  CHECK(exitCode == 1);
  CHECK(f.now > f.begin + f.timing.clientTimeout);
}

TEST_CASE("Client: a START with another role table makes it refuse with exit code 2") {
  Fixture f;
  f.start();
  std::vector<Role> roles = f.cluster.roles();
  std::swap(roles[0], roles[2]);
  Outbox out = f.deliver(test::start(5, 5, roles));
  CHECK(out.exitCode == 2);
  CHECK(sent(out, Type::request).empty());
  CHECK_FALSE(f.client.nextWake().has_value());
}

TEST_CASE("Client: a message with another hosts hash is ignored") {
  Fixture f;
  f.start();
  Message foreign = f.startFromLeader();
  foreign.hostsHash = kHash + 1;
  Outbox out = f.deliver(foreign);
  CHECK(out.messages.empty());
  CHECK_FALSE(out.exitCode.has_value());
  CHECK(out.notes.size() == 1);  // one clear error

  Message foreignDecision = decided(5, "pear");
  foreignDecision.hostsHash = kHash + 1;
  out = f.deliver(foreignDecision);
  CHECK_FALSE(out.decided.has_value());
  CHECK(out.messages.empty());
  CHECK_FALSE(f.client.decided().has_value());
}

TEST_CASE("Client: START and DECIDED from a non-consensus UID are ignored") {
  Fixture f;
  f.start();
  CHECK(f.deliver(test::start(7, 5, f.cluster.roles())).messages.empty());
  Outbox out = f.deliver(decided(7, "forged"));
  CHECK_FALSE(out.decided.has_value());
  CHECK_FALSE(f.client.decided().has_value());
}
