// A client: waits for START, sends its values as REQUESTs to proposers[desired % P], resends them
// and fails over to the next proposer while no answer comes, then sends DONE to every consensus
// node so the cluster can shut down. Basic mode: one value, and the DECIDED value (anyone's) is
// the answer. Multi mode: a stream of values, up to `window` in flight, sent as batches (one
// REQUEST carries as many as fit), each answered with the slot that decided it. Exits 0 when
// every value is answered, 1 after clientTimeout without progress.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/actor.hpp"
#include "core/cluster.hpp"
#include "core/resender.hpp"

namespace paxos::core {

class Client : public Actor {
 public:
  Client(const Cluster& cluster, const Timing& timing, uint32_t self,
         std::vector<std::string> values, uint32_t desiredProposer);
  Client(const Cluster& cluster, const Timing& timing, uint32_t self, std::string value,
         uint32_t desiredProposer)
      : Client(cluster, timing, self, std::vector<std::string>{std::move(value)}, desiredProposer) {
  }

  void start(Time now, Outbox& out) override;
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  // Basic mode: the decided value.
  const std::optional<std::string>& decided() const { return decided_; }
  // Multi mode: the slot that decided each value (by index), once answered.
  const std::vector<std::optional<uint64_t>>& slots() const { return slots_; }
  // Multi mode: each output line also says how long the value took, in microseconds from its
  // first send to its answer ("decided SLOT VALUE MICROS").
  void reportLatency(bool on) { latency_ = on; }

 private:
  enum class Phase { waitingStart, requesting, finishing };

  void onDecided(Time now, const wire::Message& m, Outbox& out);
  void sendNew(Time now, Outbox& out);  // fills the window
  // REQUESTs for values_[indices]: one in basic mode; in multi mode as few batches as fit.
  void send(const std::vector<size_t>& indices, Outbox& out) const;
  void resend(Time now, Outbox& out);
  Time retryAt() const;  // when the oldest open request may be due again
  // requestRetry, or twice the recent answer time when that is longer (a loaded cluster).
  Duration retryPeriod() const;
  void finish(Time now, int exitCode, Outbox& out);
  void stamp(Outbox& out, size_t from) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  std::vector<std::string> values_;  // request id = index + 1
  size_t proposerIndex_;
  Phase phase_ = Phase::waitingStart;
  Time lastProgress_{};
  Time retryAt_{};         // next START_QUERY while waiting for START
  Time askedSince_{};      // this proposer asked since then (and no answer since)
  size_t nextToSend_ = 0;  // index of the first value never sent
  size_t firstOpen_ = 0;   // index of the first value not yet answered
  size_t answered_ = 0;
  std::map<size_t, Time> open_;  // sent, not answered: index -> last sent
  Time oldestSent_{};            // at or before every time in open_ (exact after a resend)
  bool latency_ = false;
  Duration answerTime_{};  // moving average of first send to answer
  std::vector<std::optional<uint64_t>> slots_;
  std::vector<Time> firstSent_;  // by index, for reportLatency
  std::optional<std::string> decided_;
  Resender dones_;
  int exitCode_ = 0;
  bool exited_ = false;
  bool warnedHash_ = false;
};

}  // namespace paxos::core
