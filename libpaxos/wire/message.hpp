// Every message the cluster exchanges, and a builder for each type.
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

// What each type carries besides type, hostsHash, from, seq and instance (the codec writes only
// that; docs/PROTOCOL.md has the bytes). `instance` is the Paxos instance: 0 in basic mode, a slot
// of the log in multi mode, the first slot where a message names a range of slots.
enum class Type : uint8_t {
  elect = 1,   // Chang-Roberts token: uid = candidate
  electAck,    // hop acknowledgement: uid = candidate
  leader,      // ring announcement of the winner: uid = leader
  leaderAck,   // uid = leader
  start,       // uid = leader, roles = role of each consensus UID
  startAck,    //
  startQuery,  // "send me START": from late nodes and clients
  request,     // client -> proposer: uid = client, requestId, value (multi mode: a batch of the
               // client's commands, requestId = the first one's id)
  prepare,     // 1a: ballot
  promise,     // 1b: ballot, accepted = ballot of the accepted value (none if nothing), value
  accept,      // 2a: ballot, value
  accepted,    // 2b: ballot, value; to learners and the proposer
  nack,        // ballot = the rejected one, promised = the promise that beat it
  decided,     // value
  done,        // client has its answer: uid = client
  doneAck,     // uid = client
  // Multi mode (docs/MULTI.md).
  prepareAll,  // 1a for every slot >= instance: ballot
  promiseAll,  // ballot; slots [instance, end) may hold accepted values, none past end does
  heartbeat,   // proposer -> all: ballot it leads with (none: not leading), uid = leader it
               // follows, instance = decided prefix. Acceptor -> proposer (the answer to one):
               // ballot = the leader it promised, if alive, instance = where its log starts
  progress,    // learner -> all: instance = next slot it will deliver (service mode: its
               // replica's snapshot slot), end = every configuration change decided below is in
               // value (core/membership.hpp; empty: the hosts file alone); acceptor -> proposer
               // or learner: it forgot the slots below instance (end 0, no value)
  catchup,     // learner -> learners and acceptors (asked again: proposers too, the leader
               // runs them again): resend slots [instance, end)
};
inline constexpr uint8_t kMaxType = static_cast<uint8_t>(Type::catchup);

// Roles as carried in START; assignment is a pure function of the hosts file (core/cluster).
enum class Role : uint8_t { none = 0, proposer = 1, acceptor = 2, learner = 3 };

// One flat struct keeps the core's handlers short; each field has one meaning, and the
// builders below set exactly the fields their type carries.
struct Message {
  Type type = Type::elect;
  uint64_t hostsHash = 0;  // refuses messages from a cluster started with another hosts file
  uint32_t from = 0;       // sender UID
  uint32_t seq = 0;        // sender's datagram counter: (from, seq) names a message in traces
  uint64_t instance = 0;
  Ballot ballot;
  Ballot accepted;         // PROMISE
  Ballot promised;         // NACK
  uint32_t uid = 0;        // the UID the message names: candidate, leader or client
  uint64_t requestId = 0;  // REQUEST
  uint64_t end = 0;        // PROMISE_ALL, CATCHUP: one past the range's last slot; PROGRESS
                           // (from a learner): the membership's through
  std::string value;
  std::vector<Role> roles;  // START
};

// A message of `type` with only `uid` set: acks, queries, DONE.
inline Message make(Type type, uint32_t uid = 0) {
  Message m;
  m.type = type;
  m.uid = uid;
  return m;
}

// Builders, one per type that carries more than a UID (from and hostsHash are stamped by the
// sender's Node or Client). A namespace of their own keeps argument-dependent lookup from
// mixing them up with other functions of the same names.
namespace msg {
Message request(uint32_t client, uint64_t requestId, std::string value);
Message prepare(uint64_t instance, Ballot ballot);
Message promise(uint64_t instance, Ballot ballot, Ballot accepted, std::string value);
Message accept(uint64_t instance, Ballot ballot, std::string value);
Message accepted(uint64_t instance, Ballot ballot, std::string value);
Message nack(uint64_t instance, Ballot rejected, Ballot promised);
Message decided(uint64_t instance, std::string value);
Message prepareAll(uint64_t first, Ballot ballot);
Message promiseAll(uint64_t first, uint64_t end, Ballot ballot);
Message heartbeat(uint64_t instance, Ballot ballot, uint32_t leader = 0);
Message progress(uint64_t next, uint64_t through = 0, std::string membership = {});
Message catchup(uint64_t first, uint64_t end);
}  // namespace msg

std::string_view typeName(Type type);
std::string_view roleName(Role role);
std::string toString(const Ballot& ballot);  // "round.uid", "-" for none
// One line for logs: type, instance and the fields that type uses. `batches`: values of
// REQUEST, PROMISE, ACCEPT, ACCEPTED and DECIDED are multi mode's batches (wire/batch.hpp), shown
// decoded.
std::string describe(const Message& message, bool batches = false);

}  // namespace paxos::wire
