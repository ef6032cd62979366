// The multi-mode checker on literal steps: each invariant it claims must be able to fail, since
// no protocol mutant exercises it (the seeds in sim_test.cpp only show that it passes).
#include "sim/log_checker.hpp"

#include <doctest/doctest.h>

#include "wire/batch.hpp"

using namespace paxos;
using sim::LogChecker;
using wire::Type;

namespace {

// UIDs: proposer 0, acceptors 1-3, learners 4-5, client 6 (values c6v0, c6v1, c6v2).
const core::Cluster& cluster() {
  static const core::Cluster c(1, 3, 2, 1, 0x5eed, config::Mode::multi);
  return c;
}

std::vector<std::vector<std::string>> streams() {
  return {{"c6v0", "c6v1", "c6v2"}};
}

std::string batch(std::vector<uint64_t> requests) {
  std::vector<wire::Command> commands;
  for (uint64_t r : requests) commands.push_back({6, r, "c6v" + std::to_string(r - 1)});
  return wire::encodeBatch(commands);
}

// Acceptors 1 and 2 (a majority) accept `value` for `slot` under ballot (round, 0).
void choose(LogChecker& checker, uint64_t slot, const std::string& value, uint64_t round = 1) {
  for (uint32_t acceptor : {1u, 2u}) {
    core::Outbox out;
    core::AcceptorState state{{round, 0}, {round, 0}, value};
    out.persist.emplace_back(slot, state);
    checker.acceptorStep(acceptor, out);
  }
}

// A learner's step that delivers `values` at `slot`, answering the client as LogLearner does.
core::Outbox deliver(uint64_t slot, std::vector<uint64_t> requests) {
  core::Outbox out;
  for (uint64_t r : requests) {
    std::string value = "c6v" + std::to_string(r - 1);
    out.output.push_back(value);
    out.event("deliver", slot, {}, value);
  }
  wire::Message answer;
  answer.type = Type::decided;
  answer.instance = slot;
  answer.value = batch(requests);
  out.send(6, answer);
  return out;
}

core::Outbox print(uint64_t slot, const std::string& value) {
  core::Outbox out;
  out.output.push_back("decided " + std::to_string(slot) + " " + value);
  return out;
}

}  // namespace

TEST_CASE("LogChecker: learners that agree, and a client told the right slot, pass") {
  LogChecker checker(cluster(), streams(), false);
  checker.learnerStarted(4);
  checker.learnerStarted(5);
  choose(checker, 0, batch({1, 2}));
  choose(checker, 1, batch({3}));
  checker.learnerStep(4, deliver(0, {1, 2}), 0, 1);
  checker.learnerStep(4, deliver(1, {3}), 1, 2);
  checker.learnerStep(5, deliver(0, {1, 2}), 0, 1);
  checker.clientStep(6, print(0, "c6v0"));
  CHECK_FALSE(checker.violation());
  CHECK_FALSE(checker.complete());  // the client has one of three; learner 5 two of three
  checker.learnerStep(5, deliver(1, {3}), 1, 2);
  checker.clientStep(6, print(0, "c6v1"));
  checker.clientStep(6, print(1, "c6v2"));
  CHECK(checker.complete());
  CHECK_FALSE(checker.violation());
  CHECK(checker.clientSlots(6) == std::vector<std::optional<uint64_t>>{0, 0, 1});
}

TEST_CASE("LogChecker: a learner that skips a slot another learner delivered breaks total order") {
  LogChecker checker(cluster(), streams(), false);
  checker.learnerStarted(4);
  checker.learnerStarted(5);
  choose(checker, 0, batch({1}));
  choose(checker, 1, batch({2}));
  choose(checker, 2, batch({3}));
  checker.learnerStep(4, deliver(0, {1}), 0, 1);
  checker.learnerStep(4, deliver(1, {2}), 1, 2);
  checker.learnerStep(5, deliver(0, {1}), 0, 1);
  checker.learnerStep(5, deliver(2, {3}), 1, 3);  // as if slot 1 held nothing for it
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("total order") == 0);
}

TEST_CASE("LogChecker: a value delivered twice by one learner breaks integrity") {
  LogChecker checker(cluster(), streams(), false);
  checker.learnerStarted(4);
  choose(checker, 0, batch({1}));
  choose(checker, 1, batch({1}));  // proposed twice: legal, but delivered once
  checker.learnerStep(4, deliver(0, {1}), 0, 1);
  checker.learnerStep(4, deliver(1, {1}), 1, 2);
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("integrity") == 0);
}

TEST_CASE(
    "LogChecker: two values chosen for one slot, or a delivery nobody chose, break agreement") {
  LogChecker checker(cluster(), streams(), false);
  choose(checker, 0, batch({1}), 1);
  choose(checker, 0, batch({2}), 2);
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("agreement: slot 0 chose") == 0);

  LogChecker unchosen(cluster(), streams(), false);
  unchosen.learnerStarted(4);
  choose(unchosen, 0, batch({1}));
  unchosen.learnerStep(4, deliver(0, {2}), 0, 1);
  REQUIRE(unchosen.violation());
  CHECK(unchosen.violation()->find("agreement") == 0);
}

TEST_CASE("LogChecker: one ballot with two values at one slot is caught") {
  LogChecker checker(cluster(), streams(), false);
  core::Outbox a, b;
  a.persist.emplace_back(0, core::AcceptorState{{1, 0}, {1, 0}, batch({1})});
  b.persist.emplace_back(0, core::AcceptorState{{1, 0}, {1, 0}, batch({2})});
  checker.acceptorStep(1, a);
  checker.acceptorStep(2, b);
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("slot 0 ballot 1.0") == 0);
}

TEST_CASE("LogChecker: a value no client submitted, or under another request id, breaks validity") {
  LogChecker checker(cluster(), streams(), false);
  choose(checker, 0, wire::encodeBatch({{6, 2, "c6v0"}}));  // c6v0 is request 1
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("validity") == 0);
}

TEST_CASE("LogChecker: a client printing a slot the learners did not deliver it at is caught") {
  LogChecker checker(cluster(), streams(), false);
  checker.learnerStarted(4);
  choose(checker, 0, batch({1}));
  checker.learnerStep(4, deliver(0, {1}), 0, 1);
  checker.clientStep(6, print(3, "c6v0"));
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("client n6 printed c6v0 at slot 3") == 0);
}

TEST_CASE("LogChecker: a promise lowered, for one slot or for all, is caught") {
  LogChecker checker(cluster(), streams(), false);
  core::Outbox high, low;
  high.persistPromisedAll = wire::Ballot{3, 0};
  low.persistPromisedAll = wire::Ballot{2, 0};
  checker.acceptorStep(1, high);
  checker.acceptorStep(1, low);
  REQUIRE(checker.violation());
  CHECK(checker.violation()->find("acceptor n1 lowered") == 0);
}

TEST_CASE(
    "LogChecker: after a skip, a copy of a value from below the skip is counted, not failed") {
  LogChecker checker(cluster(), streams(), false);
  checker.learnerStarted(4);
  checker.learnerStarted(5);
  choose(checker, 0, batch({1}));
  choose(checker, 1, batch({2}));
  choose(checker, 2, batch({1, 3}));  // c6v0 again: its client resent it to a new leader
  for (uint32_t learner : {4u, 5u}) {
    checker.learnerStep(learner, deliver(0, {1}), 0, 1);
    checker.learnerStep(learner, deliver(1, {2}), 1, 2);
    checker.learnerStep(learner, deliver(2, {3}), 2, 3);
  }
  checker.learnerStarted(5);  // restarted; the acceptors forgot slots 0 and 1
  checker.learnerSkipped(5, 2);
  checker.learnerStep(5, deliver(2, {1, 3}), 2, 3);
  CHECK_FALSE(checker.violation());
  CHECK(checker.repeats() == 1);
  CHECK(checker.duplicates() == 1);
  // But a skipped learner that delivers a value at a slot nobody chose it at is still caught.
  checker.learnerStarted(4);
  checker.learnerSkipped(4, 2);
  checker.learnerStep(4, deliver(2, {2}), 2, 3);
  CHECK(checker.violation());
}
