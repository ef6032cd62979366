#include "wrk_run.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "process_group.hpp"
#include "report.hpp"

namespace paxos::bench {

std::string WrkResult::problem() const {
  if (!ran) return error;
  if (ok == 0 && bad == 0) return "no responses at all";
  std::string text = std::to_string(bad) + " of " + std::to_string(requests) +
                     " responses not good (status x count: " + codes + ")";
  if (socketErrors) text += ", " + std::to_string(socketErrors) + " socket errors or timeouts";
  return text + "; good ones alone: " + formatNumber(okPerSec()) + " req/s";
}

WrkResult runWrk(const WrkSpec& spec) {
  WrkResult result;
  int threads = std::min(spec.connections, 2);
  std::string duration = std::to_string(spec.seconds) + "s";
  paxos::test::ProcessGroup group;
  pid_t pid = group.spawn(
      {spec.program, "-t", std::to_string(threads), "-c", std::to_string(spec.connections), "-d",
       duration, "--timeout", "5s", "--latency", "-s", spec.script, spec.url, "--",
       std::to_string(spec.keys), std::to_string(spec.valueBytes)},
      spec.out + ".out", spec.out + ".err");
  auto limit = std::chrono::milliseconds(long((spec.seconds + 15) * 1000));
  if (!group.waitFor(pid, std::chrono::steady_clock::now() + limit)) {
    group.kill(pid);
    result.error = "wrk did not finish within " + std::to_string(spec.seconds + 15) + " s";
    return result;
  }
  std::string out = paxos::test::readFile(spec.out + ".out");
  auto at = out.find("kvbench ok ");
  if (group.status(pid) != 0 || at == std::string::npos) {
    std::string err = paxos::test::readFile(spec.out + ".err");
    result.error = "wrk exited " + std::to_string(group.status(pid)) +
                   " without the script's summary: " + (err.empty() ? out : err).substr(0, 300);
    return result;
  }
  std::istringstream line(out.substr(at, out.find('\n', at) - at));
  std::string word;
  long durationUs = 0, p50Us = 0, p99Us = 0, connect = 0, read = 0, write = 0, status = 0,
       timeout = 0;
  line >> word >> word >> result.ok >> word >> result.bad >> word >> result.requests >> word >>
      durationUs >> word >> p50Us >> word >> p99Us >> word >> connect >> word >> read >> word >>
      write >> word >> status >> word >> timeout >> word;
  std::getline(line, result.codes);
  if (!line && !line.eof()) {
    result.error = "cannot parse the script's summary line";
    return result;
  }
  if (!result.codes.empty() && result.codes[0] == ' ') result.codes.erase(0, 1);
  result.ran = true;
  result.seconds = durationUs / 1e6;
  result.p50Ms = p50Us / 1000.0;
  result.p99Ms = p99Us / 1000.0;
  // wrk's own status count (non-2xx/3xx) is in `bad` already; 3xx would be there too.
  result.socketErrors = connect + read + write + timeout;
  return result;
}

}  // namespace paxos::bench
