// Shape buckets: which launches share one tuning result (docs/tuning.md).
//
// A launch's sizes (one value per shape symbol of the kernel) map to a
// bucket; every launch in a bucket runs the bucket's tuned config, and the
// bucket's label is part of the tuning records' cache key. By default each
// symbol is bucketed by power-of-two ranges: v >= 1 falls in [2^k, 2^(k+1))
// with k = floor(log2 v), and 0 has a bucket of its own, [0, 1). A symbol can
// instead be bucketed exactly (one bucket per value) or ignored (one bucket
// for every value), e.g. a batch dimension that does not change the best
// config.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::tuning {

enum class BucketRule : uint8_t {
  kPowerOfTwo = 0,  // [2^k, 2^(k+1)), and [0, 1) for 0
  kExact = 1,       // [v, v+1)
  kIgnore = 2,      // [0, 2^63): one bucket
};

// Per-symbol rules by name; symbols not named use kPowerOfTwo.
struct BucketOptions {
  std::vector<std::pair<std::string, BucketRule>> rules;
};

// One symbol's range: lo <= v < hi. A range that would end past INT64_MAX
// ends at INT64_MAX and then includes it.
struct BucketRange {
  std::string symbol;
  int64_t lo = 0;
  int64_t hi = 0;
  friend bool operator==(const BucketRange&, const BucketRange&) = default;
};

struct ShapeBucket {
  std::vector<BucketRange> ranges;  // in the kernel's shape-symbol order

  // Canonical text: "M=[1024,2048),N=[4096,8192)"; "" for a kernel without
  // shape symbols. Two launches share a bucket iff their labels are equal.
  std::string Label() const;
  // XXH3-64 of Label(), for in-memory maps.
  uint64_t Hash() const;
  // True when |sizes| (one per symbol, same order) falls in this bucket.
  bool Contains(std::span<const int64_t> sizes) const;
  friend bool operator==(const ShapeBucket&, const ShapeBucket&) = default;
};

// The bucket of a launch of |kernel| with |sizes| (indexed like
// kernel.shape_syms). kInvalidArgument when the count differs from the
// kernel's symbols, a size is negative, or a rule names no symbol.
Result<ShapeBucket> BucketShapes(const ir::Kernel& kernel, std::span<const int64_t> sizes,
                                 const BucketOptions& options = {});

}  // namespace hrt::tuning
