#include "sim/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/client.hpp"
#include "core/node.hpp"

namespace paxos::sim {

using wire::Message;
using wire::Type;

namespace {

core::Cluster makeCluster(const Setup& s) {
  return core::Cluster(s.proposers, s.acceptors, s.learners, s.clients(), 0x5eed,
                       s.multi ? config::Mode::multi : config::Mode::basic, s.service, s.alpha);
}

// Wake-ups that are not an actor's (Simulation::step).
constexpr uint32_t kRestartWake = UINT32_MAX;
constexpr uint32_t kSubmitWake = UINT32_MAX - 1;

std::string ms(Time t) {
  return fmt::format("{:.3f}ms", t.count() / 1e6);
}

}  // namespace

Setup basicSetup(int proposers, int acceptors, int learners, std::vector<std::string> values) {
  Setup setup;
  setup.proposers = proposers;
  setup.acceptors = acceptors;
  setup.learners = learners;
  setup.values = std::move(values);
  return setup;
}

Setup multiSetup(int proposers, int acceptors, int learners, int clients, int valuesPerClient) {
  Setup setup;
  setup.proposers = proposers;
  setup.acceptors = acceptors;
  setup.learners = learners;
  setup.values.clear();
  setup.multi = true;
  for (int c = 0; c < clients; ++c) {
    int uid = proposers + acceptors + learners + c;
    auto& stream = setup.streams.emplace_back();
    for (int v = 0; v < valuesPerClient; ++v) stream.push_back(fmt::format("c{}v{}", uid, v));
  }
  return setup;
}

Setup serviceSetup(int proposers, int acceptors, int learners, int commands) {
  Setup setup = multiSetup(proposers, acceptors, learners, 0, 0);
  setup.service = true;
  setup.commands = commands;
  return setup;
}

Simulation::Simulation(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace)
    : setup_(setup), faults_(faults), cluster_(makeCluster(setup)), rng_(seed), tracing_(trace) {
  // Nothing gives up or idles out in virtual time: liveness is judged by the simulator.
  timing_.clientTimeout = std::chrono::hours(1);
  timing_.idleTimeout = std::chrono::hours(1);
  if (setup_.spares > 0 && !setup_.service)
    throw std::invalid_argument(
        "spare acceptors are for service mode (they follow the hosts file's UIDs)");
  slots_.resize(cluster_.size() + setup_.spares);
  logEnd_.resize(slots_.size());
  for (auto& v : setup_.values) proposed_.insert(v);
  clockRate_.assign(slots_.size(), 1.0);
  if (faults_.clockSkew > 0)  // drawn only when asked for: seeds without skew replay as before
    for (double& rate : clockRate_)
      rate = std::uniform_real_distribution<>(1 - faults_.clockSkew, 1 + faults_.clockSkew)(rng_);
  if (setup_.multi) checker_.emplace(cluster_, setup_.streams, trace);
  if (setup_.service) {
    // The commands come while faults last (or in the first 100 ms of a run without faults).
    Time window =
        faults_.faultsEnd > Time::zero() ? faults_.faultsEnd : Time(std::chrono::milliseconds(100));
    for (uint32_t uid : cluster_.learners()) {
      replicas_[uid];
      for (int i = 0; i < setup_.commands; ++i)
        submissions_.emplace(
            Time(std::uniform_int_distribution<int64_t>(0, window.count() - 1)(rng_)), uid);
    }
    const auto& learners = cluster_.learners();
    for (int i = 0; i < setup_.changes; ++i)
      submissions_.emplace(
          Time(std::uniform_int_distribution<int64_t>(0, window.count() - 1)(rng_)),
          core::changeClient(learners[rng_() % learners.size()]));
  }
  for (int uid = 0; uid < nodes(); ++uid) startNode(uid);
}

wire::Role Simulation::roleOf(uint32_t uid) const {
  if (uid < uint32_t(cluster_.consensusCount())) return cluster_.roles()[uid];
  return uid < uint32_t(nodes()) && cluster_.service() ? wire::Role::acceptor : wire::Role::none;
}

const core::Node* Simulation::node(uint32_t uid) const {
  if (uid >= uint32_t(nodes()) || !slots_[uid].up) return nullptr;
  return &static_cast<const core::Node&>(*slots_[uid].actor);
}

void Simulation::startNode(uint32_t uid) {
  Slot& slot = slots_[uid];
  core::DurableState recovered;
  if (disk_.contains(uid)) recovered = disk_[uid];
  if (!faults_.durableAcceptors) {
    recovered.acceptor.clear();
    recovered.promisedAll = {};
    recovered.trimmedBelow = 0;
  }
  // A replica starts from its durable snapshot (docs/KV.md), its learner at the snapshot's slot
  // with the log's de-duplication table as of there, and request ids above any it used before.
  core::LearnerStart start;
  bool replica = setup_.service && roleOf(uid) == wire::Role::learner;
  if (replica) {
    Replica& r = replicas_[uid];
    start.slot = r.disk.snapshot.slot;
    if (faults_.snapshotRequests) start.requests = r.disk.snapshot.requests;
    start.membership = r.disk.snapshot.membership.encoded;
    start.membershipThrough = r.disk.snapshot.membership.through;
    start.firstRequest = uint64_t(slot.incarnation + 1) << 40;
    r.replica.emplace(uid, r.disk.snapshot.store);
    r.applied = r.disk.applied;
    r.open.clear();
    r.at = start.slot;
    drawSnapshotAt(r, start.slot);
    if (start.slot > 0) {
      ++result_.restores;
      log(fmt::format("{} n{} RESTORE snapshot of slot {}", ms(now_), uid, start.slot));
    }
  }
  uint64_t startSlot = start.slot;
  slot.actor = std::make_unique<core::Node>(cluster_, timing_, uid, rng_(), recovered,
                                            std::move(start), roleOf(uid));
  slot.up = true;
  ++slot.incarnation;
  slot.decisions = 0;
  logEnd_[uid] = startSlot;
  if (checker_ && roleOf(uid) == wire::Role::learner) checker_->learnerStarted(uid, startSlot);
  core::Outbox out;
  slot.actor->start(localTime(uid, now_), out);
  apply(uid, out);
}

void Simulation::startClient(uint32_t uid) {
  size_t index = uid - cluster_.consensusCount();
  uint32_t desired =
      index < setup_.desired.size() ? setup_.desired[index] : uint32_t(index % setup_.proposers);
  Slot& slot = slots_[uid];
  if (setup_.multi)
    slot.actor =
        std::make_unique<core::Client>(cluster_, timing_, uid, setup_.streams[index], desired);
  else
    slot.actor =
        std::make_unique<core::Client>(cluster_, timing_, uid, setup_.values[index], desired);
  slot.up = true;
  ++slot.incarnation;
  core::Outbox out;
  slot.actor->start(localTime(uid, now_), out);
  apply(uid, out);
}

void Simulation::crash(uint32_t uid) {
  if (!slots_[uid].up) return;
  slots_[uid].up = false;
  slots_[uid].actor.reset();
  if (auto it = replicas_.find(uid); it != replicas_.end()) {
    it->second.replica.reset();  // what it applied since its snapshot is gone
    it->second.open.clear();     // its HTTP clients see the connection drop
  }
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

std::vector<std::optional<uint64_t>> Simulation::clientSlots(uint32_t uid) const {
  return checker_ ? checker_->clientSlots(uid) : std::vector<std::optional<uint64_t>>{};
}

void Simulation::log(const std::string& event) {
  if (tracing_) result_.trace.push_back(event);
}

void Simulation::violate(std::string what) {
  if (!result_.violation) result_.violation = std::move(what);
}

bool Simulation::blocked(uint32_t from, uint32_t to) const {
  if (!partitioned_.empty() && partitioned_.contains(from) != partitioned_.contains(to))
    return true;
  return cuts_.contains({from, to}) || randomCuts_.contains({from, to});
}

Time Simulation::localTime(uint32_t uid, Time t) const {
  double rate = clockRate_[uid];
  return rate == 1.0 ? t : Time(int64_t(double(t.count()) * rate));
}

Time Simulation::simTime(uint32_t uid, Time local) const {
  double rate = clockRate_[uid];
  if (rate == 1.0) return local;
  if (local > std::chrono::hours(24 * 365)) return Time::max();  // never, in a run
  Time t(int64_t(std::ceil(double(local.count()) / rate)));
  while (localTime(uid, t) < local) t += Duration(1);  // rounding: never wake before it is due
  return t;
}

// The actor's next deadline on the simulator's clock, late by up to wakeLateness (drawn again
// only when the deadline changes, so that a busy node is not woken earlier for being busy).
void Simulation::setWake(uint32_t uid) {
  Slot& slot = slots_[uid];
  auto wake = slot.actor->nextWake();
  if (wake == slot.wake) return;
  slot.wake = wake;
  if (!wake) return;
  slot.fireAt = simTime(uid, *wake);
  if (faults_.wakeLateness.count() > 0 && slot.fireAt != Time::max())
    slot.fireAt +=
        Duration(std::uniform_int_distribution<int64_t>(0, faults_.wakeLateness.count())(rng_));
}

Duration Simulation::delay(bool duplicate) {
  double tail = duplicate ? std::max(faults_.tail, faults_.duplicateTail) : faults_.tail;
  if (tail > 0 && now_ < faults_.faultsEnd && std::uniform_real_distribution<>(0, 1)(rng_) < tail) {
    std::uniform_real_distribution<> exponent(std::log(double(faults_.tailMin.count())),
                                              std::log(double(faults_.tailMax.count())));
    return Duration(int64_t(std::exp(exponent(rng_))));
  }
  return Duration(std::uniform_int_distribution<int64_t>(faults_.minDelay.count(),
                                                         faults_.maxDelay.count())(rng_));
}

void Simulation::cut(uint32_t from, uint32_t to, bool on) {
  log(fmt::format("{} {} n{}->n{}", ms(now_), on ? "CUT" : "UNCUT", from, to));
  if (on)
    cuts_.insert({from, to});
  else
    cuts_.erase({from, to});
}

void Simulation::heal() {
  log(fmt::format("{} HEAL all cuts", ms(now_)));
  cuts_.clear();
}

void Simulation::apply(uint32_t uid, core::Outbox& out) {
  core::applyDurable(out, disk_[uid]);
  if (tracing_)
    for (const auto& note : out.notes) log(fmt::format("{} n{} NOTE {}", ms(now_), uid, note.text));
  // The replica's own checks first: they name an exactly-once violation as such.
  if (replicas_.contains(uid) && slots_[uid].actor) serve(uid, out);
  if (checker_) checkLog(uid, out);
  result_.messages += out.messages.size();
  std::uniform_real_distribution<> coin(0, 1);
  bool faulty = now_ < faults_.faultsEnd;
  for (auto& [to, message] : out.messages) {
    if (message.type == Type::decided && !checker_) {
      if (!proposed_.contains(message.value))
        violate(fmt::format("validity: n{} sent DECIDED {}, never proposed", uid, message.value));
      if (result_.decided && *result_.decided != message.value)
        violate(fmt::format("agreement: n{} sent DECIDED {} after {} was decided", uid,
                            message.value, *result_.decided));
      if (!result_.decided) result_.decided = message.value;
    }
    if (script_) {
      Fate fate = script_(uid, to, message);
      if (fate == Fate::drop || fate == Fate::hold)
        log(fmt::format("{} n{}->n{} {} {}", ms(now_), uid, to,
                        fate == Fate::drop ? "DROPPED" : "HELD",
                        wire::describe(message, checker_.has_value())));
      if (fate == Fate::hold || fate == Fate::duplicate) held_.emplace_back(to, message);
      if (fate == Fate::drop || fate == Fate::hold) continue;
    }
    if (faulty && coin(rng_) < faults_.loss) {
      log(fmt::format("{} n{}->n{} LOST {}", ms(now_), uid, to,
                      wire::describe(message, checker_.has_value())));
      continue;
    }
    int copies = faulty && coin(rng_) < faults_.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) network_.push({now_ + delay(i > 0), seq_++, to, message});
  }
  if (out.decided && !checker_) {
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
    if (setup_.service) {  // removed from the configuration, with nothing left to serve
      exited_.insert(uid);
      ++result_.exits;
      log(fmt::format("{} n{} EXITED (removed)", ms(now_), uid));
    }
  }
  if (slots_[uid].up) setWake(uid);
  out.clear();
}

// Multi mode: what this step of `uid` delivered, accepted, promised or printed, judged by the
// LogChecker before the network can lose any of it.
void Simulation::checkLog(uint32_t uid, const core::Outbox& out) {
  switch (roleOf(uid)) {
    case wire::Role::acceptor:
      checker_->acceptorStep(uid, out);
      break;
    case wire::Role::learner: {
      uint64_t before = logEnd_[uid];
      uint64_t after = static_cast<const core::Node&>(*slots_[uid].actor).logEnd();
      // Acceptors forgot the slots below the PROGRESS they sent: a restarted learner skips them.
      // (A service learner never skips: it needs a snapshot; serve() checks that.)
      if (!setup_.service && input_ && input_->type == Type::progress &&
          roleOf(input_->from) == wire::Role::acceptor && input_->instance > before &&
          after >= input_->instance)
        checker_->learnerSkipped(uid, input_->instance);
      checker_->learnerStep(uid, out, before, after);
      logEnd_[uid] = after;
      break;
    }
    case wire::Role::none:
      if (cluster_.isClient(uid)) checker_->clientStep(uid, out);
      break;
    default:
      break;
  }
  if (tracing_)
    for (auto& line : checker_->takeDeliveries()) log(fmt::format("{} {}", ms(now_), line));
  if (checker_->violation()) violate(*checker_->violation());
}

int Simulation::release(const Match& match) {
  int released = 0;
  for (const auto& [to, message] : held_)
    if (match(message.from, to, message)) {
      network_.push({now_, seq_++, to, message});
      ++released;
    }
  return released;
}

bool Simulation::allDecided() const {
  if (setup_.service) return serviceDone();
  if (checker_) return checker_->complete();
  for (uint32_t uid : cluster_.clients())
    if (!clientDecisions_.contains(uid)) return false;
  return true;
}

// The acceptor-side invariants: a promise never goes down (across restarts, for durable
// acceptors), and no two values are each accepted by a majority at any time (agreement
// judged from the acceptors themselves, whether or not any learner saw it).
void Simulation::check(uint32_t uid) {
  if (checker_ || cluster_.roleOf(uid) != wire::Role::acceptor || !slots_[uid].up) return;
  const auto& node = static_cast<const core::Node&>(*slots_[uid].actor);
  for (const auto& [instance, state] : node.acceptor()->states()) {
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
    for (uint32_t uid = 0; uid < uint32_t(nodes()); ++uid)
      if (restartAt_.contains(uid)) restart(uid);
    restartAt_.clear();
    partitioned_.clear();
    randomCuts_.clear();
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
    uint32_t uid = std::uniform_int_distribution<uint32_t>(0, nodes() - 1)(rng_);
    if (slots_[uid].up) {
      crash(uid);
      // One disk at a time: only while every other replica has its own or a peer's snapshot.
      bool alone = std::none_of(replicas_.begin(), replicas_.end(),
                                [](const auto& r) { return r.second.diskLost; });
      if (faults_.diskLoss > 0 && replicas_.contains(uid) && replicas_.size() > 1 && alone &&
          coin(rng_) < faults_.diskLoss) {
        replicas_[uid].disk = {};
        replicas_[uid].diskLost = true;
        ++disksLost_;
        log(fmt::format("{} DISK LOST n{}", ms(now_), uid));
      }
      restartAt_[uid] = now_ + Duration(std::uniform_int_distribution<int64_t>(
                                   faults_.downMin.count(), faults_.downMax.count())(rng_));
    }
  }
  if (!partitioned_.empty() && now_ >= healAt_) {
    log(fmt::format("{} HEAL", ms(now_)));
    partitioned_.clear();
  }
  if (partitioned_.empty() && coin(rng_) < faults_.partitionPerStep) {
    for (uint32_t uid = 0; uid < uint32_t(slots_.size()); ++uid)
      if (coin(rng_) < 0.35) partitioned_.insert(uid);
    healAt_ = now_ + Duration(std::uniform_int_distribution<int64_t>(
                         faults_.partitionMin.count(), faults_.partitionMax.count())(rng_));
    log(fmt::format("{} PARTITION {} nodes cut off", ms(now_), partitioned_.size()));
  }
  for (auto it = randomCuts_.begin(); it != randomCuts_.end();) {
    if (it->second > now_) {
      ++it;
      continue;
    }
    log(fmt::format("{} UNCUT n{}->n{}", ms(now_), it->first.first, it->first.second));
    it = randomCuts_.erase(it);
  }
  if (faults_.cutPerStep > 0 && coin(rng_) < faults_.cutPerStep) {
    std::uniform_int_distribution<uint32_t> node(0, uint32_t(slots_.size()) - 1);
    uint32_t from = node(rng_), to = node(rng_);
    Time until = now_ + Duration(std::uniform_int_distribution<int64_t>(
                            faults_.cutMin.count(), faults_.cutMax.count())(rng_));
    if (from != to) {
      randomCuts_[{from, to}] = until;
      log(fmt::format("{} CUT n{}->n{} until {}", ms(now_), from, to, ms(until)));
    }
  }
}

// One event: the earliest of the next delivery and the earliest actor deadline, if it is due
// by `limit`; otherwise the clock moves to `limit` and nothing happens.
bool Simulation::step(Time limit) {
  std::optional<Time> wake;
  uint32_t waker = 0;
  for (uint32_t uid = 0; uid < slots_.size(); ++uid) {
    if (!slots_[uid].up) continue;
    if (!slots_[uid].wake) continue;
    Time w = slots_[uid].fireAt;
    if (!wake || w < *wake) wake = w, waker = uid;
  }
  if (!restartAt_.empty()) {
    auto next = std::min_element(restartAt_.begin(), restartAt_.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    Time at = std::min(next->second, faults_.faultsEnd);
    if (!wake || at < *wake) wake = at, waker = kRestartWake;
  }
  if (!submissions_.empty()) {
    Time at = submissions_.begin()->first;
    if (!wake || at < *wake) wake = at, waker = kSubmitWake;
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
    if (!slots_[d.to].up || blocked(d.message.from, d.to)) {
      log(fmt::format("{} n{}->n{} DROPPED {}", ms(now_), d.message.from, d.to,
                      wire::describe(d.message, checker_.has_value())));
    } else {
      log(fmt::format("{} n{}->n{} {}", ms(now_), d.message.from, d.to,
                      wire::describe(d.message, checker_.has_value())));
      slots_[d.to].actor->receive(localTime(d.to, now_), d.message, out);
      input_ = &d.message;
      apply(d.to, out);
      input_ = nullptr;
      check(d.to);
    }
  } else {
    now_ = std::max(now_, *wake);
    if (waker == kSubmitWake) {
      uint32_t uid = submissions_.begin()->second;
      submissions_.erase(submissions_.begin());
      if (uid & core::kChangeBit)
        change(uid & ~core::kChangeBit);
      else
        submit(uid);
    } else if (waker != kRestartWake) {
      slots_[waker].actor->tick(localTime(waker, now_), out);
      apply(waker, out);
      check(waker);
    }
  }
  injectFaults();
  if (setup_.service) installPeerSnapshots();
  // A node removed for good and exited that a later configuration lists again is started again.
  for (auto it = exited_.begin(); it != exited_.end();) {
    if (!checker_->membership().latest().contains(*it) || slots_[*it].up) {
      ++it;
      continue;
    }
    log(fmt::format("{} n{} STARTED AGAIN (added back)", ms(now_), *it));
    uint32_t uid = *it;
    it = exited_.erase(it);
    startNode(uid);
  }
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
  for (uint32_t uid : cluster_.clients())
    if (slots_[uid].incarnation == 0) startClient(uid);
  Time deadline = faults_.faultsEnd + faults_.livenessBound;
  while (!result_.violation && step(deadline))
    if (allDecided()) break;
  result_.end = now_;
  if (checker_) {
    result_.epoch = checker_->membership().latest().epoch;
    result_.repeats = checker_->repeats();
    result_.duplicates = checker_->duplicates();
    result_.slots = checker_->slotsChosen();
  }
  if (result_.violation || allDecided()) return result_;
  if (setup_.service)
    violate(fmt::format("liveness: by {} ({} after faults stopped): {}", ms(now_),
                        ms(faults_.livenessBound), serviceProgress()));
  else if (checker_)
    violate(fmt::format("liveness: by {} ({} after faults stopped): {}", ms(now_),
                        ms(faults_.livenessBound), checker_->progress()));
  else
    violate(fmt::format("liveness: {} of {} clients decided by {} ({} after faults stopped)",
                        clientDecisions_.size(), cluster_.clients().size(), ms(now_),
                        ms(faults_.livenessBound)));
  return result_;
}

// Service mode: a learner's HTTP client sends a command (a put of a value unique in the run, or a
// get) to it, which submits it to the log. A learner that is down refuses it.
void Simulation::submit(uint32_t uid) {
  Replica& r = replicas_[uid];
  int n = r.made++;
  if (!slots_[uid].up) {
    log(fmt::format("{} n{} down: command {} refused", ms(now_), uid, n));
    return;
  }
  auto& node = static_cast<core::Node&>(*slots_[uid].actor);
  kv::Command c;
  c.key = fmt::format("k{}", std::uniform_int_distribution<int>(0, setup_.keys - 1)(rng_));
  std::string tag = fmt::format("n{}.{}.{}", uid, slots_[uid].incarnation, n);
  if (std::uniform_int_distribution<int>(0, 3)(rng_) == 0) {
    c.op = kv::Op::get;
    c.requestId = tag;  // makes the command's bytes unique, as the checker needs
  } else {
    c.op = kv::Op::put;
    c.value = tag;
  }
  std::string value = kv::encode(c);
  uint64_t id = node.logLearner()->submit(value);
  checker_->submitted(uid, id, value);
  r.open.insert(id);
  ++result_.submitted;
  log(fmt::format("{} n{} SUBMIT c{}#{} {}", ms(now_), uid, uid, id, describeKv(value)));
  core::Outbox out;
  node.flushSubmitted(localTime(uid, now_), out);
  apply(uid, out);
}

// Service mode, after each step of a learner: its replica applies what it delivered, exactly
// once across its life (restarts from its snapshot included); its store below a slot is the one
// every other replica had below that slot; and it takes its snapshot when due.
uint64_t Simulation::submitChange(uint32_t uid, core::Change change) {
  if (!slots_[uid].up) return 0;
  auto& node = static_cast<core::Node&>(*slots_[uid].actor);
  std::string value = core::encodeChange(change);
  uint64_t id = node.logLearner()->submitChange(change);
  checker_->submitted(core::changeClient(uid), id, value);
  replicas_[uid].open.insert(id);
  log(fmt::format("{} n{} SUBMIT CHANGE #{} from epoch {} to {}", ms(now_), uid, id, change.from,
                  core::describe(change.next)));
  core::Outbox out;
  node.flushSubmitted(localTime(uid, now_), out);
  apply(uid, out);
  return id;
}

void Simulation::change(uint32_t uid) {
  const core::Node* n = node(uid);
  if (!n) return;
  const core::Configuration& latest = n->cluster().membership().latest();
  std::vector<uint32_t> candidates;
  for (uint32_t a = 0; a < uint32_t(nodes()); ++a)
    if (roleOf(a) == wire::Role::acceptor) candidates.push_back(a);
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  size_t k = std::uniform_int_distribution<size_t>(1, std::min<size_t>(5, candidates.size()))(rng_);
  core::Change change{latest.epoch, latest};
  change.next.epoch = latest.epoch + 1;
  change.next.acceptors.assign(candidates.begin(), candidates.begin() + k);
  std::sort(change.next.acceptors.begin(), change.next.acceptors.end());
  // The checker names a command by its bytes: an address of no use makes each change unique.
  change.next.addresses = {
      {change.next.acceptors.front(), fmt::format("n{}.{}", uid, replicas_[uid].made++)}};
  submitChange(uid, std::move(change));
}

void Simulation::serve(uint32_t uid, const core::Outbox& out) {
  Replica& r = replicas_[uid];
  core::LogLearner* learner = static_cast<const core::Node&>(*slots_[uid].actor).logLearner();
  for (const auto& [slot, c] : out.delivered) {
    if (!r.applied.insert({c.client, c.request}).second)
      violate(fmt::format("exactly-once: replica n{} applied c{}#{} ({}) again at slot {}", uid,
                          c.client, c.request, describeKv(c.value), slot));
    if (c.client == uid || c.client == core::changeClient(uid)) r.open.erase(c.request);
  }
  if (!out.delivered.empty()) r.replica->apply(out.delivered);
  uint64_t next = learner->next();
  if (next != r.at) {
    r.at = next;
    auto [first, fresh] = storeAt_.try_emplace(next, r.replica->store());
    if (!fresh && !(first->second == r.replica->store()))
      violate(
          fmt::format("agreement: replica n{}'s store after slots 0..{} differs from another "
                      "replica's after the same slots",
                      uid, next - 1));
  }
  // Once a disk is lost, the acceptors still count that replica's old reports (Progress keeps
  // the highest), so any replica may find them trimmed past it, even after an install.
  if (learner->behindTrim() && disksLost_ > 0)
    r.install = true;
  else if (learner->behindTrim())
    violate(
        fmt::format("replica n{} needs slot {}, which the acceptors forgot (they trim below "
                    "{}), though every replica restarts from its own durable snapshot",
                    uid, next, learner->behindTrim()));
  const auto& membership =
      static_cast<const core::Node&>(*slots_[uid].actor).cluster().membership();
  // As the service does: a snapshot past a configuration's first slot lets the acceptors it
  // removed forget their slots, and exit.
  uint64_t effect = membership.configs().rbegin()->first;
  if (next >= r.snapshotAt || (next >= effect && r.disk.snapshot.slot < effect)) {
    r.disk = {kv::Snapshot{next,
                           r.replica->store(),
                           learner->requests(),
                           {membership.through(), membership.encode()}},
              r.applied};
    learner->snapshotted(next);
    ++result_.snapshots;
    log(fmt::format("{} n{} SNAPSHOT at slot {}", ms(now_), uid, next));
    drawSnapshotAt(r, next);
  }
}

// A replica that lost its disk and is behind the trim starts again from a copy of the latest
// snapshot of a live peer that reaches the trim (LogLearner cannot install one in place yet: a
// restart from it is the same to the log).
void Simulation::installPeerSnapshots() {
  for (auto& [uid, r] : replicas_) {
    if (!r.install || !slots_[uid].up) continue;
    uint64_t trim = static_cast<const core::Node&>(*slots_[uid].actor).logLearner()->behindTrim();
    const Replica* best = nullptr;
    uint32_t from = 0;
    for (const auto& [peer, p] : replicas_)
      if (peer != uid && slots_[peer].up && p.disk.snapshot.slot >= trim &&
          (!best || p.disk.snapshot.slot > best->disk.snapshot.slot))
        best = &p, from = peer;
    if (!best) continue;  // no live peer has one yet: try after the next step
    log(fmt::format("{} n{} INSTALL snapshot of slot {} from n{}{}", ms(now_), uid,
                    best->disk.snapshot.slot, from, r.diskLost ? "" : " (again)"));
    if (!r.diskLost) ++result_.reinstalls;
    r.disk = best->disk;
    r.install = r.diskLost = false;
    slots_[uid].up = false;
    slots_[uid].actor.reset();
    r.replica.reset();
    startNode(uid);
    ++result_.installs;
  }
}

void Simulation::drawSnapshotAt(Replica& r, uint64_t from) {
  uint64_t every = std::max<uint64_t>(setup_.snapshotEvery, 1);
  r.snapshotAt = from + std::uniform_int_distribution<uint64_t>(std::max<uint64_t>(every / 2, 1),
                                                                every + every / 2)(rng_);
}

// Every command submitted, every learner up with none of its own open, and every replica at the
// end of the chosen log (their stores are then equal: serve() compares them at each slot).
bool Simulation::serviceDone() const {
  if (!submissions_.empty()) return false;
  std::optional<uint64_t> end;
  for (const auto& [uid, r] : replicas_) {
    if (!slots_[uid].up || !r.open.empty()) return false;
    const auto& node = static_cast<const core::Node&>(*slots_[uid].actor);
    uint64_t next = node.logLearner()->next();
    if (end && next != *end) return false;
    end = next;
    // Every replica knows every configuration chosen.
    if (node.cluster().membership().latest() != checker_->membership().latest()) return false;
  }
  if (!end || *end < checker_->chosenEnd()) return false;
  // At the same slot every store is the same (serve() checks it at each slot as well).
  const kv::Store* first = nullptr;
  for (const auto& [uid, r] : replicas_) {
    if (first && !(*first == r.replica->store())) return false;
    first = &r.replica->store();
  }
  return true;
}

// "n5 next 12, 2 open; n6 down; chosen 0..13; 0 submissions to come"
std::string Simulation::serviceProgress() const {
  std::string text;
  for (const auto& [uid, r] : replicas_) {
    if (!slots_[uid].up) {
      text += fmt::format("n{} down; ", uid);
      continue;
    }
    const auto* learner = static_cast<const core::Node&>(*slots_[uid].actor).logLearner();
    text += fmt::format("n{} next {}, {} open{}; ", uid, learner->next(), r.open.size(),
                        learner->behindTrim() ? " (behind the trim)" : "");
  }
  return text + fmt::format("chosen below {}; {} submissions to come", checker_->chosenEnd(),
                            submissions_.size());
}

Result simulate(const Setup& setup, const FaultMix& faults, uint64_t seed, bool trace) {
  return Simulation(setup, faults, seed, trace).run();
}

}  // namespace paxos::sim
