// Bad input to the drivers: one line on stderr naming the problem, exit code 2, never a crash
// or a hang. And a client started with another hosts file is refused by the cluster.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cluster_run.hpp"
#include "process_group.hpp"

using namespace paxos::test;

namespace {

struct Result {
  int status;
  std::string err;
};

std::string inputDir() {
  std::string dir = std::string(PAXOS_TEST_DIR) + "/input";
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs a driver with the hosts file `hostsText` (written as `hostsName` in the input folder;
// "--hosts" in args overrides it), extra environment and, if not empty, stdin.
Result run(const std::vector<std::string>& args, const std::string& hostsText,
           const std::vector<std::string>& env = {}, const std::string& stdinText = "",
           const std::string& hostsName = "hosts.txt") {
  std::string dir = inputDir();
  std::ofstream(dir + "/" + hostsName) << hostsText;
  std::vector<std::string> argv{std::string(PAXOS_BIN_DIR) + "/" + args[0]};
  bool hosts = false;
  for (size_t i = 1; i < args.size(); ++i) {
    argv.push_back(args[i]);
    hosts |= args[i] == "--hosts";
  }
  if (!hosts) argv.insert(argv.end(), {"--hosts", dir + "/" + hostsName});
  std::string in;
  if (!stdinText.empty()) std::ofstream(in = dir + "/in") << stdinText;
  ProcessGroup group;
  pid_t pid = group.spawn(argv, dir + "/out", dir + "/err", in, env);
  REQUIRE(group.waitAll(std::chrono::seconds(10)));
  return {group.status(pid), readFile(dir + "/err")};
}

std::string hostsWithPorts(int con0, int cli, const std::string& mode = "") {
  return "PROPOSERS 1\nACCEPTORS 1\nLEARNERS 1\n" + mode + "localhost " + std::to_string(con0) +
         " con\nlocalhost " + std::to_string(con0 + 1) + " con\nlocalhost " +
         std::to_string(con0 + 2) + " con\nlocalhost " + std::to_string(cli) + " cli\n";
}

std::string yamlWithPorts(int con0, const std::string& extra) {
  std::string text = "proposers: 1\nacceptors: 1\nlearners: 1\n" + extra + "hosts:\n";
  for (int i = 0; i < 4; ++i)
    text += "  - {host: localhost, port: " + std::to_string(con0 + i) +
            (i < 3 ? ", kind: con}\n" : ", kind: cli}\n");
  return text;
}

}  // namespace

// Issue 7 point 6: every option of both drivers, the cluster key, and end to end a few fields of
// each hosts format (tests/unit/hosts_test.cpp covers the parser in depth).
TEST_CASE("bad arguments and files: one line naming the problem, exit 2") {
  int base = freeUdpPortRange(4);
  std::string good = hostsWithPorts(base, base + 3);
  std::string multi = hostsWithPorts(base, base + 3, "MODE multi\n");
  std::string dir = inputDir();
  std::ofstream(dir + "/a-file") << "not a directory\n";
  std::ofstream(dir + "/short.key") << "too short";
  std::string noSuchDir = dir + "/no/such/dir";
  struct Case {
    std::vector<std::string> args;
    std::string hosts;
    std::string expected;  // a fragment of the one line
    std::vector<std::string> env = {};
    std::string stdinText = "";
    std::string hostsName = "hosts.txt";
  };
  std::vector<Case> cases = {
      // condriver: UID
      {{"condriver"}, good, "UID is required"},
      {{"condriver", "abc"}, good, "UID = abc"},
      {{"condriver", "-1"}, good, "UID = -1"},
      {{"condriver", "9"}, good, "UID 9 is out of range"},
      {{"condriver", "3"}, good, "UID 3 is a client host"},
      {{"condriver", "0", "1"}, good, "not expected: 1"},
      // condriver: options
      {{"condriver", "0", "--hosts", noSuchDir + "/hosts.txt"}, good, "no/such/dir/hosts.txt"},
      {{"condriver", "0", "--hosts"}, good, "--hosts"},
      {{"condriver", "0", "--idle-timeout", "0"}, good, "--idle-timeout"},
      {{"condriver", "0", "--idle-timeout", "-5"}, good, "--idle-timeout"},
      {{"condriver", "0", "--idle-timeout", "soon"}, good, "--idle-timeout: Value soon"},
      {{"condriver", "0", "--crash-at", "lunch"}, good, "--crash-at"},
      {{"condriver", "0", "--crash-at", "accept:0"}, good, "--crash-at"},
      {{"condriver", "0", "--drop", "2"}, good, "--drop"},
      {{"condriver", "0", "--drop", "x"}, good, "--drop"},
      {{"condriver", "0", "--duplicate", "-0.5"}, good, "--duplicate"},
      {{"condriver", "0", "--duplicate", "often"}, good, "--duplicate"},
      {{"condriver", "0", "--delay", "x"}, good, "--delay"},
      {{"condriver", "0", "--delay", "5:x"}, good, "--delay"},
      {{"condriver", "0", "--data-dir", dir + "/a-file"}, good, "a-file: cannot create"},
      {{"condriver", "0", "--durability", "sometimes"}, good, "--durability: sometimes"},
      {{"condriver", "0", "--trace", noSuchDir + "/t.jsonl"}, good, "--trace"},
      {{"condriver", "0", "--seed", "abc"}, good, "--seed"},
      {{"condriver", "0", "--seed", "-1"}, good, "--seed: expected an integer"},
      {{"condriver", "0", "--seed", "99999999999999999999999"},
       good,
       "--seed: expected an integer"},
      {{"condriver", "0", "--pipeline", "0"}, good, "--pipeline"},
      {{"condriver", "0", "--batch-bytes", "1"}, good, "--batch-bytes"},
      {{"condriver", "0", "--batch-bytes", "100000"}, good, "--batch-bytes"},
      {{"condriver", "0", "--leader-timeout", "5"}, good, "--leader-timeout"},
      {{"condriver", "0", "--bogus"}, good, "--bogus"},
      // clidriver
      {{"clidriver", "abc", "5", "0"}, good, "UID = abc"},
      {{"clidriver", "9", "5", "0"}, good, "UID 9 is out of range"},
      {{"clidriver", "0", "5", "0"}, good, "UID 0 is a consensus host"},
      {{"clidriver", "3"}, good, "VALUE is required"},
      {{"clidriver", "3", "5"}, good, "DESIREDPROPOSER is required"},
      {{"clidriver", "3", "5", "abc"}, good, "DESIREDPROPOSER = abc"},
      {{"clidriver", "3", "5", "-1"}, good, "DESIREDPROPOSER = -1"},
      {{"clidriver", "3", std::string(9000, 'x'), "0"}, good, "at most 8192"},
      {{"clidriver", "3", std::string(8180, 'x'), "0"}, multi, "at most 8178"},
      {{"clidriver", "3", "-", "0"}, good, "needs a multi-mode cluster"},
      {{"clidriver", "3", "-", "0"}, multi, "stdin line 2", {}, "ok\n" + std::string(9000, 'x')},
      {{"clidriver", "3", "5", "0", "--timeout", "0"}, good, "--timeout"},
      {{"clidriver", "3", "5", "0", "--timeout", "later"}, good, "--timeout"},
      {{"clidriver", "3", "5", "0", "--window", "0"}, good, "--window"},
      {{"clidriver", "3", "5", "0", "--window", "2000"}, good, "--window"},
      {{"clidriver", "3", "5", "0", "--latency"}, good, "--latency needs a multi-mode cluster"},
      {{"clidriver", "3", "5", "0", "--latency", "yes"}, multi, "yes"},
      {{"clidriver", "3", "5", "0", "--trace", noSuchDir + "/t.jsonl"}, good, "--trace"},
      {{"clidriver", "3", "5", "0", "--hosts", noSuchDir + "/h.txt"}, good, "no/such/dir/h.txt"},
      {{"clidriver", "3", "5", "0", "--bogus"}, good, "--bogus"},
      // the cluster key
      {{"condriver", "0"}, good, "no.key", {"PAXOS_KEY_FILE=" + noSuchDir + "/no.key"}},
      {{"condriver", "0"}, good, "short.key", {"PAXOS_KEY_FILE=" + dir + "/short.key"}},
      {{"clidriver", "3", "5", "0"}, good, "no.key", {"PAXOS_KEY_FILE=" + noSuchDir + "/no.key"}},
      {{"clidriver", "3", "5", "0"}, good, "short.key", {"PAXOS_KEY_FILE=" + dir + "/short.key"}},
      // hosts files, text format
      {{"condriver", "0"}, "PROPOSERS 1\nACCEPTORS x\n", "hosts.txt:2"},
      {{"condriver", "0"}, "", "empty"},
      {{"condriver", "0"}, hostsWithPorts(base, base + 3, "MODE fast\n"), "fast"},
      {{"condriver", "0"}, hostsWithPorts(base, 0), "hosts.txt:7"},
      {{"condriver", "0"}, good + "localhost 5 svc\n", "svc"},
      {{"clidriver", "3", "5", "0"},
       "PROPOSERS 2\n" + good.substr(good.find('\n') + 1),
       "too few con hosts"},
      {{"condriver", "0"},
       "PROPOSERS 1\nACCEPTORS 1\nLEARNERS 1\nnosuchhost.invalid 1 con\n"
       "localhost 2 con\nlocalhost 3 con\n",
       "cannot resolve host 'nosuchhost.invalid'"},
      // hosts files, YAML
      {{"condriver", "0"},
       yamlWithPorts(base, "key_file: missing.key\n"),
       "missing.key",
       {},
       "",
       "hosts.yaml"},
      {{"condriver", "0"}, yamlWithPorts(base, "colour: blue\n"), "colour", {}, "", "hosts.yaml"},
      {{"condriver", "0"}, yamlWithPorts(base, "mode: fast\n"), "fast", {}, "", "hosts.yaml"},
      {{"condriver", "0"},
       yamlWithPorts(base, "idle_timeout_ms: 0\n"),
       "idle_timeout_ms",
       {},
       "",
       "hosts.yaml"},
      {{"clidriver", "3", "5", "0"},
       yamlWithPorts(base, "client_timeout_ms: x\n"),
       "client_timeout_ms",
       {},
       "",
       "hosts.yaml"},
      {{"condriver", "0"},
       "proposers: 1\nacceptors: 1\nlearners: 1\n",
       "missing key",
       {},
       "",
       "hosts.yaml"},
  };
  for (const auto& c : cases) {
    std::string command;
    for (const auto& a : c.args) command += " " + (a.size() > 40 ? a.substr(0, 20) + "..." : a);
    INFO(command << " (" << c.hostsName << (c.env.empty() ? "" : ", " + c.env[0]) << ")");
    Result r = run(c.args, c.hosts, c.env, c.stdinText, c.hostsName);
    INFO("status " << r.status << ", stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(c.expected) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("a port already in use: one line, exit 2") {
  int base = freeUdpPortRange(4);
  int held = bindLoopbackUdp(base);  // the test holds node 0's port
  REQUIRE(held >= 0);
  Result r = run({"condriver", "0"}, hostsWithPorts(base, base + 3));
  close(held);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.find("cannot bind localhost:" + std::to_string(base) + ": Address already in use") !=
        std::string::npos);
}

TEST_CASE("--help exits 0 and describes every option") {
  Result r = run({"condriver", "--help"}, "");
  CHECK(r.status == 0);
  std::string help = readFile(std::string(PAXOS_TEST_DIR) + "/input/out");
  for (auto option : {"--hosts", "--debug", "--crash-at", "--drop", "--duplicate", "--delay",
                      "--idle-timeout", "--seed"})
    CHECK(help.find(option) != std::string::npos);
}

TEST_CASE("a client started with another hosts file is refused and gives up") {
  Scenario s = seedRun();
  s.name = "wrong-hosts";
  s.clientArgs = {"--timeout", "1000"};
  s.nodeArgs = {"--idle-timeout", "2000"};
  s.hostsFor[3] = [](std::string text) { return text + "# differs only here\nlocalhost 1 cli\n"; };
  Outcome o = runCluster(s, 0);
  REQUIRE(o.allExited);
  CHECK(o.status[3] == 1);
  CHECK(o.clientDecisions().empty());
  CHECK(readFile(o.dir + "/3.log").find("hosts file differs") != std::string::npos);
}
