// The bytes of a node's state file (the format is described in record_codec.cpp), apart from the
// file itself: no FileSystem and no system calls, so that what is written and what recovery
// accepts can be read, and tested, without a disk, and node_store.cpp is left with the durability
// protocol alone. Which damage counts as a torn append and which is refused is decided here;
// when to append, compact, cut or fsync is NodeStore's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "core/outbox.hpp"

namespace paxos::storage {

// A file that must not be trusted; what() says why, worded to follow "PATH: " in a refusal.
class DamagedFile : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One step's changes (core::Outbox::persist and the persist* fields) as one record, to be written
// right after the last whole record of a file encodeSnapshot began. Each value must be at most
// wire::kMaxBytes long, or the record cannot be read back.
// CRC-32 (IEEE 802.3, as zlib): every record's, and a replica snapshot file's, checksum.
uint32_t crc32(std::span<const uint8_t> bytes);

std::vector<uint8_t> encodeStep(const core::Outbox& step);

// A whole file holding `state`, of the cluster `hostsHash` and the node `uid`. It must be put in
// place whole (written aside, then renamed): its header marks all of it as the snapshot, in which
// recovery forgives no damage.
std::vector<uint8_t> encodeSnapshot(const core::DurableState& state, uint64_t hostsHash,
                                    uint32_t uid);

// Roughly encodeSnapshot(state).size(), without building it: what compaction weighs the log
// against.
uint64_t snapshotSize(const core::DurableState& state);

struct DecodedFile {
  core::DurableState state;
  // Where the last whole record ends: bytes past it are a torn append, to be cut before the next
  // record is written there. 0 for a previous-version file.
  size_t end = 0;
  // Version 3 (one whole-file snapshot, nothing to append to): rewrite it as a snapshot.
  bool previousVersion = false;
};

// Recovers the state in a file's bytes, which must be a file of the cluster `hostsHash` and the
// node `uid`. The only damage accepted is a torn append after the snapshot, the file's last
// bytes, from a crash before the append's fsync returned (so before the step's replies left): a
// record cut short; a record failing its checksum that ends the file; or a record head of zeros
// with no whole record after it (the file grew but none or only the later pages of the append
// landed). It is left out of the state and `end`. Anything else (another cluster or UID, an
// unknown version, a damaged header, snapshot or length, a bad record followed by more, a
// malformed record) throws DamagedFile, because a wrong promise silently breaks agreement.
DecodedFile decodeFile(std::span<const uint8_t> bytes, uint64_t hostsHash, uint32_t uid);

}  // namespace paxos::storage
