// Shared body of the two hosts-parser targets: HostsError is the only allowed failure; a parsed
// model must validate and hash stably.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/hosts.hpp"

template <typename Parse>
int checkHosts(Parse parse, const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  paxos::config::Hosts hosts;
  try {
    hosts = parse(text, std::string("fuzz"));
  } catch (const paxos::config::HostsError&) {
    return 0;  // rejected with a proper message: fine
  }            // any other exception escapes and libFuzzer reports it as a crash
  try {
    paxos::config::validate(hosts);
  } catch (const paxos::config::HostsError& e) {
    std::fprintf(stderr, "parsed model fails validate(): %s\n", e.what());
    std::abort();
  }
  uint64_t h = hosts.hash();
  paxos::config::Hosts copy = hosts;
  if (hosts.hash() != h || copy.hash() != h) {
    std::fprintf(stderr, "hash() is not stable\n");
    std::abort();
  }
  return 0;
}
