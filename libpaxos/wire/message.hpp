// Every message the cluster exchanges. One flat struct keeps the core's handlers short; the
// table in docs/PROTOCOL.md says which fields each type uses, and the codec writes only those.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace paxos::wire {

// A proposal number: totally ordered, and unique per proposer because the proposer's UID breaks
// ties (Paxos Made Simple: "disjoint sets of numbers"). round 0 means "none".
struct Ballot {
  uint64_t round = 0;
  uint32_t uid = 0;
  auto operator<=>(const Ballot&) const = default;
  bool none() const { return round == 0; }
};

enum class Type : uint8_t {
  elect = 1,  // Chang-Roberts token: uid = candidate
  electAck,   // hop acknowledgement: uid = candidate
  leader,     // ring announcement of the winner: uid = leader
  leaderAck,  // uid = leader
  start,      // uid = leader, roles = role of each consensus UID
  startAck,
  startQuery,  // "send me START": from late nodes and clients
  request,     // client -> proposer: uid = client, request = request id, value (multi mode: a
               // batch of the client's commands, request = the first one's id)
  prepare,     // 1a: ballot
  promise,     // 1b: ballot, accepted = ballot of the accepted value (none if nothing), value
  accept,      // 2a: ballot, value
  accepted,    // 2b: ballot, value; to learners and the proposer
  nack,        // ballot = the rejected one, accepted = the promise that beat it
  decided,     // value
  done,        // client has its answer: uid = client
  doneAck,
  // Multi mode (docs/MULTI.md); instance is a slot of the log.
  prepareAll,  // 1a for every slot >= instance: ballot
  promiseAll,  // ballot; instance = first slot it speaks for; request = one past its last accepted
  heartbeat,   // proposer -> all: ballot it leads with (none: not leading), uid = leader it
               // follows, instance = decided prefix, request = trim point (all learners have it)
  progress,    // learner -> proposers: instance = next slot it will deliver
  catchup,     // learner -> learners and acceptors (asked again: proposers too, the leader
               // runs them again): resend slots [instance, request)
};
inline constexpr uint8_t kMaxType = static_cast<uint8_t>(Type::catchup);

// Roles as carried in START; assignment is a pure function of the hosts file (core/cluster).
enum class Role : uint8_t { none = 0, proposer = 1, acceptor = 2, learner = 3 };

struct Message {
  Type type = Type::elect;
  uint64_t hostsHash = 0;  // refuses messages from a cluster started with another hosts file
  uint32_t from = 0;       // sender UID
  uint32_t seq = 0;        // sender's datagram counter: (from, seq) names a message in traces
  uint64_t instance = 0;   // Paxos instance; basic mode uses 0 only
  Ballot ballot;
  Ballot accepted;
  uint32_t uid = 0;
  uint64_t request = 0;
  std::string value;
  std::vector<Role> roles;
};

// A message of `type` with only `uid` set: acks, queries, DONE.
inline Message make(Type type, uint32_t uid = 0) {
  Message m;
  m.type = type;
  m.uid = uid;
  return m;
}

std::string_view typeName(Type type);
std::string_view roleName(Role role);
std::string toString(const Ballot& ballot);  // "round.uid", "-" for none
// One line for logs: type, instance and the fields that type uses. `batches`: values of
// REQUEST, PROMISE, ACCEPT, ACCEPTED and DECIDED are multi mode's batches (wire/batch.hpp), shown
// decoded.
std::string describe(const Message& message, bool batches = false);

}  // namespace paxos::wire
