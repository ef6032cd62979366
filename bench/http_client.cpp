#include "http_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace paxos::bench {

bool splitUrl(const std::string& url, std::string& host, int& port) {
  const std::string scheme = "http://";
  if (!url.starts_with(scheme)) return false;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = rest.substr(0, colon);
  try {
    port = std::stoi(rest.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return port > 0 && port < 65536;
}

namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool await(int fd, short events, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, int(left.count())) == 1;
}

}  // namespace

HttpReply httpRequest(const std::string& baseUrl, const std::string& method,
                      const std::string& path, const std::string& body, int timeoutMs,
                      const std::string& contentType) {
  HttpReply reply;
  std::string host;
  int port = 0;
  if (!splitUrl(baseUrl, host, port)) {
    reply.error = "not an http://HOST:PORT URL: " + baseUrl;
    return reply;
  }
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    reply.error = "cannot resolve " + host;
    return reply;
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = fd < 0 ? -1 : connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (fd < 0 || (rc != 0 && errno != EINPROGRESS)) {
    reply.error = std::string("connect: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return reply;
  }
  int soError = 0;
  socklen_t length = sizeof soError;
  if (!await(fd, POLLOUT, deadline) ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) != 0 || soError != 0) {
    reply.error = std::string("connect: ") + (soError ? std::strerror(soError) : "timed out");
    close(fd);
    return reply;
  }
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
      "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!body.empty()) request += "Content-Type: " + contentType + "\r\n";
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
    } else if (n < 0 && errno == EAGAIN && await(fd, POLLOUT, deadline)) {
      continue;
    } else {
      reply.error = "send failed or timed out";
      close(fd);
      return reply;
    }
  }
  std::string raw;
  char buffer[16384];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      raw.append(buffer, size_t(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN && await(fd, POLLIN, deadline)) {
      continue;
    } else {
      reply.error = "no complete reply within " + std::to_string(timeoutMs) + " ms";
      close(fd);
      return reply;
    }
  }
  close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nBODY"
  auto headerEnd = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || raw.size() < 12 || headerEnd == std::string::npos) {
    reply.error = "not an HTTP reply";
    return reply;
  }
  reply.status = std::atoi(raw.c_str() + 9);
  reply.body = raw.substr(headerEnd + 4);
  return reply;
}

}  // namespace paxos::bench
