// The few file-system calls NodeStore makes, behind an interface so that a test can put a disk
// with a page cache under it and cut the power at any of them (tests/unit/crash_file_system).
// Each call behaves as the POSIX call of the same name: it returns what that returns (-1 on
// failure) and sets errno. Paths are strings; descriptors are ints valid only with the same
// FileSystem.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace paxos::storage {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // `flags`: O_RDONLY or O_WRONLY, optionally O_CREAT, O_TRUNC, O_DIRECTORY (a directory is
  // opened O_RDONLY | O_DIRECTORY only to fsync it).
  virtual int open(const std::string& path, int flags, mode_t mode) = 0;
  virtual ssize_t read(int fd, uint8_t* data, size_t size) = 0;
  virtual ssize_t pwrite(int fd, const uint8_t* data, size_t size, off_t offset) = 0;
  // Makes the file's data and size durable; for a directory, the names in it (a created,
  // renamed or removed name is durable only after its directory's fsync).
  virtual int fsync(int fd) = 0;
  // Makes the file's data durable, and its size; unlike fsync, not the rest of its metadata
  // (times).
  virtual int fdatasync(int fd) = 0;
  virtual int ftruncate(int fd, off_t size) = 0;
  // Allocates [offset, offset + length) on the disk, growing the file with zeros (Linux
  // fallocate with mode 0). Fails with EOPNOTSUPP where the file system cannot.
  virtual int fallocate(int fd, off_t offset, off_t length) = 0;
  virtual int close(int fd) = 0;
  // Replaces `to` atomically (both in one directory here).
  virtual int rename(const std::string& from, const std::string& to) = 0;
  virtual int unlink(const std::string& path) = 0;
  virtual int mkdir(const std::string& path, mode_t mode) = 0;
};

// The real one: the system calls themselves (EINTR is the caller's to retry).
FileSystem& posixFileSystem();

}  // namespace paxos::storage
