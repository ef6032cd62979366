#include "kv_service.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "etcd_cluster.hpp"
#include "http_client.hpp"

namespace paxos::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> urlsIn(const std::string& text) {
  static const std::regex url(R"(http://[A-Za-z0-9.\-\[\]:]+:[0-9]+)");
  std::vector<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), url), end; it != end; ++it)
    if (std::find(found.begin(), found.end(), it->str()) == found.end()) found.push_back(it->str());
  return found;
}

}  // namespace

KvService::KvService(const std::vector<std::string>& urls, const std::string& startCommand,
                     const std::string& dir, int timeoutMs) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  if (!urls.empty()) {
    urls_ = urls;
  } else if (startCommand.empty()) {
    skipped_ =
        "no --kv-urls and no --kv-start (start our KV service, e.g. ./run/kv.sh, and pass "
        "its learners' URLs with --kv-urls URL,URL,URL)";
    return;
  } else {
    std::string program = startCommand.substr(0, startCommand.find(' '));
    if (access(program.c_str(), X_OK) != 0 && findProgram(program).empty()) {
      skipped_ = "--kv-start: " + program + " is not there yet (the KV server is being built)";
      return;
    }
    std::string setsid = findProgram("setsid");
    if (setsid.empty()) throw std::runtime_error("--kv-start needs setsid (util-linux)");
    group_ = std::make_unique<paxos::test::ProcessGroup>();
    std::string out = dir + "/kv-start.out", err = dir + "/kv-start.err";
    pid_ = group_->spawn({setsid, "/bin/sh", "-c", startCommand}, out, err);
    // The URLs: once three are printed, or whatever was printed when the hook returned.
    for (;;) {
      urls_ = urlsIn(paxos::test::readFile(out));
      bool exited = group_->exited(pid_);
      if (urls_.size() >= 3 || (exited && !urls_.empty())) break;
      if (exited || Clock::now() > deadline)
        throw std::runtime_error(
            "--kv-start printed no URL (" +
            (exited ? "exited " + std::to_string(group_->status(pid_)) : std::string("timed out")) +
            "); see " + out + " and " + err);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (const auto& url : urls_) {
    for (;;) {
      HttpReply r = httpRequest(url, "GET", "/v1/status", "", 1000);
      if (r.status >= 200 && r.status < 300) break;
      if (Clock::now() > deadline)
        throw std::runtime_error(
            url + "/v1/status did not answer 2xx within " + std::to_string(timeoutMs) +
            " ms (last: " + (r.status ? std::to_string(r.status) + " " + r.body : r.error) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

KvService::~KvService() {
  stop();
}

void KvService::stop() {
  if (!group_) return;
  // setsid made the hook the leader of its own group: -pid reaches it and its nodes only.
  // A hook that returned at once left its nodes in the group: wait for the group to empty.
  ::kill(-pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  group_->waitFor(pid_, deadline);
  while (::kill(-pid_, 0) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (::kill(-pid_, 0) == 0) ::kill(-pid_, SIGKILL);
  group_.reset();
}

}  // namespace paxos::bench
