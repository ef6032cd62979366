// A node's durable state (an acceptor's promises and acceptances, a proposer's highest round):
// one append-only log, DIR/node-UID.state. Each save appends one record holding the step's
// changes with a single write, then fsyncs the file, before the acceptor's reply leaves; its cost
// does not grow with the number of instances stored. The file is grown with zeros (fallocate) a
// megabyte ahead of its appends, so that an append changes no file size and fdatasync need not
// commit the file system's journal: on ext4 it takes a third of an appending fsync's time. Zeros
// after the last record are no damage: the next append overwrites them. When the log has grown well
// past what a snapshot of the live state would take, it is replaced atomically by such a snapshot
// (write a temporary file, fsync it, rename it over the log, fsync the directory); the first save
// creates the file the same way.
//
// The file names the cluster (hosts hash) and the UID, and every record carries a checksum. The
// only damage accepted is a torn tail: the last record incomplete, failing its checksum, or
// starting with zeros, with no whole record after it, which is a crash in the middle of an append
// whose reply never left; that record is ignored and cut away (durably) at the next save. Anything
// else (a file from another cluster or UID, a damaged header or snapshot, a bad record followed by
// more) is refused with a one-line StorageError rather than trusted, because a wrong promise
// silently breaks agreement. A file in the previous format (version 3, one whole-file snapshot) is
// read and rewritten at the next save.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/outbox.hpp"
#include "storage/file_system.hpp"

namespace paxos::storage {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NodeStore {
 public:
  static constexpr uint64_t kCompactSlack = uint64_t{1} << 20;
  // Bytes the log is grown by ahead of its appends (0: none; the header says why).
  static constexpr uint64_t kPreallocate = uint64_t{1} << 20;

  // Creates DIR if needed (each new directory fsynced into its parent) and reads what an earlier
  // run saved; does not write the file. `sync`: fsync file and directories (false only for
  // benchmarks). Throws StorageError.
  NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync,
            uint64_t preallocate = kPreallocate)
      : NodeStore(dir, uid, hostsHash, sync, posixFileSystem(), kCompactSlack, preallocate) {}
  // The same on `files`, which must outlive the store. `compactSlack`: bytes the log may grow
  // past 4 times its last snapshot before a save compacts it (tests make it small).
  NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync, FileSystem& files,
            uint64_t compactSlack = kCompactSlack, uint64_t preallocate = kPreallocate);
  ~NodeStore();
  NodeStore(const NodeStore&) = delete;
  NodeStore& operator=(const NodeStore&) = delete;

  // What is saved: after construction, the state to recover (empty on a first start).
  const std::map<uint64_t, core::AcceptorState>& state() const { return state_.acceptor; }
  const core::DurableState& durable() const { return state_; }
  // Records a step's durable changes (core::applyDurable) on top of what is saved: durable (with
  // `sync`) when it returns. Throws StorageError; after one, the next save rewrites the whole
  // state.
  void save(const core::Outbox& step);

  const std::string& path() const { return path_; }

 private:
  void createDirectories();
  void load();
  void append(const std::vector<uint8_t>& record);
  void writeSnapshot();

  std::string dir_;
  std::string path_;
  uint32_t uid_;
  uint64_t hostsHash_;
  bool sync_;
  FileSystem& files_;
  uint64_t compactSlack_;
  core::DurableState state_;
  int fd_ = -1;                // the log, open for writing from the first save on
  uint64_t end_ = 0;           // where the next record goes: the end of the last whole record
  bool tornTail_ = false;      // bytes past end_ (a torn append) to cut before appending
  bool needsSnapshot_ = true;  // no file, an old format, or a failed write: rewrite it whole
  uint64_t compactAt_ = 0;     // log size past which the next save writes a snapshot instead
  uint64_t preallocate_;
  uint64_t allocated_ = 0;  // the file's size: zeros from end_ on were allocated ahead
};

}  // namespace paxos::storage
