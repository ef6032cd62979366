// The subcommands of paxos-trace, one .cpp each. Each writes to a stream and returns nothing or
// an exit code, so tests run them on literal traces without starting a process.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tracetool/timeline.hpp"

namespace paxos::tracetool {

// One line per record: "   12.345 ms  n1 acceptor  recv PREPARE inst 0 ballot 1.0 from n0 [0:5]".
void writeMerge(const Timeline& t, std::ostream& out);

// A self-contained page: lanes, message arrows, phases, events (docs/TRACE.md, paxos-trace).
void writeHtml(const Timeline& t, std::ostream& out);

// Host UID -> counter. clocks[i] is the clock of t.records[i] just after that event.
using VectorClock = std::map<uint32_t, uint64_t>;
std::vector<VectorClock> vectorClocks(const Timeline& t);
void writeShiviz(const Timeline& t, std::ostream& out);

// Agreement, validity and integrity of the decide events; in multi mode also of the commit
// and deliver events, and the order of deliveries (docs/TRACE.md): 0 if they hold, else 1.
int check(const Timeline& t, std::ostream& out);

struct Counts {
  uint64_t sent = 0, received = 0, dropped = 0;
  bool operator==(const Counts&) const = default;
};
struct Stats {
  std::map<std::string, Counts> byType;  // "(malformed)" for a drop without a type
  std::map<std::pair<std::optional<uint32_t>, uint32_t>, Counts> byLink;  // (from, to)
  uint64_t electionMessages = 0;  // ELECT, ELECT_ACK, LEADER, LEADER_ACK sends
  // Milliseconds; empty when the run never reached the phase's end points. Basic mode: paxos
  // ends at the first decide. Multi mode (commit records): it ends at the last commit.
  std::optional<double> election, paxos, shutdown;
  bool multi = false;
};
Stats stats(const Timeline& t);
void writeStats(const Stats& s, std::ostream& out);

}  // namespace paxos::tracetool
