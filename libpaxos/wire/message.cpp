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
      return fmt::format("{} ballot {} end {}", text, toString(m.ballot), m.request);
    case Type::heartbeat:
      return fmt::format("{} ballot {} leader {} trim {}", text, toString(m.ballot), m.uid,
                         m.request);
    case Type::progress:
      return text;
    case Type::catchup:
      return fmt::format("{} to {}", text, m.request);
    case Type::promise:
      return fmt::format("{} ballot {} accepted {} value '{}'", text, toString(m.ballot),
                         toString(m.accepted), m.value);
    case Type::accept:
    case Type::accepted:
      return fmt::format("{} ballot {} value '{}'", text, toString(m.ballot), m.value);
    case Type::nack:
      return fmt::format("{} ballot {} promised {}", text, toString(m.ballot),
                         toString(m.accepted));
    case Type::request:
      return fmt::format("{} client {} req {} value '{}'", text, m.uid, m.request, m.value);
    case Type::decided:
      return fmt::format("{} value '{}'", text, m.value);
    case Type::startAck:
    case Type::startQuery:
      return text;
    default:
      return fmt::format("{} uid {}", text, m.uid);
  }
}

}  // namespace paxos::wire
