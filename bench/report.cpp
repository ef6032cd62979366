#include "report.hpp"

#include <sys/utsname.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

namespace paxos::bench {

Row& Report::add(Row row) {
  if (row.value && row.limit && !row.ratio && *row.limit != 0) row.ratio = *row.value / *row.limit;
  rows_.push_back(std::move(row));
  return rows_.back();
}

void Report::fail(const std::string& figure, const std::string& name, const std::string& why) {
  Row row;
  row.figure = figure;
  row.name = name;
  row.note = why;
  rows_.push_back(std::move(row));
}

bool Report::anyFailed() const {
  for (const auto& r : rows_)
    if (!r.value) return true;
  return false;
}

std::string formatNumber(double v) {
  char text[64];
  double a = std::fabs(v);
  if (a >= 10000 || (a >= 100 && a == std::floor(a)))
    std::snprintf(text, sizeof text, "%.0f", v);
  else if (a >= 100)
    std::snprintf(text, sizeof text, "%.1f", v);
  else if (a >= 10)
    std::snprintf(text, sizeof text, "%.1f", v);
  else if (a >= 1)
    std::snprintf(text, sizeof text, "%.2f", v);
  else
    std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

void Report::printHeader() const {
  std::printf("%-10s %-34s %14s %-9s %14s %-22s %8s %-12s %s\n", "figure", "name", "value", "unit",
              "limit", "(limit is)", "ratio", "target", "status");
}

void Report::printNew() {
  for (; printed_ < rows_.size(); ++printed_) {
    const Row& r = rows_[printed_];
    std::string value = r.value ? formatNumber(*r.value) : "FAILED";
    std::string limit = r.limit ? formatNumber(*r.limit) : "";
    std::string ratio = r.ratio ? formatNumber(*r.ratio) : "";
    std::string status = !r.met ? "" : *r.met ? "met" : "missed";
    std::printf("%-10s %-34s %14s %-9s %14s %-22s %8s %-12s %s", r.figure.c_str(), r.name.c_str(),
                value.c_str(), r.unit.c_str(), limit.c_str(), r.limitName.c_str(), ratio.c_str(),
                r.target.c_str(), status.c_str());
    if (!r.note.empty()) std::printf("  (%s)", r.note.c_str());
    std::printf("\n");
  }
  std::fflush(stdout);
}

void Report::printTargets() const {
  std::printf("\ntargets:\n");
  for (const auto& r : rows_) {
    if (!r.met && r.value) continue;
    if (r.target.empty() && r.value) continue;
    std::printf("  %-8s %-10s %-34s %s %s %s\n",
                !r.value ? "FAILED"
                : *r.met ? "met"
                         : "missed",
                r.figure.c_str(), r.name.c_str(), r.value ? formatNumber(*r.value).c_str() : "-",
                r.unit.c_str(), r.target.c_str());
  }
  std::fflush(stdout);
}

nlohmann::json Report::json() const {
  nlohmann::json out = extra_;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rows_) {
    nlohmann::json row = {{"figure", r.figure}, {"name", r.name}, {"unit", r.unit}};
    row["value"] = r.value ? nlohmann::json(*r.value) : nlohmann::json(nullptr);
    row["limit"] = r.limit ? nlohmann::json(*r.limit) : nlohmann::json(nullptr);
    row["limit_name"] = r.limitName;
    row["ratio"] = r.ratio ? nlohmann::json(*r.ratio) : nlohmann::json(nullptr);
    row["target"] = r.target;
    row["met"] = r.met ? nlohmann::json(*r.met) : nlohmann::json(nullptr);
    if (!r.note.empty()) row["note"] = r.note;
    rows.push_back(row);
  }
  out["rows"] = rows;
  return out;
}

nlohmann::json machine() {
  nlohmann::json m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.starts_with("model name")) {
      m["cpu"] = line.substr(line.find(':') + 2);
      break;
    }
  m["cores"] = std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0) m["kernel"] = std::string(u.sysname) + " " + u.release;
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line))
    if (line.starts_with("MemTotal:")) {
      m["memory_kib"] = std::stol(line.substr(9));
      break;
    }
  return m;
}

}  // namespace paxos::bench
