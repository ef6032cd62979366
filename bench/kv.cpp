// Figure "kv" (issue 14): PUT and linearizable GET over HTTP against a 3-member etcd started
// here on loopback (etcd's JSON gateway, fsync on) and against our KV service (3 learners,
// --kv-urls or --kv-start), with the same load generator for both: wrk, one Lua script per
// system and operation, each connection one request in flight, for --kv-seconds per number of
// connections. A bare HTTP round trip (etcd /version, ours /v1/status) gives the floor. Only
// runs where every response was good count; any other is a FAILED row that says what came back.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "etcd_cluster.hpp"
#include "figures.hpp"
#include "http_client.hpp"
#include "kv_scripts.hpp"
#include "kv_service.hpp"
#include "wrk_run.hpp"

namespace fs = std::filesystem;

namespace paxos::bench {
namespace {

constexpr const char* kInstall = "apt-get install -y etcd-server wrk";
constexpr int kEtcdMembers = 3;
constexpr int kStartTimeoutMs = 20000;
constexpr int kPrefillThreads = 8;

struct KvPoint {
  KvSystem system;
  KvOp op;
  int connections = 0;
  WrkResult result;
};

std::string firstLine(const std::string& command) {
  std::string line;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    if (fgets(buffer, sizeof buffer, pipe)) line = buffer;
    pclose(pipe);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Writes every key once (kPrefillThreads at a time; 503 and 504 retried), so each GET finds its
// key, then reads the first key back and checks its value. Returns "" or what went wrong.
std::string prefill(KvSystem system, const std::string& url, int keys, int valueBytes) {
  std::vector<std::string> errors(kPrefillThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kPrefillThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < keys && errors[t].empty(); i += kPrefillThreads) {
        std::string key = kvKey(i), value = kvValue(i, valueBytes);
        HttpReply r;
        // 503 (no leader yet) and 504 (outcome unknown) are retried: a PUT may be repeated.
        for (int attempt = 0; attempt < 20; ++attempt) {
          r = system == KvSystem::etcd
                  ? httpRequest(
                        url, "POST", "/v3/kv/put",
                        R"({"key":")" + base64(key) + R"(","value":")" + base64(value) + R"("})",
                        5000)
                  : httpRequest(url, "PUT", "/v1/kv/" + key, value, 5000, "text/plain");
          if (r.status != 503 && r.status != 504) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (r.status < 200 || r.status >= 300)
          errors[t] = "prefill of " + key + ": " +
                      (r.status ? std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error);
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (!e.empty()) return e;
  std::string key = kvKey(0), value = kvValue(0, valueBytes);
  HttpReply r = system == KvSystem::etcd
                    ? httpRequest(url, "POST", "/v3/kv/range", R"({"key":")" + base64(key) + "\"}")
                    : httpRequest(url, "GET", "/v1/kv/" + key);
  std::string expected = system == KvSystem::etcd ? base64(value) : value;
  if (r.status != 200 || r.body.find(expected) == std::string::npos)
    return "read-back of " + key + " did not return its value: " +
           (r.status ? std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error);
  return "";
}

std::string pointName(KvSystem system, KvOp op, int connections) {
  std::string what = op == KvOp::http ? (system == KvSystem::etcd ? "GET /version (bare HTTP)"
                                                                  : "GET /v1/status (bare HTTP)")
                                      : name(op);
  return std::string(name(system)) + " " + what + ", " + std::to_string(connections) + " conn";
}

// Runs every point of one system against `url`, adding a row per point.
void measure(Context& c, KvSystem system, const std::string& url, const std::string& wrk,
             const std::map<KvOp, std::string>& scripts, std::vector<KvPoint>& points,
             const std::vector<KvPoint>& etcdPoints) {
  const Options& o = c.options;
  std::string error = prefill(system, url, o.kvKeys, o.kvValueBytes);
  if (!error.empty()) {
    c.report.fail("kv", std::string(name(system)) + " prefill", error);
    c.report.printNew();
    return;
  }
  for (KvOp op : {KvOp::put, KvOp::get, KvOp::http})
    for (int connections : o.kvConnections) {
      WrkSpec spec{.program = wrk,
                   .url = url,
                   .script = scripts.at(op),
                   .keys = o.kvKeys,
                   .valueBytes = o.kvValueBytes,
                   .connections = connections,
                   .seconds = o.kvSeconds,
                   .out = c.workDir + "/kv/" + name(system) + "-" + name(op) + "-" +
                          std::to_string(connections)};
      KvPoint point{system, op, connections, runWrk(spec)};
      const WrkResult& r = point.result;
      std::string rowName = pointName(system, op, connections);
      if (!r.clean()) {
        c.report.fail("kv", rowName, r.problem());
      } else {
        Row row{.figure = "kv",
                .name = rowName,
                .value = r.okPerSec(),
                .unit = "req/s",
                .note = "p50 " + formatNumber(r.p50Ms) + " ms, p99 " + formatNumber(r.p99Ms) +
                        " ms, " + std::to_string(r.ok) + " requests"};
        for (const auto& e : etcdPoints)
          if (e.op == op && e.connections == connections && e.result.clean()) {
            row.limit = e.result.okPerSec();
            row.limitName = "etcd req/s, same point";
          }
        c.report.add(row);
      }
      c.report.printNew();
      points.push_back(point);
    }
}

const KvPoint* find(const std::vector<KvPoint>& points, KvSystem system, KvOp op, int conns) {
  for (const auto& p : points)
    if (p.system == system && p.op == op && p.connections == conns) return &p;
  return nullptr;
}

// Issue 16, point 4: our PUT with one request in flight beside the bare HTTP round trip to the
// same server over one connection, both from this run.
void addOnePutRows(Context& c, const std::vector<KvPoint>& points) {
  const KvPoint* put = find(points, KvSystem::ours, KvOp::put, 1);
  const KvPoint* bare = find(points, KvSystem::ours, KvOp::http, 1);
  if (!put || !bare || !put->result.clean() || !bare->result.clean()) return;
  for (auto [what, field] : {std::pair{"p50", &WrkResult::p50Ms}, {"p99", &WrkResult::p99Ms}})
    c.report.add({.figure = "kv",
                  .name = std::string("ours PUT ") + what + ", 1 in flight",
                  .value = put->result.*field * 1000,
                  .unit = "us",
                  .limit = bare->result.*field * 1000,
                  .limitName = std::string("bare HTTP round trip ") + what + " (GET /v1/status)"});
  c.report.printNew();
}

std::string cell(const KvPoint* p, double WrkResult::*field) {
  if (!p) return "";
  if (!p->result.clean()) return "FAILED";
  return formatNumber(p->result.*field);
}

std::string rate(const KvPoint* p) {
  if (!p) return "";
  if (!p->result.clean()) return "FAILED";
  return formatNumber(p->result.okPerSec());
}

std::string ratio(const KvPoint* ours, const KvPoint* etcd) {
  if (!ours || !etcd || !ours->result.clean() || !etcd->result.clean()) return "";
  return formatNumber(ours->result.okPerSec() / etcd->result.okPerSec());
}

// The results as a section for docs/BENCHMARKS.md: the machine, the command, the table.
std::string markdown(Context& c, const std::vector<KvPoint>& points, const std::string& versions,
                     const std::string& oursNote) {
  const Options& o = c.options;
  const auto& m = c.report.extra()["machine"];
  std::string text = "## Key-value service against etcd (issue 14)\n\n";
  text += "| | |\n|---|---|\n";
  text += "| CPU | " + m.value("cpu", std::string("?")) + ", " +
          std::to_string(m.value("cores", 0)) + " cores |\n";
  text += "| memory | " + formatNumber(m.value("memory_kib", 0L) / 1048576.0) + " GiB |\n";
  text += "| kernel | " + m.value("kernel", std::string("?")) + " |\n";
  text += "| programs | " + versions + " |\n";
  text += "| etcd | " + std::to_string(kEtcdMembers) +
          " members on 127.0.0.1, each its own `--data-dir` in the work folder (fsync on, etcd's "
          "default); requests go to a member that is not the raft leader; JSON gateway "
          "(`POST /v3/kv/put`, `POST /v3/kv/range`, linearizable) |\n";
  text += "| ours | " + oursNote + " |\n";
  text += "| load | wrk, `--latency`, " + std::to_string(o.kvSeconds) +
          " s per point, min(connections, 2) threads, one request in flight per connection; " +
          std::to_string(o.kvKeys) + " keys cycled through, " + std::to_string(o.kvValueBytes) +
          "-byte values; the key space is written once before the points |\n\n";
  text += "```sh\n" + c.commandLine + "\n```\n\n";
  text +=
      "Requests per second counts only good responses (2xx; etcd's range must find its key); a "
      "point with any other response or a socket error is FAILED. p50/p99 are wrk's, over every "
      "request of the point.\n\n";
  text +=
      "| op | connections | etcd req/s | etcd p50 ms | etcd p99 ms | ours req/s | ours p50 ms "
      "| ours p99 ms | ours / etcd |\n|---|---|---|---|---|---|---|---|---|\n";
  for (KvOp op : {KvOp::put, KvOp::get, KvOp::http})
    for (int conns : o.kvConnections) {
      const KvPoint* e = find(points, KvSystem::etcd, op, conns);
      const KvPoint* u = find(points, KvSystem::ours, op, conns);
      std::string what = op == KvOp::put   ? "PUT"
                         : op == KvOp::get ? "linearizable GET"
                                           : "bare HTTP (`/version`, `/v1/status`)";
      text += "| " + what + " | " + std::to_string(conns) + " | " + rate(e) + " | " +
              cell(e, &WrkResult::p50Ms) + " | " + cell(e, &WrkResult::p99Ms) + " | " + rate(u) +
              " | " + cell(u, &WrkResult::p50Ms) + " | " + cell(u, &WrkResult::p99Ms) + " | " +
              ratio(u, e) + " |\n";
    }
  return text;
}

}  // namespace

void kvFigure(Context& c) {
  const Options& o = c.options;
  std::string wrk = findProgram("wrk"), etcd = findProgram("etcd");
  if (wrk.empty()) {
    c.report.fail("kv", "(tools)", std::string("wrk not found on PATH: ") + kInstall);
    c.report.printNew();
    return;
  }
  std::string dir = c.workDir + "/kv";
  fs::create_directories(dir);
  std::map<KvSystem, std::map<KvOp, std::string>> scripts;
  for (KvSystem system : {KvSystem::etcd, KvSystem::ours})
    for (KvOp op : {KvOp::put, KvOp::get, KvOp::http}) {
      std::string path = dir + "/" + name(system) + "-" + name(op) + ".lua";
      std::ofstream(path) << kvScript(system, op);
      scripts[system][op] = path;
    }
  std::string versions = firstLine(wrk + " -v 2>&1");
  versions = versions.substr(0, versions.find(" ["));  // "wrk 4.1.0 [epoll] Copyright..."
  c.fsyncRate();  // what bounds a write at one connection: each is fsynced before its answer

  std::vector<KvPoint> points;
  if (etcd.empty()) {
    c.report.fail("kv", "etcd", std::string("etcd not found on PATH: ") + kInstall);
  } else {
    versions += ", etcd " + firstLine(etcd + " --version 2>&1").substr(14);  // "etcd Version: "
    try {
      EtcdCluster cluster(etcd, dir + "/etcd", kEtcdMembers, kStartTimeoutMs);
      std::string url = cluster.followerUrl();
      std::printf("kv: etcd members %s, %s, %s; measuring through %s\n",
                  cluster.clientUrls()[0].c_str(), cluster.clientUrls()[1].c_str(),
                  cluster.clientUrls()[2].c_str(), url.c_str());
      std::fflush(stdout);
      measure(c, KvSystem::etcd, url, wrk, scripts[KvSystem::etcd], points, {});
    } catch (const std::exception& e) {
      c.report.fail("kv", "etcd cluster", e.what());
    }
  }
  c.report.printNew();

  std::string oursNote;
  try {
    KvService ours(o.kvUrls, o.kvStart, dir, 60000);
    if (!ours.skipped().empty()) {
      oursNote = "skipped: " + ours.skipped();
      std::printf("kv: ours %s\n", oursNote.c_str());
    } else {
      oursNote = std::to_string(ours.urls().size()) +
                 " learners with HTTP; requests go to the first, " + ours.urls().front();
      std::printf("kv: ours at %s\n", ours.urls().front().c_str());
      std::vector<KvPoint> etcdPoints = points;
      measure(c, KvSystem::ours, ours.urls().front(), wrk, scripts[KvSystem::ours], points,
              etcdPoints);
      addOnePutRows(c, points);
    }
  } catch (const std::exception& e) {
    oursNote = std::string("FAILED: ") + e.what();
    c.report.fail("kv", "ours", e.what());
  }
  c.report.printNew();

  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points)
    list.push_back({{"system", name(p.system)},
                    {"op", name(p.op)},
                    {"connections", p.connections},
                    {"ok", p.result.ok},
                    {"bad", p.result.bad},
                    {"socket_errors", p.result.socketErrors},
                    {"codes", p.result.codes},
                    {"seconds", p.result.seconds},
                    {"req_per_sec", p.result.okPerSec()},
                    {"p50_ms", p.result.p50Ms},
                    {"p99_ms", p.result.p99Ms},
                    {"clean", p.result.clean()}});
  c.report.extra()["kv"] = {{"points", list}, {"ours", oursNote}, {"programs", versions}};
  std::string section = markdown(c, points, versions, oursNote);
  std::printf("\n%s\n", section.c_str());
  if (!o.kvMarkdown.empty()) {
    std::ofstream out(o.kvMarkdown);
    out << section;
    if (!out) c.report.fail("kv", "--kv-markdown", "cannot write " + o.kvMarkdown);
  }
  std::fflush(stdout);
}

}  // namespace paxos::bench
