// What every figure shares (options, report, the limits measured once) and the figures.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "limits.hpp"
#include "load.hpp"
#include "options.hpp"
#include "report.hpp"

namespace paxos::bench {

// One point of the load sweep: offered load (clients x window) and what it achieved.
struct SweepPoint {
  int clients = 0, window = 0;
  double valuesPerSec = 0;
  double p50Ms = 0, p99Ms = 0;  // per value, from the clients' --latency field; 0 if none
  bool ok = false;
};

// One measured point of the open-loop sweep: the rate offered, what was delivered, latency
// from when each value was due.
struct OpenPoint {
  double offered = 0, achieved = 0;
  double p50Ms = 0, p99Ms = 0;
};

struct Context {
  Options options;
  Report report;
  std::string workDir;      // inputs, probes and run folders
  std::string binDir;       // condriver and clidriver
  std::string commandLine;  // as given, for the reports
  int nextRun = 0;          // run folders are numbered across figures

  // The limits, each measured once when a figure first needs it (and reported as a row).
  const UdpRoundTrip& udpRoundTrip();
  const UdpRoundTrip& udpRing4();  // the floor of a value's four hops
  // Pinned (bench/affinity.hpp): both ends on CPU 0, or on CPUs 0 and 1; the ring on CPU 0.
  const UdpRoundTrip& udpRoundTripOneCore();
  const UdpRoundTrip& udpRoundTripTwoCores();
  const UdpRoundTrip& udpRing4OneCore();
  const UdpRate& udpRate64();
  const UdpRate& udpRate8k();
  double fsyncRate();
  const ProcessFloor& processFloor(int count);
  long idleRssKiB();  // the driver binary's memory floor

  std::vector<SweepPoint> sweep;            // for the plot
  std::vector<OpenPoint> openSweep;         // for the open-loop plot
  std::map<std::string, long> loadPeakRss;  // process kind -> largest peak RSS (KiB) under load
  void addLoadRss(const LoadResult& r);

  std::string condriver() const { return binDir + "/condriver"; }
  std::string clidriver() const { return binDir + "/clidriver"; }

 private:
  std::optional<UdpRoundTrip> rtt_, ring4_, rttOneCore_, rttTwoCores_, ring4OneCore_;
  // Measures a UDP ring of `hops` once (threads pinned to `cpus` if given), reporting it as
  // `name` p50 and p99.
  const UdpRoundTrip& udpRing(std::optional<UdpRoundTrip>& cached, int hops,
                              const std::string& name, const std::string& how,
                              const std::vector<int>& cpus = {});
  std::optional<UdpRate> rate64_, rate8k_;
  std::optional<double> fsync_;
  std::map<int, ProcessFloor> floors_;
  std::optional<long> idleRss_;
};

void scenarioFigure(Context& c);
void latencyFigure(Context& c);
void throughputFigure(Context& c);
void scaleFigure(Context& c);
void memoryFigure(Context& c);
void kvFigure(Context& c);
void openLoopFigure(Context& c);

// A plot of p50 and p99 latency (ms, log) against a load (values/s, log), one labelled point
// per run, joined in the given order; drawn by hand as SVG.
struct PlotPoint {
  double load = 0;
  double p50Ms = 0, p99Ms = 0;
  std::string label;
};
std::string plotSvg(const std::vector<PlotPoint>& points, const std::string& title,
                    const std::string& loadAxis);
// The closed-loop sweep (achieved values/s, points labelled clients x window, in order of values
// in flight) and the open-loop sweep (offered values/s).
std::string plotSweep(const std::vector<SweepPoint>& points);
std::string plotOpenSweep(const std::vector<OpenPoint>& points);

}  // namespace paxos::bench
