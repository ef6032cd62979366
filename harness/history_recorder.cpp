#include "history_recorder.hpp"

#include <algorithm>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <thread>

#include "http_client.hpp"

namespace paxos::test {

namespace {

using Clock = std::chrono::steady_clock;

struct Node {
  std::string url;
  std::unique_ptr<HttpClient> http;
};

// Fills outcome, version and value of `op` from the final response.
void classify(RecordedOp& op, const HttpResponse& response) {
  op.status = response.status;
  op.error = response.error;
  if (!response.received()) {
    op.outcome = "unknown";
    return;
  }
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  auto version = [&] {
    if (body.is_object() && body.contains("version") && body["version"].is_number_unsigned())
      op.version = body["version"].get<uint64_t>();
  };
  int s = response.status;
  if (s == 200 || s == 201) {
    version();
    if (op.op != "get") {
      op.outcome = "ok";
    } else if (body.is_object() && body.contains("value") && body["value"].is_string()) {
      op.outcome = "value";
      op.value = body["value"].get<std::string>();
    } else {
      op.outcome = "unknown";
      op.error = "a 200 without a string value";
    }
  } else if (s == 404 && op.op != "put") {
    op.outcome = "not_found";
  } else if (s == 400 || s == 405 || s == 412 || s == 413) {
    op.outcome = "failed";
  } else {
    // 503 after the retries, 504, anything unexpected: it may have taken effect.
    op.outcome = "unknown";
  }
}

std::vector<RecordedOp> runClient(const RecordOptions& options, int index, Clock::time_point start,
                                  const std::string& prefix) {
  std::mt19937_64 rng(options.seed * 1000003 + static_cast<uint64_t>(index));
  std::vector<Node> nodes;
  for (const std::string& url : options.urls) {
    auto hostPort = parseHttpUrl(url);
    nodes.push_back({url, std::make_unique<HttpClient>(hostPort->first, hostPort->second)});
  }
  const std::string client = "c" + std::to_string(index);
  auto ns = [&] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  };
  std::vector<RecordedOp> done;
  uint64_t written = 0;
  const auto end = start + options.duration;
  while (Clock::now() < end) {
    RecordedOp op;
    op.client = client;
    op.key = prefix + "k" + std::to_string(rng() % static_cast<uint64_t>(options.keys));
    int roll = static_cast<int>(rng() % 100);
    std::string method = "GET", body;
    std::vector<std::pair<std::string, std::string>> headers;
    if (roll < options.putPercent) {
      op.op = "put";
      method = "PUT";
      op.value = client + "-" + std::to_string(++written);
      body = op.value;
    } else if (roll < options.putPercent + options.deletePercent) {
      op.op = "delete";
      method = "DELETE";
      ++written;
    } else {
      op.op = "get";
    }
    if (op.op != "get") {
      op.requestId = prefix + client + "-" + std::to_string(written);
      headers.emplace_back("X-Request-Id", op.requestId);
    }
    size_t node = options.sticky ? static_cast<size_t>(index) % nodes.size()
                                 : static_cast<size_t>(rng() % nodes.size());
    const std::string target = "/v1/kv/" + percentEncode(op.key);
    op.invoke = ns();
    HttpResponse response;
    for (;;) {
      ++op.attempts;
      op.node = nodes[node].url;
      response = nodes[node].http->request(method, target, body, headers, options.requestTimeout);
      // A refused connection never reached a node (one killed and not back yet): as safe to
      // send elsewhere as a 503, which was not put in the log either.
      bool refused = !response.received() && response.error.rfind("connect", 0) == 0;
      if ((response.status != 503 && !refused) || op.attempts > options.retries) break;
      auto pause = options.retryPauseCap;
      std::string after = response.header("retry-after");
      if (!after.empty() &&
          std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          after.size() < 6)
        pause = std::min(pause, std::chrono::milliseconds(std::stoi(after) * 1000));
      std::this_thread::sleep_for(pause);
      node = (node + 1) % nodes.size();
    }
    op.complete = ns();
    classify(op, response);
    done.push_back(std::move(op));
  }
  return done;
}

}  // namespace

std::vector<RecordedOp> recordHistory(const RecordOptions& options) {
  std::vector<RecordedOp> all;
  if (options.urls.empty() || options.clients <= 0 || options.keys <= 0) return all;
  for (const std::string& url : options.urls)
    if (!parseHttpUrl(url)) return all;
  const std::string prefix =
      options.keyPrefix.empty() ? "lc" + std::to_string(options.seed) + "-" : options.keyPrefix;
  const auto start = Clock::now();
  std::vector<std::vector<RecordedOp>> perClient(static_cast<size_t>(options.clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < options.clients; ++i)
    threads.emplace_back([&, i] { perClient[i] = runClient(options, i, start, prefix); });
  for (std::thread& t : threads) t.join();
  for (auto& ops : perClient)
    for (RecordedOp& op : ops) all.push_back(std::move(op));
  std::stable_sort(all.begin(), all.end(), [](const RecordedOp& a, const RecordedOp& b) {
    return a.complete < b.complete;
  });
  for (size_t i = 0; i < all.size(); ++i) all[i].id = i + 1;
  return all;
}

void writeHistory(std::ostream& out, const std::vector<RecordedOp>& ops) {
  for (const RecordedOp& op : ops) {
    nlohmann::ordered_json line = {{"id", op.id},
                                   {"client", op.client},
                                   {"key", op.key},
                                   {"op", op.op},
                                   {"value", op.value},
                                   {"invoke", op.invoke},
                                   {"complete", op.complete},
                                   {"outcome", op.outcome},
                                   {"status", op.status},
                                   {"version", op.version},
                                   {"node", op.node},
                                   {"request_id", op.requestId},
                                   {"attempts", op.attempts},
                                   {"error", op.error}};
    out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
}

bool readHistory(std::istream& in, std::vector<RecordedOp>& ops, std::string& error) {
  std::string text;
  size_t lineNo = 0;
  while (std::getline(in, text)) {
    ++lineNo;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    auto bad = [&](const std::string& why) {
      error = "line " + std::to_string(lineNo) + ": " + why;
      return false;
    };
    if (!j.is_object()) return bad("not a JSON object");
    try {
      RecordedOp op;
      op.id = j.value("id", uint64_t{lineNo});
      op.client = j.value("client", std::string());
      op.key = j.at("key").get<std::string>();
      op.op = j.at("op").get<std::string>();
      op.value = j.value("value", std::string());
      op.invoke = j.at("invoke").get<int64_t>();
      op.complete = j.value("complete", int64_t{0});
      op.outcome = j.at("outcome").get<std::string>();
      op.status = j.value("status", 0);
      op.version = j.value("version", uint64_t{0});
      op.node = j.value("node", std::string());
      op.requestId = j.value("request_id", std::string());
      op.attempts = j.value("attempts", 0);
      op.error = j.value("error", std::string());
      if (op.op != "put" && op.op != "get" && op.op != "delete") return bad("op " + op.op);
      static const std::vector<std::string> outcomes = {"ok", "value", "not_found", "unknown",
                                                        "failed"};
      if (std::find(outcomes.begin(), outcomes.end(), op.outcome) == outcomes.end())
        return bad("outcome " + op.outcome);
      ops.push_back(std::move(op));
    } catch (const nlohmann::json::exception& e) {
      return bad(e.what());
    }
  }
  return true;
}

std::vector<check::Operation> toCheckerOps(const std::vector<RecordedOp>& ops) {
  std::vector<check::Operation> out;
  out.reserve(ops.size());
  for (const RecordedOp& r : ops) {
    if (r.outcome == "failed") continue;
    check::Operation op;
    op.key = r.key;
    op.kind = r.op == "put"   ? check::OpKind::Put
              : r.op == "get" ? check::OpKind::Get
                              : check::OpKind::Delete;
    op.outcome = r.outcome == "ok"          ? check::Outcome::Ok
                 : r.outcome == "value"     ? check::Outcome::Value
                 : r.outcome == "not_found" ? check::Outcome::NotFound
                                            : check::Outcome::Unknown;
    op.value = r.value;
    op.invoke = r.invoke;
    op.complete = r.complete;
    op.client = r.client;
    op.id = r.id;
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace paxos::test
