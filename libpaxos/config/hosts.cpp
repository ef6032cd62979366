#include "config/hosts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>

#include "wire/bytes.hpp"

namespace paxos::config {

namespace detail {

void fail(const std::string& file, int line, std::string_view problem, std::string_view expected,
          std::string_view found) {
  std::string message = file;
  if (line > 0) message += ":" + std::to_string(line);
  message += ": ";
  message += problem;
  message += " (expected ";
  message += expected;
  message += ", found ";
  message += found;
  message += ")";
  throw HostsError(message);
}

std::string quote(std::string_view found) {
  // Long enough to recognise the line, short enough to keep the message on one terminal line.
  constexpr size_t kMax = 40;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < found.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(found[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (found.size() > kMax) out += "...";
  return out + "\"";
}

std::optional<long long> parseInteger(std::string_view text) {
  // from_chars alone would accept "10000x" as 10000; every character must be a digit.
  std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

namespace {

// Length of the UTF-8 sequence starting with `lead`, 0 if it cannot start one. Non-ASCII text
// (a name in a comment) is fine; bytes that are not UTF-8 mean the file is not text at all.
size_t utf8Length(unsigned char lead) {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

}  // namespace

void requireText(std::string_view text, const std::string& file) {
  int line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      lineStart = i + 1;
      continue;
    }
    if (c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f)) continue;
    size_t length = c >= 0x80 ? utf8Length(c) : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid) {
      i += length - 1;
      continue;
    }
    std::string byte = quote(text.substr(i, 1));
    fail(file, line, "not a text file", "text",
         "byte " + byte.substr(1, byte.size() - 2) + " at column " +
             std::to_string(i - lineStart + 1));
  }
}

}  // namespace detail

namespace {

using detail::fail;
using detail::quote;

std::string kindName(Kind kind) {
  return kind == Kind::consensus ? "con" : "cli";
}

std::string hostText(const Host& host) {
  std::string text = host.name + " " + std::to_string(host.port) + " " + kindName(host.kind);
  if (host.http) text += " " + httpText(*host.http);
  return text;
}

std::string numberText(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Names go to the resolver and back out as text hosts lines, so they must be one plain word.
bool plainName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '#';
  });
}

void validateFaults(const Hosts& hosts, const Host& host) {
  const Faults& faults = host.faults;
  if (!faults.crashAt.empty() && !parseCrashAt(faults.crashAt))
    fail(hosts.file, host.line, "bad crash_at", kCrashAtSyntax, quote(faults.crashAt));
  // Written as !(in range) so that NaN is rejected too.
  if (!(faults.drop >= 0 && faults.drop <= 1))
    fail(hosts.file, host.line, "bad drop", "a probability 0..1", numberText(faults.drop));
  if (!(faults.duplicate >= 0 && faults.duplicate <= 1))
    fail(hosts.file, host.line, "bad duplicate", "a probability 0..1",
         numberText(faults.duplicate));
  if (faults.delayMs < 0)
    fail(hosts.file, host.line, "negative delay_ms", "milliseconds >= 0",
         std::to_string(faults.delayMs));
  if (faults.jitterMs < 0)
    fail(hosts.file, host.line, "negative jitter_ms", "milliseconds >= 0",
         std::to_string(faults.jitterMs));
}

// Service mode (issue 14): the HTTP front is a learner's replica of the log, so only learners of
// a multi cluster serve it, and two of them cannot listen on one address. `uid` is the host's
// index; con hosts come first, so for a con host it is also its consensus index.
void validateHttp(const Hosts& hosts, const Host& host, int uid,
                  std::map<std::pair<std::string, uint16_t>, int>& seenHttp) {
  const HttpAddress& http = *host.http;
  auto found = quote(hostText(host));
  if (!plainName(http.host) || http.host.find(':') != std::string::npos)
    fail(hosts.file, host.line, "bad http address", kHttpSyntax, quote(httpText(http)));
  if (http.port == 0)
    fail(hosts.file, host.line, "bad http port", "a number 1..65535", quote(httpText(http)));
  if (host.kind == Kind::client)
    fail(hosts.file, host.line, "http address on a cli host", "http only on learner con hosts",
         found);
  int firstLearner = hosts.proposers + hosts.acceptors;
  if (uid < firstLearner) {
    std::string learners = hosts.learners == 1
                               ? "UID " + std::to_string(firstLearner)
                               : "UIDs " + std::to_string(firstLearner) + "-" +
                                     std::to_string(firstLearner + hosts.learners - 1);
    fail(hosts.file, host.line, "http address on a non-learner",
         "http only on learners (" + learners + ")",
         found + ", UID " + std::to_string(uid) + ", " +
             (uid < hosts.proposers ? "a proposer" : "an acceptor"));
  }
  if (hosts.mode != Mode::multi)
    fail(hosts.file, host.line, "http address in a basic cluster",
         "MODE multi (YAML mode: multi) in a file with http addresses",
         "mode " + std::string(modeName(hosts.mode)));
  auto [it, fresh] = seenHttp.emplace(std::pair{http.host, http.port}, host.line);
  if (!fresh)
    fail(hosts.file, host.line, "duplicate http address", "each http HOST:PORT once",
         quote(httpText(http)) + " again, first on line " + std::to_string(it->second));
}

}  // namespace

std::optional<HttpAddress> parseHttpAddress(std::string_view text) {
  auto colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  auto port = detail::parseInteger(text.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return std::nullopt;
  return HttpAddress{std::string(host), static_cast<uint16_t>(*port)};
}

std::string httpText(const HttpAddress& address) {
  return address.host + ":" + std::to_string(address.port);
}

std::optional<MemberAddress> parseMemberAddress(std::string_view text) {
  auto space = text.find(' ');
  auto udp = parseHttpAddress(text.substr(0, space));
  if (!udp) return std::nullopt;
  MemberAddress address{*udp, std::nullopt};
  if (space == std::string_view::npos) return address;
  std::string_view rest = text.substr(space);
  if (!rest.starts_with(" http ")) return std::nullopt;
  address.http = parseHttpAddress(rest.substr(6));
  if (!address.http) return std::nullopt;
  return address;
}

std::string memberAddressText(const MemberAddress& address) {
  return httpText(address.udp) + (address.http ? " http " + httpText(*address.http) : "");
}

bool Hosts::service() const {
  return std::any_of(hosts.begin(), hosts.end(), [](const Host& h) { return h.http.has_value(); });
}

void validate(const Hosts& hosts) {
  const std::array<std::pair<const char*, int>, 3> counts = {{{"PROPOSERS", hosts.proposers},
                                                              {"ACCEPTORS", hosts.acceptors},
                                                              {"LEARNERS", hosts.learners}}};
  for (const auto& [name, count] : counts)
    if (count < 1)
      fail(hosts.file, hosts.countsLine, "role with no nodes", std::string(name) + " >= 1",
           std::to_string(count));

  long long expectedCon = 0;
  for (const auto& count : counts) expectedCon += count.second;
  auto totalCon = std::count_if(hosts.hosts.begin(), hosts.hosts.end(),
                                [](const Host& h) { return h.kind == Kind::consensus; });
  std::string countsText = std::to_string(expectedCon) + " con hosts = PROPOSERS " +
                           std::to_string(hosts.proposers) + " + ACCEPTORS " +
                           std::to_string(hosts.acceptors) + " + LEARNERS " +
                           std::to_string(hosts.learners);

  std::map<std::pair<std::string, uint16_t>, int> seen;      // name:port -> line
  std::map<std::pair<std::string, uint16_t>, int> seenHttp;  // http host:port -> line
  int firstCliLine = 0;
  int lastConLine = 0;
  long long conSoFar = 0;
  for (const Host& host : hosts.hosts) {
    if (!plainName(host.name))
      fail(hosts.file, host.line, "bad host name", "a hostname or address without spaces",
           quote(host.name));
    if (host.port == 0) fail(hosts.file, host.line, "bad port", "a number 1..65535", "0");
    auto [it, fresh] = seen.emplace(std::pair{host.name, host.port}, host.line);
    if (!fresh)
      fail(hosts.file, host.line, "duplicate host", "each NAME PORT once",
           quote(host.name + " " + std::to_string(host.port)) + " again, first on line " +
               std::to_string(it->second));
    if (host.kind == Kind::client) {
      if (firstCliLine == 0) firstCliLine = host.line;
    } else {
      // UIDs of consensus nodes must be 0..n-1 (the seed's rule, and the roles depend on it).
      if (firstCliLine != 0)
        fail(hosts.file, host.line, "con host after cli host", "all con hosts before the cli hosts",
             quote(hostText(host)) + " after the cli on line " + std::to_string(firstCliLine));
      if (++conSoFar > expectedCon)
        fail(hosts.file, host.line, "too many con hosts", countsText,
             std::to_string(totalCon) + " con hosts");
      lastConLine = host.line;
    }
    if (host.http)
      validateHttp(hosts, host, static_cast<int>(&host - hosts.hosts.data()), seenHttp);
    validateFaults(hosts, host);
  }
  if (totalCon < expectedCon)
    fail(hosts.file, lastConLine > 0 ? lastConLine : hosts.countsLine, "too few con hosts",
         countsText, std::to_string(totalCon) + " con hosts");
}

std::string_view modeName(Mode mode) {
  return mode == Mode::multi ? "multi" : "basic";
}

std::optional<Mode> parseMode(std::string_view word) {
  if (word == "basic") return Mode::basic;
  if (word == "multi") return Mode::multi;
  return std::nullopt;
}

std::optional<CrashPoint> parseCrashAt(std::string_view spec) {
  static constexpr std::array<std::string_view, 6> kEvents = {"election", "prepare",  "promise",
                                                              "accept",   "accepted", "learn"};
  auto colon = spec.find(':');
  CrashPoint point{std::string(spec.substr(0, colon))};
  if (std::find(kEvents.begin(), kEvents.end(), point.event) == kEvents.end()) return std::nullopt;
  if (colon == std::string_view::npos) return point;
  auto n = detail::parseInteger(spec.substr(colon + 1));
  if (!n || *n < 1 || *n > std::numeric_limits<int>::max()) return std::nullopt;
  point.occurrence = static_cast<int>(*n);
  return point;
}

uint64_t Hosts::hash() const {
  // FNV-1a over a canonical text: it is stable across builds and machines, which std::hash is
  // not. Names are length-prefixed so no choice of names can make two models serialise alike.
  std::string canonical = "paxos-hosts/1;P=" + std::to_string(proposers) +
                          ";A=" + std::to_string(acceptors) + ";L=" + std::to_string(learners) +
                          ";";
  // Only multi is written, so every basic model keeps the hash it had before modes existed.
  // "M=" cannot be mistaken for a host, whose entry starts with its length (a digit).
  if (mode != Mode::basic) canonical += "M=" + std::string(modeName(mode)) + ";";
  // Likewise alpha, only when a file sets it: every node must split the log alike.
  if (alpha != 0) canonical += "X=" + std::to_string(alpha) + ";";
  for (const Host& host : hosts) {
    canonical += std::to_string(host.name.size()) + ":" + host.name + ":" +
                 std::to_string(host.port) + ":" + kindName(host.kind);
    // Only hosts with an HTTP address write one (service mode), so a file without any keeps its
    // hash. After the kind, where a host without one has ';', so the two cannot serialise alike.
    if (host.http)
      canonical += ":H" + std::to_string(host.http->host.size()) + ":" + host.http->host + ":" +
                   std::to_string(host.http->port);
    canonical += ";";
  }
  return wire::fnv1a(canonical);
}

Hosts loadHosts(const std::string& path) {
  auto cannotRead = [&](int error) {
    return HostsError(path + ": cannot read: " + std::generic_category().message(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) throw cannotRead(errno);
  std::string text;
  std::array<char, 4096> buffer;
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0)
    text.append(buffer.data(), got);
  // A directory opens fine on Linux and only fails here, with EISDIR.
  if (std::ferror(file.get())) throw cannotRead(errno);

  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".yaml" || extension == ".yml") return parseYamlHosts(text, path);
  return parseTextHosts(text, path);
}

}  // namespace paxos::config
