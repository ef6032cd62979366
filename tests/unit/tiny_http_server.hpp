// An in-process HTTP/1.1 server for tests: one thread runs an asio io_context; each request
// (Content-Length bodies, keep-alive) goes to a handler on that thread, so handlers never run
// concurrently. Also a fake of the KV service (a std::map) built on it, correct or
// deliberately broken, for end-to-end tests of the history recorder and the checker.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace paxos::test {

struct ServerRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Send nothing at all (the client's deadline must fire); the connection stays open.
  bool hang = false;
  // Close the connection after this response ("Connection: close").
  bool close = false;
};

class TinyHttpServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;
  // Listens on 127.0.0.1 on a free port and serves until destroyed.
  explicit TinyHttpServer(Handler handler);
  ~TinyHttpServer();
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint64_t accepted() const { return accepted_; }

 private:
  void accept();
  Handler handler_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

// The KV API's fake (docs: /work/shared-notes/kv-api.md): PUT/GET/DELETE /v1/kv/{key},
// X-Request-Id deduplication of writes, versions from one global revision.
struct FakeKvOptions {
  // Broken on purpose: GET answers from a copy of the map refreshed only every `staleEvery`
  // writes (0: always current, a linearizable store).
  int staleEvery = 0;
  // Every n-th request (0: never) is answered 503 + Retry-After without doing anything.
  int unavailableEvery = 0;
  // Every n-th write (0: never) is answered 504; odd ones were applied, even ones were not.
  int unknownEvery = 0;
};

class FakeKvServer {
 public:
  explicit FakeKvServer(FakeKvOptions options = {});
  std::string url() const { return server_->url(); }
  uint64_t writesApplied() const { return writesApplied_; }

 private:
  ServerResponse handle(const ServerRequest& request);
  struct Entry {
    std::string value;
    uint64_t version;
  };
  FakeKvOptions options_;
  std::map<std::string, Entry> map_;
  std::map<std::string, Entry> stale_;
  std::map<std::string, ServerResponse> byRequestId_;
  uint64_t revision_ = 0;
  uint64_t requests_ = 0;
  uint64_t writes_ = 0;
  uint64_t unknowns_ = 0;
  std::atomic<uint64_t> writesApplied_{0};
  // Last: it starts serving in its constructor and stops before the state above is destroyed.
  std::unique_ptr<TinyHttpServer> server_;
};

}  // namespace paxos::test
