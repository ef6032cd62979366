#include "tracetool/record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <tuple>

namespace paxos::tracetool {
namespace {

using Json = nlohmann::ordered_json;  // keeps the line's key order, which the contract fixes

constexpr std::array<std::string_view, 12> kFields = {
    "ts", "node", "seq", "role", "event", "msg", "mid", "from", "to", "inst", "ballot", "value"};
const std::set<std::string, std::less<>> kRoles = {"electing", "proposer", "acceptor", "learner",
                                                   "client"};
const std::set<std::string, std::less<>> kEvents = {
    "send",   "recv",   "drop",   "timeout", "elect",   "role",  "promise",
    "accept", "decide", "commit", "deliver", "propose", "crash", "exit"};

// Compiled once: building a std::regex costs far more than matching one.
const std::regex kType("[A-Z][A-Z_]*");
const std::regex kMid(R"((\d{1,10}):(\d{1,20}))");
const std::regex kBallot(R"(\d{1,20}\.\d{1,10})");

// Field readers: each throws "WHERE: FIELD: reason" so the message names the offending field.
struct Reader {
  const Json& object;
  const std::string& where;

  [[noreturn]] void fail(std::string_view field, const std::string& reason) const {
    throw InputError(fmt::format("{}: {}: {}", where, field, reason));
  }

  std::optional<uint64_t> integer(std::string_view field, uint64_t max, bool nullable) const {
    const Json& v = object.at(std::string(field));
    if (v.is_null() && nullable) return std::nullopt;
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
      auto n = v.get<uint64_t>();
      if (n > max) fail(field, fmt::format("{} is out of range (at most {})", n, max));
      return n;
    }
    fail(field, fmt::format("expected a non-negative integer{}, found {}",
                            nullable ? " or null" : "", v.dump()));
  }

  std::optional<std::string> text(std::string_view field, bool nullable) const {
    const Json& v = object.at(std::string(field));
    if (v.is_null() && nullable) return std::nullopt;
    if (!v.is_string())
      fail(field,
           fmt::format("expected a string{}, found {}", nullable ? " or null" : "", v.dump()));
    return v.get<std::string>();
  }
};

// The exact key set, in the contract's order: a missing or extra key is a writer bug.
void checkKeys(const Json& object, const std::string& where) {
  size_t i = 0;
  for (const auto& [key, value] : object.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end())
      throw InputError(fmt::format("{}: unknown field '{}'", where, key));
    if (key != kFields[i])  // keys are unique and known, so i < 12
      throw InputError(fmt::format("{}: field '{}' where '{}' belongs (order: {})", where, key,
                                   kFields[i], fmt::join(kFields, ", ")));
    ++i;
  }
  if (i < kFields.size())
    throw InputError(fmt::format("{}: missing field '{}'", where, kFields[i]));
}

// The message-related fields must agree with each other, or matching sends to receives breaks.
void checkMessage(const Record& r, const Reader& read) {
  bool sendOrRecv = r.event == "send" || r.event == "recv";
  if (sendOrRecv) {
    if (!r.msg) read.fail("msg", "a " + r.event + " needs the message type");
    if (!r.mid) read.fail("mid", "a " + r.event + " needs the message id");
    if (!r.from || !r.to) read.fail(r.from ? "to" : "from", "a " + r.event + " needs from and to");
  }
  if (r.msg && !std::regex_match(*r.msg, kType))
    read.fail("msg", "expected a message type like PREPARE, found '" + *r.msg + "'");
  if (r.event == "send" && r.from != r.node)
    read.fail("from", fmt::format("a send must come from its node {}", r.node));
  if ((r.event == "recv" || r.event == "drop") && r.to && r.to != r.node)
    read.fail("to", fmt::format("a {} must be addressed to its node {}", r.event, r.node));
  if (r.mid) {
    std::smatch parts;
    if (!std::regex_match(*r.mid, parts, kMid))
      read.fail("mid", "expected \"FROM:N\", found '" + *r.mid + "'");
    if (r.from && parts[1].str() != std::to_string(*r.from))
      read.fail("mid", fmt::format("'{}' does not start with the sender {}", *r.mid, *r.from));
  }
}

}  // namespace

std::string printable(std::string_view text, size_t most) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::string unit = byte == '\n'                  ? std::string("\\n")
                       : byte == '\r'                ? std::string("\\r")
                       : byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte)
                                                     : std::string(1, text[i]);
    if (out.size() + unit.size() > most) {
      // Cut on a UTF-8 character boundary, and say how long the value really was.
      auto continues = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
      if (continues(text[i])) {  // the character under the cut began in `out`: drop all of it
        while (!out.empty() && continues(out.back())) out.pop_back();
        if (!out.empty()) out.pop_back();
      }
      return out + fmt::format("… ({} bytes)", text.size());
    }
    out += unit;
  }
  return out;
}

Record parseRecord(std::string_view line, const std::string& where) {
  Json object;
  try {
    object = Json::parse(line);
  } catch (const Json::parse_error& e) {
    // nlohmann's text starts with "[json.exception.parse_error.101] "; the rest is the reason.
    std::string what = e.what();
    throw InputError(fmt::format("{}: not JSON: {}", where, what.substr(what.find(' ') + 1)));
  }
  if (!object.is_object()) throw InputError(where + ": expected a JSON object, one per line");
  checkKeys(object, where);

  Reader read{object, where};
  Record r;
  r.where = where;
  r.json = std::string(line);
  r.ts = static_cast<int64_t>(*read.integer("ts", INT64_MAX, false));
  r.node = static_cast<uint32_t>(*read.integer("node", UINT32_MAX, false));
  r.seq = *read.integer("seq", UINT64_MAX, false);
  if (r.seq == 0) read.fail("seq", "starts at 1");
  r.role = *read.text("role", false);
  if (!kRoles.contains(r.role)) read.fail("role", "unknown role '" + r.role + "'");
  r.event = *read.text("event", false);
  if (!kEvents.contains(r.event)) read.fail("event", "unknown event '" + r.event + "'");
  r.msg = read.text("msg", true);
  r.mid = read.text("mid", true);
  if (auto from = read.integer("from", UINT32_MAX, true)) r.from = static_cast<uint32_t>(*from);
  if (auto to = read.integer("to", UINT32_MAX, true)) r.to = static_cast<uint32_t>(*to);
  r.inst = read.integer("inst", UINT64_MAX, true);
  r.ballot = read.text("ballot", true);
  if (r.ballot && !std::regex_match(*r.ballot, kBallot))
    read.fail("ballot", "expected \"round.uid\", found '" + *r.ballot + "'");
  r.value = read.text("value", true);
  if (r.event == "decide" && !r.value) read.fail("value", "a decide needs the decided value");
  // Multi mode: a slot decided (its batch described) or one client value delivered from it.
  if ((r.event == "commit" || r.event == "deliver") && !r.value)
    read.fail("value", "a " + r.event + " needs its value");
  if ((r.event == "commit" || r.event == "deliver") && !r.inst)
    read.fail("inst", "a " + r.event + " needs its slot");
  checkMessage(r, read);
  return r;
}

std::vector<std::string> traceFiles(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::set<fs::path> seen;  // a file named twice (or inside a named directory) is read once
  auto add = [&](const fs::path& path) {
    if (seen.insert(fs::weakly_canonical(path)).second) files.push_back(path.string());
  };
  for (const auto& input : inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(input, error)) {
        std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name.size() > 12 && name.ends_with(".trace.jsonl"))
          found.push_back(entry.path());
      }
      if (error) throw InputError(input + ": " + error.message());
      if (found.empty()) throw InputError(input + ": no *.trace.jsonl files in this directory");
      std::sort(found.begin(), found.end());
      for (const auto& path : found) add(path);
    } else if (fs::is_regular_file(input, error)) {
      add(input);
    } else {
      throw InputError(input + ": no such file or directory");
    }
  }
  return files;
}

std::vector<Record> loadRecords(const std::vector<std::string>& inputs) {
  std::vector<Record> records;
  for (const auto& file : traceFiles(inputs)) {
    std::ifstream in(file);
    if (!in) throw InputError(file + ": cannot read: " + std::strerror(errno));
    std::map<uint32_t, std::pair<uint64_t, int64_t>> last;  // node -> (seq, runStart)
    std::string line;
    for (size_t number = 1; std::getline(in, line); ++number) {
      Record r = parseRecord(line, fmt::format("{}:{}", file, number));
      auto it = last.find(r.node);
      if (r.seq == 1) {
        it = last.insert_or_assign(r.node, std::pair{uint64_t{1}, r.ts}).first;
      } else if (it == last.end()) {
        throw InputError(fmt::format("{}: seq {} is the first record of n{}, expected seq 1",
                                     r.where, r.seq, r.node));
      } else if (r.seq != it->second.first + 1) {
        throw InputError(fmt::format("{}: seq {} of n{} follows {}, expected {} (or 1 on restart)",
                                     r.where, r.seq, r.node, it->second.first,
                                     it->second.first + 1));
      } else {
        it->second.first = r.seq;
      }
      r.runStart = it->second.second;
      records.push_back(std::move(r));
    }
  }
  if (records.empty()) throw InputError("no trace records in the input");
  // The same record in two files (a copied trace) would merge into nonsense.
  std::map<std::tuple<uint32_t, int64_t, uint64_t>, const Record*> ids;
  for (const auto& r : records) {
    auto [it, fresh] = ids.emplace(std::tuple{r.node, r.runStart, r.seq}, &r);
    if (!fresh)
      throw InputError(
          fmt::format("{}: n{} seq {} also at {}", r.where, r.node, r.seq, it->second->where));
  }
  return records;
}

bool isMessage(const Record& r) {
  return r.event == "send" || r.event == "recv" || r.event == "drop";
}

const std::vector<std::string>& messageTypes() {
  static const std::vector<std::string> types = {
      "ELECT",   "ELECT_ACK", "LEADER",      "LEADER_ACK",  "START",     "START_ACK", "START_Q",
      "REQUEST", "PREPARE",   "PROMISE",     "ACCEPT",      "ACCEPTED",  "NACK",      "DECIDED",
      "DONE",    "DONE_ACK",  "PREPARE_ALL", "PROMISE_ALL", "HEARTBEAT", "PROGRESS",  "CATCHUP"};
  return types;
}

std::string describe(const Record& r) {
  std::string text = r.event;
  if (r.event == "drop" && !r.msg) text += " malformed datagram";
  if (r.msg) text += " " + *r.msg;
  if (r.inst) text += fmt::format(" inst {}", *r.inst);
  if (r.ballot) text += " ballot " + *r.ballot;
  if (r.value) {
    std::string value = printable(*r.value);
    if (r.event == "elect" && r.value == "lead")
      text += " leading";  // multi mode: this proposer's phase 1 for every slot succeeded
    else if (r.event == "elect")
      text += " leader n" + value;
    else if (r.event == "role")
      text += " " + value;
    else if (r.event == "exit")
      text += " code " + value;
    else if (r.event == "crash")
      text += " at " + value;  // the --crash-at event that fired
    else
      text += " value '" + value + "'";
  }
  if (r.event == "send" && r.to) text += fmt::format(" to n{}", *r.to);
  if (r.event != "send" && r.from) text += fmt::format(" from n{}", *r.from);
  if (r.mid) text += " [" + *r.mid + "]";
  return text;
}

}  // namespace paxos::tracetool
