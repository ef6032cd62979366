// The wrk Lua scripts of paxos-bench kv, one per system and operation, written into the work
// folder at run time (nothing is installed). Each takes `-- KEYS VALUE_BYTES`: key i is
// "k%06d" (i < KEYS), its value VALUE_BYTES bytes ending in the key. Every thread cycles through
// the key space from its own offset with requests prepared in init(). The response hook counts
// a request as good only when its status is 2xx (and, for etcd's range, the key was found);
// done() prints one line the bench parses:
//   kvbench ok N bad N requests N duration_us N p50_us N p99_us N connect N read N write N
//   status N timeout N codes CODExCOUNT...|none
#pragma once

#include <string>

namespace paxos::bench {

enum class KvSystem { etcd, ours };
enum class KvOp { put, get, http };  // http: a trivial endpoint (etcd /version, ours /v1/status)

const char* name(KvSystem system);
const char* name(KvOp op);

// The script's full text.
std::string kvScript(KvSystem system, KvOp op);

// Key i and its value, as the scripts build them (for the prefill and the read-back check).
std::string kvKey(int i);
std::string kvValue(int i, int valueBytes);

// Standard base64 (for etcd's JSON gateway).
std::string base64(const std::string& bytes);

}  // namespace paxos::bench
