// Runs one cluster of real condriver/clidriver processes on free loopback ports and collects
// what each printed, how each exited and its peak memory: all at once (runCluster), or one process
// at a time with kills and restarts (Cluster).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "process_group.hpp"

namespace paxos::test {

struct ClientSpec {
  std::string value;  // "-" in multi mode: propose each line of stdin (Scenario::stdinLines)
  int desired = 0;
};

struct Scenario {
  std::string name;
  int proposers = 1, acceptors = 1, learners = 1;
  bool multi = false;  // the hosts file says MODE multi: a replicated log (docs/HOSTS.md)
  std::vector<ClientSpec> clients;
  std::map<int, std::vector<std::string>> extraArgs;  // per UID, e.g. {"--crash-at", "accept"}
  std::vector<std::string> nodeArgs;                  // for every condriver
  std::vector<std::string> clientArgs;                // for every clidriver
  std::set<int> killAtStart;                          // SIGKILLed right after they start
  bool dataDir = false;                               // condrivers get --data-dir RUNFOLDER/data
  std::chrono::milliseconds limit{20000};             // every process must exit by then
  // Per UID: rewrites the hosts file that process reads (to start it with another cluster's).
  std::map<int, std::function<std::string(std::string)>> hostsFor;
  // Per client UID: its stdin, written to RUNFOLDER/UID.in (else it inherits the test's stdin).
  std::map<int, std::vector<std::string>> stdinLines;
  // Per client UID: an existing file for its stdin (a benchmark's millions of values).
  std::map<int, std::string> stdinFiles;
  // Client UIDs whose stdin is a pipe the test writes to (Cluster::writeStdin, closeStdin).
  std::set<int> stdinPipes;
  // Extra cli lines after the clients' that no process uses: a test can send from their ports.
  int spareClients = 0;
  // NAME=VALUE entries added to every process's environment (e.g. PAXOS_KEY_FILE=...).
  std::vector<std::string> env;
  // Service mode (docs/KV.md): every learner gets an HTTP address on a free loopback TCP port,
  // the 4th column of its host line, and serves the key-value API there (Cluster::url).
  bool http = false;
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

// What a process printed, a line each (as std::getline splits it).
std::vector<std::string> lines(const std::string& text);

// Where a Cluster finds condriver and clidriver, and where it makes its run folders (one per
// scenario name and run index, emptied first). Defaults: the build's bin/ and test-runs/.
void setBinDir(std::string dir);
const std::string& binDir();
void setRunRoot(std::string dir);
const std::string& runRoot();

// Starts every process of the scenario and waits until all exit or the limit passes.
Outcome runCluster(const Scenario& scenario, int runIndex);

// One run whose processes the test starts, kills and restarts itself. Files in the run
// folder: hosts.txt, UID.out and UID.log (stdout, stderr) of the first start, UID.rK.out and
// UID.rK.log of the K-th restart. Every wait ends at the scenario's limit after the first
// start; whatever is still running when the Cluster is destroyed is SIGKILLed.
class Cluster {
 public:
  // A fresh run folder and hosts file on free ports; starts nothing.
  Cluster(Scenario scenario, int runIndex);
  ~Cluster();  // closes the stdin pipes; the ProcessGroup kills what still runs

  const std::string& dir() const { return dir_; }
  int consensus() const { return consensus_; }
  int size() const { return consensus_ + int(scenario_.clients.size()); }
  // The loopback port of uid's host line, spare client lines (UIDs size()..) included.
  int port(int uid) const { return ports_.at(uid); }
  // "http://127.0.0.1:PORT" of a learner in a Scenario::http cluster; "" for any other UID.
  std::string url(int uid) const;
  // The URLs of every learner, in UID order.
  std::vector<std::string> urls() const;

  // Starts uid with the scenario's command line for it (killAtStart applies).
  void start(int uid);
  void startAll();
  // Starts uid again after it exited, as an operator would: the same command line without its
  // --crash-at (the crash it was given has happened), plus `extra`.
  void restart(int uid, const std::vector<std::string>& extra = {});
  void kill(int uid);
  // Starts a node under a UID past the hosts file's that joins as `role` once a configuration
  // change adds it (condriver --join, docs/MEMBERSHIP.md), on a free port (a learner of an http
  // scenario serves HTTP too: url(uid)). Returns the address it listens on, "127.0.0.1:PORT".
  std::string join(int uid, const std::string& role);

  // Waits until the latest start of uid has exited; false if the limit passed first.
  bool waitFor(int uid);
  // Waits until everything exited; at the limit, kills the rest and returns false.
  bool waitAll();

  // Writes `text` to the stdin pipe of uid (Scenario::stdinPipes), waiting while the pipe is
  // full; false if the reader is gone or the limit passed first.
  bool writeStdin(int uid, const std::string& text);
  // Closes the pipe: the client reads the end of its input.
  void closeStdin(int uid);

  // Lines the latest start of uid has printed on stdout so far.
  size_t stdoutLines(int uid) const;
  // Polls the stdout of the latest start of uid every millisecond until `enough` holds for its
  // line count; false if uid exited first (its output checked once more) or the limit passed.
  bool pollLines(int uid, const std::function<bool(size_t lines)>& enough);
  bool waitForLines(int uid, size_t lines) {
    return pollLines(uid, [lines](size_t n) { return n >= lines; });
  }

  // Whether the latest start of uid has exited (reaps, never waits).
  bool exited(int uid) { return group_.exited(pid(uid)); }
  // Of the latest start of uid: exit code, 128+signal if killed, -1 while running.
  int status(int uid) const;
  int restarts(int uid) const { return int(pids_.at(uid).size()) - 1; }
  // The PID of the latest start of uid (to read /proc; signal it only through kill()).
  pid_t pid(int uid) const { return pids_.at(uid).back(); }
  // When the first process was started.
  std::chrono::steady_clock::time_point started() const { return started_; }
  // stderr of start K of uid (0: the first start).
  std::string log(int uid, int start) const;
  // Statuses and stdout of the latest starts.
  Outcome outcome() const;

 private:
  std::string base(int uid, int start) const;  // run folder path without .out/.log
  void spawn(int uid, std::vector<std::string> argv);

  Scenario scenario_;
  std::string dir_, hostsText_;
  int consensus_ = 0;
  std::vector<int> ports_;        // index is the UID
  std::map<int, int> httpPorts_;  // learner uid -> its HTTP port (Scenario::http)
  ProcessGroup group_;
  std::map<int, std::vector<pid_t>> pids_;        // uid -> one pid per start
  std::map<int, std::vector<std::string>> argv_;  // uid -> command line of the first start
  std::map<int, std::string> stdin_;              // uid -> its stdin file, if it has one
  std::map<int, int> stdinPipe_;                  // uid -> the write end of its stdin pipe
  std::chrono::steady_clock::time_point started_, finished_;
  bool allExited_ = false;
};

// The seed's three scenarios (run.sh, run2.sh, run3.sh).
Scenario seedRun();
Scenario seedRun2();
Scenario seedRun3();

}  // namespace paxos::test
