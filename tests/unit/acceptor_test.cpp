// The acceptor's rules (Paxos Made Simple, P1a and 2b), one literal message at a time.
// Cluster: proposers 0-1, acceptors 2-4, learner 5, clients 6-7; the acceptor under test is 2.
#include "core/acceptor.hpp"

#include <doctest/doctest.h>

#include "messages.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Acceptor;
using core::Outbox;

namespace {

struct Fixture {
  core::Cluster cluster{2, 3, 1, 2, kHash};
  Acceptor acceptor{cluster};

  Outbox deliver(const Message& m) {
    Outbox out;
    acceptor.receive(m, out);
    return out;
  }

  AcceptorMemory memory(uint64_t instance = 0) {
    const core::AcceptorState& s = acceptor.state(instance);
    return {s.promised, s.acceptedBallot, s.acceptedValue};
  }
};

}  // namespace

TEST_CASE("1b: an acceptor promises a higher ballot and reports that it accepted nothing") {
  Fixture f;
  Outbox out = f.deliver(prepare(0, {1, 0}));
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::promise, .ballot = {1, 0}}});
  CHECK(f.memory() == AcceptorMemory{.promised = {1, 0}});
}

TEST_CASE("1b: a promise reports the accepted (ballot, value) so the proposer can obey P2c") {
  Fixture f;
  f.deliver(prepare(0, {1, 0}));
  f.deliver(accept(0, {1, 0}, "apple"));
  Outbox out = f.deliver(prepare(1, {2, 1}));
  CHECK(sent(out) == std::vector<Sent>{{.to = 1,
                                        .type = Type::promise,
                                        .ballot = {2, 1},
                                        .value = "apple",
                                        .accepted = {1, 0}}});
  CHECK(f.memory() == AcceptorMemory{{2, 1}, {1, 0}, "apple"});
}

TEST_CASE("P1a: an acceptor NACKs a PREPARE below its promise, naming the promise that beat it") {
  Fixture f;
  f.deliver(prepare(1, {3, 1}));
  Outbox out = f.deliver(prepare(0, {2, 0}));
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::nack, .ballot = {2, 0}, .promised = {3, 1}}});
}

TEST_CASE("P1a: the same round from a lower proposer UID is a lower ballot and is NACKed") {
  Fixture f;
  f.deliver(prepare(1, {1, 1}));
  Outbox out = f.deliver(prepare(0, {1, 0}));
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::nack, .ballot = {1, 0}, .promised = {1, 1}}});
}

TEST_CASE("1b: a resent PREPARE for the promised ballot is promised again (harmless duplicate)") {
  Fixture f;
  Outbox first = f.deliver(prepare(0, {1, 0}));
  Outbox again = f.deliver(prepare(0, {1, 0}));
  CHECK(sent(again) == sent(first));
  CHECK(sent(again) == std::vector<Sent>{{.to = 0, .type = Type::promise, .ballot = {1, 0}}});
  CHECK(f.memory() == AcceptorMemory{.promised = {1, 0}});
}

TEST_CASE(
    "2b: an acceptor accepts at its promised ballot and tells every learner and the proposer") {
  Fixture f;
  f.deliver(prepare(0, {1, 0}));
  Outbox out = f.deliver(accept(0, {1, 0}, "apple"));
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 5, .type = Type::accepted, .ballot = {1, 0}, .value = "apple"},
                          {.to = 0, .type = Type::accepted, .ballot = {1, 0}, .value = "apple"}});
  CHECK(f.memory() == AcceptorMemory{{1, 0}, {1, 0}, "apple"});
}

TEST_CASE("2b: an ACCEPT above the promise is accepted and raises the promise") {
  Fixture f;
  f.deliver(prepare(0, {1, 0}));
  Outbox out = f.deliver(accept(1, {4, 1}, "pear"));
  CHECK(destinations(out, Type::accepted) == std::vector<uint32_t>{5, 1});
  CHECK(f.memory() == AcceptorMemory{{4, 1}, {4, 1}, "pear"});
}

TEST_CASE("2b: an ACCEPT with no PREPARE before it is accepted (nothing was promised)") {
  Fixture f;
  Outbox out = f.deliver(accept(0, {1, 0}, "apple"));
  CHECK(destinations(out, Type::accepted) == std::vector<uint32_t>{5, 0});
}

TEST_CASE("P1a: an acceptor NACKs an ACCEPT below its promise and keeps what it accepted") {
  Fixture f;
  f.deliver(prepare(0, {1, 0}));
  f.deliver(accept(0, {1, 0}, "apple"));
  f.deliver(prepare(1, {2, 1}));
  Outbox out = f.deliver(accept(0, {1, 0}, "late"));
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::nack, .ballot = {1, 0}, .promised = {2, 1}}});
  CHECK(f.memory() == AcceptorMemory{{2, 1}, {1, 0}, "apple"});
}

TEST_CASE("P1a: a promise is never lowered: a lower PREPARE after a higher one changes nothing") {
  Fixture f;
  f.deliver(prepare(1, {5, 1}));
  f.deliver(accept(1, {5, 1}, "plum"));
  for (uint64_t round = 1; round <= 5; ++round) {
    CAPTURE(round);
    Outbox out = f.deliver(prepare(0, {round, 0}));
    CHECK(
        sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::nack, .ballot = {round, 0}, .promised = {5, 1}}});
    CHECK(f.memory() == AcceptorMemory{{5, 1}, {5, 1}, "plum"});
  }
}

TEST_CASE("Ballots are unique per proposer: a ballot not naming its sender is ignored") {
  Fixture f;
  Outbox out = f.deliver(prepare(0, {9, 1}));  // proposer 0 claims proposer 1's ballot
  CHECK(out.messages.empty());
  out = f.deliver(accept(0, {9, 1}, "forged"));
  CHECK(out.messages.empty());
  CHECK(out.refused == 1);  // counted, for the node's drop counters
  CHECK(f.memory() == AcceptorMemory{});
}

TEST_CASE("A round absurdly far above every round seen is refused (seed 003's infinite number)") {
  Fixture f;
  Outbox out = f.deliver(prepare(0, {core::kMaxRoundStep + 1, 0}));
  CHECK(out.messages.empty());
  CHECK(out.refused == 1);
  CHECK(f.memory() == AcceptorMemory{});
  // Honest rounds still go through, and move the bound up with them.
  out = f.deliver(prepare(1, {core::kMaxRoundStep, 1}));
  CHECK(sent(out, Type::promise).size() == 1);
  out = f.deliver(prepare(0, {2 * core::kMaxRoundStep, 0}));
  CHECK(sent(out, Type::promise).size() == 1);
}

TEST_CASE("Only proposers make ballots: PREPARE and ACCEPT from other roles are ignored") {
  Fixture f;
  for (uint32_t sender : {3u, 5u, 6u}) {  // an acceptor, the learner, a client
    CAPTURE(sender);
    Outbox out = f.deliver(prepare(sender, {9, sender}));
    CHECK(out.messages.empty());
    out = f.deliver(accept(sender, {9, sender}, "forged"));
    CHECK(out.messages.empty());
  }
  CHECK(f.memory() == AcceptorMemory{});
}

TEST_CASE("An acceptor ignores message types that are not phase 1a or 2a") {
  Fixture f;
  for (const Message& m : {promise(0, {1, 0}), accepted(0, {1, 0}, "x"), nack(0, {1, 0}, {2, 1}),
                           decided(5, "x"), request(6, "x")}) {
    CAPTURE(m.type);
    Outbox out = f.deliver(m);
    CHECK(out.messages.empty());
  }
  CHECK(f.memory() == AcceptorMemory{});
}

TEST_CASE("Recovery: an acceptor restarted from its persisted state keeps its promise") {
  core::Cluster cluster(2, 3, 1, 2, kHash);
  core::AcceptorState persisted{
      .promised = {3, 1}, .acceptedBallot = {2, 0}, .acceptedValue = "kept"};
  core::DurableState recovered;
  recovered.acceptor = {{0, persisted}};
  Acceptor acceptor(cluster, recovered);
  Outbox out;
  acceptor.receive(prepare(0, {2, 0}), out);
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::nack, .ballot = {2, 0}, .promised = {3, 1}}});
  out.clear();
  acceptor.receive(prepare(0, {4, 0}), out);
  CHECK(
      sent(out) ==
      std::vector<Sent>{
          {.to = 0, .type = Type::promise, .ballot = {4, 0}, .value = "kept", .accepted = {2, 0}}});
}

TEST_CASE("Instances are independent: a promise in one instance does not bind another") {
  Fixture f;
  f.deliver(prepare(1, {7, 1}, 0));
  f.deliver(accept(1, {7, 1}, "zero", 0));

  Outbox out = f.deliver(prepare(0, {1, 0}, 1));
  CHECK(sent(out) ==
        std::vector<Sent>{{.to = 0, .type = Type::promise, .ballot = {1, 0}, .instance = 1}});
  out = f.deliver(accept(0, {1, 0}, "one", 1));
  CHECK(sent(out) ==
        std::vector<Sent>{
            {.to = 5, .type = Type::accepted, .ballot = {1, 0}, .value = "one", .instance = 1},
            {.to = 0, .type = Type::accepted, .ballot = {1, 0}, .value = "one", .instance = 1}});

  CHECK(f.memory(0) == AcceptorMemory{{7, 1}, {7, 1}, "zero"});
  CHECK(f.memory(1) == AcceptorMemory{{1, 0}, {1, 0}, "one"});
  // And instance 0 still refuses the low ballot.
  out = f.deliver(prepare(0, {1, 0}, 0));
  CHECK(sent(out, Type::nack).size() == 1);
}
