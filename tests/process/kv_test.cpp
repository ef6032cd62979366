// The key-value service through every node of a real cluster (issue 14 point 5, docs/KV.md):
// condriver processes on loopback, 2 proposers (UIDs 0-1, the higher leads), 3 acceptors (2-4)
// and 3 learners (5-7) serving the HTTP API, all with --data-dir so that any can be restarted.
// Each test case starts its own cluster on free ports and drives the real API with HttpClient
// (harness/http_client.hpp), or raw sockets where a client would not misbehave on its own.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "check/linearizability.hpp"
#include "cluster_run.hpp"
#include "history_recorder.hpp"
#include "http_client.hpp"
#include "kv_support.hpp"

namespace paxos::test {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kLeader = 1;    // the highest-UID proposer leads (docs/KV.md)
constexpr int kFollower = 0;  // the other proposer, which takes over
const std::vector<int> kLearners{5, 6, 7};

// A cluster started and serving on every learner: each answered a linearizable read.
struct KvCluster {
  explicit KvCluster(Scenario s) : cluster(std::move(s), 0) {
    cluster.startAll();
    urls = cluster.urls();
    REQUIRE(urls.size() == 3);
    auto deadline = Clock::now() + 15s;
    for (const auto& url : urls) REQUIRE_MESSAGE(waitServing(url, deadline), url, " ", where());
  }
  std::string where() const { return "(run folder " + cluster.dir() + ")"; }

  Cluster cluster;
  std::vector<std::string> urls;
};

// One keep-alive client per node.
class Nodes {
 public:
  explicit Nodes(const std::vector<std::string>& urls) : urls_(urls) {
    for (const auto& url : urls) {
      auto address = parseHttpUrl(url);
      clients_.push_back(std::make_unique<HttpClient>(address->first, address->second));
    }
  }
  HttpResponse operator()(size_t node, const std::string& method, const std::string& target,
                          const std::string& body = "",
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          std::chrono::milliseconds timeout = 5s) {
    return clients_.at(node)->request(method, target, body, headers, timeout);
  }
  size_t size() const { return urls_.size(); }
  const std::string& url(size_t node) const { return urls_.at(node); }

 private:
  std::vector<std::string> urls_;
  std::vector<std::unique_ptr<HttpClient>> clients_;
};

json parsed(const HttpResponse& r) {
  return json::parse(r.body, nullptr, false);
}

std::string describe(const HttpResponse& r) {
  return std::to_string(r.status) + " " + r.body + (r.error.empty() ? "" : " error: " + r.error);
}

std::string kvPath(const std::string& key, const std::string& query = "") {
  return "/v1/kv/" + percentEncode(key) + (query.empty() ? "" : "?" + query);
}

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += table[(v >> shift) & 63];
  }
  if (size_t left = bytes.size() - i; left > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16 | (left == 2 ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += left == 2 ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The local replica's revision (GET /v1/status), after a linearizable read on that node has
// made it apply everything acknowledged before.
uint64_t revisionAfterSync(Nodes& nodes, size_t node) {
  auto sync = nodes(node, "GET", "/v1/kv/sync");
  REQUIRE_MESSAGE((sync.status == 404 || sync.status == 200), describe(sync));
  auto status = nodes(node, "GET", "/v1/status");
  REQUIRE(status.status == 200);
  return parsed(status)["revision"].get<uint64_t>();
}

TEST_CASE(
    "kv api: put, get, delete, CAS, list, base64, stale reads and seed 002 through every node") {
  KvCluster kv(kvScenario("kv-api"));
  Nodes nodes(kv.urls);
  INFO(kv.where());

  SUBCASE("a write on one node is read on another") {
    for (size_t w = 0; w < 3; ++w) {
      size_t r = (w + 1) % 3, third = (w + 2) % 3;
      std::string key = "dir/ü key " + std::to_string(w);  // a '/', a space, two UTF-8 bytes
      INFO("writer ", nodes.url(w), " reader ", nodes.url(r));

      auto put = nodes(w, "PUT", kvPath(key), "one");
      REQUIRE_MESSAGE(put.status == 201, describe(put));
      json p = parsed(put);
      CHECK(p["key"] == key);
      CHECK(p["value"] == "one");
      uint64_t v1 = p["version"].get<uint64_t>();
      CHECK(v1 > 0);
      CHECK(p.contains("slot"));

      auto get = nodes(r, "GET", kvPath(key));
      REQUIRE_MESSAGE(get.status == 200, describe(get));
      CHECK(parsed(get)["value"] == "one");
      CHECK(parsed(get)["version"] == v1);
      // The linearizable read made r apply the write: its local (stale) read has it too.
      auto stale = nodes(r, "GET", kvPath(key, "consistency=stale"));
      REQUIRE_MESSAGE(stale.status == 200, describe(stale));
      CHECK(parsed(stale)["value"] == "one");
      CHECK(parsed(stale)["version"] == v1);

      auto again = nodes(r, "PUT", kvPath(key), "two");
      REQUIRE_MESSAGE(again.status == 200, describe(again));  // not created: replaced
      uint64_t v2 = parsed(again)["version"].get<uint64_t>();
      CHECK(v2 > v1);

      // Compare-and-swap on the third node: a stale version fails with the current one.
      auto cas = nodes(third, "PUT", kvPath(key, "prev_version=" + std::to_string(v1)), "three");
      REQUIRE_MESSAGE(cas.status == 412, describe(cas));
      CHECK(parsed(cas)["error"] == "precondition_failed");
      CHECK(parsed(cas)["version"] == v2);
      auto create = nodes(third, "PUT", kvPath(key, "prev_version=0"), "three");
      REQUIRE_MESSAGE(create.status == 412, describe(create));  // 0: create only
      CHECK(parsed(create)["version"] == v2);
      cas = nodes(third, "PUT", kvPath(key, "prev_version=" + std::to_string(v2)), "three");
      REQUIRE_MESSAGE(cas.status == 200, describe(cas));
      uint64_t v3 = parsed(cas)["version"].get<uint64_t>();
      CHECK(v3 > v2);
      get = nodes(w, "GET", kvPath(key));
      CHECK(parsed(get)["value"] == "three");
      CHECK(parsed(get)["version"] == v3);

      std::string fresh = "fresh " + std::to_string(w);
      create = nodes(r, "PUT", kvPath(fresh, "prev_version=0"), "new");
      REQUIRE_MESSAGE(create.status == 201, describe(create));
      create = nodes(w, "PUT", kvPath(fresh, "prev_version=0"), "newer");
      REQUIRE_MESSAGE(create.status == 412, describe(create));
      CHECK(parsed(create)["version"] == parsed(nodes(third, "GET", kvPath(fresh)))["version"]);

      // Delete: a stale compare fails, then it goes, everywhere, and a second finds nothing.
      auto del = nodes(w, "DELETE", kvPath(key, "prev_version=" + std::to_string(v2)));
      REQUIRE_MESSAGE(del.status == 412, describe(del));
      CHECK(parsed(del)["version"] == v3);
      del = nodes(w, "DELETE", kvPath(key, "prev_version=" + std::to_string(v3)));
      REQUIRE_MESSAGE(del.status == 200, describe(del));
      CHECK(parsed(del)["deleted"] == true);
      CHECK(parsed(del)["key"] == key);
      CHECK(parsed(del)["version"].get<uint64_t>() > v3);
      for (size_t n = 0; n < 3; ++n) {
        get = nodes(n, "GET", kvPath(key));
        CHECK_MESSAGE(get.status == 404, describe(get));
        CHECK(parsed(get)["error"] == "not_found");
      }
      del = nodes(third, "DELETE", kvPath(key));
      CHECK_MESSAGE(del.status == 404, describe(del));
      // The third node's stale read catches up by itself (it applies every slot).
      CHECK(eventually(
          5s, [&] { return nodes(third, "GET", kvPath(key, "consistency=stale")).status == 404; }));
    }
  }

  SUBCASE("base64 values both ways") {
    const std::string bytes("\x00\x01\xfe\xff binary\n", 12);
    for (size_t w = 0; w < 3; ++w) {
      size_t r = (w + 1) % 3;
      std::string key = "bin" + std::to_string(w);
      auto put = nodes(w, "PUT", kvPath(key, "encoding=base64"), base64(bytes));
      REQUIRE_MESSAGE(put.status == 201, describe(put));
      CHECK(parsed(put)["value"] == base64(bytes));
      auto get = nodes(r, "GET", kvPath(key, "encoding=base64"));
      REQUIRE_MESSAGE(get.status == 200, describe(get));
      CHECK(parsed(get)["value"] == base64(bytes));
      // Those bytes are not UTF-8: sent raw they are refused.
      auto raw = nodes(w, "PUT", kvPath(key), bytes);
      CHECK_MESSAGE(raw.status == 400, describe(raw));
      auto bad = nodes(w, "PUT", kvPath(key, "encoding=base64"), "not base64!");
      CHECK_MESSAGE(bad.status == 400, describe(bad));
      // A UTF-8 value written plainly reads back as base64 of its bytes, and the other way.
      std::string text = "h\xc3\xa9llo";
      put = nodes(r, "PUT", kvPath(key + "t"), text);
      REQUIRE_MESSAGE(put.status == 201, describe(put));
      get = nodes(w, "GET", kvPath(key + "t", "encoding=base64"));
      CHECK(parsed(get)["value"] == base64(text));
      put = nodes(w, "PUT", kvPath(key + "u", "encoding=base64"), base64(text));
      REQUIRE_MESSAGE(put.status == 201, describe(put));
      get = nodes(r, "GET", kvPath(key + "u"));
      CHECK(parsed(get)["value"] == text);
    }
  }

  SUBCASE("list with prefix and limit") {
    for (std::string key : {"list/a", "list/b", "list/c", "lisu", "other"})
      REQUIRE(nodes(key.size() % 3, "PUT", kvPath(key), "v-" + key).status == 201);
    for (size_t n = 0; n < 3; ++n) {
      auto all = nodes(n, "GET", "/v1/kv?prefix=list/");
      REQUIRE_MESSAGE(all.status == 200, describe(all));
      json j = parsed(all);
      REQUIRE(j["items"].size() == 3);
      CHECK(j["items"][0]["key"] == "list/a");
      CHECK(j["items"][2]["key"] == "list/c");
      CHECK(j["items"][1]["value"] == "v-list/b");
      CHECK(j["items"][1]["version"].get<uint64_t>() > 0);
      CHECK(j["more"] == false);
      auto page = nodes(n, "GET", "/v1/kv/?prefix=list%2F&limit=2");
      REQUIRE_MESSAGE(page.status == 200, describe(page));
      j = parsed(page);
      REQUIRE(j["items"].size() == 2);
      CHECK(j["items"][1]["key"] == "list/b");
      CHECK(j["more"] == true);
      auto everything = nodes(n, "GET", "/v1/kv?limit=1000&encoding=base64");
      j = parsed(everything);
      CHECK(j["items"].size() == 5);
      CHECK(j["items"][3]["key"] == "lisu");  // after "list/...": '/' sorts before 'u'
      CHECK(j["items"][3]["value"] == base64("v-lisu"));
      // A stale listing on a node that has just read linearizably sees the same.
      auto stale = nodes(n, "GET", "/v1/kv?prefix=list/&consistency=stale");
      CHECK(parsed(stale)["items"].size() == 3);
    }
  }

  SUBCASE("seed 002: /state/ and /reset/, the first value of a round wins") {
    auto state = nodes(0, "POST", "/state/", "value=3",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE_MESSAGE(state.status == 200, describe(state));
    uint64_t round = parsed(state)["round"].get<uint64_t>();
    CHECK(parsed(state)["value"] == "3");
    auto later = nodes(1, "POST", "/state", "value=4");
    REQUIRE_MESSAGE(later.status == 200, describe(later));
    CHECK(parsed(later)["value"] == "3");
    CHECK(parsed(later)["round"] == round);
    for (const char* path : {"/state", "/state/"}) {
      auto get = nodes(2, "GET", path);
      REQUIRE_MESSAGE(get.status == 200, describe(get));
      CHECK(parsed(get)["value"] == "3");
    }
    for (int i = 0; i < 3; ++i) {
      auto reset = nodes(size_t(i), "POST", i % 2 ? "/reset" : "/reset/");
      REQUIRE_MESSAGE(reset.status == 200, describe(reset));
      CHECK(parsed(reset)["round"] == ++round);
      CHECK(parsed(reset)["value"].is_null());
      auto empty = nodes(size_t(i + 1) % 3, "GET", "/state/");
      CHECK(parsed(empty)["round"] == round);
      CHECK(parsed(empty)["value"].is_null());
      // Concurrent posts of different values, one per node: all answer the same winner.
      std::vector<HttpResponse> answers(3);
      std::vector<std::thread> posts;
      for (size_t n = 0; n < 3; ++n)
        posts.emplace_back([&, n] {
          auto address = parseHttpUrl(nodes.url(n));
          HttpClient own(address->first, address->second);
          answers[n] = own.request("POST", "/state/", "value=" + std::to_string(10 * i + int(n)));
        });
      for (auto& t : posts) t.join();
      std::set<std::string> winners;
      for (const auto& a : answers) {
        REQUIRE_MESSAGE(a.status == 200, describe(a));
        CHECK(parsed(a)["round"] == round);
        winners.insert(parsed(a)["value"].get<std::string>());
      }
      CHECK(winners.size() == 1);
      std::string winner = *winners.begin();
      CHECK((winner == std::to_string(10 * i) || winner == std::to_string(10 * i + 1) ||
             winner == std::to_string(10 * i + 2)));
      for (size_t n = 0; n < 3; ++n) CHECK(parsed(nodes(n, "GET", "/state"))["value"] == winner);
    }
  }
}

TEST_CASE("kv no quorum: 503 with Retry-After without a majority of acceptors, writes after") {
  // A command already submitted when the quorum went waits for its deadline: 504 after 1 s.
  KvCluster kv(kvScenario("kv-no-quorum", {"--request-timeout", "1000"}));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  REQUIRE(nodes(0, "PUT", kvPath("before"), "1").status == 201);

  kv.cluster.kill(2);
  kv.cluster.kill(3);
  REQUIRE(kv.cluster.waitFor(2));
  REQUIRE(kv.cluster.waitFor(3));
  auto killed = Clock::now();

  // KvService::submit answers 503 once the learner has not heard the leader's heartbeat with a
  // ballot for the leader timeout (200 ms); the leader stops putting its ballot there once a
  // majority of acceptors has not answered it for as long. Until then a PUT is put in the log
  // and answered 504 at its deadline (it may still apply once the acceptors are back).
  HttpResponse refused;
  int answers = 0;
  while (Clock::now() < killed + 10s) {
    size_t n = size_t(answers % 3);
    auto put = nodes(n, "PUT", kvPath("during"), std::to_string(answers), {}, 3s);
    ++answers;
    REQUIRE_MESSAGE((put.status == 503 || put.status == 504), describe(put));
    if (put.status == 503) {
      refused = put;
      break;
    }
    CHECK(parsed(put)["error"] == "timeout");
  }
  auto waited = Clock::now() - killed;
  MESSAGE("first 503 after ", std::chrono::duration_cast<std::chrono::milliseconds>(waited).count(),
          " ms, ", answers, " answer(s)");
  REQUIRE_MESSAGE(refused.status == 503, "no 503 within 10 s of losing the quorum");
  CHECK(waited < 4s);  // one 504 (1 s) at most, then the 503
  CHECK(refused.header("retry-after") == "1");
  CHECK(parsed(refused)["error"] == "unavailable");
  // Every node says so at once, without putting anything in the log, and knows no leader.
  for (size_t n = 0; n < 3; ++n) {
    auto start = Clock::now();
    auto put = nodes(n, "PUT", kvPath("during"), "x", {}, 3s);
    CHECK_MESSAGE(put.status == 503, describe(put));
    CHECK(Clock::now() - start < 500ms);
    auto get = nodes(n, "GET", kvPath("before"), "", {}, 3s);
    CHECK_MESSAGE(get.status == 503, describe(get));
    CHECK(parsed(nodes(n, "GET", "/v1/status"))["leader"].is_null());
  }

  // The same acceptors back, with the promises they kept in their data dir.
  kv.cluster.restart(2);
  kv.cluster.restart(3);
  auto restarted = Clock::now();
  for (size_t n = 0; n < 3; ++n) {
    HttpResponse put;
    CHECK_MESSAGE(eventually(10s,
                             [&] {
                               put = nodes(n, "PUT", kvPath("after" + std::to_string(n)), "back",
                                           {}, 3s);
                               return put.status == 201;
                             }),
                  describe(put));
  }
  MESSAGE("writes succeed again ",
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count(),
          " ms after the restart");
  for (size_t n = 0; n < 3; ++n)
    for (int k = 0; k < 3; ++k)
      CHECK(parsed(nodes(n, "GET", kvPath("after" + std::to_string(k))))["value"] == "back");
  CHECK(parsed(nodes(1, "GET", kvPath("before")))["value"] == "1");
  // The highest proposer leads again (the other may hold the lead for a heartbeat or two after
  // the acceptors come back, on a loaded machine).
  CHECK(eventually(2s, [&] { return parsed(nodes(0, "GET", "/v1/status"))["leader"] == kLeader; }));
}

TEST_CASE("kv idempotent retries: one X-Request-Id is applied once, whichever node it reaches") {
  KvCluster kv(kvScenario("kv-idempotent"));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  uint64_t before = revisionAfterSync(nodes, 0);

  // To two nodes, and twice to one: the first outcome every time.
  std::vector<std::pair<std::string, std::string>> id{{"X-Request-Id", "retry-1"}};
  auto first = nodes(0, "PUT", kvPath("idem"), "v1", id);
  REQUIRE_MESSAGE(first.status == 201, describe(first));
  uint64_t version = parsed(first)["version"].get<uint64_t>();
  CHECK(version == before + 1);
  for (size_t n : {1, 1, 2, 0}) {
    auto retry = nodes(n, "PUT", kvPath("idem"), "v1", id);
    CHECK_MESSAGE(retry.status == 201, describe(retry));
    CHECK(parsed(retry)["version"] == version);
  }
  for (size_t n = 0; n < 3; ++n) {
    auto get = nodes(n, "GET", kvPath("idem"));
    CHECK(parsed(get)["value"] == "v1");
    CHECK(parsed(get)["version"] == version);
    CHECK(revisionAfterSync(nodes, n) == before + 1);
  }

  // The same id sent to all three nodes at once: one write, one version in all answers.
  std::vector<HttpResponse> answers(3);
  std::vector<std::thread> senders;
  for (size_t n = 0; n < 3; ++n)
    senders.emplace_back([&, n] {
      auto address = parseHttpUrl(nodes.url(n));
      HttpClient own(address->first, address->second);
      answers[n] = own.request("PUT", kvPath("idem"), "v2", {{"X-Request-Id", "retry-2"}});
    });
  for (auto& t : senders) t.join();
  std::set<uint64_t> versions;
  for (const auto& a : answers) {
    REQUIRE_MESSAGE(a.status == 200, describe(a));
    versions.insert(parsed(a)["version"].get<uint64_t>());
  }
  CHECK(versions == std::set<uint64_t>{before + 2});
  for (size_t n = 0; n < 3; ++n) CHECK(revisionAfterSync(nodes, n) == before + 2);

  // A delete retried on another node: applied once, so the retry is not a 404.
  std::vector<std::pair<std::string, std::string>> delId{{"X-Request-Id", "retry-3"}};
  auto del = nodes(1, "DELETE", kvPath("idem"), "", delId);
  REQUIRE_MESSAGE(del.status == 200, describe(del));
  auto delAgain = nodes(2, "DELETE", kvPath("idem"), "", delId);
  CHECK_MESSAGE(delAgain.status == 200, describe(delAgain));
  CHECK(parsed(delAgain)["version"] == parsed(del)["version"]);
  CHECK(nodes(0, "DELETE", kvPath("idem")).status == 404);  // without the id: a new delete
  for (size_t n = 0; n < 3; ++n) CHECK(revisionAfterSync(nodes, n) == before + 3);
}

// The de-duplication table once remembered a request id's outcome but not which write it was, and
// the answer echoed the retry's own key and value: reusing an id for another value answered that
// value though the first was stored, and for another key 201 for a key that did not exist. Now
// the table keeps a fingerprint of each write, and another write under a used id is refused: 422.
TEST_CASE("kv idempotent retries: an id reused for another key or value is not acknowledged") {
  KvCluster kv(kvScenario("kv-idempotent-reuse"));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  std::vector<std::pair<std::string, std::string>> id{{"X-Request-Id", "reused"}};
  REQUIRE(nodes(0, "PUT", kvPath("a"), "first", id).status == 201);
  auto otherValue = nodes(1, "PUT", kvPath("a"), "second", id);
  auto otherKey = nodes(2, "PUT", kvPath("zzz"), "third", id);
  CHECK(parsed(nodes(0, "GET", kvPath("a")))["value"] == "first");
  CHECK(nodes(0, "GET", kvPath("zzz")).status == 404);
  CHECK_MESSAGE(otherValue.status == 422, describe(otherValue));
  CHECK_MESSAGE(otherKey.status == 422, describe(otherKey));
  CHECK(parsed(otherKey)["error"] == "request_id_reused");
  // The first write's own retry is still answered with its first outcome.
  auto retry = nodes(1, "PUT", kvPath("a"), "first", id);
  CHECK_MESSAGE(retry.status == 201, describe(retry));
}

// A history recorded while `fault` runs, then checked: linearizable, and every key's final
// value, read through each node after the run, agrees with it (so no acknowledged write lost).
struct LinearizableRun {
  std::vector<RecordedOp> history;
  int64_t faultNs = 0;  // when the fault began, on (an upper bound of) the recorder's clock
};

// `servedBy`: only writes through this URL count as going on after the fault ("": any node).
void checkHistory(KvCluster& kv, LinearizableRun& run, const std::string& prefix, int keys,
                  const std::string& servedBy = "") {
  auto& history = run.history;
  REQUIRE(!history.empty());
  // The final reads: after every recorded op completed, so each must see the last write (or
  // a write whose outcome is unknown, which may land late).
  int64_t after = 0;
  for (const auto& op : history) after = std::max(after, op.complete);
  Nodes nodes(kv.urls);
  for (int k = 0; k < keys; ++k) {
    std::string key = prefix + "k" + std::to_string(k);
    std::set<std::string> seen;
    for (size_t n = 0; n < 3; ++n) {
      auto get = nodes(n, "GET", kvPath(key));
      REQUIRE_MESSAGE((get.status == 200 || get.status == 404), describe(get));
      RecordedOp op;
      op.id = history.size() + 1;
      op.client = "final-" + std::to_string(n);
      op.key = key;
      op.op = "get";
      op.invoke = after + 1;
      op.complete = after + 2;
      op.status = get.status;
      op.node = nodes.url(n);
      op.outcome = get.status == 404 ? "not_found" : "value";
      if (get.status == 200) op.value = parsed(get)["value"].get<std::string>();
      seen.insert(op.outcome + " " + op.value);
      history.push_back(op);
    }
    CHECK_MESSAGE(seen.size() == 1, "the nodes disagree on ", key);
  }
  std::ofstream out(kv.cluster.dir() + "/history.jsonl");
  writeHistory(out, history);

  std::map<std::string, int> outcomes;
  int okAfterFault = 0;
  for (const auto& op : history) {
    ++outcomes[op.op + " " + op.outcome];
    if (op.op != "get" && op.outcome == "ok" && op.invoke > run.faultNs &&
        (servedBy.empty() || op.node == servedBy))
      ++okAfterFault;
  }
  std::string counts;
  for (const auto& [what, n] : outcomes) counts += what + "=" + std::to_string(n) + " ";
  MESSAGE(history.size(), " ops: ", counts, "; writes acknowledged after the fault: ", okAfterFault,
          " (history in ", kv.cluster.dir(), "/history.jsonl)");
  CHECK(outcomes["put ok"] > 100);
  CHECK(okAfterFault > 20);  // the service went on through the fault

  auto start = Clock::now();
  auto result = check::checkLinearizable(toCheckerOps(history));
  MESSAGE("checked ", result.operations, " ops on ", result.keys, " keys in ",
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(),
          " ms");
  CHECK_MESSAGE(result.linearizable, "key ", result.key, ": ", result.explanation);
  CHECK_MESSAGE(!result.inconclusive, "the checker's budget ran out");
}

// Records for `seconds` through all three nodes while `fault` runs on this thread.
template <typename Fault>
LinearizableRun recordWith(KvCluster& kv, const std::string& prefix, uint64_t seed, Fault fault) {
  RecordOptions options;
  options.urls = kv.urls;
  options.clients = 4;
  options.keys = 4;
  options.duration = 4s;
  options.requestTimeout = 2s;
  options.seed = seed;
  options.keyPrefix = prefix;
  LinearizableRun run;
  auto begun = Clock::now();
  std::thread recorder([&] { run.history = recordHistory(options); });
  Clock::time_point faultAt;
  try {
    faultAt = fault();
  } catch (...) {
    recorder.join();
    throw;
  }
  recorder.join();
  run.faultNs = std::chrono::duration_cast<std::chrono::nanoseconds>(faultAt - begun).count();
  return run;
}

// Waits until node's replica has applied `writes` more writes than when asked.
bool waitForWrites(Nodes& nodes, size_t node, uint64_t writes) {
  auto revision = [&] {
    auto s = nodes(node, "GET", "/v1/status", "", {}, 1s);
    return s.status == 200 ? parsed(s)["revision"].get<uint64_t>() : 0;
  };
  uint64_t target = revision() + writes;
  return eventually(5s, [&] { return revision() >= target; });
}

TEST_CASE("kv linearizable: the leading proposer killed mid-run") {
  KvCluster kv(kvScenario("kv-lin-leader", {"--request-timeout", "1500"}));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  for (size_t n = 0; n < 3; ++n)
    REQUIRE(parsed(nodes(n, "GET", "/v1/status"))["leader"] == kLeader);
  auto run = recordWith(kv, "lead-", 11, [&] {
    REQUIRE(waitForWrites(nodes, 0, 100));
    auto at = Clock::now();
    kv.cluster.kill(kLeader);
    // The other proposer takes over, and every node learns it.
    for (size_t n = 0; n < 3; ++n)
      CHECK(eventually(
          5s, [&] { return parsed(nodes(n, "GET", "/v1/status"))["leader"] == kFollower; }));
    MESSAGE("proposer ", kFollower, " leads everywhere ",
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - at).count(),
            " ms after the leader was killed");
    return at;
  });
  checkHistory(kv, run, "lead-", 4);
}

TEST_CASE("kv linearizable: an acceptor killed mid-run") {
  KvCluster kv(kvScenario("kv-lin-acceptor", {"--request-timeout", "1500"}));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  auto run = recordWith(kv, "acc-", 12, [&] {
    REQUIRE(waitForWrites(nodes, 1, 100));
    auto at = Clock::now();
    kv.cluster.kill(4);
    return at;
  });
  checkHistory(kv, run, "acc-", 4);
}

TEST_CASE("kv linearizable: a learner killed and restarted from its snapshot mid-run") {
  KvCluster kv(
      kvScenario("kv-lin-learner", {"--request-timeout", "1500", "--snapshot-every", "50"}));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  const int victim = kLearners[2];
  auto run = recordWith(kv, "lrn-", 13, [&] {
    REQUIRE(waitForWrites(nodes, 0, 100));
    kv.cluster.kill(victim);
    REQUIRE(kv.cluster.waitFor(victim));
    // The others go on while it is down; then it comes back from its data dir.
    REQUIRE(waitForWrites(nodes, 0, 100));
    kv.cluster.restart(victim);
    auto restarted = Clock::now();
    REQUIRE(waitServing(kv.cluster.url(victim), restarted + 10s));
    MESSAGE("the restarted learner serves after ",
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count(),
            " ms");
    return restarted;  // what counts below: writes it acknowledged once back
  });
  std::string log = kv.cluster.log(victim, 1);
  CHECK_MESSAGE(log.find("recovered the replica at slot") != std::string::npos, log);
  auto status = parsed(nodes(2, "GET", "/v1/status"));
  CHECK(status["snapshot"].get<uint64_t>() > 0);
  checkHistory(kv, run, "lrn-", 4, kv.cluster.url(victim));
  // Its replica holds what the others hold.
  CHECK(revisionAfterSync(nodes, 2) == revisionAfterSync(nodes, 0));
}

// A raw TCP connection to a loopback port, for requests no well-behaved client sends.
class RawConnection {
 public:
  // blocking: connect() waits (loopback); else it is started and left to complete.
  RawConnection(uint16_t port, bool blocking = true) {
    fd_ = socket(AF_INET, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK), 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    REQUIRE_MESSAGE((r == 0 || (!blocking && errno == EINPROGRESS)), "connect: ", errno);
    timeval sendTimeout{2, 0};  // a server that stops reading: send fails instead of blocking
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof sendTimeout);
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends all of `bytes` unless the connection fails; how many went.
  size_t send(std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) break;
      done += size_t(n);
    }
    return done;
  }
  // Whether the connection is established (a non-blocking connect completed).
  bool connected() {
    pollfd p{fd_, POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof error;
    return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
           getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
  }
  // Reads until the peer closes or resets, or the deadline; what came, and whether it closed.
  std::pair<std::string, bool> readUntilClosed(Clock::time_point deadline) {
    std::string got;
    char buffer[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return {got, false};
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, int(left.count())) <= 0) continue;
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return {got, true};
      if (n > 0) got.append(buffer, size_t(n));
    }
  }

 private:
  int fd_ = -1;
};

uint16_t portOf(const std::string& url) {
  return parseHttpUrl(url)->second;
}

TEST_CASE("kv bad input: refused with 4xx, and the node goes on serving") {
  // ~2000 idle connections below: the test and the nodes it starts (which inherit the limit)
  // need that many descriptors.
  constexpr int kIdle = 2000;
  rlimit files{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &files) == 0);
  if (files.rlim_cur < kIdle + 500) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, kIdle + 500);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  REQUIRE_MESSAGE(files.rlim_cur >= kIdle + 500, "ulimit -n is ", files.rlim_cur);
  KvCluster kv(kvScenario("kv-bad-input"));
  Nodes nodes(kv.urls);
  INFO(kv.where());
  auto expect = [&](size_t n, int status, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto r = nodes(n, method, target, body, headers);
    CHECK_MESSAGE(r.status == status, method, " ", target.substr(0, 80), " -> ", describe(r));
    if (r.status >= 400) {
      json j = parsed(r);
      CHECK_MESSAGE((j.is_object() && j.contains("error") && j.contains("message")), r.body);
    }
  };

  SUBCASE("requests answered 4xx") {
    for (size_t n = 0; n < 3; ++n) {
      // Seed 002's form: malformed bodies.
      expect(n, 400, "POST", "/state", "{\"value\": [1, 2", {{"Content-Type", "application/json"}});
      expect(n, 400, "POST", "/state/", "");
      expect(n, 400, "POST", "/state/", "value=%zz");
      expect(n, 400, "POST", "/state/", "valu=3");
      // Values: at most 7168 bytes, counted after base64 decoding.
      expect(n, 201, "PUT", kvPath("max" + std::to_string(n)), std::string(7168, 'v'));
      expect(n, 413, "PUT", kvPath("big"), std::string(7169, 'v'));
      expect(n, 413, "PUT", kvPath("big", "encoding=base64"), base64(std::string(7169, 'b')));
      expect(n, 404, "GET", kvPath("big"));
      // Keys: 1..512 bytes, no control characters, well-formed percent-encoding.
      expect(n, 201, "PUT", kvPath(std::string(511, 'k') + std::to_string(n)), "ok");
      expect(n, 400, "PUT", kvPath(std::string(513, 'k')), "x");
      expect(n, 400, "GET", kvPath(std::string(10000, 'k')));
      expect(n, 400, "PUT", kvPath("tab\there"), "x");
      expect(n, 400, "PUT", kvPath(std::string("nul\0x", 5)), "x");
      expect(n, 400, "PUT", kvPath("del\x7f"), "x");
      expect(n, 400, "PUT", kvPath("bad\xff"), "x");  // not UTF-8
      for (const char* bad : {"/v1/kv/%zz", "/v1/kv/a%4", "/v1/kv/a%", "/v1/kv/%-1", "/v1/kv/%%"})
        expect(n, 400, "PUT", bad, "x");
      // The empty key is the listing's path, which only GET reads.
      expect(n, 405, "PUT", "/v1/kv/", "x");
      expect(n, 405, "DELETE", "/v1/kv");
      // Compare-and-swap versions, and the other query parameters.
      for (const char* bad : {"abc", "-1", "", "1x", "99999999999999999999999", "0x10"})
        expect(n, 400, "PUT", kvPath("cas", std::string("prev_version=") + bad), "x");
      expect(n, 400, "DELETE", kvPath("cas", "prev_version=%20"));
      expect(n, 400, "GET", kvPath("cas", "encoding=hex"));
      expect(n, 400, "GET", kvPath("cas", "consistency=strong"));
      for (const char* bad : {"0", "1001", "x", "-5"})
        expect(n, 400, "GET", std::string("/v1/kv?limit=") + bad);
      expect(n, 400, "GET", "/v1/kv?prefix=" + std::string(513, 'p'));
      expect(n, 400, "PUT", kvPath("id"), "x", {{"X-Request-Id", std::string(65, 'i')}});
      // Routes and methods.
      for (const char* route :
           {"/nope", "/v1", "/v1/kvx", "/v1/kvfoo/bar", "/v1/status/x", "/v2/kv/a"})
        expect(n, 404, "GET", route);
      expect(n, 404, "PUT", "/v1/kvfoo", "x");
      expect(n, 405, "POST", "/v1/kv");
      expect(n, 405, "PATCH", kvPath("a"), "x");
      expect(n, 405, "GET", "/reset");
      expect(n, 405, "DELETE", "/state/");
      expect(n, 405, "PUT", "/state", "value=1");
    }
    // None of that wrote anything but the maximal keys and values.
    auto all = parsed(nodes(1, "GET", "/v1/kv?limit=1000"));
    std::set<std::string> keys;
    for (const auto& item : all["items"]) keys.insert(item["key"].get<std::string>());
    std::set<std::string> expected;
    for (int n = 0; n < 3; ++n) {
      expected.insert("max" + std::to_string(n));
      expected.insert(std::string(511, 'k') + std::to_string(n));
    }
    CHECK(keys == expected);
    CHECK(parsed(nodes(2, "GET", kvPath("max1")))["value"] == std::string(7168, 'v'));
  }

  SUBCASE("a 10 MB body: the connection is closed (or 413), the node still answers") {
    for (size_t n = 0; n < 3; ++n) {
      RawConnection raw(portOf(kv.urls[n]));
      const size_t size = 10 << 20;
      raw.send("PUT /v1/kv/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
               std::to_string(size) + "\r\n\r\n");
      std::string chunk(64 << 10, 'h');
      size_t sent = 0;
      while (sent < size) {
        size_t went = raw.send(chunk);
        sent += went;
        if (went < chunk.size()) break;  // closed by the server, or it stopped reading
      }
      auto [answer, closed] = raw.readUntilClosed(Clock::now() + 5s);
      MESSAGE("node ", n, ": sent ", sent, " bytes of ", size, "; answer '",
              answer.substr(0, answer.find("\r\n")), "'; closed ", closed);
      CHECK((closed || answer.starts_with("HTTP/1.1 413")));
      CHECK(sent < size);  // it did not read 10 MB to refuse it
      expect(n, 404, "GET", kvPath("huge"));
      expect(n, 201, "PUT", kvPath("after-huge" + std::to_string(n)), "fine");
    }
  }

  SUBCASE("half-sent requests and 2000 idle connections do not hold up a PUT") {
    const uint16_t port = portOf(kv.urls[0]);
    RawConnection halfBody(port), halfLine(port), halfHead(port);
    halfBody.send("PUT /v1/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc");
    halfLine.send("GET /v1/kv/x HT");
    halfHead.send("PUT /v1/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < kIdle; ++i) idle.push_back(std::make_unique<RawConnection>(port, false));
    CHECK(eventually(5s, [&] {
      return std::all_of(idle.begin(), idle.end(), [](auto& c) { return c->connected(); });
    }));
    // The node took them all (not merely the kernel's backlog): it holds a socket for each.
    auto descriptors = [&] {
      auto dir = "/proc/" + std::to_string(kv.cluster.pid(kLearners[0])) + "/fd";
      return std::distance(std::filesystem::directory_iterator(dir),
                           std::filesystem::directory_iterator());
    };
    CHECK_MESSAGE(eventually(5s, [&] { return descriptors() > kIdle; }), descriptors(),
                  " descriptors");
    for (int round = 0; round < 3; ++round) {
      auto start = Clock::now();
      auto put = nodes(0, "PUT", kvPath("busy"), std::to_string(round), {}, 5s);
      auto took = Clock::now() - start;
      CHECK_MESSAGE((put.status == 201 || put.status == 200), describe(put));
      CHECK(took < 2s);
      MESSAGE("PUT beside ", kIdle, " idle connections: ",
              std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), " ms");
    }
    // A fresh connection is served too (the accept loop is not stuck behind the idle ones).
    auto address = parseHttpUrl(kv.urls[0]);
    HttpClient fresh(address->first, address->second);
    auto get = fresh.request("GET", kvPath("busy"));
    CHECK_MESSAGE(get.status == 200, describe(get));
    CHECK(parsed(get)["value"] == "2");
    // The half-sent PUT never completed: nothing was written under its key.
    expect(1, 404, "GET", kvPath("slow"));
    idle.clear();
  }

  // Whatever came before, every node is alive and serving.
  for (int uid : kLearners) CHECK_MESSAGE(!kv.cluster.exited(uid), "learner ", uid, " exited");
  for (size_t n = 0; n < 3; ++n) {
    auto status = nodes(n, "GET", "/v1/status");
    CHECK_MESSAGE(status.status == 200, describe(status));
    expect(n, 201, "PUT", kvPath("alive" + std::to_string(n)), "yes");
  }
}

}  // namespace
}  // namespace paxos::test
