// Fetches a peer replica's latest snapshot (docs/KV.md#snapshots-and-compaction): GET /v1/snapshot
// over HTTP/1.1 with Connection: close, on the node's io_context, never blocking it. The body may
// be megabytes; it is read in 64 KiB pieces up to a limit. One fetch at a time.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/hosts.hpp"

namespace paxos::service {

class SnapshotFetcher {
 public:
  // `error` is empty on success; `body` is then the snapshot's bytes (kv::encodeSnapshot), which
  // the caller still has to check. Runs once, on the io_context's thread, never inside fetch().
  using Done = std::function<void(const std::string& error, std::string body)>;

  explicit SnapshotFetcher(asio::io_context& io, size_t maxBytes = size_t{1} << 30,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : io_(io), maxBytes_(maxBytes), timeout_(timeout) {}
  ~SnapshotFetcher() { cancel(); }

  // Precondition: no fetch is under way (busy() is false).
  void fetch(const config::HttpAddress& peer, Done done);
  bool busy() const { return attempt_ != nullptr; }
  // Abandons the fetch under way, if any: its Done never runs.
  void cancel();

  // Splits a whole HTTP/1.1 response (status 200, Content-Length matching, when present, or
  // the rest of the stream): the body, or an error. Public for tests.
  static bool parse(const std::string& response, std::string& body, std::string& error);

 private:
  struct Attempt;
  asio::io_context& io_;
  size_t maxBytes_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<Attempt> attempt_;
};

}  // namespace paxos::service
