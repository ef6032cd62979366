// The history recorder and the checker end to end against an in-process fake of the KV API: a
// correct fake (one map, requests served one at a time) gives linearizable histories, with 503
// retries and 504 unknowns mixed in; a fake that reads from a stale copy gives an anomaly.
#include "history_recorder.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "check/linearizability.hpp"
#include "tiny_http_server.hpp"

using namespace paxos::test;
using namespace paxos::check;

namespace {

RecordOptions quick(const std::vector<std::string>& urls) {
  RecordOptions o;
  o.urls = urls;
  o.clients = 4;
  o.keys = 3;
  o.duration = std::chrono::milliseconds(300);
  o.requestTimeout = std::chrono::milliseconds(1000);
  o.retryPauseCap = std::chrono::milliseconds(1);
  return o;
}

size_t count(const std::vector<RecordedOp>& ops, const std::string& outcome) {
  size_t n = 0;
  for (const auto& op : ops) n += op.outcome == outcome;
  return n;
}

}  // namespace

TEST_CASE("recorder: a correct fake store gives a linearizable history") {
  FakeKvServer fake;
  std::vector<RecordedOp> ops = recordHistory(quick({fake.url()}));
  REQUIRE(ops.size() > 100);
  CHECK(count(ops, "ok") > 0);
  CHECK(count(ops, "value") > 0);
  CHECK(count(ops, "not_found") > 0);
  CHECK(count(ops, "unknown") == 0);
  CheckResult r = checkLinearizable(toCheckerOps(ops));
  CHECK_MESSAGE(r.linearizable, r.key << ": " << r.explanation);
  CHECK(r.keys == 3);
  MESSAGE(ops.size() << " ops recorded in 300 ms");
}

TEST_CASE(
    "recorder: 503s are retried on another node with the same request id; 504s are "
    "unknown") {
  // Two "nodes" of one store: the same fake under two URLs is not possible, so each client
  // picks between a node that always answers 503 and the real one.
  TinyHttpServer down([](const ServerRequest&) {
    ServerResponse r;
    r.status = 503;
    r.headers.emplace_back("Retry-After", "1");
    r.body = R"({"error":"unavailable"})";
    return r;
  });
  FakeKvOptions options;
  options.unknownEvery = 7;
  FakeKvServer fake(options);
  RecordOptions o = quick({down.url(), fake.url()});
  std::vector<RecordedOp> ops = recordHistory(o);
  REQUIRE(ops.size() > 50);
  size_t retried = 0;
  for (const auto& op : ops) {
    if (op.attempts > 1) ++retried;
    CHECK(op.node == fake.url());  // every op ends on the live node
    if (op.op != "get") CHECK_FALSE(op.requestId.empty());
  }
  CHECK(retried > 0);
  CHECK(count(ops, "unknown") > 0);
  CheckResult r = checkLinearizable(toCheckerOps(ops));
  CHECK_MESSAGE(r.linearizable, r.key << ": " << r.explanation);
}

TEST_CASE("recorder: a store that serves stale reads gives an anomaly") {
  FakeKvOptions options;
  options.staleEvery = 5;
  FakeKvServer fake(options);
  std::vector<RecordedOp> ops = recordHistory(quick({fake.url()}));
  CheckResult r = checkLinearizable(toCheckerOps(ops));
  CHECK_FALSE(r.linearizable);
  MESSAGE("anomaly on " << r.key << ": " << r.explanation);
}

TEST_CASE("recorder: a history survives its JSON-lines form") {
  FakeKvServer fake;
  RecordOptions o = quick({fake.url()});
  o.duration = std::chrono::milliseconds(50);
  std::vector<RecordedOp> ops = recordHistory(o);
  REQUIRE_FALSE(ops.empty());
  std::stringstream file;
  writeHistory(file, ops);
  std::vector<RecordedOp> back;
  std::string error;
  REQUIRE(readHistory(file, back, error));
  REQUIRE(back.size() == ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    CHECK(back[i].id == ops[i].id);
    CHECK(back[i].key == ops[i].key);
    CHECK(back[i].value == ops[i].value);
    CHECK(back[i].outcome == ops[i].outcome);
    CHECK(back[i].invoke == ops[i].invoke);
    CHECK(back[i].complete == ops[i].complete);
    CHECK(back[i].requestId == ops[i].requestId);
    CHECK(back[i].version == ops[i].version);
  }
  std::stringstream broken(
      "{\"key\":\"k\",\"op\":\"put\",\"invoke\":1,\"outcome\":\"ok\"}\nnot json\n");
  back.clear();
  CHECK_FALSE(readHistory(broken, back, error));
  CHECK(error.rfind("line 2:", 0) == 0);
}
