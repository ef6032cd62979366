// What both drivers do before a node runs: set up stderr logging and load the hosts file,
// turning every bad input into one line on stderr and exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/hosts.hpp"
#include "core/cluster.hpp"

namespace paxos::net {

inline constexpr int kUsageError = 2;

// Logs go to stderr (stdout is for what scripts read). Debug if `debug` or PAXOS_LOG=debug.
void setupLogging(bool debug);

// Prints "PROGRAM: MESSAGE" to stderr and returns kUsageError.
int usageError(const std::string& program, const std::string& message);

// Loads the hosts file and checks that `uid` names a host of `kind`; on failure prints the
// reason and returns nullopt.
std::optional<config::Hosts> loadHostsFor(const std::string& program, const std::string& path,
                                          uint32_t uid, config::Kind kind);

// The same for a node that joins a running multi-mode cluster under a new UID
// (docs/MEMBERSHIP.md): `uid` must be past the hosts file's UIDs.
std::optional<config::Hosts> loadHostsToJoin(const std::string& program, const std::string& path,
                                             uint32_t uid);

// The cluster as the protocol core sees it: counts, mode and hash of this hosts file.
core::Cluster clusterOf(const config::Hosts& hosts);

// The cluster key file: PAXOS_KEY_FILE, else the hosts file's key_file; nullopt without one.
std::optional<std::string> keyFileFor(const config::Hosts& hosts);

}  // namespace paxos::net
