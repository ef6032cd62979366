// paxos-trace SUBCOMMAND INPUT...: merge, draw, check and count the JSON-lines traces of a run
// (docs/TRACE.md). Exit 0 on success, 1 when `check` finds a violation, 2 on bad arguments or a
// bad trace line ("FILE:LINE: reason").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "paxos_version.hpp"
#include "tracetool/commands.hpp"

using namespace paxos::tracetool;

namespace {

constexpr int kUsageError = 2;

int fail(const std::string& message) {
  fmt::print(stderr, "paxos-trace: {}\n", message);
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-trace: merge the JSON-lines traces of a paxos-cpp run (docs/TRACE.md) into "
      "one causal timeline, draw it, check it or count it. INPUT is a run directory "
      "(its *.trace.jsonl files) or trace files."};
  app.set_version_flag("--version", paxos::versionLine("paxos-trace"));
  app.require_subcommand(1);
  std::vector<std::string> inputs;
  std::string output = "-";
  auto command = [&](const char* name, const char* help, bool writesFile) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->add_option("INPUT", inputs, "a run directory or trace files")->required();
    if (writesFile)
      sub->add_option("-o,--output", output, "output file, - for stdout")->capture_default_str();
    return sub;
  };
  auto* merge = command("merge", "one line per record, in causal order", false);
  auto* html = command("html", "a self-contained HTML page drawing the run", true);
  auto* shiviz = command("shiviz", "a log with vector clocks for ShiViz", true);
  auto* checker = command(
      "check", "agreement, validity and integrity of the decisions; in multi mode also order",
      false);
  command("stats", "messages per type and link, election messages, time per phase", false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    if (app.get_subcommands().empty())  // CLI11's own text would not name the choices
      return fail("expected a subcommand: merge, html, shiviz, check or stats (--help)");
    return fail(error.what());
  }

  try {
    Timeline timeline = loadTimeline(inputs);
    // Written whole to memory first, so a failure leaves no half-written output file.
    std::ostringstream text;
    int code = 0;
    if (merge->parsed())
      writeMerge(timeline, text);
    else if (html->parsed())
      writeHtml(timeline, text);
    else if (shiviz->parsed())
      writeShiviz(timeline, text);
    else if (checker->parsed())
      code = check(timeline, text);
    else
      writeStats(stats(timeline), text);
    if (output == "-") {
      std::cout << text.str() << std::flush;
    } else {
      std::ofstream file(output, std::ios::binary);
      if (!(file << text.str()) || !file.flush())
        return fail(fmt::format("{}: cannot write: {}", output, std::strerror(errno)));
    }
    return code;
  } catch (const InputError& error) {
    return fail(error.what());
  }
}
