#include "service/snapshot_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "storage/record_codec.hpp"
#include "wire/bytes.hpp"

namespace paxos::service {

namespace {
constexpr uint32_t kMagic = 0x50534e50;  // "PNSP"

uint32_t checksum(std::string_view bytes) {
  return storage::crc32({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw SnapshotError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}
}  // namespace

SnapshotFile::SnapshotFile(std::string dir, uint32_t uid, uint64_t hostsHash, bool sync)
    : dir_(std::move(dir)),
      path_(fmt::format("{}/replica-{}.snap", dir_, uid)),
      hostsHash_(hostsHash),
      uid_(uid),
      sync_(sync) {
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) fail("cannot create", dir_);
  struct stat st;
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw SnapshotError(fmt::format("--data-dir {} is not a directory", dir_));
}

std::optional<std::string> SnapshotFile::read() const {
  int fd = ::open(path_.c_str(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    fail("cannot open", path_);
  }
  std::string all;
  char buffer[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) all.append(buffer, size_t(n));
  ::close(fd);
  if (n < 0) fail("cannot read", path_);
  constexpr size_t kHeader = 4 + 8 + 4 + 4;
  if (all.size() < kHeader) throw SnapshotError(path_ + ": too short for a snapshot");
  wire::Reader r({reinterpret_cast<const uint8_t*>(all.data()), kHeader});
  uint32_t magic = r.u32();
  uint64_t hash = r.u64();
  uint32_t uid = r.u32();
  uint32_t sum = r.u32();
  std::string_view body = std::string_view(all).substr(kHeader);
  if (magic != kMagic) throw SnapshotError(path_ + ": not a snapshot file");
  if (hash != hostsHash_)
    throw SnapshotError(
        fmt::format("{}: written by another cluster (hosts hash {:016x}, ours "
                    "{:016x})",
                    path_, hash, hostsHash_));
  if (uid != uid_) throw SnapshotError(fmt::format("{}: belongs to uid {}", path_, uid));
  if (sum != checksum(body)) throw SnapshotError(path_ + ": damaged (checksum mismatch)");
  return std::string(body);
}

void SnapshotFile::write(const std::string& bytes) {
  std::vector<uint8_t> head;
  wire::Writer w(head);
  w.u32(kMagic);
  w.u64(hostsHash_);
  w.u32(uid_);
  w.u32(checksum(bytes));
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot create", tmp);
  auto put = [&](const void* data, size_t size) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        fail("cannot write", tmp);
      }
      p += n;
      size -= size_t(n);
    }
  };
  put(head.data(), head.size());
  put(bytes.data(), bytes.size());
  if (sync_ && ::fsync(fd) != 0) {
    ::close(fd);
    fail("cannot fsync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("cannot rename over", path_);
  if (!sync_) return;
  int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0 || ::fsync(dir) != 0) fail("cannot fsync", dir_);
  ::close(dir);
}

}  // namespace paxos::service
