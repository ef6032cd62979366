// The linearizability checker on literal histories: per-key register semantics, concurrency,
// unknown outcomes, and the anomalies a broken store produces.
#include "check/linearizability.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

using namespace paxos::check;

namespace {

uint64_t nextId = 0;

Operation put(const std::string& value, int64_t invoke, int64_t complete,
              Outcome outcome = Outcome::Ok, const std::string& key = "k") {
  return {key, OpKind::Put, outcome, value, invoke, complete, "c", ++nextId};
}
Operation get(const std::string& value, int64_t invoke, int64_t complete,
              const std::string& key = "k") {
  return {key, OpKind::Get, Outcome::Value, value, invoke, complete, "c", ++nextId};
}
Operation getNone(int64_t invoke, int64_t complete, const std::string& key = "k") {
  return {key, OpKind::Get, Outcome::NotFound, "", invoke, complete, "c", ++nextId};
}
Operation del(Outcome outcome, int64_t invoke, int64_t complete, const std::string& key = "k") {
  return {key, OpKind::Delete, outcome, "", invoke, complete, "c", ++nextId};
}

}  // namespace

TEST_CASE("linearizability: a sequential history that reads what was last written is valid") {
  CheckResult r = checkLinearizable({getNone(0, 1), put("a", 2, 3), get("a", 4, 5), put("b", 6, 7),
                                     get("b", 8, 9), del(Outcome::Ok, 10, 11), getNone(12, 13),
                                     del(Outcome::NotFound, 14, 15)});
  CHECK(r.linearizable);
  CHECK(r.operations == 8);
  CHECK(r.keys == 1);
}

TEST_CASE("linearizability: concurrent operations may take effect in either order") {
  // put a and put b overlap; readers during the overlap may see either, but once one reader
  // saw b after a, later readers must not go back to a.
  CHECK(checkLinearizable({put("a", 0, 10), put("b", 1, 11), get("b", 2, 3), get("a", 4, 5)})
            .linearizable);  // b then a, both within the writes' intervals
  CHECK(checkLinearizable({put("a", 0, 10), put("b", 1, 11), get("a", 12, 13), get("a", 14, 15)})
            .linearizable);
  CHECK(checkLinearizable({put("a", 0, 10), get("a", 5, 6), getNone(1, 2)}).linearizable);
}

TEST_CASE("linearizability: a stale read after an acknowledged write is an anomaly") {
  CheckResult r =
      checkLinearizable({put("a", 0, 1), put("b", 2, 3), get("a", 4, 5, "k")});  // b was acked
  CHECK_FALSE(r.linearizable);
  CHECK(r.key == "k");
  CHECK(r.explanation.find("read \"a\"") != std::string::npos);
  CHECK(r.explanation.find("\"b\"") != std::string::npos);

  // Two reads of the same interval that go back in time.
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), put("b", 2, 20), get("b", 3, 4), get("a", 5, 6)})
                  .linearizable);
}

TEST_CASE("linearizability: a lost acknowledged write is an anomaly") {
  // put b was acknowledged after put a completed, yet every later read sees a.
  CheckResult r =
      checkLinearizable({put("a", 0, 1), put("b", 2, 3), get("a", 10, 11), get("a", 12, 13)});
  CHECK_FALSE(r.linearizable);
  // An acknowledged put, then a read finding nothing.
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), getNone(2, 3)}).linearizable);
}

TEST_CASE("linearizability: a read of a value never written is an anomaly") {
  CheckResult r = checkLinearizable({put("a", 0, 1), get("zzz", 2, 3)});
  CHECK_FALSE(r.linearizable);
  CHECK(r.explanation.find("no put wrote") != std::string::npos);
  // Written, but only after the read completed.
  CHECK_FALSE(checkLinearizable({get("a", 0, 1), put("a", 2, 3)}).linearizable);
}

TEST_CASE("linearizability: a pending write may take effect later, or never") {
  // Unknown put of b (a timeout): a read long after sees it.
  CHECK(checkLinearizable({put("a", 0, 1), put("b", 2, 0, Outcome::Unknown), get("a", 3, 4),
                           get("b", 100, 101), get("b", 200, 201)})
            .linearizable);
  // ... or it never shows.
  CHECK(checkLinearizable(
            {put("a", 0, 1), put("b", 2, 0, Outcome::Unknown), get("a", 3, 4), get("a", 100, 101)})
            .linearizable);
  // But once seen it stays (until overwritten): no flip back to a.
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), put("b", 2, 0, Outcome::Unknown), get("b", 10, 11),
                                 get("a", 20, 21)})
                  .linearizable);
  // Not before it was invoked.
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), get("b", 2, 3), put("b", 5, 0, Outcome::Unknown)})
                  .linearizable);
  // An unknown read constrains nothing.
  Operation lost = get("zzz", 0, 0);
  lost.outcome = Outcome::Unknown;
  CHECK(checkLinearizable({put("a", 0, 1), lost}).linearizable);
}

TEST_CASE("linearizability: delete semantics") {
  // Delete of a present value is ok, of an absent one not_found.
  CHECK(checkLinearizable(
            {put("a", 0, 1), del(Outcome::Ok, 2, 3), del(Outcome::NotFound, 4, 5), getNone(6, 7)})
            .linearizable);
  // A delete that succeeded with nothing present.
  CHECK_FALSE(checkLinearizable({del(Outcome::Ok, 0, 1)}).linearizable);
  // not_found after an acknowledged put.
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), del(Outcome::NotFound, 2, 3)}).linearizable);
  // A read of the deleted value after the delete was acknowledged.
  CHECK_FALSE(
      checkLinearizable({put("a", 0, 1), del(Outcome::Ok, 2, 3), get("a", 4, 5)}).linearizable);
  // Two concurrent deletes: exactly one may succeed.
  CHECK(checkLinearizable({put("a", 0, 1), del(Outcome::Ok, 2, 5), del(Outcome::NotFound, 3, 6)})
            .linearizable);
  CHECK_FALSE(checkLinearizable({put("a", 0, 1), del(Outcome::Ok, 2, 5), del(Outcome::Ok, 3, 6)})
                  .linearizable);
  // An unknown delete: the value may be gone later, or not.
  CHECK(checkLinearizable(
            {put("a", 0, 1), del(Outcome::Unknown, 2, 0), get("a", 3, 4), getNone(5, 6)})
            .linearizable);
  CHECK(checkLinearizable({put("a", 0, 1), del(Outcome::Unknown, 2, 0), get("a", 3, 4)})
            .linearizable);
}

TEST_CASE("linearizability: keys are checked independently") {
  CheckResult r = checkLinearizable({put("a", 0, 1, Outcome::Ok, "x"), get("a", 2, 3, "x"),
                                     put("a", 0, 1, Outcome::Ok, "y"), getNone(2, 3, "y")});
  CHECK_FALSE(r.linearizable);
  CHECK(r.key == "y");
  CHECK(r.keys == 2);
}

namespace {

// A correct register simulated with overlapping intervals: each op takes effect at a random
// point inside its interval (about 8 concurrent ops per key); `unknownPercent` of the writes
// time out (unknown outcome; they took effect, which may or may not be seen).
std::vector<Operation> simulated(int unknownPercent) {
  std::mt19937_64 rng(42);
  std::vector<Operation> history;
  struct Register {
    bool present = false;
    std::string value;
  };
  std::vector<Register> regs(20);
  int64_t now = 0;
  for (int i = 0; i < 20000; ++i) {
    now += 10;
    int key = static_cast<int>(rng() % 20);
    Register& reg = regs[key];
    // The effect happens at `now`; the interval spans up to 8 neighbours either side.
    int64_t invoke = now - static_cast<int64_t>(rng() % 80);
    int64_t complete = now + static_cast<int64_t>(rng() % 80);
    Operation op;
    op.key = "k" + std::to_string(key);
    op.invoke = invoke;
    op.complete = complete;
    op.client = "c" + std::to_string(i % 8);
    op.id = static_cast<uint64_t>(i);
    int what = static_cast<int>(rng() % 10);
    if (what < 4) {
      op.kind = OpKind::Put;
      op.value = "v" + std::to_string(i);
      op.outcome = static_cast<int>(rng() % 100) < unknownPercent ? Outcome::Unknown : Outcome::Ok;
      reg = {true, op.value};
    } else if (what < 9) {
      op.kind = OpKind::Get;
      op.outcome = reg.present ? Outcome::Value : Outcome::NotFound;
      op.value = reg.value;
    } else {
      op.kind = OpKind::Delete;
      op.outcome = reg.present ? Outcome::Ok : Outcome::NotFound;
      if (static_cast<int>(rng() % 100) < unknownPercent) op.outcome = Outcome::Unknown;
      reg.present = false;
    }
    history.push_back(op);
  }
  return history;
}

}  // namespace

TEST_CASE("linearizability: 20,000 operations over 20 keys with 8 clients check fast") {
  std::vector<Operation> history = simulated(1);
  auto start = std::chrono::steady_clock::now();
  CheckResult r = checkLinearizable(history);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  MESSAGE("20k ops checked in " << ms << " ms");
  CHECK(r.linearizable);
  CHECK_FALSE(r.inconclusive);
  CHECK(r.operations == 20000);
  CHECK(ms < 1000);

  // The same history with one read made stale is caught: a read that began after the put of
  // the value it saw had completed, which itself began after an older put completed, now
  // returns the older value.
  bool staled = false;
  for (size_t i = history.size() / 2; i < history.size() && !staled; ++i) {
    Operation& read = history[i];
    if (read.kind != OpKind::Get || read.outcome != Outcome::Value) continue;
    const Operation* seen = nullptr;
    for (size_t j = 0; j < i; ++j)
      if (history[j].kind == OpKind::Put && history[j].key == read.key &&
          history[j].value == read.value)
        seen = &history[j];
    if (!seen || seen->outcome != Outcome::Ok || seen->complete >= read.invoke) continue;
    for (size_t j = 0; j < i && !staled; ++j) {
      const Operation& old = history[j];
      if (old.kind == OpKind::Put && old.key == read.key && old.outcome == Outcome::Ok &&
          old.complete < seen->invoke) {
        read.value = old.value;
        staled = true;
      }
    }
  }
  REQUIRE(staled);
  CHECK_FALSE(checkLinearizable(history).linearizable);
}

TEST_CASE("linearizability: many unknown outcomes (10% of writes) still check fast") {
  std::vector<Operation> history = simulated(10);
  auto start = std::chrono::steady_clock::now();
  CheckResult r = checkLinearizable(history);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  MESSAGE("20k ops, 10% unknown writes, checked in " << ms << " ms");
  CHECK(r.linearizable);
  CHECK_FALSE(r.inconclusive);
  CHECK(ms < 2000);

  // Out of budget: no verdict rather than a wrong one.
  CheckOptions tiny;
  tiny.maxStatesPerKey = 10;
  CheckResult cut = checkLinearizable(history, tiny);
  CHECK(cut.linearizable);
  CHECK(cut.inconclusive);
}
