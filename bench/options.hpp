// paxos-bench's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace paxos::bench {

// The figures in the order they run; each is also a FIGURE argument.
inline const std::vector<std::string> kFigures = {"scenario", "latency", "throughput",
                                                  "openloop", "scale",   "memory"};
// Figures run only when named: they need programs from outside the project (etcd, wrk).
inline const std::vector<std::string> kOptInFigures = {"kv"};

struct Options {
  std::vector<std::string> figures;  // a subset of kFigures, in kFigures' order
  std::string json;                  // write machine-readable results here ("" = no)
  std::string svg;                   // write the latency-against-load plot here ("" = no)
  std::string svgOpen;               // and the open-loop one (latency against offered load)
  bool quick = false;                // small counts: the whole suite in about 20 s (smoke test)
  int runs = 20;                     // scenario: runs of each seed scenario
  double seconds = 10;               // throughput: measured seconds of each saturating run
  std::string dir;                   // work folder ("" = a fresh one under TMPDIR, removed after)
  bool keep = false;                 // keep the work folder (run folders, logs) afterwards
  // kv: our KV service against a 3-member etcd over HTTP (docs/BENCHMARKS.md).
  std::vector<std::string> kvUrls;  // our learners' base URLs, already running
  std::string kvStart;              // or a command that starts them and prints the URLs
  std::vector<int> kvConnections = {1, 16, 64, 256};
  int kvSeconds = 3;  // per point (wrk takes whole seconds)
  int kvValueBytes = 64;
  int kvKeys = 1000;
  std::string kvMarkdown;  // write the section for docs/BENCHMARKS.md here ("" = no)
  bool wants(const std::string& figure) const;
};

// Parses argv. On --help prints the usage and returns an exit code of 0; on a bad argument
// prints one line on stderr and returns 2; otherwise returns nullopt and fills `options`.
std::optional<int> parse(int argc, char** argv, Options& options);

}  // namespace paxos::bench
