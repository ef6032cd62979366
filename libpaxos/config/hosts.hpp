// The hosts file: who is in the cluster, where they listen, and how many of each Paxos role.
// Two formats (the seed's text format and YAML) parse into the same model.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/mode.hpp"

namespace paxos::config {

enum class Kind { consensus, client };

inline constexpr std::string_view kModeSyntax = "basic or multi";
std::string_view modeName(Mode mode);  // "basic" or "multi", the spelling both formats use
// Parses "basic" or "multi" (case-sensitive, like every keyword); nullopt otherwise.
std::optional<Mode> parseMode(std::string_view word);

// Fault injection for one node (DESIGN §5). Settable per host in YAML; condriver options override.
struct Faults {
  std::string crashAt;   // "EVENT" or "EVENT:N"; empty means never crash
  double drop = 0;       // probability of dropping an incoming datagram
  double duplicate = 0;  // probability of handling an incoming datagram twice
  int delayMs = 0;       // delay before handling an incoming datagram
  int jitterMs = 0;      // plus a uniform random 0..jitterMs
};

// Where a service learner serves the key-value HTTP API (TCP), beside its Paxos port (UDP).
struct HttpAddress {
  std::string host;   // hostname or address to listen on, one word without ':'
  uint16_t port = 0;  // 1..65535 once validated
  bool operator==(const HttpAddress&) const = default;
};
inline constexpr std::string_view kHttpSyntax = "HOST:PORT with PORT 1..65535";
// Parses "HOST:PORT" (text 4th column, YAML `http`); nullopt unless HOST is non-empty and has
// no ':' and PORT is decimal 1..65535.
std::optional<HttpAddress> parseHttpAddress(std::string_view text);
std::string httpText(const HttpAddress& address);  // "HOST:PORT", the form parseHttpAddress reads

// Where a node outside the hosts file listens (a configuration's addresses, docs/MEMBERSHIP.md):
// "HOST:PORT" (UDP), and for a service learner " http HOST:PORT" after it.
struct MemberAddress {
  HttpAddress udp;  // same syntax as an HTTP address
  std::optional<HttpAddress> http;
};
std::optional<MemberAddress> parseMemberAddress(std::string_view text);
std::string memberAddressText(const MemberAddress& address);

struct Host {
  std::string name;  // hostname or address, resolved at start-up
  uint16_t port = 0;
  Kind kind = Kind::consensus;
  int line = 0;  // 1-based line in the file it came from, for error messages
  Faults faults;
  // Service mode only: this learner also serves HTTP here (docs/HOSTS.md#service-mode).
  std::optional<HttpAddress> http;
};

// Cluster-wide options; YAML may set them, the text format leaves the defaults.
struct Options {
  int idleTimeoutMs = 10000;   // a node exits after this long without receiving anything
  int clientTimeoutMs = 5000;  // a client gives up (exit 1) after this long without a decision
  // The cluster key (docs/FAULTS.md#authentication): YAML key_file, relative to the hosts
  // file's folder; PAXOS_KEY_FILE overrides it. Empty: datagrams are not authenticated.
  std::string keyFile;
};

struct Hosts {
  std::string file;  // path it was read from, for messages
  int proposers = 0;
  int acceptors = 0;
  int learners = 0;
  std::vector<Host> hosts;  // index is the UID; consensus hosts come first
  Options options;
  // basic = one value (seed 001), multi = replicated log (seed 004); see docs/MULTI.md. Set by
  // the text format's MODE line or the YAML key `mode`; files without either are basic.
  Mode mode = Mode::basic;
  // Multi mode: a configuration change decided at slot s governs from s + alpha on
  // (docs/MEMBERSHIP.md). YAML `alpha`; 0: the default (core::kDefaultAlpha), not hashed.
  int alpha = 0;
  int countsLine = 0;  // blamed when the con hosts do not add up to the counts and no host fits

  int consensusCount() const { return proposers + acceptors + learners; }
  int size() const { return static_cast<int>(hosts.size()); }
  // Service mode: some host (a learner, validate() makes sure) carries an HTTP address.
  bool service() const;
  // Hash of the model (not of the bytes): the text and YAML forms of one cluster hash alike,
  // comments and blank lines do not count. Every datagram carries it so that nodes started
  // from different files refuse each other. The mode counts only when it is multi, so a basic
  // file hashes exactly as it did before modes existed, MODE line or not. HTTP addresses count
  // only for the hosts that have one, so a file without any hashes as it did before them.
  uint64_t hash() const;
};

// One line: "FILE:LINE: problem (expected X, found Y)". Drivers print what() and exit 2.
class HostsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and validates a hosts file; YAML for .yaml/.yml, the seed's text format otherwise.
Hosts loadHosts(const std::string& path);

// Parse from memory; `file` names the source in error messages.
Hosts parseTextHosts(std::string_view text, const std::string& file);
Hosts parseYamlHosts(std::string_view text, const std::string& file);

// Checks shared by both formats (counts add up, no duplicates, consensus before clients, HTTP
// addresses only on learners of a multi cluster and each once...).
// Host::line and Hosts::countsLine place the messages. Both parsers call it before returning.
void validate(const Hosts& hosts);

// Where --crash-at / crash_at kills a node: the N-th occurrence of EVENT (DESIGN §5).
struct CrashPoint {
  std::string event;  // election, prepare, promise, accept, accepted or learn
  int occurrence = 1;
};
inline constexpr std::string_view kCrashAtSyntax =
    "EVENT or EVENT:N with EVENT one of election, prepare, promise, accept, accepted, learn and "
    "N >= 1";
// Parses "EVENT" or "EVENT:N"; nullopt when malformed.
std::optional<CrashPoint> parseCrashAt(std::string_view spec);

// Shared by the two parsers so that both formats check and word their errors alike.
namespace detail {
// Throws "FILE:LINE: problem (expected X, found Y)"; line <= 0 leaves the line out.
[[noreturn]] void fail(const std::string& file, int line, std::string_view problem,
                       std::string_view expected, std::string_view found);
std::string quote(std::string_view found);  // "...": truncated, non-printable bytes as \xNN
std::optional<long long> parseInteger(std::string_view text);      // decimal only, optional '-'
void requireText(std::string_view text, const std::string& file);  // throws on NUL, binary bytes
}  // namespace detail

}  // namespace paxos::config
