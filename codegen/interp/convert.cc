#include "codegen/interp/convert.h"

#include <cmath>

namespace hrt::interp {
namespace {

struct IntRange {
  int64_t lo;
  int64_t hi;
};

IntRange RangeOf(ir::DType t) {
  switch (t) {
    case ir::DType::kBool: return {0, 1};
    case ir::DType::kI8: return {INT8_MIN, INT8_MAX};
    case ir::DType::kU8: return {0, UINT8_MAX};
    case ir::DType::kI16: return {INT16_MIN, INT16_MAX};
    case ir::DType::kI32: return {INT32_MIN, INT32_MAX};
    default: return {INT64_MIN, INT64_MAX};
  }
}

// Significand bits (including the implicit one) of a float dtype.
int Precision(ir::DType t) {
  switch (t) {
    case ir::DType::kF16: return 11;
    case ir::DType::kBF16: return 8;
    default: return 24;
  }
}

}  // namespace

int64_t FloatToInt(ir::DType to, double v) {
  if (to == ir::DType::kBool) return v != 0.0 ? 1 : 0;
  if (std::isnan(v)) return 0;
  const IntRange r = RangeOf(to);
  const double t = std::trunc(v);
  // The bounds convert to double exactly except INT64_MAX, which becomes
  // 2^63; "t >= 2^63" then saturates and every t below it fits in int64.
  if (t <= static_cast<double>(r.lo)) return r.lo;
  if (t >= static_cast<double>(r.hi)) return r.hi;
  return static_cast<int64_t>(t);
}

double IntToFloat(ir::DType to, int64_t v) {
  // Round the magnitude to the target's significand width with integer
  // arithmetic (ties to even), so the result is exact in float and only
  // range (f16 overflow to inf) is left for RoundToFloat.
  uint64_t m = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  const int p = Precision(to);
  const int bits = m == 0 ? 0 : 64 - __builtin_clzll(m);
  int shift = 0;
  if (bits > p) {
    shift = bits - p;
    const uint64_t rest = m & ((uint64_t{1} << shift) - 1);
    const uint64_t half = uint64_t{1} << (shift - 1);
    m >>= shift;
    if (rest > half || (rest == half && (m & 1u))) ++m;
  }
  const double mag = std::ldexp(static_cast<double>(m), shift);
  return ir::RoundToFloat(to, v < 0 ? -mag : mag);
}

Result<Tile> Cast(const Tile& x, ir::DType to) {
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(to, x.shape));
  const size_t n = x.size();
  for (size_t i = 0; i < n; ++i) {
    if (x.is_float() && out.is_float()) {
      out.floats[i] = ir::RoundToFloat(to, x.floats[i]);
    } else if (x.is_float()) {
      out.ints[i] = FloatToInt(to, x.floats[i]);
    } else if (out.is_float()) {
      out.floats[i] = IntToFloat(to, x.ints[i]);
    } else {
      out.ints[i] = ir::WrapToInt(to, x.ints[i]);  // bool: != 0
    }
  }
  return out;
}

}  // namespace hrt::interp
