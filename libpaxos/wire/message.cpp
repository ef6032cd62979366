#include "wire/message.hpp"

#include <fmt/format.h>

#include <array>

#include "wire/batch.hpp"

namespace paxos::wire {

std::string_view typeName(Type type) {
  static constexpr std::array<std::string_view, kMaxType + 1> names = {
      "?",           "ELECT",     "ELECT_ACK", "LEADER",  "LEADER_ACK", "START",
      "START_ACK",   "START_Q",   "REQUEST",   "PREPARE", "PROMISE",    "ACCEPT",
      "ACCEPTED",    "NACK",      "DECIDED",   "DONE",    "DONE_ACK",   "PREPARE_ALL",
      "PROMISE_ALL", "HEARTBEAT", "PROGRESS",  "CATCHUP"};
  auto index = static_cast<size_t>(type);
  return index < names.size() ? names[index] : "?";
}

std::string_view roleName(Role role) {
  switch (role) {
    case Role::proposer:
      return "proposer";
    case Role::acceptor:
      return "acceptor";
    case Role::learner:
      return "learner";
    case Role::none:
      break;
  }
  return "none";
}

std::string toString(const Ballot& ballot) {
  if (ballot.none()) return "-";
  return std::to_string(ballot.round) + "." + std::to_string(ballot.uid);
}

std::string describe(const Message& m, bool batches) {
  if (batches && !m.value.empty() &&
      (m.type == Type::request || m.type == Type::promise || m.type == Type::accept ||
       m.type == Type::accepted || m.type == Type::decided)) {
    Message shown = m;
    shown.value = describeBatch(m.value);
    return describe(shown, false);
  }
  std::string text = fmt::format("{} inst {}", typeName(m.type), m.instance);
  switch (m.type) {
    case Type::prepare:
    case Type::prepareAll:
      return text + " ballot " + toString(m.ballot);
    case Type::promiseAll:
      return fmt::format("{} ballot {} end {}", text, toString(m.ballot), m.end);
    case Type::heartbeat:
      return fmt::format("{} ballot {} leader {}", text, toString(m.ballot), m.uid);
    case Type::progress:
      return m.end == 0 ? text : fmt::format("{} membership through {}", text, m.end);
    case Type::catchup:
      return fmt::format("{} to {}", text, m.end);
    case Type::promise:
      return fmt::format("{} ballot {} accepted {} value '{}'", text, toString(m.ballot),
                         toString(m.accepted), m.value);
    case Type::accept:
    case Type::accepted:
      return fmt::format("{} ballot {} value '{}'", text, toString(m.ballot), m.value);
    case Type::nack:
      return fmt::format("{} ballot {} promised {}", text, toString(m.ballot),
                         toString(m.promised));
    case Type::request:
      return fmt::format("{} client {} req {} value '{}'", text, m.uid, m.requestId, m.value);
    case Type::decided:
      return fmt::format("{} value '{}'", text, m.value);
    case Type::startAck:
    case Type::startQuery:
      return text;
    default:
      return fmt::format("{} uid {}", text, m.uid);
  }
}

namespace msg {
namespace {
Message typed(Type type, uint64_t instance, Ballot ballot = {}) {
  Message m;
  m.type = type;
  m.instance = instance;
  m.ballot = ballot;
  return m;
}
}  // namespace

Message request(uint32_t client, uint64_t requestId, std::string value) {
  Message m = typed(Type::request, 0);
  m.uid = client;
  m.requestId = requestId;
  m.value = std::move(value);
  return m;
}

Message prepare(uint64_t instance, Ballot ballot) {
  return typed(Type::prepare, instance, ballot);
}

Message promise(uint64_t instance, Ballot ballot, Ballot accepted, std::string value) {
  Message m = typed(Type::promise, instance, ballot);
  m.accepted = accepted;
  m.value = std::move(value);
  return m;
}

Message accept(uint64_t instance, Ballot ballot, std::string value) {
  Message m = typed(Type::accept, instance, ballot);
  m.value = std::move(value);
  return m;
}

Message accepted(uint64_t instance, Ballot ballot, std::string value) {
  Message m = typed(Type::accepted, instance, ballot);
  m.value = std::move(value);
  return m;
}

Message nack(uint64_t instance, Ballot rejected, Ballot promised) {
  Message m = typed(Type::nack, instance, rejected);
  m.promised = promised;
  return m;
}

Message decided(uint64_t instance, std::string value) {
  Message m = typed(Type::decided, instance);
  m.value = std::move(value);
  return m;
}

Message prepareAll(uint64_t first, Ballot ballot) {
  return typed(Type::prepareAll, first, ballot);
}

Message promiseAll(uint64_t first, uint64_t end, Ballot ballot) {
  Message m = typed(Type::promiseAll, first, ballot);
  m.end = end;
  return m;
}

Message heartbeat(uint64_t instance, Ballot ballot, uint32_t leader) {
  Message m = typed(Type::heartbeat, instance, ballot);
  m.uid = leader;
  return m;
}

Message progress(uint64_t next, uint64_t through, std::string membership) {
  Message m = typed(Type::progress, next);
  m.end = through;
  m.value = std::move(membership);
  return m;
}

Message catchup(uint64_t first, uint64_t end) {
  Message m = typed(Type::catchup, first);
  m.end = end;
  return m;
}

}  // namespace msg

}  // namespace paxos::wire
