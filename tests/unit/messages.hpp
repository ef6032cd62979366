// Literal messages for the core's unit tests, and a flat view of an Outbox to compare against.
// Each builder makes a message the way a peer would send it (`from` and `hostsHash` stamped, as a
// Node or Client does), so a test reads like the protocol trace it checks.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/outbox.hpp"
#include "wire/message.hpp"

namespace paxos::test {

using wire::Ballot;
using wire::Message;
using wire::Role;
using wire::Type;

inline constexpr uint64_t kHash = 0x1234;

// A message of `type` from `from`, stamped with the test cluster's hosts hash.
inline Message from(uint32_t sender, Type type, uint64_t instance = 0) {
  Message m;
  m.type = type;
  m.from = sender;
  m.hostsHash = kHash;
  m.instance = instance;
  return m;
}

inline Message prepare(uint32_t proposer, Ballot b, uint64_t instance = 0) {
  Message m = from(proposer, Type::prepare, instance);
  m.ballot = b;
  return m;
}

inline Message promise(uint32_t acceptor, Ballot b, Ballot accepted = {}, std::string value = "") {
  Message m = from(acceptor, Type::promise);
  m.ballot = b;
  m.accepted = accepted;
  m.value = std::move(value);
  return m;
}

inline Message accept(uint32_t proposer, Ballot b, std::string value, uint64_t instance = 0) {
  Message m = from(proposer, Type::accept, instance);
  m.ballot = b;
  m.value = std::move(value);
  return m;
}

inline Message accepted(uint32_t acceptor, Ballot b, std::string value) {
  Message m = from(acceptor, Type::accepted);
  m.ballot = b;
  m.value = std::move(value);
  return m;
}

inline Message nack(uint32_t acceptor, Ballot rejected, Ballot promised) {
  Message m = from(acceptor, Type::nack);
  m.ballot = rejected;
  m.promised = promised;
  return m;
}

inline Message request(uint32_t client, std::string value) {
  Message m = from(client, Type::request);
  m.uid = client;
  m.requestId = 1;
  m.value = std::move(value);
  return m;
}

inline Message decided(uint32_t sender, std::string value) {
  Message m = from(sender, Type::decided);
  m.value = std::move(value);
  return m;
}

inline Message start(uint32_t sender, uint32_t leader, std::vector<Role> roles) {
  Message m = from(sender, Type::start);
  m.uid = leader;
  m.roles = std::move(roles);
  return m;
}

// One sent message, reduced to the fields the protocol rules talk about. Compare a whole Outbox
// with `sent(out) == std::vector<Sent>{...}` so that an extra or a missing message fails too.
struct Sent {
  uint32_t to;
  Type type;
  Ballot ballot{};
  std::string value{};
  Ballot accepted{};
  Ballot promised{};
  uint32_t uid = 0;
  uint64_t instance = 0;
  bool operator==(const Sent&) const = default;
};

inline std::vector<Sent> sent(const core::Outbox& out) {
  std::vector<Sent> list;
  for (const core::Envelope& e : out.messages) {
    const Message& m = e.message;
    list.push_back({e.to, m.type, m.ballot, m.value, m.accepted, m.promised, m.uid, m.instance});
  }
  return list;
}

// The messages of one type only, in the order they were sent.
inline std::vector<Sent> sent(const core::Outbox& out, Type type) {
  std::vector<Sent> list;
  for (const Sent& s : sent(out))
    if (s.type == type) list.push_back(s);
  return list;
}

// What an acceptor remembers for one instance, comparable in one CHECK.
struct AcceptorMemory {
  Ballot promised;
  Ballot accepted{};
  std::string value{};
  bool operator==(const AcceptorMemory&) const = default;
};

// Destinations of the messages of `type`, in the order they were sent.
inline std::vector<uint32_t> destinations(const core::Outbox& out, Type type) {
  std::vector<uint32_t> list;
  for (const core::Envelope& e : out.messages)
    if (e.message.type == type) list.push_back(e.to);
  return list;
}

}  // namespace paxos::test

// Readable failure output: doctest prints these instead of "{?}". (A bare wire::Ballot cannot
// go into CHECK: doctest's unqualified toString() finds wire::toString() by ADL, which returns a
// std::string, and does not compile; tests compare its round and uid, or a Sent or AcceptorMemory.)
namespace doctest {

template <>
struct StringMaker<paxos::wire::Type> {
  static String convert(paxos::wire::Type t) {
    return String(std::string(paxos::wire::typeName(t)).c_str());
  }
};

template <>
struct StringMaker<paxos::test::Sent> {
  static String convert(const paxos::test::Sent& s) {
    std::ostringstream text;
    text << "to " << s.to << ": " << paxos::wire::typeName(s.type) << " inst " << s.instance
         << " ballot " << paxos::wire::toString(s.ballot) << " accepted "
         << paxos::wire::toString(s.accepted) << " promised " << paxos::wire::toString(s.promised)
         << " uid " << s.uid << " value '" << s.value << "'";
    return String(text.str().c_str());
  }
};

template <>
struct StringMaker<paxos::test::AcceptorMemory> {
  static String convert(const paxos::test::AcceptorMemory& a) {
    std::string text = "promised " + paxos::wire::toString(a.promised) + " accepted " +
                       paxos::wire::toString(a.accepted) + " value '" + a.value + "'";
    return String(text.c_str());
  }
};

template <typename T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& list) {
    String text = "{";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) text += ", ";
      text += StringMaker<T>::convert(list[i]);
    }
    return text + "}";
  }
};

}  // namespace doctest
