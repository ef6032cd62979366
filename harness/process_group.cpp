#include "process_group.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace paxos::test {

ProcessGroup::ProcessGroup() {
  // SIGCHLD stays blocked in the test process so that sigtimedwait can wait for it.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

ProcessGroup::~ProcessGroup() {
  for (auto& [pid, status] : status_)
    if (status == -1) ::kill(pid, SIGKILL);
  for (auto& [pid, status] : status_)
    if (status == -1) waitpid(pid, nullptr, 0);
}

pid_t ProcessGroup::spawn(const std::vector<std::string>& argv, const std::string& out,
                          const std::string& err, const std::string& in,
                          const std::vector<std::string>& env) {
  return spawn(argv, out, err, in, -1, env);
}

pid_t ProcessGroup::spawn(const std::vector<std::string>& argv, const std::string& out,
                          const std::string& err, int stdinFd,
                          const std::vector<std::string>& env) {
  return spawn(argv, out, err, "", stdinFd, env);
}

pid_t ProcessGroup::spawn(const std::vector<std::string>& argv, const std::string& out,
                          const std::string& err, const std::string& in, int stdinFd,
                          const std::vector<std::string>& env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!in.empty()) posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  if (stdinFd >= 0) posix_spawn_file_actions_adddup2(&actions, stdinFd, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> vars;
  for (const auto& v : env) vars.push_back(const_cast<char*>(v.c_str()));
  for (char** v = environ; *v; ++v) {
    std::string_view entry(*v), name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& e : env)
      overridden |= e.size() > name.size() && e.starts_with(name) && e[name.size()] == '=';
    if (!overridden) vars.push_back(*v);
  }
  vars.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), vars.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  status_[pid] = -1;
  return pid;
}

void ProcessGroup::kill(pid_t pid) {
  if (status_.at(pid) == -1) ::kill(pid, SIGKILL);
}

void ProcessGroup::reap() {
  for (auto& [pid, status] : status_) {
    if (status != -1) continue;
    int raw = 0;
    if (waitpid(pid, &raw, WNOHANG) != pid) continue;
    status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }
}

bool ProcessGroup::awaitChild(std::chrono::steady_clock::time_point deadline) {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= left.zero()) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  timespec timeout{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  sigtimedwait(&set, nullptr, &timeout);
  return true;
}

bool ProcessGroup::exited(pid_t pid) {
  reap();
  return status_.at(pid) != -1;
}

bool ProcessGroup::waitFor(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    reap();
    if (status_.at(pid) != -1) return true;
    if (!awaitChild(deadline)) return false;
  }
}

bool ProcessGroup::waitAll(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    reap();
    bool running = false;
    for (auto& [pid, status] : status_) running |= status == -1;
    if (!running) return true;
    if (!awaitChild(deadline)) break;
  }
  for (auto& [pid, status] : status_)
    if (status == -1) ::kill(pid, SIGKILL);
  for (auto& [pid, status] : status_)
    if (status == -1) {
      waitpid(pid, nullptr, 0);
      status = 128 + SIGKILL;
    }
  return false;
}

int bindLoopbackUdp(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::vector<int> freeUdpPorts(int count) {
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int fd = bindLoopbackUdp(0);
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

std::vector<int> freeTcpPorts(int count) {
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd >= 0) fds.push_back(fd);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      for (int open : fds) close(open);
      throw std::runtime_error("no free TCP port on 127.0.0.1");
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);  // held until all were picked, so that the ports differ
  return ports;
}

int freeUdpPortRange(int count) {
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    int base = std::uniform_int_distribution<>(20000, 60000 - count)(rng);
    std::vector<int> fds;
    for (int p = base; p < base + count; ++p) {
      int fd = bindLoopbackUdp(p);
      if (fd < 0) break;
      fds.push_back(fd);
    }
    for (int fd : fds) close(fd);
    if (int(fds.size()) == count) return base;
  }
  throw std::runtime_error("no free port range");
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {
long statusField(pid_t pid, const std::string& field) {
  std::istringstream in(readFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(field)) return std::stol(line.substr(field.size()));
  return -1;
}
}  // namespace

long rssKiB(pid_t pid) {
  return statusField(pid, "VmRSS:");
}

long peakRssSoFarKiB(pid_t pid) {
  return statusField(pid, "VmHWM:");
}

double cpuSeconds(pid_t pid) {
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  // Fields after the command name, which is in parentheses and may hold spaces: state is the
  // 3rd field, utime and stime the 14th and 15th.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  if (!fields) return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

}  // namespace paxos::test
