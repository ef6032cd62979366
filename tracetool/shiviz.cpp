// `paxos-trace shiviz`: a log for ShiViz (a regex line, a blank line, then two lines per event:
// "HOST CLOCK" and a description), with vector clocks derived from the causal order.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {

std::vector<VectorClock> vectorClocks(const Timeline& t) {
  std::vector<VectorClock> clocks(t.records.size());
  std::map<uint32_t, VectorClock> current;  // each host's clock after its latest event
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    VectorClock clock = current[r.node];
    // A recv (or a drop: the datagram arrived, then was discarded) has seen all its send saw.
    // The causal order puts the send first, so its clock is already known.
    if (t.sendOf[i])
      for (const auto& [host, count] : clocks[*t.sendOf[i]])
        clock[host] = std::max(clock[host], count);
    ++clock[r.node];
    clocks[i] = current[r.node] = clock;
  }
  return clocks;
}

void writeShiviz(const Timeline& t, std::ostream& out) {
  out << "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)\n\n";
  auto clocks = vectorClocks(t);
  for (size_t i = 0; i < t.records.size(); ++i) {
    nlohmann::ordered_json clock = nlohmann::ordered_json::object();
    for (const auto& [host, count] : clocks[i]) clock[fmt::format("n{}", host)] = count;
    const Record& r = t.records[i];
    out << fmt::format("n{} {}\n{} {} @ {:.3f} ms\n", r.node, clock.dump(), r.role, describe(r),
                       t.ms(i));
  }
}

}  // namespace paxos::tracetool
