// Which requests of each client are in the log, and at which slot (multi mode). A value can be
// proposed more than once (a client resends, a new leader gets the resend): learners deliver only
// its first copy, and the leader sends a resend of a decided value to the learners, who answer
// it, rather than proposing it again. Only the most recent kRemembered ids per client are kept;
// a client keeps at most Timing::window (<= 1024) consecutive ids open, so a resend is always
// among them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/id_table.hpp"
#include "wire/bytes.hpp"

namespace paxos::core {

class RequestLog {
 public:
  static constexpr size_t kRemembered = 4096;

  // The slot that holds request `id` of `client`, if it is remembered.
  std::optional<uint64_t> slotOf(uint32_t client, uint64_t id) const {
    auto c = clients_.find(client);
    if (c == clients_.end()) return std::nullopt;
    const uint64_t* slot = c->second.slots.find(id);
    if (!slot) return std::nullopt;
    return *slot;
  }
  // Whether the request is in the log: remembered, or old enough to have been forgotten.
  bool contains(uint32_t client, uint64_t id) const {
    auto c = clients_.find(client);
    return c != clients_.end() && (id <= c->second.forgottenUpTo || c->second.slots.contains(id));
  }
  void add(uint32_t client, uint64_t id, uint64_t slot) {
    Client& c = clients_[client];
    c.slots.insert(id, slot);
    if (c.slots.size() <= kRemembered) return;
    c.forgottenUpTo = c.slots.front().first;
    c.slots.popFront();
  }

  // For a replica's snapshot (docs/KV.md): the table as of the slot it was taken at.
  void encode(wire::Writer& w) const {
    w.u32(static_cast<uint32_t>(clients_.size()));
    for (const auto& [client, c] : clients_) {
      w.u32(client);
      w.u64(c.forgottenUpTo);
      w.u32(static_cast<uint32_t>(c.slots.size()));
      for (const auto& [id, slot] : c.slots) {
        w.u64(id);
        w.u64(slot);
      }
    }
  }
  // Fails `r` on anything a well-formed table cannot hold.
  static RequestLog decode(wire::Reader& r) {
    RequestLog log;
    uint32_t clients = r.u32();
    for (uint32_t i = 0; i < clients && r.ok(); ++i) {
      Client& c = log.clients_[r.u32()];
      c.forgottenUpTo = r.u64();
      uint32_t n = r.u32();
      if (n > kRemembered) r.fail();
      for (uint32_t j = 0; j < n && r.ok(); ++j) {
        uint64_t id = r.u64();
        c.slots.insert(id, r.u64());
      }
    }
    if (log.clients_.size() != clients) r.fail();
    return log;
  }

 private:
  struct Client {
    IdTable<uint64_t> slots;     // request id -> slot
    uint64_t forgottenUpTo = 0;  // ids at or below are in the log, no longer listed
  };
  std::map<uint32_t, Client> clients_;
};

}  // namespace paxos::core
