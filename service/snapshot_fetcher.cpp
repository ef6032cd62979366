#include "service/snapshot_fetcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace paxos::service {

struct SnapshotFetcher::Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, size_t maxBytes)
      : resolver(io), socket(io), timer(io), max(maxBytes) {}

  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  size_t max;
  std::string request, response;
  std::array<char, 1 << 16> piece{};
  Done done;
  bool finished = false;

  void finish(const std::string& error) {
    if (finished) return;
    finished = true;
    std::error_code ignored;
    socket.close(ignored);
    resolver.cancel();
    timer.cancel();
    std::string body;
    std::string problem = error;
    if (problem.empty() && !SnapshotFetcher::parse(response, body, problem) && problem.empty())
      problem = "malformed response";
    response.clear();
    Done d = std::move(done);
    d(problem, std::move(body));
  }

  void read() {
    socket.async_read_some(
        asio::buffer(piece), [self = shared_from_this()](std::error_code error, size_t n) {
          if (self->finished) return;
          self->response.append(self->piece.data(), n);
          if (self->response.size() > self->max)
            return self->finish(fmt::format("response over {} bytes", self->max));
          if (error == asio::error::eof) return self->finish({});
          if (error) return self->finish(error.message());
          self->read();
        });
  }
};

void SnapshotFetcher::fetch(const config::HttpAddress& peer, Done done) {
  auto a = std::make_shared<Attempt>(io_, maxBytes_);
  attempt_ = a;
  std::string name = config::httpText(peer);
  a->done = [this, a, done = std::move(done), name](const std::string& error, std::string body) {
    if (attempt_ == a) attempt_.reset();
    done(error.empty() ? error : name + ": " + error, std::move(body));
  };
  a->request = fmt::format(
      "GET /v1/snapshot HTTP/1.1\r\nHost: {}\r\nAccept: application/octet-stream\r\n"
      "Connection: close\r\n\r\n",
      name);
  a->timer.expires_after(timeout_);
  a->timer.async_wait([a, t = timeout_](std::error_code error) {
    if (!error) a->finish(fmt::format("no whole answer within {} ms", t.count()));
  });
  a->resolver.async_resolve(
      peer.host, std::to_string(peer.port),
      [a](std::error_code error, const asio::ip::tcp::resolver::results_type& endpoints) {
        if (a->finished) return;
        if (error) return a->finish("cannot resolve: " + error.message());
        asio::async_connect(a->socket, endpoints, [a](std::error_code error, const auto&) {
          if (a->finished) return;
          if (error) return a->finish("cannot connect: " + error.message());
          asio::async_write(a->socket, asio::buffer(a->request),
                            [a](std::error_code error, size_t) {
                              if (a->finished) return;
                              if (error) return a->finish("cannot send: " + error.message());
                              a->read();
                            });
        });
      });
}

void SnapshotFetcher::cancel() {
  if (!attempt_) return;
  auto a = std::move(attempt_);
  a->done = [](const std::string&, std::string) {};
  a->finish("cancelled");
}

bool SnapshotFetcher::parse(const std::string& response, std::string& body, std::string& error) {
  size_t headEnd = response.find("\r\n\r\n");
  if (headEnd == std::string::npos) {
    error = "no complete response header";
    return false;
  }
  std::string head = response.substr(0, headEnd);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  size_t lineEnd = std::min(head.find("\r\n"), head.size());
  std::string status = head.substr(0, lineEnd);
  if (status.rfind("http/1.", 0) != 0 || status.size() < 12) {
    error = "not an HTTP/1.x response";
    return false;
  }
  if (status.substr(9, 3) != "200") {
    error = "answered " + response.substr(9, std::min<size_t>(lineEnd, 40) - 9);
    return false;
  }
  if (head.find("\r\ntransfer-encoding:") != std::string::npos) {
    error = "chunked (or other) transfer encoding is not supported";
    return false;
  }
  body = response.substr(headEnd + 4);
  if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
    at += 17;
    while (at < head.size() && head[at] == ' ') ++at;
    size_t length = 0;
    auto [end, ec] = std::from_chars(head.data() + at, head.data() + head.size(), length);
    if (ec != std::errc() || length != body.size()) {
      error = fmt::format("body of {} bytes, Content-Length says otherwise", body.size());
      body.clear();
      return false;
    }
  }
  return true;
}

}  // namespace paxos::service
