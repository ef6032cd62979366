// paxos-bench: the benchmark suite (docs/BENCHMARKS.md). Starts its own clusters of condriver
// and clidriver (found next to this executable) on free loopback ports, stops them, and prints
// each figure beside its physical limit measured in the same run and its target, met or missed.
// Exit 0 when every figure produced its numbers (targets are reported, never enforced), 1 when
// a measurement failed, 2 on bad arguments.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cluster_run.hpp"
#include "figures.hpp"
#include "process_group.hpp"

namespace fs = std::filesystem;
using namespace paxos::bench;

namespace {

std::string ownDirectory() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::current_path().string() : self.parent_path().string();
}

// Whether clidriver prints per-value micros with --latency (decided SLOT VALUE MICROS).
}  // namespace

int main(int argc, char** argv) {
  Context c;
  if (auto code = parse(argc, argv, c.options)) return *code;
  auto start = std::chrono::steady_clock::now();
  c.binDir = ownDirectory();
  for (int i = 0; i < argc; ++i) c.commandLine += (i ? " " : "") + std::string(argv[i]);
  for (const auto& program : {c.condriver(), c.clidriver()})
    if (access(program.c_str(), X_OK) != 0) {
      std::cerr << "paxos-bench: " << program << " not found (it runs the drivers next to it)\n";
      return 2;
    }
  bool ownDir = c.options.dir.empty();
  if (ownDir) {
    std::string pattern = (fs::temp_directory_path() / "paxos-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::cerr << "paxos-bench: cannot make a work folder under " << fs::temp_directory_path()
                << "\n";
      return 2;
    }
    c.workDir = pattern;
  } else {
    c.workDir = fs::absolute(c.options.dir).string();
    fs::create_directories(c.workDir);
  }
  paxos::test::setBinDir(c.binDir);
  paxos::test::setRunRoot(c.workDir + "/runs");

  auto m = machine();
  c.report.extra()["machine"] = m;
  std::printf("paxos-bench: %s, %d cores, %s; work folder %s\n",
              m.value("cpu", std::string("?")).c_str(), m.value("cores", 0),
              m.value("kernel", std::string("?")).c_str(), c.workDir.c_str());
  c.report.printHeader();
  std::fflush(stdout);

  struct Figure {
    const char* name;
    void (*run)(Context&);
  };
  const Figure figures[] = {{"scenario", scenarioFigure},
                            {"latency", latencyFigure},
                            {"throughput", throughputFigure},
                            {"openloop", openLoopFigure},
                            {"scale", scaleFigure},
                            {"memory", memoryFigure},
                            {"kv", kvFigure}};
  nlohmann::json seconds = nlohmann::json::object();
  for (const auto& f : figures) {
    if (!c.options.wants(f.name)) continue;
    auto figureStart = std::chrono::steady_clock::now();
    try {
      f.run(c);
    } catch (const std::exception& e) {
      c.report.fail(f.name, "(figure)", e.what());
      c.report.printNew();
    }
    seconds[f.name] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - figureStart).count();
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.report.printTargets();
  std::printf("total %.1f s\n", total);

  nlohmann::json sweep = nlohmann::json::array();
  for (const auto& p : c.sweep)
    sweep.push_back({{"clients", p.clients},
                     {"window", p.window},
                     {"values_per_sec", p.valuesPerSec},
                     {"p50_ms", p.p50Ms},
                     {"p99_ms", p.p99Ms},
                     {"ok", p.ok}});
  c.report.extra()["sweep"] = sweep;
  nlohmann::json open = nlohmann::json::array();
  for (const auto& p : c.openSweep)
    open.push_back({{"offered", p.offered},
                    {"values_per_sec", p.achieved},
                    {"p50_ms", p.p50Ms},
                    {"p99_ms", p.p99Ms}});
  c.report.extra()["open_loop"] = open;
  c.report.extra()["figure_seconds"] = seconds;
  c.report.extra()["total_seconds"] = total;
  c.report.extra()["quick"] = c.options.quick;
  int status = c.report.anyFailed() ? 1 : 0;
  if (!c.options.json.empty()) {
    std::ofstream out(c.options.json);
    out << c.report.json().dump(2) << "\n";
    if (!out) {
      std::cerr << "paxos-bench: cannot write " << c.options.json << "\n";
      status = 1;
    }
  }
  auto writeSvg = [&](const std::string& file, const std::string& svg) {
    if (file.empty()) return;
    std::ofstream out(file);
    out << svg;
    if (!out) {
      std::cerr << "paxos-bench: cannot write " << file << "\n";
      status = 1;
    }
  };
  writeSvg(c.options.svg, plotSweep(c.sweep));
  writeSvg(c.options.svgOpen, plotOpenSweep(c.openSweep));
  if (ownDir && !c.options.keep) {
    std::error_code ignored;
    fs::remove_all(c.workDir, ignored);
  }
  return status;
}
