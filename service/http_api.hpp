// The HTTP/JSON front of a service node (docs/KV.md): RESTinio on the node's own io_context, one
// thread for Paxos and HTTP alike, so a request is parsed, submitted to the log and answered
// without a lock or a thread hop. Routes, status codes and JSON shapes are documented in
// docs/KV.md; this file only translates between HTTP and KvService.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/hosts.hpp"
#include "net/udp_transport.hpp"
#include "service/kv_service.hpp"

namespace paxos::service {

struct HttpLimits {
  size_t maxConnections = 4096;             // more wait in the kernel's backlog
  std::chrono::seconds idleConnection{30};  // keep-alive and half-sent requests
  size_t maxBody = 1 << 20;                 // above this the connection is closed
};

class HttpApi {
 public:
  // Binds `address` and listens; throws std::runtime_error (one line) on failure.
  HttpApi(asio::io_context& io, KvService& service, const config::Hosts& hosts, uint32_t uid,
          config::HttpAddress address, const net::Counters& datagrams, HttpLimits limits = {});
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  std::string url() const;
  // Stops listening and closes connections (before the io_context stops).
  void close();

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace paxos::service
