// Multi mode's core, role by role: batches, the acceptor's promise for every slot and its
// trimming, the leader among proposers (phase 1 once, recovery, batching, pipeline, fail-over),
// the learner's in-order delivery, de-duplication and catch-up, and the streaming client.
// Cluster: proposers 0-1, acceptors 2-4, learners 5-6, clients 7-8.
#include <doctest/doctest.h>

#include <random>

#include "core/acceptor.hpp"
#include "core/client.hpp"
#include "core/leadership.hpp"
#include "core/log_learner.hpp"
#include "core/log_proposer.hpp"
#include "messages.hpp"
#include "wire/batch.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Outbox;
using core::Time;
using wire::Command;
using namespace std::chrono_literals;

namespace {

core::Cluster multiCluster() {
  return core::Cluster(2, 3, 2, 2, kHash, config::Mode::multi);
}

Message at(Message m, uint64_t slot) {
  m.instance = slot;
  return m;
}

Message prepareAll(uint32_t proposer, Ballot b, uint64_t from) {
  Message m = test::from(proposer, Type::prepareAll, from);
  m.ballot = b;
  return m;
}

Message promiseAll(uint32_t acceptor, Ballot b, uint64_t from, uint64_t end) {
  Message m = test::from(acceptor, Type::promiseAll, from);
  m.ballot = b;
  m.end = end;
  return m;
}

Message progress(uint32_t sender, uint64_t next) {
  return test::from(sender, Type::progress, next);
}

std::string batch(std::vector<Command> commands) {
  return wire::encodeBatch(commands);
}

// A client's REQUEST in multi mode: a batch of its commands, here one.
Message clientRequest(uint32_t client, uint64_t id, std::string value) {
  Message m = request(client, batch({{client, id, std::move(value)}}));
  m.requestId = id;
  return m;
}

}  // namespace

TEST_CASE("Batch: commands survive a round trip; empty is the no-op; a torn batch is refused") {
  std::vector<Command> commands = {{7, 1, "a"}, {8, 42, std::string("b\0\n", 3)}, {7, 2, ""}};
  CHECK(wire::decodeBatch(batch(commands)) == commands);
  CHECK(batch({}).empty());
  CHECK(wire::decodeBatch("") == std::vector<Command>{});
  std::string torn = batch(commands);
  torn.pop_back();
  CHECK_FALSE(wire::decodeBatch(torn).has_value());
  CHECK(wire::describeBatch("") == "no-op");
  CHECK(wire::describeBatch(batch({{7, 1, "a"}})) == "1 value: c7#1 'a'");
}

TEST_CASE(
    "Acceptor (multi): PREPARE_ALL promises every slot and says where its accepted log ends") {
  auto cluster = multiCluster();
  core::Acceptor acceptor(cluster);
  Outbox out;
  acceptor.receive(at(accept(0, {1, 0}, "x"), 4), out);
  out.clear();
  acceptor.receive(prepareAll(1, {2, 1}, 2), out);
  REQUIRE(out.messages.size() == 1);
  CHECK(out.messages[0].message.type == Type::promiseAll);
  CHECK(out.messages[0].message.instance == 2);
  CHECK(out.messages[0].message.end == 5);  // slot 4 holds a value: recover up to it
  CHECK(out.persistPromisedAll.has_value());
  out.clear();
  // The old leader's ACCEPT for a fresh slot is now below the promise: NACK.
  acceptor.receive(at(accept(0, {1, 0}, "late"), 9), out);
  CHECK(sent(out) ==
        std::vector<Sent>{
            {.to = 0, .type = Type::nack, .ballot = {1, 0}, .promised = {2, 1}, .instance = 9}});
  out.clear();
  // A lower PREPARE_ALL is refused; the new leader's ACCEPT is taken.
  acceptor.receive(prepareAll(0, {1, 0}, 0), out);
  CHECK(sent(out, Type::nack).size() == 1);
  out.clear();
  acceptor.receive(at(accept(1, {2, 1}, "new"), 9), out);
  CHECK(destinations(out, Type::accepted) == std::vector<uint32_t>{5, 6, 1});
}

TEST_CASE("Acceptor (multi): a heartbeat leading with a ballot below the promise gets a NACK") {
  auto cluster = multiCluster();
  core::Acceptor acceptor(cluster);
  Outbox out;
  acceptor.receive(prepareAll(0, {3, 0}, 0), out);
  out.clear();
  Message stale = test::from(1, Type::heartbeat);
  stale.ballot = {2, 1};  // proposer 1 still thinks it leads with 2.1
  acceptor.receive(stale, out);
  CHECK(sent(out, Type::nack) ==
        std::vector<Sent>{{.to = 1, .type = Type::nack, .ballot = {2, 1}, .promised = {3, 0}}});
  CHECK(destinations(out, Type::heartbeat) == std::vector<uint32_t>{1});  // still answered
  out.clear();
  Message current = test::from(0, Type::heartbeat);
  current.ballot = {3, 0};
  acceptor.receive(current, out);
  CHECK(sent(out, Type::nack).empty());
}

TEST_CASE("Acceptor (multi): forgets slots every learner delivered, and says so when asked") {
  auto cluster = multiCluster();
  core::Acceptor acceptor(cluster);
  Outbox out;
  for (uint64_t slot = 0; slot < 4; ++slot) acceptor.receive(at(accept(1, {1, 1}, "v"), slot), out);
  out.clear();
  acceptor.receive(progress(5, 3), out);  // one learner is not enough
  CHECK(acceptor.states().size() == 4);
  acceptor.receive(progress(6, 2), out);
  CHECK(acceptor.trimmedBelow() == 2);
  CHECK(out.persistTrim == 2u);
  CHECK(acceptor.states().begin()->first == 2);
  out.clear();
  // A learner catching up gets what is left; a proposer asking about a forgotten slot is told
  // where the log starts.
  Message catchup = test::from(6, Type::catchup, 0);
  catchup.end = 10;
  acceptor.receive(catchup, out);
  CHECK(sent(out) ==
        std::vector<Sent>{
            {.to = 6, .type = Type::progress, .instance = 2},
            {.to = 6, .type = Type::accepted, .ballot = {1, 1}, .value = "v", .instance = 2},
            {.to = 6, .type = Type::accepted, .ballot = {1, 1}, .value = "v", .instance = 3}});
  out.clear();
  acceptor.receive(at(prepare(0, {5, 0}), 1), out);
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::progress, .instance = 2}});
}

namespace {

struct Proposers {
  core::Cluster cluster = multiCluster();
  core::Timing timing;
  std::mt19937_64 rng{7};
  core::LogProposer low{cluster, timing, 0, rng};
  core::LogProposer high{cluster, timing, 1, rng};
  Time now = Time(1s);

  Outbox step(core::LogProposer& p, const Message& m) {
    Outbox out;
    p.receive(now, m, out);
    return out;
  }
  // The high proposer leads with ballot 1.1 after promises from acceptors 2 and 3.
  Outbox lead(uint64_t end = 0) {
    Outbox out;
    high.start(now, out);
    step(high, promiseAll(2, {1, 1}, 0, end));
    return step(high, promiseAll(3, {1, 1}, 0, end));
  }
};

}  // namespace

TEST_CASE("LogProposer: the highest proposer leads at once; a lower one forwards to it") {
  Proposers p;
  Outbox out;
  p.high.start(p.now, out);
  CHECK(out.persistRound == 1u);  // durable before PREPARE_ALL leaves
  CHECK(destinations(out, Type::prepareAll) == std::vector<uint32_t>{2, 3, 4});
  Outbox lowOut;
  p.low.start(p.now, lowOut);
  CHECK(sent(lowOut, Type::prepareAll).empty());
  lowOut = p.step(p.low, clientRequest(7, 1, "a"));
  CHECK(
      sent(lowOut) ==
      std::vector<Sent>{{.to = 1, .type = Type::request, .value = batch({{7, 1, "a"}}), .uid = 7}});
}

TEST_CASE("LogProposer: after phase 1 each value needs only phase 2; queued values share a slot") {
  Proposers p;
  p.lead();
  CHECK(p.high.leading());
  Outbox out = p.step(p.high, clientRequest(7, 1, "a"));
  // To a majority: 2 and 3, who answered the PREPARE_ALL (heard last).
  CHECK(sent(out) ==
        std::vector<Sent>{
            {.to = 2, .type = Type::accept, .ballot = {1, 1}, .value = batch({{7, 1, "a"}})},
            {.to = 3, .type = Type::accept, .ballot = {1, 1}, .value = batch({{7, 1, "a"}})}});
  // A resend of the same request is not proposed again.
  CHECK(p.step(p.high, clientRequest(7, 1, "a")).messages.empty());
  // With the pipeline full, requests queue and then go out together in the next slot.
  p.timing.pipeline = 1;
  p.step(p.high, clientRequest(7, 2, "b"));
  p.step(p.high, clientRequest(8, 1, "c"));
  p.step(p.high, at(accepted(2, {1, 1}, batch({{7, 1, "a"}})), 0));
  out = p.step(p.high, at(accepted(3, {1, 1}, batch({{7, 1, "a"}})), 0));
  CHECK(p.high.decidedPrefix() == 1);
  auto accepts = sent(out, Type::accept);
  REQUIRE(accepts.size() == 2);
  CHECK(accepts[0].instance == 1);
  CHECK(accepts[0].value == batch({{7, 2, "b"}, {8, 1, "c"}}));
}

// Thrifty phase 2: a third acceptor's copy of every batch is work for nothing while the other two
// answer; it costs a resend (one round-trip timeout) when one of them does not.
TEST_CASE("LogProposer: a slot's ACCEPT goes to the majority heard last, its resend to the rest") {
  Proposers p;
  p.lead();
  p.now += 1ms;
  p.step(p.high, accepted(4, {1, 1}, ""));  // 4 answers something: heard after 2 and 3
  Outbox out = p.step(p.high, clientRequest(7, 1, "a"));
  CHECK(destinations(out, Type::accept) == std::vector<uint32_t>{4, 2});  // ties: lower UID
  // 4 never answers: the resend goes to every acceptor that has not, and 3 makes the majority.
  p.step(p.high, accepted(2, {1, 1}, batch({{7, 1, "a"}})));
  out = Outbox{};
  for (int wake = 0; wake < 10 && destinations(out, Type::accept).empty(); ++wake) {
    REQUIRE(p.high.nextWake().has_value());  // heartbeats first, then the slot's resend
    p.now = *p.high.nextWake();
    out = Outbox{};
    p.high.tick(p.now, out);
  }
  CHECK(destinations(out, Type::accept) == std::vector<uint32_t>{3, 4});
  CHECK(p.high.decidedPrefix() == 0);
  p.step(p.high, accepted(3, {1, 1}, batch({{7, 1, "a"}})));
  CHECK(p.high.decidedPrefix() == 1);
  // A slot needed a resend (a loss): for a while every slot goes to every acceptor, where the
  // third copy covers the next loss instead of a resend timeout.
  out = p.step(p.high, clientRequest(7, 2, "b"));
  CHECK(destinations(out, Type::accept) == std::vector<uint32_t>{2, 3, 4});
  // Later, with every acceptor heard: thrifty again.
  p.now += 4 * p.timing.leaderTimeout;
  for (uint32_t a : {2u, 3u, 4u}) p.step(p.high, at(accepted(a, {1, 1}, batch({{7, 2, "b"}})), 1));
  out = p.step(p.high, clientRequest(7, 3, "c"));
  CHECK(destinations(out, Type::accept).size() == 2);
  // Fewer than a majority heard within leaderTimeout: nobody is counted on, all get it.
  p.now += p.timing.leaderTimeout;
  p.step(p.high, accepted(2, {1, 1}, ""));
  out = p.step(p.high, clientRequest(7, 4, "d"));
  CHECK(destinations(out, Type::accept) == std::vector<uint32_t>{2, 3, 4});
}

TEST_CASE("LogProposer: a REQUEST's batch speaks only for its own client") {
  Proposers p;
  p.lead();
  Outbox out = p.step(p.high, request(7, batch({{7, 1, "a"}, {8, 1, "forged"}, {7, 2, "b"}})));
  CHECK(out.refused == 1);
  auto accepts = sent(out, Type::accept);
  REQUIRE(accepts.size() == 2);
  CHECK(accepts[0].value == batch({{7, 1, "a"}, {7, 2, "b"}}));
  out = p.step(p.high, request(7, "\x01"));  // not a batch
  CHECK(out.refused == 1);
  CHECK(out.messages.empty());
}

TEST_CASE("LogProposer: a new leader recovers unfinished slots: their value, or a no-op") {
  Proposers p;
  Outbox out = p.lead(2);  // the quorum accepted something in slots below 2
  CHECK(destinations(out, Type::prepare) == std::vector<uint32_t>{2, 3, 4, 2, 3, 4});
  // Slot 0: acceptor 3 accepted "old" under 0.5 -> proposed again. Slot 1: nothing -> no-op.
  Message withValue = at(promise(3, {1, 1}, {5, 0}, batch({{7, 1, "old"}})), 0);
  p.step(p.high, at(promise(2, {1, 1}), 0));
  out = p.step(p.high, withValue);
  CHECK(sent(out, Type::accept).at(0).value == batch({{7, 1, "old"}}));
  p.step(p.high, at(promise(2, {1, 1}), 1));
  out = p.step(p.high, at(promise(4, {1, 1}), 1));
  CHECK(sent(out, Type::accept).at(0).value == "");
  // New values start above the recovered slots.
  out = p.step(p.high, clientRequest(8, 1, "new"));
  CHECK(sent(out, Type::accept).at(0).instance == 2);
}

// P2 holds per slot only if a ballot proposes one value there: phase 1 run again under the same
// ballot could count a PROMISE sent before the ACCEPT (delayed or duplicated) beside a fresh one,
// find nothing accepted, and propose a no-op over the chosen value.
TEST_CASE("LogProposer: a ballot proposes one value per slot, even when a learner asks again") {
  Proposers p;
  p.lead(1);  // slot 0 was left unfinished
  std::string x = batch({{7, 1, "x"}});
  Message stale = at(promise(3, {1, 1}), 0);
  p.step(p.high, at(promise(2, {1, 1}, {1, 0}, x), 0));
  Outbox out = p.step(p.high, stale);
  REQUIRE(sent(out, Type::accept).size() == 2);
  CHECK(sent(out, Type::accept).at(0).value == x);
  p.step(p.high, at(accepted(2, {1, 1}, x), 0));
  p.step(p.high, at(accepted(3, {1, 1}, x), 0));
  REQUIRE(p.high.decidedPrefix() == 1);
  // Learner 5 missed slot 0 and asks twice; a copy of 3's first PROMISE arrives late, and 4's.
  Message catchup = test::from(5, Type::catchup, 0);
  catchup.end = 1;
  std::vector<Sent> accepts;
  for (const Message& m : {catchup, catchup, stale, at(promise(4, {1, 1}), 0)})
    for (const Sent& s : sent(p.step(p.high, m), Type::accept)) accepts.push_back(s);
  for (const Sent& s : accepts) {
    CHECK((s.ballot == Ballot{1, 1}));
    CHECK(s.value == x);
  }
}

// A slot an acceptor has forgotten is delivered by every learner: a CATCHUP for it is old (or
// from a learner that restarted, which skips ahead), and running it again could be phase 1 for
// the second time under the leader's ballot, once it has forgotten the value proposed there.
TEST_CASE("LogProposer: a slot an acceptor forgot is never run again for a learner") {
  Proposers p;
  p.lead(1);
  std::string x = batch({{7, 1, "x"}});
  p.step(p.high, at(promise(2, {1, 1}, {1, 0}, x), 0));
  p.step(p.high, at(promise(3, {1, 1}), 0));
  p.step(p.high, at(accepted(2, {1, 1}, x), 0));
  p.step(p.high, at(accepted(3, {1, 1}, x), 0));
  REQUIRE(p.high.decidedPrefix() == 1);
  p.step(p.high, progress(4, 1));  // acceptor 4 forgot slot 0
  CHECK(p.high.deliveredEverywhere() == 1);
  Message catchup = test::from(5, Type::catchup, 0);
  catchup.end = 1;
  CHECK(sent(p.step(p.high, catchup)).empty());
}

TEST_CASE(
    "LogProposer: the next proposer takes over when the leader falls silent, and yields "
    "when it hears it again") {
  Proposers p;
  Outbox out;
  p.low.start(p.now, out);
  while (p.now < Time(1s) + p.timing.leaderTimeout) {
    out.clear();
    p.now += p.timing.heartbeat;
    p.low.tick(p.now, out);
  }
  CHECK(destinations(out, Type::prepareAll) == std::vector<uint32_t>{2, 3, 4});
  Message heartbeat = test::from(1, Type::heartbeat);
  heartbeat.uid = 1;
  out = p.step(p.low, heartbeat);
  out = p.step(p.low, clientRequest(7, 1, "a"));
  CHECK(destinations(out, Type::request) == std::vector<uint32_t>{1});
}

namespace {

struct Learners {
  core::Cluster cluster = multiCluster();
  core::Timing timing;
  core::LogLearner learner{cluster, timing, 5};
  Time now = Time(1s);

  Outbox step(const Message& m) {
    Outbox out;
    learner.receive(now, m, out);
    return out;
  }
  Outbox chosen(uint64_t slot, const std::string& value) {
    step(at(accepted(2, {1, 1}, value), slot));
    return step(at(accepted(3, {1, 1}, value), slot));
  }
};

}  // namespace

TEST_CASE("LogLearner: delivers slots in order, once a majority accepted each") {
  Learners l;
  Outbox out = l.chosen(1, batch({{7, 2, "b"}}));
  CHECK(out.output.empty());  // slot 0 is still missing
  out = l.step(at(accepted(2, {1, 1}, batch({{7, 1, "a"}})), 0));
  CHECK(out.output.empty());  // one acceptor is not a majority
  out = l.step(at(accepted(2, {1, 1}, batch({{7, 1, "a"}})), 0));
  CHECK(out.output.empty());  // nor is the same one twice
  out = l.step(at(accepted(4, {1, 1}, batch({{7, 1, "a"}})), 0));
  CHECK(out.output == std::vector<std::string>{"a", "b"});
  CHECK(l.learner.next() == 2);
  // The client hears which slot decided each of its values.
  CHECK(sent(out, Type::decided) ==
        std::vector<Sent>{
            {.to = 7, .type = Type::decided, .value = batch({{7, 1, "a"}})},
            {.to = 7, .type = Type::decided, .value = batch({{7, 2, "b"}}), .instance = 1}});
}

TEST_CASE("LogLearner: a value proposed twice is delivered once, at its first slot") {
  Learners l;
  l.chosen(0, batch({{7, 1, "a"}}));
  Outbox out = l.chosen(1, batch({{8, 1, "c"}, {7, 1, "a"}}));
  CHECK(out.output == std::vector<std::string>{"c"});
  // The client is told slot 0 again, not slot 1.
  CHECK(sent(out, Type::decided) ==
        std::vector<Sent>{
            {.to = 7, .type = Type::decided, .value = batch({{7, 1, "a"}}), .instance = 0},
            {.to = 8, .type = Type::decided, .value = batch({{8, 1, "c"}}), .instance = 1}});
}

TEST_CASE("LogLearner: a gap is fetched from the other learner and the acceptors, then filled") {
  Learners l;
  l.chosen(2, batch({{7, 3, "c"}}));  // slots 0 and 1 never arrived
  l.now += l.timing.catchupDelay;
  Outbox out;
  l.learner.tick(l.now, out);
  auto asks = sent(out, Type::catchup);
  REQUIRE(asks.size() == 4);  // learner 6, acceptors 2-4
  CHECK(asks[0].to == 6);
  for (const auto& e : out.messages) {
    if (e.message.type != Type::catchup) continue;
    CHECK(e.message.instance == 0);
    CHECK(e.message.end == 2);  // only the gap
  }
  // Learner 6 answers with the decided slots.
  Message d0 = at(decided(6, batch({{7, 1, "a"}})), 0);
  Message d1 = at(decided(6, batch({{7, 2, "b"}})), 1);
  CHECK(l.step(d0).output == std::vector<std::string>{"a"});
  CHECK(l.step(d1).output == std::vector<std::string>{"b", "c"});
  // And it serves them in turn to a learner behind it.
  Message ask = test::from(6, Type::catchup, 1);
  ask.end = 3;
  CHECK(destinations(l.step(ask), Type::decided) == std::vector<uint32_t>{6, 6});
}

TEST_CASE("Client (multi): keeps a window of values in flight and prints each decision once") {
  auto cluster = multiCluster();
  core::Timing timing;
  timing.window = 2;
  core::Client client(cluster, timing, 7, std::vector<std::string>{"a", "b", "c"}, 1);
  Time now = Time(1s);
  Outbox out;
  client.start(now, out);
  out.clear();
  client.receive(now, start(6, 6, cluster.roles()), out);
  // a and b, not c, in one REQUEST
  CHECK(
      sent(out, Type::request) ==
      std::vector<Sent>{
          {.to = 1, .type = Type::request, .value = batch({{7, 1, "a"}, {7, 2, "b"}}), .uid = 7}});
  out.clear();
  client.receive(now, at(decided(5, batch({{7, 2, "b"}})), 4), out);
  CHECK(out.output == std::vector<std::string>{"decided 4 b"});
  CHECK(sent(out, Type::request).empty());  // the window spans ids 1-2 until 1 is answered
  out.clear();
  client.receive(now, at(decided(5, batch({{7, 1, "a"}, {8, 1, "x"}})), 3), out);
  CHECK(out.output == std::vector<std::string>{"decided 3 a"});
  CHECK(sent(out, Type::request).size() == 1);
  out.clear();
  client.receive(now, at(decided(6, batch({{7, 1, "a"}})), 3), out);  // the other learner
  CHECK(out.output.empty());
  client.receive(now, at(decided(6, batch({{7, 3, "c"}})), 5), out);
  CHECK(out.output == std::vector<std::string>{"decided 5 c"});
  // DONE tells the nodes how far the log must reach for this client.
  auto dones = sent(out, Type::done);
  REQUIRE(dones.size() == 7);
  CHECK(dones[0].instance == 6);
}

// Karn's rule: an answer to a value that was resent says nothing of how long answers take (it
// may answer the first send or the last), and a fail-over made such answers take seconds: the
// resend period, stretched to twice the answer time, then grew so long that a client sat for
// 12 s before failing over again (netns_reach_a).
TEST_CASE("Client (multi): a value answered after a resend does not stretch the resend period") {
  auto cluster = multiCluster();
  core::Timing timing;
  core::Client client(cluster, timing, 7, std::vector<std::string>{"a", "b"}, 1);
  timing.window = 1;
  Time now = Time(1s);
  Outbox out;
  client.start(now, out);
  client.receive(now, start(6, 6, cluster.roles()), out);
  out.clear();
  now += timing.requestRetry;
  client.tick(now, out);
  REQUIRE(sent(out, Type::request).size() == 1);  // a resent
  out.clear();
  now += 3s;  // answered long after, through a fail-over
  client.receive(now, at(decided(5, batch({{7, 1, "a"}})), 0), out);
  out.clear();
  // b is resent after requestRetry, not after twice three seconds.
  REQUIRE(client.nextWake().has_value());
  CHECK(*client.nextWake() <= now + timing.requestRetry);
}

// A streaming client (clidriver UID - D reading a pipe): Client(cluster, timing, uid, desired),
// values through add(), endOfInput() when the input ends.
struct Stream {
  core::Cluster cluster = multiCluster();
  core::Timing timing;
  std::optional<core::Client> client;
  Time now = Time(1s);

  explicit Stream(int window) {
    timing.window = window;
    client.emplace(cluster, timing, 7, 1);
    Outbox out;
    client->start(now, out);
    client->receive(now, start(6, 6, cluster.roles()), out);
  }
  Outbox add(std::vector<std::string> values) {
    Outbox out;
    client->add(now, std::move(values), out);
    return out;
  }
  Outbox answer(uint32_t learner, uint64_t slot, std::vector<Command> commands) {
    Outbox out;
    client->receive(now, at(decided(learner, batch(std::move(commands))), slot), out);
    return out;
  }
  Outbox end() {
    Outbox out;
    client->endOfInput(now, out);
    return out;
  }
};

Sent requestFrom7(uint32_t to, std::vector<Command> commands) {
  return {.to = to, .type = Type::request, .value = batch(std::move(commands)), .uid = 7};
}

TEST_CASE(
    "Client (multi, streaming): values added after START go out within the window, request ids "
    "going on; no DONE before endOfInput, DONE after it") {
  Stream s(2);
  CHECK_FALSE(s.client->nextWake().has_value());  // no input yet: nothing to resend or time out
  Outbox out = s.add({"a", "b", "c"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 1, "a"}, {7, 2, "b"}})});
  CHECK(s.client->unsent() == 1);  // c waits for room in the window
  out = s.answer(5, 0, {{7, 1, "a"}});
  CHECK(out.output == std::vector<std::string>{"decided 0 a"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 3, "c"}})});
  CHECK(s.client->unsent() == 0);
  s.answer(5, 1, {{7, 2, "b"}});
  out = s.answer(5, 2, {{7, 3, "c"}});
  CHECK(out.output == std::vector<std::string>{"decided 2 c"});
  CHECK(out.messages.empty());  // every value answered, but more may come: no DONE
  CHECK_FALSE(out.exitCode.has_value());

  // A long wait for input is not a lack of progress: no deadline, and a tick does nothing.
  CHECK_FALSE(s.client->nextWake().has_value());
  s.now += 10 * s.timing.clientTimeout;
  out = Outbox{};
  s.client->tick(s.now, out);
  CHECK(out.messages.empty());
  CHECK(out.notes.empty());

  // The next value goes out at once, to the same proposer: it was not failing, only idle.
  out = s.add({"d"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 4, "d"}})});
  CHECK(s.client->nextWake() == s.now + s.timing.requestRetry);
  s.now += s.timing.requestRetry;
  out = Outbox{};
  s.client->tick(s.now, out);
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 4, "d"}})});
  out = s.answer(6, 3, {{7, 4, "d"}});
  CHECK(out.output == std::vector<std::string>{"decided 3 d"});
  CHECK(sent(out, Type::done).empty());

  out = s.end();
  auto dones = sent(out, Type::done);
  REQUIRE(dones.size() == 7);  // every consensus node
  CHECK(dones[0].instance == 4);
  CHECK(s.add({"e"}).messages.empty());  // after the end, nothing more is taken
  CHECK(s.client->added() == 4);
}

// Open loop (clidriver --rate): values leave at their due times, and a value's latency counts
// from when it was due, so a wait for room in the window is not left out.
TEST_CASE("Client (multi, paced): values go out when due; latency counts from the due time") {
  Stream s(2);
  s.client->pace(1000);  // one value a millisecond, from START (s.now)
  s.client->reportLatency(true);
  Outbox out = s.add({"a", "b", "c", "d"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 1, "a"}})});  // a is due at START
  REQUIRE(s.client->nextWake().has_value());
  CHECK(*s.client->nextWake() == s.now + 1ms);  // b's due time
  // Woken late, at 2.5 ms: b and c are due, and go out together.
  s.now += 2500us;
  out = Outbox{};
  s.client->tick(s.now, out);
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 2, "b"}})});  // the window is full
  s.now += 500us;                                                         // 3 ms: d is due too
  out = s.answer(5, 0, {{7, 1, "a"}});
  CHECK(out.output == std::vector<std::string>{"decided 0 a 3000"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 3, "c"}})});  // room for one
  s.now += 1ms;
  out = s.answer(5, 1, {{7, 2, "b"}, {7, 3, "c"}});
  // b was due at 1 ms, c at 2 ms though the window held it back until 3 ms: both count it.
  CHECK(out.output == std::vector<std::string>{"decided 1 b 3000", "decided 1 c 2000"});
  CHECK(sent(out) == std::vector<Sent>{requestFrom7(1, {{7, 4, "d"}})});
}

TEST_CASE("Client (multi, streaming): endOfInput before the answers: DONE after the last one") {
  Stream s(4);
  s.add({"a", "b"});
  CHECK(s.end().messages.empty());  // a and b are not answered yet
  CHECK(sent(s.answer(5, 0, {{7, 1, "a"}}), Type::done).empty());
  CHECK(sent(s.answer(5, 1, {{7, 2, "b"}}), Type::done).size() == 7);
}

TEST_CASE(
    "Client (multi, streaming): the timeout runs from the first value added to an idle stream, "
    "not from START") {
  Stream s(4);
  s.now += 1s;  // idle since START: no deadline meanwhile
  Time added = s.now;
  s.add({"a"});
  std::optional<Outbox> gaveUp;
  for (int step = 0; step < 1000 && !gaveUp; ++step) {
    REQUIRE(s.client->nextWake().has_value());
    s.now = std::max(s.now, *s.client->nextWake());
    Outbox tick;
    s.client->tick(s.now, tick);
    if (!sent(tick, Type::done).empty()) gaveUp = tick;
  }
  REQUIRE(gaveUp.has_value());
  CHECK(s.now == added + s.timing.clientTimeout);
}

TEST_CASE("Client (multi, streaming): an input that ends empty sends DONE at once, START or not") {
  for (bool started : {false, true}) {
    CAPTURE(started);
    auto cluster = multiCluster();
    core::Timing timing;
    core::Client client(cluster, timing, 7, 0);
    Outbox out;
    client.start(Time(1s), out);
    if (started) client.receive(Time(1s), start(6, 6, cluster.roles()), out);
    out.clear();
    client.endOfInput(Time(2s), out);
    CHECK(destinations(out, Type::done).size() == 7);
  }
}

TEST_CASE("Leadership: only a proposer a majority of acceptors answers leads; acceptors relay it") {
  auto cluster = multiCluster();
  core::Timing timing;
  core::Leadership low(cluster, timing, 0), high(cluster, timing, 1);
  Time now = Time(1s);
  low.start(now);
  high.start(now);
  CHECK(low.leader(now, 0) == 1);  // at start everyone counts as heard: the highest leads
  // 300 ms later: acceptors 2 and 3 answer proposer 0, none answers proposer 1, whose heartbeats
  // still reach proposer 0 directly.
  now += 300ms;
  Message probe = test::from(2, Type::heartbeat);
  low.heard(now, probe);
  low.heard(now, test::from(3, Type::heartbeat));
  low.heard(now, test::from(1, Type::heartbeat));
  CHECK(low.reaches(now, 0));
  CHECK_FALSE(high.reaches(now, 0));
  CHECK(high.leader(now, 0) == 1);  // hearing nobody better, it tries, at worst in vain
  // Proposer 1 stops heartbeating proposers when it does not reach the acceptors: 0 takes over.
  now += timing.leaderTimeout;
  low.heard(now, test::from(2, Type::heartbeat));
  low.heard(now, test::from(4, Type::heartbeat));
  CHECK(low.leader(now, 0) == 0);
  // A REQUEST proposer 1 forwards says nothing of the acceptors: it does not count.
  low.heard(now, test::from(1, Type::request));
  CHECK(low.leader(now, 0) == 0);
  // An acceptor relays the ballot 1.1 it promised: proposer 1 leads and reaches them, though 0
  // cannot hear it.
  probe.ballot = {1, 1};
  low.heard(now, probe);
  CHECK(low.leader(now, 0) == 1);
}
