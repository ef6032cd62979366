// The seed's hosts.txt: three count lines in a fixed order, an optional "MODE basic|multi" line,
// then one "NAME PORT con|cli" line per host; a con line may add the learner's HTTP address,
// "NAME PORT con HOST:PORT" (service mode, docs/HOSTS.md#service-mode). Run scripts write it with
// echo, so the errors try to say which echo went wrong.
#include <algorithm>
#include <array>

#include "config/hosts.hpp"

namespace paxos::config {

namespace {

using detail::fail;
using detail::quote;

constexpr std::array<std::string_view, 3> kCountNames = {"PROPOSERS", "ACCEPTORS", "LEARNERS"};
constexpr std::string_view kHostExpected = "\"NAME PORT con|cli\"";
constexpr std::string_view kHostOrHttpExpected =
    "\"NAME PORT con|cli\" or \"NAME PORT con HOST:PORT\"";
constexpr std::string_view kModeWord = "MODE";
constexpr std::string_view kModePlace = "\"MODE basic|multi\" directly after the LEARNERS line";
constexpr long long kMaxCount = 65535;  // cannot have more nodes than ports; keeps sums small

struct Line {
  int number = 0;
  std::string_view content;  // without the comment and surrounding blanks, for messages
  std::vector<std::string_view> words;
};

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !isBlank(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// Lines that say something, i.e. not blank and not only a comment.
std::vector<Line> meaningfulLines(std::string_view text) {
  std::vector<Line> lines;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    raw = raw.substr(0, raw.find('#'));
    auto words = splitWords(raw);
    if (words.empty()) continue;
    std::string_view content(words.front().data(),
                             words.back().data() + words.back().size() - words.front().data());
    lines.push_back({number, content, std::move(words)});
  }
  return lines;
}

int countIndex(std::string_view word) {
  auto it = std::find(kCountNames.begin(), kCountNames.end(), word);
  return it == kCountNames.end() ? -1 : static_cast<int>(it - kCountNames.begin());
}

int parseCountLine(const std::string& file, const std::vector<Line>& lines, size_t at, int want) {
  const Line& line = lines[at];
  std::string expected = "\"" + std::string(kCountNames[want]) + " <number>\"";
  auto found = quote(line.content);
  int got = countIndex(line.words[0]);
  // Whether the wanted count line comes later: then this line is misplaced rather than the
  // wanted one missing.
  bool later = std::any_of(lines.begin() + static_cast<long>(at) + 1, lines.end(),
                           [&](const Line& l) { return l.words[0] == kCountNames[want]; });
  if (got < 0 && line.words[0] == kModeWord && later)
    fail(file, line.number, "MODE line too early", kModePlace, found);
  if (got < 0) fail(file, line.number, "missing count line", expected, found);
  if (got < want) fail(file, line.number, "repeated count line", expected, found);
  if (got > want) {
    if (later)
      fail(file, line.number, "count lines out of order",
           "PROPOSERS, ACCEPTORS, LEARNERS in that order", found);
    fail(file, line.number, "missing count line", expected, found);
  }
  auto count = line.words.size() == 2 ? detail::parseInteger(line.words[1]) : std::nullopt;
  if (!count) fail(file, line.number, "bad count line", expected, found);
  std::string range = expected + " with number 1.." + std::to_string(kMaxCount);
  if (*count < 0) fail(file, line.number, "negative count", range, found);
  if (*count == 0) fail(file, line.number, "role with no nodes", range, found);
  if (*count > kMaxCount) fail(file, line.number, "count too large", range, found);
  return static_cast<int>(*count);
}

Mode parseModeLine(const std::string& file, const Line& line) {
  if (line.words.size() != 2)
    fail(file, line.number, "bad MODE line", "\"MODE basic|multi\"", quote(line.content));
  auto mode = parseMode(line.words[1]);
  if (!mode) fail(file, line.number, "unknown mode", kModeSyntax, quote(line.words[1]));
  return *mode;
}

Host parseHostLine(const std::string& file, const Line& line) {
  auto found = quote(line.content);
  if (countIndex(line.words[0]) >= 0)
    fail(file, line.number, "count line after host lines", kHostExpected, found);
  if (line.words[0] == kModeWord)
    fail(file, line.number, "MODE line after host lines", kModePlace, found);
  if (line.words.size() < 3)
    fail(file, line.number, "missing field in host line", kHostExpected, found);
  if (line.words.size() > 4)
    fail(file, line.number, "extra field in host line", kHostOrHttpExpected, found);
  Host host;
  host.name = std::string(line.words[0]);
  host.line = line.number;
  auto port = detail::parseInteger(line.words[1]);
  if (!port || *port < 1 || *port > 65535)
    fail(file, line.number, "bad port", "a number 1..65535", quote(line.words[1]));
  host.port = static_cast<uint16_t>(*port);
  if (line.words[2] == "con") {
    host.kind = Kind::consensus;
  } else if (line.words[2] == "cli") {
    host.kind = Kind::client;
  } else {
    fail(file, line.number, "unknown kind", "\"con\" or \"cli\"", quote(line.words[2]));
  }
  if (line.words.size() == 4) {
    // validate() says where an address may go (learners only); here only its spelling counts.
    host.http = parseHttpAddress(line.words[3]);
    if (!host.http) fail(file, line.number, "bad http address", kHttpSyntax, quote(line.words[3]));
  }
  return host;
}

}  // namespace

Hosts parseTextHosts(std::string_view text, const std::string& file) {
  // Editors on Windows prepend a byte order mark; it is not part of the first word.
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  detail::requireText(text, file);
  if (text.empty()) fail(file, 1, "empty file", "\"PROPOSERS <number>\" first", "nothing");
  auto lines = meaningfulLines(text);
  if (lines.empty())
    fail(file, 1, "no count lines", "\"PROPOSERS <number>\" first",
         "only comments and blank lines");

  Hosts hosts;
  hosts.file = file;
  std::array<int*, 3> counts = {&hosts.proposers, &hosts.acceptors, &hosts.learners};
  size_t next = 0;
  int modeLine = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (next < counts.size()) {
      *counts[next] = parseCountLine(file, lines, i, static_cast<int>(next));
      ++next;
      hosts.countsLine = lines[i].number;
    } else if (lines[i].words[0] == kModeWord && hosts.hosts.empty()) {
      if (modeLine != 0)
        fail(file, lines[i].number, "repeated MODE line", "one MODE line",
             quote(lines[i].content) + " after the MODE line on line " + std::to_string(modeLine));
      hosts.mode = parseModeLine(file, lines[i]);
      modeLine = lines[i].number;
    } else {
      hosts.hosts.push_back(parseHostLine(file, lines[i]));
    }
  }
  if (next < counts.size())
    fail(file, lines.back().number, "missing count line",
         "\"" + std::string(kCountNames[next]) + " <number>\"", "end of file");
  validate(hosts);
  return hosts;
}

}  // namespace paxos::config
