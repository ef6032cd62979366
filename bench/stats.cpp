#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace paxos::bench {

double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  size_t rank = size_t(std::ceil(q * double(samples.size())));
  size_t index = std::min(samples.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(samples.begin(), samples.begin() + long(index), samples.end());
  return samples[index];
}

double mean(const std::vector<double>& samples) {
  if (samples.empty()) return 0;
  return std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
}

}  // namespace paxos::bench
