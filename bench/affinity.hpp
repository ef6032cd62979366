// Pins the calling thread (and so the processes it starts from now on, which inherit it) to
// some CPUs, until the guard goes: the limits measured pinned (a round trip on one core, or
// across two) and the latency figure run on one core. On this kind of VM a datagram that wakes
// a process on another, idle virtual CPU costs ~25 us more than one that wakes it on the
// sender's CPU, so an unpinned measurement lands on either from run to run (docs/BENCHMARKS.md).
#pragma once

#include <pthread.h>
#include <sched.h>

#include <vector>

namespace paxos::bench {

class CpuPin {
 public:
  explicit CpuPin(const std::vector<int>& cpus) {
    pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
  }
  ~CpuPin() { pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_); }
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

// CPUs this process may run on.
inline int usableCpus() {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

}  // namespace paxos::bench
