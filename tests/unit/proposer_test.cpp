// The proposer's rules (Paxos Made Simple, 1a, 2a and P2c), with time driven by hand.
// Cluster: proposers 0-1, acceptors 2-4 (quorum 2), learner 5, clients 6-7.
#include "core/proposer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "messages.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Outbox;
using core::Time;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  explicit Fixture(uint32_t self = 0, uint64_t seed = 42)
      : rng(seed), proposer(cluster, timing, self, rng) {}

  core::Cluster cluster{2, 3, 1, 2, kHash};
  core::Timing timing;
  std::mt19937_64 rng;
  core::Proposer proposer;
  Time now = Time(1s);

  Outbox deliver(const Message& m) {
    Outbox out;
    proposer.receive(now, m, out);
    return out;
  }

  // Advances the clock to the proposer's next deadline and lets it act.
  Outbox tickAtWake() {
    REQUIRE(proposer.nextWake().has_value());
    now = std::max(now, *proposer.nextWake());
    Outbox out;
    proposer.tick(now, out);
    return out;
  }

  // The phase 1 messages the proposer would send for ballot `b` to acceptors `to`.
  static std::vector<Sent> prepares(Ballot b, std::vector<uint32_t> to = {2, 3, 4}) {
    std::vector<Sent> list;
    for (uint32_t acceptor : to)
      list.push_back({.to = acceptor, .type = Type::prepare, .ballot = b});
    return list;
  }

  static std::vector<Sent> accepts(Ballot b, const std::string& value,
                                   std::vector<uint32_t> to = {2, 3, 4}) {
    std::vector<Sent> list;
    for (uint32_t acceptor : to)
      list.push_back({.to = acceptor, .type = Type::accept, .ballot = b, .value = value});
    return list;
  }
};

}  // namespace

TEST_CASE("1a: a REQUEST starts phase 1 with ballot (1, self) to every acceptor") {
  Fixture f(1);
  CHECK_FALSE(f.proposer.nextWake().has_value());  // idle until a client asks
  Outbox out = f.deliver(request(6, "apple"));
  CHECK(sent(out) == Fixture::prepares({1, 1}));
  CHECK(f.proposer.ballot().round == 1);
  CHECK(f.proposer.ballot().uid == 1);
  CHECK(f.proposer.nextWake() == f.now + f.timing.phaseRetry);
}

TEST_CASE("1a: a second REQUEST while a ballot runs does not start another one") {
  Fixture f;
  f.deliver(request(6, "apple"));
  Outbox out = f.deliver(request(7, "pear"));
  CHECK(out.messages.empty());
  CHECK(f.proposer.ballot().round == 1);
}

TEST_CASE("2a: PROMISEs from a majority of acceptors send ACCEPT with the client's value") {
  Fixture f;
  f.deliver(request(6, "apple"));
  Outbox out = f.deliver(promise(2, {1, 0}));
  CHECK(out.messages.empty());  // one of three is not a majority
  out = f.deliver(promise(3, {1, 0}));
  CHECK(sent(out) == Fixture::accepts({1, 0}, "apple"));
}

TEST_CASE(
    "P2c: the proposer proposes the value accepted with the highest ballot, not the client's") {
  Fixture f(1);
  f.deliver(request(6, "mine"));
  Outbox out = f.deliver(promise(2, {1, 1}, {1, 0}, "theirs"));
  CHECK(out.messages.empty());
  out = f.deliver(promise(3, {1, 1}));  // accepted nothing
  CHECK(sent(out) == Fixture::accepts({1, 1}, "theirs"));
}

TEST_CASE(
    "P2c: among several accepted values the highest ballot wins, whatever the arrival order") {
  // Ballot (2,0) < (2,1) < (3,1): the same round is ordered by proposer UID.
  struct Case {
    Ballot first;
    std::string firstValue;
    Ballot second;
    std::string secondValue;
    std::string expected;
  };
  for (const Case& c : {Case{{3, 1}, "three", {2, 0}, "two", "three"},
                        Case{{2, 0}, "two", {3, 1}, "three", "three"},
                        Case{{2, 1}, "two-one", {2, 0}, "two-zero", "two-one"},
                        Case{{2, 0}, "two-zero", {2, 1}, "two-one", "two-one"}}) {
    CAPTURE(c.expected);
    Fixture f;
    f.deliver(request(6, "mine"));
    f.deliver(nack(2, {1, 0}, {3, 1}));  // lifts proposer 0 to round 4
    REQUIRE(sent(f.tickAtWake()) == Fixture::prepares({4, 0}));
    f.deliver(promise(3, {4, 0}, c.first, c.firstValue));
    Outbox out = f.deliver(promise(4, {4, 0}, c.second, c.secondValue));
    CHECK(sent(out) == Fixture::accepts({4, 0}, c.expected));
  }
}

TEST_CASE("Quorum: two PROMISEs from the same acceptor count once") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  Outbox out = f.deliver(promise(2, {1, 0}));
  CHECK(out.messages.empty());
  out = f.deliver(promise(3, {1, 0}));
  CHECK(sent(out) == Fixture::accepts({1, 0}, "apple"));
}

TEST_CASE("Quorum: a PROMISE from a node that is not an acceptor does not count") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  for (uint32_t sender : {1u, 5u, 6u}) {
    CAPTURE(sender);
    CHECK(f.deliver(promise(sender, {1, 0})).messages.empty());
  }
}

TEST_CASE("1b: PROMISEs for an old ballot are ignored") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(nack(2, {1, 0}, {2, 1}));
  REQUIRE(sent(f.tickAtWake()) == Fixture::prepares({3, 0}));
  CHECK(f.deliver(promise(3, {1, 0})).messages.empty());
  CHECK(f.deliver(promise(4, {1, 0})).messages.empty());
  // The current ballot still needs its own majority.
  f.deliver(promise(3, {3, 0}));
  CHECK(sent(f.deliver(promise(4, {3, 0}))) == Fixture::accepts({3, 0}, "apple"));
}

TEST_CASE("2b: ACCEPTED from a majority decides: DECIDED to every waiting client and learner") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(request(7, "pear"));
  f.deliver(promise(2, {1, 0}));
  f.deliver(promise(3, {1, 0}));
  CHECK(f.deliver(accepted(2, {1, 0}, "apple")).messages.empty());
  CHECK(f.deliver(accepted(2, {1, 0}, "apple")).messages.empty());  // a duplicate counts once
  CHECK(f.deliver(accepted(5, {1, 0}, "apple")).messages.empty());  // not an acceptor
  CHECK_FALSE(f.proposer.decided().has_value());
  Outbox out = f.deliver(accepted(4, {1, 0}, "apple"));
  // The learner hears it too, in case its own ACCEPTEDs were lost.
  CHECK(sent(out) == std::vector<Sent>{{.to = 6, .type = Type::decided, .value = "apple"},
                                       {.to = 7, .type = Type::decided, .value = "apple"},
                                       {.to = 5, .type = Type::decided, .value = "apple"}});
  CHECK(f.proposer.decided() == "apple");
  CHECK_FALSE(f.proposer.nextWake().has_value());
}

TEST_CASE("2b: ACCEPTED for another ballot does not count toward this one") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  f.deliver(promise(3, {1, 0}));
  f.deliver(accepted(2, {1, 0}, "apple"));
  CHECK(f.deliver(accepted(3, {1, 1}, "pear")).messages.empty());
  CHECK_FALSE(f.proposer.decided().has_value());
}

TEST_CASE("NACK: the proposer backs off, then retries with a round above the NACK's promise") {
  Fixture f;
  f.deliver(request(6, "apple"));
  Time nacked = f.now;
  Outbox out = f.deliver(nack(3, {1, 0}, {5, 1}));
  CHECK(out.messages.empty());  // nothing is sent while backing off
  REQUIRE(f.proposer.nextWake().has_value());
  Time wake = *f.proposer.nextWake();
  CHECK(wake >= nacked);
  CHECK(wake <= nacked + f.timing.backoffBase * 2);  // first NACK: uniform(0, base * 2^1)

  if (wake > nacked) {
    Outbox early;
    f.proposer.tick(wake - 1ns, early);
    CHECK(early.messages.empty());
  }
  CHECK(sent(f.tickAtWake()) == Fixture::prepares({6, 0}));
  CHECK(f.proposer.ballot().round == 6);
}

TEST_CASE("NACK: a NACK for an old ballot is ignored, but its round is remembered") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(nack(3, {1, 0}, {5, 1}));
  REQUIRE(sent(f.tickAtWake()) == Fixture::prepares({6, 0}));
  Time phaseWake = *f.proposer.nextWake();
  CHECK(f.deliver(nack(4, {1, 0}, {9, 1})).messages.empty());
  CHECK(f.proposer.nextWake() == phaseWake);  // still in phase 1 of ballot 6.0
  f.deliver(nack(2, {6, 0}, {7, 1}));
  CHECK(sent(f.tickAtWake()) == Fixture::prepares({10, 0}));  // above 9, the highest seen
}

TEST_CASE("NACK in phase 2 also backs off and starts a higher round") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  f.deliver(promise(3, {1, 0}));
  CHECK(f.deliver(nack(4, {1, 0}, {2, 1})).messages.empty());
  CHECK(sent(f.tickAtWake()) == Fixture::prepares({3, 0}));
}

TEST_CASE("Backoff is random, bounded by base * 2^k for k consecutive NACKs, and capped") {
  Fixture f(0, 7);
  f.deliver(request(6, "apple"));
  for (int k = 1; k <= 12; ++k) {
    CAPTURE(k);
    uint64_t round = f.proposer.ballot().round;
    Time nacked = f.now;
    f.deliver(nack(2, {round, 0}, {round, 1}));
    auto ceiling = std::min<core::Duration>(f.timing.backoffMax, f.timing.backoffBase * (1 << k));
    CHECK(*f.proposer.nextWake() - nacked <= ceiling);
    CHECK(sent(f.tickAtWake()) == Fixture::prepares({round + 1, 0}));
  }
}

TEST_CASE("Timeout: a phase is resent only to the acceptors not yet heard from") {
  Fixture f;
  Time begin = f.now;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));

  Outbox early;
  f.proposer.tick(begin + f.timing.phaseRetry - 1ns, early);
  CHECK(early.messages.empty());
  Outbox out = f.tickAtWake();
  CHECK(f.now == begin + f.timing.phaseRetry);
  CHECK(sent(out) == Fixture::prepares({1, 0}, {3, 4}));

  f.deliver(promise(3, {1, 0}));  // phase 2 goes to all three
  f.deliver(accepted(4, {1, 0}, "apple"));
  CHECK(sent(f.tickAtWake()) == Fixture::accepts({1, 0}, "apple", {2, 3}));
}

TEST_CASE("Timeout: resends back off, randomised, from phaseRetry up to retryMax") {
  Fixture f(0, 11);
  f.deliver(request(6, "apple"));
  core::Duration interval = f.timing.phaseRetry;
  for (int resend = 1; resend <= 8; ++resend) {
    CAPTURE(resend);
    Time before = f.now;
    CHECK(sent(f.tickAtWake()) == Fixture::prepares({1, 0}));
    if (resend == 1) {  // the first resend comes after phaseRetry, then waits are random
      CHECK(f.now - before == f.timing.phaseRetry);
    } else {  // uniform in [interval/2, interval]
      CHECK(f.now - before >= interval / 2);
      CHECK(f.now - before <= interval);
    }
    interval = std::min<core::Duration>(interval * 2, f.timing.retryMax);
  }
  CHECK(interval == f.timing.retryMax);
}

TEST_CASE("A REQUEST after the decision is answered with DECIDED at once") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  f.deliver(promise(3, {1, 0}));
  f.deliver(accepted(2, {1, 0}, "apple"));
  f.deliver(accepted(3, {1, 0}, "apple"));
  Outbox out = f.deliver(request(7, "pear"));
  CHECK(sent(out) == std::vector<Sent>{{.to = 7, .type = Type::decided, .value = "apple"}});
}

TEST_CASE("DECIDED from a learner ends the proposer: waiting clients are told, no more resends") {
  Fixture f;
  f.deliver(request(6, "apple"));
  f.deliver(promise(2, {1, 0}));
  Outbox out = f.deliver(decided(5, "pear"));
  // Not sent back to the learners: one of them told us.
  CHECK(sent(out) == std::vector<Sent>{{.to = 6, .type = Type::decided, .value = "pear"}});
  CHECK(f.proposer.decided() == "pear");
  CHECK_FALSE(f.proposer.nextWake().has_value());

  Outbox later;
  f.proposer.tick(f.now + 1s, later);
  CHECK(later.messages.empty());
  CHECK(f.deliver(promise(3, {1, 0})).messages.empty());
  CHECK(f.deliver(decided(5, "other")).messages.empty());
  CHECK(f.proposer.decided() == "pear");
}

TEST_CASE("DECIDED from a node that is not a learner is ignored") {
  Fixture f;
  f.deliver(request(6, "apple"));
  for (uint32_t sender : {1u, 2u, 6u}) {  // a proposer, an acceptor, a client
    CAPTURE(sender);
    CHECK(f.deliver(decided(sender, "forged")).messages.empty());
  }
  CHECK_FALSE(f.proposer.decided().has_value());
  CHECK(sent(f.tickAtWake()) == Fixture::prepares({1, 0}));  // still working
}

TEST_CASE("Basic mode: messages for an instance other than 0 are ignored") {
  Fixture f;
  Message m = request(6, "apple");
  m.instance = 1;
  CHECK(f.deliver(m).messages.empty());
  CHECK_FALSE(f.proposer.nextWake().has_value());
}

TEST_CASE(
    "Ballot uniqueness across restarts: a proposer persists each new round first and "
    "never reuses a recovered one") {
  core::Cluster cluster{2, 3, 1, 2, kHash};
  core::Timing timing;
  std::mt19937_64 rng(1);
  Outbox out;
  core::Proposer first(cluster, timing, 0, rng);
  first.receive(Time(1s), request(6, "apple"), out);
  REQUIRE(out.persistRound == 1u);
  REQUIRE(first.ballot().round == 1u);

  // Restarted with what it persisted: a reused (1, 0) could carry another value than before.
  Outbox after;
  core::Proposer restarted(cluster, timing, 0, rng, *out.persistRound);
  restarted.receive(Time(2s), request(7, "pear"), after);
  CHECK(after.persistRound == 2u);
  CHECK(restarted.ballot().round == 2u);
  CHECK(after.messages.front().message.ballot.round == 2u);
}
