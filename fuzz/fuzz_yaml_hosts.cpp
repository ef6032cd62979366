// Why: the YAML hosts parser sits on yaml-cpp, whose own exceptions must all become HostsError.
#include "hosts_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return checkHosts(paxos::config::parseYamlHosts, data, size);
}
