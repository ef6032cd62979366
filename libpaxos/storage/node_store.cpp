#include "storage/node_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>

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
constexpr uint64_t kCompactFactor = 4;  // the log may grow to 4x its snapshot plus the slack

enum Kind : uint8_t {
  kSlot = 1,         // u64 instance, ballot promised, ballot accepted, bytes value
  kRound = 2,        // u64 proposer round
  kPromisedAll = 3,  // ballot
  kTrim = 4,         // u64 trimmedBelow (erases the instances below it)
};

constexpr std::array<uint32_t, 256> kCrcTable = [] {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320 & (0 - (c & 1)));
    table[n] = c;
  }
  return table;
}();

// CRC-32 (IEEE 802.3, as zlib), the same as version 3's.
uint32_t crc32(std::span<const uint8_t> bytes) {
  uint32_t crc = 0xffffffff;
  for (uint8_t b : bytes) crc = (crc >> 8) ^ kCrcTable[(crc ^ b) & 0xff];
  return ~crc;
}

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

// One step's changes as one record.
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

// A whole file holding `d`. The trim goes first, in a record of its own: replayed as a step it
// erases the slots saved before it, and `d` may hold slots below it saved after the trim.
std::vector<uint8_t> encodeSnapshot(const core::DurableState& d, uint64_t hash, uint32_t uid) {
  std::vector<uint8_t> bytes(kHeaderBytes);
  wire::Writer w(bytes);
  size_t at = openRecord(bytes);
  w.u8(kRound);
  w.u64(d.proposerRound);
  w.u8(kPromisedAll);
  w.ballot(d.promisedAll);
  w.u8(kTrim);
  w.u64(d.trimmedBelow);
  closeRecord(bytes, at);
  at = openRecord(bytes);
  for (const auto& [instance, s] : d.acceptor) {
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
  h.u64(hash);
  h.u32(uid);
  h.u64(bytes.size());
  h.u32(crc32(header));
  std::copy(header.begin(), header.end(), bytes.begin());
  return bytes;
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

// Roughly what encodeSnapshot(d) would take, without building it.
uint64_t snapshotSize(const core::DurableState& d) {
  uint64_t size = kHeaderBytes + 2 * kFrameBytes + 1 + 8 + 1 + 12 + 1 + 8;
  for (const auto& [instance, s] : d.acceptor) size += 1 + 8 + 12 + 12 + 2 + s.acceptedValue.size();
  return size;
}

[[noreturn]] void fail(const std::string& path, const char* what) {
  throw StorageError(fmt::format("{}: cannot {}: {}", path, what, std::strerror(errno)));
}

void writeAt(FileSystem& files, int fd, std::span<const uint8_t> bytes, uint64_t offset,
             const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = files.pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "write");
    done += size_t(n);
  }
}

void syncDirectory(FileSystem& files, const std::string& path) {
  int fd = files.open(path, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0 || files.fsync(fd) != 0) {
    int error = errno;
    if (fd >= 0) files.close(fd);
    errno = error;
    fail(path, "fsync");
  }
  files.close(fd);
}

// Damage found in a file; NodeStore::load words it as a refusal.
struct Damaged {
  std::string why;
};

// The file's bytes, or none if there is no file. Only a missing file is a first start: one we
// cannot open or read (permissions, no descriptors left) holds promises we must not forget.
std::optional<std::vector<uint8_t>> readFile(FileSystem& files, const std::string& path) {
  int fd = files.open(path, O_RDONLY, 0);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  std::vector<uint8_t> bytes;
  int error = fd < 0 ? errno : 0;
  while (fd >= 0 && error == 0) {
    size_t had = bytes.size();
    bytes.resize(had + 65536);
    ssize_t n = files.read(fd, bytes.data() + had, 65536);
    if (n < 0 && errno != EINTR) error = errno;
    bytes.resize(had + size_t(std::max<ssize_t>(n, 0)));
    if (n == 0) break;
  }
  if (fd >= 0) files.close(fd);
  if (error != 0)
    throw StorageError(
        fmt::format("{}: cannot read: {}; refusing to start", path, std::strerror(error)));
  return bytes;
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
  if (all.size() < 5) throw Damaged{"torn or corrupt state file (too short)"};
  wire::Reader r(all);
  Header h{};
  uint32_t magic = r.u32();
  h.version = r.u8();
  if (magic != kMagic || (h.version != kVersion && h.version != kPreviousVersion))
    throw Damaged{"not an acceptor state file"};
  size_t checked = h.version == kVersion ? kHeaderBytes - 4 : all.size() - 4;
  if (all.size() < kHeaderBytes) throw Damaged{"torn or corrupt state file (too short)"};
  if (u32At(all, checked) != crc32(all.first(checked)))
    throw Damaged{h.version == kVersion ? "torn or corrupt state file (bad header checksum)"
                                        : "torn or corrupt state file (bad checksum)"};
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
  if (!r.ok() || !r.atEnd()) throw Damaged{"malformed state file"};
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

// Replays a version 4 file's records into `d`; returns where the last whole record ends. Past
// the snapshot, an append torn by a crash before its fsync returned, so before the step's replies
// left, is ignored with what follows: a record cut short; one failing its checksum with nothing
// after it; or a record head of zeros with no whole record after it (the file system grew the
// file, but none or only the later pages of the append landed). Any other damage throws.
size_t replay(std::span<const uint8_t> all, uint64_t snapshotEnd, core::DurableState& d) {
  if (snapshotEnd < kHeaderBytes) throw Damaged{"malformed state file (header)"};
  if (all.size() < snapshotEnd) throw Damaged{"torn or corrupt state file (too short)"};
  size_t at = kHeaderBytes;
  for (; at < all.size();) {
    bool appended = at >= snapshotEnd;  // the snapshot was renamed into place whole
    size_t left = all.size() - at;
    auto zeroHead = [&] {
      return std::all_of(all.begin() + long(at), all.begin() + long(at + 8),
                         [](uint8_t b) { return b == 0; });
    };
    if (left < 8 && appended) break;
    if (left < 8) throw Damaged{"malformed state file (snapshot end)"};
    uint32_t length = u32At(all, at);
    if (u32At(all, at + 4) != crc32(all.subspan(at, 4))) {
      if (appended && zeroHead() && !wholeRecordAfter(all, at)) break;
      throw Damaged{fmt::format("torn or corrupt state file (bad record length at byte {})", at)};
    }
    if (left < kFrameBytes || length > left - kFrameBytes) {
      if (appended) break;
      throw Damaged{"malformed state file (snapshot end)"};
    }
    size_t next = at + kFrameBytes + length;
    if (u32At(all, next - 4) != crc32(all.subspan(at, 8 + length))) {
      if (appended && next == all.size()) break;
      throw Damaged{fmt::format("torn or corrupt state file (bad checksum at byte {})", at)};
    }
    auto step = decodeStep(all.subspan(at + 8, length));
    if (!step || (!appended && next > snapshotEnd))
      throw Damaged{fmt::format("malformed state file (record at byte {})", at)};
    core::applyDurable(*step, d);
    at = next;
  }
  return at;
}

}  // namespace

NodeStore::NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync,
                     FileSystem& files, uint64_t compactSlack)
    : dir_(dir),
      path_(dir + "/node-" + std::to_string(uid) + ".state"),
      uid_(uid),
      hostsHash_(hostsHash),
      sync_(sync),
      files_(files),
      compactSlack_(compactSlack) {
  createDirectories();
  load();
}

NodeStore::~NodeStore() {
  if (fd_ >= 0) files_.close(fd_);
}

// DIR and each missing parent, from the top down. A directory's name is in its parent, and is
// durable only once the parent is fsynced: without that a power cut can take the directory away,
// and with it every promise saved inside.
void NodeStore::createDirectories() {
  for (size_t at = dir_.find_first_not_of('/'); at != std::string::npos && at < dir_.size();) {
    size_t end = std::min(dir_.find('/', at), dir_.size());
    std::string path = dir_.substr(0, end);
    if (files_.mkdir(path, 0755) == 0) {
      size_t slash = path.find_last_of('/');
      std::string parent = slash == std::string::npos ? "."
                           : slash == 0               ? "/"
                                                      : path.substr(0, slash);
      if (sync_) syncDirectory(files_, parent);
    } else if (errno != EEXIST) {
      fail(path, "create directory");
    } else {  // there already: it must be a directory, not a file in the way
      int fd = files_.open(path, O_RDONLY | O_DIRECTORY, 0);
      if (fd < 0) fail(path, "create directory");
      files_.close(fd);
    }
    at = dir_.find_first_not_of('/', end);
  }
}

void NodeStore::load() {
  auto bytes = readFile(files_, path_);
  if (!bytes) return;  // a first start: the first save writes a snapshot
  std::span<const uint8_t> all(*bytes);
  try {
    Header header = readHeader(all);
    if (header.hash != hostsHash_)
      throw Damaged{fmt::format("written by another cluster (hosts hash {:016x}, ours {:016x})",
                                header.hash, hostsHash_)};
    if (header.uid != uid_)
      throw Damaged{fmt::format("written by UID {}, not {}", header.uid, uid_)};
    if (header.version == kPreviousVersion) {
      state_ = readVersion3(all);
      return;  // needsSnapshot_ stays: the next save writes version 4
    }
    end_ = replay(all, header.snapshotEnd, state_);
  } catch (const Damaged& damage) {
    throw StorageError(
        fmt::format("{}: {}; refusing to start (move it away to start afresh, "
                    "which forgets this acceptor's promises)",
                    path_, damage.why));
  }
  tornTail_ = end_ < all.size();
  needsSnapshot_ = false;
  compactAt_ = kCompactFactor * snapshotSize(state_) + compactSlack_;
}

void NodeStore::save(const core::Outbox& step) {
  if (!step.mustPersist()) return;
  for (const auto& [instance, s] : step.persist)
    if (s.acceptedValue.size() > wire::kMaxBytes)  // a longer value could not be read back
      throw StorageError(fmt::format("{}: instance {}: value of {} bytes, more than {}", path_,
                                     instance, s.acceptedValue.size(), wire::kMaxBytes));
  core::applyDurable(step, state_);
  std::vector<uint8_t> record = encodeStep(step);
  if (needsSnapshot_ || end_ + record.size() > compactAt_) {
    writeSnapshot();
  } else {
    append(record);
  }
}

void NodeStore::append(const std::vector<uint8_t>& record) {
  try {
    if (fd_ < 0) {
      fd_ = files_.open(path_, O_WRONLY, 0);
      if (fd_ < 0) fail(path_, "open");
      files_.unlink(path_ + ".tmp");  // a crash's leftover from a snapshot
    }
    if (tornTail_) {
      // The cut must be durable before a record lands where the torn one was: a shorter record
      // over it, with the cut undone by a second crash, would leave the new record followed by
      // the old one's remains, which recovery cannot tell from damage and refuses.
      if (files_.ftruncate(fd_, off_t(end_)) != 0) fail(path_, "cut a torn record");
      if (sync_ && files_.fsync(fd_) != 0) fail(path_, "fsync");
      tornTail_ = false;
    }
    writeAt(files_, fd_, record, end_, path_);
    if (sync_ && files_.fsync(fd_) != 0) fail(path_, "fsync");
  } catch (...) {
    tornTail_ = true;       // part of the record may be there
    needsSnapshot_ = true;  // state_ holds the step, the file may not
    throw;
  }
  end_ += record.size();
}

void NodeStore::writeSnapshot() {
  needsSnapshot_ = true;  // until the new file is durably in place
  std::vector<uint8_t> bytes = encodeSnapshot(state_, hostsHash_, uid_);
  std::string temporary = path_ + ".tmp";
  int fd = files_.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(temporary, "open");
  try {
    writeAt(files_, fd, bytes, 0, temporary);
    if (sync_ && files_.fsync(fd) != 0) fail(temporary, "fsync");
    if (files_.rename(temporary, path_) != 0) fail(path_, "rename");
  } catch (...) {
    files_.close(fd);
    throw;
  }
  if (fd_ >= 0) files_.close(fd_);
  fd_ = fd;  // renamed: it is the log now
  end_ = bytes.size();
  tornTail_ = false;
  compactAt_ = kCompactFactor * end_ + compactSlack_;
  if (sync_) syncDirectory(files_, dir_);  // makes the rename itself durable
  needsSnapshot_ = false;
}

}  // namespace paxos::storage
