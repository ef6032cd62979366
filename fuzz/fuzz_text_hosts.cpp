// Why: the text hosts parser reads user-edited files; bad input must end in HostsError only.
#include "hosts_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return checkHosts(paxos::config::parseTextHosts, data, size);
}
