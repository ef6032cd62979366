#include "etcd_cluster.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"

namespace fs = std::filesystem;

namespace paxos::bench {

std::vector<int> freeTcpPorts(int count) {
  std::vector<int> sockets, ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
    sockets.push_back(fd);
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) close(fd);
  return ports;
}

std::string findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path ? path : "/usr/bin:/bin");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    std::string candidate = (folder.empty() ? "." : folder) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

namespace {

std::string tail(const std::string& path, size_t bytes) {
  std::string text = paxos::test::readFile(path);
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

}  // namespace

EtcdCluster::EtcdCluster(const std::string& program, const std::string& dir, int members,
                         int timeoutMs)
    : group_(std::make_unique<paxos::test::ProcessGroup>()) {
  // Scratch: a data folder left by an earlier run (--keep) belongs to another cluster.
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<int> ports = freeTcpPorts(2 * members);
  std::string initial;
  for (int i = 0; i < members; ++i) {
    if (i) initial += ",";
    initial += "m" + std::to_string(i) + "=http://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
  }
  // A token per run, so members of an earlier run that somehow survive cannot join this one.
  std::string token = "paxos-bench-" + std::to_string(getpid());
  for (int i = 0; i < members; ++i) {
    std::string name = "m" + std::to_string(i);
    std::string client = "http://127.0.0.1:" + std::to_string(ports[2 * i]);
    std::string peer = "http://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    clientUrls_.push_back(client);
    logs_.push_back(dir + "/" + name + ".log");
    pids_.push_back(group_->spawn({program,
                                   "--name",
                                   name,
                                   "--data-dir",
                                   dir + "/" + name,
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   initial,
                                   "--initial-cluster-token",
                                   token,
                                   "--initial-cluster-state",
                                   "new",
                                   "--logger",
                                   "zap",
                                   "--log-level",
                                   "warn"},
                                  dir + "/" + name + ".out", logs_.back()));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (size_t i = 0; i < clientUrls_.size();) {
    for (size_t j = 0; j < pids_.size(); ++j)
      if (group_->exited(pids_[j]))
        throw std::runtime_error("etcd member m" + std::to_string(j) + " exited " +
                                 std::to_string(group_->status(pids_[j])) + ": " +
                                 tail(logs_[j], 400));
    HttpReply health = httpRequest(clientUrls_[i], "GET", "/health", "", 1000);
    if (health.status == 200 && health.body.find("\"true\"") != std::string::npos) {
      ++i;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("etcd member m" + std::to_string(i) + " not healthy within " +
                               std::to_string(timeoutMs) +
                               " ms (last answer: " + (health.status ? health.body : health.error) +
                               "); log: " + tail(logs_[i], 400));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

EtcdCluster::~EtcdCluster() {
  stop();
}

std::string EtcdCluster::followerUrl() const {
  for (const auto& url : clientUrls_) {
    HttpReply r = httpRequest(url, "POST", "/v3/maintenance/status", "{}", 2000);
    if (r.status != 200) continue;
    auto status = nlohmann::json::parse(r.body, nullptr, false);
    if (status.is_discarded()) continue;
    std::string self = status["header"].value("member_id", ""), leader = status.value("leader", "");
    if (!self.empty() && !leader.empty() && self != leader) return url;
  }
  return clientUrls_.front();
}

void EtcdCluster::stop() {
  if (!group_) return;
  for (pid_t pid : pids_) group_->kill(pid);
  group_->waitAll(std::chrono::seconds(5));
  group_.reset();
}

}  // namespace paxos::bench
