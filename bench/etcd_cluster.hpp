// A 3-member (or n-member) etcd cluster on loopback for paxos-bench kv: each member its own
// --data-dir under a work folder, client and peer URLs on free 127.0.0.1 ports, etcd's defaults
// otherwise (the WAL is fsynced before a write is acknowledged). Only the PIDs started here are
// ever signalled; the destructor kills and reaps whatever still runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process_group.hpp"

namespace paxos::bench {

class EtcdCluster {
 public:
  // Starts `members` etcd processes (the `etcd` binary at `program`) with data and logs under
  // `dir`, then waits until every member's /health says true, at most `timeoutMs`. Throws
  // std::runtime_error (with the tail of a member's log when it exited) if they do not.
  EtcdCluster(const std::string& program, const std::string& dir, int members, int timeoutMs);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "http://127.0.0.1:PORT" of each member's client listener.
  const std::vector<std::string>& clientUrls() const { return clientUrls_; }
  // The client URL of a member that is not the raft leader (/v3/maintenance/status), so a
  // request takes the same follower-to-leader path every run; the first member if that fails.
  std::string followerUrl() const;
  // SIGKILLs the members and reaps them (the data folders are scratch: nothing to flush).
  void stop();

 private:
  std::unique_ptr<paxos::test::ProcessGroup> group_;
  std::vector<pid_t> pids_;
  std::vector<std::string> clientUrls_, logs_;
};

// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (all held while chosen).
std::vector<int> freeTcpPorts(int count);

// The full path of `name` on PATH, or "" when it is not there (or not executable).
std::string findProgram(const std::string& name);

}  // namespace paxos::bench
