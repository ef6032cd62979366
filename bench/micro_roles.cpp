// One step of each role of multi mode, as the driver runs it for every datagram: the acceptor
// taking an ACCEPT, the learner completing a quorum of ACCEPTED, the leader taking a REQUEST
// and filling a slot, the client taking a DECIDED. Items are values (64-byte commands) or slots.
#include <benchmark/benchmark.h>

#include <deque>
#include <random>

#include "core/acceptor.hpp"
#include "core/client.hpp"
#include "core/log_learner.hpp"
#include "core/log_proposer.hpp"
#include "micro.hpp"

using namespace paxos;
using namespace paxos::micro;
using namespace std::chrono_literals;
using wire::Type;

namespace {

constexpr uint32_t kAcceptors[] = {1, 2, 3};
constexpr uint64_t kTrimEvery = 1024;  // slots: learners report progress, old slots are dropped

// A batch of kCommandsPerSlot commands whose request ids move on by kCommandsPerSlot at each
// next(): learners and proposers deliver a request id once, so every slot needs new ones.
// Patches the ids in place (client u32, request u64, length u16, value: wire/batch.hpp).
class FreshBatches {
 public:
  FreshBatches() : batch_(wire::encodeBatch(commands(kClient, 1, kCommandsPerSlot))) {}
  const std::string& next() {
    for (size_t i = 0; i < kCommandsPerSlot; ++i) {
      size_t at = i * (wire::kCommandOverhead + kValueBytes) + 4;
      uint64_t id = 0;
      for (int b = 7; b >= 0; --b) id = id << 8 | uint8_t(batch_[at + size_t(b)]);
      id += first_ == 0 ? 0 : kCommandsPerSlot;
      for (int b = 0; b < 8; ++b) batch_[at + size_t(b)] = char(id >> (8 * b));
    }
    first_ = first_ == 0 ? 1 : first_ + kCommandsPerSlot;
    return batch_;
  }
  // Whether the patched batch still decodes to the ids expected (the layout assumption holds).
  bool valid() const {
    auto list = wire::decodeBatch(batch_);
    return list && list->size() == kCommandsPerSlot && list->front().request == first_ &&
           list->back().request == first_ + kCommandsPerSlot - 1;
  }

 private:
  std::string batch_;
  uint64_t first_ = 0;
};

void acceptorAccept(benchmark::State& state) {
  auto cluster = multiCluster();
  core::Acceptor acceptor(cluster);
  core::Outbox out;
  quiet(out);
  wire::Message accept = message(Type::accept, kProposer);
  accept.ballot = {1, kProposer};
  accept.value = wire::encodeBatch(commands(kClient, 1, kCommandsPerSlot));
  uint64_t slot = 0;
  for (auto _ : state) {
    accept.instance = slot++;
    acceptor.receive(accept, out);
    benchmark::DoNotOptimize(out.messages.data());
    out.clear();
    if (slot % kTrimEvery == 0)
      for (uint32_t learner : {kLearner, kOtherLearner}) {
        acceptor.receive(message(Type::progress, learner, slot), out);
        out.clear();
      }
  }
  state.SetItemsProcessed(state.iterations());  // slots
  state.SetBytesProcessed(state.iterations() * int64_t(accept.value.size()));
}
BENCHMARK(acceptorAccept);

void learnerQuorum(benchmark::State& state) {
  auto cluster = multiCluster();
  core::Timing timing;
  core::LogLearner learner(cluster, timing, kLearner);
  core::Outbox out;
  quiet(out);
  FreshBatches batches;
  wire::Message accepted = message(Type::accepted, 0);
  accepted.ballot = {1, kProposer};
  core::Time now = core::Time(1s);
  uint64_t slot = 0;
  accepted.value = batches.next();
  if (!batches.valid()) state.SkipWithError("batch layout changed: FreshBatches needs updating");
  for (auto _ : state) {
    accepted.instance = slot;
    for (uint32_t acceptor : {kAcceptors[0], kAcceptors[1]}) {  // a quorum of 3
      accepted.from = acceptor;
      learner.receive(now, accepted, out);
    }
    benchmark::DoNotOptimize(out.output.data());
    out.clear();
    accepted.value = batches.next();
    if (++slot % kTrimEvery == 0) {
      learner.receive(now, message(Type::progress, kOtherLearner, slot), out);
      out.clear();
    }
  }
  if (learner.next() != slot) state.SkipWithError("the learner did not deliver every slot");
  state.SetItemsProcessed(state.iterations() * int64_t(kCommandsPerSlot));  // values
}
BENCHMARK(learnerQuorum);

void proposerFill(benchmark::State& state) {
  auto cluster = multiCluster();
  core::Timing timing;
  std::mt19937_64 rng(7);
  core::LogProposer proposer(cluster, timing, kProposer, rng);
  core::Outbox out;
  quiet(out);
  core::Time now = core::Time(1s);
  proposer.start(now, out);
  wire::Ballot ballot;
  for (const auto& e : out.messages)
    if (e.message.type == Type::prepareAll) ballot = e.message.ballot;
  out.clear();
  for (uint32_t acceptor : {kAcceptors[0], kAcceptors[1]}) {
    wire::Message promise = message(Type::promiseAll, acceptor, 0);
    promise.ballot = ballot;
    proposer.receive(now, promise, out);
  }
  out.clear();
  if (!proposer.leading()) state.SkipWithError("the proposer does not lead");
  FreshBatches batches;
  wire::Message request = message(Type::request, kClient);
  request.uid = kClient;
  wire::Message accepted = message(Type::accepted, 0);
  accepted.ballot = ballot;
  std::deque<uint64_t> inFlight;  // slots the proposer sent ACCEPT for, oldest first
  auto collect = [&] {
    for (const auto& e : out.messages)
      if (e.message.type == Type::accept && e.to == kAcceptors[0])
        inFlight.push_back(e.message.instance);
    out.clear();
  };
  for (auto _ : state) {
    request.value = batches.next();
    request.requestId = 0;
    proposer.receive(now, request, out);  // 100 values queue (or fill a slot)
    collect();
    if (!inFlight.empty()) {  // the oldest slot is chosen: the pipeline takes the next batch
      accepted.instance = inFlight.front();
      inFlight.pop_front();
      for (uint32_t acceptor : {kAcceptors[0], kAcceptors[1]}) {
        accepted.from = acceptor;
        proposer.receive(now, accepted, out);
      }
      collect();
    }
  }
  state.SetItemsProcessed(state.iterations() * int64_t(kCommandsPerSlot));  // values
  state.counters["decided_prefix"] = double(proposer.decidedPrefix());
}
BENCHMARK(proposerFill);

void clientDecided(benchmark::State& state) {
  auto cluster = multiCluster();
  core::Timing timing;
  timing.window = 1024;
  size_t slots = size_t(state.max_iterations);
  auto list = commands(kClient, 1, slots * kCommandsPerSlot);
  std::vector<std::string> values;
  for (const auto& c : list) values.push_back(c.value);
  std::vector<wire::Message> decided;  // one per slot, each answering 100 values in order
  for (size_t s = 0; s < slots; ++s) {
    wire::Message m = message(Type::decided, kLearner, s);
    m.value = wire::encodeBatch(
        std::vector<wire::Command>(list.begin() + long(s * kCommandsPerSlot),
                                   list.begin() + long((s + 1) * kCommandsPerSlot)));
    decided.push_back(std::move(m));
  }
  core::Client client(cluster, timing, kClient, std::move(values), 0);
  core::Outbox out;
  quiet(out);
  core::Time now = core::Time(1s);
  client.start(now, out);
  wire::Message start = message(Type::start, kProposer);
  start.uid = kProposer;
  start.roles = cluster.roles();
  client.receive(now, start, out);
  out.clear();
  size_t s = 0;
  for (auto _ : state) {
    client.receive(now, decided[s++], out);  // 100 answers; the window refills
    benchmark::DoNotOptimize(out.output.data());
    out.clear();
  }
  if (client.answered() != s * kCommandsPerSlot)
    state.SkipWithError("not every value was answered");
  state.SetItemsProcessed(state.iterations() * int64_t(kCommandsPerSlot));  // values
}
// Fixed iterations: the client is built with a value for every answer it will get.
BENCHMARK(clientDecided)->Iterations(3000);

}  // namespace
