// One line of a trace file (docs/TRACE.md), parsed and checked against that contract. The tool
// refuses a trace that breaks it rather than guessing, so a writer's bug shows up at once.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace paxos::tracetool {

struct Record {
  int64_t ts = 0;  // ns, CLOCK_MONOTONIC
  uint32_t node = 0;
  uint64_t seq = 0;
  std::string role;
  std::string event;
  std::optional<std::string> msg;
  std::optional<std::string> mid;  // "FROM:N"
  std::optional<uint32_t> from;
  std::optional<uint32_t> to;
  std::optional<uint64_t> inst;
  std::optional<std::string> ballot;  // "round.uid"
  std::optional<std::string> value;
  // Not in the line: where it came from, and the ts of the first record of the same process
  // run (a restarted process starts again at seq 1), which orders a node's runs.
  std::string where;  // "FILE:LINE"
  int64_t runStart = 0;
  std::string json;  // the line as written: tooltips and check output show it verbatim
};

// A bad input. what() is "FILE:LINE: reason" (or "PATH: reason"); the tool exits 2 on it.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses one line; `where` is "FILE:LINE" and prefixes every error.
Record parseRecord(std::string_view line, const std::string& where);

// Inputs are directories (their *.trace.jsonl files, sorted) or files, each read once.
std::vector<std::string> traceFiles(const std::vector<std::string>& inputs);

// Every record of every input, in input order. Checks each node's seq: 1, 2, 3… in file order,
// where a return to 1 starts a new run of a restarted process.
std::vector<Record> loadRecords(const std::vector<std::string>& inputs);

bool isMessage(const Record& r);  // send, recv or drop

// The message types of docs/PROTOCOL.md in protocol order, for tables and legends.
const std::vector<std::string>& messageTypes();

// A value as one line of text: control bytes escaped (\n, \r, \xNN), and cut after `most`
// characters with its length in bytes (multi mode's ACCEPT carries a binary batch of commands).
std::string printable(std::string_view text, size_t most = 100);

// The record in words, without time and node: "recv PREPARE inst 0 ballot 1.0 from n0 [0:5]".
std::string describe(const Record& r);

}  // namespace paxos::tracetool
