// The membership history (core/membership.hpp, docs/MEMBERSHIP.md) from literal commands: a
// change governs from its slot + alpha, only one change per epoch applies, the horizon, and
// histories passed between nodes.
#include "core/membership.hpp"

#include <doctest/doctest.h>

#include "core/node.hpp"

using namespace paxos;
using core::Change;
using core::Configuration;
using core::Membership;

namespace {

Configuration initial() {
  Configuration c;
  c.proposers = {0, 1};
  c.acceptors = {2, 3, 4};
  c.learners = {5, 6};
  return c;
}

wire::Command changeCommand(uint32_t learner, uint64_t id, uint64_t from,
                            std::vector<uint32_t> acceptors) {
  Change c{from, initial()};
  c.next.epoch = from + 1;
  c.next.acceptors = std::move(acceptors);
  return {core::changeClient(learner), id, core::encodeChange(c)};
}

}  // namespace

TEST_CASE("membership: a change decided at slot s governs from s + alpha, and only then") {
  Membership m(initial(), 4);
  CHECK(m.horizon() == 4);
  m.deliver(0, {});
  m.deliver(1, {{5, 1, "a value"}, changeCommand(5, 1, 0, {2, 3, 7})});
  CHECK(m.through() == 2);
  CHECK(m.horizon() == 6);
  CHECK(m.latest().epoch == 1);
  CHECK(m.at(4).acceptors == std::vector<uint32_t>{2, 3, 4});  // slots 2..4 are still epoch 0's
  CHECK(m.at(5).acceptors == std::vector<uint32_t>{2, 3, 7});
  CHECK(m.acceptorsFrom(3) == std::set<uint32_t>{2, 3, 4, 7});
  CHECK(m.acceptorsFrom(5) == std::set<uint32_t>{2, 3, 7});
}

TEST_CASE("membership: of two changes built from one epoch only the first decided applies") {
  Membership m(initial(), 2);
  m.deliver(0, {changeCommand(5, 1, 0, {2, 3}), changeCommand(6, 1, 0, {3, 4})});
  m.deliver(1, {changeCommand(6, 2, 0, {4})});
  CHECK(m.latest().epoch == 1);
  CHECK(m.latest().acceptors == std::vector<uint32_t>{2, 3});
}

TEST_CASE("membership: a slot past through() changes nothing; a change moving a UID is void") {
  Membership m(initial(), 2);
  m.deliver(3, {changeCommand(5, 1, 0, {2})});  // slots 0..2 unknown here: cannot apply
  CHECK(m.through() == 0);
  CHECK(m.latest().epoch == 0);
  Change moved{0, initial()};
  moved.next.epoch = 1;
  moved.next.acceptors = {2, 3, 5};  // 5 is a learner for life
  moved.next.learners = {6};
  m.deliver(0, {{core::changeClient(5), 1, core::encodeChange(moved)}});
  CHECK(m.latest().epoch == 0);
  CHECK(m.through() == 1);
}

TEST_CASE(
    "membership: a peer's history that reaches further is adopted, older configurations "
    "kept") {
  Membership ahead(initial(), 2), behind(initial(), 2);
  for (uint64_t s = 0; s < 10; ++s)
    ahead.deliver(s, s == 3 ? std::vector<wire::Command>{changeCommand(5, 1, 0, {2, 3, 7})}
                            : std::vector<wire::Command>{});
  ahead.forget(8);  // the acceptors forgot the slots below 8: epoch 0 is no longer needed there
  CHECK(ahead.configs().size() == 1);
  CHECK(behind.adopt(ahead.encode(), ahead.through()));
  CHECK(behind.through() == 10);
  CHECK(behind.at(1).acceptors == std::vector<uint32_t>{2, 3, 4});  // its own, kept
  CHECK(behind.at(5).acceptors == std::vector<uint32_t>{2, 3, 7});
  CHECK_FALSE(behind.adopt(ahead.encode(), ahead.through()));  // not further
  CHECK_FALSE(behind.adopt("garbage", 20));
  CHECK(behind.through() == 10);
  Membership fresh(initial(), 2);
  CHECK(fresh.encode().empty());  // the hosts file alone
  CHECK(fresh.adopt("", 7));
  CHECK(fresh.through() == 7);
}

TEST_CASE("membership: a removed acceptor is still known as one; bad configurations refused") {
  Membership m(initial(), 2);
  m.deliver(0, {changeCommand(5, 1, 0, {2, 3})});
  CHECK(m.ever(4, wire::Role::acceptor));
  CHECK(m.members().contains(4));
  Configuration bad = initial();
  bad.acceptors = {};
  CHECK(bad.invalid());
  bad = initial();
  bad.learners = {4, 5};
  CHECK(bad.invalid());  // 4 twice
  bad = initial();
  bad.addresses[9] = "host:1";
  CHECK(bad.invalid());  // an address for no member
  CHECK_FALSE(core::decodeChange("short"));
}

TEST_CASE(
    "membership: a history whose epochs do not fit this node's is refused (fuzz_wire found "
    "one that merged into two epoch-0 configurations)") {
  Membership ours(initial(), 4);
  // A peer claims epoch 0 again from slot 6: with ours kept below it, epochs would not ascend.
  Configuration c = initial();
  c.acceptors = {2};
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  w.u16(1);
  w.u64(6);
  c.encode(w);
  CHECK_FALSE(ours.adopt(std::string(bytes.begin(), bytes.end()), 5));
  CHECK(ours.through() == 0);
  CHECK(ours.latest() == initial());
}

TEST_CASE(
    "membership: a joined learner that restarts from its snapshot plays at once; a new one "
    "waits to be listed") {
  core::Cluster cluster(2, 3, 2, 0, 77, config::Mode::multi, true, 4);  // UIDs 0-6, no clients
  core::Timing timing;
  Membership m = cluster.membership();
  Change add{0, m.latest()};
  add.next.epoch = 1;
  add.next.learners = {5, 6, 9};
  add.next.addresses[9] = "127.0.0.1:10109";
  m.deliver(0, {{core::changeClient(5), 1, core::encodeChange(add)}});
  core::Node fresh(cluster, timing, 9, 1, {}, {}, wire::Role::learner);
  core::Outbox out;
  fresh.start(core::Time(0), out);
  CHECK(fresh.role() == wire::Role::none);  // nothing tells it yet that it is a member
  core::LearnerStart start{5, {}, 1, m.encode(), m.through()};
  core::Node restarted(cluster, timing, 9, 1, {}, start, wire::Role::learner);
  restarted.start(core::Time(0), out);
  CHECK(restarted.role() == wire::Role::learner);
  // It is on no Chang-Roberts ring: it never walks one. (It did once it played, and with every
  // hosts-file node silent, so suspected, the walk never came back to it: paxos-sim --long,
  // members hunt seed 402, hung there.)
  for (int ms = 1; ms <= 5000; ms += 50) {
    core::Outbox tick;
    restarted.tick(core::Time(std::chrono::milliseconds(ms)), tick);
    for (const auto& sent : tick.messages) CHECK(sent.message.type != wire::Type::elect);
  }
}
