#include "service/http_api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <restinio/all.hpp>

#include "service/base64.hpp"
#include "service/members.hpp"
#include "service/page.hpp"

namespace paxos::service {

using json = nlohmann::json;

namespace {

struct Traits : restinio::default_single_thread_traits_t {
  static constexpr bool use_connection_count_limiter = true;
};
using Request = restinio::request_handle_t;

// What a request handler answers: a status, a JSON (or other) body, extra headers.
struct Response {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// `{"error": code, "message": message}`, plus any `extra` fields.
Response error(int status, std::string_view code, std::string message,
               json extra = json::object()) {
  Response r;
  r.status = status;
  extra["error"] = code;
  extra["message"] = std::move(message);
  r.body = extra.dump() + "\n";
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response ok(int status, const json& body) {
  Response r;
  r.status = status;
  // Values may hold any bytes under ?encoding=base64 only; a stored value that is not UTF-8 is
  // shown with replacement characters rather than refused.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (n < 0 || i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n + 1;
  }
  return true;
}

// Percent-decoding of one path: nullopt on a malformed escape.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

std::optional<std::string> badKey(std::string_view key) {
  if (key.empty()) return "the key is empty";
  if (key.size() > kv::kMaxKey)
    return fmt::format("the key is {} bytes; at most {}", key.size(), kv::kMaxKey);
  if (!validUtf8(key)) return "the key is not UTF-8";
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f) return "the key holds a control character";
  return std::nullopt;
}

std::optional<uint64_t> parseVersion(std::string_view text) {
  uint64_t v;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::string_view statusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

struct HttpApi::Server {
  Server(asio::io_context& io, KvService& service, const config::Hosts& hosts, uint32_t uid,
         config::HttpAddress listen, const net::Counters& datagrams, HttpLimits limits)
      : service(service), hosts(hosts), uid(uid), datagrams(datagrams), address(std::move(listen)) {
    restinio::incoming_http_msg_limits_t msgLimits;
    msgLimits.max_body_size(limits.maxBody)
        .max_url_size(16 * 1024)
        .max_field_value_size(16 * 1024)
        .max_field_count(100);
    auto settings = restinio::server_settings_t<Traits>{}
                        .address(address.host)
                        .port(address.port)
                        .max_parallel_connections(limits.maxConnections)
                        .read_next_http_message_timelimit(limits.idleConnection)
                        .write_http_response_timelimit(limits.idleConnection)
                        // Above the service's own deadline: it answers 504 first.
                        .handle_request_timeout(std::chrono::seconds(60))
                        .incoming_http_msg_limits(msgLimits)
                        .request_handler([this](Request req) { return handle(std::move(req)); });
    server = std::make_unique<restinio::http_server_t<Traits>>(restinio::external_io_context(io),
                                                               std::move(settings));
    server->open_sync();
  }

  restinio::request_handling_status_t handle(Request req);
  void send(const Request& req, const Response& r);
  void submit(Request req, kv::Command command, bool base64,
              std::function<Response(const kv::Result&, bool base64)> shape);
  std::optional<Response> kvRequest(Request req);
  std::optional<Response> membersRequest(Request req);
  Response status() const;
  Response metrics() const;

  KvService& service;
  const config::Hosts& hosts;
  uint32_t uid;
  const net::Counters& datagrams;
  config::HttpAddress address;
  std::unique_ptr<restinio::http_server_t<Traits>> server;
  std::map<int, uint64_t> answered;  // by status code, for /metrics
};

void HttpApi::Server::send(const Request& req, const Response& r) {
  ++answered[r.status];
  auto resp = req->create_response(restinio::http_status_line_t(
      restinio::http_status_code_t(r.status), std::string(statusText(r.status))));
  resp.append_header(restinio::http_field::content_type, r.contentType);
  // The status page of one node reads the others' status: allowed from any origin.
  resp.append_header("Access-Control-Allow-Origin", "*");
  for (const auto& [name, value] : r.headers) resp.append_header(name, value);
  resp.set_body(r.body);
  resp.done();
}

namespace {
json item(const std::string& key, const std::string& value, uint64_t version, bool base64) {
  return {{"key", key}, {"value", base64 ? encodeBase64(value) : value}, {"version", version}};
}

Response precondition(const kv::Result& r) {
  return error(412, "precondition_failed", fmt::format("the key's version is {}", r.version),
               {{"version", r.version}});
}
}  // namespace

Response reused() {
  return error(422, "request_id_reused",
               "this X-Request-Id was applied before to another write; nothing was written");
}

void HttpApi::Server::submit(Request req, kv::Command command, bool base64,
                             std::function<Response(const kv::Result&, bool)> shape) {
  service.submit(std::move(command), [this, req, base64, shape](const Outcome& o) {
    switch (o.kind) {
      case Outcome::Kind::unavailable:
        return send(req, error(503, "unavailable", o.message));
      case Outcome::Kind::timeout:
        return send(req, error(504, "timeout", o.message));
      case Outcome::Kind::applied:
        return send(req, shape(o.result, base64));
    }
  });
}

std::optional<Response> HttpApi::Server::kvRequest(Request req) {
  const auto& h = req->header();
  std::string_view path = h.path();
  auto query = restinio::try_parse_query<restinio::parse_query_traits::relaxed>(h.query());
  if (!query) return error(400, "bad_request", "malformed query string");
  auto param = [&](std::string_view name) -> std::optional<std::string> {
    if (auto v = query->get_param(name)) return std::string(*v);
    return std::nullopt;
  };
  auto encoding = param("encoding").value_or("utf-8");
  if (encoding != "utf-8" && encoding != "base64")
    return error(400, "bad_request", "encoding is utf-8 (the default) or base64, not " + encoding);
  bool base64 = encoding == "base64";
  auto consistency = param("consistency").value_or("linearizable");
  if (consistency != "linearizable" && consistency != "stale")
    return error(400, "bad_request", "consistency is linearizable (the default) or stale");
  bool stale = consistency == "stale";
  std::optional<uint64_t> prev;
  if (auto p = param("prev_version")) {
    prev = parseVersion(*p);
    if (!prev) return error(400, "bad_request", "prev_version must be a number, not " + *p);
  }
  std::string requestId;
  if (auto id = h.opt_value_of("X-Request-Id")) {
    requestId = std::string(*id);
    if (requestId.size() > kv::kMaxRequestId || !validUtf8(requestId))
      return error(400, "bad_request",
                   fmt::format("X-Request-Id is at most {} bytes of UTF-8", kv::kMaxRequestId));
  }
  auto method = h.method();

  if (path == "/v1/kv" || path == "/v1/kv/") {  // listing
    if (method != restinio::http_method_get()) return error(405, "method_not_allowed", "GET only");
    std::string prefix = param("prefix").value_or("");
    uint32_t limit = 100;
    if (auto l = param("limit")) {
      auto v = parseVersion(*l);
      if (!v || *v == 0 || *v > kv::kMaxList)
        return error(400, "bad_request", fmt::format("limit is 1..{}", kv::kMaxList));
      limit = uint32_t(*v);
    }
    if (prefix.size() > kv::kMaxKey) return error(400, "bad_request", "prefix too long");
    auto shape = [](const kv::Result& r, bool b64) {
      json items = json::array();
      for (const auto& i : r.items) items.push_back(item(i.key, i.value, i.version, b64));
      return ok(200, json{{"items", items}, {"more", r.more}, {"slot", r.slot}});
    };
    if (stale) return shape(service.store().list(prefix, limit), base64);
    kv::Command c{kv::Op::list, prefix, {}, std::nullopt, limit, {}};
    submit(req, std::move(c), base64, shape);
    return std::nullopt;
  }

  auto key = unescape(path.substr(std::string_view("/v1/kv/").size()));
  if (!key) return error(400, "bad_request", "malformed percent-encoding in the key");
  if (auto why = badKey(*key)) return error(400, "bad_key", *why);

  if (method == restinio::http_method_get()) {
    auto shape = [key = *key](const kv::Result& r, bool b64) {
      if (r.status == kv::Status::notFound) return error(404, "not_found", "no key " + key);
      json j = item(key, *r.value, r.version, b64);
      j["slot"] = r.slot;
      return ok(200, j);
    };
    if (stale) {
      const kv::Item* found = service.store().find(*key);
      if (!found) return error(404, "not_found", "no key " + *key);
      return ok(200, item(*key, found->value, found->version, base64));
    }
    submit(req, kv::Command{kv::Op::get, *key, {}, std::nullopt, 0, {}}, base64, shape);
    return std::nullopt;
  }
  if (method == restinio::http_method_put() || method == restinio::http_method_post()) {
    std::string value = req->body();
    if (base64) {
      auto decoded = decodeBase64(value);
      if (!decoded) return error(400, "bad_request", "the body is not base64");
      value = std::move(*decoded);
    } else if (!validUtf8(value)) {
      return error(400, "bad_request", "the value is not UTF-8; send bytes with ?encoding=base64");
    }
    if (value.size() > kv::kMaxValue)
      return error(413, "too_large",
                   fmt::format("the value is {} bytes; at most {}", value.size(), kv::kMaxValue));
    auto shape = [key = *key, value](const kv::Result& r, bool b64) {
      if (r.status == kv::Status::reused) return reused();
      if (r.status == kv::Status::failed) return precondition(r);
      json j = item(key, value, r.version, b64);
      j["slot"] = r.slot;
      return ok(r.status == kv::Status::created ? 201 : 200, j);
    };
    submit(req, kv::Command{kv::Op::put, *key, value, prev, 0, requestId}, base64, shape);
    return std::nullopt;
  }
  if (method == restinio::http_method_delete()) {
    auto shape = [key = *key](const kv::Result& r, bool) {
      if (r.status == kv::Status::reused) return reused();
      if (r.status == kv::Status::failed) return precondition(r);
      if (r.status == kv::Status::notFound) return error(404, "not_found", "no key " + key);
      return ok(200,
                json{{"key", key}, {"deleted", true}, {"version", r.version}, {"slot", r.slot}});
    };
    submit(req, kv::Command{kv::Op::erase, *key, {}, prev, 0, requestId}, false, shape);
    return std::nullopt;
  }
  return error(405, "method_not_allowed", "GET, PUT or DELETE");
}

// docs/MEMBERSHIP.md: GET the configuration; POST adds a node (and may replace one); DELETE
// removes one. A change answers once this replica has it: 200 with the configuration it made, or
// 409 if another change from the same epoch was decided first.
std::optional<Response> HttpApi::Server::membersRequest(Request req) {
  const auto& h = req->header();
  std::string_view path = h.path();
  auto method = h.method();
  const core::Membership& membership = service.membership();
  if (path == "/v1/members" || path == "/v1/members/") {
    if (method == restinio::http_method_get()) return ok(200, membersJson(membership, hosts));
    if (method != restinio::http_method_post())
      return error(405, "method_not_allowed", "GET or POST");
  } else if (method != restinio::http_method_delete()) {
    return error(405, "method_not_allowed", "DELETE");
  }
  std::variant<core::Change, Refusal> change;
  if (method == restinio::http_method_post()) {
    change = addMember(membership, hosts, req->body());
  } else {
    auto uid = parseVersion(path.substr(std::string_view("/v1/members/").size()));
    if (!uid || *uid >= core::kChangeBit)
      return error(400, "bad_request", "expected /v1/members/UID");
    change = removeMember(membership, uint32_t(*uid));
  }
  if (auto* refusal = std::get_if<Refusal>(&change))
    return error(refusal->status, refusal->status == 400 ? "bad_request" : "conflict",
                 refusal->message);
  uint64_t epoch = std::get<core::Change>(change).next.epoch;
  service.submitChange(std::get<core::Change>(change), [this, req, epoch](const Outcome& o) {
    if (o.kind == Outcome::Kind::unavailable)
      return send(req, error(503, "unavailable", o.message));
    if (o.kind == Outcome::Kind::timeout) return send(req, error(504, "timeout", o.message));
    if (o.result.status != kv::Status::ok)
      return send(req, error(409, "conflict",
                             fmt::format("another change from epoch {} was decided first; read "
                                         "GET /v1/members and try again",
                                         epoch - 1)));
    json j = membersJson(service.membership(), hosts);
    j["slot"] = o.result.slot;
    send(req, ok(200, j));
  });
  return std::nullopt;
}

restinio::request_handling_status_t HttpApi::Server::handle(Request req) {
  const auto& h = req->header();
  std::string_view path = h.path();
  auto method = h.method();
  bool get = method == restinio::http_method_get();
  bool post = method == restinio::http_method_post();
  std::optional<Response> r;
  auto shapeRound = [](const kv::Result& res, bool) {
    if (res.status == kv::Status::reused) return reused();
    json j{{"round", res.round}};
    j["value"] = res.value ? json(*res.value) : json(nullptr);
    return ok(200, j);
  };
  // "/v1/kv", "/v1/kv/" and "/v1/kv/KEY" only: "/v1/kvfoo" is no key route (it was taken for
  // one, and the key cut 7 bytes in: PUT /v1/kvfoo wrote the key "oo").
  if (path == "/v1/kv" || path.starts_with("/v1/kv/")) {
    r = kvRequest(req);
  } else if (path == "/state" || path == "/state/") {  // seed 002, verbatim
    if (get) {
      submit(req, kv::Command{kv::Op::state, {}, {}, std::nullopt, 0, {}}, false, shapeRound);
    } else if (post) {
      std::string body = req->body();
      std::optional<std::string> value;
      auto form =
          restinio::try_parse_query<restinio::parse_query_traits::x_www_form_urlencoded>(body);
      if (form && form->has("value")) value = std::string(form->get_param("value").value());
      if (!value) {
        try {
          auto j = json::parse(body);
          if (j.is_object() && j.contains("value"))
            value = j["value"].is_string() ? j["value"].get<std::string>() : j["value"].dump();
        } catch (const json::exception&) {
        }
      }
      std::string id(h.opt_value_of("X-Request-Id").value_or(""));
      if (!value)
        r = error(400, "bad_request", "expected a form body value=V (curl -d value=3)");
      else if (id.size() > kv::kMaxRequestId || !validUtf8(id))
        r = error(400, "bad_request", "X-Request-Id is at most 64 bytes of UTF-8");
      else if (value->size() > kv::kMaxValue || !validUtf8(*value))
        r = error(400, "bad_request", "the value is too long or not UTF-8");
      else
        submit(req, kv::Command{kv::Op::propose, {}, *value, std::nullopt, 0, id}, false,
               shapeRound);
    } else {
      r = error(405, "method_not_allowed", "GET or POST");
    }
  } else if (path == "/reset" || path == "/reset/") {
    if (post)
      submit(req, kv::Command{kv::Op::reset, {}, {}, std::nullopt, 0, {}}, false, shapeRound);
    else
      r = error(405, "method_not_allowed", "POST");
  } else if (path == "/v1/members" || path.starts_with("/v1/members/")) {
    r = membersRequest(req);
  } else if (path == "/v1/status" && get) {
    r = status();
  } else if (path == "/metrics" && get) {
    r = metrics();
  } else if (path == "/v1/snapshot" && get) {
    Response s;
    s.contentType = "application/octet-stream";
    s.body = service.lastSnapshot();
    s.headers.emplace_back("X-Snapshot-Slot", std::to_string(service.snapshotSlot()));
    r = s;
  } else if ((path == "/" || path == "/index.html") && get) {
    Response page;
    page.contentType = "text/html; charset=utf-8";
    page.body = std::string(kStatusPage);
    r = page;
  } else {
    r = error(404, "not_found", "no such route; see docs/KV.md");
  }
  if (r) send(req, *r);
  return restinio::request_accepted();
}

Response HttpApi::Server::status() const {
  // The newest configuration's members (docs/MEMBERSHIP.md), flat, for the status page.
  json members = json::array();
  json config = membersJson(service.membership(), hosts);
  for (const char* role : {"proposer", "acceptor", "learner"})
    for (json m : config[std::string(role) + "s"]) {
      m["role"] = role;
      members.push_back(m);
    }
  auto& l = service.learner();
  auto leader = service.leader();
  const auto& c = service.counters();
  json j{{"uid", uid},
         {"role", "learner"},
         {"leader", leader ? json(*leader) : json(nullptr)},
         {"applied", l.next()},
         {"committed", std::max(l.known(), l.next())},
         {"snapshot", service.snapshotSlot()},
         {"keys", service.store().size()},
         {"revision", service.store().revision()},
         {"pending", service.pending()},
         {"members", members},
         {"recent", service.recent()},
         {"commands",
          {{"submitted", c.submitted},
           {"applied", c.applied},
           {"timeouts", c.timeouts},
           {"unavailable", c.unavailable},
           {"snapshots", c.snapshots},
           {"installed", c.installed},
           {"fetch_failures", c.fetchFailures}}},
         {"datagrams",
          {{"sent", datagrams.sent},
           {"received", datagrams.received},
           {"unauthenticated", datagrams.unauthenticated},
           {"malformed", datagrams.malformed},
           {"wrong_sender", datagrams.wrongSender},
           {"refused", datagrams.refused},
           {"injected_drops", datagrams.injectedDrops}}}};
  return ok(200, j);
}

Response HttpApi::Server::metrics() const {
  auto& l = service.learner();
  const auto& c = service.counters();
  std::string out;
  auto gauge = [&](std::string_view name, std::string_view help, uint64_t v,
                   std::string_view type = "gauge") {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  gauge("paxos_applied_slot", "every slot below is applied to this replica", l.next());
  gauge("paxos_committed_slot", "slots below are known to exist", std::max(l.known(), l.next()));
  gauge("paxos_snapshot_slot", "slot of the latest snapshot", service.snapshotSlot());
  gauge("paxos_leader_known", "1 when a leader reaching a majority is heard",
        service.leaderKnown());
  gauge("paxos_kv_keys", "keys in the map", service.store().size());
  gauge("paxos_kv_revision", "the map's revision", service.store().revision());
  gauge("paxos_kv_pending", "commands waiting for the log", service.pending());
  gauge("paxos_kv_commands_submitted_total", "commands put in the log", c.submitted, "counter");
  gauge("paxos_kv_timeouts_total", "commands answered 504", c.timeouts, "counter");
  gauge("paxos_kv_unavailable_total", "commands answered 503", c.unavailable, "counter");
  gauge("paxos_datagrams_sent_total", "datagrams sent", datagrams.sent, "counter");
  gauge("paxos_datagrams_received_total", "datagrams received", datagrams.received, "counter");
  gauge("paxos_datagrams_malformed_total", "datagrams dropped as malformed", datagrams.malformed,
        "counter");
  gauge("paxos_datagrams_refused_total", "datagrams refused by the core", datagrams.refused,
        "counter");
  out +=
      "# HELP paxos_http_responses_total HTTP responses by status\n"
      "# TYPE paxos_http_responses_total counter\n";
  for (const auto& [code, n] : answered)
    out += fmt::format("paxos_http_responses_total{{code=\"{}\"}} {}\n", code, n);
  Response r;
  r.contentType = "text/plain; version=0.0.4";
  r.body = std::move(out);
  return r;
}

HttpApi::HttpApi(asio::io_context& io, KvService& service, const config::Hosts& hosts, uint32_t uid,
                 config::HttpAddress address, const net::Counters& datagrams, HttpLimits limits) {
  try {
    server_ = std::make_unique<Server>(io, service, hosts, uid, address, datagrams, limits);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("cannot serve HTTP on {}: {}", config::httpText(address), e.what()));
  }
}

HttpApi::~HttpApi() = default;

std::string HttpApi::url() const {
  return fmt::format("http://{}:{}", server_->address.host, server_->address.port);
}

void HttpApi::close() {
  if (server_) server_->server->close_sync();
}

}  // namespace paxos::service
