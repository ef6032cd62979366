// `paxos-trace html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
// that draws the run as a sequence diagram. Time runs downward with one row per record in the
// causal order rather than scaled by ts: every arrow then points down even when clocks
// disagree, and a burst of messages within a millisecond stays readable. The left column gives
// ms since the first record. Hovering any arrow or mark shows its JSON record(s).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>

#include "tracetool/commands.hpp"

namespace paxos::tracetool {
namespace {

constexpr double kRow = 16;        // px per record
constexpr double kLane = 130;      // px between lanes
constexpr double kTimeWidth = 64;  // the ms column
constexpr double kBandWidth = 18;  // one column of phase bars
constexpr double kTop = 12;
constexpr size_t kBandGap = 24;  // rows without a phase's traffic that split it into two bands

const std::map<std::string, std::string> kColours = {
    {"ELECT", "#1f77b4"},      {"ELECT_ACK", "#6baed6"},   {"LEADER", "#6a3d9a"},
    {"LEADER_ACK", "#b39ddb"}, {"START", "#17becf"},       {"START_ACK", "#9edae5"},
    {"START_Q", "#4db6ac"},    {"REQUEST", "#8c564b"},     {"PREPARE", "#ff7f0e"},
    {"PROMISE", "#d4a000"},    {"ACCEPT", "#2ca02c"},      {"ACCEPTED", "#1b7837"},
    {"NACK", "#d62728"},       {"DECIDED", "#e377c2"},     {"DONE", "#7f7f7f"},
    {"DONE_ACK", "#bdbdbd"},   {"PREPARE_ALL", "#c85a00"}, {"PROMISE_ALL", "#a07800"},
    {"HEARTBEAT", "#969696"},  {"PROGRESS", "#c49c94"},    {"CATCHUP", "#f7b6d2"}};
const std::map<std::string, std::string> kPhaseColours = {
    {"election", "#6a3d9a"}, {"phase1", "#ff7f0e"}, {"phase2", "#2ca02c"}, {"decide", "#e377c2"}};

const char* kCss = R"(body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 6px; }
p { margin: 4px 0; max-width: 110ch; }
.legend { margin: 8px 0; line-height: 22px; }
.legend .item { white-space: nowrap; margin-right: 14px; }
.legend .swatch { display: inline-block; width: 22px; border-top: 3px solid; vertical-align: middle;
  margin-right: 4px; }
.legend .dashed { border-top-style: dashed; }
.heads { position: sticky; top: 0; background: #fff; z-index: 1; border-bottom: 1px solid #ddd; }
svg text { font: 10px system-ui, sans-serif; fill: #333; }
.heads .uid { font-size: 13px; font-weight: bold; }
.time { fill: #888; }
.grid { stroke: #f2f2f2; }
.lifeline { stroke: #999; }
.lane.untraced .lifeline { stroke-dasharray: 4 4; }
.msg .line { fill: none; stroke-width: 1.5; }
.msg .hit { fill: none; stroke: transparent; stroke-width: 9; }
.msg:hover .line { stroke-width: 3; }
.msg.lost .line, .msg.orphan .line { stroke-dasharray: 5 3; }
.cut { stroke: #b00000; stroke-width: 2.5; }
.event .label { fill: #222; }
.event.decide .label, .event.commit .label, .event.crash .label { font-weight: bold; }
.band .tint { opacity: 0.07; }
.band .bar { opacity: 0.55; }
pre { font-size: 12px; }
)";

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string colour(const std::optional<std::string>& type) {
  auto it = type ? kColours.find(*type) : kColours.end();
  return it == kColours.end() ? "#555555" : it->second;
}

// Marker ids may not hold every character a type could; unknown types share one marker.
std::string markerId(const std::optional<std::string>& type) {
  return type && kColours.contains(*type) ? "head-" + *type : "head-other";
}

std::string shorten(const std::string& text, size_t most = 24) {
  return text.size() <= most ? text : text.substr(0, most - 1) + "…";
}

// A stretch of rows given to one phase: the election, phase 1 or 2 of one ballot, the decision.
struct Band {
  std::string phase, label;
  size_t first = 0, last = 0;
  size_t column = 0;
};

std::vector<Band> phaseBands(const Timeline& t) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> rows;
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    std::string m = r.msg.value_or("");
    // One band per ballot, not per instance: in multi mode a ballot's phase 2 covers the slots
    // of a whole leadership, and one band per slot would not fit beside the lanes.
    std::string ballot = r.ballot.value_or("?");
    if (m == "ELECT" || m == "ELECT_ACK" || m == "LEADER" || m == "LEADER_ACK" ||
        (r.event == "elect" && r.value != "lead"))
      rows[{"election", "election"}].push_back(i);
    else if (m == "PREPARE" || m == "PROMISE" || m == "PREPARE_ALL" || m == "PROMISE_ALL" ||
             r.event == "promise" || r.event == "elect")  // a multi-mode proposer now leading
      rows[{"phase1", "phase 1 · " + ballot}].push_back(i);
    else if (m == "ACCEPT" || m == "ACCEPTED" || r.event == "accept")
      rows[{"phase2", "phase 2 · " + ballot}].push_back(i);
    else if (m == "DECIDED" || r.event == "decide" || r.event == "commit" || r.event == "deliver")
      rows[{"decide", "decide"}].push_back(i);
  }
  std::vector<Band> bands;
  for (const auto& [key, list] : rows) {
    // Late traffic (a node joining after the election) becomes its own band, not one long bar.
    Band band{key.first, key.second, list.front(), list.front()};
    for (size_t i : list) {
      if (i > band.last + kBandGap) {
        bands.push_back(band);
        band.first = i;
      }
      band.last = i;
    }
    bands.push_back(band);
  }
  std::sort(bands.begin(), bands.end(), [](const Band& a, const Band& b) {
    return std::tie(a.first, a.last) < std::tie(b.first, b.last);
  });
  // Overlapping bands go side by side: each takes the first column free at its first row.
  std::vector<size_t> columnEnd;
  for (auto& band : bands) {
    size_t c = 0;
    while (c < columnEnd.size() && columnEnd[c] + 1 >= band.first) ++c;
    if (c == columnEnd.size()) columnEnd.push_back(0);
    columnEnd[c] = band.last + 3;  // keep room for the label
    band.column = c;
  }
  return bands;
}

struct Layout {
  std::map<uint32_t, double> laneX;
  double lanesLeft = 0, width = 0, height = 0;
  double y(size_t row) const { return kTop + static_cast<double>(row) * kRow + kRow / 2; }
};

// An arrow or stub from (x1, y1) to (x2, y2); a message to oneself loops out to the right.
std::string path(double x1, double y1, double x2, double y2) {
  if (x1 == x2)
    return fmt::format("M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}", x1, y1, x1 + 40,
                       y1, x2 + 40, y2, x2, y2);
  return fmt::format("M{:.1f},{:.1f} L{:.1f},{:.1f}", x1, y1, x2, y2);
}

std::string cross(double x, double y, double size, const std::string& cls) {
  return fmt::format(
      "<path class=\"{}\" d=\"M{:.1f},{:.1f} L{:.1f},{:.1f} M{:.1f},{:.1f} L{:.1f},{:.1f}\"/>", cls,
      x - size, y - size, x + size, y + size, x - size, y + size, x + size, y - size);
}

void writeMessages(const Timeline& t, const Layout& L, std::ostream& out) {
  out << "<g class=\"messages\">\n";
  auto open = [&](const std::string& cls, const Record& r, const std::string& title) {
    out << fmt::format("<g class=\"{}\" data-mid=\"{}\" data-type=\"{}\"><title>{}</title>", cls,
                       escape(r.mid.value_or("")), escape(r.msg.value_or("")), escape(title));
  };
  auto line = [&](const Record& r, const std::string& d, bool head) {
    out << fmt::format(
        "<path class=\"hit\" d=\"{}\"/><path class=\"line\" d=\"{}\" stroke=\"{}\"{}/>", d, d,
        colour(r.msg), head ? fmt::format(" marker-end=\"url(#{})\"", markerId(r.msg)) : "");
  };
  for (size_t i = 0; i < t.records.size(); ++i) {
    const Record& r = t.records[i];
    if (r.event == "recv") {
      // One arrow per recv record, so a duplicated delivery shows as two arrows.
      double x2 = L.laneX.at(r.node), y2 = L.y(i);
      if (auto s = t.sendOf[i]) {
        open("msg", r, t.records[*s].json + "\n" + r.json);
        line(r, path(L.laneX.at(t.records[*s].node), L.y(*s), x2, y2), true);
      } else {  // the sender's trace is missing: a short dashed arrow from its lane
        open("msg orphan", r, "send not traced\n" + r.json);
        line(r, path(L.laneX.at(*r.from), std::max(kTop, y2 - 1.5 * kRow), x2, y2), true);
      }
      out << "</g>\n";
    } else if (r.event == "send" && !t.delivered(i)) {
      // Cut: dashed to the drop point if the receiver dropped it, else a stub; an X either way.
      double x1 = L.laneX.at(r.node), y1 = L.y(i), toX = L.laneX.at(*r.to), x2, y2;
      std::string title = r.json;
      if (!t.arrivals[i].empty()) {
        size_t drop = t.arrivals[i].front();
        x2 = toX, y2 = L.y(drop);
        title = "sent, then dropped by the receiver\n" + title + "\n" + t.records[drop].json;
      } else {
        x2 = x1 == toX ? x1 + 30 : x1 + (toX - x1) * 0.4, y2 = y1 + kRow;
        title = "sent, never received (no recv in the traces)\n" + title;
      }
      open("msg lost", r, title);
      line(r, path(x1, y1, x2, y2), false);
      out << cross(x2, y2, 5, "cut") << "</g>\n";
    }
  }
  out << "</g>\n";
}

// The text beside an event mark; none for a timeout (its tooltip says enough).
std::string markLabel(const Record& r) {
  std::string value = shorten(printable(r.value.value_or(""), SIZE_MAX));
  if (r.event == "elect" && r.value == "lead") return "leading " + r.ballot.value_or("");
  if (r.event == "elect") return "leader n" + value;
  if (r.event == "role") return value;
  if (r.event == "promise" || r.event == "accept")
    return r.event + " " + r.ballot.value_or("") + (value.empty() ? "" : " '" + value + "'");
  if (r.event == "decide") return "decide '" + value + "'";
  if (r.event == "commit" || r.event == "deliver")
    return fmt::format("{} {} '{}'", r.event, *r.inst, value);
  if (r.event == "drop") return "drop " + r.msg.value_or("malformed");
  if (r.event == "crash") return r.value ? "crash at " + value : "crash";
  if (r.event == "exit") return "exit " + value;
  return "";
}

// How far right of its lane a mark's label reaches: about 6.5 px per character at 10 px.
double labelReach(const Record& r) {
  std::string label = markLabel(r);
  auto chars = std::count_if(label.begin(), label.end(), [](char c) { return (c & 0xC0) != 0x80; });
  return 14 + 6.5 * static_cast<double>(chars);
}

// The mark for a record that is not a send or recv; drawn on its node's lane.
void writeEvent(const Timeline& t, size_t i, const Layout& L, std::ostream& out) {
  const Record& r = t.records[i];
  double x = L.laneX.at(r.node), y = L.y(i);
  std::string shape;
  if (r.event == "elect") {
    shape = fmt::format("<path d=\"M{0:.1f},{1:.1f} l6,6 l-6,6 l-6,-6 z\" fill=\"#6a3d9a\"/>", x,
                        y - 6);
  } else if (r.event == "role") {
    shape =
        fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"9\" height=\"9\" fill=\"#17becf\"/>",
                    x - 4.5, y - 4.5);
  } else if (r.event == "promise" || r.event == "accept") {
    shape = fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>", x, y,
                        colour(r.event == "promise" ? "PROMISE" : "ACCEPTED"));
  } else if (r.event == "decide" || r.event == "commit") {
    shape = fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\" stroke=\"#000\"/>",
                        x, y, colour("DECIDED"));
  } else if (r.event == "deliver") {
    shape = fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>", x, y,
                        colour("DECIDED"));
  } else if (r.event == "timeout") {
    shape = fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#fff\" stroke=\"#888\"/>", x, y);
  } else if (r.event == "drop") {
    shape = cross(x, y, 4, "cut");
  } else if (r.event == "crash") {
    shape = cross(x, y, 8, "cut");
  } else {  // exit
    shape = fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"24\" height=\"4\" fill=\"#000\"/>",
                        x - 12, y - 2);
  }
  out << fmt::format("<g class=\"event {0}\" data-event=\"{0}\"><title>{1}</title>{2}", r.event,
                     escape(r.json), shape);
  if (std::string label = markLabel(r); !label.empty())
    out << fmt::format("<text class=\"label\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x + 14, y + 3.5,
                       escape(label));
  out << "</g>\n";
}

void writeLanes(const Timeline& t, const Layout& L, std::ostream& out) {
  std::map<uint32_t, std::vector<size_t>> rows;
  for (size_t i = 0; i < t.records.size(); ++i) rows[t.records[i].node].push_back(i);
  for (uint32_t uid : t.nodes) {
    bool traced = t.traced.contains(uid);
    double x = L.laneX.at(uid);
    // A lane ends at its node's last record (its exit or crash); a node without a trace keeps a
    // dashed lane through the whole run, as the target of arrows that were never received.
    double end = traced ? L.y(rows[uid].back()) : L.height - kRow;
    out << fmt::format("<g class=\"lane{}\" data-node=\"{}\">\n", traced ? "" : " untraced", uid);
    out << fmt::format(
        "<line class=\"lifeline\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n",
        x, kTop, end);
    for (size_t i : rows[uid])
      if (!(t.records[i].event == "send" || t.records[i].event == "recv")) writeEvent(t, i, L, out);
    out << "</g>\n";
  }
}

void writeBands(const std::vector<Band>& bands, const Layout& L, std::ostream& out) {
  for (const auto& b : bands) {
    double top = L.y(b.first) - kRow / 2, height = static_cast<double>(b.last - b.first + 1) * kRow;
    double x = kTimeWidth + static_cast<double>(b.column) * kBandWidth;
    const std::string& fill = kPhaseColours.at(b.phase);
    out << fmt::format(
        "<g class=\"band\" data-phase=\"{0}\"><title>{1}: rows {2}-{3}</title>"
        "<rect class=\"tint\" x=\"{4:.1f}\" y=\"{5:.1f}\" width=\"{6:.1f}\" height=\"{7:.1f}\" "
        "fill=\"{8}\"/><rect class=\"bar\" x=\"{9:.1f}\" y=\"{5:.1f}\" width=\"5\" "
        "height=\"{7:.1f}\" fill=\"{8}\"/><text transform=\"translate({10:.1f},{11:.1f}) "
        "rotate(90)\">{1}</text></g>\n",
        b.phase, escape(b.label), b.first, b.last, L.lanesLeft, top, L.width - L.lanesLeft, height,
        fill, x, x + 7, top + 2);
  }
}

void writeLegend(const Timeline& t, std::ostream& out) {
  std::set<std::string> present;
  for (const auto& r : t.records)
    if (r.msg) present.insert(*r.msg);
  out << "<div class=\"legend\">";
  for (const auto& type : messageTypes())
    if (present.contains(type))
      out << fmt::format(
          "<span class=\"item\"><span class=\"swatch\" style=\"border-color:{}\"></span>{}</span>",
          colour(type), type);
  for (const auto& type : present)
    if (!kColours.contains(type))
      out << fmt::format(
          "<span class=\"item\"><span class=\"swatch\" "
          "style=\"border-color:#555\"></span>{}</span>",
          escape(type));
  out << "<br><span class=\"item\"><span class=\"swatch dashed\" style=\"border-color:#555\">"
         "</span>✕ sent but never received, or dropped</span>"
         "<span class=\"item\"><span class=\"swatch dashed\" style=\"border-color:#555\"></span>"
         "received, sender's trace missing</span>"
         "<span class=\"item\">◆ leader known</span><span class=\"item\">■ role taken</span>"
         "<span class=\"item\">● promise / accept / decide / commit / deliver</span>"
         "<span class=\"item\">○ timeout</span><span class=\"item\">▬ exit</span>"
         "<span class=\"item\" style=\"color:#b00000\">✕ crash, drop</span><br>";
  const std::pair<const char*, const char*> phases[] = {
      {"election", "election: ELECT/LEADER traffic"},
      {"phase1", "phase 1: PREPARE/PROMISE"},
      {"phase2", "phase 2: ACCEPT/ACCEPTED"},
      {"decide", "decide: DECIDED, decide, commit and deliver events"}};
  for (const auto& [phase, text] : phases)
    out << fmt::format(
        "<span class=\"item\"><span class=\"swatch\" style=\"border-color:{};border-top-width:8px;"
        "opacity:.55\"></span>{}</span>",
        kPhaseColours.at(phase), text);
  out << "</div>\n";
}

}  // namespace

void writeHtml(const Timeline& t, std::ostream& out) {
  auto bands = phaseBands(t);
  size_t columns = 0;
  for (const auto& b : bands) columns = std::max(columns, b.column + 1);
  Layout L;
  L.lanesLeft = kTimeWidth + static_cast<double>(columns) * kBandWidth + 10;
  for (size_t k = 0; k < t.nodes.size(); ++k)
    L.laneX[t.nodes[k]] = L.lanesLeft + kLane / 2 + static_cast<double>(k) * kLane;
  // Wide enough for every label and self-addressed loop: the SVG clips what lies outside it.
  L.width = L.lanesLeft + static_cast<double>(t.nodes.size()) * kLane;
  for (const auto& r : t.records)
    L.width = std::max(L.width, L.laneX.at(r.node) + 10 +
                                    (r.event == "send" || r.event == "recv" ? 45 : labelReach(r)));
  L.height = kTop + static_cast<double>(t.records.size()) * kRow + 2 * kRow;

  std::map<std::string, std::set<uint32_t>> decided;
  std::set<uint64_t> slots;  // multi mode: committed slots, and who committed or delivered
  std::set<uint32_t> committers, deliverers;
  std::map<uint32_t, std::string> role;  // a lane's heading: its node's last role
  for (const auto& r : t.records) {
    if (r.event == "decide") decided[*r.value].insert(r.node);
    if (r.event == "commit") slots.insert(*r.inst), committers.insert(r.node);
    if (r.event == "deliver" && r.role != "client") deliverers.insert(r.node);
    role[r.node] = r.role;
  }
  std::string decision = decided.empty() && slots.empty() ? "nothing decided" : "decided";
  for (const auto& [value, nodes] : decided)
    decision += fmt::format(" '{}' by {} node(s)", escape(printable(value)), nodes.size());
  if (!slots.empty())
    decision += fmt::format(" {} slot(s) (committed by {} node(s), delivered by {} learner(s))",
                            slots.size(), committers.size(), deliverers.size());
  double span =
      static_cast<double>(std::max_element(t.records.begin(), t.records.end(),
                                           [](const auto& a, const auto& b) { return a.ts < b.ts; })
                              ->ts -
                          t.t0) /
      1e6;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << fmt::format("<title>paxos trace: {} processes, {} records</title>\n", t.nodes.size(),
                     t.records.size())
      << "<style>\n"
      << kCss << "</style>\n</head>\n<body>\n"
      << fmt::format("<h1>Paxos run: {} processes, {} records, {:.3f} ms, {}</h1>\n",
                     t.nodes.size(), t.records.size(), span, decision)
      << "<p>One lane per process; time runs downward, one row per record in causal order (the "
         "left column is ms since the first record). Arrows go from a send to its receive. Hover "
         "an arrow or a mark for its JSON record(s).</p>\n";
  writeLegend(t, out);

  out << fmt::format("<div class=\"heads\"><svg width=\"{:.0f}\" height=\"36\">", L.width)
      << "<text class=\"time\" x=\"4\" y=\"28\">ms</text>";
  for (uint32_t uid : t.nodes)
    out << fmt::format(
        "<text class=\"uid\" x=\"{0:.1f}\" y=\"15\" text-anchor=\"middle\">n{1}</text>"
        "<text x=\"{0:.1f}\" y=\"30\" text-anchor=\"middle\">{2}</text>",
        L.laneX.at(uid), uid, t.traced.contains(uid) ? role[uid] : "no trace");
  out << "</svg></div>\n";

  out << fmt::format("<svg class=\"chart\" width=\"{:.0f}\" height=\"{:.0f}\">\n<defs>", L.width,
                     L.height);
  std::map<std::string, std::string> markers = {{"head-other", "#555555"}};
  for (const auto& [type, hex] : kColours) markers["head-" + type] = hex;
  for (const auto& [id, hex] : markers)
    out << fmt::format(
        "<marker id=\"{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
        "markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
        "L0,10 z\" fill=\"{}\"/></marker>",
        id, hex);
  out << "</defs>\n";
  for (size_t i = 0; i < t.records.size(); i += 4)  // a time label every fourth row
    out << fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\"/>"
        "<text class=\"time\" x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.3f}</text>\n",
        L.lanesLeft, L.y(i), L.width, kTimeWidth - 6, L.y(i) + 3.5, t.ms(i));
  writeBands(bands, L, out);
  writeMessages(t, L, out);
  writeLanes(t, L, out);  // after the arrows, so event marks sit on top and keep their tooltips
  out << "</svg>\n";

  std::ostringstream merged;
  writeMerge(t, merged);
  out << "<details><summary>merged timeline (text)</summary><pre>" << escape(merged.str())
      << "</pre></details>\n</body>\n</html>\n";
}

}  // namespace paxos::tracetool
