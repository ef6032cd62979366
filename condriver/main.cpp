// condriver UID [options]: one consensus node of the cluster named by the hosts file.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <charconv>
#include <cstdio>
#include <random>
#include <regex>

#include "core/cluster.hpp"
#include "core/node.hpp"
#include "net/driver.hpp"
#include "net/fault_injector.hpp"
#include "net/startup.hpp"
#include "net/udp_transport.hpp"
#include "paxos_version.hpp"
#include "service/http_api.hpp"
#include "service/kv_service.hpp"
#include "service/snapshot_file.hpp"
#include "storage/node_store.hpp"
#include "trace/trace_writer.hpp"
#include "wire/batch.hpp"
#include "wire/codec.hpp"

using namespace paxos;

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-cpp consensus node: elects a leader (Chang-Roberts), takes the role the "
      "hosts file gives its UID, and runs Basic Paxos (or, in multi mode, a replicated log) "
      "until every client is done."};
  app.set_version_flag("--version", versionLine("condriver"));
  uint32_t uid = 0;
  std::string hostsFile = "hosts.txt";
  bool debug = false;
  std::optional<int> idleMs;
  std::optional<std::string> crashAt, delay;
  std::optional<double> drop, duplicate;
  std::string dataDir, durability = "fsync", traceFile;
  std::optional<std::string> join, listen, httpListen;
  uint64_t seed = std::random_device{}();
  app.add_option("UID", uid, "this node's UID: its line index among the host lines (0-based)")
      ->required();
  app.add_option("--hosts", hostsFile, "hosts file: the seed's text format, or YAML (.yaml/.yml)")
      ->capture_default_str();
  app.add_option("--join", join,
                 "multi mode: this UID is not in the hosts file; it plays ROLE (proposer, acceptor "
                 "or learner) once a configuration change adds it (docs/MEMBERSHIP.md)")
      ->check(CLI::IsMember({"proposer", "acceptor", "learner"}));
  app.add_option("--listen", listen, "with --join: HOST:PORT, where this node listens (UDP)");
  app.add_option("--http", httpListen,
                 "with --join learner, service mode: HOST:PORT, where it serves HTTP");
  app.add_flag("--debug", debug, "log every message sent and received (or PAXOS_LOG=debug)");
  app.add_option("--idle-timeout", idleMs, "exit after this many ms without a datagram")
      ->check(CLI::Range(1, 86400000));
  app.add_option("--crash-at", crashAt,
                 "die (SIGKILL) at the N-th EVENT: election, prepare, promise, accept, "
                 "accepted or learn; EVENT[:N], N defaults to 1");
  app.add_option("--drop", drop, "drop each incoming datagram with this probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--duplicate", duplicate,
                 "handle each incoming datagram twice with this "
                 "probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--delay", delay, "delay incoming datagrams by MS[:JITTER] milliseconds");
  app.add_option(
      "--data-dir", dataDir,
      "acceptors keep their promises and proposers their round here (DIR/node-UID.state), "
      "recovered on restart; without it, that state is in memory only");
  app.add_option("--durability", durability,
                 "fsync: state is on disk before each reply; none: no fsync (benchmarks only: "
                 "a machine crash can lose promises)")
      ->check(CLI::IsMember({"fsync", "none"}))
      ->capture_default_str();
  app.add_option("--trace", traceFile,
                 "write a JSON-lines trace of every event to FILE "
                 "(docs/TRACE.md)");
  app.add_option("--seed", seed, "seed for backoff and injected faults (default: random)")
      ->check(CLI::Validator(
          [](std::string& text) {
            // CLI11 would wrap "-1" and clamp an overflow into a uint64_t without a word.
            uint64_t parsed;
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
            return error == std::errc() && end == text.data() + text.size()
                       ? std::string()
                       : "expected an integer 0.." + std::to_string(UINT64_MAX) + ", found " + text;
          },
          "UINT64"));
  core::Timing timing;
  auto leaderTimeoutMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(timing.leaderTimeout).count();
  app.add_option("--pipeline", timing.pipeline,
                 "multi mode: slots the leader keeps in phase 2 at once")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--batch-bytes", timing.batchBytes,
                 "multi mode: most bytes of client commands one slot carries")
      ->check(CLI::Range(wire::kCommandOverhead + 1, wire::kMaxValue))
      ->capture_default_str();
  app.add_option("--leader-timeout", leaderTimeoutMs,
                 "multi mode: a proposer silent this many ms is taken for dead and the next "
                 "one leads")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  service::ServiceOptions serviceOptions;
  int requestTimeoutMs = int(serviceOptions.requestTimeout.count());
  app.add_option("--snapshot-every", serviceOptions.snapshotEvery,
                 "service mode: a replica snapshots its map every this many slots")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--request-timeout", requestTimeoutMs,
                 "service mode: an HTTP command not applied within this many ms is answered 504")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    return net::usageError("condriver", error.what());
  }

  net::setupLogging(debug);
  if ((listen || httpListen) && !join)
    return net::usageError("condriver", "--listen and --http are for a node that joins (--join)");
  std::optional<config::HttpAddress> udpAddress, httpAddress;
  if (join) {
    if (!listen) return net::usageError("condriver", "--join needs --listen HOST:PORT");
    udpAddress = config::parseHttpAddress(*listen);
    if (!udpAddress)
      return net::usageError("condriver", fmt::format("--listen: expected {}, found '{}'",
                                                      config::kHttpSyntax, *listen));
    if (httpListen) {
      httpAddress = config::parseHttpAddress(*httpListen);
      if (!httpAddress || *join != "learner")
        return net::usageError("condriver", fmt::format("--http: expected {} with --join learner, "
                                                        "found '{}'",
                                                        config::kHttpSyntax, *httpListen));
    }
  }
  auto hosts = join ? net::loadHostsToJoin("condriver", hostsFile, uid)
                    : net::loadHostsFor("condriver", hostsFile, uid, config::Kind::consensus);
  if (!hosts) return net::kUsageError;
  if (!join) httpAddress = hosts->hosts[uid].http;
  wire::Role joinRole = !join                 ? wire::Role::none
                        : *join == "proposer" ? wire::Role::proposer
                        : *join == "acceptor" ? wire::Role::acceptor
                                              : wire::Role::learner;
  config::Faults faults = join ? config::Faults{} : hosts->hosts[uid].faults;
  if (crashAt && !config::parseCrashAt(*crashAt))
    return net::usageError("condriver", fmt::format("--crash-at: expected {}, found '{}'",
                                                    config::kCrashAtSyntax, *crashAt));
  if (crashAt) faults.crashAt = *crashAt;
  if (drop) faults.drop = *drop;
  if (duplicate) faults.duplicate = *duplicate;
  if (delay) {
    std::smatch parts;
    if (!std::regex_match(*delay, parts, std::regex(R"((\d{1,6})(?::(\d{1,6}))?)")))
      return net::usageError("condriver",
                             "--delay: expected MS or MS:JITTER (milliseconds), "
                             "found '" +
                                 *delay + "'");
    faults.delayMs = std::stoi(parts[1]);
    faults.jitterMs = parts[2].matched ? std::stoi(parts[2]) : 0;
  }

  timing.leaderTimeout = std::chrono::milliseconds(leaderTimeoutMs);
  timing.heartbeat = std::min(timing.heartbeat, timing.leaderTimeout / 10);
  timing.idleTimeout = std::chrono::milliseconds(idleMs.value_or(hosts->options.idleTimeoutMs));
  core::Cluster cluster = net::clusterOf(*hosts);
  asio::io_context io;
  try {
    std::optional<storage::NodeStore> store;
    auto role = join ? joinRole : cluster.roleOf(uid);
    if (!dataDir.empty() && (role == wire::Role::acceptor || role == wire::Role::proposer)) {
      store.emplace(dataDir, uid, cluster.hostsHash(), durability == "fsync");
      if (durability == "none") spdlog::warn("--durability none: acceptor state is not fsynced");
    }
    auto recovered = store ? store->durable() : core::DurableState{};
    if (!recovered.acceptor.empty() || recovered.proposerRound || !recovered.promisedAll.none())
      spdlog::info("recovered acceptor state for {} instance(s), proposer round {}, from {}",
                   recovered.acceptor.size(), recovered.proposerRound, store->path());
    // Service mode: a learner with an HTTP address serves the key-value map (docs/KV.md),
    // starting from its snapshot when it has one.
    bool serving = hosts->service() && httpAddress && role == wire::Role::learner;
    std::optional<service::SnapshotFile> snapshotFile;
    std::optional<kv::Snapshot> snapshot;
    if (serving && !dataDir.empty()) {
      snapshotFile.emplace(dataDir, uid, cluster.hostsHash(), durability == "fsync");
      if (auto bytes = snapshotFile->read()) {
        snapshot = kv::decodeSnapshot(*bytes);
        if (!snapshot) throw std::runtime_error(snapshotFile->path() + ": malformed snapshot");
        spdlog::info("recovered the replica at slot {} ({} keys) from {}", snapshot->slot,
                     snapshot->store.size(), snapshotFile->path());
      }
    }
    core::LearnerStart start;
    if (snapshot)
      start = {snapshot->slot, snapshot->requests, 1, snapshot->membership.encoded,
               snapshot->membership.through};
    // Request ids of this run must be new to the log: they start at the wall clock in
    // microseconds, past any id of an earlier run unless the clock stepped back that far.
    start.firstRequest = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    net::UdpTransport transport(io, *hosts, uid, udpAddress);
    core::Node node(cluster, timing, uid, seed, recovered, std::move(start), joinRole);
    net::FaultInjector injector(faults, seed + 1);
    std::optional<trace::TraceWriter> tracer;
    if (!traceFile.empty()) tracer.emplace(traceFile, uid);
    auto roleName = [&] {
      auto role = node.role();
      return std::string(role == wire::Role::none ? "electing" : wire::roleName(role));
    };
    net::DriverHooks hooks;
    hooks.label = [&] { return fmt::format("n{} {}", uid, roleName()); };
    hooks.role = roleName;
    hooks.onDecided = [&](const std::string& value) {
      if (node.role() != wire::Role::learner) return;
      std::fputs((value + "\n").c_str(), stdout);  // a learner's delivered value
      std::fflush(stdout);
    };  // (multi mode's learners print through Outbox::output)
    if (store) hooks.persist = [&](const core::Outbox& out) { store->save(out); };
    hooks.trace = tracer ? &*tracer : nullptr;
    hooks.batches = cluster.multi();
    hooks.addressOf = [&](uint32_t to) -> std::optional<config::HttpAddress> {
      auto text = node.cluster().membership().addressOf(to);
      auto address = text ? config::parseMemberAddress(*text) : std::nullopt;
      if (!address) return std::nullopt;
      return address->udp;
    };
    std::optional<net::Authenticator> key;
    if (auto keyFile = net::keyFileFor(*hosts)) key = net::Authenticator::fromFile(*keyFile);
    hooks.key = key ? &*key : nullptr;
    serviceOptions.requestTimeout = std::chrono::milliseconds(requestTimeoutMs);
    for (int i = 0; i < hosts->consensusCount(); ++i)  // where to fetch a snapshot from
      if (uint32_t(i) != uid && hosts->hosts[i].http)
        serviceOptions.peers.push_back(*hosts->hosts[i].http);
    std::optional<service::KvService> kvService;
    if (serving) {
      kvService.emplace(io, node, serviceOptions, snapshotFile ? &*snapshotFile : nullptr,
                        std::move(snapshot));
      hooks.feed = [&](core::Time now, core::Outbox& out) { kvService->feed(now, out); };
      hooks.delivered = [&](const auto& delivered) { kvService->delivered(delivered); };
    }
    net::Driver driver(io, transport, node, injector, std::move(hooks));
    std::optional<service::HttpApi> http;
    if (kvService) {
      kvService->attach(driver);
      http.emplace(io, *kvService, *hosts, uid, *httpAddress, transport.counters());
      spdlog::info("n{} learner: serving HTTP on {}", uid, http->url());
    }
    int code = driver.run();
    if (http) http->close();
    auto& c = transport.counters();
    spdlog::info(
        "summary: {} sent {} received {} unauthenticated {} malformed {} wrong-sender {} refused "
        "{} injected-drops {}",
        node.summary(), c.sent, c.received, c.unauthenticated, c.malformed, c.wrongSender,
        c.refused, c.injectedDrops);
    return code;
  } catch (const std::runtime_error& e) {
    return net::usageError("condriver", e.what());
  }
}
