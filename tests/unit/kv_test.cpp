// The key-value replica's pure parts (docs/KV.md): commands, the store's semantics (versions,
// compare-and-swap, seed 002's rounds, de-duplication by request id), snapshots, and a
// service-mode learner that submits its own commands and applies each exactly once.
#include <doctest/doctest.h>

#include "core/log_learner.hpp"
#include "core/node.hpp"
#include "kv/replica.hpp"
#include "messages.hpp"
#include "service/kv_service.hpp"
#include "wire/batch.hpp"

using namespace paxos;
using kv::Command;
using kv::Op;
using kv::Status;

namespace {
Command put(std::string key, std::string value, std::optional<uint64_t> prev = {},
            std::string id = {}) {
  return Command{Op::put, std::move(key), std::move(value), prev, 0, std::move(id)};
}
Command erase(std::string key, std::optional<uint64_t> prev = {}) {
  return Command{Op::erase, std::move(key), {}, prev, 0, {}};
}
Command get(std::string key) {
  return Command{Op::get, std::move(key), {}, std::nullopt, 0, {}};
}
}  // namespace

TEST_CASE("kv commands: encode and decode round trip, and malformed bytes are refused") {
  Command c = put("a/b", std::string("\0\xff", 2), 7, "req-1");
  CHECK(kv::decode(kv::encode(c)) == c);
  Command l{Op::list, "pre", {}, std::nullopt, 10, {}};
  CHECK(kv::decode(kv::encode(l)) == l);
  std::string bytes = kv::encode(c);
  CHECK_FALSE(kv::decode(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(kv::decode(bytes + "x"));
  CHECK_FALSE(kv::decode("hello"));  // a plain client value in the log is no KV command
  bytes[1] = 99;                     // no such op
  CHECK_FALSE(kv::decode(bytes));
  CHECK_FALSE(kv::decode(kv::encode(put(std::string(kv::kMaxKey + 1, 'k'), "v"))));
}

TEST_CASE("kv store: versions are the map's revision; compare-and-swap holds on it") {
  kv::Store s;
  auto r = s.apply(1, put("a", "1"));
  CHECK(r.status == Status::created);
  CHECK(r.version == 1);
  r = s.apply(2, put("b", "x"));
  CHECK(r.version == 2);
  r = s.apply(3, put("a", "2", 1));  // compare holds
  CHECK(r.status == Status::ok);
  CHECK(r.version == 3);
  r = s.apply(4, put("a", "3", 1));  // stale compare
  CHECK(r.status == Status::failed);
  CHECK(r.version == 3);
  CHECK(s.find("a")->value == "2");
  CHECK(s.apply(5, put("a", "x", 0)).status == Status::failed);  // create-only, but it exists
  CHECK(s.apply(5, put("c", "x", 0)).status == Status::created);
  CHECK(s.apply(6, erase("a", 2)).status == Status::failed);
  CHECK(s.apply(6, erase("a", 3)).status == Status::ok);
  CHECK(s.apply(7, erase("a")).status == Status::notFound);
  CHECK(s.apply(7, get("a")).status == Status::notFound);
  // Created again: a new version, never an old one (no ABA for compare-and-swap).
  r = s.apply(8, put("a", "again"));
  CHECK(r.status == Status::created);
  CHECK(r.version == 6);
  auto g = s.apply(9, get("a"));
  CHECK(g.value == "again");
  CHECK(g.version == 6);
  CHECK(g.slot == 9);
}

TEST_CASE("kv store: listing by prefix, in key order, with a limit") {
  kv::Store s;
  for (auto k : {"b", "a/2", "a/1", "a/3", "ab"}) s.apply(1, put(k, k));
  auto r = s.list("a/", 2);
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].key == "a/1");
  CHECK(r.items[1].key == "a/2");
  CHECK(r.more);
  r = s.list("a/", 3);
  CHECK(r.items.size() == 3);
  CHECK_FALSE(r.more);
  CHECK(s.list("", 100).items.size() == 5);
}

TEST_CASE("kv store: a write retried under one request id applies once, answered alike") {
  kv::Store s;
  auto first = s.apply(1, put("k", "v1", std::nullopt, "id-1"));
  s.apply(2, put("k", "other"));
  auto again = s.apply(3, put("k", "v1", std::nullopt, "id-1"));  // the retry, at a later slot
  CHECK(again.duplicate);
  CHECK(again.version == first.version);
  CHECK(again.slot == 1);
  CHECK(s.find("k")->value == "other");  // not applied a second time
  CHECK(s.revision() == 2);
}

TEST_CASE("kv store: a request id sent again with another write is refused, not applied") {
  kv::Store s;
  auto first = s.apply(1, put("k", "v1", std::nullopt, "id-1"));
  CHECK(s.apply(2, put("k", "v2", std::nullopt, "id-1")).status == Status::reused);
  CHECK(s.apply(2, put("other", "v1", std::nullopt, "id-1")).status == Status::reused);
  CHECK(s.apply(2, Command{Op::erase, "k", {}, std::nullopt, 0, "id-1"}).status == Status::reused);
  CHECK(s.find("k")->value == "v1");
  CHECK_FALSE(s.find("other"));
  CHECK(s.revision() == first.version);
  // Snapshots keep the fingerprints: after a restore the same holds.
  auto back = kv::Store::deserialize(s.serialize());
  REQUIRE(back);
  CHECK(back->apply(3, put("k", "v2", std::nullopt, "id-1")).status == Status::reused);
  CHECK(back->apply(3, put("k", "v1", std::nullopt, "id-1")).version == first.version);
}

TEST_CASE("kv store: seed 002's rounds: the first value proposed wins, reset starts a new round") {
  kv::Store s;
  Command propose3{Op::propose, {}, "3", std::nullopt, 0, {}};
  Command propose4{Op::propose, {}, "4", std::nullopt, 0, {}};
  CHECK(s.apply(1, propose3).value == "3");
  CHECK(s.apply(1, propose4).value == "3");  // posted to another node at once: one value
  auto reset = s.apply(2, Command{Op::reset, {}, {}, std::nullopt, 0, {}});
  CHECK(reset.round == 1);
  CHECK_FALSE(s.apply(3, Command{Op::state, {}, {}, std::nullopt, 0, {}}).value);
  CHECK(s.apply(3, propose4).value == "4");
}

TEST_CASE("kv snapshot: the store, the log's request table and the slot come back whole") {
  kv::Snapshot snap;
  snap.slot = 42;
  snap.store.apply(1, put("a", "1", std::nullopt, "id"));
  snap.store.apply(2, Command{Op::propose, {}, "x", std::nullopt, 0, {}});
  snap.requests.add(7, 3, 40);
  auto bytes = kv::encodeSnapshot(snap);
  auto back = kv::decodeSnapshot(bytes);
  REQUIRE(back);
  CHECK(back->slot == 42);
  CHECK(back->store == snap.store);
  CHECK(back->requests.slotOf(7, 3) == 40);
  // The de-duplication table survives too: the retry after a restart is still a duplicate.
  CHECK(back->store.apply(50, put("a", "1", std::nullopt, "id")).duplicate);
  for (size_t cut = 0; cut < bytes.size(); cut += 7)
    CHECK_FALSE(kv::decodeSnapshot(bytes.substr(0, cut)));
}

TEST_CASE("kv replica: applies every replica's writes, answers only its own commands") {
  kv::Replica r(5);
  std::vector<std::pair<uint64_t, wire::Command>> delivered{
      {0, {6, 1, kv::encode(put("a", "from 6"))}},
      {0, {5, 9, kv::encode(get("a"))}},
      {1, {6, 2, "not a kv command"}},
      {1, {6, 3, kv::encode(get("a"))}},  // another replica's read: nothing to do here
  };
  auto mine = r.apply(delivered);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].first == 9);
  CHECK(mine[0].second.value == "from 6");
  CHECK(r.skipped() == 1);
}

namespace {
// Service mode: proposers 0-1, acceptors 2-4, learners 5-6, no clients.
core::Cluster serviceCluster() {
  return core::Cluster(2, 3, 2, 0, test::kHash, config::Mode::multi, true);
}
wire::Message accepted(uint32_t acceptor, uint64_t slot, const std::string& value) {
  wire::Message m = test::from(acceptor, wire::Type::accepted, slot);
  m.ballot = {1, 1};
  m.value = value;
  return m;
}
}  // namespace

TEST_CASE(
    "service learner: its own commands go to the leader it hears, and are resent until "
    "it delivers them") {
  core::Cluster cluster = serviceCluster();
  core::Timing timing;
  core::LogLearner l(cluster, timing, 5, core::LearnerStart{0, {}, 100, {}, 0});
  core::Outbox out;
  core::Time t{};
  wire::Message hb = test::from(1, wire::Type::heartbeat, 0);
  hb.ballot = {1, 1};
  l.receive(t, hb, out);
  CHECK(l.leader(t) == 1u);
  uint64_t id = l.submit(kv::encode(put("a", "1")));
  CHECK(id == 100);
  l.flushSubmitted(t, out);
  REQUIRE(out.messages.size() == 1);
  CHECK(out.messages[0].to == 1);
  CHECK(out.messages[0].message.type == wire::Type::request);
  auto batch = wire::decodeBatch(out.messages[0].message.value);
  REQUIRE(batch);
  CHECK((*batch)[0].client == 5);
  CHECK((*batch)[0].request == 100);
  out.clear();
  // Nothing delivered after the retry period: sent again.
  t += timing.requestRetry;
  l.tick(t, out);
  int requests = 0;
  for (auto& e : out.messages) requests += e.message.type == wire::Type::request;
  CHECK(requests == 1);
  out.clear();
  // A majority of acceptors reports it: delivered, handed to the replica, never sent again.
  std::string slot0 = wire::encodeBatch({{5, 100, kv::encode(put("a", "1"))}});
  l.receive(t, accepted(2, 0, slot0), out);
  l.receive(t, accepted(3, 0, slot0), out);
  REQUIRE(out.delivered.size() == 1);
  CHECK(out.delivered[0].first == 0);
  CHECK(out.delivered[0].second.request == 100);
  CHECK(out.output.empty());  // a service learner prints nothing
  out.clear();
  // The same command again in a later slot (a resend a new leader proposed): applied once.
  std::string slot1 = wire::encodeBatch({{5, 100, kv::encode(put("a", "1"))}});
  l.receive(t, accepted(2, 1, slot1), out);
  l.receive(t, accepted(3, 1, slot1), out);
  CHECK(out.delivered.empty());
  CHECK(l.next() == 2);
  out.clear();
  t += 10 * timing.retryMax;
  l.tick(t, out);
  for (auto& e : out.messages) CHECK(e.message.type != wire::Type::request);
  CHECK(l.submitted() == 0);
}

TEST_CASE(
    "service learner: starts at its snapshot, reports only what is in one, and never skips "
    "slots the acceptors forgot") {
  core::Cluster cluster = serviceCluster();
  core::Timing timing;
  core::RequestLog requests;
  requests.add(6, 1, 9);
  core::LogLearner l(cluster, timing, 5, core::LearnerStart{10, requests, 1, {}, 0});
  CHECK(l.next() == 10);
  core::Outbox out;
  core::Time t{};
  // A command delivered before the snapshot, proposed again: not delivered again.
  std::string again = wire::encodeBatch({{6, 1, kv::encode(put("a", "1"))}});
  l.receive(t, accepted(2, 10, again), out);
  l.receive(t, accepted(3, 10, again), out);
  CHECK(l.next() == 11);
  CHECK(out.delivered.empty());
  out.clear();
  l.tick(t, out);
  bool reported = false;
  for (auto& e : out.messages)
    if (e.message.type == wire::Type::progress) {
      CHECK(e.message.instance == 10);  // the snapshot's slot, not the 11 delivered
      reported = true;
    }
  CHECK(reported);
  out.clear();
  // The acceptors forgot up to 50: a replica must not jump (it would lose writes).
  l.receive(t, test::from(2, wire::Type::progress, 50), out);
  CHECK(l.next() == 11);
  CHECK(l.behindTrim() == 50);
}

TEST_CASE(
    "service learner: installing a peer's snapshot past the trim point restarts it at the "
    "snapshot's slot, with its request table, and delivers what follows exactly once") {
  core::Cluster cluster = serviceCluster();
  core::Timing timing;
  core::LogLearner l(cluster, timing, 5, core::LearnerStart{0, {}, 100, {}, 0});
  core::Outbox out;
  core::Time t{};
  // Slot 0 is delivered; slots 3 and 40 are decided but wait for the gap; slot 30 has one vote.
  std::string slot0 = wire::encodeBatch({{6, 1, kv::encode(put("a", "1"))}});
  l.receive(t, accepted(2, 0, slot0), out);
  l.receive(t, accepted(3, 0, slot0), out);
  std::string slot3 = wire::encodeBatch({{6, 3, kv::encode(put("b", "3"))}});
  l.receive(t, accepted(2, 3, slot3), out);
  l.receive(t, accepted(3, 3, slot3), out);
  std::string slot30 = wire::encodeBatch({{6, 30, kv::encode(put("c", "30"))}});
  l.receive(t, accepted(2, 30, slot30), out);
  // The snapshot's slot 40 holds a resend of request 20 (delivered at 25) and a new request 40.
  std::string slot40 =
      wire::encodeBatch({{6, 20, kv::encode(put("d", "20"))}, {6, 40, kv::encode(put("e", "40"))}});
  l.receive(t, accepted(2, 40, slot40), out);
  l.receive(t, accepted(3, 40, slot40), out);
  CHECK(l.next() == 1);
  out.clear();
  // Own command 100 went out and, unknown here, was decided at slot 12, below the trim point.
  wire::Message hb = test::from(0, wire::Type::heartbeat, 0);
  hb.ballot = {1, 0};
  l.receive(t, hb, out);
  CHECK(l.submit(kv::encode(put("mine", "x"))) == 100);
  l.flushSubmitted(t, out);
  CHECK(l.submitted() == 1);
  l.receive(t, test::from(2, wire::Type::progress, 35), out);
  CHECK(l.behindTrim() == 35);
  out.clear();

  SUBCASE("a snapshot at or before next() is refused and changes nothing") {
    CHECK_FALSE(l.install(t, 1, {}, "", 0, out));
    CHECK(l.next() == 1);
    CHECK(l.behindTrim() == 35);
    CHECK(out.delivered.empty());
  }
  SUBCASE("a snapshot at slot 40 restarts it there") {
    core::RequestLog requests;
    requests.add(6, 1, 0);
    requests.add(6, 20, 25);
    requests.add(5, 100, 12);
    REQUIRE(l.install(t, 40, requests, "", 0, out));
    CHECK(l.behindTrim() == 0);
    CHECK(l.submitted() == 0);  // its command is in the snapshot: never resent
    // Slot 40 was ready and is next: delivered at once, the resend of request 20 skipped.
    REQUIRE(out.delivered.size() == 1);
    CHECK(out.delivered[0].first == 40);
    CHECK(out.delivered[0].second.request == 40);
    CHECK(l.next() == 41);
    CHECK(l.requests().slotOf(6, 20) == 25u);
    CHECK(l.requests().slotOf(6, 40) == 40u);
    out.clear();
    // Below the snapshot nothing is delivered again: not slot 3 (dropped), not slot 30 completed.
    l.receive(t, accepted(3, 30, slot30), out);
    l.receive(t, accepted(4, 3, slot3), out);
    CHECK(out.delivered.empty());
    // A learner catching up gets slot 40 from it, and nothing below: it never had those.
    wire::Message ask = test::from(6, wire::Type::catchup, 0);
    ask.end = 41;
    l.receive(t, ask, out);
    int decided = 0;
    for (auto& e : out.messages)
      if (e.message.type == wire::Type::decided) {
        CHECK(e.message.instance == 40);
        ++decided;
      }
    CHECK(decided == 1);
    out.clear();
    // It reports only what is on its disk: the service writes the snapshot, then snapshotted().
    l.snapshotted(40);
    t += timing.heartbeat;
    l.tick(t, out);
    bool reported = false;
    for (auto& e : out.messages)
      if (e.message.type == wire::Type::progress) {
        CHECK(e.message.instance == 40);
        reported = true;
      }
    CHECK(reported);
  }
}

// Regression: KvService::feed once asked the learner itself to send the commands submitted over
// HTTP, so they left without the Node's stamp (from 0, hosts hash 0); the leader dropped them as
// "claiming uid 0 from another address", and every command waited for the learner's 40 ms resend.
TEST_CASE("service: commands submitted over HTTP leave stamped with the learner's uid and hash") {
  core::Cluster cluster = serviceCluster();
  core::Timing timing;
  core::Node node(cluster, timing, 5, 1);
  core::Outbox out;
  // KvService reads the steady clock (a leader counts only if heard within the leader timeout).
  core::Time t = std::chrono::steady_clock::now().time_since_epoch();
  node.start(t, out);
  wire::Message start = test::from(6, wire::Type::start);  // the ring's leader assigns roles
  start.uid = 6;
  start.roles = cluster.roles();
  node.receive(t, start, out);
  wire::Message hb = test::from(1, wire::Type::heartbeat, 0);
  hb.ballot = {1, 1};
  node.receive(t, hb, out);
  out.clear();
  asio::io_context io;
  service::KvService kv(io, node, {}, nullptr, std::nullopt);
  kv.submit(put("a", "1"), [](const service::Outcome&) {});
  kv.feed(t, out);
  int requests = 0;
  for (const auto& e : out.messages) {
    if (e.message.type != wire::Type::request) continue;
    ++requests;
    CHECK(e.to == 1);
    CHECK(e.message.from == 5);
    CHECK(e.message.hostsHash == test::kHash);
  }
  CHECK(requests == 1);
}
