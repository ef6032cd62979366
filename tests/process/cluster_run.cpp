#include "cluster_run.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "process_group.hpp"

namespace paxos::test {

namespace fs = std::filesystem;

std::map<int, std::string> Outcome::clientDecisions() const {
  static const std::string prefix = "Final message received by client from learner: ";
  std::map<int, std::string> decisions;
  for (auto& [uid, text] : stdoutText) {
    if (uid < consensus || text.rfind(prefix, 0) != 0) continue;
    decisions[uid] = text.substr(prefix.size(), text.find('\n') - prefix.size());
  }
  return decisions;
}

std::string Outcome::describe() const {
  std::ostringstream text;
  text << "run folder " << dir << ": exit statuses";
  for (auto& [uid, code] : status) text << " " << uid << "=" << code;
  return text.str();
}

Outcome runCluster(const Scenario& s, int runIndex) {
  Outcome outcome;
  outcome.consensus = s.proposers + s.acceptors + s.learners;
  int total = outcome.consensus + int(s.clients.size());
  outcome.dir = std::string(PAXOS_TEST_DIR) + "/" + s.name + "-" + std::to_string(runIndex);
  fs::remove_all(outcome.dir);
  fs::create_directories(outcome.dir);
  std::string hosts = outcome.dir + "/hosts.txt";
  std::ostringstream out;
  {
    out << "PROPOSERS " << s.proposers << "\nACCEPTORS " << s.acceptors << "\nLEARNERS "
        << s.learners << "\n";
    auto ports = freeUdpPorts(total);
    for (int uid = 0; uid < total; ++uid)
      out << "localhost " << ports[uid] << (uid < outcome.consensus ? " con\n" : " cli\n");
  }
  std::ofstream(hosts) << out.str();

  ProcessGroup group;
  std::map<int, pid_t> pids;
  auto t0 = std::chrono::steady_clock::now();
  for (int uid = 0; uid < total; ++uid) {
    bool client = uid >= outcome.consensus;
    std::vector<std::string> argv{
        std::string(PAXOS_BIN_DIR) + (client ? "/clidriver" : "/condriver"), std::to_string(uid)};
    if (client) {
      const ClientSpec& c = s.clients[uid - outcome.consensus];
      argv.push_back(c.value);
      argv.push_back(std::to_string(c.desired));
    }
    if (auto rewrite = s.hostsFor.find(uid); rewrite != s.hostsFor.end()) {
      std::string own = outcome.dir + "/hosts-" + std::to_string(uid) + ".txt";
      std::ofstream(own) << rewrite->second(out.str());
      argv.insert(argv.end(), {"--hosts", own});
    } else {
      argv.insert(argv.end(), {"--hosts", hosts});
    }
    const auto& common = client ? s.clientArgs : s.nodeArgs;
    argv.insert(argv.end(), common.begin(), common.end());
    if (auto extra = s.extraArgs.find(uid); extra != s.extraArgs.end())
      argv.insert(argv.end(), extra->second.begin(), extra->second.end());
    std::string base = outcome.dir + "/" + std::to_string(uid);
    pids[uid] = group.spawn(argv, base + ".out", base + ".log");
    if (s.killAtStart.contains(uid)) group.kill(pids[uid]);
  }
  outcome.allExited = group.waitAll(s.limit);
  outcome.elapsedMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (auto& [uid, pid] : pids) {
    outcome.status[uid] = group.status(pid);
    outcome.stdoutText[uid] = readFile(outcome.dir + "/" + std::to_string(uid) + ".out");
  }
  return outcome;
}

Scenario seedRun() {
  Scenario s;
  s.name = "run";
  s.clients = {{"210", 0}};
  return s;
}

Scenario seedRun2() {
  Scenario s;
  s.name = "run2";
  s.proposers = 3, s.acceptors = 3, s.learners = 5;
  std::vector<std::string> values{"55", "56", "57", "57", "230", "231", "232", "233"};
  std::vector<int> desired{0, 1, 2, 3, 1, 45, 41, 10};
  for (size_t i = 0; i < values.size(); ++i) s.clients.push_back({values[i], desired[i]});
  return s;
}

Scenario seedRun3() {
  Scenario s;
  s.name = "run3";
  s.proposers = 1, s.acceptors = 3, s.learners = 1;
  for (auto v : {"55", "56", "57", "230"}) s.clients.push_back({v, 1});
  return s;
}

}  // namespace paxos::test
