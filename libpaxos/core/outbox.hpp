// What a core state machine asks its driver to do after one step: state to persist, messages
// to send, lines to log, a newly decided value, and whether to exit. The core never does any of it
// itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wire/batch.hpp"
#include "wire/message.hpp"

namespace paxos::core {

struct Envelope {
  uint32_t to;
  wire::Message message;  // `from` and `hostsHash` are stamped by the owning Node or Client
};

enum class Level { debug, info, warn, error };

// A protocol event worth a trace record (docs/TRACE.md): elect, role, promise, accept, decide.
struct Event {
  std::string kind;
  std::optional<uint64_t> instance;  // none for elect and role
  wire::Ballot ballot;
  std::optional<std::string> value;
};

struct Note {
  Level level;
  std::string text;
};

// An acceptor's memory for one instance. Promise and acceptance must survive a crash.
struct AcceptorState {
  wire::Ballot promised;  // highest ballot promised (P1a: accept nothing lower)
  wire::Ballot acceptedBallot;
  std::string acceptedValue;
  bool operator==(const AcceptorState&) const = default;
};

// What a node recovers from its disk after a restart.
struct DurableState {
  std::map<uint64_t, AcceptorState> acceptor;  // instance -> state, for an acceptor
  uint64_t proposerRound = 0;                  // highest round tried, for a proposer
  // Multi mode: the acceptor's promise for every slot (PREPARE_ALL), and the slot below which it
  // has forgotten the log because every learner delivered it.
  wire::Ballot promisedAll;
  uint64_t trimmedBelow = 0;
};

struct Outbox {
  // Acceptor state to make durable BEFORE any message of this step leaves: a reply promises
  // what the disk must remember.
  std::vector<std::pair<uint64_t, AcceptorState>> persist;
  // A proposer's new highest round, also durable before its PREPAREs leave: a restarted
  // proposer that reused a round could put two values under one ballot.
  std::optional<uint64_t> persistRound;
  std::optional<wire::Ballot> persistPromisedAll;
  std::optional<uint64_t> persistTrim;  // forget acceptor instances below this
  std::vector<Envelope> messages;
  std::vector<Note> notes;
  std::vector<Event> events;
  std::optional<std::string> decided;  // set in the step where this process first learns it
  std::vector<std::string> output;     // multi mode: lines for stdout, in order
  // Service mode: each command a learner delivered, in log order, with its slot (instead of
  // output: the replica applies them).
  std::vector<std::pair<uint64_t, wire::Command>> delivered;
  std::optional<int> exitCode;  // set when the process should exit
  // Messages the core dropped as untrustworthy (another hosts hash, an unknown sender, a forged
  // or absurd ballot); the driver counts them.
  int refused = 0;
  // Whether the driver logs debug notes and writes a trace. Formatting a debug line or a trace
  // event costs more than most protocol steps, so the core builds them only for a reader.
  bool debugging = true;
  bool tracing = true;

  void send(uint32_t to, wire::Message message) { messages.push_back({to, std::move(message)}); }
  void note(Level level, std::string text) { notes.push_back({level, std::move(text)}); }
  // A debug note; `text` (a callable returning the line) runs only if someone reads it.
  template <class Text>
  void debug(Text&& text) {
    if (debugging) notes.push_back({Level::debug, text()});
  }
  void event(std::string kind, std::optional<uint64_t> instance, wire::Ballot ballot,
             std::optional<std::string> value) {
    if (tracing) events.push_back({std::move(kind), instance, ballot, std::move(value)});
  }
  bool mustPersist() const {
    return !persist.empty() || persistRound || persistPromisedAll || persistTrim;
  }
  // Empties it for the next step; keeps the flags, and the vectors' memory.
  void clear() {
    persist.clear();
    persistRound.reset();
    persistPromisedAll.reset();
    persistTrim.reset();
    messages.clear();
    notes.clear();
    events.clear();
    decided.reset();
    output.clear();
    delivered.clear();
    exitCode.reset();
    refused = 0;
  }
};

// Applies a step's durable changes: what the disk (or the simulator's) must hold before the
// step's messages leave.
inline void applyDurable(const Outbox& out, DurableState& d) {
  for (const auto& [instance, state] : out.persist) d.acceptor[instance] = state;
  if (out.persistRound) d.proposerRound = *out.persistRound;
  if (out.persistPromisedAll) d.promisedAll = *out.persistPromisedAll;
  if (out.persistTrim) {
    d.trimmedBelow = *out.persistTrim;
    d.acceptor.erase(d.acceptor.begin(), d.acceptor.lower_bound(d.trimmedBelow));
  }
}

}  // namespace paxos::core
