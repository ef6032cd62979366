#include "storage/record_codec.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <optional>
#include <string>

#include "wire/bytes.hpp"

namespace paxos::storage {

namespace {

// File format, version 4 (little-endian, as wire::Writer writes):
//   header: u32 magic, u8 version, u64 hosts hash, u32 UID, u64 snapshot end, u32 CRC-32 of these
//   records to the end of the file, each: u32 length, u32 CRC-32 of the length, payload,
//     u32 CRC-32 of everything before it in the record
//   payload: items, each a kind byte and its fields (Kind below); a record is one step's changes,
//     replayed with core::applyDurable.
// The records before "snapshot end" were renamed into place whole, so only a record after it can
// be a torn append. The length's own checksum tells a damaged length (refused) from a record that
// runs past the end of the file (torn).
constexpr uint32_t kMagic = 0x53415850;  // "PXAS"
constexpr uint8_t kVersion = 4;          // 2: proposer round; 3: multi mode; 4: a log of records
constexpr uint8_t kPreviousVersion = 3;  // one whole-file snapshot: read, rewritten as 4
constexpr size_t kHeaderBytes = 4 + 1 + 8 + 4 + 8 + 4;
constexpr size_t kFrameBytes = 4 + 4 + 4;           // length, its checksum, the record's
constexpr size_t kSnapshotRecordBytes = 64 * 1024;  // a snapshot's records are cut near this

enum Kind : uint8_t {
  kSlot = 1,         // u64 instance, ballot promised, ballot accepted, bytes value
  kRound = 2,        // u64 proposer round
  kPromisedAll = 3,  // ballot
  kTrim = 4,         // u64 trimmedBelow (erases the instances below it)
};

uint32_t u32At(std::span<const uint8_t> bytes, size_t at) {
  return wire::Reader(bytes.subspan(at, 4)).u32();
}

void putU32At(std::vector<uint8_t>& bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = uint8_t(v >> (8 * i));
}

// Opens a record at the end of `bytes`; closeRecord fills in its length and checksums.
size_t openRecord(std::vector<uint8_t>& bytes) {
  bytes.resize(bytes.size() + 8);
  return bytes.size() - 8;
}

void closeRecord(std::vector<uint8_t>& bytes, size_t at) {
  putU32At(bytes, at, uint32_t(bytes.size() - at - 8));
  putU32At(bytes, at + 4, crc32(std::span(bytes).subspan(at, 4)));
  wire::Writer(bytes).u32(crc32(std::span(bytes).subspan(at)));
}

void putSlot(wire::Writer& w, uint64_t instance, const core::AcceptorState& s) {
  w.u8(kSlot);
  w.u64(instance);
  w.ballot(s.promised);
  w.ballot(s.acceptedBallot);
  w.bytes(s.acceptedValue);
}

// A record's changes, or none if its payload is malformed (an unknown kind, a field cut short, a
// field given twice, nothing at all).
std::optional<core::Outbox> decodeStep(std::span<const uint8_t> payload) {
  wire::Reader r(payload);
  core::Outbox step;
  auto once = [&](auto& field, auto value) {
    if (field) r.fail();
    field = value;
  };
  while (r.ok() && !r.atEnd()) {
    switch (r.u8()) {
      case kSlot: {
        uint64_t instance = r.u64();
        core::AcceptorState s;
        s.promised = r.ballot();
        s.acceptedBallot = r.ballot();
        s.acceptedValue = r.bytes();
        step.persist.emplace_back(instance, std::move(s));
        break;
      }
      case kRound:
        once(step.persistRound, r.u64());
        break;
      case kPromisedAll:
        once(step.persistPromisedAll, r.ballot());
        break;
      case kTrim:
        once(step.persistTrim, r.u64());
        break;
      default:
        r.fail();
    }
  }
  if (!r.ok() || !step.mustPersist()) return std::nullopt;
  return step;
}

struct Header {
  uint8_t version;
  uint64_t hash;
  uint32_t uid;
  uint64_t snapshotEnd;  // version 4
};

// Checks what identifies the file: magic, version, and the header's checksum (version 3: the
// whole file's).
Header readHeader(std::span<const uint8_t> all) {
  if (all.size() < 5) throw DamagedFile("torn or corrupt state file (too short)");
  wire::Reader r(all);
  Header h{};
  uint32_t magic = r.u32();
  h.version = r.u8();
  if (magic != kMagic || (h.version != kVersion && h.version != kPreviousVersion))
    throw DamagedFile("not an acceptor state file");
  size_t checked = h.version == kVersion ? kHeaderBytes - 4 : all.size() - 4;
  if (all.size() < kHeaderBytes) throw DamagedFile("torn or corrupt state file (too short)");
  if (u32At(all, checked) != crc32(all.first(checked)))
    throw DamagedFile(h.version == kVersion ? "torn or corrupt state file (bad header checksum)"
                                            : "torn or corrupt state file (bad checksum)");
  h.hash = r.u64();
  h.uid = r.u32();
  if (h.version == kVersion) h.snapshotEnd = r.u64();
  return h;
}

// Version 3, after its header: u64 proposer round, ballot promisedAll, u64 trimmedBelow, u32
// count, that many (u64 instance, ballot promised, ballot accepted, bytes value), u32 CRC-32.
core::DurableState readVersion3(std::span<const uint8_t> all) {
  wire::Reader r(all.subspan(4 + 1 + 8 + 4, all.size() - 4 - (4 + 1 + 8 + 4)));
  core::DurableState d;
  d.proposerRound = r.u64();
  d.promisedAll = r.ballot();
  d.trimmedBelow = r.u64();
  uint32_t count = r.u32();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    core::AcceptorState& s = d.acceptor[r.u64()];
    s.promised = r.ballot();
    s.acceptedBallot = r.ballot();
    s.acceptedValue = r.bytes();
  }
  if (!r.ok() || !r.atEnd()) throw DamagedFile("malformed state file");
  return d;
}

// Whether a whole record (length, its checksum and the record's all right) starts anywhere in
// `all` after `at`.
bool wholeRecordAfter(std::span<const uint8_t> all, size_t at) {
  for (size_t p = at + 1; p + kFrameBytes <= all.size(); ++p) {
    uint32_t length = u32At(all, p);
    if (u32At(all, p + 4) == crc32(all.subspan(p, 4)) && length <= all.size() - p - kFrameBytes &&
        u32At(all, p + 8 + length) == crc32(all.subspan(p, 8 + length)))
      return true;
  }
  return false;
}

// Replays a version 4 file's records into `d`; returns where the last whole record ends. What
// counts as a torn append is decodeFile's rule (record_codec.hpp).
size_t replay(std::span<const uint8_t> all, uint64_t snapshotEnd, core::DurableState& d) {
  if (snapshotEnd < kHeaderBytes) throw DamagedFile("malformed state file (header)");
  if (all.size() < snapshotEnd) throw DamagedFile("torn or corrupt state file (too short)");
  size_t at = kHeaderBytes;
  for (; at < all.size();) {
    bool appended = at >= snapshotEnd;  // the snapshot was renamed into place whole
    size_t left = all.size() - at;
    auto zeroHead = [&] {
      return std::all_of(all.begin() + long(at), all.begin() + long(at + 8),
                         [](uint8_t b) { return b == 0; });
    };
    if (left < 8 && appended) break;
    if (left < 8) throw DamagedFile("malformed state file (snapshot end)");
    uint32_t length = u32At(all, at);
    if (u32At(all, at + 4) != crc32(all.subspan(at, 4))) {
      if (appended && zeroHead() && !wholeRecordAfter(all, at)) break;
      throw DamagedFile(
          fmt::format("torn or corrupt state file (bad record length at byte {})", at));
    }
    if (left < kFrameBytes || length > left - kFrameBytes) {
      if (appended) break;
      throw DamagedFile("malformed state file (snapshot end)");
    }
    size_t next = at + kFrameBytes + length;
    if (u32At(all, next - 4) != crc32(all.subspan(at, 8 + length))) {
      // The last record, torn: nothing after it but the zeros the file was grown by ahead.
      if (appended &&
          std::all_of(all.begin() + long(next), all.end(), [](uint8_t b) { return b == 0; }))
        break;
      throw DamagedFile(fmt::format("torn or corrupt state file (bad checksum at byte {})", at));
    }
    auto step = decodeStep(all.subspan(at + 8, length));
    if (!step || (!appended && next > snapshotEnd))
      throw DamagedFile(fmt::format("malformed state file (record at byte {})", at));
    core::applyDurable(*step, d);
    at = next;
  }
  return at;
}

}  // namespace

// zlib's CRC-32 is the same checksum (IEEE polynomial, reflected) computed several bytes a step:
// a byte-at-a-time table took half of an acceptor's CPU at saturation (docs/BENCHMARKS.md).
uint32_t crc32(std::span<const uint8_t> bytes) {
  return uint32_t(::crc32_z(0, bytes.data(), bytes.size()));
}

std::vector<uint8_t> encodeStep(const core::Outbox& step) {
  std::vector<uint8_t> bytes;
  size_t at = openRecord(bytes);
  wire::Writer w(bytes);
  for (const auto& [instance, s] : step.persist) putSlot(w, instance, s);
  if (step.persistRound) {
    w.u8(kRound);
    w.u64(*step.persistRound);
  }
  if (step.persistPromisedAll) {
    w.u8(kPromisedAll);
    w.ballot(*step.persistPromisedAll);
  }
  if (step.persistTrim) {
    w.u8(kTrim);
    w.u64(*step.persistTrim);
  }
  closeRecord(bytes, at);
  return bytes;
}

// The trim goes first, in a record of its own: replayed as a step it erases the slots saved before
// it, and `state` may hold slots below it saved after the trim.
std::vector<uint8_t> encodeSnapshot(const core::DurableState& state, uint64_t hostsHash,
                                    uint32_t uid) {
  std::vector<uint8_t> bytes(kHeaderBytes);
  wire::Writer w(bytes);
  size_t at = openRecord(bytes);
  w.u8(kRound);
  w.u64(state.proposerRound);
  w.u8(kPromisedAll);
  w.ballot(state.promisedAll);
  w.u8(kTrim);
  w.u64(state.trimmedBelow);
  closeRecord(bytes, at);
  at = openRecord(bytes);
  for (const auto& [instance, s] : state.acceptor) {
    if (bytes.size() - at > kSnapshotRecordBytes) {
      closeRecord(bytes, at);
      at = openRecord(bytes);
    }
    putSlot(w, instance, s);
  }
  if (bytes.size() - at > 8) {
    closeRecord(bytes, at);
  } else {
    bytes.resize(at);  // no slots
  }
  std::vector<uint8_t> header;
  wire::Writer h(header);
  h.u32(kMagic);
  h.u8(kVersion);
  h.u64(hostsHash);
  h.u32(uid);
  h.u64(bytes.size());
  h.u32(crc32(header));
  std::copy(header.begin(), header.end(), bytes.begin());
  return bytes;
}

uint64_t snapshotSize(const core::DurableState& state) {
  uint64_t size = kHeaderBytes + 2 * kFrameBytes + 1 + 8 + 1 + 12 + 1 + 8;
  for (const auto& [instance, s] : state.acceptor)
    size += 1 + 8 + 12 + 12 + 2 + s.acceptedValue.size();
  return size;
}

DecodedFile decodeFile(std::span<const uint8_t> bytes, uint64_t hostsHash, uint32_t uid) {
  Header header = readHeader(bytes);
  if (header.hash != hostsHash)
    throw DamagedFile(fmt::format("written by another cluster (hosts hash {:016x}, ours {:016x})",
                                  header.hash, hostsHash));
  if (header.uid != uid)
    throw DamagedFile(fmt::format("written by UID {}, not {}", header.uid, uid));
  DecodedFile file;
  if (header.version == kPreviousVersion) {
    file.state = readVersion3(bytes);
    file.previousVersion = true;
    return file;
  }
  file.end = replay(bytes, header.snapshotEnd, file.state);
  return file;
}

}  // namespace paxos::storage
