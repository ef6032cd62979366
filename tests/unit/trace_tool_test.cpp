// paxos-trace on literal traces: a 3-node election (n2 wins), then one Paxos round for client
// n3's value 210 in which the first ACCEPT is dropped by the acceptor and one ACCEPTED is
// delivered twice. n1's clock puts its recv of PREPARE before n0's send of it, so only
// happens-before, not ts, can order them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "tracetool/commands.hpp"

using namespace paxos::tracetool;
namespace fs = std::filesystem;

namespace {

// The fields after event that a record may set; the rest are null.
struct Extra {
  std::optional<int> inst = std::nullopt;
  std::string ballot = "";
  std::string value = "";
};

// A run directory of N.trace.jsonl files, written from calls in the order each node would log;
// seq is counted per node. Removed afterwards.
class TraceDir {
 public:
  TraceDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("paxos-trace-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             "-" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TraceDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TraceDir(const TraceDir&) = delete;
  TraceDir& operator=(const TraceDir&) = delete;

  std::string str() const { return path_.string(); }

  // us: microseconds, written as ts in ns.
  void send(int us, uint32_t node, const char* role, const char* msg, const char* mid, uint32_t to,
            Extra e = {}) {
    add(us, node, role, "send", msg, mid, node, to, e);
  }
  void recv(int us, uint32_t node, const char* role, const char* msg, const char* mid,
            uint32_t from, Extra e = {}, const char* event = "recv") {
    add(us, node, role, event, msg, mid, from, node, e);
  }
  void event(int us, uint32_t node, const char* role, const char* event, Extra e = {}) {
    add(us, node, role, event, nullptr, nullptr, std::nullopt, std::nullopt, e);
  }
  // Writes every node's file, or leaves one out as if its trace were lost.
  void write(std::optional<uint32_t> without = std::nullopt) const {
    for (const auto& [node, lines] : lines_) {
      if (node == without) continue;
      std::ofstream out(path_ / (std::to_string(node) + ".trace.jsonl"));
      for (const auto& line : lines) out << line << "\n";
    }
  }

 private:
  void add(int us, uint32_t node, const char* role, const char* event, const char* msg,
           const char* mid, std::optional<uint32_t> from, std::optional<uint32_t> to, Extra e) {
    using nlohmann::ordered_json;
    auto orNull = [](auto v) { return v ? ordered_json(*v) : ordered_json(nullptr); };
    auto text = [](const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); };
    ordered_json j;
    j["ts"] = int64_t{us} * 1000;
    j["node"] = node;
    j["seq"] = ++seq_[node];
    j["role"] = role;
    j["event"] = event;
    j["msg"] = msg ? ordered_json(msg) : ordered_json();
    j["mid"] = mid ? ordered_json(mid) : ordered_json();
    j["from"] = orNull(from);
    j["to"] = orNull(to);
    j["inst"] = orNull(e.inst);
    j["ballot"] = text(e.ballot);
    j["value"] = text(e.value);
    lines_[node].push_back(j.dump());
  }

  fs::path path_;
  std::map<uint32_t, std::vector<std::string>> lines_;
  std::map<uint32_t, uint64_t> seq_;
};

// The run described at the top. `decided3` is what client n3 decides.
void writeRun(TraceDir& d, const std::string& decided3 = "210") {
  Extra b{.inst = 0, .ballot = "1.0"}, bv{.inst = 0, .ballot = "1.0", .value = "210"};
  // Election: ELECT(2) goes round the ring 2 -> 0 -> 1 -> 2, then LEADER(2) with acks.
  d.send(100, 2, "electing", "ELECT", "2:1", 0);
  d.recv(110, 0, "electing", "ELECT", "2:1", 2);
  d.send(111, 0, "electing", "ELECT", "0:1", 1);
  d.recv(120, 1, "electing", "ELECT", "0:1", 0);
  d.send(121, 1, "electing", "ELECT", "1:1", 2);
  d.recv(130, 2, "electing", "ELECT", "1:1", 1);
  d.event(131, 2, "electing", "elect", {.value = "2"});
  d.event(132, 2, "learner", "role", {.value = "learner"});
  d.send(133, 2, "learner", "LEADER", "2:2", 0);
  d.recv(140, 0, "electing", "LEADER", "2:2", 2);
  d.event(141, 0, "electing", "elect", {.value = "2"});
  d.event(142, 0, "proposer", "role", {.value = "proposer"});
  d.send(143, 0, "proposer", "LEADER_ACK", "0:2", 2);
  d.send(144, 0, "proposer", "LEADER", "0:3", 1);
  d.recv(150, 2, "learner", "LEADER_ACK", "0:2", 0);
  d.recv(160, 1, "electing", "LEADER", "0:3", 0);
  d.event(161, 1, "electing", "elect", {.value = "2"});
  d.event(162, 1, "acceptor", "role", {.value = "acceptor"});
  d.send(163, 1, "acceptor", "LEADER_ACK", "1:2", 0);
  d.recv(170, 0, "proposer", "LEADER_ACK", "1:2", 1);
  // Paxos, one round, ballot 1.0.
  d.send(300, 3, "client", "REQUEST", "3:1", 0, {.value = "210"});
  d.recv(310, 0, "proposer", "REQUEST", "3:1", 3, {.value = "210"});
  d.send(320, 0, "proposer", "PREPARE", "0:4", 1, b);
  d.recv(315, 1, "acceptor", "PREPARE", "0:4", 0, b);  // ts before the send's
  d.event(316, 1, "acceptor", "promise", b);
  d.send(317, 1, "acceptor", "PROMISE", "1:3", 0, b);
  d.recv(330, 0, "proposer", "PROMISE", "1:3", 1, b);
  d.send(331, 0, "proposer", "ACCEPT", "0:5", 1, bv);
  d.recv(340, 1, "acceptor", "ACCEPT", "0:5", 0, bv, "drop");  // injected loss
  d.event(360, 0, "proposer", "timeout", {.inst = 0});
  d.send(361, 0, "proposer", "ACCEPT", "0:6", 1, bv);
  d.recv(370, 1, "acceptor", "ACCEPT", "0:6", 0, bv);
  d.event(371, 1, "acceptor", "accept", bv);
  d.send(372, 1, "acceptor", "ACCEPTED", "1:4", 2, bv);
  d.send(373, 1, "acceptor", "ACCEPTED", "1:5", 0, bv);
  d.recv(380, 2, "learner", "ACCEPTED", "1:4", 1, bv);
  d.event(381, 2, "learner", "decide", {.inst = 0, .value = "210"});
  d.send(382, 2, "learner", "DECIDED", "2:3", 3, {.inst = 0, .value = "210"});
  d.recv(383, 2, "learner", "ACCEPTED", "1:4", 1, bv);  // the duplicated delivery
  d.recv(390, 0, "proposer", "ACCEPTED", "1:5", 1, bv);
  d.event(391, 0, "proposer", "decide", {.inst = 0, .value = "210"});
  d.send(392, 0, "proposer", "DECIDED", "0:7", 3, {.inst = 0, .value = "210"});
  d.recv(400, 3, "client", "DECIDED", "2:3", 2, {.inst = 0, .value = "210"});
  d.event(401, 3, "client", "decide", {.inst = 0, .value = decided3});
  d.recv(402, 3, "client", "DECIDED", "0:7", 0, {.inst = 0, .value = "210"});
  d.event(410, 3, "client", "exit", {.value = "0"});
  d.event(420, 0, "proposer", "exit", {.value = "0"});
  d.event(421, 1, "acceptor", "exit", {.value = "0"});
  d.event(422, 2, "learner", "exit", {.value = "0"});
}

Timeline run(const std::string& decided3 = "210") {
  TraceDir d;
  writeRun(d, decided3);
  d.write();
  return loadTimeline({d.str()});
}

size_t indexOf(const Timeline& t, const std::string& event, const std::string& mid) {
  for (size_t i = 0; i < t.records.size(); ++i)
    if (t.records[i].event == event && t.records[i].mid == mid) return i;
  FAIL("no " << event << " [" << mid << "]");
  return 0;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

template <typename F>
std::string output(F write) {
  std::ostringstream out;
  write(out);
  return out.str();
}

}  // namespace

TEST_CASE("trace merge: happens-before decides the order, even against the clocks") {
  Timeline t = run();
  REQUIRE(t.records.size() == 49);
  CHECK(t.nodes == std::vector<uint32_t>{0, 1, 2, 3});
  // The send of PREPARE [0:4] has ts 320 us, its recv 315 us: the send still comes first.
  CHECK(indexOf(t, "send", "0:4") < indexOf(t, "recv", "0:4"));
  // Every recv or drop follows its send, and each node's records keep their seq order.
  std::map<uint32_t, uint64_t> lastSeq;
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    CHECK(r.seq > lastSeq[r.node]);
    lastSeq[r.node] = r.seq;
    if (r.event == "recv" || r.event == "drop") {
      REQUIRE(t.sendOf[i]);
      CHECK(*t.sendOf[i] < i);
      CHECK(t.records[*t.sendOf[i]].mid == r.mid);
    }
  }
  // Both deliveries of the duplicated ACCEPTED belong to one send.
  CHECK(t.arrivals[indexOf(t, "send", "1:4")].size() == 2);

  std::string text = output([&](auto& out) { writeMerge(t, out); });
  CHECK(count(text, "\n") == 49);
  CHECK(text.find("    0.000 ms  n2 electing  send ELECT to n0 [2:1]\n") == 0);
  CHECK(text.find("    0.215 ms  n1 acceptor  recv PREPARE inst 0 ballot 1.0 from n0 [0:4]\n") !=
        std::string::npos);
  CHECK(text.find("send ACCEPT inst 0 ballot 1.0 value '210' to n1 [0:5]  (dropped)") !=
        std::string::npos);
}

TEST_CASE("trace merge: a recv whose sender's trace is lost still appears") {
  TraceDir d;
  writeRun(d);
  d.write(3);  // the client's file is missing: its REQUEST send is unknown
  Timeline t = loadTimeline({d.str()});
  size_t recv = indexOf(t, "recv", "3:1");
  CHECK_FALSE(t.sendOf[recv]);
  CHECK(t.nodes == std::vector<uint32_t>{0, 1, 2, 3});  // n3 is still a peer
  CHECK(t.traced == std::set<uint32_t>{0, 1, 2});
  std::string text = output([&](auto& out) { writeMerge(t, out); });
  CHECK(text.find("recv REQUEST value '210' from n3 [3:1]  (send not traced)") !=
        std::string::npos);
  // Its arrow is drawn (from n3's dashed lane), and the DECIDEDs to n3 are cut.
  std::string html = output([&](auto& out) { writeHtml(t, out); });
  CHECK(count(html, "<g class=\"msg orphan\" data-mid=\"3:1\"") == 1);
  CHECK(count(html, "<g class=\"lane untraced\" data-node=\"3\">") == 1);
  CHECK(count(html, "<g class=\"msg lost\"") == 3);
}

TEST_CASE("trace html: lanes, one arrow per recv, cut messages, events, nothing external") {
  Timeline t = run();
  std::string html = output([&](auto& out) { writeHtml(t, out); });
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("url(") == html.find("url(#"));  // only references to its own markers

  for (uint32_t uid : {0, 1, 2, 3})
    CHECK(count(html, "<g class=\"lane\" data-node=\"" + std::to_string(uid) + "\">") == 1);
  CHECK(count(html, "class=\"lane") == 4);

  size_t recvs = std::count_if(t.records.begin(), t.records.end(),
                               [](const Record& r) { return r.event == "recv"; });
  CHECK(recvs == 16);
  std::regex arrow(R"re(<g class="msg" data-mid="([0-9]+:[0-9]+)" data-type="([A-Z_]+)")re");
  std::map<std::string, int> arrowsByMid;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), arrow);
       it != std::sregex_iterator(); ++it)
    ++arrowsByMid[(*it)[1]];
  size_t arrows = 0;
  for (const auto& [mid, n] : arrowsByMid) arrows += n;
  CHECK(arrows == recvs);
  CHECK(arrowsByMid["1:4"] == 2);  // the duplicated delivery
  CHECK(count(html, "class=\"msg") == recvs + 1);
  CHECK(count(html, "<g class=\"msg lost\" data-mid=\"0:5\" data-type=\"ACCEPT\">") == 1);

  CHECK(count(html, "data-event=\"decide\"") == 3);
  CHECK(count(html, "data-event=\"drop\"") == 1);
  CHECK(count(html, "data-event=\"exit\"") == 4);
  CHECK(count(html, "class=\"event") == 49 - 16 - 16);  // every record but sends and recvs
  // Every arrow and mark carries its record(s) as JSON in a tooltip.
  CHECK(count(html, "<title>{&quot;ts&quot;:") >= 16 + 17);
  for (const char* phase : {"election", "phase1", "phase2", "decide"})
    CHECK(count(html, std::string("data-phase=\"") + phase + "\"") == 1);
}

TEST_CASE("trace html: crash is marked, and a send nobody logged receiving is a stub") {
  TraceDir d;
  d.send(100, 0, "proposer", "PREPARE", "0:1", 1, {.inst = 0, .ballot = "1.0"});
  d.event(101, 0, "proposer", "crash", {.value = "prepare"});
  d.event(90, 1, "acceptor", "exit", {.value = "0"});
  d.write();
  std::string html = output([&](auto& out) { writeHtml(loadTimeline({d.str()}), out); });
  CHECK(count(html, "<g class=\"msg lost\" data-mid=\"0:1\" data-type=\"PREPARE\">") == 1);
  CHECK(count(html, "<g class=\"msg\"") == 0);
  CHECK(count(html, "data-event=\"crash\"") == 1);
  CHECK(count(html, ">crash at prepare</text>") == 1);
}

TEST_CASE("trace shiviz: clocks start at 1, rise by one per host, and a recv merges its send's") {
  Timeline t = run();
  auto clocks = vectorClocks(t);
  std::map<uint32_t, uint64_t> own;
  for (size_t i = 0; i < t.records.size(); ++i) {
    uint32_t node = t.records[i].node;
    CHECK(clocks[i].at(node) == ++own[node]);
    if (auto s = t.sendOf[i])
      for (const auto& [host, n] : clocks[*s])
        if (host != node) CHECK(clocks[i].at(host) >= n);
  }
  // n1's recv of PREPARE [0:4]: n1's 7th event, after n0's 10th (its send of it), which had seen
  // n2's first 5 events (n0 heard LEADER from n2 at n2's 5th).
  size_t recv = indexOf(t, "recv", "0:4");
  CHECK(clocks[recv] == VectorClock{{0, 10}, {1, 7}, {2, 5}, {3, 1}});

  std::string log = output([&](auto& out) { writeShiviz(t, out); });
  std::istringstream in(log);
  std::string line;
  std::getline(in, line);
  CHECK(line == R"((?<host>\S*) (?<clock>{.*})\n(?<event>.*))");
  std::getline(in, line);
  CHECK(line.empty());
  std::getline(in, line);
  CHECK(line == R"(n2 {"n2":1})");
  std::getline(in, line);
  CHECK(line == "electing send ELECT to n0 [2:1] @ 0.000 ms");
  CHECK(count(log, "\n") == 2 + 2 * t.records.size());
  CHECK(log.find("\nn1 {\"n0\":10,\"n1\":7,\"n2\":5,\"n3\":1}\nacceptor recv PREPARE") !=
        std::string::npos);
}

TEST_CASE("trace check: agreement, validity and integrity") {
  SUBCASE("all decide the requested value") {
    std::ostringstream out;
    CHECK(check(run(), out) == 0);
    CHECK(out.str() == "ok: 3 decisions of 210 by 3 nodes\n");
  }
  SUBCASE("two different values") {
    std::ostringstream out;
    CHECK(check(run("99"), out) == 1);
    CHECK(out.str().find("agreement violated: inst 0 decided as '210' and '99'\n") == 0);
    CHECK(count(out.str(), "\"event\":\"decide\"") == 3 + 1);  // all three, then the '99' again
    CHECK(out.str().find("validity violated: inst 0 decided '99'") != std::string::npos);
  }
  SUBCASE("a value nobody proposed, decided by all") {
    TraceDir d;
    writeRun(d);
    d.write();
    for (auto node : {"0", "2", "3"}) {  // rewrite every decide to 77
      std::string path = d.str() + "/" + node + ".trace.jsonl", text, line;
      std::ifstream in(path);
      while (std::getline(in, line)) {
        if (line.find("\"decide\"") != std::string::npos)
          line = std::regex_replace(line, std::regex("\"210\""), "\"77\"");
        text += line + "\n";
      }
      in.close();
      std::ofstream(path) << text;
    }
    std::ostringstream out;
    CHECK(check(loadTimeline({d.str()}), out) == 1);
    CHECK(out.str().find("validity violated: inst 0 decided '77', which no client sent") == 0);
    CHECK(out.str().find("agreement") == std::string::npos);
  }
  SUBCASE("a node that decides twice") {
    TraceDir d;
    writeRun(d);
    d.event(430, 3, "client", "decide", {.inst = 0, .value = "210"});
    d.write();
    std::ostringstream out;
    CHECK(check(loadTimeline({d.str()}), out) == 1);
    CHECK(out.str().find("integrity violated: n3 decided inst 0 2 times\n") == 0);
  }
}

TEST_CASE("trace stats: counts per type and link, election messages, phase times") {
  Stats s = stats(run());
  CHECK(s.byType.at("ELECT") == Counts{3, 3, 0});
  CHECK(s.byType.at("LEADER") == Counts{2, 2, 0});
  CHECK(s.byType.at("LEADER_ACK") == Counts{2, 2, 0});
  CHECK(s.byType.at("ACCEPT") == Counts{2, 1, 1});
  CHECK(s.byType.at("ACCEPTED") == Counts{2, 3, 0});
  CHECK(s.byType.at("DECIDED") == Counts{2, 2, 0});
  CHECK(s.byType.size() == 9);
  CHECK(s.byLink.at({0, 1}) == Counts{5, 4, 1});  // ELECT, LEADER, PREPARE, ACCEPT x2
  CHECK(s.byLink.at({1, 2}) == Counts{2, 3, 0});
  CHECK(s.byLink.at({3, 0}) == Counts{1, 1, 0});
  CHECK(s.electionMessages == 7);
  CHECK(s.election == doctest::Approx(0.031));  // 100 us -> first elect at 131 us
  CHECK(s.paxos == doctest::Approx(0.061));     // PREPARE at 320 us -> decide at 381 us
  CHECK(s.shutdown == doctest::Approx(0.041));  // -> last exit at 422 us

  std::string text = output([&](auto& out) { writeStats(s, out); });
  CHECK(text.find("  ACCEPT              2      1      1\n") != std::string::npos);
  CHECK(text.find("  total              16     16      1\n") != std::string::npos);
  CHECK(text.find("  n0 -> n1            5      4      1\n") != std::string::npos);
  CHECK(text.find("election messages sent: 7") != std::string::npos);
  CHECK(text.find("  paxos         0.061 ms") != std::string::npos);
}

TEST_CASE("trace records: a bad line is refused with FILE:LINE and the reason") {
  const std::string good =
      R"({"ts":5,"node":1,"seq":1,"role":"acceptor","event":"recv","msg":"PREPARE","mid":"0:5",)"
      R"("from":0,"to":1,"inst":0,"ballot":"1.0","value":null})";
  Record r = parseRecord(good, "a:1");
  CHECK(r.event == "recv");
  CHECK(r.mid == "0:5");
  CHECK(r.from == 0u);
  CHECK_FALSE(r.value);
  CHECK(describe(r) == "recv PREPARE inst 0 ballot 1.0 from n0 [0:5]");

  auto error = [&](const std::string& from, const std::string& to) {
    std::string line = good;
    line.replace(line.find(from), from.size(), to);
    try {
      parseRecord(line, "run/1.trace.jsonl:7");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(error("{", "[").starts_with("run/1.trace.jsonl:7: not JSON: "));
  CHECK(error(R"("ts":5)", R"("ts":5.5)") ==
        "run/1.trace.jsonl:7: ts: expected a non-negative integer, found 5.5");
  CHECK(error(R"("seq":1,)", "") ==
        "run/1.trace.jsonl:7: field 'role' where 'seq' belongs "
        "(order: ts, node, seq, role, event, msg, mid, from, to, "
        "inst, ballot, value)");
  CHECK(error(R"(,"value":null)", "") == "run/1.trace.jsonl:7: missing field 'value'");
  CHECK(error(R"("value":null)", R"("value":null,"x":1)") ==
        "run/1.trace.jsonl:7: unknown field 'x'");
  CHECK(error(R"("recv")", R"("received")") ==
        "run/1.trace.jsonl:7: event: unknown event 'received'");
  CHECK(error(R"("0:5")", R"("5")") == "run/1.trace.jsonl:7: mid: expected \"FROM:N\", found '5'");
  CHECK(error(R"("0:5")", R"("2:5")") ==
        "run/1.trace.jsonl:7: mid: '2:5' does not start with the sender 0");
  CHECK(error(R"("to":1)", R"("to":2)") ==
        "run/1.trace.jsonl:7: to: a recv must be addressed to its node 1");
  CHECK(error(R"("1.0")", R"("1")") ==
        "run/1.trace.jsonl:7: ballot: expected \"round.uid\", found '1'");

  // In a file: the line number is counted from 1, and seq must run 1, 2, 3...
  TraceDir d;
  std::ofstream(d.str() + "/1.trace.jsonl") << good << "\n" << good << "\n";
  try {
    loadRecords({d.str()});
    FAIL("accepted a repeated seq");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          d.str() + "/1.trace.jsonl:2: n1 seq 1 also at " + d.str() + "/1.trace.jsonl:1");
  }
  std::ofstream(d.str() + "/1.trace.jsonl") << good << "\nnot json\n";
  std::string notJson = d.str() + "/1.trace.jsonl:2: not JSON: ";
  CHECK_THROWS_WITH_AS(loadRecords({d.str()}), doctest::Contains(notJson.c_str()), InputError);
  CHECK_THROWS_WITH_AS(loadRecords({d.str() + "/none"}),
                       (d.str() + "/none: no such file or directory").c_str(), InputError);
}

TEST_CASE("trace records: a restarted process starts again at seq 1; a gap or a cycle is refused") {
  auto line = [](int ts, int seq, const char* event, const char* rest) {
    return "{\"ts\":" + std::to_string(ts) + ",\"node\":0,\"seq\":" + std::to_string(seq) +
           ",\"role\":\"proposer\",\"event\":\"" + event + "\"," + rest + "}\n";
  };
  const char* none =
      R"("msg":null,"mid":null,"from":null,"to":null,"inst":null,"ballot":null,"value":null)";
  const char* exit0 =
      R"("msg":null,"mid":null,"from":null,"to":null,"inst":null,"ballot":null,"value":"0")";
  TraceDir d;
  std::string file = d.str() + "/0.trace.jsonl";
  // Appended after a restart: the second run's records follow the first's, though seq repeats.
  std::ofstream(file) << line(50, 1, "timeout", none) << line(60, 2, "crash", none)
                      << line(70, 1, "timeout", none) << line(80, 2, "exit", exit0);
  Timeline t = loadTimeline({d.str()});
  REQUIRE(t.records.size() == 4);
  CHECK(t.records[1].event == "crash");
  CHECK(t.records[3].event == "exit");

  std::ofstream(file) << line(50, 1, "timeout", none) << line(60, 3, "exit", exit0);
  CHECK_THROWS_WITH_AS(loadRecords({file}),
                       (file + ":2: seq 3 of n0 follows 1, expected 2 (or 1 on restart)").c_str(),
                       InputError);
  std::ofstream(file) << line(50, 2, "timeout", none);
  CHECK_THROWS_WITH_AS(loadRecords({file}),
                       (file + ":1: seq 2 is the first record of n0, expected seq 1").c_str(),
                       InputError);

  // A recv written before the send of its own mid cannot be ordered.
  const char* recv =
      R"("msg":"DONE","mid":"0:1","from":0,"to":0,"inst":null,"ballot":null,"value":null)";
  std::ofstream(file) << line(50, 1, "recv", recv) << line(60, 2, "send", recv);
  CHECK_THROWS_WITH_AS(
      loadTimeline({file}),
      (file + ":1: recv [0:1] cannot follow its send at " + file + ":2: no causal order").c_str(),
      InputError);
}
