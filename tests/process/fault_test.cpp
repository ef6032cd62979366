// Crashes injected into real processes (SIGKILL at start, or --crash-at at a protocol event).
// With 3 acceptors one may die at any point and the cluster still decides; with two dead,
// nothing wrong is ever decided and the clients give up with a non-zero exit.
#include <doctest/doctest.h>

#include <set>

#include "cluster_run.hpp"

using namespace paxos::test;

namespace {

// run3's layout: UID 0 proposes, 1-3 accept, 4 learns, 5-8 are clients.
Scenario threeAcceptors(const std::string& name) {
  Scenario s = seedRun3();
  s.name = name;
  s.nodeArgs = {"--idle-timeout", "4000"};
  s.clientArgs = {"--timeout", "2000"};
  return s;
}

// Agreement and validity over whatever the clients printed; a client without a decision must
// have failed. Returns how many clients decided.
size_t checkSafe(const Scenario& s, const Outcome& o, const std::set<int>& crashed) {
  INFO(o.describe());
  REQUIRE(o.allExited);
  std::set<std::string> values, proposed;
  for (auto& c : s.clients) proposed.insert(c.value);
  auto decisions = o.clientDecisions();
  for (auto& [uid, value] : decisions) values.insert(value);
  CHECK(values.size() <= 1);
  for (auto& v : values) CHECK(proposed.contains(v));
  for (auto& [uid, code] : o.status) {
    if (crashed.contains(uid)) continue;
    bool client = uid >= o.consensus;
    if (client && !decisions.contains(uid)) {
      CHECK_MESSAGE(code == 1, "client " << uid << " without a decision must exit 1");
    } else {
      CHECK_MESSAGE(code == 0, "uid " << uid);
    }
  }
  return decisions.size();
}

}  // namespace

TEST_CASE("one acceptor killed at start: the other two still decide") {
  for (int acceptor : {1, 2, 3}) {
    Scenario s = threeAcceptors("kill-start-" + std::to_string(acceptor));
    s.killAtStart = {acceptor};
    Outcome o = runCluster(s, 0);
    CHECK(checkSafe(s, o, {acceptor}) == s.clients.size());
  }
}

TEST_CASE("one acceptor crashing at each protocol event: the cluster still decides") {
  for (std::string event : {"election", "prepare", "accept", "election:2", "accept:2"}) {
    for (int acceptor : {1, 3}) {
      Scenario s = threeAcceptors("crash-" + event + "-" + std::to_string(acceptor));
      s.extraArgs[acceptor] = {"--crash-at", event};
      Outcome o = runCluster(s, 0);
      INFO("acceptor " << acceptor << " --crash-at " << event);
      // Every acceptor meets the first ELECT, PREPARE and ACCEPT; a second one may not come.
      if (event.find(':') == std::string::npos)
        CHECK(o.status[acceptor] == 137);
      else
        CHECK((o.status[acceptor] == 137 || o.status[acceptor] == 0));
      CHECK(checkSafe(s, o, {acceptor}) == s.clients.size());
    }
  }
}

TEST_CASE("the learner's decision survives the proposer crashing after phase 1") {
  Scenario s = threeAcceptors("crash-proposer");
  s.proposers = 2, s.acceptors = 3, s.learners = 1;  // UIDs 0,1 propose; 2-4 accept; 5 learns
  s.extraArgs[0] = {"--crash-at", "promise:2"};
  for (auto& c : s.clients) c.desired = 0;  // all start at proposer 0, then fail over to 1
  Outcome o = runCluster(s, 0);
  CHECK(o.status[0] == 137);
  CHECK(checkSafe(s, o, {0}) == s.clients.size());
}

TEST_CASE("two of three acceptors dead: nothing is decided and clients fail, never disagree") {
  Scenario s = threeAcceptors("kill-two");
  s.killAtStart = {1, 2};
  Outcome o = runCluster(s, 0);
  CHECK(checkSafe(s, o, {1, 2}) == 0);
  for (int uid = o.consensus; uid < o.consensus + 4; ++uid) CHECK(o.status[uid] == 1);
}

TEST_CASE("two acceptors crashing mid-protocol: whatever is decided is decided once") {
  for (auto [first, second] : {std::pair{"prepare", "accept"}, std::pair{"accept", "accept"},
                               std::pair{"election", "prepare"}}) {
    Scenario s = threeAcceptors(std::string("crash-two-") + first + "-" + second);
    s.extraArgs[1] = {"--crash-at", first};
    s.extraArgs[3] = {"--crash-at", second};
    Outcome o = runCluster(s, 0);
    checkSafe(s, o, {1, 3});
  }
}

TEST_CASE("lossy, duplicating, delaying network: still one decided value") {
  for (int run = 0; run < 5; ++run) {
    Scenario s = seedRun2();
    s.name = "lossy";
    s.nodeArgs = {"--drop", "0.2", "--duplicate", "0.2", "--delay", "0:3"};
    Outcome o = runCluster(s, run);
    CHECK(checkSafe(s, o, {}) == s.clients.size());
  }
}
