// A minimal blocking HTTP/1.1 client for loopback set-up work (health checks, prefill, one
// read-back): one request per connection, "Connection: close". Not the load generator: the
// measured requests all come from wrk.
#pragma once

#include <string>

namespace paxos::bench {

struct HttpReply {
  int status = 0;     // 0: no answer (connection refused, timeout, unparsable reply)
  std::string body;   // as received (no chunked decoding: the servers used send Content-Length)
  std::string error;  // why status is 0
};

// The host and port of "http://HOST:PORT[/...]"; false if the URL is not of that form.
bool splitUrl(const std::string& url, std::string& host, int& port);

// Sends METHOD PATH with `body` to the base URL "http://HOST:PORT" and reads the reply until the
// server closes the connection or `timeoutMs` (milliseconds, for the whole exchange) passes.
HttpReply httpRequest(const std::string& baseUrl, const std::string& method,
                      const std::string& path, const std::string& body = "", int timeoutMs = 2000,
                      const std::string& contentType = "application/json");

}  // namespace paxos::bench
