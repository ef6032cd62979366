#include "storage/node_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include "storage/record_codec.hpp"
#include "wire/bytes.hpp"

namespace paxos::storage {

namespace {

constexpr uint64_t kCompactFactor = 4;  // the log may grow to 4x its snapshot plus the slack

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

}  // namespace

NodeStore::NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync,
                     FileSystem& files, uint64_t compactSlack, uint64_t preallocate)
    : dir_(dir),
      path_(dir + "/node-" + std::to_string(uid) + ".state"),
      uid_(uid),
      hostsHash_(hostsHash),
      sync_(sync),
      files_(files),
      compactSlack_(compactSlack),
      preallocate_(preallocate) {
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
  DecodedFile file;
  try {
    file = decodeFile(*bytes, hostsHash_, uid_);
  } catch (const DamagedFile& damage) {
    throw StorageError(
        fmt::format("{}: {}; refusing to start (move it away to start afresh, "
                    "which forgets this acceptor's promises)",
                    path_, damage.what()));
  }
  state_ = std::move(file.state);
  if (file.previousVersion) return;  // needsSnapshot_ stays: the next save writes version 4
  end_ = file.end;
  allocated_ = bytes->size();
  // Zeros alone after the last record: allocated ahead (or a torn append of which nothing
  // landed); there are no remains of a record to cut, and an append may overwrite them.
  tornTail_ = std::any_of(bytes->begin() + long(end_), bytes->end(), [](uint8_t b) { return b; });
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
      allocated_ = end_;
    }
    uint64_t end = end_ + record.size();
    if (sync_ && preallocate_ > 0 && end > allocated_) {
      // The new size must be durable before an fdatasync relies on it (fsync makes it so).
      if (files_.fallocate(fd_, off_t(end_), off_t(record.size() + preallocate_)) == 0) {
        if (files_.fsync(fd_) != 0) fail(path_, "fsync");
        allocated_ = end + preallocate_;
      } else if (errno == EOPNOTSUPP || errno == ENOSYS) {
        preallocate_ = 0;  // this file system cannot: appends grow the file, fsync each
      } else {
        fail(path_, "allocate");
      }
    }
    writeAt(files_, fd_, record, end_, path_);
    if (sync_ && (end <= allocated_ ? files_.fdatasync(fd_) : files_.fsync(fd_)) != 0)
      fail(path_, "fsync");
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
  allocated_ = end_;
  tornTail_ = false;
  compactAt_ = kCompactFactor * end_ + compactSlack_;
  if (sync_) syncDirectory(files_, dir_);  // makes the rename itself durable
  needsSnapshot_ = false;
}

}  // namespace paxos::storage
