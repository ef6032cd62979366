// The learner's rule: a value is chosen when a majority of distinct acceptors accepted it in the
// same ballot. Cluster: proposers 0-1, acceptors 2-4 (quorum 2), learner 5, clients 6-7.
#include "core/learner.hpp"

#include <doctest/doctest.h>

#include "messages.hpp"

using namespace paxos;
using namespace paxos::test;
using core::Outbox;

namespace {

struct Fixture {
  core::Cluster cluster{2, 3, 1, 2, kHash};
  core::Learner learner{cluster};

  Outbox deliver(const Message& m) {
    Outbox out;
    learner.receive(m, out);
    return out;
  }
};

// What a learner sends when it decides `value`: DECIDED to every client, then every proposer.
std::vector<Sent> decidedToAll(const std::string& value) {
  std::vector<Sent> list;
  for (uint32_t to : {6u, 7u, 0u, 1u})
    list.push_back({.to = to, .type = Type::decided, .value = value});
  return list;
}

}  // namespace

TEST_CASE(
    "Learn: ACCEPTED from a majority of acceptors in one ballot decides, and tells everyone") {
  Fixture f;
  Outbox out = f.deliver(accepted(2, {1, 0}, "apple"));
  CHECK(out.messages.empty());
  CHECK_FALSE(out.decided.has_value());
  out = f.deliver(accepted(3, {1, 0}, "apple"));
  CHECK(sent(out) == decidedToAll("apple"));
  CHECK(out.decided == "apple");
  CHECK(f.learner.decided() == "apple");
}

TEST_CASE("Learn: a duplicate ACCEPTED from the same acceptor counts once") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  Outbox out = f.deliver(accepted(2, {1, 0}, "apple"));
  CHECK(out.messages.empty());
  CHECK_FALSE(out.decided.has_value());
  CHECK_FALSE(f.learner.decided().has_value());
}

TEST_CASE("Learn: ACCEPTED in different ballots do not add up to a majority") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  Outbox out = f.deliver(accepted(3, {2, 1}, "pear"));
  CHECK(out.messages.empty());
  CHECK_FALSE(f.learner.decided().has_value());
  // Even with the same value: a ballot is the unit of agreement.
  out = f.deliver(accepted(4, {3, 0}, "apple"));
  CHECK(out.messages.empty());
  CHECK_FALSE(f.learner.decided().has_value());
  // A second acceptor in ballot 2.1 completes that ballot's majority.
  out = f.deliver(accepted(4, {2, 1}, "pear"));
  CHECK(out.decided == "pear");
}

TEST_CASE("Learn: ACCEPTED from a node that is not an acceptor does not count") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  for (uint32_t sender : {0u, 5u, 6u}) {  // a proposer, a learner, a client
    CAPTURE(sender);
    Outbox out = f.deliver(accepted(sender, {1, 0}, "apple"));
    CHECK(out.messages.empty());
    CHECK_FALSE(out.decided.has_value());
  }
  CHECK_FALSE(f.learner.decided().has_value());
}

TEST_CASE("Learn: two values under one ballot are not counted together") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  Outbox out = f.deliver(accepted(3, {1, 0}, "pear"));  // a broken proposer
  CHECK(out.messages.empty());
  CHECK_FALSE(f.learner.decided().has_value());
}

TEST_CASE("Integrity: Outbox::decided is set exactly once, in the step that decides") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  CHECK(f.deliver(accepted(3, {1, 0}, "apple")).decided == "apple");
  Outbox out = f.deliver(accepted(4, {1, 0}, "apple"));  // the third, after the majority
  CHECK_FALSE(out.decided.has_value());
}

TEST_CASE(
    "Learn: after deciding, a late ACCEPTED is answered with DECIDED to its ballot's proposer") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  f.deliver(accepted(3, {1, 0}, "apple"));
  Outbox out = f.deliver(accepted(4, {1, 0}, "apple"));
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::decided, .value = "apple"}});
  // A proposer still working on a later ballot is stopped the same way, with the chosen value.
  out = f.deliver(accepted(2, {2, 1}, "apple"));
  CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::decided, .value = "apple"}});
  CHECK_FALSE(out.decided.has_value());
}

TEST_CASE("Agreement: a decision never changes, even if a majority later reports another value") {
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  f.deliver(accepted(3, {1, 0}, "apple"));
  // Impossible in a correct run (P2c), so this is the learner's own guard.
  for (uint32_t acceptor : {2u, 3u, 4u}) {
    CAPTURE(acceptor);
    Outbox out = f.deliver(accepted(acceptor, {5, 1}, "pear"));
    CHECK(sent(out) == std::vector<Sent>{{.to = 1, .type = Type::decided, .value = "apple"}});
    CHECK_FALSE(out.decided.has_value());
  }
  CHECK(f.learner.decided() == "apple");
}

TEST_CASE("Learn: DECIDED from a proposer that counted a majority itself decides, once") {
  // Covers a learner whose own ACCEPTEDs were lost.
  Fixture f;
  f.deliver(accepted(2, {1, 0}, "apple"));
  Outbox out = f.deliver(decided(0, "apple"));
  CHECK(out.decided == "apple");
  CHECK(out.messages.empty());  // the proposer has told its clients
  CHECK(f.learner.decided() == "apple");
  out = f.deliver(decided(1, "apple"));
  CHECK_FALSE(out.decided.has_value());
  // Later ACCEPTEDs are answered as after any decision.
  out = f.deliver(accepted(3, {1, 0}, "apple"));
  CHECK(sent(out) == std::vector<Sent>{{.to = 0, .type = Type::decided, .value = "apple"}});
}

TEST_CASE("Learn: DECIDED from a node that is not a proposer is ignored") {
  Fixture f;
  for (uint32_t sender : {2u, 5u, 6u}) {  // an acceptor, a learner, a client
    CAPTURE(sender);
    Outbox out = f.deliver(decided(sender, "forged"));
    CHECK(out.messages.empty());
    CHECK_FALSE(out.decided.has_value());
  }
  CHECK_FALSE(f.learner.decided().has_value());
}

TEST_CASE("Learn: messages other than ACCEPTED or DECIDED, or for another instance, are ignored") {
  Fixture f;
  for (const Message& m : {prepare(0, {1, 0}), accept(0, {1, 0}, "x"), promise(2, {1, 0})}) {
    CAPTURE(m.type);
    CHECK(f.deliver(m).messages.empty());
  }
  Message other = accepted(2, {1, 0}, "x");
  other.instance = 1;
  f.deliver(other);
  other.from = 3;
  Outbox out = f.deliver(other);
  CHECK(out.messages.empty());
  Message otherDecided = decided(0, "x");
  otherDecided.instance = 1;
  CHECK_FALSE(f.deliver(otherDecided).decided.has_value());
  CHECK_FALSE(f.learner.decided().has_value());
}
