// paxos-micro's main: Google Benchmark's own (BENCHMARK_MAIN), plus --version like every other
// executable of paxos-cpp.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>

#include "paxos_version.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--version") == 0) {
      std::puts(paxos::versionLine("paxos-micro").c_str());
      return 0;
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
