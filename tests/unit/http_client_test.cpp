// The test HTTP client against an in-process asio server: keep-alive, bodies, headers, the
// per-request deadline, and failures reported as results.
#include "http_client.hpp"

#include <doctest/doctest.h>

#include <asio/ip/tcp.hpp>
#include <chrono>

#include "tiny_http_server.hpp"

using namespace paxos::test;

TEST_CASE("http client: requests share one kept-alive connection and carry bodies both ways") {
  TinyHttpServer server([](const ServerRequest& r) {
    ServerResponse out;
    out.status = r.method == "PUT" ? 201 : 200;
    out.headers.emplace_back("X-Echo-Id", r.headers.count("x-request-id")
                                              ? r.headers.at("x-request-id")
                                              : std::string("none"));
    out.body = r.method + " " + r.target + " [" + r.body + "]";
    return out;
  });
  HttpClient client("127.0.0.1", server.port());
  HttpResponse a = client.request("PUT", "/v1/kv/a%20b", "hello", {{"X-Request-Id", "r1"}});
  CHECK(a.status == 201);
  CHECK(a.body == "PUT /v1/kv/a%20b [hello]");
  CHECK(a.header("x-echo-id") == "r1");
  HttpResponse b = client.request("GET", "/v1/kv/x");
  CHECK(b.status == 200);
  CHECK(b.body == "GET /v1/kv/x []");
  CHECK(b.header("x-echo-id") == "none");
  CHECK(client.connections() == 1);
  CHECK(server.accepted() == 1);
  // An empty body and a large one.
  std::string big(100000, 'v');
  HttpResponse c = client.request("POST", "/big", big);
  CHECK(c.body.size() == big.size() + 12);
  CHECK(client.connections() == 1);
}

TEST_CASE("http client: Retry-After of a 503 is readable, and a closed connection reopens") {
  int n = 0;
  TinyHttpServer server([&n](const ServerRequest&) {
    ServerResponse out;
    if (++n == 1) {
      out.status = 503;
      out.headers.emplace_back("Retry-After", "2");
      out.body = R"({"error":"unavailable"})";
      out.close = true;
    }
    return out;
  });
  HttpClient client("127.0.0.1", server.port());
  HttpResponse a = client.request("GET", "/");
  CHECK(a.status == 503);
  CHECK(a.header("retry-after") == "2");
  HttpResponse b = client.request("GET", "/");
  CHECK(b.status == 200);
  CHECK(client.connections() == 2);
}

TEST_CASE("http client: a server that never answers ends in a timeout at the deadline") {
  TinyHttpServer server([](const ServerRequest& r) {
    ServerResponse out;
    out.hang = r.target == "/hang";
    return out;
  });
  HttpClient client("127.0.0.1", server.port());
  auto start = std::chrono::steady_clock::now();
  HttpResponse a = client.request("GET", "/hang", "", {}, std::chrono::milliseconds(200));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(a.received());
  CHECK(a.timedOut);
  CHECK(took >= std::chrono::milliseconds(200));
  CHECK(took < std::chrono::milliseconds(2000));
  // The client is usable afterwards, on a new connection.
  HttpResponse b = client.request("GET", "/ok");
  CHECK(b.status == 200);
  CHECK(client.connections() == 2);
}

TEST_CASE("http client: a refused connection is a result, not an exception") {
  uint16_t port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io,
                                  asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  HttpClient client("127.0.0.1", port);
  HttpResponse r = client.request("GET", "/", "", {}, std::chrono::milliseconds(500));
  CHECK_FALSE(r.received());
  CHECK_FALSE(r.timedOut);
  CHECK(r.error.find("connect") == 0);
}

TEST_CASE("http client: URLs and percent-encoding") {
  auto u = parseHttpUrl("http://127.0.0.1:8080/");
  REQUIRE(u);
  CHECK(u->first == "127.0.0.1");
  CHECK(u->second == 8080);
  CHECK(parseHttpUrl("http://localhost:80")->first == "localhost");
  CHECK_FALSE(parseHttpUrl("https://x:1"));
  CHECK_FALSE(parseHttpUrl("http://x"));
  CHECK_FALSE(parseHttpUrl("http://x:99999"));
  CHECK(percentEncode("a b/c~d") == "a%20b%2Fc~d");
}
