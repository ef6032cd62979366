// The results: rows of a table (one figure per group), printed for a person and written as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace paxos::bench {

struct Row {
  std::string figure;
  std::string name;
  std::optional<double> value;  // none: the measurement failed (see note)
  std::string unit;
  // The physical limit this figure is held against, measured in the same run, and what it is.
  std::optional<double> limit;
  std::string limitName;
  std::optional<double> ratio;  // value / limit, or as the row says
  std::string target;           // e.g. "<= 50 ms"; empty: none
  std::optional<bool> met;      // against target; never asserted anywhere
  std::string note;
};

class Report {
 public:
  Row& add(Row row);
  // A row whose value could not be measured, with the reason.
  void fail(const std::string& figure, const std::string& name, const std::string& why);
  const std::vector<Row>& rows() const { return rows_; }
  bool anyFailed() const;

  // Prints the rows added since the last call, so a long run shows progress.
  void printNew();
  void printHeader() const;
  void printTargets() const;  // the met/missed summary at the end

  nlohmann::json& extra() { return extra_; }  // machine, sweep points, raw limits
  nlohmann::json json() const;

 private:
  std::vector<Row> rows_;
  size_t printed_ = 0;
  nlohmann::json extra_ = nlohmann::json::object();
};

// The machine: CPU model, cores, kernel, for the report and docs/BENCHMARKS.md.
nlohmann::json machine();

// A number with as many digits as it deserves: 123456, 1234.5, 12.3, 1.23, 0.123.
std::string formatNumber(double v);

}  // namespace paxos::bench
