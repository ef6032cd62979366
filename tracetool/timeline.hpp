// All records of a run in one causal order: a topological order of happens-before, where each
// node's records are ordered by seq and a send happens before every recv (or drop) of its mid.
// Clocks of processes never decide order on their own; ts only breaks ties (then node UID).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tracetool/record.hpp"

namespace paxos::tracetool {

struct Timeline {
  std::vector<Record> records;                // causal order
  std::vector<std::optional<size_t>> sendOf;  // a recv or drop: its send, if that was traced
  std::vector<std::vector<size_t>> arrivals;  // a send: its recv and drop records
  std::vector<uint32_t> nodes;                // every UID with records or named as a peer
  std::set<uint32_t> traced;                  // UIDs with records
  int64_t t0 = 0;                             // smallest ts: time zero for display

  double ms(size_t i) const { return static_cast<double>(records[i].ts - t0) / 1e6; }
  bool delivered(size_t send) const;  // some recv (not only drops) of this send was traced
};

// Throws InputError when the records admit no causal order (a recv before its own send).
Timeline buildTimeline(std::vector<Record> records);

inline Timeline loadTimeline(const std::vector<std::string>& inputs) {
  return buildTimeline(loadRecords(inputs));
}

}  // namespace paxos::tracetool
