// The latency-against-load plots: values/s (x, log) against per-value latency in ms (y, log),
// p50 and p99, one point per run. Plain SVG, no library.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "figures.hpp"

namespace paxos::bench {
namespace {

constexpr double kWidth = 720, kHeight = 440;
constexpr double kLeft = 70, kRight = 30, kTop = 40, kBottom = 60;

struct Axis {
  double lo, hi;  // decades: 10^lo .. 10^hi
  double pixelsFrom, pixelsTo;
  double at(double v) const {
    double t = (std::log10(v) - lo) / (hi - lo);
    return pixelsFrom + t * (pixelsTo - pixelsFrom);
  }
};

Axis decades(double smallest, double largest, double from, double to) {
  double lo = std::floor(std::log10(smallest)), hi = std::ceil(std::log10(largest));
  if (hi <= lo) hi = lo + 1;
  return {lo, hi, from, to};
}

std::string label(double v) {
  if (v >= 1e6) return std::to_string(long(v / 1e6)) + "M";
  if (v >= 1e3) return std::to_string(long(v / 1e3)) + "k";
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

std::string plotSweep(const std::vector<SweepPoint>& points) {
  std::vector<SweepPoint> sorted;
  for (const auto& p : points)
    if (p.ok) sorted.push_back(p);
  // Joined in order of offered load (values in flight): past saturation the line turns back.
  std::sort(sorted.begin(), sorted.end(), [](const SweepPoint& a, const SweepPoint& b) {
    return a.clients * a.window < b.clients * b.window;
  });
  std::vector<PlotPoint> shown;
  for (const auto& p : sorted)
    shown.push_back({p.valuesPerSec, p.p50Ms, p.p99Ms,
                     std::to_string(p.clients) + "x" + std::to_string(p.window)});
  return plotSvg(shown, "paxos-cpp multi mode: latency against load (3 acceptors, 64 B values)",
                 "decided values per second (log)");
}

std::string plotOpenSweep(const std::vector<OpenPoint>& points) {
  std::vector<PlotPoint> shown;
  for (const auto& p : points) shown.push_back({p.offered, p.p50Ms, p.p99Ms, label(p.offered)});
  return plotSvg(shown,
                 "paxos-cpp multi mode, open loop: latency from each value's due time against "
                 "offered load",
                 "offered values per second (log)");
}

std::string plotSvg(const std::vector<PlotPoint>& points, const std::string& title,
                    const std::string& loadAxis) {
  std::vector<PlotPoint> shown;
  for (const auto& p : points)
    if (p.load > 0 && p.p50Ms > 0 && p.p99Ms > 0) shown.push_back(p);
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
      << title << "</text>\n";
  if (shown.empty()) {
    svg << "<text x=\"" << kWidth / 2 << "\" y=\"" << kHeight / 2
        << "\" text-anchor=\"middle\">no latency data</text>\n"
        << "</svg>\n";
    return svg.str();
  }
  double xMin = 1e300, xMax = 0, yMin = 1e300, yMax = 0;
  for (const auto& p : shown) {
    xMin = std::min(xMin, p.load), xMax = std::max(xMax, p.load);
    yMin = std::min(yMin, p.p50Ms), yMax = std::max(yMax, p.p99Ms);
  }
  Axis x = decades(xMin, xMax, kLeft, kWidth - kRight);
  Axis y = decades(yMin, yMax, kHeight - kBottom, kTop);
  // Grid and ticks at each decade.
  for (double d = x.lo; d <= x.hi; ++d) {
    double px = x.at(std::pow(10, d));
    svg << "<line x1=\"" << px << "\" y1=\"" << kTop << "\" x2=\"" << px << "\" y2=\""
        << kHeight - kBottom << "\" stroke=\"#ddd\"/>\n"
        << "<text x=\"" << px << "\" y=\"" << kHeight - kBottom + 16 << "\" text-anchor=\"middle\">"
        << label(std::pow(10, d)) << "</text>\n";
  }
  for (double d = y.lo; d <= y.hi; ++d) {
    double py = y.at(std::pow(10, d));
    svg << "<line x1=\"" << kLeft << "\" y1=\"" << py << "\" x2=\"" << kWidth - kRight << "\" y2=\""
        << py << "\" stroke=\"#ddd\"/>\n"
        << "<text x=\"" << kLeft - 6 << "\" y=\"" << py + 4 << "\" text-anchor=\"end\">"
        << label(std::pow(10, d)) << "</text>\n";
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth - kLeft - kRight
      << "\" height=\"" << kHeight - kTop - kBottom << "\" fill=\"none\" stroke=\"black\"/>\n"
      << "<text x=\"" << (kLeft + kWidth - kRight) / 2 << "\" y=\"" << kHeight - 18
      << "\" text-anchor=\"middle\">" << loadAxis << "</text>\n"
      << "<text transform=\"translate(18," << (kTop + kHeight - kBottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">latency per value, ms (log)</text>\n";
  struct Series {
    const char* name;
    const char* colour;
    const char* dash;
    double PlotPoint::*field;
  };
  Series series[] = {{"p50", "#1f77b4", "", &PlotPoint::p50Ms},
                     {"p99", "#d62728", "6,4", &PlotPoint::p99Ms}};
  int row = 0;
  for (const auto& s : series) {
    svg << "<polyline fill=\"none\" stroke=\"" << s.colour << "\" stroke-width=\"2\""
        << (*s.dash ? std::string(" stroke-dasharray=\"") + s.dash + "\"" : "") << " points=\"";
    for (const auto& p : shown) svg << x.at(p.load) << "," << y.at(p.*s.field) << " ";
    svg << "\"/>\n";
    for (const auto& p : shown)
      svg << "<circle cx=\"" << x.at(p.load) << "\" cy=\"" << y.at(p.*s.field)
          << "\" r=\"4\" fill=\"" << s.colour << "\"/>\n";
    double ly = kTop + 16 + 18 * row++;
    svg << "<line x1=\"" << kLeft + 12 << "\" y1=\"" << ly - 4 << "\" x2=\"" << kLeft + 40
        << "\" y2=\"" << ly - 4 << "\" stroke=\"" << s.colour << "\" stroke-width=\"2\""
        << (*s.dash ? std::string(" stroke-dasharray=\"") + s.dash + "\"" : "") << "/>\n"
        << "<text x=\"" << kLeft + 46 << "\" y=\"" << ly << "\">" << s.name << "</text>\n";
  }
  for (const auto& p : shown)
    svg << "<text x=\"" << x.at(p.load) + 6 << "\" y=\"" << y.at(p.p50Ms) + 16
        << "\" fill=\"#555\" font-size=\"10\">" << p.label << "</text>\n";
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace paxos::bench
