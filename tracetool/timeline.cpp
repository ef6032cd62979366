#include "tracetool/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <tuple>

namespace paxos::tracetool {
namespace {

// With several sends of one mid (a restarted sender reuses its counter), a recv belongs to the
// latest one sent before it; failing that, to the first.
size_t matchSend(const std::vector<Record>& records, const std::vector<size_t>& sends,
                 size_t recv) {
  std::optional<size_t> best;
  for (size_t s : sends)
    if (records[s].ts <= records[recv].ts && (!best || records[s].ts > records[*best].ts)) best = s;
  return best.value_or(sends.front());
}

}  // namespace

bool Timeline::delivered(size_t send) const {
  return std::any_of(arrivals[send].begin(), arrivals[send].end(),
                     [&](size_t i) { return records[i].event == "recv"; });
}

Timeline buildTimeline(std::vector<Record> records) {
  size_t n = records.size();
  std::vector<std::vector<size_t>> after(n);
  std::vector<size_t> waiting(n, 0);  // unordered predecessors of each record
  auto edge = [&](size_t from, size_t to) {
    after[from].push_back(to);
    ++waiting[to];
  };

  std::map<uint32_t, std::vector<size_t>> byNode;
  std::map<std::string, std::vector<size_t>> sendsByMid;
  for (size_t i = 0; i < n; ++i) {
    byNode[records[i].node].push_back(i);
    if (records[i].event == "send") sendsByMid[*records[i].mid].push_back(i);
  }
  for (auto& [node, list] : byNode) {
    std::sort(list.begin(), list.end(), [&](size_t a, size_t b) {
      return std::tie(records[a].runStart, records[a].seq) <
             std::tie(records[b].runStart, records[b].seq);
    });
    for (size_t k = 1; k < list.size(); ++k) edge(list[k - 1], list[k]);
  }
  std::vector<std::optional<size_t>> sendOf(n);
  for (size_t i = 0; i < n; ++i) {
    const Record& r = records[i];
    if (r.event == "send" || !r.mid) continue;
    auto it = sendsByMid.find(*r.mid);
    if (it == sendsByMid.end()) continue;  // the sender's trace is missing: no edge
    sendOf[i] = matchSend(records, it->second, i);
    edge(*sendOf[i], i);
  }

  // Kahn's algorithm; among records whose predecessors are all placed, the earliest ts goes first.
  using Key = std::tuple<int64_t, uint32_t, int64_t, uint64_t, size_t>;
  auto key = [&](size_t i) {
    return Key{records[i].ts, records[i].node, records[i].runStart, records[i].seq, i};
  };
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.push(key(i));
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = std::get<4>(ready.top());
    ready.pop();
    order.push_back(i);
    for (size_t j : after[i])
      if (--waiting[j] == 0) ready.push(key(j));
  }
  if (order.size() < n) {
    // A cycle needs a recv that its node wrote before its own send: name the earliest such.
    std::optional<size_t> stuck;
    for (size_t i = 0; i < n; ++i)
      if (waiting[i] > 0 && sendOf[i] && waiting[*sendOf[i]] > 0 &&
          (!stuck || records[i].ts < records[*stuck].ts))
        stuck = i;
    if (!stuck) throw InputError("the records admit no causal order");
    throw InputError(fmt::format("{}: {} [{}] cannot follow its send at {}: no causal order",
                                 records[*stuck].where, records[*stuck].event, *records[*stuck].mid,
                                 records[*sendOf[*stuck]].where));
  }

  Timeline t;
  std::vector<size_t> position(n);
  for (size_t k = 0; k < n; ++k) position[order[k]] = k;
  t.sendOf.resize(n);
  t.arrivals.resize(n);
  std::set<uint32_t> nodes;
  for (size_t k = 0; k < n; ++k) {
    size_t i = order[k];
    if (sendOf[i]) {
      t.sendOf[k] = position[*sendOf[i]];
      t.arrivals[position[*sendOf[i]]].push_back(k);
    }
    const Record& r = records[i];
    nodes.insert(r.node);
    t.traced.insert(r.node);
    if (r.from) nodes.insert(*r.from);
    if (r.to) nodes.insert(*r.to);
  }
  for (size_t i : order) t.records.push_back(std::move(records[i]));
  t.nodes.assign(nodes.begin(), nodes.end());
  t.t0 = std::min_element(t.records.begin(), t.records.end(), [](const auto& a, const auto& b) {
           return a.ts < b.ts;
         })->ts;
  return t;
}

}  // namespace paxos::tracetool
