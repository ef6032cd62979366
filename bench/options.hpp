// paxos-bench's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace paxos::bench {

// The figures in the order they run; each is also a FIGURE argument.
inline const std::vector<std::string> kFigures = {"scenario", "latency", "throughput", "scale",
                                                  "memory"};

struct Options {
  std::vector<std::string> figures;  // a subset of kFigures, in kFigures' order
  std::string json;                  // write machine-readable results here ("" = no)
  std::string svg;                   // write the latency-against-load plot here ("" = no)
  bool quick = false;                // small counts: the whole suite in about 20 s (smoke test)
  int runs = 20;                     // scenario: runs of each seed scenario
  double seconds = 10;               // throughput: measured seconds of each saturating run
  std::string dir;                   // work folder ("" = a fresh one under TMPDIR, removed after)
  bool keep = false;                 // keep the work folder (run folders, logs) afterwards
  bool wants(const std::string& figure) const;
};

// Parses argv. On --help prints the usage and returns an exit code of 0; on a bad argument
// prints one line on stderr and returns 2; otherwise returns nullopt and fills `options`.
std::optional<int> parse(int argc, char** argv, Options& options);

}  // namespace paxos::bench
