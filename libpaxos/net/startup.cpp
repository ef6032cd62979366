#include "net/startup.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

#include "core/configuration.hpp"

namespace paxos::net {

void setupLogging(bool debug) {
  auto logger = spdlog::stderr_logger_st("paxos");
  logger->set_pattern("%H:%M:%S.%f %^%-5l%$ %v");
  const char* env = std::getenv("PAXOS_LOG");
  logger->set_level(debug || (env && std::strcmp(env, "debug") == 0) ? spdlog::level::debug
                                                                     : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);  // a killed node's log is complete up to its death
  spdlog::set_default_logger(logger);
}

int usageError(const std::string& program, const std::string& message) {
  fmt::print(stderr, "{}: {}\n", program, message);
  return kUsageError;
}

namespace {

// The file, or nullopt after printing why not.
std::optional<config::Hosts> load(const std::string& program, const std::string& path) {
  try {
    return config::loadHosts(path);
  } catch (const config::HostsError& error) {
    usageError(program, error.what());
    return std::nullopt;
  }
}

}  // namespace

std::optional<config::Hosts> loadHostsFor(const std::string& program, const std::string& path,
                                          uint32_t uid, config::Kind kind) {
  auto loaded = load(program, path);
  if (!loaded) return std::nullopt;
  const config::Hosts& hosts = *loaded;
  auto name = [](config::Kind k) { return k == config::Kind::consensus ? "consensus" : "client"; };
  if (uid >= uint32_t(hosts.size())) {
    usageError(program, fmt::format("UID {} is out of range: {} has UIDs 0..{}", uid, path,
                                    hosts.size() - 1));
    return std::nullopt;
  }
  const auto& host = hosts.hosts[uid];
  if (host.kind != kind) {
    usageError(program, fmt::format("UID {} is a {} host in {} (line {}), not a {} host", uid,
                                    name(host.kind), path, host.line, name(kind)));
    return std::nullopt;
  }
  return loaded;
}

std::optional<config::Hosts> loadHostsToJoin(const std::string& program, const std::string& path,
                                             uint32_t uid) {
  auto loaded = load(program, path);
  if (!loaded) return std::nullopt;
  const config::Hosts& hosts = *loaded;
  std::string why;
  if (hosts.mode != config::Mode::multi)
    why = fmt::format("{} is a basic-mode cluster: only a multi-mode one changes members", path);
  else if (uid < uint32_t(hosts.size()))
    why = fmt::format("UID {} is in {} (UIDs 0..{}): a joining node takes a new UID", uid, path,
                      hosts.size() - 1);
  else if (core::isChange(uid))  // the bit marks a learner's configuration changes
    why = fmt::format("UID {} is too large (at most {})", uid, core::kChangeBit - 1);
  if (why.empty()) return loaded;
  usageError(program, why);
  return std::nullopt;
}

std::optional<std::string> keyFileFor(const config::Hosts& hosts) {
  const char* env = std::getenv("PAXOS_KEY_FILE");
  if (env && *env) return std::string(env);
  if (!hosts.options.keyFile.empty()) return hosts.options.keyFile;
  return std::nullopt;
}

core::Cluster clusterOf(const config::Hosts& hosts) {
  int clients = hosts.size() - hosts.consensusCount();
  return core::Cluster(hosts.proposers, hosts.acceptors, hosts.learners, clients, hosts.hash(),
                       hosts.mode, hosts.service(),
                       hosts.alpha > 0 ? uint64_t(hosts.alpha) : core::kDefaultAlpha);
}

}  // namespace paxos::net
