// Order statistics over samples.
#pragma once

#include <vector>

namespace paxos::bench {

// The q-quantile (0..1) by nearest rank; 0 for no samples. Takes a copy: callers keep order.
double quantile(std::vector<double> samples, double q);
inline double median(const std::vector<double>& samples) {
  return quantile(samples, 0.5);
}
double mean(const std::vector<double>& samples);

}  // namespace paxos::bench
