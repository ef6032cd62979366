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

Result run(const std::vector<std::string>& args, const std::string& hostsText) {
  std::string dir = std::string(PAXOS_TEST_DIR) + "/input";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/hosts.txt") << hostsText;
  std::vector<std::string> argv{std::string(PAXOS_BIN_DIR) + "/" + args[0]};
  for (size_t i = 1; i < args.size(); ++i) argv.push_back(args[i]);
  argv.insert(argv.end(), {"--hosts", dir + "/hosts.txt"});
  ProcessGroup group;
  pid_t pid = group.spawn(argv, dir + "/out", dir + "/err");
  REQUIRE(group.waitAll(std::chrono::seconds(10)));
  return {group.status(pid), readFile(dir + "/err")};
}

std::string hostsWithPorts(int con0, int cli) {
  return "PROPOSERS 1\nACCEPTORS 1\nLEARNERS 1\nlocalhost " + std::to_string(con0) +
         " con\nlocalhost " + std::to_string(con0 + 1) + " con\nlocalhost " +
         std::to_string(con0 + 2) + " con\nlocalhost " + std::to_string(cli) + " cli\n";
}

}  // namespace

TEST_CASE("bad arguments and files: one line naming the problem, exit 2") {
  int base = freeUdpPortRange(4);
  std::string good = hostsWithPorts(base, base + 3);
  struct Case {
    std::vector<std::string> args;
    std::string hosts;
    std::string expected;  // a fragment of the one line
  };
  std::vector<Case> cases = {
      {{"condriver"}, good, "UID is required"},
      {{"condriver", "abc"}, good, "UID"},
      {{"condriver", "9"}, good, "UID 9 is out of range"},
      {{"condriver", "3"}, good, "UID 3 is a client host"},
      {{"clidriver", "0", "5", "0"}, good, "UID 0 is a consensus host"},
      {{"clidriver", "3", "5"}, good, "DESIREDPROPOSER is required"},
      {{"clidriver", "3", std::string(9000, 'x'), "0"}, good, "at most 8192"},
      {{"condriver", "0", "--crash-at", "lunch"}, good, "--crash-at"},
      {{"condriver", "0", "--crash-at", "accept:0"}, good, "--crash-at"},
      {{"condriver", "0", "--drop", "2"}, good, "--drop"},
      {{"condriver", "0", "--delay", "x"}, good, "--delay"},
      {{"condriver", "0", "--idle-timeout", "-5"}, good, "--idle-timeout"},
      {{"condriver", "0", "--bogus"}, good, "--bogus"},
      {{"condriver", "0"}, "PROPOSERS 1\nACCEPTORS x\n", "hosts.txt:2"},
      {{"condriver", "0"}, "", "empty"},
      {{"condriver", "0"},
       "PROPOSERS 1\nACCEPTORS 1\nLEARNERS 1\nnosuchhost.invalid 1 con\n"
       "localhost 2 con\nlocalhost 3 con\n",
       "cannot resolve host 'nosuchhost.invalid'"},
  };
  for (const auto& c : cases) {
    Result r = run(c.args, c.hosts);
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : "") << ": " << r.err);
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
