// Element conversions of the reference interpreter: the `cast` op, the fill
// value of a masked load, and scalar arguments all go through these.
#pragma once

#include <cstdint>

#include "codegen/interp/tile.h"
#include "codegen/ir/dtype.h"

namespace hrt::interp {

// Float -> integer dtype |to|: truncates toward zero and saturates to the
// target's range; NaN becomes 0. For bool the result is v != 0 (so NaN is
// true, as in C).
int64_t FloatToInt(ir::DType to, double v);

// Integer -> float dtype |to|, rounded once to nearest-even. (Going through
// float first would round twice and could be off by one ulp for bf16.)
double IntToFloat(ir::DType to, int64_t v);

// |x| converted element by element to |to|: int -> int wraps (two's
// complement), anything -> bool is != 0, float -> float rounds to nearest.
Result<Tile> Cast(const Tile& x, ir::DType to);

}  // namespace hrt::interp
