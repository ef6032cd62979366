// The paxos-trace binary: arguments, exit codes (0 ok, 1 check failed, 2 bad input) and output
// files, on a tiny literal run: client n1 asks n0 to decide 7.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

const char* kClient =
    R"({"ts":1000,"node":1,"seq":1,"role":"client","event":"send","msg":"REQUEST","mid":"1:1","from":1,"to":0,"inst":null,"ballot":null,"value":"7"}
{"ts":9000,"node":1,"seq":2,"role":"client","event":"exit","msg":null,"mid":null,"from":null,"to":null,"inst":null,"ballot":null,"value":"0"}
)";
const char* kNode =
    R"({"ts":2000,"node":0,"seq":1,"role":"proposer","event":"recv","msg":"REQUEST","mid":"1:1","from":1,"to":0,"inst":null,"ballot":null,"value":"7"}
{"ts":3000,"node":0,"seq":2,"role":"proposer","event":"decide","msg":null,"mid":null,"from":null,"to":null,"inst":0,"ballot":null,"value":"VALUE"}
)";

struct Result {
  int code;
  std::string out, err;
};

class Cli {
 public:
  Cli() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("paxos-trace-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
            "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "run");
  }
  ~Cli() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }
  std::string read(const std::string& name) const {
    std::ostringstream text;
    text << std::ifstream(path(name)).rdbuf();
    return text.str();
  }
  // Writes the run, with `decided` as n0's decided value.
  void writeRun(const std::string& decided = "7") const {
    std::string node = kNode;
    node.replace(node.find("VALUE"), 5, decided);
    write("run/1.trace.jsonl", kClient);
    write("run/0.trace.jsonl", node);
  }
  Result run(const std::string& args) const {
    std::string command = std::string("'") + PAXOS_TRACE_BIN + "' " + args + " >'" +
                          path("stdout") + "' 2>'" + path("stderr") + "'";
    int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read("stdout"), read("stderr")};
  }

 private:
  fs::path dir_;
};

}  // namespace

TEST_CASE("paxos-trace: check exits 0 on agreement and 1 on a violation") {
  Cli cli;
  cli.writeRun();
  Result ok = cli.run("check " + cli.path("run"));
  CHECK(ok.code == 0);
  CHECK(ok.out == "ok: 1 decisions of 7 by 1 nodes\n");
  CHECK(ok.err.empty());

  cli.writeRun("8");
  Result bad = cli.run("check " + cli.path("run"));
  CHECK(bad.code == 1);
  CHECK(bad.out.starts_with("validity violated: inst 0 decided '8'"));
  CHECK(bad.out.find(cli.path("run/0.trace.jsonl") + ":2: {") != std::string::npos);
}

TEST_CASE("paxos-trace: files as inputs, and output files") {
  Cli cli;
  cli.writeRun();
  std::string files = cli.path("run/0.trace.jsonl") + " " + cli.path("run/1.trace.jsonl");
  Result merged = cli.run("merge " + files);
  CHECK(merged.code == 0);
  CHECK(merged.out ==
        "    0.000 ms  n1 client    send REQUEST value '7' to n0 [1:1]\n"
        "    0.001 ms  n0 proposer  recv REQUEST value '7' from n1 [1:1]\n"
        "    0.002 ms  n0 proposer  decide inst 0 value '7'\n"
        "    0.008 ms  n1 client    exit code 0\n");

  CHECK(cli.run("html " + cli.path("run") + " -o " + cli.path("run.html")).code == 0);
  CHECK(cli.read("run.html").starts_with("<!DOCTYPE html>"));
  CHECK(cli.run("shiviz " + cli.path("run") + " -o " + cli.path("run.log")).code == 0);
  CHECK(cli.read("run.log").find("\n\nn1 {\"n1\":1}\n") != std::string::npos);
  Result stats = cli.run("stats " + cli.path("run"));
  CHECK(stats.code == 0);
  CHECK(stats.out.find("  REQUEST             1      1      0\n") != std::string::npos);
}

TEST_CASE("paxos-trace: a bad line or bad arguments: one line on stderr, exit 2") {
  Cli cli;
  cli.writeRun();
  cli.write("run/2.trace.jsonl", std::string(kClient).substr(0, 40) + "\n");
  Result bad = cli.run("merge " + cli.path("run"));
  CHECK(bad.code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err.starts_with("paxos-trace: " + cli.path("run/2.trace.jsonl") + ":1: not JSON: "));
  CHECK(bad.err.find('\n') == bad.err.size() - 1);

  Result none = cli.run("");
  CHECK(none.code == 2);
  CHECK(none.err.starts_with("paxos-trace: "));
  CHECK(cli.run("merge").code == 2);
  CHECK(cli.run("html " + cli.path("run/0.trace.jsonl") + " -o " + cli.path("no/dir/x.html"))
            .err.starts_with("paxos-trace: " + cli.path("no/dir/x.html") + ": cannot write"));
  CHECK(cli.run("stats " + cli.path("empty-dir-missing")).code == 2);
}
