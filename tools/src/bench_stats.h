// Small statistics shared by the `spine bench` subcommands: medians over runs
// and percentiles over latency samples.
#pragma once

#include <algorithm>
#include <vector>

namespace spine::cli {

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[values.size() / 2];
}

// `sorted` must be sorted ascending; p in [0, 1].
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

}  // namespace spine::cli
