#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "limits.hpp"

namespace paxos::bench {

double measureFsyncRate(const std::string& dir, double seconds, int bytes) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/fsync-probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) return 0;
  std::vector<char> record(size_t(bytes), 'x');
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  long syncs = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (write(fd, record.data(), record.size()) != ssize_t(record.size()) || fsync(fd) != 0) break;
    ++syncs;
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  close(fd);
  std::filesystem::remove(path);
  return elapsed > 0 ? double(syncs) / elapsed : 0;
}

}  // namespace paxos::bench
