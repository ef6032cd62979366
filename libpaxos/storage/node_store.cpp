#include "storage/node_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "wire/bytes.hpp"

namespace paxos::storage {

namespace {

constexpr uint32_t kMagic = 0x53415850;  // "PXAS"
constexpr uint8_t kVersion = 3;          // 2: with the proposer round; 3: multi mode

uint32_t crc32(std::span<const uint8_t> bytes) {
  uint32_t crc = 0xffffffff;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return ~crc;
}

void writeAll(int fd, const std::vector<uint8_t>& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StorageError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    done += size_t(n);
  }
}

void syncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0 || ::fsync(fd) != 0) {
    int error = errno;
    if (fd >= 0) ::close(fd);
    throw StorageError(fmt::format("{}: cannot fsync: {}", path, std::strerror(error)));
  }
  ::close(fd);
}

}  // namespace

NodeStore::NodeStore(const std::string& dir, uint32_t uid, uint64_t hostsHash, bool sync)
    : dir_(dir),
      path_(dir + "/node-" + std::to_string(uid) + ".state"),
      uid_(uid),
      hostsHash_(hostsHash),
      sync_(sync) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw StorageError(fmt::format("{}: cannot create: {}", dir, error.message()));
  state_ = load();
}

core::DurableState NodeStore::load() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    // Only a missing file is a first start: one we cannot open (permissions, no descriptors
    // left) holds promises we must not forget.
    int error = errno;
    std::error_code missing;
    if (!std::filesystem::exists(path_, missing) && !missing) return {};
    throw StorageError(
        fmt::format("{}: cannot read: {}; refusing to start", path_, std::strerror(error)));
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto corrupt = [&](const std::string& why) {
    return StorageError(
        fmt::format("{}: {}; refusing to start (move it away to start afresh, "
                    "which forgets this acceptor's promises)",
                    path_, why));
  };
  if (bytes.size() < 4) throw corrupt("torn or corrupt state file (too short)");
  std::span<const uint8_t> body(bytes.data(), bytes.size() - 4);
  wire::Reader trailer(std::span<const uint8_t>(bytes).subspan(bytes.size() - 4));
  if (trailer.u32() != crc32(body)) throw corrupt("torn or corrupt state file (bad checksum)");

  wire::Reader r(body);
  if (r.u32() != kMagic || r.u8() != kVersion) throw corrupt("not an acceptor state file");
  uint64_t hash = r.u64();
  uint32_t uid = r.u32();
  if (hash != hostsHash_)
    throw corrupt(fmt::format("written by another cluster (hosts hash {:016x}, ours {:016x})", hash,
                              hostsHash_));
  if (uid != uid_) throw corrupt(fmt::format("written by UID {}, not {}", uid, uid_));
  core::DurableState state;
  state.proposerRound = r.u64();
  state.promisedAll = r.ballot();
  state.trimmedBelow = r.u64();
  uint32_t count = r.u32();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    uint64_t instance = r.u64();
    core::AcceptorState s;
    s.promised = r.ballot();
    s.acceptedBallot = r.ballot();
    s.acceptedValue = r.bytes();
    state.acceptor[instance] = s;
  }
  if (!r.ok() || !r.atEnd()) throw corrupt("malformed state file");
  return state;
}

void NodeStore::save(const core::Outbox& step) {
  core::applyDurable(step, state_);
  write();
}

void NodeStore::write() {
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  w.u32(kMagic);
  w.u8(kVersion);
  w.u64(hostsHash_);
  w.u32(uid_);
  w.u64(state_.proposerRound);
  w.ballot(state_.promisedAll);
  w.u64(state_.trimmedBelow);
  w.u32(uint32_t(state_.acceptor.size()));
  for (const auto& [instance, s] : state_.acceptor) {
    w.u64(instance);
    w.ballot(s.promised);
    w.ballot(s.acceptedBallot);
    w.bytes(s.acceptedValue);
  }
  w.u32(crc32(bytes));

  std::string temporary = path_ + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw StorageError(fmt::format("{}: cannot open: {}", temporary, std::strerror(errno)));
  try {
    writeAll(fd, bytes, temporary);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (sync_ && ::fsync(fd) != 0) {
    ::close(fd);
    throw StorageError(fmt::format("{}: cannot fsync: {}", temporary, std::strerror(errno)));
  }
  ::close(fd);
  if (std::rename(temporary.c_str(), path_.c_str()) != 0)
    throw StorageError(fmt::format("{}: cannot rename: {}", path_, std::strerror(errno)));
  if (sync_) syncPath(dir_, O_RDONLY | O_DIRECTORY);  // makes the rename itself durable
}

}  // namespace paxos::storage
