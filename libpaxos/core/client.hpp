// A client: waits for START, sends its values as REQUESTs to proposers[desired % P], resends them
// and fails over to the next proposer while no answer comes, then sends DONE to every consensus
// node so the cluster can shut down. Basic mode: one value, and the DECIDED value (anyone's) is
// the answer. Multi mode: a stream of values, up to `window` in flight, sent as batches (one
// REQUEST carries as many as fit), each answered with the slot that decided it. The stream is
// given whole to the constructor, or value by value through add() until endOfInput(); only the
// values not yet answered in order are kept. Exits 0 when the input has ended and every value
// is answered, 1 after clientTimeout without progress while values are outstanding.
#pragma once

#include <cstdint>
#include <deque>
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
  // Every value known at the start (basic mode: one), as if endOfInput() followed at once.
  Client(const Cluster& cluster, const Timing& timing, uint32_t self,
         std::vector<std::string> values, uint32_t desiredProposer);
  // Multi mode: a stream whose values come later, through add(), until endOfInput().
  Client(const Cluster& cluster, const Timing& timing, uint32_t self, uint32_t desiredProposer);
  Client(const Cluster& cluster, const Timing& timing, uint32_t self, std::string value,
         uint32_t desiredProposer)
      : Client(cluster, timing, self, std::vector<std::string>{std::move(value)}, desiredProposer) {
  }

  void start(Time now, Outbox& out) override;
  void receive(Time now, const wire::Message& message, Outbox& out) override;
  void tick(Time now, Outbox& out) override;
  std::optional<Time> nextWake() const override;

  // Multi mode, streaming: appends values to the stream (request ids go on from the last value)
  // and, once START came, sends as many as the window has room for, batched. Not after
  // endOfInput(). The window is never widened: values beyond it wait (see unsent()).
  void add(Time now, std::vector<std::string> values, Outbox& out);
  // No value comes after these: once every value added is answered the client sends DONE (at
  // once if that is already so) and exits when the nodes acknowledged it.
  void endOfInput(Time now, Outbox& out);
  // Values added but not yet sent, waiting for room in the window. A driver reading an input
  // of unknown length adds more only while this is small, so memory stays bounded.
  size_t unsent() const { return added() - nextToSend_; }
  size_t added() const { return base_ + values_.size(); }
  size_t answered() const { return answered_; }

  // Basic mode: the decided value.
  const std::optional<std::string>& decided() const { return decided_; }
  // Multi mode: each output line also says how long the value took, in microseconds from its
  // first send to its answer ("decided SLOT VALUE MICROS"); when paced, from when it was due.
  void reportLatency(bool on) { latency_ = on; }
  // Multi mode, open loop: value i is due `i / valuesPerSecond` after START and is not sent
  // before (the window still caps what is open). Its latency counts from when it was due, not
  // from its send: a value held back by a full window or a late wake-up shows that wait, where a
  // closed loop would leave it out (coordinated omission). 0: unpaced, as fast as the window.
  void pace(double valuesPerSecond) { rate_ = valuesPerSecond; }

 private:
  enum class Phase { waitingStart, requesting, finishing };

  struct Entry {
    std::string value;
    Time firstSent{};              // for the answer time and reportLatency
    Time lastSent{};               // sent (index < nextToSend_): for the resend
    std::optional<uint64_t> slot;  // once answered
  };
  Entry& at(size_t index) { return values_[index - base_]; }
  const Entry& at(size_t index) const { return values_[index - base_]; }
  // Some value added is not answered yet: only then does clientTimeout run.
  bool outstanding() const { return answered_ < added(); }
  // Input ended and everything answered: DONE.
  bool complete() const { return inputEnded_ && !outstanding(); }

  void onDecided(Time now, const wire::Message& m, Outbox& out);
  void sendNew(Time now, Outbox& out);  // fills the window
  // REQUESTs for the values at indices: one in basic mode; in multi mode as few batches as fit.
  void send(const std::vector<size_t>& indices, Outbox& out) const;
  void resend(Time now, Outbox& out);
  Time retryAt() const;             // when the oldest open request may be due again
  Time dueAt(size_t index) const {  // paced: when the value at `index` is to be sent
    return paceStart_ + Duration(int64_t(double(index) * 1e9 / rate_));
  }
  bool due(size_t index, Time now) const { return rate_ <= 0 || dueAt(index) <= now; }
  // requestRetry, or twice the recent answer time when that is longer (a loaded cluster).
  Duration retryPeriod() const;
  void finish(Time now, int exitCode, Outbox& out);
  void stamp(Outbox& out, size_t from) const;

  const Cluster& cluster_;
  const Timing& timing_;
  uint32_t self_;
  // The values from index base_ on (request id = index + 1): the first not yet answered, and
  // every one after it. Answered values before the first open one are forgotten.
  std::deque<Entry> values_;
  size_t base_ = 0;
  bool inputEnded_ = false;
  size_t proposerIndex_;
  Phase phase_ = Phase::waitingStart;
  Time lastProgress_{};
  Time retryAt_{};         // next START_QUERY while waiting for START
  Time askedSince_{};      // this proposer asked since then (and no answer since)
  size_t nextToSend_ = 0;  // index of the first value never sent
  size_t firstOpen_ = 0;   // index of the first value not yet answered (>= base_)
  size_t answered_ = 0;
  size_t open_ = 0;    // sent, not answered
  Time oldestSent_{};  // at or before every time in open_ (exact after a resend)
  bool latency_ = false;
  static constexpr Duration kPaceTick = std::chrono::microseconds(200);
  double rate_ = 0;        // values per second when paced (pace())
  Time paceStart_{};       // START's arrival: value 0 is due then
  Time lastPaced_{};       // the last time values went out (paced wake-ups are kPaceTick apart)
  Duration answerTime_{};  // moving average of first send to answer
  uint64_t logEnd_ = 0;    // one past the highest slot that holds one of our values (for DONE)
  std::optional<std::string> decided_;
  Resender dones_;
  int exitCode_ = 0;
  bool exited_ = false;
  bool warnedHash_ = false;
};

}  // namespace paxos::core
