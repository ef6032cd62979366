// One wrk run (Debian's wrk 4.1, https://github.com/wg/wrk) with one of the kv scripts: a fixed
// number of keep-alive connections, each with one request in flight, for a fixed time.
#pragma once

#include <string>

namespace paxos::bench {

struct WrkSpec {
  std::string program;  // full path of wrk
  std::string url;      // base URL "http://127.0.0.1:PORT"
  std::string script;   // path of the Lua script
  int keys = 1000, valueBytes = 64;
  int connections = 1;
  int seconds = 3;  // wrk takes whole seconds
  std::string out;  // wrk's stdout and stderr go to out + ".out" / ".err"
};

struct WrkResult {
  bool ran = false;   // wrk exited 0 and printed the script's summary line
  std::string error;  // why not
  long ok = 0;        // 2xx (and the expected body)
  long bad = 0;       // any other response
  long requests = 0;  // responses wrk counted
  double seconds = 0;
  double p50Ms = 0, p99Ms = 0;  // over every response, as wrk --latency reports them
  long socketErrors = 0;        // connect, read, write, timeout
  std::string codes;            // "503x12 404x1" or "none"
  double okPerSec() const { return seconds > 0 ? ok / seconds : 0; }
  // Whether every request got a good answer: the only runs that count as throughput.
  bool clean() const { return ran && bad == 0 && socketErrors == 0 && ok > 0; }
  std::string problem() const;  // what was wrong when !clean()
};

// Runs wrk with `--latency` on min(connections, 2) threads and a 5 s request timeout; waits
// `seconds` + 15 s at most, then kills it.
WrkResult runWrk(const WrkSpec& spec);

}  // namespace paxos::bench
