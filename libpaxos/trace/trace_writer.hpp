// The machine trace of one process: one JSON object per line (docs/TRACE.md), fields in a fixed
// order, flushed per line so that a process killed mid-run leaves a complete trace behind.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "wire/message.hpp"

namespace paxos::trace {

struct Record {
  std::string event;
  std::optional<wire::Type> msg;  // for send, recv, drop
  std::optional<uint32_t> seq;    // the sender's datagram number: mid is "from:seq"
  std::optional<uint32_t> from, to;
  std::optional<uint64_t> instance;
  std::optional<wire::Ballot> ballot;
  std::optional<std::string> value;

  // A record with only an event and, perhaps, a value; the caller sets the rest.
  static Record of(std::string event, std::optional<std::string> value = std::nullopt) {
    Record r;
    r.event = std::move(event);
    r.value = std::move(value);
    return r;
  }
};

class TraceWriter {
 public:
  // Opens FILE for appending; throws std::runtime_error with one line if it cannot.
  TraceWriter(const std::string& path, uint32_t node);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // `role` is the writer's role now; `ts` nanoseconds on the monotonic clock.
  void write(int64_t ts, const std::string& role, const Record& record);
  // A send, recv or drop of a decoded message: type, mid, from, to and the fields it carries.
  // `batches`: multi mode, whose slot values are shown as decoded batches (wire::describeBatch).
  static Record forMessage(std::string event, const wire::Message& message, uint32_t to,
                           bool batches = false);

 private:
  std::FILE* file_;
  uint32_t node_;
  uint64_t seq_ = 0;
};

}  // namespace paxos::trace
