// Records a key-value history against the HTTP API (/work/shared-notes/kv-api.md) for the
// linearizability checker (libpaxos/check): N client threads issue random put/get/delete on K
// keys for a while, each op timed on one steady clock.
//
// History file: JSON lines, one object per operation, in the order operations completed:
//   {"id":7,"client":"c3","key":"lc1-k2","op":"put","value":"c3-17","invoke":120450,
//    "complete":982311,"outcome":"ok","status":201,"version":12,"node":"http://127.0.0.1:8081",
//    "request_id":"lc1-c3-17","attempts":1,"error":""}
// - id: unique per history; client: "c<i>"; key: the key as sent (before percent-encoding).
// - op: "put" | "get" | "delete". value: the value written (put) or read (get with a value),
//   else "". Written values are unique per key: "c<client>-<n>".
// - invoke, complete: ns since the recording started, one clock for all clients; for an
//   unknown outcome "complete" is when the client gave up.
// - outcome: "ok" (put or delete applied), "value" (get found `value`), "not_found" (get or
//   delete found nothing), "unknown" (timeout, connection error, 504, other 5xx, or 503 after
//   every retry: it may or may not have taken effect), "failed" (a definite refusal such as
//   400/412/413: it took no effect; the checker skips it).
// - status: the last HTTP status (0: none); version: the "version" of the answer (0: none);
//   node: the URL of the last attempt; request_id: the X-Request-Id of a write (same on every
//   retry), "" for a get; attempts: how many requests the op took; error: a transport error.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "check/linearizability.hpp"

namespace paxos::test {

struct RecordOptions {
  std::vector<std::string> urls;  // http://HOST:PORT of the nodes serving the API
  int clients = 4;
  int keys = 5;
  std::chrono::milliseconds duration{5000};  // no op starts later than this
  std::chrono::milliseconds requestTimeout{2000};
  // A 503 or a refused connection is sent again, with the same X-Request-Id, to another node
  // (the next in the list) at most this many times; each waits for Retry-After (a refused
  // connection: `retryPauseCap`), capped at `retryPauseCap`.
  int retries = 3;
  std::chrono::milliseconds retryPauseCap{100};
  // Each client keeps to one node (client i: urls[i % size]) instead of a random one per op.
  bool sticky = false;
  // Operation mix: percent puts and deletes; the rest are gets (linearizable, no
  // ?consistency=stale).
  int putPercent = 40;
  int deletePercent = 10;
  uint64_t seed = 1;
  // Prepended to "k<i>" to name the keys; the checker assumes they start absent, so a run
  // against a used store needs a fresh prefix. Empty: "lc<seed>-".
  std::string keyPrefix;
};

struct RecordedOp {
  uint64_t id = 0;
  std::string client;
  std::string key;
  std::string op;  // put | get | delete
  std::string value;
  int64_t invoke = 0;
  int64_t complete = 0;
  std::string outcome;  // ok | value | not_found | unknown | failed
  int status = 0;
  uint64_t version = 0;
  std::string node;
  std::string requestId;
  int attempts = 0;
  std::string error;
};

// Runs the clients against `options.urls` and returns every operation they made, ordered by
// completion time. Blocks for about `duration` plus one request timeout.
std::vector<RecordedOp> recordHistory(const RecordOptions& options);

// One JSON line per op, each followed by '\n'.
void writeHistory(std::ostream& out, const std::vector<RecordedOp>& ops);
// Parses a history file; false with `error` ("line 3: ...") on a malformed line.
bool readHistory(std::istream& in, std::vector<RecordedOp>& ops, std::string& error);

// The checker's view: "failed" ops are left out (they took no effect).
std::vector<check::Operation> toCheckerOps(const std::vector<RecordedOp>& ops);

}  // namespace paxos::test
