// A small blocking HTTP/1.1 client for tests and the history recorder, on standalone asio: one
// keep-alive connection per client object, Content-Length bodies (no chunked encoding), a
// deadline per request. Failures to connect, send or receive come back as a result, never as an
// exception. Not thread-safe: use one client per thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace paxos::test {

struct HttpResponse {
  // 0: no complete response arrived; `error` says why and `timedOut` whether the deadline
  // passed. A request without a response may or may not have reached the server.
  int status = 0;
  std::string error;
  bool timedOut = false;
  // Header names in lower case ("retry-after"); a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;

  bool received() const { return status != 0; }
  std::string header(const std::string& lowerName) const;
};

// "http://HOST:PORT" (a trailing "/" or path is ignored); nullopt if it is not one.
std::optional<std::pair<std::string, uint16_t>> parseHttpUrl(const std::string& url);

// Percent-encodes everything but RFC 3986's unreserved characters (for a key in a path).
std::string percentEncode(const std::string& text);

// Polls GET URL/v1/kv/x, a linearizable read through the log, every 20 ms until a node of the
// key-value service answers 200 or 404 (it has a leader, a quorum and its replica caught up), or
// the deadline passes; whether it did.
bool waitServing(const std::string& url, std::chrono::steady_clock::time_point deadline);

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method target` with `body` (Content-Length always set) and the extra `headers`,
  // and waits at most `timeout` for the whole response. The connection is kept for the next
  // request unless the server closes it or the request fails. A request sent on a kept
  // connection that the server had already closed (no response byte came back) is sent once
  // more on a fresh connection, within the same deadline.
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Connections opened so far (for tests of keep-alive).
  uint64_t connections() const { return connections_; }

 private:
  HttpResponse attempt(const std::string& request, std::chrono::steady_clock::time_point deadline,
                       bool& anyResponseByte);
  void close();

  std::string host_;
  uint16_t port_;
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  uint64_t connections_ = 0;
};

}  // namespace paxos::test
