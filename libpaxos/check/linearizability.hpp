// A linearizability checker for key-value histories: Wing & Gong's search with Lowe's
// memoisation (a configuration already explored, the set of linearized operations plus the
// register's state, is never explored again), as in porcupine. Linearizability is local
// (P-compositional, Herlihy & Wing): a history is linearizable iff every key's sub-history is,
// so each key is checked on its own.
//
// Model per key: a register that is absent or holds one value. Writes put unique values per key
// (the recorder guarantees it), so the state is "absent" or "the value of write #i".
//   put(v)  -> ok                   state := v
//   delete  -> ok                   requires present; state := absent
//   delete  -> not_found            requires absent
//   get     -> value v              requires state == v
//   get     -> not_found            requires absent
// A compare-and-swap that succeeded is a put (or a delete); one that failed (412) is left out by
// the caller: it wrote nothing, and leaving out a read only removes constraints (sound, never a
// false anomaly).
//
// Unknown outcome (timeout, 504, connection error): the operation may take effect at any point
// after its invocation, or never. It is checked as pending with an infinite completion time:
// taking effect after every other operation is the same as never taking effect. An unknown get
// constrains nothing and is dropped.
//
// Pure: no I/O, no clocks, no threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace paxos::check {

enum class OpKind { Put, Get, Delete };

// What the client learned. For a put only Ok or Unknown make sense; for a delete Ok, NotFound
// or Unknown; for a get Value, NotFound or Unknown.
enum class Outcome { Ok, Value, NotFound, Unknown };

struct Operation {
  std::string key;
  OpKind kind = OpKind::Get;
  Outcome outcome = Outcome::Unknown;
  // put: the value written; get with Outcome::Value: the value read.
  std::string value;
  // Nanoseconds on one monotonic clock shared by all clients. complete >= invoke; ignored for
  // Outcome::Unknown (treated as never completing).
  int64_t invoke = 0;
  int64_t complete = 0;
  // Who issued it and a caller's id (e.g. line number), for the explanation only.
  std::string client;
  uint64_t id = 0;
};

struct CheckOptions {
  // Search budget per key: configurations remembered before giving up with an inconclusive
  // result (a history with many concurrent unknown writes can be exponential). Each costs
  // about 100 bytes plus n/8 bytes for a key of n operations.
  uint64_t maxStatesPerKey = 1'000'000;
};

struct CheckResult {
  bool linearizable = true;
  // The budget ran out on some key before a verdict (linearizable stays true, inconclusive
  // is set; no anomaly was found on the keys that finished).
  bool inconclusive = false;
  uint64_t operations = 0;
  uint64_t keys = 0;
  // The first anomaly (keys in sorted order): its key and one paragraph naming the operations.
  std::string key;
  std::string explanation;
};

// Checks every key's sub-history. Operations may come in any order.
CheckResult checkLinearizable(const std::vector<Operation>& history,
                              const CheckOptions& options = {});

// One operation as text for explanations: `c3 put "c3-17" ok [120..340]` (times in ns).
std::string describe(const Operation& op);

}  // namespace paxos::check
