#include "cluster_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace paxos::test {

namespace fs = std::filesystem;

namespace {
std::string& binDirSetting() {
  static std::string dir = PAXOS_BIN_DIR;
  return dir;
}
std::string& runRootSetting() {
  static std::string dir = PAXOS_TEST_DIR;
  return dir;
}
}  // namespace

void setBinDir(std::string dir) {
  binDirSetting() = std::move(dir);
}
const std::string& binDir() {
  return binDirSetting();
}
void setRunRoot(std::string dir) {
  runRootSetting() = std::move(dir);
}
const std::string& runRoot() {
  return runRootSetting();
}

std::map<int, std::string> Outcome::clientDecisions() const {
  static const std::string prefix = "Final message received by client from learner: ";
  std::map<int, std::string> decisions;
  for (auto& [uid, text] : stdoutText) {
    if (uid < consensus || text.rfind(prefix, 0) != 0) continue;
    decisions[uid] = text.substr(prefix.size(), text.find('\n') - prefix.size());
  }
  return decisions;
}

std::string Outcome::describe() const {
  std::ostringstream text;
  text << "run folder " << dir << ": exit statuses";
  for (auto& [uid, code] : status) text << " " << uid << "=" << code;
  return text.str();
}

Cluster::Cluster(Scenario scenario, int runIndex)
    : scenario_(std::move(scenario)),
      dir_(runRoot() + "/" + scenario_.name + "-" + std::to_string(runIndex)),
      consensus_(scenario_.proposers + scenario_.acceptors + scenario_.learners) {
  fs::remove_all(dir_);  // a data dir left by an earlier run would be recovered from
  fs::create_directories(dir_);
  std::ostringstream out;
  out << "PROPOSERS " << scenario_.proposers << "\nACCEPTORS " << scenario_.acceptors
      << "\nLEARNERS " << scenario_.learners << "\n";
  if (scenario_.multi) out << "MODE multi\n";
  ports_ = freeUdpPorts(size() + scenario_.spareClients);
  if (scenario_.http) {
    int first = scenario_.proposers + scenario_.acceptors;
    auto http = freeTcpPorts(scenario_.learners);
    for (int i = 0; i < scenario_.learners; ++i) httpPorts_[first + i] = http[i];
  }
  for (int uid = 0; uid < int(ports_.size()); ++uid) {
    out << "localhost " << ports_[uid] << (uid < consensus_ ? " con" : " cli");
    if (auto http = httpPorts_.find(uid); http != httpPorts_.end())
      out << " 127.0.0.1:" << http->second;
    out << "\n";
  }
  hostsText_ = out.str();
  std::ofstream(dir_ + "/hosts.txt") << hostsText_;
}

Cluster::~Cluster() {
  for (auto& [uid, fd] : stdinPipe_) close(fd);
}

std::string Cluster::url(int uid) const {
  auto http = httpPorts_.find(uid);
  return http == httpPorts_.end() ? "" : "http://127.0.0.1:" + std::to_string(http->second);
}

std::vector<std::string> Cluster::urls() const {
  std::vector<std::string> all;
  for (const auto& [uid, port] : httpPorts_) all.push_back(url(uid));
  return all;
}

void Cluster::start(int uid) {
  const Scenario& s = scenario_;
  bool client = uid >= consensus_;
  std::vector<std::string> argv{binDir() + (client ? "/clidriver" : "/condriver"),
                                std::to_string(uid)};
  if (client) {
    const ClientSpec& c = s.clients[uid - consensus_];
    argv.push_back(c.value);
    argv.push_back(std::to_string(c.desired));
    if (auto lines = s.stdinLines.find(uid); lines != s.stdinLines.end()) {
      stdin_[uid] = dir_ + "/" + std::to_string(uid) + ".in";
      std::ofstream in(stdin_[uid]);
      for (const auto& line : lines->second) in << line << "\n";
    }
    if (auto file = s.stdinFiles.find(uid); file != s.stdinFiles.end()) stdin_[uid] = file->second;
  }
  if (auto rewrite = s.hostsFor.find(uid); rewrite != s.hostsFor.end()) {
    std::string own = dir_ + "/hosts-" + std::to_string(uid) + ".txt";
    std::ofstream(own) << rewrite->second(hostsText_);
    argv.insert(argv.end(), {"--hosts", own});
  } else {
    argv.insert(argv.end(), {"--hosts", dir_ + "/hosts.txt"});
  }
  if (!client && s.dataDir) argv.insert(argv.end(), {"--data-dir", dir_ + "/data"});
  const auto& common = client ? s.clientArgs : s.nodeArgs;
  argv.insert(argv.end(), common.begin(), common.end());
  if (auto extra = s.extraArgs.find(uid); extra != s.extraArgs.end())
    argv.insert(argv.end(), extra->second.begin(), extra->second.end());
  argv_[uid] = argv;
  spawn(uid, std::move(argv));
  if (s.killAtStart.contains(uid)) kill(uid);
}

std::string Cluster::join(int uid, const std::string& role) {
  if (uid < int(ports_.size())) throw std::invalid_argument("join: UID in the hosts file");
  ports_.resize(uid + 1);
  ports_[uid] = freeUdpPorts(1)[0];
  std::string address = "127.0.0.1:" + std::to_string(ports_[uid]);
  std::vector<std::string> argv{binDir() + "/condriver",
                                std::to_string(uid),
                                "--hosts",
                                dir_ + "/hosts.txt",
                                "--join",
                                role,
                                "--listen",
                                address};
  if (scenario_.http && role == "learner") {
    httpPorts_[uid] = freeTcpPorts(1)[0];
    argv.insert(argv.end(), {"--http", "127.0.0.1:" + std::to_string(httpPorts_[uid])});
  }
  if (scenario_.dataDir) argv.insert(argv.end(), {"--data-dir", dir_ + "/data"});
  argv.insert(argv.end(), scenario_.nodeArgs.begin(), scenario_.nodeArgs.end());
  argv_[uid] = argv;
  spawn(uid, std::move(argv));
  return address;
}

void Cluster::startAll() {
  for (int uid = 0; uid < size(); ++uid) start(uid);
}

void Cluster::restart(int uid, const std::vector<std::string>& extra) {
  std::vector<std::string> argv;
  const auto& first = argv_.at(uid);
  for (size_t i = 0; i < first.size(); ++i) {
    if (first[i] == "--crash-at") {
      ++i;  // and its value
      continue;
    }
    if (first[i].starts_with("--crash-at=")) continue;
    argv.push_back(first[i]);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  spawn(uid, std::move(argv));
}

void Cluster::spawn(int uid, std::vector<std::string> argv) {
  if (pids_.empty()) started_ = std::chrono::steady_clock::now();
  auto& pids = pids_[uid];
  std::string files = base(uid, int(pids.size()));
  if (scenario_.stdinPipes.contains(uid)) {
    // Close-on-exec, so that no other child holds an end open; spawn dup2s the read end to 0.
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    fcntl(ends[1], F_SETFL, O_NONBLOCK);  // writeStdin waits with poll() and a deadline
    if (auto old = stdinPipe_.find(uid); old != stdinPipe_.end()) close(old->second);
    stdinPipe_[uid] = ends[1];
    pids.push_back(group_.spawn(argv, files + ".out", files + ".log", ends[0], scenario_.env));
    close(ends[0]);
    return;
  }
  auto in = stdin_.find(uid);
  pids.push_back(group_.spawn(argv, files + ".out", files + ".log",
                              in == stdin_.end() ? "" : in->second, scenario_.env));
}

void Cluster::kill(int uid) {
  group_.kill(pids_.at(uid).back());
}

bool Cluster::waitFor(int uid) {
  return group_.waitFor(pids_.at(uid).back(), started_ + scenario_.limit);
}

bool Cluster::waitAll() {
  auto left = started_ + scenario_.limit - std::chrono::steady_clock::now();
  allExited_ = group_.waitAll(std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                                       std::chrono::milliseconds(0)));
  finished_ = std::chrono::steady_clock::now();
  return allExited_;
}

bool Cluster::writeStdin(int uid, const std::string& text) {
  int fd = stdinPipe_.at(uid);
  auto deadline = started_ + scenario_.limit;
  // A reader that is gone raises SIGPIPE: blocked here, so that write() fails with EPIPE
  // instead, and taken back from the pending set before the mask is restored.
  sigset_t pipeSignal, old;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSignal, &old);
  size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      ok = false;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ok = false;
      break;
    }
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, int(std::min<int64_t>(left.count(), 1000)));
  }
  timespec zero{0, 0};
  while (sigtimedwait(&pipeSignal, nullptr, &zero) == SIGPIPE) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

void Cluster::closeStdin(int uid) {
  if (auto pipe = stdinPipe_.find(uid); pipe != stdinPipe_.end()) {
    close(pipe->second);
    stdinPipe_.erase(pipe);
  }
}

size_t Cluster::stdoutLines(int uid) const {
  std::string text = readFile(base(uid, int(pids_.at(uid).size()) - 1) + ".out");
  return size_t(std::count(text.begin(), text.end(), '\n'));
}

bool Cluster::pollLines(int uid, const std::function<bool(size_t lines)>& enough) {
  auto deadline = started_ + scenario_.limit;
  for (;;) {
    // Whether it had exited is asked before its output is read, so nothing it printed is missed.
    bool exited = group_.exited(pids_.at(uid).back());
    if (enough(stdoutLines(uid))) return true;
    if (exited || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int Cluster::status(int uid) const {
  return group_.status(pids_.at(uid).back());
}

std::string Cluster::base(int uid, int start) const {
  return dir_ + "/" + std::to_string(uid) + (start == 0 ? "" : ".r" + std::to_string(start));
}

std::string Cluster::log(int uid, int start) const {
  return readFile(base(uid, start) + ".log");
}

Outcome Cluster::outcome() const {
  Outcome outcome;
  outcome.consensus = consensus_;
  outcome.dir = dir_;
  outcome.allExited = allExited_;
  outcome.elapsedMs = std::chrono::duration<double, std::milli>(finished_ - started_).count();
  for (auto& [uid, pids] : pids_) {
    outcome.status[uid] = group_.status(pids.back());
    outcome.stdoutText[uid] = readFile(base(uid, int(pids.size()) - 1) + ".out");
  }
  return outcome;
}

Outcome runCluster(const Scenario& s, int runIndex) {
  Cluster cluster(s, runIndex);
  cluster.startAll();
  cluster.waitAll();
  return cluster.outcome();
}

Scenario seedRun() {
  Scenario s;
  s.name = "run";
  s.clients = {{"210", 0}};
  return s;
}

Scenario seedRun2() {
  Scenario s;
  s.name = "run2";
  s.proposers = 3, s.acceptors = 3, s.learners = 5;
  std::vector<std::string> values{"55", "56", "57", "57", "230", "231", "232", "233"};
  std::vector<int> desired{0, 1, 2, 3, 1, 45, 41, 10};
  for (size_t i = 0; i < values.size(); ++i) s.clients.push_back({values[i], desired[i]});
  return s;
}

Scenario seedRun3() {
  Scenario s;
  s.name = "run3";
  s.proposers = 1, s.acceptors = 3, s.learners = 1;
  for (auto v : {"55", "56", "57", "230"}) s.clients.push_back({v, 1});
  return s;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

}  // namespace paxos::test
