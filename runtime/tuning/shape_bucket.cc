#include "runtime/tuning/shape_bucket.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <limits>

namespace hrt::tuning {
namespace {

constexpr int64_t kTop = int64_t{1} << 62;  // ranges at or above this end at kMaxEnd
constexpr int64_t kMaxEnd = std::numeric_limits<int64_t>::max();

BucketRange RangeOf(const std::string& symbol, int64_t v, BucketRule rule) {
  switch (rule) {
    case BucketRule::kExact: return {symbol, v, v == kMaxEnd ? kMaxEnd : v + 1};
    case BucketRule::kIgnore: return {symbol, 0, kMaxEnd};
    case BucketRule::kPowerOfTwo: break;
  }
  if (v == 0) return {symbol, 0, 1};
  const int64_t lo = static_cast<int64_t>(std::bit_floor(static_cast<uint64_t>(v)));
  return {symbol, lo, lo >= kTop ? kMaxEnd : lo * 2};
}

}  // namespace

std::string ShapeBucket::Label() const {
  std::string s;
  for (const BucketRange& r : ranges) {
    s += (s.empty() ? "" : ",") + r.symbol + "=[" + std::to_string(r.lo) + "," +
         std::to_string(r.hi) + ")";
  }
  return s;
}

uint64_t ShapeBucket::Hash() const {
  const std::string label = Label();
  return XXH3_64bits(label.data(), label.size());
}

bool ShapeBucket::Contains(std::span<const int64_t> sizes) const {
  if (sizes.size() != ranges.size()) return false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const BucketRange& r = ranges[i];
    // hi == kMaxEnd is inclusive: the top range holds every large value.
    if (sizes[i] < r.lo || (sizes[i] >= r.hi && r.hi != kMaxEnd)) return false;
  }
  return true;
}

Result<ShapeBucket> BucketShapes(const ir::Kernel& kernel, std::span<const int64_t> sizes,
                                 const BucketOptions& options) {
  const std::string where = "shape bucket of '" + kernel.name + "'";
  if (sizes.size() != kernel.shape_syms.size()) {
    return InvalidArgument(where + ": " + std::to_string(sizes.size()) + " sizes for " +
                           std::to_string(kernel.shape_syms.size()) + " shape symbols");
  }
  for (const auto& [name, rule] : options.rules) {
    if (std::find(kernel.shape_syms.begin(), kernel.shape_syms.end(), name) ==
        kernel.shape_syms.end()) {
      return InvalidArgument(where + ": a bucket rule names '" + name +
                             "', which is not a shape symbol");
    }
    if (static_cast<uint8_t>(rule) > static_cast<uint8_t>(BucketRule::kIgnore)) {
      return InvalidArgument(where + ": bad bucket rule for '" + name + "'");
    }
  }
  ShapeBucket bucket;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string& sym = kernel.shape_syms[i];
    if (sizes[i] < 0) {
      return InvalidArgument(where + ": size " + sym + "=" + std::to_string(sizes[i]) +
                             " is negative");
    }
    BucketRule rule = BucketRule::kPowerOfTwo;
    for (const auto& [name, r] : options.rules) {
      if (name == sym) rule = r;
    }
    bucket.ranges.push_back(RangeOf(sym, sizes[i], rule));
  }
  return bucket;
}

}  // namespace hrt::tuning
