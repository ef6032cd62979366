// `paxos-trace merge`: the causal order as text, time relative to the first record.
#include <fmt/format.h>

#include <algorithm>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {

void writeMerge(const Timeline& t, std::ostream& out) {
  size_t width = 0;  // node labels padded to the widest, so the columns line up
  for (uint32_t uid : t.nodes) width = std::max(width, fmt::format("n{}", uid).size());
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    std::string note;
    if (r.event == "send" && !t.delivered(i))
      note = t.arrivals[i].empty() ? "  (no recv traced)" : "  (dropped)";
    if (r.event != "send" && r.mid && !t.sendOf[i]) note = "  (send not traced)";
    out << fmt::format("{:9.3f} ms  {:<{}} {:<8}  {}{}\n", t.ms(i), fmt::format("n{}", r.node),
                       width, r.role, describe(r), note);
  }
}

}  // namespace paxos::tracetool
