// paxos-lincheck: records a history of random put/get/delete against the KV HTTP API and
// checks it for linearizability (per key, Wing-Gong/Lowe; libpaxos/check).
//   paxos-lincheck record --urls URL1,URL2 --clients N --keys K --seconds S --out history.jsonl
//   paxos-lincheck check history.jsonl
// The history format is described in harness/history_recorder.hpp. Exit 0: recorded, or no
// anomaly; 1: an anomaly; 2: bad arguments or a bad history file; 3: the check was inconclusive.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>

#include "check/linearizability.hpp"
#include "history_recorder.hpp"
#include "http_client.hpp"
#include "paxos_version.hpp"

using namespace paxos;

namespace {

int fail(const std::string& message) {
  fmt::print(stderr, "paxos-lincheck: {}\n", message);
  return 2;
}

int checkFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot open " + path);
  std::vector<test::RecordedOp> ops;
  std::string error;
  if (!test::readHistory(in, ops, error)) return fail(path + ": " + error);
  auto start = std::chrono::steady_clock::now();
  check::CheckResult r = check::checkLinearizable(test::toCheckerOps(ops));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (!r.linearizable) {
    fmt::print("{} ops, {} keys, 1 anomaly: key {}: {}\n", ops.size(), r.keys, r.key,
               r.explanation);
    return 1;
  }
  if (r.inconclusive) {
    fmt::print("{} ops, {} keys, 0 anomalies, inconclusive (search budget exhausted)\n", ops.size(),
               r.keys);
    return 3;
  }
  fmt::print("{} ops, {} keys, 0 anomalies\n", ops.size(), r.keys);
  fmt::print(stderr, "checked in {} ms\n", ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-lincheck: record a history of the KV HTTP API under concurrent clients and check "
      "it for linearizability."};
  app.set_version_flag("--version", versionLine("paxos-lincheck"));
  app.require_subcommand(1);

  test::RecordOptions options;
  std::string out = "history.jsonl";
  double seconds = 5;
  int timeoutMs = 2000;
  CLI::App* record = app.add_subcommand("record", "run the clients and write a history file");
  record->add_option("--urls", options.urls, "http://HOST:PORT of the nodes, comma-separated")
      ->required()
      ->delimiter(',');
  record->add_option("--clients", options.clients, "concurrent client threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  record->add_option("--keys", options.keys, "keys to spread the operations over")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  record->add_option("--seconds", seconds, "how long to issue operations")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  record->add_option("--out", out, "the history file (JSON lines)")->capture_default_str();
  record->add_option("--timeout-ms", timeoutMs, "per-request deadline; later is unknown")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  record->add_option("--retries", options.retries, "503s retried on another node, same id")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  record->add_flag("--sticky", options.sticky, "each client keeps to one node");
  record->add_option("--seed", options.seed, "random seed")->capture_default_str();
  record->add_option("--key-prefix", options.keyPrefix,
                     "key name prefix (keys must start absent; default lc<seed>-)");

  std::string history;
  CLI::App* checkCmd = app.add_subcommand("check", "check a history file for linearizability");
  checkCmd->add_option("HISTORY", history, "the history file (JSON lines)")->required();

  CLI11_PARSE(app, argc, argv);

  if (*record) {
    for (const std::string& url : options.urls)
      if (!test::parseHttpUrl(url)) return fail("not an http://HOST:PORT URL: " + url);
    options.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    options.requestTimeout = std::chrono::milliseconds(timeoutMs);
    std::vector<test::RecordedOp> ops = test::recordHistory(options);
    std::ofstream file(out);
    if (!file) return fail("cannot write " + out);
    test::writeHistory(file, ops);
    file.close();
    if (!file) return fail("cannot write " + out);
    size_t unknown = 0;
    for (const auto& op : ops) unknown += op.outcome == "unknown";
    fmt::print("{} ops recorded ({} unknown) to {}\n", ops.size(), unknown, out);
    return 0;
  }
  return checkFile(history);
}
