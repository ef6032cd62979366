// The wire codec: a typical ACCEPT (an 8000-byte batch), a small message, and the batch
// encoding of 100 64-byte commands.
#include <benchmark/benchmark.h>

#include "micro.hpp"
#include "wire/codec.hpp"

using namespace paxos;
using namespace paxos::micro;

namespace {

wire::Message typicalAccept() {
  wire::Message m = message(wire::Type::accept, kProposer, 12345);
  m.ballot = {3, kProposer};
  m.seq = 987;
  m.value = wire::encodeBatch(commands(kClient, 1, kCommandsPerSlot));
  return m;
}

wire::Message smallMessage() {  // a HEARTBEAT: the header, a ballot and a UID, no value
  wire::Message m = message(wire::Type::heartbeat, kProposer, 12345);
  m.ballot = {3, kProposer};
  m.uid = kProposer;
  return m;
}

void encodeAccept(benchmark::State& state) {
  wire::Message m = typicalAccept();
  size_t bytes = 0;
  for (auto _ : state) {
    auto encoded = wire::encode(m);
    bytes += encoded.size();
    benchmark::DoNotOptimize(encoded.data());
  }
  state.SetBytesProcessed(int64_t(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(encodeAccept);

void decodeAccept(benchmark::State& state) {
  auto encoded = wire::encode(typicalAccept());
  for (auto _ : state) {
    auto m = wire::decode(encoded);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(int64_t(encoded.size()) * state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(decodeAccept);

void encodeSmall(benchmark::State& state) {
  wire::Message m = smallMessage();
  for (auto _ : state) {
    auto encoded = wire::encode(m);
    benchmark::DoNotOptimize(encoded.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(encodeSmall);

void decodeSmall(benchmark::State& state) {
  auto encoded = wire::encode(smallMessage());
  for (auto _ : state) {
    auto m = wire::decode(encoded);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(decodeSmall);

void encodeBatch(benchmark::State& state) {
  auto list = commands(kClient, 1, kCommandsPerSlot);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string batch = wire::encodeBatch(list);
    bytes += batch.size();
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetBytesProcessed(int64_t(bytes));
  state.SetItemsProcessed(state.iterations() * int64_t(kCommandsPerSlot));  // commands
}
BENCHMARK(encodeBatch);

void decodeBatch(benchmark::State& state) {
  std::string batch = wire::encodeBatch(commands(kClient, 1, kCommandsPerSlot));
  for (auto _ : state) {
    auto list = wire::decodeBatch(batch);
    benchmark::DoNotOptimize(list);
  }
  state.SetBytesProcessed(int64_t(batch.size()) * state.iterations());
  state.SetItemsProcessed(state.iterations() * int64_t(kCommandsPerSlot));  // commands
}
BENCHMARK(decodeBatch);

}  // namespace
