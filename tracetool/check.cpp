// `paxos-trace check`: the safety properties of consensus, from the traces alone.
//   agreement: every decide of an instance carries the same value;
//   validity:  that value is the value of some client's REQUEST;
//   integrity: no node decides an instance twice.
#include <fmt/format.h>

#include <set>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {
namespace {

void show(const Timeline& t, const std::vector<size_t>& indices, std::ostream& out) {
  for (size_t i : indices) out << "  " << t.records[i].where << ": " << t.records[i].json << "\n";
}

}  // namespace

int check(const Timeline& t, std::ostream& out) {
  // A proposer's REQUEST recv counts as well as the client's send: it proves the send even when
  // the client's trace is missing.
  std::set<std::string> requested;
  std::map<uint64_t, std::vector<size_t>> decides;  // instance -> decide records
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    if ((r.event == "send" || r.event == "recv") && r.msg == "REQUEST" && r.value)
      requested.insert(*r.value);
    // Basic mode has one instance, 0; a decide that leaves inst null means that one.
    if (r.event == "decide") decides[r.inst.value_or(0)].push_back(i);
  }

  bool ok = true;
  for (const auto& [inst, list] : decides) {
    std::map<std::string, std::vector<size_t>> byValue;
    std::map<uint32_t, std::vector<size_t>> byNode;
    for (size_t i : list) {
      byValue[*t.records[i].value].push_back(i);
      byNode[t.records[i].node].push_back(i);
    }
    if (byValue.size() > 1) {
      ok = false;
      std::vector<std::string> values;
      for (const auto& [value, _] : byValue) values.push_back("'" + value + "'");
      out << fmt::format("agreement violated: inst {} decided as {}\n", inst,
                         fmt::join(values, " and "));
      show(t, list, out);
    }
    for (const auto& [value, records] : byValue) {
      if (requested.contains(value)) continue;
      ok = false;
      out << fmt::format(
          "validity violated: inst {} decided '{}', which no client sent in a "
          "REQUEST\n",
          inst, value);
      show(t, records, out);
    }
    for (const auto& [node, records] : byNode) {
      if (records.size() < 2) continue;
      ok = false;
      out << fmt::format("integrity violated: n{} decided inst {} {} times\n", node, inst,
                         records.size());
      show(t, records, out);
    }
  }
  if (!ok) return 1;
  if (decides.empty()) out << "ok: 0 decisions (nothing was decided, so nothing disagrees)\n";
  for (const auto& [inst, list] : decides) {
    std::set<uint32_t> nodes;
    for (size_t i : list) nodes.insert(t.records[i].node);
    out << fmt::format("ok: {}{} decisions of {} by {} nodes\n",
                       decides.size() > 1 ? fmt::format("inst {}: ", inst) : "", list.size(),
                       *t.records[list.front()].value, nodes.size());
  }
  return 0;
}

}  // namespace paxos::tracetool
