#include "trace/trace_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "wire/batch.hpp"

namespace paxos::trace {

using wire::Type;

TraceWriter::TraceWriter(const std::string& path, uint32_t node)
    // Appending keeps the trace of the run before a crash when a node restarts with the same
    // file; its seq starts again at 1, which paxos-trace reads as a new incarnation.
    : file_(std::fopen(path.c_str(), "a")), node_(node) {
  if (!file_) throw std::runtime_error(fmt::format("--trace {}: {}", path, std::strerror(errno)));
}

TraceWriter::~TraceWriter() {
  std::fclose(file_);
}

Record TraceWriter::forMessage(std::string event, const wire::Message& m, uint32_t to,
                               bool batches) {
  Record r = Record::of(std::move(event));
  r.msg = m.type;
  r.seq = m.seq;
  r.from = m.from;
  r.to = to;
  // Election, START and DONE belong to no instance.
  if ((m.type >= Type::request && m.type <= Type::decided) || m.type >= Type::prepareAll)
    r.instance = m.instance;
  switch (m.type) {
    case Type::prepare:
    case Type::promise:
    case Type::accept:
    case Type::accepted:
    case Type::nack:
    case Type::prepareAll:
    case Type::promiseAll:
      r.ballot = m.ballot;
      break;
    case Type::heartbeat:
      if (!m.ballot.none()) r.ballot = m.ballot;
      break;
    default:
      break;
  }
  switch (m.type) {
    case Type::request:
    case Type::accept:
    case Type::accepted:
    case Type::decided:
      r.value = m.value;
      break;
    case Type::promise:
      if (!m.accepted.none()) r.value = m.value;
      break;
    default:
      break;
  }
  // Multi mode's slot values are batches: shown decoded, as in the logs.
  if (batches && r.value) r.value = wire::describeBatch(*r.value);
  return r;
}

void TraceWriter::write(int64_t ts, const std::string& role, const Record& r) {
  auto optional = [](const auto& field) -> nlohmann::ordered_json {
    if (!field) return nullptr;
    return *field;
  };
  nlohmann::ordered_json line;
  line["ts"] = ts;
  line["node"] = node_;
  line["seq"] = ++seq_;
  line["role"] = role;
  line["event"] = r.event;
  line["msg"] = r.msg ? nlohmann::ordered_json(std::string(wire::typeName(*r.msg))) : nullptr;
  line["mid"] =
      r.seq && r.from ? nlohmann::ordered_json(fmt::format("{}:{}", *r.from, *r.seq)) : nullptr;
  line["from"] = optional(r.from);
  line["to"] = optional(r.to);
  line["inst"] = optional(r.instance);
  line["ballot"] = r.ballot ? nlohmann::ordered_json(wire::toString(*r.ballot)) : nullptr;
  line["value"] = optional(r.value);
  // Values are client bytes: replace invalid UTF-8 rather than throw.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fputs(text.c_str(), file_);
  std::fflush(file_);
}

}  // namespace paxos::trace
