// A node's durable state (an acceptor's promises and acceptances, a proposer's highest round):
// one file, DIR/node-UID.state, replaced atomically (write a
// temporary file, fsync it, rename it over the old one, fsync the directory) before the
// acceptor's reply leaves. A crash at any point leaves either the old or the new state whole.
//
// The file names the cluster (hosts hash) and the UID, and ends with a checksum: a file from
// another cluster, or a torn or corrupt one, is refused with a one-line StorageError rather
// than trusted, because a wrong promise silently breaks agreement.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "core/outbox.hpp"

namespace paxos::storage {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NodeStore {
 public:
  // Creates DIR if needed and reads what an earlier run saved. `sync`: fsync file and
  // directory (false only for benchmarks). Throws StorageError.
  NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync);

  // What is saved: after construction, the state to recover (empty on a first start).
  const std::map<uint64_t, core::AcceptorState>& state() const { return state_.acceptor; }
  const core::DurableState& durable() const { return state_; }
  // Records a step's durable changes (core::applyDurable) on top of what is saved. Throws
  // StorageError.
  void save(const core::Outbox& step);

  const std::string& path() const { return path_; }

 private:
  core::DurableState load() const;
  void write();

  std::string dir_;
  std::string path_;
  uint32_t uid_;
  uint64_t hostsHash_;
  bool sync_;
  core::DurableState state_;
};

}  // namespace paxos::storage
