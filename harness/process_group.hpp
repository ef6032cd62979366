// Starts programs for a test or a benchmark and waits for them with a deadline. Only the PIDs
// started here are ever signalled; whatever is still running when the group is destroyed is
// SIGKILLed and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace paxos::test {

class ProcessGroup {
 public:
  ProcessGroup();
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  // Runs argv[0] with stdout and stderr redirected to the given files, and stdin from `in`
  // (empty: the test's own stdin), and the test's environment plus `env` (NAME=VALUE entries,
  // which win over the test's).
  pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
              const std::string& in = "", const std::vector<std::string>& env = {});
  // The same with stdin the file descriptor `stdinFd` (e.g. a pipe's read end; the caller still
  // owns and closes its copy).
  pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
              int stdinFd, const std::vector<std::string>& env);
  void kill(pid_t pid);
  // Reaps children until all have exited or `limit` passes (then kills the rest); returns
  // whether all exited within the limit. Waits on SIGCHLD, never polls with sleeps.
  bool waitAll(std::chrono::milliseconds limit);
  // Reaps children until `pid` has exited or `deadline` passes, without killing anything;
  // returns whether it exited. Children that exit meanwhile keep their status.
  bool waitFor(pid_t pid, std::chrono::steady_clock::time_point deadline);

  // Reaps whatever has exited, without waiting; whether `pid` has.
  bool exited(pid_t pid);

  // Exit code, or 128+signal for a killed child, or -1 while running.
  int status(pid_t pid) const { return status_.at(pid); }

 private:
  pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
              const std::string& in, int stdinFd, const std::vector<std::string>& env);
  void reap();
  // Blocks until a child may have changed state (SIGCHLD) or `deadline`; false once it passed.
  bool awaitChild(std::chrono::steady_clock::time_point deadline);
  std::map<pid_t, int> status_;
};

// `count` distinct UDP ports on 127.0.0.1 that were free a moment ago.
std::vector<int> freeUdpPorts(int count);
// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (HTTP addresses).
std::vector<int> freeTcpPorts(int count);
// A base such that base..base+count-1 were all free a moment ago (for the run scripts).
int freeUdpPortRange(int count);

// A UDP socket bound to 127.0.0.1:port (0: any), or -1; the caller closes it.
int bindLoopbackUdp(int port);

std::string readFile(const std::string& path);

// The resident set of a running process now (VmRSS of /proc/PID/status) in KiB, or -1.
long rssKiB(pid_t pid);
// The peak resident set of a running process since its exec (VmHWM) in KiB, or -1. (wait4's
// ru_maxrss after the exit is no substitute: after posix_spawn it counts the parent's memory.)
long peakRssSoFarKiB(pid_t pid);
// User plus system CPU seconds a running process has used (/proc/PID/stat), or -1.
double cpuSeconds(pid_t pid);

}  // namespace paxos::test
