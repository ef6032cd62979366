#include "config/hosts.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace paxos::config;
using namespace std::string_literals;

namespace {

const std::string kCounts = "PROPOSERS 1\nACCEPTORS 1\nLEARNERS 1\n";  // lines 1-3
const std::string kCon3 = "localhost 10000 con\nlocalhost 10001 con\nlocalhost 10002 con\n";
const std::string kSeedText = kCounts + kCon3 + "localhost 10003 cli\n";

const std::string kYamlCounts = "proposers: 1\nacceptors: 1\nlearners: 1\n";  // lines 1-3
const std::string kYamlCon3 =
    "  - {host: localhost, port: 10000, kind: con}\n"
    "  - {host: localhost, port: 10001, kind: con}\n"
    "  - {host: localhost, port: 10002, kind: con}\n";
const std::string kSeedYaml =
    kYamlCounts + "hosts:\n" + kYamlCon3 + "  - {host: localhost, port: 10003, kind: cli}\n";

// YAML with the seed's counts and first con host, and `extra` appended to host 1 (line 5).
std::string yamlHost(const std::string& extra) {
  return kYamlCounts + "hosts:\n  - {host: localhost, port: 10000, kind: con" + extra +
         "}\n  - {host: localhost, port: 10001, kind: con}\n"
         "  - {host: localhost, port: 10002, kind: con}\n";
}

using Parser = Hosts (*)(std::string_view, const std::string&);

std::string errorOf(Parser parse, const std::string& text, const std::string& file) {
  try {
    parse(text, file);
  } catch (const HostsError& e) {
    return e.what();
  }
  return "(no error)";
}

struct BadCase {
  const char* name;
  std::string text;
  int line;
  const char* problem;
  const char* found = "";  // a part of the message after "found", when worth checking
};

void checkBadCases(Parser parse, const std::string& file, const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    std::string message = errorOf(parse, c.text, file);
    INFO("case: ", c.name);
    INFO("message: ", message);
    CHECK(message.starts_with(file + ":" + std::to_string(c.line) + ": " + c.problem));
    auto found = message.find(", found ");
    CHECK(message.find(" (expected ") != std::string::npos);
    REQUIRE(found != std::string::npos);
    CHECK(message.find(c.found, found) != std::string::npos);
    CHECK(message.ends_with(")"));
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 300);
  }
}

void checkSameModel(const Hosts& a, const Hosts& b) {
  CHECK(a.proposers == b.proposers);
  CHECK(a.acceptors == b.acceptors);
  CHECK(a.learners == b.learners);
  CHECK(a.mode == b.mode);
  REQUIRE(a.size() == b.size());
  for (int uid = 0; uid < a.size(); ++uid) {
    INFO("uid ", uid);
    CHECK(a.hosts[uid].name == b.hosts[uid].name);
    CHECK(a.hosts[uid].port == b.hosts[uid].port);
    CHECK(a.hosts[uid].kind == b.hosts[uid].kind);
    CHECK(a.hosts[uid].http == b.hosts[uid].http);
  }
  CHECK(a.service() == b.service());
  CHECK(a.hash() == b.hash());
}

std::filesystem::path examplesDir() {
#ifdef PAXOS_SOURCE_DIR
  return std::filesystem::path(PAXOS_SOURCE_DIR) / "hosts";
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "hosts";
#endif
}

// A scratch file that removes itself.
struct TempFile {
  std::filesystem::path path;
  TempFile(const std::string& name, const std::string& text) {
    path = std::filesystem::temp_directory_path() /
           ("paxos_hosts_test_" + std::to_string(std::random_device()()) + "_" + name);
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("text: the seed's hosts.txt") {
  Hosts h = parseTextHosts(kSeedText, "hosts.txt");
  CHECK(h.file == "hosts.txt");
  CHECK(h.proposers == 1);
  CHECK(h.acceptors == 1);
  CHECK(h.learners == 1);
  CHECK(h.consensusCount() == 3);
  REQUIRE(h.size() == 4);
  CHECK(h.hosts[0].name == "localhost");
  CHECK(h.hosts[0].port == 10000);
  CHECK(h.hosts[0].line == 4);
  CHECK(h.hosts[2].kind == Kind::consensus);
  CHECK(h.hosts[3].kind == Kind::client);
  CHECK(h.hosts[3].port == 10003);
  CHECK(h.options.idleTimeoutMs == Options{}.idleTimeoutMs);
  CHECK(h.mode == Mode::basic);
}

TEST_CASE("text: comments, blank lines, tabs, CRLF and a byte order mark are allowed") {
  std::string text =
      "\xef\xbb\xbf# cluster\r\n\r\nPROPOSERS 1   # one\r\nACCEPTORS\t1\r\n  LEARNERS 1\r\n"
      "# hosts follow\r\nlocalhost 10000 con#no space\r\nlocalhost 10001 con\r\n"
      "localhost\t10002\tcon\r\n\r\nlocalhost 10003 cli";
  Hosts h = parseTextHosts(text, "hosts.txt");
  checkSameModel(h, parseTextHosts(kSeedText, "other.txt"));
  CHECK(h.hosts[0].line == 7);
}

TEST_CASE("text: zero clients and many clients are allowed") {
  CHECK(parseTextHosts(kCounts + kCon3, "h").size() == 3);
  std::string text = kCounts + kCon3;
  for (int port = 20000; port < 20010; ++port) text += "node" + std::to_string(port) + " 1 cli\n";
  CHECK(parseTextHosts(text, "h").size() == 13);
}

TEST_CASE("text: every malformed file names the file, the line and the problem") {
  const std::string two = "localhost 10000 con\nlocalhost 10001 con\n";
  auto port = [&](const std::string& p) {
    return kCounts + "localhost " + p + " con\nlocalhost 10001 con\nlocalhost 10002 con\n";
  };
  checkBadCases(
      parseTextHosts, "hosts.txt",
      {
          {"host line first", kCon3, 1, "missing count line", "\"localhost 10000 con\""},
          {"ACCEPTORS missing", "PROPOSERS 1\nLEARNERS 1\n" + two, 2, "missing count line",
           "\"LEARNERS 1\""},
          {"LEARNERS missing at the end", "PROPOSERS 1\nACCEPTORS 2\n", 2, "missing count line",
           "end of file"},
          {"lowercase keyword", "proposers 1\n", 1, "missing count line", "\"proposers 1\""},
          {"non-numeric count", "PROPOSERS 1\nACCEPTORS x\nLEARNERS 1\n" + kCon3, 2,
           "bad count line", "\"ACCEPTORS x\""},
          {"count without number", "PROPOSERS\n", 1, "bad count line", "\"PROPOSERS\""},
          {"count with two numbers", "PROPOSERS 1 2\n", 1, "bad count line"},
          {"count 1.5", "PROPOSERS 1.5\n", 1, "bad count line"},
          {"count overflows", "PROPOSERS 99999999999999999999\n", 1, "bad count line"},
          {"count too large", "PROPOSERS 70000\n", 1, "count too large"},
          {"counts in wrong order", "ACCEPTORS 1\nPROPOSERS 1\nLEARNERS 1\n" + kCon3, 1,
           "count lines out of order", "\"ACCEPTORS 1\""},
          {"last two swapped", "PROPOSERS 1\nLEARNERS 1\nACCEPTORS 1\n" + kCon3, 2,
           "count lines out of order"},
          {"count repeated", "PROPOSERS 1\nPROPOSERS 1\n", 2, "repeated count line"},
          {"zero learners", "PROPOSERS 1\nACCEPTORS 2\nLEARNERS 0\n" + kCon3, 3,
           "role with no nodes", "\"LEARNERS 0\""},
          {"negative count", "PROPOSERS -1\nACCEPTORS 2\nLEARNERS 2\n" + kCon3, 1, "negative count",
           "\"PROPOSERS -1\""},
          {"too many con", kCounts + kCon3 + "localhost 10003 con\n", 7, "too many con hosts",
           "4 con hosts"},
          {"too few con", kCounts + two + "localhost 10003 cli\n", 5, "too few con hosts",
           "2 con hosts"},
          {"no hosts", kCounts, 3, "too few con hosts", "0 con hosts"},
          {"only clients", kCounts + "localhost 10003 cli\n", 3, "too few con hosts"},
          {"port 0", port("0"), 4, "bad port", "\"0\""},
          {"port 65536", port("65536"), 4, "bad port", "\"65536\""},
          {"port abc", port("abc"), 4, "bad port", "\"abc\""},
          {"port 10000x", port("10000x"), 4, "bad port", "\"10000x\""},
          {"port -1", port("-1"), 4, "bad port"},
          {"port +1", port("+1"), 4, "bad port"},
          {"port hex", port("0x2710"), 4, "bad port"},
          {"unknown kind", kCounts + "localhost 10000 conn\n", 4, "unknown kind", "\"conn\""},
          {"kind in capitals", kCounts + "localhost 10000 CON\n", 4, "unknown kind"},
          {"missing kind", kCounts + "localhost 10000\n", 4, "missing field in host line",
           "\"localhost 10000\""},
          {"only a name", kCounts + "localhost\n", 4, "missing field in host line"},
          // A fourth word is an HTTP address (service mode); a fifth is one too many.
          {"extra field", kCounts + "localhost 10000 con a:1 extra\n", 4,
           "extra field in host line", "\"localhost 10000 con a:1 extra\""},
          {"fourth word not an address", kCounts + "localhost 10000 con extra\n", 4,
           "bad http address", "\"extra\""},
          {"duplicate host:port", kCounts + two + "localhost 10000 con\n", 6, "duplicate host",
           "\"localhost 10000\" again, first on line 4"},
          {"duplicate con and cli", kCounts + kCon3 + "localhost 10002 cli\n", 7, "duplicate host",
           "first on line 6"},
          {"con after cli", kCounts + two + "localhost 10003 cli\nlocalhost 10002 con\n", 7,
           "con host after cli host", "after the cli on line 6"},
          {"count line after hosts", kCounts + kCon3 + "PROPOSERS 1\n", 7,
           "count line after host lines", "\"PROPOSERS 1\""},
          {"empty file", "", 1, "empty file", "nothing"},
          {"only a byte order mark", "\xef\xbb\xbf", 1, "empty file"},
          {"only comments", "# nothing here\n\n   # really\n", 1, "no count lines",
           "only comments and blank lines"},
          {"only blanks", " \n\t\n\n", 1, "no count lines"},
          {"NUL byte", "PROPOSERS 1\nACC\0EPTORS 1\n"s, 2, "not a text file",
           "byte \\x00 at column 4"},
          {"PNG header", "\x89PNG\r\n\x1a\n", 1, "not a text file", "byte \\x89 at column 1"},
          {"control byte", kCounts + "local\x01host 10000 con\n", 4, "not a text file", "\\x01"},
          {"broken UTF-8", "# caf\xc3\n", 1, "not a text file", "\\xc3"},
          {"trailing comment does not hide the error", "PROPOSERS x # one\n", 1, "bad count line",
           "\"PROPOSERS x\""},
      });
}

TEST_CASE("text: an optional MODE line after the count lines sets the mode") {
  CHECK(parseTextHosts(kSeedText, "h").mode == Mode::basic);
  Hosts multi = parseTextHosts(kCounts + "MODE multi\n" + kCon3, "h");
  CHECK(multi.mode == Mode::multi);
  REQUIRE(multi.size() == 3);
  CHECK(multi.hosts[0].line == 5);  // the MODE line is not a host: UIDs do not shift
  CHECK(multi.countsLine == 3);
  CHECK(parseTextHosts(kCounts + "MODE basic\n" + kCon3, "h").mode == Mode::basic);
  // Comments, blank lines and blanks around it are allowed as on any other line.
  std::string spaced = kCounts + "\n# the mode\n\t MODE   multi  # replicated log\r\n\n" + kCon3;
  CHECK(parseTextHosts(spaced, "h").mode == Mode::multi);
}

TEST_CASE("text: a bad or misplaced MODE line names the file and the line") {
  checkBadCases(
      parseTextHosts, "hosts.txt",
      {
          {"unknown mode", kCounts + "MODE paxos\n" + kCon3, 4, "unknown mode", "\"paxos\""},
          {"mode in capitals", kCounts + "MODE MULTI\n" + kCon3, 4, "unknown mode", "\"MULTI\""},
          {"MODE without a word", kCounts + "MODE\n" + kCon3, 4, "bad MODE line", "\"MODE\""},
          {"MODE with two words", kCounts + "MODE multi basic\n" + kCon3, 4, "bad MODE line",
           "\"MODE multi basic\""},
          {"MODE repeated", kCounts + "MODE multi\n# again\nMODE multi\n" + kCon3, 6,
           "repeated MODE line", "\"MODE multi\" after the MODE line on line 4"},
          {"MODE first", "MODE multi\n" + kCounts + kCon3, 1, "MODE line too early",
           "\"MODE multi\""},
          {"MODE among the counts", "PROPOSERS 1\nACCEPTORS 1\nMODE multi\nLEARNERS 1\n" + kCon3, 3,
           "MODE line too early", "\"MODE multi\""},
          {"MODE instead of LEARNERS", "PROPOSERS 1\nACCEPTORS 1\nMODE multi\n" + kCon3, 3,
           "missing count line", "\"MODE multi\""},
          {"MODE after a host", kCounts + "localhost 10000 con\nMODE multi\n", 5,
           "MODE line after host lines", "\"MODE multi\""},
          {"MODE at the end", kSeedText + "MODE multi\n", 8, "MODE line after host lines"},
          {"lowercase keyword is a host line", kCounts + "mode multi\n" + kCon3, 4,
           "missing field in host line", "\"mode multi\""},
      });
}

TEST_CASE("text and yaml: the whole MODE error messages") {
  CHECK(errorOf(parseTextHosts, kCounts + "MODE paxos\n" + kCon3, "h.txt") ==
        "h.txt:4: unknown mode (expected basic or multi, found \"paxos\")");
  CHECK(errorOf(parseTextHosts, "PROPOSERS 1\nACCEPTORS 1\nMODE multi\nLEARNERS 1\n" + kCon3,
                "h.txt") ==
        "h.txt:3: MODE line too early (expected \"MODE basic|multi\" directly after the LEARNERS "
        "line, found \"MODE multi\")");
  CHECK(errorOf(parseYamlHosts, kYamlCounts + "mode: paxos\nhosts:\n" + kYamlCon3, "h.yaml") ==
        "h.yaml:4: unknown mode (expected basic or multi, found \"paxos\")");
}

TEST_CASE("text: UTF-8 in comments is text") {
  CHECK(parseTextHosts("# café ✓\n" + kSeedText, "h").size() == 4);
}

TEST_CASE("found text is quoted, escaped and truncated") {
  CHECK(detail::quote("abc") == "\"abc\"");
  CHECK(detail::quote("a\"b\\") == "\"a\\\"b\\\\\"");
  CHECK(detail::quote("a\tb\x7f\xff") == "\"a\\x09b\\x7f\\xff\"");
  std::string quoted = detail::quote(std::string(100, 'x'));
  CHECK(quoted == "\"" + std::string(40, 'x') + "...\"");

  std::string message =
      errorOf(parseTextHosts, kCounts + "localhost 10000 " + std::string(200, 'k'), "h");
  CHECK(message.find(std::string(40, 'k') + "...\"") != std::string::npos);
  CHECK(message.find(std::string(41, 'k')) == std::string::npos);
}

TEST_CASE("parseInteger takes decimal only") {
  CHECK(detail::parseInteger("10000") == 10000);
  CHECK(detail::parseInteger("-5") == -5);
  CHECK(detail::parseInteger("007") == 7);
  for (const char* bad :
       {"", "-", "+1", " 1", "1 ", "1e3", "0x10", "10000x", "1.0", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(detail::parseInteger(bad).has_value());
  }
}

TEST_CASE("parseCrashAt") {
  for (const char* good :
       {"election", "prepare", "promise", "accept", "accepted", "learn", "accept:1", "learn:12"}) {
    INFO(good);
    CHECK(parseCrashAt(good));
  }
  for (const char* bad : {"", "boom", "ACCEPT", "accept:", "accept:0", "accept:-1", "accept:x",
                          ":1", "accept:1:2", "accept :1", "accept:99999999999"}) {
    INFO(bad);
    CHECK_FALSE(parseCrashAt(bad));
  }
}

TEST_CASE("yaml: the seed's cluster parses to the same model and hash as the text") {
  checkSameModel(parseYamlHosts(kSeedYaml, "hosts.yaml"), parseTextHosts(kSeedText, "hosts.txt"));
  Hosts h = parseYamlHosts(kSeedYaml, "hosts.yaml");
  CHECK(h.hosts[0].line == 5);
  CHECK(h.countsLine == 4);
  CHECK(h.mode == Mode::basic);
}

TEST_CASE("yaml: the optional mode key sets the mode") {
  CHECK(parseYamlHosts(kYamlCounts + "mode: multi\nhosts:\n" + kYamlCon3, "h.yaml").mode ==
        Mode::multi);
  CHECK(parseYamlHosts(kYamlCounts + "mode: basic\nhosts:\n" + kYamlCon3, "h.yaml").mode ==
        Mode::basic);
  CHECK(parseYamlHosts("mode: \"multi\"\n" + kSeedYaml, "h.yaml").mode == Mode::multi);
  CHECK(parseYamlHosts(kSeedYaml + "mode: multi\n", "h.yaml").mode == Mode::multi);  // any place

  const std::string hosts = "hosts:\n" + kYamlCon3;
  checkBadCases(
      parseYamlHosts, "hosts.yaml",
      {
          {"unknown mode", kYamlCounts + "mode: paxos\n" + hosts, 4, "unknown mode", "\"paxos\""},
          {"mode in capitals", kYamlCounts + "mode: Multi\n" + hosts, 4, "unknown mode",
           "\"Multi\""},
          {"mode is a number", kYamlCounts + "mode: 2\n" + hosts, 4, "unknown mode", "\"2\""},
          {"mode is a list", kYamlCounts + "mode: [multi]\n" + hosts, 4, "wrong type for mode",
           "a list"},
          {"mode is empty", kYamlCounts + "mode:\n" + hosts, 4, "wrong type for mode", "nothing"},
          {"mode repeated", kYamlCounts + "mode: multi\nmode: multi\n" + hosts, 5,
           "repeated key in the document", "\"mode\" again, first on line 4"},
          {"mode inside a host", yamlHost(", mode: multi"), 5, "unknown key in a host", "\"mode\""},
      });
}

TEST_CASE("yaml: options, faults and block style") {
  std::string text =
      "# comment\n"
      "proposers: 1\nacceptors: 1\nlearners: 1\n"
      "idle_timeout_ms: 20000\nclient_timeout_ms: 3000\n"
      "hosts:\n"
      "  - host: localhost\n    port: 10000\n    kind: con\n"
      "  - {host: localhost, port: 10001, kind: con, crash_at: \"accept:1\", drop: 0.1, "
      "duplicate: 0.0, delay_ms: 5, jitter_ms: 2}\n"
      "  - {host: 'localhost', port: 10002, kind: con, crash_at: learn}\n"
      "  - {host: localhost, port: 10003, kind: cli}\n";
  Hosts h = parseYamlHosts(text, "hosts.yaml");
  CHECK(h.options.idleTimeoutMs == 20000);
  CHECK(h.options.clientTimeoutMs == 3000);
  REQUIRE(h.size() == 4);
  CHECK(h.hosts[0].line == 8);
  CHECK(h.hosts[1].line == 11);
  CHECK(h.hosts[1].faults.crashAt == "accept:1");
  CHECK(h.hosts[1].faults.drop == doctest::Approx(0.1));
  CHECK(h.hosts[1].faults.duplicate == 0.0);
  CHECK(h.hosts[1].faults.delayMs == 5);
  CHECK(h.hosts[1].faults.jitterMs == 2);
  CHECK(h.hosts[2].faults.crashAt == "learn");
  CHECK(h.hosts[0].faults.crashAt.empty());
  // Options and faults are not part of the cluster's identity.
  CHECK(h.hash() == parseTextHosts(kSeedText, "hosts.txt").hash());
}

TEST_CASE("yaml: every malformed file names the file, the line and the problem") {
  const std::string hosts = "hosts:\n" + kYamlCon3;  // lines 4-7
  auto port = [&](const std::string& p) {
    return kYamlCounts + "hosts:\n  - {host: localhost, port: " + p +
           ", kind: con}\n  - {host: localhost, port: 10001, kind: con}\n"
           "  - {host: localhost, port: 10002, kind: con}\n";
  };
  auto count = [&](const std::string& learners) {
    return "proposers: 1\nacceptors: 1\nlearners: " + learners + "\n" + hosts;
  };
  checkBadCases(
      parseYamlHosts, "hosts.yaml",
      {
          {"missing acceptors", "proposers: 1\nlearners: 1\n" + hosts, 1,
           "missing key in the document", "no acceptors"},
          {"missing hosts", kYamlCounts, 1, "missing key in the document", "no hosts"},
          {"missing host name", kYamlCounts + "hosts:\n  - {port: 10000, kind: con}\n", 5,
           "missing key in a host", "no host"},
          {"missing kind in block style",
           kYamlCounts + "hosts:\n  - host: localhost\n    port: 10000\n", 5,
           "missing key in a host", "no kind"},
          {"count is a list", "proposers: [1]\n", 1, "wrong type for proposers", "a list"},
          {"count is a string", "proposers: \"1\"\n", 1, "wrong type for proposers",
           "the string \"1\""},
          {"count is empty", "proposers:\nacceptors: 1\n", 1, "wrong type for proposers",
           "nothing"},
          {"count is a word", count("x"), 3, "bad learners", "\"x\""},
          {"hosts is a number", kYamlCounts + "hosts: 5\n", 4, "wrong type for hosts", "\"5\""},
          {"host entry is a word", kYamlCounts + "hosts:\n  - localhost\n", 5,
           "wrong type for a host", "\"localhost\""},
          {"port is a string", port("\"10000\""), 5, "wrong type for port", "the string \"10000\""},
          {"host is null", kYamlCounts + "hosts:\n  - {host: ~, port: 1, kind: con}\n", 5,
           "wrong type for host", "nothing"},
          {"host given twice", yamlHost(", host: b"), 5, "repeated key in a host",
           "\"host\" again"},
          {"kind is a list", kYamlCounts + "hosts:\n  - {host: a, port: 1, kind: [con]}\n", 5,
           "wrong type for kind", "a list"},
          {"drop is a list", yamlHost(", drop: [0.1]"), 5, "wrong type for drop", "a list"},
          {"document is a list", "- 1\n- 2\n", 1, "wrong type for the document", "a list"},
          {"document is a word", "hello\n", 1, "wrong type for the document", "\"hello\""},
          {"unknown top-level key", "proposer: 1\n", 1, "unknown key in the document",
           "\"proposer\""},
          {"unknown key after good ones", kYamlCounts + "data_dir: /tmp\n" + hosts, 4,
           "unknown key in the document", "\"data_dir\""},
          {"unknown host key", yamlHost(", prot: 1"), 5, "unknown key in a host", "\"prot\""},
          {"repeated key", "proposers: 1\nproposers: 1\n", 2, "repeated key in the document",
           "\"proposers\" again, first on line 1"},
          {"crash_at unknown event", yamlHost(", crash_at: boom"), 5, "bad crash_at", "\"boom\""},
          {"crash_at N = 0", yamlHost(", crash_at: \"accept:0\""), 5, "bad crash_at"},
          {"crash_at missing N", yamlHost(", crash_at: \"accept:\""), 5, "bad crash_at"},
          {"crash_at N not a number", yamlHost(", crash_at: \"accept:x\""), 5, "bad crash_at"},
          {"crash_at capitals", yamlHost(", crash_at: ACCEPT"), 5, "bad crash_at"},
          {"drop above 1", yamlHost(", drop: 1.5"), 5, "bad drop", "1.5"},
          {"drop below 0", yamlHost(", drop: -0.1"), 5, "bad drop", "-0.1"},
          {"drop NaN", yamlHost(", drop: nan"), 5, "bad drop"},
          {"drop a word", yamlHost(", drop: often"), 5, "bad drop", "\"often\""},
          {"duplicate above 1", yamlHost(", duplicate: 2"), 5, "bad duplicate", "2"},
          {"negative delay", yamlHost(", delay_ms: -5"), 5, "negative delay_ms", "-5"},
          {"negative jitter", yamlHost(", jitter_ms: -1"), 5, "negative jitter_ms", "-1"},
          {"delay not an integer", yamlHost(", delay_ms: 1.5"), 5, "bad delay_ms", "\"1.5\""},
          {"zero idle timeout", kYamlCounts + "idle_timeout_ms: 0\n" + hosts, 4,
           "bad idle_timeout_ms", "\"0\""},
          {"syntax: unclosed list", "proposers: 1\nhosts: [\n", 3, "YAML syntax error",
           "end of file"},
          {"syntax: bad indentation", "proposers: 1\n  acceptors: 1\n", 2, "YAML syntax error",
           "\"  acceptors: 1\""},
          {"syntax: unclosed flow map", kYamlCounts + "hosts:\n  - {host: a, port: 1\n", 6,
           "YAML syntax error"},
          {"two documents", kSeedYaml + "---\nproposers: 2\n", 10, "more than one YAML document"},
          {"port 0", port("0"), 5, "bad port", "\"0\""},
          {"port 65536", port("65536"), 5, "bad port", "\"65536\""},
          {"port abc", port("abc"), 5, "bad port", "\"abc\""},
          {"port 10000x", port("10000x"), 5, "bad port", "\"10000x\""},
          {"port hex", port("0x2710"), 5, "bad port"},
          {"zero learners", count("0"), 3, "role with no nodes: learners", "\"0\""},
          {"negative learners", count("-2"), 3, "negative count for learners", "\"-2\""},
          {"unknown kind", kYamlCounts + "hosts:\n  - {host: a, port: 1, kind: consensus}\n", 5,
           "unknown kind", "\"consensus\""},
          {"empty host name", kYamlCounts + "hosts:\n  - {host: \"\", port: 1, kind: con}\n", 5,
           "bad host name", "\"\""},
          {"host name with a space", kYamlCounts + "hosts:\n  - {host: a b, port: 1, kind: con}\n",
           5, "bad host name", "\"a b\""},
          {"duplicate host:port",
           kYamlCounts + hosts + "  - {host: localhost, port: 10000, kind: cli}\n", 8,
           "duplicate host", "first on line 5"},
          {"con after cli",
           kYamlCounts + "hosts:\n  - {host: a, port: 1, kind: con}\n"
                         "  - {host: a, port: 2, kind: cli}\n  - {host: a, port: 3, kind: con}\n",
           7, "con host after cli host", "after the cli on line 6"},
          {"too many con", kYamlCounts + hosts + "  - {host: a, port: 1, kind: con}\n", 8,
           "too many con hosts", "4 con hosts"},
          {"no hosts", kYamlCounts + "hosts: []\n", 4, "too few con hosts", "0 con hosts"},
          {"empty file", "", 1, "empty file", "nothing"},
          {"only comments", "# nothing\n\n# here\n", 1, "no content",
           "only comments and blank lines"},
          {"NUL byte", kYamlCounts + "hosts:\0\n"s, 4, "not a text file", "\\x00"},
          {"binary", "\x1f\x8b\x08\x00", 1, "not a text file", "\\x1f"},
      });
}

TEST_CASE("yaml: a fault error in block style points at the host") {
  std::string text = kYamlCounts +
                     "hosts:\n  - host: localhost\n    port: 10000\n    kind: con\n"
                     "    crash_at: never\n";
  std::string message = errorOf(parseYamlHosts, text, "f.yaml");
  CHECK(message.starts_with("f.yaml:5: bad crash_at"));
}

TEST_CASE("hash: equal when only comments and blank lines differ, else different") {
  uint64_t seed = parseTextHosts(kSeedText, "a").hash();
  CHECK(parseTextHosts("# x\n\n" + kCounts + "\n# y\n" + kCon3 + "localhost 10003 cli # z\n", "b")
            .hash() == seed);
  CHECK(parseTextHosts(kCounts + kCon3 + "localhost 10004 cli\n", "a").hash() != seed);
  CHECK(parseTextHosts(kCounts + kCon3 + "otherhost 10003 cli\n", "a").hash() != seed);
  CHECK(parseTextHosts(kCounts + kCon3, "a").hash() != seed);
  std::string four = kCon3 + "localhost 10003 con\n";
  CHECK(parseTextHosts("PROPOSERS 2\nACCEPTORS 1\nLEARNERS 1\n" + four, "a").hash() !=
        parseTextHosts("PROPOSERS 1\nACCEPTORS 2\nLEARNERS 1\n" + four, "a").hash());
  // Fixed across builds and machines: nodes compare it with each other.
  CHECK(parseTextHosts(kSeedText, "a").hash() == seed);
}

TEST_CASE("hash: the mode counts only when it is multi") {
  uint64_t basic = parseTextHosts(kSeedText, "a").hash();
  // The value from before modes existed: basic files must keep talking to older nodes.
  CHECK(basic == 0xc9ca0b15f669d2cbull);
  CHECK(parseTextHosts(kCounts + "MODE basic\n" + kCon3 + "localhost 10003 cli\n", "a").hash() ==
        basic);
  CHECK(parseYamlHosts("mode: basic\n" + kSeedYaml, "a.yaml").hash() == basic);

  Hosts multiText = parseTextHosts(kCounts + "MODE multi\n" + kCon3 + "localhost 10003 cli\n", "a");
  Hosts multiYaml = parseYamlHosts("mode: multi\n" + kSeedYaml, "a.yaml");
  CHECK(multiText.hash() != basic);
  checkSameModel(multiText, multiYaml);
  CHECK(multiText.hash() == multiYaml.hash());

  // Set on the model directly, as a simulator might: the same rule.
  Hosts h = parseTextHosts(kSeedText, "a");
  h.mode = Mode::multi;
  CHECK(h.hash() == multiText.hash());
  h.mode = Mode::basic;
  CHECK(h.hash() == basic);
}

// Service mode (issue 14): 2 proposers (UIDs 0-1), 3 acceptors (2-4), 2 learners (5-6) with
// HTTP addresses, no clients. Lines 1-4 are the counts and the mode, UID n is on line 5 + n.
const std::string kServiceCounts = "PROPOSERS 2\nACCEPTORS 3\nLEARNERS 2\nMODE multi\n";
const std::string kServiceCon5 =
    "10.0.0.1 10000 con\n10.0.0.2 10000 con\n"
    "10.0.0.3 10000 con\n10.0.0.4 10000 con\n10.0.0.5 10000 con\n";
const std::string kServiceText =
    kServiceCounts + kServiceCon5 +
    "10.0.0.6 10000 con 10.0.0.6:8080\n10.0.0.7 10000 con 0.0.0.0:8081\n";
const std::string kServiceYamlCounts = "proposers: 2\nacceptors: 3\nlearners: 2\nmode: multi\n";
const std::string kServiceYamlCon5 =
    "  - {host: 10.0.0.1, port: 10000, kind: con}\n  - {host: 10.0.0.2, port: 10000, kind: con}\n"
    "  - {host: 10.0.0.3, port: 10000, kind: con}\n  - {host: 10.0.0.4, port: 10000, kind: con}\n"
    "  - {host: 10.0.0.5, port: 10000, kind: con}\n";
const std::string kServiceYaml =
    kServiceYamlCounts + "hosts:\n" + kServiceYamlCon5 +
    "  - {host: 10.0.0.6, port: 10000, kind: con, http: "
    "\"10.0.0.6:8080\"}\n"
    "  - {host: 10.0.0.7, port: 10000, kind: con, http: 0.0.0.0:8081}\n";

TEST_CASE("service: learners carry HTTP addresses in both formats, which hash alike") {
  Hosts text = parseTextHosts(kServiceText, "s.txt");
  CHECK(text.service());
  CHECK(text.mode == Mode::multi);
  REQUIRE(text.size() == 7);
  for (int uid = 0; uid < 5; ++uid) CHECK_FALSE(text.hosts[uid].http.has_value());
  REQUIRE(text.hosts[5].http.has_value());
  CHECK(text.hosts[5].http->host == "10.0.0.6");
  CHECK(text.hosts[5].http->port == 8080);
  CHECK(text.hosts[6].http == HttpAddress{"0.0.0.0", 8081});
  CHECK(text.hosts[6].line == 11);

  Hosts yaml = parseYamlHosts(kServiceYaml, "s.yaml");  // quoted and plain both read
  checkSameModel(text, yaml);
  // Block style too, and a learner without an address is fine: not every learner must serve.
  Hosts block = parseYamlHosts(kServiceYamlCounts + "hosts:\n" + kServiceYamlCon5 +
                                   "  - host: 10.0.0.6\n    port: 10000\n    kind: con\n"
                                   "  - host: 10.0.0.7\n    port: 10000\n    kind: con\n"
                                   "    http: 0.0.0.0:8081\n",
                               "b.yaml");
  CHECK(block.service());
  CHECK_FALSE(block.hosts[5].http.has_value());
  CHECK(block.hosts[6].http == HttpAddress{"0.0.0.0", 8081});
  CHECK(block.hash() == parseTextHosts(kServiceCounts + kServiceCon5 +
                                           "10.0.0.6 10000 con\n10.0.0.7 10000 con 0.0.0.0:8081\n",
                                       "b.txt")
                            .hash());

  // Comments and blanks around the fourth column do not count.
  CHECK(parseTextHosts(kServiceCounts + kServiceCon5 +
                           "10.0.0.6 10000 con\t10.0.0.6:8080 # HTTP\r\n"
                           "10.0.0.7  10000 con 0.0.0.0:8081\n",
                       "c.txt")
            .hash() == text.hash());
  // With zero clients and with some: clients stay optional.
  CHECK(parseTextHosts(kServiceText + "10.0.0.9 10000 cli\n", "d.txt").size() == 8);
}

TEST_CASE("service: the HTTP address is in the hash; files without one keep theirs") {
  Hosts service = parseTextHosts(kServiceText, "s.txt");
  Hosts plain = parseTextHosts(
      kServiceCounts + kServiceCon5 + "10.0.0.6 10000 con\n10.0.0.7 10000 con\n", "p.txt");
  CHECK_FALSE(plain.service());
  CHECK(plain.hash() != service.hash());
  // The hash as it was before HTTP addresses existed (hosts/seed.txt, docs/HOSTS.md).
  CHECK(parseTextHosts(kSeedText, "a").hash() == 0xc9ca0b15f669d2cbull);
  CHECK(loadHosts((examplesDir() / "seed.yaml").string()).hash() == 0xc9ca0b15f669d2cbull);
  // Every part of the address counts.
  auto other = [&](const std::string& address) {
    return parseTextHosts(kServiceCounts + kServiceCon5 +
                              "10.0.0.6 10000 con 10.0.0.6:8080\n"
                              "10.0.0.7 10000 con " +
                              address + "\n",
                          "o.txt")
        .hash();
  };
  CHECK(other("0.0.0.0:8081") == service.hash());
  CHECK(other("0.0.0.0:8082") != service.hash());
  CHECK(other("0.0.0.1:8081") != service.hash());
  // Set on the model directly: the same rule.
  Hosts h = plain;
  h.hosts[5].http = HttpAddress{"10.0.0.6", 8080};
  h.hosts[6].http = HttpAddress{"0.0.0.0", 8081};
  CHECK(h.service());
  CHECK(h.hash() == service.hash());
  h.hosts[5].http.reset();
  h.hosts[6].http.reset();
  CHECK(h.hash() == plain.hash());
}

TEST_CASE("service: every misplaced or malformed HTTP address names the file and the line") {
  auto learners = [&](const std::string& six, const std::string& seven) {
    return kServiceCounts + kServiceCon5 + "10.0.0.6 10000 con " + six + "\n10.0.0.7 10000 con " +
           seven + "\n";
  };
  std::string proposerHttp = kServiceCounts + "10.0.0.1 10000 con 10.0.0.1:8080\n" +
                             kServiceCon5.substr(kServiceCon5.find('\n') + 1) +
                             "10.0.0.6 10000 con\n10.0.0.7 10000 con\n";
  std::string acceptorHttp = kServiceCounts +
                             "10.0.0.1 10000 con\n10.0.0.2 10000 con\n"
                             "10.0.0.3 10000 con 10.0.0.3:80\n10.0.0.4 10000 con\n"
                             "10.0.0.5 10000 con\n10.0.0.6 10000 con\n10.0.0.7 10000 con\n";
  std::string basic = "PROPOSERS 2\nACCEPTORS 3\nLEARNERS 2\n" + kServiceCon5 +
                      "10.0.0.6 10000 con 10.0.0.6:8080\n10.0.0.7 10000 con\n";
  checkBadCases(
      parseTextHosts, "s.txt",
      {
          {"no port", learners("a:8080", "b"), 11, "bad http address", "\"b\""},
          {"no colon", learners("8080", "b:1"), 10, "bad http address", "\"8080\""},
          {"no host", learners(":8080", "b:1"), 10, "bad http address", "\":8080\""},
          {"port 0", learners("a:0", "b:1"), 10, "bad http address", "\"a:0\""},
          {"port 65536", learners("a:65536", "b:1"), 10, "bad http address", "\"a:65536\""},
          {"port not a number", learners("a:http", "b:1"), 10, "bad http address"},
          {"two colons", learners("a:1:2", "b:1"), 10, "bad http address"},
          {"IPv6", learners("[::1]:8080", "b:1"), 10, "bad http address"},
          {"fifth column", learners("a:1 b:2", "b:1"), 10, "extra field in host line",
           "\"10.0.0.6 10000 con a:1 b:2\""},
          {"on a proposer", proposerHttp, 5, "http address on a non-learner",
           "\"10.0.0.1 10000 con 10.0.0.1:8080\", UID 0, a proposer"},
          {"on an acceptor", acceptorHttp, 7, "http address on a non-learner",
           "\"10.0.0.3 10000 con 10.0.0.3:80\", UID 2, an acceptor"},
          {"on a client", kServiceText + "10.0.0.9 1 cli 10.0.0.9:80\n", 12,
           "http address on a cli host", "\"10.0.0.9 1 cli 10.0.0.9:80\""},
          {"basic mode", basic, 9, "http address in a basic cluster", "mode basic"},
          {"same address twice", learners("a:8080", "a:8080"), 11, "duplicate http address",
           "\"a:8080\" again, first on line 10"},
      });
  // The whole message, once, for the wording.
  CHECK(errorOf(parseTextHosts, acceptorHttp, "s.txt") ==
        "s.txt:7: http address on a non-learner (expected http only on learners (UIDs 5-6), "
        "found \"10.0.0.3 10000 con 10.0.0.3:80\", UID 2, an acceptor)");
  CHECK(errorOf(parseTextHosts, basic, "s.txt") ==
        "s.txt:9: http address in a basic cluster (expected MODE multi (YAML mode: multi) in a "
        "file with http addresses, found mode basic)");
  // Same address spelt differently, or the same port on another host, is not a duplicate here
  // (like NAME PORT, it fails at bind time); the Paxos port may equal the HTTP port (UDP, TCP).
  CHECK(parseTextHosts(learners("a:8080", "b:8080"), "s.txt").service());
  CHECK(parseTextHosts(learners("10.0.0.6:10000", "b:8080"), "s.txt").service());
}

TEST_CASE("service: YAML http errors match the text format's") {
  auto learner = [&](const std::string& http) {
    return kServiceYamlCounts + "hosts:\n" + kServiceYamlCon5 +
           "  - {host: 10.0.0.6, port: 10000, kind: con, http: " + http +
           "}\n  - {host: 10.0.0.7, port: 10000, kind: con}\n";
  };
  std::string onAcceptor = kServiceYamlCounts +
                           "hosts:\n  - {host: 10.0.0.1, port: 10000, kind: con}\n"
                           "  - {host: 10.0.0.2, port: 10000, kind: con}\n"
                           "  - {host: 10.0.0.3, port: 10000, kind: con, http: \"10.0.0.3:80\"}\n"
                           "  - {host: 10.0.0.4, port: 10000, kind: con}\n"
                           "  - {host: 10.0.0.5, port: 10000, kind: con}\n"
                           "  - {host: 10.0.0.6, port: 10000, kind: con}\n"
                           "  - {host: 10.0.0.7, port: 10000, kind: con}\n";
  checkBadCases(
      parseYamlHosts, "s.yaml",
      {
          {"no port", learner("\"a\""), 11, "bad http address", "\"a\""},
          {"port 0", learner("\"a:0\""), 11, "bad http address", "\"a:0\""},
          {"a list", learner("[a, 1]"), 11, "wrong type for http", "a list"},
          {"space in the host", learner("\"a b:80\""), 11, "bad http address", "\"a b:80\""},
          {"on an acceptor", onAcceptor, 8, "http address on a non-learner", "UID 2, an acceptor"},
          {"on a client",
           kServiceYaml + "  - {host: 10.0.0.9, port: 1, kind: cli, http: \"10.0.0.9:80\"}\n", 13,
           "http address on a cli host"},
          {"basic mode",
           "proposers: 2\nacceptors: 3\nlearners: 2\nhosts:\n" + kServiceYamlCon5 +
               "  - {host: 10.0.0.6, port: 10000, kind: con, http: \"a:1\"}\n"
               "  - {host: 10.0.0.7, port: 10000, kind: con}\n",
           10, "http address in a basic cluster", "mode basic"},
          {"same address twice",
           kServiceYamlCounts + "hosts:\n" + kServiceYamlCon5 +
               "  - {host: 10.0.0.6, port: 10000, kind: con, http: \"a:1\"}\n"
               "  - {host: 10.0.0.7, port: 10000, kind: con, http: \"a:1\"}\n",
           12, "duplicate http address", "first on line 11"},
      });
  // A model built in code gets the same checks from validate().
  Hosts h = parseTextHosts(kServiceText, "m.txt");
  h.hosts[5].http->port = 0;
  CHECK_THROWS_WITH_AS(validate(h),
                       "m.txt:10: bad http port (expected a number 1..65535, found \"10.0.0.6:0\")",
                       HostsError);
}

TEST_CASE("parseHttpAddress and httpText are inverses") {
  CHECK(parseHttpAddress("127.0.0.1:8081") == HttpAddress{"127.0.0.1", 8081});
  CHECK(parseHttpAddress("localhost:1") == HttpAddress{"localhost", 1});
  CHECK(parseHttpAddress("h:65535") == HttpAddress{"h", 65535});
  CHECK(httpText(HttpAddress{"10.0.0.6", 8080}) == "10.0.0.6:8080");
  for (const char* text : {"127.0.0.1:8081", "a:1", "node-7.example:65535"})
    CHECK(httpText(*parseHttpAddress(text)) == text);
  for (const char* bad : {"", ":", "a", "a:", ":80", "a:0", "a:-1", "a:+1", "a:65536", "a:80x",
                          "a:1:2", "[::1]:80", "a:0x50"}) {
    INFO(bad);
    CHECK_FALSE(parseHttpAddress(bad).has_value());
  }
}

TEST_CASE("modeName and parseMode are inverses") {
  for (Mode mode : {Mode::basic, Mode::multi}) CHECK(parseMode(modeName(mode)) == mode);
  CHECK(modeName(Mode::basic) == "basic");
  CHECK(modeName(Mode::multi) == "multi");
  for (const char* bad : {"", "Basic", "MULTI", "multi ", "paxos"}) {
    INFO(bad);
    CHECK_FALSE(parseMode(bad).has_value());
  }
}

TEST_CASE("loadHosts: the example files") {
  auto dir = examplesDir();
  Hosts seedText = loadHosts((dir / "seed.txt").string());
  Hosts seedYaml = loadHosts((dir / "seed.yaml").string());
  checkSameModel(seedText, seedYaml);
  checkSameModel(seedText, parseTextHosts(kSeedText, "x"));
  CHECK(seedText.file == (dir / "seed.txt").string());
  CHECK(seedText.mode == Mode::basic);
  CHECK(seedYaml.mode == Mode::basic);

  Hosts multiText = loadHosts((dir / "multi.txt").string());
  Hosts multiYaml = loadHosts((dir / "multi.yaml").string());
  checkSameModel(multiText, multiYaml);
  CHECK(multiText.mode == Mode::multi);
  CHECK(multiYaml.mode == Mode::multi);
  CHECK(multiText.proposers == 2);
  CHECK(multiText.acceptors == 3);
  CHECK(multiText.learners == 2);
  REQUIRE(multiText.size() == 9);
  for (int uid = 0; uid < 9; ++uid) {
    CHECK(multiText.hosts[uid].name == "localhost");
    CHECK(multiText.hosts[uid].port == 10000 + uid);
    CHECK(multiText.hosts[uid].kind == (uid < 7 ? Kind::consensus : Kind::client));
  }
  CHECK(multiText.hash() != seedText.hash());

  Hosts run2 = loadHosts((dir / "run2.txt").string());
  CHECK(run2.proposers == 3);
  CHECK(run2.acceptors == 3);
  CHECK(run2.learners == 5);
  REQUIRE(run2.size() == 19);
  for (int uid = 0; uid < 19; ++uid) {
    CHECK(run2.hosts[uid].port == 10000 + uid);
    CHECK(run2.hosts[uid].kind == (uid < 11 ? Kind::consensus : Kind::client));
  }

  Hosts run3 = loadHosts((dir / "run3.txt").string());
  CHECK(run3.consensusCount() == 5);
  CHECK(run3.acceptors == 3);
  CHECK(run3.size() == 9);

  Hosts faults = loadHosts((dir / "faults.yaml").string());
  CHECK(faults.acceptors == 3);
  int crashing = 0;
  for (const Host& h : faults.hosts) crashing += h.faults.crashAt.empty() ? 0 : 1;
  CHECK(crashing == 1);
}

TEST_CASE("loadHosts: dispatch on the extension and unreadable files") {
  TempFile yml("h.YML", kSeedYaml);
  CHECK(loadHosts(yml.path.string()).hash() == parseTextHosts(kSeedText, "x").hash());
  TempFile txt("hosts.txt", kSeedText);
  CHECK(loadHosts(txt.path.string()).size() == 4);
  TempFile yamlAsText("hosts", kSeedYaml);  // no extension: the text format, which says so
  std::string message;
  try {
    loadHosts(yamlAsText.path.string());
  } catch (const HostsError& e) {
    message = e.what();
  }
  CHECK(message.starts_with(yamlAsText.path.string() + ":1: missing count line"));

  std::string missing = "/nonexistent/dir/hosts.txt";
  CHECK_THROWS_WITH_AS(loadHosts(missing),
                       (missing + ": cannot read: No such file or directory").c_str(), HostsError);
  std::string dir = std::filesystem::temp_directory_path().string();
  CHECK_THROWS_WITH_AS(loadHosts(dir), (dir + ": cannot read: Is a directory").c_str(), HostsError);
}

TEST_CASE("yaml: input that hangs yaml-cpp 0.7 is refused before it sees it (fuzz findings)") {
  // fuzz/corpus/yaml_hosts/yaml_hosts_*: yaml-cpp looped or allocated gigabytes on these.
  const std::pair<std::string, std::string> cases[] = {
      {",ro[*@t0ors: *a\n", "h.yaml:1: a line starting with ','"},
      {",roa2@t0rso\n", "h.yaml:1: a line starting with ','"},
      {"\xEF\xBB\xBF,+@\n", "h.yaml:1: a line starting with ','"},
      {"proposers: &p 1\nacceptors: *p\n", "h.yaml:1: YAML anchors, aliases and tags are not"},
      {"!rottodel, so both files\n", "h.yaml:1: YAML anchors, aliases and tags are not"}};
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    try {
      parseYamlHosts(text, "h.yaml");
      FAIL("parsed");
    } catch (const HostsError& e) {
      CHECK(std::string(e.what()).find(expected) == 0);
    }
  }
}

TEST_CASE("yaml: a document that consumes nothing is a syntax error, not yaml-cpp's endless loop") {
  // yaml-cpp 0.7's LoadAll never returns on these; the parser reads at most three documents and
  // calls one that starts where the previous one did a syntax error.
  // fuzz/corpus/yaml_hosts/yaml_hosts_bom_flow_loop.yaml is the first.
  const std::pair<std::string, std::string> cases[] = {
      {"[\xef\xbb\xbful+\xef\xbb\xbf\xc3\xbf<@],+\xef\xbb\xbfus:0\"}",
       "h.yaml:1: YAML syntax error: unexpected token"},
      {"[a, b], c\n", "h.yaml:1: YAML syntax error: unexpected token"},
      {"proposers: 1\n---\nx: 2\n", "h.yaml:3: more than one YAML document"}};
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    try {
      parseYamlHosts(text, "h.yaml");
      FAIL("parsed");
    } catch (const HostsError& e) {
      CHECK(std::string(e.what()).find(expected) == 0);
    }
  }
}
