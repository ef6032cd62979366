// A client: waits for START, sends REQUEST(value) to proposers[desired % P], resends it and
// fails over to the next proposer while no DECIDED arrives, then sends DONE to every consensus
// node so the cluster can shut down. Exits 0 with a decision, 1 after clientTimeout without one.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/actor.hpp"
#include "core/cluster.hpp"
#include "core/resender.hpp"

namespace paxos::core {

class Client : public Actor {
 public:
  Client(const Cluster& cluster, const Timing& timing, uint32_t self, std::string value,
         uint32_t desiredProposer);

  void start(Time now, Outbox& out) override;
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  const std::optional<std::string>& decided() const { return decided_; }

 private:
  enum class Phase { waitingStart, requesting, finishing };

  void sendRequest(Time now, Outbox& out);
  void finish(Time now, int exitCode, Outbox& out);
  void stamp(Outbox& out, size_t from) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  std::string value_;
  size_t proposerIndex_;
  Phase phase_ = Phase::waitingStart;
  Time giveUpAt_{};
  Time retryAt_{};
  int sendsToThisProposer_ = 0;
  std::optional<std::string> decided_;
  Resender dones_;
  int exitCode_ = 0;
  bool exited_ = false;
  bool warnedHash_ = false;
};

}  // namespace paxos::core
