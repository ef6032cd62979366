// A replica's snapshot on disk (docs/KV.md#snapshots): DIR/replica-UID.snap, replaced whole and
// atomically (write a temporary file, fsync it, rename it over, fsync the directory), so a crash
// leaves the old snapshot or the new one, never a mix. The file names the cluster (hosts hash)
// and the UID and carries a checksum; anything else is refused with a one-line error rather than
// trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace paxos::service {

class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SnapshotFile {
 public:
  SnapshotFile(std::string dir, uint32_t uid, uint64_t hostsHash, bool sync);
  // The bytes of the last snapshot written, or nullopt when there is none. Throws SnapshotError.
  std::optional<std::string> read() const;
  // Throws SnapshotError.
  void write(const std::string& bytes);
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
  uint64_t hostsHash_;
  uint32_t uid_;
  bool sync_;
};

}  // namespace paxos::service
