// Acceptor: the memory of Paxos. It answers PREPARE and ACCEPT for each instance and never goes
// back on a promise.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/cluster.hpp"
#include "core/outbox.hpp"

namespace paxos::core {

class Acceptor {
 public:
  // `recovered`: the state it had persisted before a restart (empty on a first start).
  explicit Acceptor(const Cluster& cluster, std::map<uint64_t, AcceptorState> recovered = {})
      : cluster_(cluster), instances_(std::move(recovered)) {}

  // PREPARE(b): if b >= promised, promise b and report the highest accepted proposal (1b);
  // else NACK with the promise that beat it. Re-promising an equal ballot makes a resent
  // PREPARE harmless. ACCEPT(b, v): if b >= promised, accept (2b) and tell the learners and the
  // proposer; else NACK. Messages whose ballot is not the sender's own are ignored.
  void receive(const wire::Message& message, Outbox& out);

  const AcceptorState& state(uint64_t instance) { return instances_[instance]; }
  const std::map<uint64_t, AcceptorState>& states() const { return instances_; }

 private:
  void nack(const wire::Message& message, const AcceptorState& state, Outbox& out) const;

  const Cluster& cluster_;
  std::map<uint64_t, AcceptorState> instances_;
};

}  // namespace paxos::core
