// What a core state machine asks its driver to do after one step: messages to send, lines to
// log, a newly decided value, and whether to exit. The core never does any of it itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace paxos::core {

struct Envelope {
  uint32_t to;
  wire::Message message;  // `from` and `hostsHash` are stamped by the owning Node or Client
};

enum class Level { debug, info, warn, error };

struct Note {
  Level level;
  std::string text;
};

struct Outbox {
  std::vector<Envelope> messages;
  std::vector<Note> notes;
  std::optional<std::string> decided;  // set in the step where this process first learns it
  std::optional<int> exitCode;         // set when the process should exit

  void send(uint32_t to, wire::Message message) { messages.push_back({to, std::move(message)}); }
  void note(Level level, std::string text) { notes.push_back({level, std::move(text)}); }
  void clear() { *this = Outbox{}; }
};

}  // namespace paxos::core
