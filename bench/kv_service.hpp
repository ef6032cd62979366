// Our key-value service (3 learners with HTTP, docs: kv-api) for paxos-bench kv: either already
// running at --kv-urls, or started by the --kv-start hook (e.g. ./run/kv.sh), which must print
// the learners' base URLs ("http://127.0.0.1:PORT") on stdout, one or more per line, and either
// stay in the foreground or leave its nodes in its process group. The hook runs in a session
// of its own, so stop() can SIGTERM exactly the processes it started (its process group).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process_group.hpp"

namespace paxos::bench {

class KvService {
 public:
  // Nothing configured (no URLs, no command) or a command whose program is not there: skipped()
  // says why and urls() is empty. Otherwise waits until every URL answers GET /v1/status with
  // 2xx, at most `timeoutMs`, and throws std::runtime_error if one does not.
  KvService(const std::vector<std::string>& urls, const std::string& startCommand,
            const std::string& dir, int timeoutMs);
  ~KvService();
  KvService(const KvService&) = delete;
  KvService& operator=(const KvService&) = delete;

  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& skipped() const { return skipped_; }
  // SIGTERM to the hook's process group, SIGKILL after 5 s; nothing when the URLs were given.
  void stop();

 private:
  std::vector<std::string> urls_;
  std::string skipped_;
  std::unique_ptr<paxos::test::ProcessGroup> group_;
  pid_t pid_ = 0;
};

}  // namespace paxos::bench
