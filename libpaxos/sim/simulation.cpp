#include "sim/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/client.hpp"
#include "core/node.hpp"

namespace paxos::sim {

using wire::Message;
using wire::Type;

namespace {

core::Cluster makeCluster(const Setup& s) {
  return core::Cluster(s.proposers, s.acceptors, s.learners, int(s.values.size()), 0x5eed);
}

std::string ms(Time t) {
  return fmt::format("{:.3f}ms", t.count() / 1e6);
}

}  // namespace

Simulation::Simulation(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace)
    : setup_(setup), faults_(faults), cluster_(makeCluster(setup)), rng_(seed), tracing_(trace) {
  // Nothing gives up or idles out in virtual time: liveness is judged by the simulator.
  timing_.clientTimeout = std::chrono::hours(1);
  timing_.idleTimeout = std::chrono::hours(1);
  slots_.resize(cluster_.size());
  for (auto& v : setup_.values) proposed_.insert(v);
  for (int uid = 0; uid < cluster_.consensusCount(); ++uid) startNode(uid);
}

void Simulation::startNode(uint32_t uid) {
  Slot& slot = slots_[uid];
  core::DurableState recovered;
  if (disk_.contains(uid)) recovered = disk_[uid];
  if (!faults_.durableAcceptors) recovered.acceptor.clear();
  slot.actor = std::make_unique<core::Node>(cluster_, timing_, uid, rng_(), recovered);
  slot.up = true;
  ++slot.incarnation;
  slot.decisions = 0;
  core::Outbox out;
  slot.actor->start(now_, out);
  apply(uid, out);
}

void Simulation::startClient(uint32_t uid) {
  size_t index = uid - cluster_.consensusCount();
  uint32_t desired =
      index < setup_.desired.size() ? setup_.desired[index] : uint32_t(index % setup_.proposers);
  Slot& slot = slots_[uid];
  slot.actor =
      std::make_unique<core::Client>(cluster_, timing_, uid, setup_.values[index], desired);
  slot.up = true;
  core::Outbox out;
  slot.actor->start(now_, out);
  apply(uid, out);
}

void Simulation::crash(uint32_t uid) {
  if (!slots_[uid].up) return;
  slots_[uid].up = false;
  slots_[uid].actor.reset();
  log(fmt::format("{} CRASH n{}", ms(now_), uid));
}

void Simulation::restart(uint32_t uid) {
  if (slots_[uid].up) return;
  log(fmt::format("{} RESTART n{}", ms(now_), uid));
  startNode(uid);
  check(uid);
}

std::optional<std::string> Simulation::clientDecision(uint32_t uid) const {
  auto it = clientDecisions_.find(uid);
  if (it == clientDecisions_.end()) return std::nullopt;
  return it->second;
}

void Simulation::log(const std::string& event) {
  if (tracing_) result_.trace.push_back(event);
}

void Simulation::violate(std::string what) {
  if (!result_.violation) result_.violation = std::move(what);
}

bool Simulation::crosses(uint32_t a, uint32_t b) const {
  return !partitioned_.empty() && partitioned_.contains(a) != partitioned_.contains(b);
}

void Simulation::apply(uint32_t uid, core::Outbox& out) {
  core::applyDurable(out, disk_[uid]);
  std::uniform_real_distribution<> coin(0, 1);
  bool faulty = now_ < faults_.faultsEnd;
  for (auto& [to, message] : out.messages) {
    if (message.type == Type::decided) {
      if (!proposed_.contains(message.value))
        violate(fmt::format("validity: n{} sent DECIDED {}, never proposed", uid, message.value));
      if (result_.decided && *result_.decided != message.value)
        violate(fmt::format("agreement: n{} sent DECIDED {} after {} was decided", uid,
                            message.value, *result_.decided));
      if (!result_.decided) result_.decided = message.value;
    }
    if (faulty && coin(rng_) < faults_.loss) {
      log(fmt::format("{} n{}->n{} LOST {}", ms(now_), uid, to, wire::describe(message)));
      continue;
    }
    int copies = faulty && coin(rng_) < faults_.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      auto delay = std::uniform_int_distribution<int64_t>(faults_.minDelay.count(),
                                                          faults_.maxDelay.count())(rng_);
      network_.push({now_ + Duration(delay), seq_++, to, message});
    }
  }
  if (out.decided) {
    if (++slots_[uid].decisions > 1) violate(fmt::format("integrity: n{} decided twice", uid));
    if (!proposed_.contains(*out.decided))
      violate(fmt::format("validity: n{} decided {}, never proposed", uid, *out.decided));
    if (result_.decided && *result_.decided != *out.decided)
      violate(fmt::format("agreement: n{} decided {} but {} was decided", uid, *out.decided,
                          *result_.decided));
    if (!result_.decided) result_.decided = *out.decided;
    if (cluster_.isClient(uid)) clientDecisions_[uid] = *out.decided;
  }
  if (out.exitCode) {
    slots_[uid].up = false;  // exited by itself (a node once every client is done)
    slots_[uid].actor.reset();
  }
  out.clear();
}

// The acceptor-side invariants: a promise never goes down (across restarts, for durable
// acceptors), and no two values are each accepted by a majority at any time (agreement
// judged from the acceptors themselves, whether or not any learner saw it).
void Simulation::check(uint32_t uid) {
  if (cluster_.roleOf(uid) != wire::Role::acceptor || !slots_[uid].up) return;
  const auto& node = static_cast<const core::Node&>(*slots_[uid].actor);
  for (const auto& [instance, state] : node.acceptorStates()) {
    if (instance != 0) continue;
    if (state.promised < highestPromise_[uid])
      violate(fmt::format("acceptor n{} lowered its promise from {} to {}", uid,
                          wire::toString(highestPromise_[uid]), wire::toString(state.promised)));
    highestPromise_[uid] = std::max(highestPromise_[uid], state.promised);
    if (state.acceptedBallot.none()) continue;
    auto& [value, acceptors] = acceptances_[state.acceptedBallot];
    value = state.acceptedValue;
    acceptors.insert(uid);
    if (acceptors.size() >= cluster_.quorum()) {
      if (!proposed_.contains(value))
        violate("validity: chosen value " + value + " never proposed");
      for (auto& [ballot, other] : acceptances_)
        if (other.second.size() >= cluster_.quorum() && other.first != value)
          violate(fmt::format("agreement: {} chosen at {} and {} at {}", value,
                              wire::toString(state.acceptedBallot), other.first,
                              wire::toString(ballot)));
    }
  }
}

void Simulation::injectFaults() {
  if (now_ >= faults_.faultsEnd) {
    for (uint32_t uid = 0; uid < uint32_t(cluster_.consensusCount()); ++uid)
      if (restartAt_.contains(uid)) restart(uid);
    restartAt_.clear();
    partitioned_.clear();
    return;
  }
  std::uniform_real_distribution<> coin(0, 1);
  for (auto it = restartAt_.begin(); it != restartAt_.end();) {
    if (it->second > now_) {
      ++it;
      continue;
    }
    uint32_t uid = it->first;
    it = restartAt_.erase(it);
    restart(uid);
  }
  if (faults_.randomCrashes && coin(rng_) < faults_.crashPerStep) {
    uint32_t uid = std::uniform_int_distribution<uint32_t>(0, cluster_.consensusCount() - 1)(rng_);
    if (slots_[uid].up) {
      crash(uid);
      restartAt_[uid] = now_ + Duration(std::uniform_int_distribution<int64_t>(
                                   faults_.downMin.count(), faults_.downMax.count())(rng_));
    }
  }
  if (!partitioned_.empty() && now_ >= healAt_) {
    log(fmt::format("{} HEAL", ms(now_)));
    partitioned_.clear();
  }
  if (partitioned_.empty() && coin(rng_) < faults_.partitionPerStep) {
    for (uint32_t uid = 0; uid < uint32_t(cluster_.size()); ++uid)
      if (coin(rng_) < 0.35) partitioned_.insert(uid);
    healAt_ = now_ + Duration(std::uniform_int_distribution<int64_t>(
                         faults_.partitionMin.count(), faults_.partitionMax.count())(rng_));
    log(fmt::format("{} PARTITION {} nodes cut off", ms(now_), partitioned_.size()));
  }
}

// One event: the earliest of the next delivery and the earliest actor deadline, if it is due
// by `limit`; otherwise the clock moves to `limit` and nothing happens.
bool Simulation::step(Time limit) {
  std::optional<Time> wake;
  uint32_t waker = 0;
  for (uint32_t uid = 0; uid < slots_.size(); ++uid) {
    if (!slots_[uid].up) continue;
    auto w = slots_[uid].actor->nextWake();
    if (w && (!wake || *w < *wake)) wake = w, waker = uid;
  }
  if (!restartAt_.empty()) {
    auto next = std::min_element(restartAt_.begin(), restartAt_.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    Time at = std::min(next->second, faults_.faultsEnd);
    if (!wake || at < *wake) wake = at, waker = UINT32_MAX;
  }
  bool deliver = !network_.empty() && (!wake || network_.top().at <= *wake);
  if (!deliver && !wake) return false;
  if ((deliver ? network_.top().at : *wake) > limit) {
    now_ = std::max(now_, limit);
    return false;
  }
  core::Outbox out;
  if (deliver) {
    Delivery d = network_.top();
    network_.pop();
    now_ = std::max(now_, d.at);
    if (!slots_[d.to].up || crosses(d.message.from, d.to)) {
      log(fmt::format("{} n{}->n{} DROPPED {}", ms(now_), d.message.from, d.to,
                      wire::describe(d.message)));
    } else {
      log(fmt::format("{} n{}->n{} {}", ms(now_), d.message.from, d.to, wire::describe(d.message)));
      slots_[d.to].actor->receive(now_, d.message, out);
      apply(d.to, out);
      check(d.to);
    }
  } else {
    now_ = std::max(now_, *wake);
    if (waker != UINT32_MAX) {
      slots_[waker].actor->tick(now_, out);
      apply(waker, out);
      check(waker);
    }
  }
  injectFaults();
  ++result_.steps;
  return true;
}

bool Simulation::runUntil(Time until) {
  while (!result_.violation && step(until)) {
  }
  result_.end = now_;
  return !result_.violation;
}

Result Simulation::run() {
  for (uint32_t uid : cluster_.clients()) startClient(uid);
  Time deadline = faults_.faultsEnd + faults_.livenessBound;
  while (!result_.violation && step(deadline)) {
    bool allDone = true;
    for (uint32_t uid : cluster_.clients()) allDone &= clientDecisions_.contains(uid);
    if (allDone) break;
  }
  result_.end = now_;
  if (!result_.violation && clientDecisions_.size() < cluster_.clients().size())
    violate(fmt::format("liveness: {} of {} clients decided by {} ({} after faults stopped)",
                        clientDecisions_.size(), cluster_.clients().size(), ms(now_),
                        ms(faults_.livenessBound)));
  return result_;
}

Result simulate(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace) {
  return Simulation(setup, faults, seed, trace).run();
}

}  // namespace paxos::sim
