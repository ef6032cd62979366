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
  app.add_option("FIGURE", figures, "scenario, latency, throughput, scale, memory (default: all)")
      ->check(CLI::IsMember(kFigures));
  app.add_option("--json", options.json, "write the results as JSON to FILE");
  app.add_option("--svg", options.svg, "write the plot of latency against load (SVG) to FILE");
  app.add_flag("--quick", options.quick, "small counts: every figure in about 20 s");
  app.add_option("--runs", options.runs, "scenario: runs of each seed scenario (median, p90)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--seconds", options.seconds, "throughput: measured seconds of each run")
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--dir", options.dir, "work folder (default: a fresh one under TMPDIR)");
  app.add_flag("--keep", options.keep, "keep the work folder: run folders, logs, inputs");
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
  for (const auto& f : kFigures)
    if (figures.empty() || std::find(figures.begin(), figures.end(), f) != figures.end())
      options.figures.push_back(f);
  return std::nullopt;
}

}  // namespace paxos::bench
