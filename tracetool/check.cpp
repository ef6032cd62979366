// `paxos-trace check`: the safety properties of consensus, from the traces alone.
// Basic mode (decide records):
//   agreement: every decide of an instance carries the same value;
//   validity:  that value is the value of some client's REQUEST;
//   integrity: no node decides an instance twice.
// Multi mode (commit and deliver records, docs/TRACE.md):
//   agreement: every commit of a slot carries the same value (the batch's description);
//   integrity: a node commits a slot with one value (a restarted proposer or learner may
//              commit it again, with the same value);
//   validity:  every delivered value is the value of some client's REQUEST;
//   order:     each learner process delivers in non-decreasing slot order, and a client is
//              told the slot at which the learners delivered its value;
//   replicas:  learners deliver the same values from each slot (docs/MULTI.md: every learner
//              skips the same re-proposed copies), compared where their runs overlap.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <sstream>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {
namespace {

// A multi-mode violation can name thousands of records; `most` keeps the report readable.
void show(const Timeline& t, const std::vector<size_t>& indices, std::ostream& out,
          size_t most = SIZE_MAX) {
  for (size_t k = 0; k < indices.size() && k < most; ++k)
    out << "  " << t.records[indices[k]].where << ": " << t.records[indices[k]].json << "\n";
  if (indices.size() > most) out << fmt::format("  … and {} more\n", indices.size() - most);
}

constexpr size_t kShown = 6;

bool isMultiMessage(const Record& r) {
  static const std::set<std::string> kTypes = {"PREPARE_ALL", "PROMISE_ALL", "HEARTBEAT",
                                               "PROGRESS", "CATCHUP"};
  return r.msg && kTypes.contains(*r.msg);
}

std::string quoted(const std::map<std::string, std::vector<size_t>>& byValue) {
  std::vector<std::string> values;
  for (const auto& [value, _] : byValue) values.push_back("'" + printable(value) + "'");
  return fmt::format("{}", fmt::join(values, " and "));
}

using Process = std::pair<uint32_t, int64_t>;  // (node, runStart): one run of a node

// "n6", or "n6 run 2" for the second run of a node that restarted.
std::string name(const Timeline& t, const Process& process) {
  std::set<int64_t> runs;
  for (const Record& r : t.records)
    if (r.node == process.first) runs.insert(r.runStart);
  if (runs.size() < 2) return fmt::format("n{}", process.first);
  return fmt::format("n{} run {}", process.first,
                     std::distance(runs.begin(), runs.find(process.second)) + 1);
}

// Learner processes that delivered slot s must have delivered the same values from it. A
// process speaks for the slots from its first delivery to its last; a run that did not exit
// cleanly may have died within its last slot, so that one is left out.
bool sameDeliveries(const Timeline& t, const std::map<Process, std::vector<size_t>>& delivers,
                    const std::set<Process>& exited, std::ostream& out) {
  std::map<uint64_t, std::map<Process, std::vector<size_t>>> bySlot;
  std::map<Process, std::pair<uint64_t, uint64_t>> span;
  for (const auto& [process, list] : delivers) {
    uint64_t first = UINT64_MAX, last = 0;
    for (size_t i : list) {
      uint64_t slot = *t.records[i].inst;
      bySlot[slot][process].push_back(i);
      first = std::min(first, slot), last = std::max(last, slot);
    }
    if (!exited.contains(process)) {
      if (last == first) continue;
      --last;
    }
    span[process] = {first, last};
  }
  size_t differing = 0;
  for (const auto& [slot, byProcess] : bySlot) {
    std::map<std::multiset<std::string>, std::vector<Process>> versions;
    for (const auto& [process, range] : span) {
      if (slot < range.first || slot > range.second) continue;
      std::multiset<std::string> values;
      if (auto it = byProcess.find(process); it != byProcess.end())
        for (size_t i : it->second) values.insert(*t.records[i].value);
      versions[values].push_back(process);
    }
    if (versions.size() < 2 || differing++ > 0) continue;  // the first slot in full, then a count
    out << fmt::format(
        "replica agreement violated: learners delivered different values from slot {}:\n", slot);
    // Listed in the order of their first process, so n5 comes before n6; each with the values
    // it delivered that not every one of them did (a batch can hold hundreds).
    std::vector<std::pair<std::vector<Process>, std::multiset<std::string>>> listed;
    for (const auto& [values, processes] : versions) listed.emplace_back(processes, values);
    std::sort(listed.begin(), listed.end());
    std::multiset<std::string> common = listed.front().second;
    for (const auto& [_, values] : listed) {
      std::multiset<std::string> both;
      std::set_intersection(common.begin(), common.end(), values.begin(), values.end(),
                            std::inserter(both, both.end()));
      common = std::move(both);
    }
    std::set<std::string> extra;  // values not delivered alike: their records are shown
    for (const auto& [processes, values] : listed) {
      std::vector<std::string> names, shown;
      for (const auto& process : processes) names.push_back(name(t, process));
      std::multiset<std::string> beyond;
      std::set_difference(values.begin(), values.end(), common.begin(), common.end(),
                          std::inserter(beyond, beyond.end()));
      for (const auto& value : beyond)
        shown.push_back("'" + printable(value) + "'"), extra.insert(value);
      out << fmt::format(
          "  {}: {} value(s){}\n", fmt::join(names, ", "), values.size(),
          beyond.empty() ? "" : fmt::format("; not delivered by all: {}", fmt::join(shown, ", ")));
    }
    std::vector<size_t> records;
    for (const auto& [process, list] : byProcess)
      for (size_t i : list)
        if (extra.contains(*t.records[i].value)) records.push_back(i);
    std::sort(records.begin(), records.end());
    show(t, records, out, kShown);
  }
  if (differing > 1) out << fmt::format("  ({} slots differ in all)\n", differing);
  return differing == 0;
}

// The replicated log's properties; `requested` holds every REQUEST value seen.
bool checkLog(const Timeline& t, const std::set<std::string>& requested, std::ostream& out) {
  std::map<uint64_t, std::vector<size_t>> commits;  // slot -> commit records
  std::map<std::string, std::vector<size_t>> unrequested;
  // A process is a node's run: a restarted learner delivers again from its first slot.
  std::map<Process, std::vector<size_t>> learnerDelivers;
  std::set<Process> exited;  // runs whose last record is a clean exit
  std::vector<size_t> clientDelivers;
  std::map<std::string, std::set<uint64_t>> learnerSlots;  // value -> slots learners put it in
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    if (r.event == "exit") exited.insert({r.node, r.runStart});
    if (r.event == "commit") commits[*r.inst].push_back(i);
    if (r.event != "deliver") continue;
    if (!requested.contains(*r.value)) unrequested[*r.value].push_back(i);
    if (r.role == "client") {
      clientDelivers.push_back(i);
    } else {
      learnerDelivers[{r.node, r.runStart}].push_back(i);
      learnerSlots[*r.value].insert(*r.inst);
    }
  }

  bool ok = true;
  for (const auto& [slot, list] : commits) {
    std::map<std::string, std::vector<size_t>> byValue;
    std::map<uint32_t, std::map<std::string, std::vector<size_t>>> byNode;
    for (size_t i : list) {
      byValue[*t.records[i].value].push_back(i);
      byNode[t.records[i].node][*t.records[i].value].push_back(i);
    }
    if (byValue.size() > 1) {
      ok = false;
      out << fmt::format("agreement violated: slot {} committed as {}\n", slot, quoted(byValue));
      show(t, list, out);
    }
    for (const auto& [node, values] : byNode) {
      if (values.size() < 2) continue;
      ok = false;
      std::vector<size_t> records;
      for (const auto& [_, indices] : values)
        records.insert(records.end(), indices.begin(), indices.end());
      std::sort(records.begin(), records.end());
      out << fmt::format("integrity violated: n{} committed slot {} as {}\n", node, slot,
                         quoted(values));
      show(t, records, out);
    }
  }
  for (const auto& [value, records] : unrequested) {
    ok = false;
    out << fmt::format("validity violated: '{}' delivered {} time(s), but no client proposed it\n",
                       printable(value), records.size());
    show(t, records, out, kShown);
  }
  for (const auto& [process, list] : learnerDelivers) {
    // One report per process: after the first step back, later ones are mostly its echo.
    std::optional<size_t> previous;
    size_t back = 0;
    std::vector<size_t> first;
    for (size_t i : list) {
      if (previous && *t.records[i].inst < *t.records[*previous].inst) {
        if (back++ == 0) first = {*previous, i};
      }
      previous = i;
    }
    if (back == 0) continue;
    ok = false;
    out << fmt::format(
        "order violated: {} delivered slot {} after slot {} ({} step(s) back in this process)\n",
        name(t, process), *t.records[first[1]].inst, *t.records[first[0]].inst, back);
    show(t, first, out);
  }
  if (!sameDeliveries(t, learnerDelivers, exited, out)) ok = false;
  std::map<uint32_t, std::vector<size_t>> mismatched;  // client -> its deliver records
  for (size_t i : clientDelivers) {
    auto it = learnerSlots.find(*t.records[i].value);
    if (it != learnerSlots.end() && !it->second.contains(*t.records[i].inst))
      mismatched[t.records[i].node].push_back(i);
  }
  for (const auto& [client, records] : mismatched) {
    ok = false;
    const Record& r = t.records[records.front()];
    out << fmt::format(
        "order violated: client n{} was told {} value(s) decided at other slots than the learners "
        "delivered them; first '{}' at slot {}, learners at slot {}\n",
        client, records.size(), printable(*r.value), *r.inst,
        fmt::join(learnerSlots.at(*r.value), " and "));
    show(t, records, out, kShown);
  }
  if (!ok) return false;

  std::set<uint32_t> committers, learners, clients;
  std::set<std::pair<uint64_t, std::string>> delivered;  // by learners: (slot, value)
  size_t answered = 0;
  for (const auto& [slot, list] : commits)
    for (size_t i : list) committers.insert(t.records[i].node);
  for (const auto& [process, list] : learnerDelivers) {
    learners.insert(process.first);
    for (size_t i : list) delivered.emplace(*t.records[i].inst, *t.records[i].value);
  }
  for (size_t i : clientDelivers) clients.insert(t.records[i].node), ++answered;
  out << fmt::format("ok: {} slots committed by {} nodes, {} values delivered by {} learners",
                     commits.size(), committers.size(), delivered.size(), learners.size());
  if (!clients.empty()) out << fmt::format(", {} answers to {} clients", answered, clients.size());
  out << "\n";
  return true;
}

}  // namespace

int check(const Timeline& t, std::ostream& out) {
  // A proposer's REQUEST recv counts as well as the client's send: it proves the send even when
  // the client's trace is missing.
  std::set<std::string> requested;
  std::map<uint64_t, std::vector<size_t>> decides;  // instance -> decide records
  bool multi = false;
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    if ((r.event == "send" || r.event == "recv") && r.msg == "REQUEST" && r.value)
      requested.insert(*r.value);
    // Multi mode's REQUESTs carry batches (traced decoded): each value has a client's propose.
    if (r.event == "propose" && r.value) requested.insert(*r.value);
    // Basic mode has one instance, 0; a decide that leaves inst null means that one.
    if (r.event == "decide") decides[r.inst.value_or(0)].push_back(i);
    if (r.event == "commit" || r.event == "deliver" || isMultiMessage(r)) multi = true;
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
  // The log's summary line is written only when all of it holds, after the basic report.
  std::ostringstream log;
  if (multi && !checkLog(t, requested, log)) ok = false;
  if (!ok) {
    out << log.str();
    return 1;
  }
  if (decides.empty() && !multi)
    out << "ok: 0 decisions (nothing was decided, so nothing disagrees)\n";
  for (const auto& [inst, list] : decides) {
    std::set<uint32_t> nodes;
    for (size_t i : list) nodes.insert(t.records[i].node);
    out << fmt::format("ok: {}{} decisions of {} by {} nodes\n",
                       decides.size() > 1 ? fmt::format("inst {}: ", inst) : "", list.size(),
                       *t.records[list.front()].value, nodes.size());
  }
  out << log.str();
  return 0;
}

}  // namespace paxos::tracetool
