// Membership change on a real service cluster (issue 15 point 5, docs/MEMBERSHIP.md): condriver
// processes on loopback, 2 proposers (UIDs 0-1, the higher leads), 3 acceptors (2-4) and 3
// learners (5-7) serving HTTP. New acceptors join under new UIDs (condriver --join) and replace
// the old ones through POST /v1/members, while clients write and read through every learner.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "check/linearizability.hpp"
#include "cluster_run.hpp"
#include "history_recorder.hpp"
#include "http_client.hpp"
#include "kv_support.hpp"
#include "process_group.hpp"

namespace paxos::test {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kLeader = 1;

HttpResponse call(const std::string& url, const std::string& method, const std::string& target,
                  const std::string& body = "", std::chrono::milliseconds timeout = 5s) {
  auto address = parseHttpUrl(url);
  HttpClient client(address->first, address->second);
  return client.request(method, target, body, {{"Content-Type", "application/json"}}, timeout);
}

json members(const std::string& url) {
  auto r = call(url, "GET", "/v1/members");
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

std::vector<uint32_t> acceptors(const json& m) {
  std::vector<uint32_t> uids;
  if (m.is_object())
    for (const auto& a : m["acceptors"]) uids.push_back(a["uid"].get<uint32_t>());
  return uids;
}

// POSTs the replacement until a node answers that it is in (a 503 or 504 while the leader fails
// over is retried; a 409 after our own change went in means it applied, which GET shows).
bool replace(const std::vector<std::string>& urls, uint32_t uid, const std::string& address,
             uint32_t old, std::string& log) {
  json body{{"uid", uid}, {"role", "acceptor"}, {"address", address}, {"replaces", old}};
  for (int attempt = 0; attempt < 20; ++attempt) {
    const std::string& url = urls[attempt % urls.size()];
    auto r = call(url, "POST", "/v1/members", body.dump(), 8s);
    log += std::to_string(r.status) + " ";
    auto in = acceptors(members(url));
    if (std::find(in.begin(), in.end(), uid) != in.end()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

}  // namespace

TEST_CASE(
    "kv members: every acceptor replaced one by one while clients write and read, the "
    "leader killed in the middle of a change") {
  Cluster cluster(kvScenario("kv-members", {"--request-timeout", "1500", "--snapshot-every", "50"}),
                  0);
  cluster.startAll();
  auto urls = cluster.urls();
  for (const auto& url : urls) REQUIRE(waitServing(url, Clock::now() + 15s));
  INFO("run folder " << cluster.dir());

  RecordOptions options;
  options.urls = urls;
  options.clients = 4;
  options.keys = 4;
  options.duration = 8s;
  options.requestTimeout = 2s;
  options.seed = 15;
  options.keyPrefix = "mem-";
  std::vector<RecordedOp> history;
  std::thread recorder([&] { history = recordHistory(options); });

  const std::vector<uint32_t> old{2, 3, 4}, fresh{8, 9, 10};
  std::string statuses;
  for (size_t i = 0; i < old.size(); ++i) {
    std::this_thread::sleep_for(1s);  // writes go on between the changes
    std::string address = cluster.join(int(fresh[i]), "acceptor");
    if (i == 1) {  // the leader dies while this change is on its way
      auto change = std::async(std::launch::async,
                               [&] { return replace(urls, fresh[i], address, old[i], statuses); });
      std::this_thread::sleep_for(5ms);
      cluster.kill(kLeader);
      CHECK(change.get());
      cluster.restart(kLeader);
    } else {
      CHECK(replace(urls, fresh[i], address, old[i], statuses));
    }
  }
  recorder.join();
  MESSAGE("POST answers: ", statuses);

  // Every learner knows the final configuration: the new acceptors only.
  for (const auto& url : urls)
    CHECK(eventually(10s, [&] { return acceptors(members(url)) == fresh; }));
  auto final = members(urls[0]);
  CHECK(final["epoch"] == 3);
  CHECK(final["retired"] == json(old));

  // 0 anomalies, and writes acknowledged throughout.
  size_t okWrites = 0;
  for (const auto& op : history) okWrites += op.op != "get" && op.outcome == "ok";
  MESSAGE(history.size(), " ops, ", okWrites, " writes acknowledged");
  CHECK(okWrites > 100);
  auto result = check::checkLinearizable(toCheckerOps(history));
  CHECK_MESSAGE(result.linearizable, "key ", result.key, ": ", result.explanation);
  CHECK(!result.inconclusive);

  // Every replica holds the same map at the same slot: the learners' logs agree.
  auto state = [&](const std::string& url) {
    auto sync = call(url, "GET", "/v1/kv/sync");  // applies everything acknowledged before
    auto list = call(url, "GET", "/v1/kv?prefix=mem-&limit=1000&consistency=stale");
    auto status = json::parse(call(url, "GET", "/v1/status").body, nullptr, false);
    return std::to_string(sync.status) + list.body + "@" + status["revision"].dump();
  };
  std::string first = state(urls[0]);
  for (const auto& url : urls) CHECK(eventually(5s, [&] { return state(url) == first; }));

  // The removed acceptors exit by themselves once every replica's snapshot passed their slots.
  for (uint32_t uid : old) {
    bool gone = eventually(20s, [&] { return cluster.exited(int(uid)); });
    CHECK_MESSAGE(gone, "acceptor ", uid, " still runs");
    if (gone) CHECK(cluster.status(int(uid)) == 0);
  }
  for (uint32_t uid : fresh) CHECK_FALSE(cluster.exited(int(uid)));
}

TEST_CASE("kv members: paxos-members adds and removes a learner; bad requests are refused") {
  Cluster cluster(kvScenario("kv-members-cli", {"--snapshot-every", "20"}), 0);
  cluster.startAll();
  auto urls = cluster.urls();
  for (const auto& url : urls) REQUIRE(waitServing(url, Clock::now() + 15s));
  INFO("run folder " << cluster.dir());
  for (int i = 0; i < 30; ++i)
    REQUIRE(call(urls[0], "PUT", "/v1/kv/k" + std::to_string(i), "v").status / 100 == 2);

  // A new learner joins, fetches a snapshot (the acceptors trimmed), and serves the same map.
  std::string address = cluster.join(11, "learner");
  std::string url = cluster.url(11);
  std::string http = url.substr(std::string("http://").size());
  ProcessGroup tools;
  std::string dir = cluster.dir();
  auto tool = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), {binDir() + "/paxos-members", "--url", urls[1]});
    pid_t pid = tools.spawn(args, dir + "/" + name + ".out", dir + "/" + name + ".log", "", {});
    REQUIRE(tools.waitFor(pid, Clock::now() + 20s));
    return tools.status(pid);
  };
  CHECK(tool({"add", "11", "learner", address, "--http", http}, "add") == 0);
  REQUIRE(waitServing(url, Clock::now() + 15s));
  auto k0 = call(url, "GET", "/v1/kv/k0");
  CHECK(k0.status == 200);
  CHECK(tool({"add", "12", "acceptor", "127.0.0.1:1", "--replaces", "5"}, "wrong-role") == 1);
  CHECK(tool({"add", "3", "acceptor", "127.0.0.1:1"}, "reused") == 1);
  CHECK(tool({"remove", "99"}, "absent") == 1);
  CHECK(call(urls[0], "POST", "/v1/members", "{\"uid\":\"x\"}").status == 400);
  CHECK(call(urls[0], "POST", "/v1/members", "not json").status == 400);
  CHECK(call(urls[0], "PATCH", "/v1/members").status == 405);
  // Removing it: the learner exits by itself, the others go on.
  CHECK(tool({"remove", "11"}, "remove") == 0);
  CHECK(eventually(20s, [&] { return cluster.exited(11); }));
  CHECK(call(urls[2], "PUT", "/v1/kv/after", "1").status / 100 == 2);
}

}  // namespace paxos::test
