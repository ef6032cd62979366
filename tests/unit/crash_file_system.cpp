#include "crash_file_system.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

namespace paxos::test {

const std::vector<CrashFileSystem::Cut> CrashFileSystem::kCuts = [] {
  std::vector<Cut> cuts;
  for (Writes writes : {Writes::lost, Writes::half, Writes::tail, Writes::zeros, Writes::kept})
    for (bool metadataKept : {false, true}) cuts.push_back({writes, metadataKept});
  return cuts;
}();

std::string CrashFileSystem::describe(Cut cut) {
  const char* writes[] = {"lost", "first half kept", "second half kept", "zeros", "kept"};
  return std::string("unsynced writes ") + writes[int(cut.writes)] + ", unsynced metadata " +
         (cut.metadataKept ? "kept" : "lost");
}

CrashFileSystem::CrashFileSystem() {
  inodes_[0].directory = true;
}

namespace {

void writeInto(std::vector<uint8_t>& data, uint64_t offset, const uint8_t* bytes, size_t size) {
  if (data.size() < offset + size) data.resize(offset + size);
  std::copy(bytes, bytes + size, data.begin() + long(offset));
}

// "/a//b/" -> {"a", "b"}
std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t at = 0; at < path.size();) {
    size_t end = std::min(path.find('/', at), path.size());
    if (end > at && path.compare(at, end - at, ".") != 0)
      parts.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

}  // namespace

std::vector<uint8_t> CrashFileSystem::surviving(const Inode& inode, Cut cut) {
  std::vector<uint8_t> data = inode.durableData;
  for (const Change& c : inode.unsynced) {
    if (c.truncate) {
      if (cut.metadataKept) data.resize(c.offset);
      continue;
    }
    switch (cut.writes) {
      case Writes::lost:
        break;
      case Writes::half:
        writeInto(data, c.offset, c.bytes.data(), c.bytes.size() / 2);
        break;
      case Writes::tail: {  // the file grew; its earlier new blocks not yet written
        size_t half = c.bytes.size() / 2;
        if (data.size() < c.offset + half) data.resize(c.offset + half);
        writeInto(data, c.offset + half, c.bytes.data() + half, c.bytes.size() - half);
        break;
      }
      case Writes::zeros:  // the file grew, its new blocks not yet written
        if (data.size() < c.offset + c.bytes.size()) data.resize(c.offset + c.bytes.size());
        break;
      case Writes::kept:
        writeInto(data, c.offset, c.bytes.data(), c.bytes.size());
        break;
    }
  }
  return data;
}

CrashFileSystem CrashFileSystem::afterPowerCut(Cut cut) const {
  CrashFileSystem after;
  after.nextInode_ = nextInode_;
  std::vector<int> reachable{0};  // only what a durable (or kept) name leads to survives
  while (!reachable.empty()) {
    int id = reachable.back();
    reachable.pop_back();
    const Inode& inode = inodes_.at(id);
    Inode& kept = after.inodes_[id];
    kept.directory = inode.directory;
    kept.data = kept.durableData = surviving(inode, cut);
    kept.names = kept.durableNames = cut.metadataKept ? inode.names : inode.durableNames;
    for (const auto& [name, child] : kept.names) reachable.push_back(child);
  }
  return after;
}

bool CrashFileSystem::exists(const std::string& path) const {
  return lookUp(path) >= 0;
}

void CrashFileSystem::change() {
  if (beforeChange) beforeChange(changes_);
  ++changes_;
}

int CrashFileSystem::lookUp(const std::string& path) const {
  int id = 0;
  for (const std::string& part : split(path)) {
    const Inode& dir = inodes_.at(id);
    if (!dir.directory) return errno = ENOTDIR, -1;
    auto found = dir.names.find(part);
    if (found == dir.names.end()) return errno = ENOENT, -1;
    id = found->second;
  }
  return id;
}

int CrashFileSystem::parentOf(const std::string& path, std::string& name) const {
  std::vector<std::string> parts = split(path);
  if (parts.empty()) return errno = EEXIST, -1;  // "/" itself
  name = parts.back();
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent += "/" + parts[i];
  int id = lookUp(parent);
  if (id >= 0 && !inodes_.at(id).directory) return errno = ENOTDIR, -1;
  return id;
}

int CrashFileSystem::open(const std::string& path, int flags, mode_t) {
  if (flags & (O_CREAT | O_TRUNC)) change();
  int id = lookUp(path);
  if (id < 0 && errno == ENOENT && (flags & O_CREAT)) {
    std::string name;
    int parent = parentOf(path, name);
    if (parent < 0) return -1;
    id = nextInode_++;
    inodes_[id];
    inodes_[parent].names[name] = id;
  }
  if (id < 0) return -1;
  Inode& inode = inodes_[id];
  if ((flags & O_DIRECTORY) && !inode.directory) return errno = ENOTDIR, -1;
  if (inode.directory && (flags & O_ACCMODE) != O_RDONLY) return errno = EISDIR, -1;
  if ((flags & O_TRUNC) && !inode.data.empty()) {
    inode.data.clear();
    inode.unsynced.push_back({true, 0, {}});
  }
  open_[nextFd_] = {id, 0};
  return nextFd_++;
}

ssize_t CrashFileSystem::read(int fd, uint8_t* data, size_t size) {
  auto found = open_.find(fd);
  if (found == open_.end()) return errno = EBADF, -1;
  const std::vector<uint8_t>& bytes = inodes_[found->second.inode].data;
  uint64_t& offset = found->second.offset;
  size_t n = offset < bytes.size() ? std::min<size_t>(size, bytes.size() - offset) : 0;
  std::copy(bytes.begin() + long(offset), bytes.begin() + long(offset + n), data);
  offset += n;
  return ssize_t(n);
}

ssize_t CrashFileSystem::pwrite(int fd, const uint8_t* data, size_t size, off_t offset) {
  change();
  auto found = open_.find(fd);
  if (found == open_.end()) return errno = EBADF, -1;
  Inode& inode = inodes_[found->second.inode];
  writeInto(inode.data, uint64_t(offset), data, size);
  inode.unsynced.push_back({false, uint64_t(offset), {data, data + size}});
  return ssize_t(size);
}

int CrashFileSystem::fsync(int fd) {
  change();
  auto found = open_.find(fd);
  if (found == open_.end()) return errno = EBADF, -1;
  Inode& inode = inodes_[found->second.inode];
  inode.durableData = inode.data;
  inode.unsynced.clear();
  inode.durableNames = inode.names;
  return 0;
}

int CrashFileSystem::ftruncate(int fd, off_t size) {
  change();
  auto found = open_.find(fd);
  if (found == open_.end()) return errno = EBADF, -1;
  Inode& inode = inodes_[found->second.inode];
  inode.data.resize(size_t(size));
  ++truncations_;
  inode.unsynced.push_back({true, uint64_t(size), {}});
  return 0;
}

int CrashFileSystem::fallocate(int fd, off_t offset, off_t length) {
  auto found = open_.find(fd);
  if (found == open_.end()) return errno = EBADF, -1;
  if (size_t(offset + length) <= inodes_[found->second.inode].data.size()) return 0;
  return ftruncate(fd, offset + length);
}

int CrashFileSystem::close(int fd) {
  return open_.erase(fd) == 1 ? 0 : (errno = EBADF, -1);
}

int CrashFileSystem::rename(const std::string& from, const std::string& to) {
  change();
  std::string fromName, toName;
  int fromDir = parentOf(from, fromName);
  int toDir = parentOf(to, toName);
  if (fromDir < 0 || toDir < 0) return -1;
  auto found = inodes_[fromDir].names.find(fromName);
  if (found == inodes_[fromDir].names.end()) return errno = ENOENT, -1;
  int id = found->second;
  inodes_[fromDir].names.erase(found);
  inodes_[toDir].names[toName] = id;
  ++renames_;
  return 0;
}

int CrashFileSystem::unlink(const std::string& path) {
  change();
  std::string name;
  int dir = parentOf(path, name);
  if (dir < 0) return -1;
  if (inodes_[dir].names.erase(name) == 0) return errno = ENOENT, -1;
  return 0;
}

int CrashFileSystem::mkdir(const std::string& path, mode_t) {
  change();
  std::string name;
  int dir = parentOf(path, name);
  if (dir < 0) return -1;
  if (inodes_[dir].names.count(name)) return errno = EEXIST, -1;
  int id = nextInode_++;
  inodes_[id].directory = true;
  inodes_[dir].names[name] = id;
  return 0;
}

}  // namespace paxos::test
