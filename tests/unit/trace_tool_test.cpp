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
  // The node's next record starts a new run (seq 1), appended to the same file.
  void restart(uint32_t node) { seq_[node] = 0; }
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

// A multi-mode run (MODE multi): proposer n1 leads with ballot 1.1 after PREPARE_ALL to acceptor
// n2, clients n7 and n8 send a1, a2 and b1, b2; slot 0 holds a1 and b1, slot 1 a2, slot 2 b2
// and a resent copy of a2 that learners n5 and n6 skip. n1, n5 and n6 commit each slot; the
// learners deliver each value once, in slot order, and tell the clients. `Faults` bends it.
struct Faults {
  std::string n6Slot1 = "1 value: c7#2 'a2'";  // n6's commit of slot 1
  std::string n5Slot0Extra = "";               // a value n5 also delivers from slot 0
  bool n6OutOfOrder = false;                   // n6 delivers slot 1 before slot 0
  bool n6DeliversCopy = false;                 // n6 delivers the resent a2 again from slot 2
  int n7ToldA2At = 1;                          // the slot n7 is told for a2
  std::string n7Proposes = "";                 // a value client 7 records as proposed
};

void writeLogRun(TraceDir& d, const Faults& f = {}) {
  const std::string batch[] = {"2 values: c7#1 'a1', c8#1 'b1'", "1 value: c7#2 'a2'",
                               "2 values: c8#2 'b2', c7#2 'a2'"};
  struct Request {
    uint32_t client;
    const char* mid;
    const char* value;
  };
  const Request requests[] = {
      {7, "7:1", "a1"}, {7, "7:2", "a2"}, {8, "8:1", "b1"}, {8, "8:2", "b2"}, {7, "7:3", "a2"}};
  for (int k = 0; k < 5; ++k)  // the last is a2 again: a resend
    d.send(100 + k, requests[k].client, "client", "REQUEST", requests[k].mid, 1,
           {.value = requests[k].value});
  if (!f.n7Proposes.empty()) d.event(105, 7, "client", "propose", {.value = f.n7Proposes});
  d.send(110, 1, "proposer", "PREPARE_ALL", "1:1", 2);
  d.recv(111, 2, "acceptor", "PREPARE_ALL", "1:1", 1);
  d.event(112, 2, "acceptor", "promise", {.ballot = "1.1"});  // for every slot: inst null
  d.send(113, 2, "acceptor", "PROMISE_ALL", "2:1", 1);
  d.recv(114, 1, "proposer", "PROMISE_ALL", "2:1", 2);
  d.event(115, 1, "proposer", "elect", {.ballot = "1.1", .value = "lead"});
  for (int k = 0; k < 5; ++k)
    d.recv(120 + k, 1, "proposer", "REQUEST", requests[k].mid, requests[k].client,
           {.value = requests[k].value});
  // Binary batches as the core writes them: control bytes in the value.
  const std::string wire = std::string("\x07\0\0\0\x01\0a1", 8);
  for (int slot = 0; slot < 3; ++slot) {
    int us = 200 + 100 * slot;
    std::string mid1 = "1:" + std::to_string(2 + slot), mid2 = "2:" + std::to_string(2 + 3 * slot);
    d.send(us, 1, "proposer", "ACCEPT", mid1.c_str(), 2,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.recv(us + 1, 2, "acceptor", "ACCEPT", mid1.c_str(), 1,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.event(us + 2, 2, "acceptor", "accept", {.inst = slot, .ballot = "1.1", .value = wire});
    std::string to5 = "2:" + std::to_string(3 + 3 * slot),
                to6 = "2:" + std::to_string(4 + 3 * slot);
    d.send(us + 3, 2, "acceptor", "ACCEPTED", mid2.c_str(), 1,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.send(us + 4, 2, "acceptor", "ACCEPTED", to5.c_str(), 5,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.send(us + 5, 2, "acceptor", "ACCEPTED", to6.c_str(), 6,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.recv(us + 6, 1, "proposer", "ACCEPTED", mid2.c_str(), 2,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.event(us + 7, 1, "proposer", "commit", {.inst = slot, .ballot = "1.1", .value = batch[slot]});
    d.recv(us + 8, 5, "learner", "ACCEPTED", to5.c_str(), 2,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.event(us + 9, 5, "learner", "commit", {.inst = slot, .value = batch[slot]});
    d.recv(us + 10, 6, "learner", "ACCEPTED", to6.c_str(), 2,
           {.inst = slot, .ballot = "1.1", .value = wire});
    d.event(us + 11, 6, "learner", "commit",
            {.inst = slot, .value = slot == 1 ? f.n6Slot1 : batch[slot]});
  }
  auto deliver = [&](int us, uint32_t node, int slot, const char* value) {
    d.event(us, node, node < 7 ? "learner" : "client", "deliver", {.inst = slot, .value = value});
  };
  for (uint32_t learner : {5u, 6u}) {
    int us = learner == 5 ? 500 : 520;
    if (learner == 6 && f.n6OutOfOrder) deliver(us, learner, 1, "a2");
    deliver(us + 1, learner, 0, "a1");
    deliver(us + 2, learner, 0, "b1");
    if (learner == 5 && !f.n5Slot0Extra.empty())
      deliver(us + 3, learner, 0, f.n5Slot0Extra.c_str());
    if (!(learner == 6 && f.n6OutOfOrder)) deliver(us + 4, learner, 1, "a2");
    deliver(us + 5, learner, 2, "b2");
    if (learner == 6 && f.n6DeliversCopy) deliver(us + 6, learner, 2, "a2");
  }
  d.send(540, 5, "learner", "DECIDED", "5:1", 7, {.inst = 0, .value = wire});
  d.send(541, 5, "learner", "DECIDED", "5:2", 8, {.inst = 0, .value = wire});
  d.send(542, 5, "learner", "DECIDED", "5:3", 7, {.inst = f.n7ToldA2At, .value = wire});
  d.send(543, 5, "learner", "DECIDED", "5:4", 8, {.inst = 2, .value = wire});
  d.recv(550, 7, "client", "DECIDED", "5:1", 5, {.inst = 0, .value = wire});
  deliver(551, 7, 0, "a1");
  d.recv(552, 8, "client", "DECIDED", "5:2", 5, {.inst = 0, .value = wire});
  deliver(553, 8, 0, "b1");
  d.recv(554, 7, "client", "DECIDED", "5:3", 5, {.inst = f.n7ToldA2At, .value = wire});
  deliver(555, 7, f.n7ToldA2At, "a2");
  d.recv(556, 8, "client", "DECIDED", "5:4", 5, {.inst = 2, .value = wire});
  deliver(557, 8, 2, "b2");
  d.send(560, 1, "proposer", "HEARTBEAT", "1:5", 5);
  d.recv(561, 5, "learner", "HEARTBEAT", "1:5", 1);
  d.send(562, 5, "learner", "PROGRESS", "5:5", 1);
  d.recv(563, 1, "proposer", "PROGRESS", "5:5", 5);
  d.send(564, 6, "learner", "CATCHUP", "6:1", 5);
  d.recv(565, 5, "learner", "CATCHUP", "6:1", 6);
  int us = 600;
  for (auto [node, role] : std::initializer_list<std::pair<uint32_t, const char*>>{{7, "client"},
                                                                                   {8, "client"},
                                                                                   {1, "proposer"},
                                                                                   {2, "acceptor"},
                                                                                   {5, "learner"},
                                                                                   {6, "learner"}})
    d.event(us++, node, role, "exit", {.value = "0"});
}

std::string checkLog(const Faults& f, int* code = nullptr) {
  TraceDir d;
  writeLogRun(d, f);
  d.write();
  std::ostringstream out;
  int result = check(loadTimeline({d.str()}), out);
  if (code) *code = result;
  return out.str();
}

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

  // Multi mode's commit and deliver need their slot and value.
  const std::string commit =
      R"({"ts":5,"node":5,"seq":1,"role":"learner","event":"commit","msg":null,"mid":null,)"
      R"("from":null,"to":null,"inst":3,"ballot":null,"value":"no-op"})";
  CHECK(describe(parseRecord(commit, "a:1")) == "commit inst 3 value 'no-op'");
  auto refused = [&](const std::string& from, const std::string& to) {
    std::string line = commit;
    line.replace(line.find(from), from.size(), to);
    try {
      parseRecord(line, "m:2");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused(R"("value":"no-op")", R"("value":null)") == "m:2: value: a commit needs its value");
  CHECK(refused(R"("inst":3)", R"("inst":null)") == "m:2: inst: a commit needs its slot");
  CHECK(refused(R"("commit","msg":null)", R"("deliver","msg":null)") == "accepted");
  CHECK(refused(R"("commit","msg":null,"mid":null,"from":null,"to":null,"inst":3)",
                R"("deliver","msg":null,"mid":null,"from":null,"to":null,"inst":null)") ==
        "m:2: inst: a deliver needs its slot");

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

TEST_CASE("trace check, multi mode: agreement per slot, integrity, validity, order, replicas") {
  int code = -1;
  SUBCASE("a correct log") {
    CHECK(checkLog({}, &code) ==
          "ok: 3 slots committed by 3 nodes, 4 values delivered by 2 learners, 4 answers to 2 "
          "clients\n");
    CHECK(code == 0);
  }
  SUBCASE("two values committed for one slot") {
    std::string out = checkLog({.n6Slot1 = "1 value: c8#2 'b2'"}, &code);
    CHECK(code == 1);
    CHECK(out.find("agreement violated: slot 1 committed as '1 value: c7#2 'a2'' and "
                   "'1 value: c8#2 'b2''\n") == 0);
    CHECK(count(out, "\"event\":\"commit\"") == 3);  // all three commits of slot 1
  }
  SUBCASE("a delivered value nobody requested") {
    std::string out = checkLog({.n5Slot0Extra = "x9"}, &code);
    CHECK(code == 1);
    CHECK(out.find("validity violated: 'x9' delivered 1 time(s), but no client proposed it\n") ==
          0);
    // n6 did not deliver it from slot 0: the replicas differ as well.
    CHECK(out.find("replica agreement violated: learners delivered different values from slot "
                   "0:\n  n5: 3 value(s); not delivered by all: 'x9'\n  n6: 2 value(s)\n") !=
          std::string::npos);
  }
  SUBCASE("a value a client recorded as proposed (no REQUEST carries it in words)") {
    std::string out = checkLog({.n5Slot0Extra = "x9", .n7Proposes = "x9"}, &code);
    CHECK(code == 1);  // n6 did not deliver it: only the replicas differ
    CHECK(out.find("validity violated") == std::string::npos);
    CHECK(out.find("replica agreement violated") != std::string::npos);
  }
  SUBCASE("a learner delivering out of slot order") {
    std::string out = checkLog({.n6OutOfOrder = true}, &code);
    CHECK(code == 1);
    CHECK(out.find("order violated: n6 delivered slot 0 after slot 1 (1 step(s) back in this "
                   "process)\n") == 0);
  }
  SUBCASE("a client told another slot than the learners delivered its value from") {
    std::string out = checkLog({.n7ToldA2At = 2}, &code);
    CHECK(code == 1);
    CHECK(out.find("order violated: client n7 was told 1 value(s) decided at other slots than "
                   "the learners delivered them; first 'a2' at slot 2, learners at slot 1\n") == 0);
  }
  SUBCASE("a learner that delivers a copy the other skipped") {
    std::string out = checkLog({.n6DeliversCopy = true}, &code);
    CHECK(code == 1);
    CHECK(out.find("replica agreement violated: learners delivered different values from slot "
                   "2:\n  n5: 1 value(s)\n  n6: 2 value(s); not delivered by all: 'a2'\n") == 0);
    CHECK(count(out, "\"event\":\"deliver\"") == 1);  // only the record that differs
  }
}

TEST_CASE("trace check, multi mode: a restarted node may commit and deliver again, alike") {
  TraceDir d;
  writeLogRun(d);
  // n5 restarts and learns the log again from slot 0: the same commits, the same deliveries.
  d.restart(5);
  d.event(700, 5, "learner", "role", {.value = "learner"});
  const char* values[] = {"2 values: c7#1 'a1', c8#1 'b1'", "1 value: c7#2 'a2'"};
  d.event(701, 5, "learner", "commit", {.inst = 0, .value = values[0]});
  d.event(702, 5, "learner", "deliver", {.inst = 0, .value = "a1"});
  d.event(703, 5, "learner", "deliver", {.inst = 0, .value = "b1"});
  d.event(704, 5, "learner", "commit", {.inst = 1, .value = values[1]});
  d.event(705, 5, "learner", "deliver", {.inst = 1, .value = "a2"});
  SUBCASE("with the same values") {
    d.write();
    std::ostringstream out;
    CHECK(check(loadTimeline({d.str()}), out) == 0);
    CHECK(out.str().starts_with("ok: 3 slots committed by 3 nodes"));
  }
  SUBCASE("with another value") {
    d.event(706, 5, "learner", "commit", {.inst = 2, .value = "no-op"});
    d.write();
    std::ostringstream out;
    CHECK(check(loadTimeline({d.str()}), out) == 1);
    CHECK(out.str().find("agreement violated: slot 2 committed as '2 values: c8#2 'b2', c7#2 "
                         "'a2'' and 'no-op'\n") == 0);
    CHECK(out.str().find("integrity violated: n5 committed slot 2 as '2 values: c8#2 'b2', c7#2 "
                         "'a2'' and 'no-op'\n") != std::string::npos);
  }
}

TEST_CASE("trace merge, html and stats, multi mode: commit, deliver, binary values") {
  TraceDir d;
  writeLogRun(d);
  d.write();
  Timeline t = loadTimeline({d.str()});
  std::string text = output([&](auto& out) { writeMerge(t, out); });
  CHECK(text.find("n1 proposer  elect ballot 1.1 leading\n") != std::string::npos);
  CHECK(text.find("n2 acceptor  promise ballot 1.1\n") != std::string::npos);
  CHECK(text.find("n5 learner   commit inst 1 value '1 value: c7#2 'a2''\n") != std::string::npos);
  CHECK(text.find("n7 client    deliver inst 0 value 'a1'\n") != std::string::npos);
  CHECK(text.find("send ACCEPT inst 0 ballot 1.1 value '\\x07\\x00\\x00\\x00\\x01\\x00a1' to n2") !=
        std::string::npos);

  std::string html = output([&](auto& out) { writeHtml(t, out); });
  CHECK(html.find("3 slot(s) (committed by 3 node(s), delivered by 2 learner(s))</h1>") !=
        std::string::npos);
  CHECK(count(html, "data-event=\"commit\"") == 9);
  CHECK(count(html, "data-event=\"deliver\"") == 12);
  CHECK(count(html, ">leading 1.1</text>") == 1);
  CHECK(count(html, ">commit 2 '2 values: c8#2 'b2', c7…'</text>") == 3);
  for (char c = 1; c < 0x20; ++c)
    if (c != '\n') CHECK(html.find(c) == std::string::npos);
  CHECK(html.find('\0') == std::string::npos);
  for (const char* phase : {"phase2", "decide"})
    CHECK(count(html, std::string("data-phase=\"") + phase + "\"") == 1);
  // The core writes PREPARE_ALL and PROMISE_ALL without their ballot: they band apart ("?").
  CHECK(count(html, "data-phase=\"phase1\"") == 2);

  Stats s = stats(t);
  CHECK(s.multi);
  CHECK(s.byType.at("PREPARE_ALL") == Counts{1, 1, 0});
  CHECK(s.paxos == doctest::Approx(0.411 - 0.110));  // PREPARE_ALL -> n6's commit of slot 2
  std::string table = output([&](auto& out) { writeStats(s, out); });
  CHECK(table.find("  PREPARE_ALL         1      1      0\n") != std::string::npos);
  CHECK(table.find("first PREPARE or PREPARE_ALL send to last commit") != std::string::npos);
}
