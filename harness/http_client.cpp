#include "http_client.hpp"

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <cctype>
#include <charconv>
#include <functional>
#include <thread>

namespace paxos::test {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Parses the status line and headers of `head` (without the blank line) into `r`.
bool parseHead(const std::string& head, HttpResponse& r) {
  size_t eol = head.find("\r\n");
  std::string statusLine = head.substr(0, eol);
  if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12) return false;
  int status = 0;
  auto [p, ec] = std::from_chars(statusLine.data() + 9, statusLine.data() + 12, status);
  if (ec != std::errc() || status < 100) return false;
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos)
      r.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    pos = end + 2;
  }
  r.status = status;
  return true;
}

}  // namespace

std::string HttpResponse::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::pair<std::string, uint16_t>> parseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  const char* first = rest.data() + colon + 1;
  const char* last = rest.data() + rest.size();
  auto [p, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || p != last || port == 0 || port > 65535) return std::nullopt;
  return std::make_pair(rest.substr(0, colon), static_cast<uint16_t>(port));
}

std::string percentEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool waitServing(const std::string& url, std::chrono::steady_clock::time_point deadline) {
  auto address = parseHttpUrl(url);
  if (!address) return false;
  HttpClient http(address->first, address->second);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    auto r =
        http.request("GET", "/v1/kv/x", "", {}, std::min(left, std::chrono::milliseconds(1000)));
    if (r.status == 200 || r.status == 404) return true;
    // Not up yet (refused), no leader yet (503): the next poll, if there is time for one.
    if (deadline - std::chrono::steady_clock::now() < std::chrono::milliseconds(20)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

HttpClient::HttpClient(std::string host, uint16_t port)
    : host_(std::move(host)), port_(port), socket_(io_) {}

void HttpClient::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + ":" +
                     std::to_string(port_) + "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n";
  for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
  text += "\r\n";
  text += body;
  bool reused = socket_.is_open();
  bool anyByte = false;
  HttpResponse r = attempt(text, deadline, anyByte);
  if (!r.received() && reused && !anyByte && !r.timedOut) r = attempt(text, deadline, anyByte);
  return r;
}

HttpResponse HttpClient::attempt(const std::string& request,
                                 std::chrono::steady_clock::time_point deadline,
                                 bool& anyResponseByte) {
  HttpResponse r;
  anyResponseByte = false;
  std::string buffer;
  bool done = false;
  bool keep = false;
  auto fail = [&](const std::string& what, const std::error_code& ec) {
    r = HttpResponse{};
    r.error = what + ": " + ec.message();
    done = true;
  };
  auto finish = [&](bool keepAlive) {
    keep = keepAlive;
    done = true;
  };

  // Each step starts the next from its completion handler; io_.run_until bounds them all.
  std::function<void()> readBody;
  size_t headEnd = 0;
  size_t wanted = 0;
  bool untilEof = false;
  auto onHead = [&](const std::error_code& ec, size_t n) {
    if (!buffer.empty()) anyResponseByte = true;
    if (ec) return fail("receive", ec);
    headEnd = n;
    if (!parseHead(buffer.substr(0, n - 4), r)) {
      r.status = 0;
      r.error = "malformed response head";
      done = true;
      return;
    }
    std::string length = r.header("content-length");
    if (!length.empty()) {
      wanted = std::stoul(length);
    } else if (r.status == 204 || r.status == 304 || r.status < 200) {
      wanted = 0;
    } else {
      untilEof = true;
    }
    readBody();
  };
  readBody = [&]() {
    size_t have = buffer.size() - headEnd;
    if (!untilEof && have >= wanted) {
      r.body = buffer.substr(headEnd, wanted);
      return finish(lower(r.header("connection")) != "close");
    }
    auto onBody = [&](const std::error_code& ec, size_t) {
      if (ec == asio::error::eof && untilEof) {
        r.body = buffer.substr(headEnd);
        return finish(false);
      }
      if (ec) return fail("receive body", ec);
      readBody();
    };
    size_t chunk = untilEof ? 4096 : wanted - have;
    asio::async_read(socket_, asio::dynamic_buffer(buffer), asio::transfer_at_least(chunk), onBody);
  };
  auto onWritten = [&](const std::error_code& ec, size_t) {
    if (ec) return fail("send", ec);
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer), "\r\n\r\n", onHead);
  };
  auto send = [&]() { asio::async_write(socket_, asio::buffer(request), onWritten); };

  io_.restart();
  if (socket_.is_open()) {
    send();
  } else {
    std::error_code ec;
    asio::ip::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) {
      r.error = "resolve " + host_ + ": " + ec.message();
      return r;
    }
    ++connections_;
    asio::async_connect(socket_, endpoints,
                        [&](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
                          if (ec) return fail("connect", ec);
                          socket_.set_option(asio::ip::tcp::no_delay(true));
                          send();
                        });
  }
  io_.run_until(deadline);
  if (!done) {
    // Cancel what is in flight and let its handlers see operation_aborted.
    close();
    io_.restart();
    io_.run();
    r = HttpResponse{};
    r.error = "timeout";
    r.timedOut = true;
    return r;
  }
  if (!r.received() || !keep) close();
  return r;
}

}  // namespace paxos::test
