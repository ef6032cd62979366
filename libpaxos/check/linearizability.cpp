#include "check/linearizability.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace paxos::check {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int32_t kAbsent = -1;

// One key's operations, indexed 0..n-1, with what the search needs precomputed.
struct KeyHistory {
  std::vector<const Operation*> ops;
  // put: the canonical id of the value it writes (the first put of that value);
  // get with a value: the canonical id of the value read.
  std::vector<int32_t> valueId;
  std::vector<int64_t> complete;  // kNever for unknown outcomes
};

// A call or return event in porcupine's doubly linked list; index 0 is the head sentinel.
struct Entry {
  int32_t op = -1;
  bool call = false;
  int32_t match = -1;  // a call's return entry
  int32_t prev = -1;
  int32_t next = -1;
};

struct Config {
  std::vector<uint64_t> linearized;
  int32_t state;
  uint64_t hash;
  bool operator==(const Config& other) const {
    return state == other.state && linearized == other.linearized;
  }
};
struct ConfigHash {
  size_t operator()(const Config& c) const { return c.hash; }
};

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The model's transition; false if `op` cannot take effect in `state`.
bool step(const KeyHistory& h, int32_t i, int32_t state, int32_t& next) {
  const Operation& op = *h.ops[i];
  switch (op.kind) {
    case OpKind::Put:
      next = h.valueId[i];
      return true;
    case OpKind::Delete:
      next = kAbsent;
      if (op.outcome == Outcome::Ok) return state != kAbsent;
      if (op.outcome == Outcome::NotFound) return state == kAbsent;
      return true;  // unknown: deleted it, or found nothing
    case OpKind::Get:
      next = state;
      if (op.outcome == Outcome::Value) return state == h.valueId[i];
      if (op.outcome == Outcome::NotFound) return state == kAbsent;
      return true;
  }
  return false;
}

std::string stateText(const KeyHistory& h, int32_t state) {
  if (state == kAbsent) return "absent";
  return fmt::format("\"{}\" (from {})", h.ops[state]->value, describe(*h.ops[state]));
}

// Why `op` cannot come next with the register in `state`.
std::string reason(const KeyHistory& h, int32_t i, int32_t state) {
  const Operation& op = *h.ops[i];
  if (op.kind == OpKind::Get && op.outcome == Outcome::Value)
    return fmt::format("it read \"{}\" but the register held {}", op.value, stateText(h, state));
  if (op.outcome == Outcome::NotFound)
    return fmt::format("it found nothing but the register held {}", stateText(h, state));
  if (op.kind == OpKind::Delete && op.outcome == Outcome::Ok)
    return "it deleted a value but the register was absent";
  return fmt::format("with the register {}, no order of the operations concurrent with it works",
                     stateText(h, state));
}

struct KeyVerdict {
  bool ok = true;
  bool inconclusive = false;
  std::string explanation;
};

KeyVerdict checkKey(KeyHistory& h, const CheckOptions& options) {
  const int32_t n = static_cast<int32_t>(h.ops.size());
  // Values are unique per key, so a read names the write it saw.
  std::unordered_map<std::string, int32_t> firstPut;
  for (int32_t i = 0; i < n; ++i)
    if (h.ops[i]->kind == OpKind::Put) firstPut.emplace(h.ops[i]->value, i);
  h.valueId.assign(n, kAbsent);
  h.complete.assign(n, kNever);
  for (int32_t i = 0; i < n; ++i) {
    const Operation& op = *h.ops[i];
    if (op.outcome != Outcome::Unknown) h.complete[i] = op.complete;
    if (op.kind == OpKind::Put || (op.kind == OpKind::Get && op.outcome == Outcome::Value)) {
      auto it = firstPut.find(op.value);
      if (it == firstPut.end())
        return {false, false, fmt::format("{} read a value that no put wrote", describe(op))};
      h.valueId[i] = it->second;
    }
  }
  // An unknown put that some get observed took effect before that get completed: the earliest
  // such completion bounds it (fewer pending operations, a smaller search).
  for (int32_t i = 0; i < n; ++i) {
    const Operation& op = *h.ops[i];
    if (op.kind == OpKind::Get && op.outcome == Outcome::Value) {
      int32_t w = h.valueId[i];
      if (h.ops[w]->outcome == Outcome::Unknown && op.complete >= h.ops[w]->invoke)
        h.complete[w] = std::min(h.complete[w], op.complete);
    }
  }

  // Events sorted by time; at equal times calls first (touching intervals count as concurrent).
  struct Event {
    int64_t time;
    bool call;
    int32_t op;
  };
  std::vector<Event> events;
  events.reserve(2 * n);
  for (int32_t i = 0; i < n; ++i) {
    events.push_back({h.ops[i]->invoke, true, i});
    events.push_back({std::max(h.complete[i], h.ops[i]->invoke), false, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.call != b.call) return a.call;
    return a.op < b.op;
  });
  std::vector<Entry> list(events.size() + 1);
  std::vector<int32_t> returnOf(n);
  for (size_t k = 0; k < events.size(); ++k) {
    Entry& e = list[k + 1];
    e.op = events[k].op;
    e.call = events[k].call;
    e.prev = static_cast<int32_t>(k);
    e.next = k + 1 < events.size() ? static_cast<int32_t>(k + 2) : -1;
    if (!e.call) returnOf[e.op] = static_cast<int32_t>(k + 1);
  }
  list[0].next = events.empty() ? -1 : 1;
  for (size_t k = 1; k < list.size(); ++k)
    if (list[k].call) list[k].match = returnOf[list[k].op];

  auto lift = [&](int32_t e) {
    Entry& c = list[e];
    list[c.prev].next = c.next;
    list[c.next].prev = c.prev;
    Entry& r = list[c.match];
    list[r.prev].next = r.next;
    if (r.next != -1) list[r.next].prev = r.prev;
  };
  auto unlift = [&](int32_t e) {
    Entry& c = list[e];
    Entry& r = list[c.match];
    list[r.prev].next = c.match;
    if (r.next != -1) list[r.next].prev = c.match;
    list[c.prev].next = e;
    list[c.next].prev = e;
  };

  std::vector<uint64_t> zobrist(n);
  for (int32_t i = 0; i < n; ++i) zobrist[i] = mix(static_cast<uint64_t>(i) + 1);
  std::vector<uint64_t> linearized((n + 63) / 64, 0);
  uint64_t hash = 0;
  int32_t state = kAbsent;
  std::unordered_set<Config, ConfigHash> cache;
  struct Frame {
    int32_t entry;
    int32_t state;
  };
  std::vector<Frame> calls;
  // For the explanation: the deepest prefix reached and the operation that blocked it.
  size_t deepest = 0;
  int32_t blocked = -1, blockedState = kAbsent, lastOfDeepest = -1;

  int32_t entry = list[0].next;
  while (list[0].next != -1) {
    const Entry& e = list[entry];
    if (e.call) {
      int32_t next;
      if (step(h, e.op, state, next)) {
        std::vector<uint64_t> bits = linearized;
        bits[e.op / 64] |= uint64_t{1} << (e.op % 64);
        uint64_t newHash = hash ^ zobrist[e.op];
        Config config{std::move(bits), next, newHash ^ mix(static_cast<uint64_t>(next) + 7)};
        if (cache.insert(std::move(config)).second) {
          if (cache.size() > options.maxStatesPerKey) return {true, true, {}};
          calls.push_back({entry, state});
          state = next;
          hash = newHash;
          linearized[e.op / 64] |= uint64_t{1} << (e.op % 64);
          lift(entry);
          entry = list[0].next;
          continue;
        }
      }
      entry = e.next;
    } else {
      if (calls.size() > deepest || blocked == -1) {
        deepest = calls.size();
        blocked = e.op;
        blockedState = state;
        lastOfDeepest = calls.empty() ? -1 : list[calls.back().entry].op;
      }
      if (calls.empty()) break;
      Frame top = calls.back();
      calls.pop_back();
      int32_t op = list[top.entry].op;
      state = top.state;
      hash ^= zobrist[op];
      linearized[op / 64] &= ~(uint64_t{1} << (op % 64));
      unlift(top.entry);
      entry = list[top.entry].next;
    }
  }
  if (list[0].next == -1) return {};

  std::string text = fmt::format(
      "{} cannot take effect: {}. The longest linearizable order found places {} of {} "
      "operations{}.",
      describe(*h.ops[blocked]), reason(h, blocked, blockedState), deepest, n,
      lastOfDeepest == -1 ? std::string()
                          : fmt::format(", the last being {}", describe(*h.ops[lastOfDeepest])));
  return {false, false, std::move(text)};
}

const char* kindName(OpKind kind) {
  switch (kind) {
    case OpKind::Put:
      return "put";
    case OpKind::Get:
      return "get";
    case OpKind::Delete:
      return "delete";
  }
  return "?";
}

}  // namespace

std::string describe(const Operation& op) {
  std::string what;
  switch (op.outcome) {
    case Outcome::Ok:
      what = "ok";
      break;
    case Outcome::Value:
      what = fmt::format("-> \"{}\"", op.value);
      break;
    case Outcome::NotFound:
      what = "-> not_found";
      break;
    case Outcome::Unknown:
      what = "unknown";
      break;
  }
  std::string value = op.kind == OpKind::Put ? fmt::format(" \"{}\"", op.value) : std::string();
  std::string span = op.outcome == Outcome::Unknown
                         ? fmt::format("[{}..]", op.invoke)
                         : fmt::format("[{}..{}]", op.invoke, op.complete);
  return fmt::format("#{} {} {}{} {} {}", op.id, op.client, kindName(op.kind), value, what, span);
}

CheckResult checkLinearizable(const std::vector<Operation>& history, const CheckOptions& options) {
  CheckResult result;
  std::map<std::string, KeyHistory> byKey;
  for (const Operation& op : history) {
    ++result.operations;
    // An unknown read constrains nothing.
    if (op.kind == OpKind::Get && op.outcome == Outcome::Unknown) {
      byKey[op.key];
      continue;
    }
    byKey[op.key].ops.push_back(&op);
  }
  result.keys = byKey.size();
  for (auto& [key, h] : byKey) {
    KeyVerdict verdict = checkKey(h, options);
    if (verdict.inconclusive) result.inconclusive = true;
    if (!verdict.ok) {
      result.linearizable = false;
      result.key = key;
      result.explanation = std::move(verdict.explanation);
      return result;
    }
  }
  return result;
}

}  // namespace paxos::check
