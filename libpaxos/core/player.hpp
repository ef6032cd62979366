// The role a consensus node plays once the leader is known: proposer, acceptor or learner, in
// basic or multi mode, as the hosts file gives it to the node's UID. A Node holds exactly one,
// built at start (roles are a pure function of the hosts file), and hands it every message that
// is not about the election, START or DONE. What a role does not need is a no-op here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/outbox.hpp"
#include "core/timing.hpp"
#include "wire/message.hpp"

namespace paxos::core {

class Player {
 public:
  virtual ~Player() = default;
  // Called once, when the node learns who leads and takes its role.
  virtual void start(Time, Outbox&) {}
  virtual void receive(Time now, const wire::Message& message, Outbox& out) = 0;
  virtual void tick(Time, Outbox&) {}
  virtual std::optional<Time> nextWake() const { return std::nullopt; }

  // Basic mode: the value decided, once this role knows it.
  virtual std::optional<std::string> decided() const { return std::nullopt; }
  // Multi mode: every slot below is done here (a learner delivered it; a proposer knows it is
  // decided; an acceptor forgot it, every learner having it).
  virtual uint64_t logEnd() const { return 0; }
  // Multi mode: every learner has every slot below, as far as this role knows (a learner: it
  // has them itself). A node exits once this reaches the last client value.
  virtual uint64_t settled() const { return logEnd(); }
};

}  // namespace paxos::core
