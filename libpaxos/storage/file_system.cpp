#include "storage/file_system.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace paxos::storage {

namespace {

class PosixFileSystem final : public FileSystem {
 public:
  int open(const std::string& path, int flags, mode_t mode) override {
    return ::open(path.c_str(), flags | O_CLOEXEC, mode);
  }
  ssize_t read(int fd, uint8_t* data, size_t size) override { return ::read(fd, data, size); }
  ssize_t pwrite(int fd, const uint8_t* data, size_t size, off_t offset) override {
    return ::pwrite(fd, data, size, offset);
  }
  int fsync(int fd) override { return ::fsync(fd); }
  int fdatasync(int fd) override { return ::fdatasync(fd); }
  int ftruncate(int fd, off_t size) override { return ::ftruncate(fd, size); }
  int fallocate(int fd, off_t offset, off_t length) override {
    return ::fallocate(fd, 0, offset, length);
  }
  int close(int fd) override { return ::close(fd); }
  int rename(const std::string& from, const std::string& to) override {
    return std::rename(from.c_str(), to.c_str());
  }
  int unlink(const std::string& path) override { return ::unlink(path.c_str()); }
  int mkdir(const std::string& path, mode_t mode) override { return ::mkdir(path.c_str(), mode); }
};

}  // namespace

FileSystem& posixFileSystem() {
  static PosixFileSystem files;
  return files;
}

}  // namespace paxos::storage
