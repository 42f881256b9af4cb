// Order statistics of timing samples, shared by the tuner and its records.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace hrt::tuning {

// The |q|-th quantile (q in [0, 1]) by nearest rank on the sorted samples:
// element floor(q * (n - 1)). 0 for no samples. Robust to outliers (a slow
// sample caused by a context switch moves it by at most one rank).
inline uint64_t Quantile(std::span<const uint64_t> samples, double q) {
  if (samples.empty()) return 0;
  std::vector<uint64_t> sorted(samples.begin(), samples.end());
  const auto k = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
  return sorted[k];
}

// The lower median: element floor((n - 1) / 2) of the sorted samples; an
// actual sample, so it never needs rounding. 0 for no samples.
inline uint64_t Median(std::span<const uint64_t> samples) {
  return Quantile(samples, 0.5);
}

// What the tuner ranks candidates by: a low quantile of their samples, not
// the median. A launch's device time only grows when something else uses the
// GPU (other work, clock changes), and on a shared device half of a
// candidate's samples can be hit (H100, session 6: a config's median 39 us,
// its minimum 13 us), which hides a 12% difference from a median. The 10th
// percentile (the minimum up to 10 samples) is what the kernel takes when
// nothing else runs; timers do not produce fast outliers. Budgets still use
// the median, which is what serving actually pays.
inline constexpr double kScoreQuantile = 0.1;

inline uint64_t Score(std::span<const uint64_t> samples) {
  return Quantile(samples, kScoreQuantile);
}

}  // namespace hrt::tuning
