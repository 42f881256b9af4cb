#include "codegen/interp/elementwise.h"

#include <cmath>
#include <limits>

namespace hrt::interp {
namespace {

bool IsCompare(ir::OpCode code) {
  return code >= ir::OpCode::kEq && code <= ir::OpCode::kGe;
}

// Two's-complement helpers: computing through uint64_t keeps i64 overflow
// defined; WrapToInt then narrows to the dtype.
int64_t AddWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t SubWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t MulWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

bool Compare(ir::OpCode code, auto a, auto b) {
  switch (code) {
    case ir::OpCode::kEq: return a == b;
    case ir::OpCode::kNe: return a != b;
    case ir::OpCode::kLt: return a < b;
    case ir::OpCode::kLe: return a <= b;
    case ir::OpCode::kGt: return a > b;
    default: return a >= b;  // kGe
  }
}

// One integer lane. Returns false for division by zero.
bool IntLane(ir::OpCode code, int64_t a, int64_t b, int64_t* out) {
  switch (code) {
    case ir::OpCode::kAdd: *out = AddWrap(a, b); return true;
    case ir::OpCode::kSub: *out = SubWrap(a, b); return true;
    case ir::OpCode::kMul: *out = MulWrap(a, b); return true;
    case ir::OpCode::kDiv:
    case ir::OpCode::kRem:
      if (b == 0) return false;
      if (a == INT64_MIN && b == -1) {  // the one overflowing quotient wraps
        *out = code == ir::OpCode::kDiv ? INT64_MIN : 0;
        return true;
      }
      *out = code == ir::OpCode::kDiv ? a / b : a % b;  // C++ truncates toward 0
      return true;
    case ir::OpCode::kMax: *out = a > b ? a : b; return true;
    case ir::OpCode::kMin: *out = a < b ? a : b; return true;
    case ir::OpCode::kAnd: *out = a & b; return true;
    case ir::OpCode::kOr: *out = a | b; return true;
    case ir::OpCode::kXor: *out = a ^ b; return true;
    default: *out = 0; return true;
  }
}

double FloatLane(ir::OpCode code, double a, double b) {
  switch (code) {
    case ir::OpCode::kAdd: return a + b;
    case ir::OpCode::kSub: return a - b;
    case ir::OpCode::kMul: return a * b;
    case ir::OpCode::kDiv: return a / b;
    case ir::OpCode::kRem: return std::fmod(a, b);
    case ir::OpCode::kMax: return FloatMax(a, b);
    case ir::OpCode::kMin: return FloatMin(a, b);
    default: return 0.0;
  }
}

bool IsFloatBinary(ir::OpCode code) {
  return code >= ir::OpCode::kAdd && code <= ir::OpCode::kMin;
}
bool IsIntBinary(ir::OpCode code) {
  return code >= ir::OpCode::kAdd && code <= ir::OpCode::kXor;
}

double FloatUnaryLane(ir::OpCode code, double x) {
  switch (code) {
    case ir::OpCode::kNeg: return -x;
    case ir::OpCode::kAbs: return std::fabs(x);
    case ir::OpCode::kExp: return std::exp(x);
    case ir::OpCode::kExp2: return std::exp2(x);
    case ir::OpCode::kLog: return std::log(x);
    case ir::OpCode::kSqrt: return std::sqrt(x);
    case ir::OpCode::kRsqrt: return 1.0 / std::sqrt(x);
    case ir::OpCode::kTanh: return std::tanh(x);
    case ir::OpCode::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    default: return std::erf(x);  // kErf
  }
}

Status BadDType(ir::OpCode code, const Tile& x) {
  return Internal(std::string("'") + ir::OpName(code) + "' does not apply to " +
                  ir::DTypeName(x.dtype));
}

}  // namespace

double FloatMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == b) return std::signbit(a) ? b : a;  // +0 wins over -0
  return a > b ? a : b;
}

double FloatMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == b) return std::signbit(a) ? a : b;  // -0 wins over +0
  return a < b ? a : b;
}

Result<Tile> Binary(ir::OpCode code, const Tile& a, const Tile& b) {
  if (a.dtype != b.dtype) {
    return Internal(std::string("'") + ir::OpName(code) + "' operands differ in dtype: " +
                    ir::DTypeName(a.dtype) + " vs " + ir::DTypeName(b.dtype));
  }
  const bool compare = IsCompare(code);
  if (!compare && !(a.is_float() ? IsFloatBinary(code) : IsIntBinary(code))) {
    return BadDType(code, a);
  }
  HRT_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(a.shape, b.shape));
  HRT_ASSIGN_OR_RETURN(Tile x, BroadcastTo(a, shape));
  HRT_ASSIGN_OR_RETURN(Tile y, BroadcastTo(b, shape));
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(compare ? ir::DType::kBool : a.dtype, shape));
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    if (compare) {
      out.ints[i] = a.is_float() ? Compare(code, x.floats[i], y.floats[i])
                                 : Compare(code, x.ints[i], y.ints[i]);
    } else if (a.is_float()) {
      out.floats[i] = ir::RoundToFloat(a.dtype, FloatLane(code, x.floats[i], y.floats[i]));
    } else {
      int64_t r = 0;
      if (!IntLane(code, x.ints[i], y.ints[i], &r)) {
        int64_t index[ir::kMaxRank] = {};
        Unflatten(shape, static_cast<int64_t>(i), index);
        return OutOfRange(std::string("integer ") + ir::OpName(code) + " by zero at lane " +
                          IndexToString(index, shape.rank) + " (" + std::to_string(x.ints[i]) +
                          " / 0, " + ir::DTypeName(a.dtype) + ")");
      }
      out.ints[i] = ir::WrapToInt(a.dtype, r);
    }
  }
  return out;
}

Result<Tile> Unary(ir::OpCode code, const Tile& x) {
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(x.dtype, x.shape));
  const size_t n = out.size();
  if (x.is_float()) {
    if (code == ir::OpCode::kNot || code < ir::OpCode::kNeg || code > ir::OpCode::kErf) {
      return BadDType(code, x);
    }
    for (size_t i = 0; i < n; ++i) {
      out.floats[i] = ir::RoundToFloat(x.dtype, FloatUnaryLane(code, x.floats[i]));
    }
    return out;
  }
  if (code != ir::OpCode::kNeg && code != ir::OpCode::kAbs && code != ir::OpCode::kNot) {
    return BadDType(code, x);
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = x.ints[i];
    int64_t r = 0;
    if (code == ir::OpCode::kNot) {
      r = x.dtype == ir::DType::kBool ? (v == 0 ? 1 : 0) : ~v;  // logical on bool
    } else if (code == ir::OpCode::kNeg || v < 0) {
      r = SubWrap(0, v);  // neg, or abs of a negative value: -INT_MIN wraps
    } else {
      r = v;
    }
    out.ints[i] = ir::WrapToInt(x.dtype, r);
  }
  return out;
}

Result<Tile> Select(const Tile& cond, const Tile& a, const Tile& b) {
  if (cond.dtype != ir::DType::kBool || a.dtype != b.dtype) {
    return Internal("'select' needs a bool condition and operands of one dtype");
  }
  HRT_ASSIGN_OR_RETURN(Shape ab, BroadcastShapes(a.shape, b.shape));
  HRT_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(cond.shape, ab));
  HRT_ASSIGN_OR_RETURN(Tile c, BroadcastTo(cond, shape));
  HRT_ASSIGN_OR_RETURN(Tile x, BroadcastTo(a, shape));
  HRT_ASSIGN_OR_RETURN(Tile y, BroadcastTo(b, shape));
  Tile out = x;
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    if (c.ints[i] != 0) continue;
    if (out.is_float()) {
      out.floats[i] = y.floats[i];
    } else {
      out.ints[i] = y.ints[i];
    }
  }
  return out;
}

}  // namespace hrt::interp
