// Ops that combine lanes: reductions along one axis and the matrix product.
#pragma once

#include <cstdint>

#include "codegen/interp/tile.h"
#include "codegen/ir/ir.h"

namespace hrt::interp {

// sum / reduce_max / reduce_min of |x| along |axis|, which is removed.
// Float sums (f16, bf16 and f32) accumulate in double and round once at the
// end: the most accurate value, which any summation order approximates.
// Integer sums wrap. max/min propagate NaN.
Result<Tile> Reduce(ir::OpCode code, const Tile& x, int64_t axis);

// a [M, K] x b [K, N] (f16, bf16 or f32) -> f32 [M, N]. Each output starts
// at acc[m, n] (0 without |acc|) and adds, for k = 0 .. K-1 in order, the
// f32 product a[m, k] * b[k, n], rounding to f32 after every product and
// every addition: exactly what a sequential f32 loop GEMM computes.
Result<Tile> Dot(const Tile& a, const Tile& b, const Tile* acc);

}  // namespace hrt::interp
