// clidriver UID VALUE DESIREDPROPOSER [options]: proposes VALUE through proposer
// DESIREDPROPOSER (modulo the number of proposers) and prints the decided value. In multi mode
// VALUE "-" streams the lines of stdin as they come and prints "decided SLOT VALUE" for each.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <random>

#include "core/client.hpp"
#include "core/cluster.hpp"
#include "net/driver.hpp"
#include "net/fault_injector.hpp"
#include "net/line_reader.hpp"
#include "net/startup.hpp"
#include "net/udp_transport.hpp"
#include "paxos_version.hpp"
#include "trace/trace_writer.hpp"
#include "wire/batch.hpp"
#include "wire/codec.hpp"

using namespace paxos;

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-cpp client: proposes VALUE, prints the value the cluster decides, then "
      "tells the cluster it is done. Exit 0 with a decision, 1 without one."};
  app.set_version_flag("--version", versionLine("clidriver"));
  uint32_t uid = 0, desired = 0;
  std::string value, hostsFile = "hosts.txt";
  bool debug = false;
  std::optional<int> timeoutMs;
  std::string traceFile;
  app.add_option("UID", uid, "this client's UID: its line index among the host lines")->required();
  app.add_option("VALUE", value,
                 "the value to propose; multi mode: - proposes each line of stdin as it comes, "
                 "until stdin ends")
      ->required();
  app.add_option("DESIREDPROPOSER", desired,
                 "which proposer to ask first, modulo the number of proposers")
      ->required();
  app.add_option("--hosts", hostsFile, "hosts file: the seed's text format, or YAML (.yaml/.yml)")
      ->capture_default_str();
  app.add_flag("--debug", debug, "log every message sent and received (or PAXOS_LOG=debug)");
  app.add_option("--timeout", timeoutMs,
                 "give up (exit 1) after this many ms without a decision while values wait for "
                 "one")
      ->check(CLI::Range(1, 86400000));
  app.add_option("--trace", traceFile,
                 "write a JSON-lines trace of every event to FILE "
                 "(docs/TRACE.md)");
  core::Timing timing;
  app.add_option("--window", timing.window, "multi mode: values kept in flight at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--batch-bytes", timing.batchBytes,
                 "multi mode: most bytes of commands one REQUEST carries")
      ->check(CLI::Range(wire::kCommandOverhead + 1, wire::kMaxValue))
      ->capture_default_str();
  bool latency = false;
  app.add_flag("--latency", latency,
               "multi mode: add to each decided line the microseconds from the value's first "
               "send to its answer (from when it was due, with --rate)");
  double rate = 0;
  app.add_option("--rate", rate,
                 "multi mode, open loop: send values at this fixed rate (values per second) "
                 "rather than as fast as the window allows; --latency then counts from when each "
                 "was due")
      ->check(CLI::Range(1.0, 1e8));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    return net::usageError("clidriver", error.what());
  }
  net::setupLogging(debug);
  auto hosts = net::loadHostsFor("clidriver", hostsFile, uid, config::Kind::client);
  if (!hosts) return net::kUsageError;
  bool multi = hosts->mode == config::Mode::multi;
  // A multi-mode value travels inside a batch, with its client and request id.
  size_t maxValue = multi ? wire::kMaxValue - wire::kCommandOverhead : wire::kMaxValue;
  bool stream = value == "-";
  if (stream && !multi)
    return net::usageError("clidriver",
                           "VALUE - (read stdin) needs a multi-mode cluster (MODE "
                           "multi in the hosts file)");
  if (latency && !multi)
    return net::usageError("clidriver", "--latency needs a multi-mode cluster (MODE multi)");
  if (rate > 0 && !multi)
    return net::usageError("clidriver", "--rate needs a multi-mode cluster (MODE multi)");
  if (!stream && value.size() > maxValue)
    return net::usageError("clidriver", fmt::format("VALUE is {} bytes; at most {} fit a message",
                                                    value.size(), maxValue));

  timing.clientTimeout =
      std::chrono::milliseconds(timeoutMs.value_or(hosts->options.clientTimeoutMs));
  core::Cluster cluster = net::clusterOf(*hosts);
  asio::io_context io;
  try {
    net::UdpTransport transport(io, *hosts, uid);
    std::optional<core::Client> client;
    if (stream)
      client.emplace(cluster, timing, uid, desired);
    else
      client.emplace(cluster, timing, uid, value, desired);
    client->reportLatency(latency);
    client->pace(rate);
    net::FaultInjector injector(hosts->hosts[uid].faults, std::random_device{}());
    std::optional<trace::TraceWriter> tracer;
    if (!traceFile.empty()) tracer.emplace(traceFile, uid);
    net::DriverHooks hooks;
    hooks.label = [&] { return fmt::format("c{}", uid); };
    hooks.role = [] { return std::string("client"); };
    hooks.onDecided = [](const std::string& decided) {
      std::fputs(("Final message received by client from learner: " + decided + "\n").c_str(),
                 stdout);
      std::fflush(stdout);
    };
    hooks.trace = tracer ? &*tracer : nullptr;
    hooks.batches = cluster.multi();
    std::optional<net::Authenticator> key;
    if (auto keyFile = net::keyFileFor(*hosts)) key = net::Authenticator::fromFile(*keyFile);
    hooks.key = key ? &*key : nullptr;
    // Stdin is read as it comes, at most kAhead lines ahead of the client's window: lines wait
    // in the reader's queue (up to kAhead) and in the client (up to kAhead not yet sent), so a
    // file of millions of lines takes the memory of a few windows.
    const size_t kAhead = 2 * size_t(timing.window);
    std::optional<net::LineReader> reader;
    std::optional<std::string> inputError;
    bool inputEnded = !stream;
    hooks.feed = [&](core::Time now, core::Outbox& out) {
      if (inputEnded) return;
      size_t unsent = client->unsent();
      auto taken = reader->take(unsent < kAhead ? kAhead - unsent : 0);
      if (!taken.lines.empty()) client->add(now, std::move(taken.lines), out);
      if (!taken.ended) return;
      inputEnded = true;
      inputError = taken.error;
      if (inputError) net::usageError("clidriver", *inputError);
      // A bad line with nothing sent yet: exit at once, as before anything streamed. Otherwise
      // what was read before it is finished (the cluster is told DONE), then exit 2.
      if (inputError && client->unsent() == client->added())
        out.exitCode = net::kUsageError;
      else
        client->endOfInput(now, out);
    };
    net::Driver driver(io, transport, *client, injector, std::move(hooks));
    if (stream)
      reader.emplace(io, STDIN_FILENO, maxValue, kAhead, [&driver] { driver.offerInput(); });
    int code = driver.run();
    return inputError ? net::kUsageError : code;
  } catch (const std::runtime_error& e) {
    return net::usageError("clidriver", e.what());
  }
}
