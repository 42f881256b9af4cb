// Elementwise ops of the reference interpreter: binary arithmetic and logic,
// comparisons, unary math and select. Operands broadcast right-aligned.
// Float results are rounded to their dtype and integer results wrapped to
// their width after every op.
#pragma once

#include "codegen/interp/tile.h"
#include "codegen/ir/ir.h"

namespace hrt::interp {

// add sub mul div rem max min and or xor (same dtype) and eq ne lt le gt ge
// (-> bool). Integer div/rem truncate toward zero; by zero is an error;
// INT_MIN / -1 wraps (rem 0). Float rem is fmod. max/min propagate NaN.
Result<Tile> Binary(ir::OpCode code, const Tile& a, const Tile& b);

// neg abs not exp exp2 log sqrt rsqrt tanh sigmoid erf. Math functions are
// evaluated in double and rounded once; rsqrt = 1/sqrt(x) and
// sigmoid = 1/(1+exp(-x)).
Result<Tile> Unary(ir::OpCode code, const Tile& x);

// cond ? a : b, with cond, a and b broadcast together.
Result<Tile> Select(const Tile& cond, const Tile& a, const Tile& b);

// max/min on floats: NaN if either operand is NaN, and +0 > -0. Shared with
// the reductions so both agree.
double FloatMax(double a, double b);
double FloatMin(double a, double b);

}  // namespace hrt::interp
