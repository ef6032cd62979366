#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "paxos_version.hpp"

namespace paxos::bench {

bool Options::wants(const std::string& figure) const {
  return std::find(figures.begin(), figures.end(), figure) != figures.end();
}

std::optional<int> parse(int argc, char** argv, Options& options) {
  CLI::App app{
      "paxos-cpp benchmarks: starts clusters on free loopback ports and prints each figure beside "
      "its physical limit, measured in the same run, and its target (docs/BENCHMARKS.md).",
      "paxos-bench"};
  app.set_version_flag("--version", versionLine("paxos-bench"));
  std::vector<std::string> figures;
  std::vector<std::string> known = kFigures;
  known.insert(known.end(), kOptInFigures.begin(), kOptInFigures.end());
  app.add_option("FIGURE", figures,
                 "scenario, latency, throughput, openloop, scale, memory (default: these six); "
                 "kv (only "
                 "when named: needs etcd and wrk)")
      ->check(CLI::IsMember(known));
  app.add_option("--json", options.json, "write the results as JSON to FILE");
  app.add_option("--svg", options.svg, "write the plot of latency against load (SVG) to FILE");
  app.add_option("--svg-open", options.svgOpen,
                 "write the plot of latency against offered load, open loop (SVG) to FILE");
  app.add_flag("--quick", options.quick, "small counts: every figure in about 20 s");
  app.add_option("--runs", options.runs, "scenario: runs of each seed scenario (median, p90)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--seconds", options.seconds, "throughput: measured seconds of each run")
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--dir", options.dir, "work folder (default: a fresh one under TMPDIR)");
  app.add_flag("--keep", options.keep, "keep the work folder: run folders, logs, inputs");
  app.add_option("--kv-urls", options.kvUrls,
                 "kv: base URLs of our KV service's learners, comma-separated (already running)")
      ->delimiter(',');
  app.add_option("--kv-start", options.kvStart,
                 "kv: a command that starts our KV service and prints its URLs (e.g. ./run/kv.sh); "
                 "stopped with SIGTERM to its process group");
  app.add_option("--kv-connections", options.kvConnections,
                 "kv: wrk connections of each point, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, 10000));
  app.add_option("--kv-seconds", options.kvSeconds, "kv: whole seconds of each point")
      ->check(CLI::Range(1, 600));
  app.add_option("--kv-value-bytes", options.kvValueBytes, "kv: bytes of each value")
      ->check(CLI::Range(1, 7168));
  app.add_option("--kv-keys", options.kvKeys, "kv: keys the writes and reads cycle through")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--kv-markdown", options.kvMarkdown,
                 "kv: write the results as a section for docs/BENCHMARKS.md to FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "paxos-bench: " << e.what() << "\n";
    return 2;
  }
  bool quickRuns = app.count("--runs") == 0 && options.quick;
  bool quickSeconds = app.count("--seconds") == 0 && options.quick;
  if (quickRuns) options.runs = 3;
  if (quickSeconds) options.seconds = 1.5;
  if (options.quick && app.count("--kv-seconds") == 0) options.kvSeconds = 1;
  for (const auto& f : kFigures)
    if (figures.empty() || std::find(figures.begin(), figures.end(), f) != figures.end())
      options.figures.push_back(f);
  for (const auto& f : kOptInFigures)
    if (std::find(figures.begin(), figures.end(), f) != figures.end()) options.figures.push_back(f);
  return std::nullopt;
}

}  // namespace paxos::bench
