#include "tiny_http_server.hpp"

#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <cctype>
#include <nlohmann/json.hpp>

namespace paxos::test {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 404:
      return "Not Found";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, const TinyHttpServer::Handler& handler)
      : socket_(std::move(socket)), handler_(handler) {}

  void readHead() {
    auto self = shared_from_this();
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer_), "\r\n\r\n",
                           [self](const std::error_code& ec, size_t n) {
                             if (!ec) self->onHead(n);
                           });
  }

 private:
  void onHead(size_t n) {
    request_ = ServerRequest{};
    std::string head = buffer_.substr(0, n - 4);
    buffer_.erase(0, n);
    size_t eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    size_t s1 = line.find(' '), s2 = line.rfind(' ');
    if (s1 == std::string::npos || s2 == s1) return;
    request_.method = line.substr(0, s1);
    request_.target = line.substr(s1 + 1, s2 - s1 - 1);
    size_t pos = eol == std::string::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string h = head.substr(pos, end - pos);
      size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string value = h.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request_.headers[lower(h.substr(0, colon))] = value;
      }
      pos = end + 2;
    }
    size_t length = 0;
    if (auto it = request_.headers.find("content-length"); it != request_.headers.end())
      length = std::stoul(it->second);
    readBody(length);
  }

  void readBody(size_t length) {
    if (buffer_.size() >= length) {
      request_.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return respond();
    }
    auto self = shared_from_this();
    asio::async_read(socket_, asio::dynamic_buffer(buffer_),
                     asio::transfer_at_least(length - buffer_.size()),
                     [self, length](const std::error_code& ec, size_t) {
                       if (!ec) self->readBody(length);
                     });
  }

  void respond() {
    ServerResponse response = handler_(request_);
    if (response.hang) {
      // Keep the connection (and this object) alive without answering.
      auto self = shared_from_this();
      asio::async_read(socket_, asio::dynamic_buffer(buffer_), asio::transfer_at_least(1),
                       [self](const std::error_code&, size_t) {});
      return;
    }
    out_ = "HTTP/1.1 " + std::to_string(response.status) + " " + reasonPhrase(response.status) +
           "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) out_ += name + ": " + value + "\r\n";
    if (response.close) out_ += "Connection: close\r\n";
    out_ += "\r\n" + response.body;
    auto self = shared_from_this();
    bool close = response.close;
    asio::async_write(socket_, asio::buffer(out_),
                      [self, close](const std::error_code& ec, size_t) {
                        if (ec) return;
                        if (close) {
                          std::error_code ignored;
                          self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                          self->socket_.close(ignored);
                          return;
                        }
                        self->readHead();
                      });
  }

  asio::ip::tcp::socket socket_;
  const TinyHttpServer::Handler& handler_;
  std::string buffer_;
  std::string out_;
  ServerRequest request_;
};

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

ServerResponse json(int status, const nlohmann::json& body) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

}  // namespace

TinyHttpServer::TinyHttpServer(Handler handler)
    : handler_(std::move(handler)),
      acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

TinyHttpServer::~TinyHttpServer() {
  io_.stop();
  thread_.join();
}

void TinyHttpServer::accept() {
  acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) return;
    ++accepted_;
    std::make_shared<Connection>(std::move(socket), handler_)->readHead();
    accept();
  });
}

FakeKvServer::FakeKvServer(FakeKvOptions options)
    : options_(options),
      server_(std::make_unique<TinyHttpServer>(
          [this](const ServerRequest& request) { return handle(request); })) {}

ServerResponse FakeKvServer::handle(const ServerRequest& request) {
  ++requests_;
  const std::string prefix = "/v1/kv/";
  std::string path = request.target.substr(0, request.target.find('?'));
  if (path.rfind(prefix, 0) != 0 || path.size() == prefix.size())
    return json(400, {{"error", "bad_request"}});
  std::string key = percentDecode(path.substr(prefix.size()));
  if (options_.unavailableEvery > 0 && requests_ % options_.unavailableEvery == 0) {
    ServerResponse r = json(503, {{"error", "unavailable"}, {"message", "no leader"}});
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  const bool write = request.method == "PUT" || request.method == "DELETE";
  std::string requestId;
  if (auto it = request.headers.find("x-request-id"); write && it != request.headers.end()) {
    requestId = it->second;
    if (auto done = byRequestId_.find(requestId); done != byRequestId_.end()) return done->second;
  }
  // A 504: the outcome is unknown to the client; odd ones are applied, even ones are not.
  int unknown = 0;  // 0 answer normally, 1 apply and answer 504, 2 answer 504 only
  if (write && options_.unknownEvery > 0 && ++writes_ % options_.unknownEvery == 0)
    unknown = ++unknowns_ % 2 == 1 ? 1 : 2;
  if (unknown == 2) return json(504, {{"error", "timeout"}});

  ServerResponse r;
  if (request.method == "GET") {
    const auto& from = options_.staleEvery > 0 ? stale_ : map_;
    auto it = from.find(key);
    if (it == from.end()) return json(404, {{"error", "not_found"}});
    return json(200, {{"key", key}, {"value", it->second.value}, {"version", it->second.version}});
  } else if (request.method == "PUT") {
    bool created = !map_.count(key);
    map_[key] = {request.body, ++revision_};
    r = json(created ? 201 : 200, {{"key", key}, {"value", request.body}, {"version", revision_}});
  } else if (request.method == "DELETE") {
    auto it = map_.find(key);
    if (it == map_.end()) {
      r = json(404, {{"error", "not_found"}});
    } else {
      map_.erase(it);
      r = json(200, {{"key", key}, {"deleted", true}, {"version", ++revision_}});
    }
  } else {
    return json(405, {{"error", "method_not_allowed"}});
  }
  ++writesApplied_;
  if (options_.staleEvery > 0 && writesApplied_ % options_.staleEvery == 0) stale_ = map_;
  if (!requestId.empty()) byRequestId_[requestId] = r;
  if (unknown == 1) return json(504, {{"error", "timeout"}});
  return r;
}

}  // namespace paxos::test
