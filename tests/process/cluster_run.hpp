// Runs one cluster of real condriver/clidriver processes on free loopback ports and collects
// what each printed and how each exited.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace paxos::test {

struct ClientSpec {
  std::string value;
  int desired = 0;
};

struct Scenario {
  std::string name;
  int proposers = 1, acceptors = 1, learners = 1;
  std::vector<ClientSpec> clients;
  std::map<int, std::vector<std::string>> extraArgs;  // per UID, e.g. {"--crash-at", "accept"}
  std::vector<std::string> nodeArgs;                  // for every condriver
  std::vector<std::string> clientArgs;                // for every clidriver
  std::set<int> killAtStart;                          // SIGKILLed right after they start
  std::chrono::milliseconds limit{20000};             // every process must exit by then
  // Per UID: rewrites the hosts file that process reads (to start it with another cluster's).
  std::map<int, std::function<std::string(std::string)>> hostsFor;
};

struct Outcome {
  bool allExited = false;                 // within the limit, by themselves
  std::map<int, int> status;              // uid -> exit code (128+signal if killed)
  std::map<int, std::string> stdoutText;  // uid -> what it printed on stdout
  std::string dir;
  double elapsedMs = 0;  // launch of the first process to exit of the last

  int consensus = 0;
  // Values the clients printed after "Final message received by client from learner: ".
  std::map<int, std::string> clientDecisions() const;
  std::string describe() const;  // for failure messages: statuses and log paths
};

Outcome runCluster(const Scenario& scenario, int runIndex);

// The seed's three scenarios (run.sh, run2.sh, run3.sh).
Scenario seedRun();
Scenario seedRun2();
Scenario seedRun3();

}  // namespace paxos::test
