// `paxos-trace stats`: message counts by type and by link, and how long each phase took.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {

Stats stats(const Timeline& t) {
  static const std::set<std::string> kElection = {"ELECT", "ELECT_ACK", "LEADER", "LEADER_ACK"};
  Stats s;
  std::optional<int64_t> elected, firstPrepare, firstDecide, lastCommit, lastExit;
  for (const Record& r : t.records) {
    if (isMessage(r)) {
      Counts& type = s.byType[r.msg.value_or("(malformed)")];
      // A receiver writes recv and drop records, so `to` is the writing node there.
      Counts& link = s.byLink[{r.event == "send" ? std::optional(r.node) : r.from,
                               r.event == "send" ? *r.to : r.node}];
      uint64_t Counts::*field = r.event == "send"   ? &Counts::sent
                                : r.event == "recv" ? &Counts::received
                                                    : &Counts::dropped;
      ++(type.*field);
      ++(link.*field);
      if (r.event == "send" && kElection.contains(*r.msg)) ++s.electionMessages;
    }
    // Records are in causal order, not ts order, so "first" and "last" compare ts.
    auto earliest = [&](std::optional<int64_t>& at) { at = std::min(at.value_or(r.ts), r.ts); };
    if (r.event == "elect" || r.event == "role") earliest(elected);
    if (r.event == "send" && (r.msg == "PREPARE" || r.msg == "PREPARE_ALL")) earliest(firstPrepare);
    if (r.event == "decide") earliest(firstDecide);
    // Multi mode: the log is being decided until its last slot is committed.
    if (r.event == "commit") {
      s.multi = true;
      lastCommit = std::max(lastCommit.value_or(r.ts), r.ts);
    }
    if (r.event == "exit") lastExit = std::max(lastExit.value_or(r.ts), r.ts);
  }
  auto span = [](std::optional<int64_t> from, std::optional<int64_t> to) -> std::optional<double> {
    if (!from || !to) return std::nullopt;
    return static_cast<double>(*to - *from) / 1e6;
  };
  s.election = span(t.t0, elected);
  std::optional<int64_t> decided = s.multi ? lastCommit : firstDecide;
  s.paxos = span(firstPrepare, decided);
  s.shutdown = span(decided, lastExit);
  return s;
}

void writeStats(const Stats& s, std::ostream& out) {
  auto row = [&](const std::string& name, const Counts& c) {
    out << fmt::format("  {:<14} {:>6} {:>6} {:>6}\n", name, c.sent, c.received, c.dropped);
  };
  Counts total;
  out << fmt::format("{:<16} {:>6} {:>6} {:>6}\n", "messages by type", "sent", "recv", "drop");
  // Protocol order first, then anything else (a type this tool does not know, or malformed).
  std::vector<std::string> order;
  for (const auto& type : messageTypes())
    if (s.byType.contains(type)) order.push_back(type);
  for (const auto& [type, _] : s.byType)
    if (std::find(order.begin(), order.end(), type) == order.end()) order.push_back(type);
  for (const auto& type : order) {
    const Counts& c = s.byType.at(type);
    row(type, c);
    total.sent += c.sent, total.received += c.received, total.dropped += c.dropped;
  }
  row("total", total);
  out << fmt::format("\n{:<16} {:>6} {:>6} {:>6}\n", "messages by link", "sent", "recv", "drop");
  for (const auto& [link, c] : s.byLink) {
    std::string from = link.first ? fmt::format("n{}", *link.first) : "?";
    row(fmt::format("{} -> n{}", from, link.second), c);
  }
  out << fmt::format("\nelection messages sent: {} (ELECT, ELECT_ACK, LEADER, LEADER_ACK)\n",
                     s.electionMessages);
  auto time = [](std::optional<double> ms) {
    return ms ? fmt::format("{:9.3f} ms", *ms) : fmt::format("{:>12}", "-");
  };
  const char* decided = s.multi ? "last commit" : "first decide";
  out << "\ntime per phase\n"
      << "  election  " << time(s.election) << "  first record to first elect/role\n"
      << "  paxos     " << time(s.paxos)
      << fmt::format("  first {} send to {}\n", s.multi ? "PREPARE or PREPARE_ALL" : "PREPARE",
                     decided)
      << "  shutdown  " << time(s.shutdown) << fmt::format("  {} to last exit\n", decided);
}

}  // namespace paxos::tracetool
