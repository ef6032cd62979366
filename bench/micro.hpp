// Shared by the micro-benchmarks: a typical multi-mode cluster (proposer 0, acceptors 1-3,
// learners 4-5, client 6), its messages, and batches of 64-byte commands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster.hpp"
#include "core/outbox.hpp"
#include "wire/batch.hpp"
#include "wire/message.hpp"

namespace paxos::micro {

inline constexpr uint64_t kHash = 0x5eed;
inline constexpr uint32_t kProposer = 0, kLearner = 4, kOtherLearner = 5, kClient = 6;
inline constexpr size_t kValueBytes = 64;
inline constexpr size_t kCommandsPerSlot = 100;  // 100 x (64 + 14) B: about the 8000-byte batch

inline core::Cluster multiCluster() {
  return core::Cluster(1, 3, 2, 1, kHash, config::Mode::multi);
}

// Commands first..first+count-1 of `client`, each a distinct 64-byte value.
inline std::vector<wire::Command> commands(uint32_t client, uint64_t first, size_t count) {
  std::vector<wire::Command> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string value = "v" + std::to_string(first + i);
    value.resize(kValueBytes, '.');
    list.push_back({client, first + i, std::move(value)});
  }
  return list;
}

inline wire::Message message(wire::Type type, uint32_t from, uint64_t instance = 0) {
  wire::Message m;
  m.type = type;
  m.from = from;
  m.hostsHash = kHash;
  m.instance = instance;
  return m;
}

// As the drivers run at info level: no debug notes, no trace events.
inline void quiet(core::Outbox& out) {
  out.debugging = false;
  out.tracing = false;
}

}  // namespace paxos::micro
