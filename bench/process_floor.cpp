#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "limits.hpp"
#include "process_group.hpp"
#include "stats.hpp"

namespace paxos::bench {

ProcessFloor measureProcessFloor(const std::string& program, int count, int runs,
                                 const std::string& dir) {
  ProcessFloor floor;
  std::vector<double> times;
  std::filesystem::create_directories(dir);
  for (int run = 0; run < runs; ++run) {
    test::ProcessGroup group;
    std::vector<pid_t> pids;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i)
      pids.push_back(
          group.spawn({program, "--help"}, "/dev/null", dir + "/floor.err", "/dev/null"));
    if (!group.waitAll(std::chrono::seconds(20))) continue;
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  floor.launchToExitMs = median(times);
  return floor;
}

long measureIdleRssKiB(const std::string& program, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::string fifo = dir + "/help.fifo";
  std::filesystem::remove(fifo);
  if (mkfifo(fifo.c_str(), 0600) != 0) return -1;
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  int writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  long kib = -1;
  if (reader >= 0 && writer >= 0) {
    char chunk[4096] = {};
    while (write(writer, chunk, sizeof chunk) > 0) {
    }
    while (write(writer, chunk, 1) > 0) {
    }
    test::ProcessGroup group;
    pid_t pid = group.spawn({program, "--help"}, fifo, "/dev/null", "/dev/null");
    // Blocked in its write once VmHWM stops growing (or it is gone).
    long last = -1;
    for (int stable = 0, i = 0; stable < 3 && i < 200 && !group.exited(pid); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      long now = test::peakRssSoFarKiB(pid);
      stable = now == last && now > 0 ? stable + 1 : 0;
      last = now;
    }
    if (!group.exited(pid)) kib = last;
  }  // the group kills and reaps it
  if (reader >= 0) close(reader);
  if (writer >= 0) close(writer);
  std::filesystem::remove(fifo);
  return kib;
}

}  // namespace paxos::bench
