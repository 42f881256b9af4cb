// Per-element arithmetic with the interpreter's semantics. Registers hold
// f16/bf16 values as f32 rounded to the dtype after every op (the rounding is
// integer arithmetic on the bits, so it does not depend on the device's
// rounding or denormal modes), and i8/u8/i16 as sign- (u8: zero-) extended
// i32, wrapped after every op.
#include "codegen/spirv/lowering.h"

namespace hrt::spirv {

using ir::DType;
using ir::OpCode;

namespace {

bool IsNarrowFloat(DType t) {
  return t == DType::kF16 || t == DType::kBF16;
}

}  // namespace

Id Lowering::Normalize(DType t, Id x) {
  switch (t) {
    case DType::kF16: return RoundToHalf(x);
    case DType::kBF16: return RoundToBF16(x);
    case DType::kI8:
    case DType::kI16: {
      const int64_t shift = t == DType::kI8 ? 24 : 16;
      const Id up = Op2(spv::OpShiftLeftLogical, t_i32_, x, C32(shift));
      return Op2(spv::OpShiftRightArithmetic, t_i32_, up, C32(shift));
    }
    case DType::kU8: return Op2(spv::OpBitwiseAnd, t_i32_, x, C32(0xff));
    default: return x;
  }
}

Id Lowering::RoundToHalf(Id x) {
  const Id bits = BitsOf(x);
  const Id sign = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x80000000u));
  const Id abs = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffffffu));
  // Normal halves: round the f32 significand to 10 bits, nearest even.
  const Id lsb =
      Op2(spv::OpBitwiseAnd, t_u32_, Op2(spv::OpShiftRightLogical, t_u32_, abs, CU32(13)), CU32(1));
  const Id rounded = Op2(spv::OpBitwiseAnd, t_u32_,
                         Op2(spv::OpIAdd, t_u32_, Op2(spv::OpIAdd, t_u32_, abs, CU32(0xfff)), lsb),
                         CU32(0xffffe000u));
  // Subnormal halves: a multiple of 2^-24 (scaling by 2^24 is exact).
  const Id scaled = Op2(spv::OpFMul, t_f32_, FloatOf(abs), CF32(16777216.0f));
  const Id sub = BitsOf(Op2(spv::OpFMul, t_f32_, Ext(spv::GLSLstd450RoundEven, t_f32_, {scaled}),
                            CF32(1.0f / 16777216.0f)));
  Id r = Sel(t_u32_, Op2(spv::OpULessThan, t_bool_, abs, CU32(0x38800000u)), sub, rounded);
  // 65520 and above round to infinity; NaN becomes the interpreter's quiet NaN.
  r = Sel(t_u32_, Op2(spv::OpUGreaterThanEqual, t_bool_, abs, CU32(0x477ff000u)), CU32(0x7f800000u),
          r);
  r = Sel(t_u32_, Op2(spv::OpUGreaterThan, t_bool_, abs, CU32(0x7f800000u)), CU32(0x7fc00000u), r);
  return FloatOf(Op2(spv::OpBitwiseOr, t_u32_, r, sign));
}

Id Lowering::RoundToBF16(Id x) {
  const Id bits = BitsOf(x);
  const Id abs = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffffffu));
  const Id lsb = Op2(spv::OpBitwiseAnd, t_u32_,
                     Op2(spv::OpShiftRightLogical, t_u32_, bits, CU32(16)), CU32(1));
  const Id rounded = Op2(spv::OpIAdd, t_u32_, Op2(spv::OpIAdd, t_u32_, bits, CU32(0x7fff)), lsb);
  const Id quiet = Op2(spv::OpBitwiseOr, t_u32_, bits, CU32(0x00400000u));
  const Id r =
      Sel(t_u32_, Op2(spv::OpUGreaterThan, t_bool_, abs, CU32(0x7f800000u)), quiet, rounded);
  return FloatOf(Op2(spv::OpBitwiseAnd, t_u32_, r, CU32(0xffff0000u)));
}

Id Lowering::HalfBitsToFloat(Id h) {
  const Id sign = Op2(spv::OpShiftLeftLogical, t_u32_,
                      Op2(spv::OpBitwiseAnd, t_u32_, h, CU32(0x8000)), CU32(16));
  const Id e = Op2(spv::OpBitwiseAnd, t_u32_, Op2(spv::OpShiftRightLogical, t_u32_, h, CU32(10)),
                   CU32(0x1f));
  const Id mant = Op2(spv::OpBitwiseAnd, t_u32_, h, CU32(0x3ff));
  const Id mant_bits = Op2(spv::OpShiftLeftLogical, t_u32_, mant, CU32(13));
  const Id normal =
      Op2(spv::OpBitwiseOr, t_u32_,
          Op2(spv::OpShiftLeftLogical, t_u32_, Op2(spv::OpIAdd, t_u32_, e, CU32(112)), CU32(23)),
          mant_bits);
  const Id inf_nan = Op2(spv::OpBitwiseOr, t_u32_, CU32(0x7f800000u), mant_bits);
  // Subnormal halves are mant * 2^-24, exact and normal in f32.
  const Id sub = BitsOf(
      Op2(spv::OpFMul, t_f32_, Op1(spv::OpConvertUToF, t_f32_, mant), CF32(1.0f / 16777216.0f)));
  Id r = Sel(t_u32_, Op2(spv::OpIEqual, t_bool_, e, CU32(31)), inf_nan, normal);
  r = Sel(t_u32_, Op2(spv::OpIEqual, t_bool_, e, CU32(0)), sub, r);
  return FloatOf(Op2(spv::OpBitwiseOr, t_u32_, r, sign));
}

Id Lowering::FloatToHalfBits(Id x) {
  const Id bits = BitsOf(x);
  const Id sign = Op2(spv::OpBitwiseAnd, t_u32_,
                      Op2(spv::OpShiftRightLogical, t_u32_, bits, CU32(16)), CU32(0x8000));
  const Id abs = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffffffu));
  const Id normal = Op2(spv::OpISub, t_u32_, Op2(spv::OpShiftRightLogical, t_u32_, abs, CU32(13)),
                        CU32(112u << 10));
  const Id sub =
      Op1(spv::OpConvertFToU, t_u32_, Op2(spv::OpFMul, t_f32_, FloatOf(abs), CF32(16777216.0f)));
  const Id nan = Op2(spv::OpUGreaterThan, t_bool_, abs, CU32(0x7f800000u));
  const Id inf_nan = Sel(t_u32_, nan, CU32(0x7e00), CU32(0x7c00));
  Id r = Sel(t_u32_, Op2(spv::OpULessThan, t_bool_, abs, CU32(0x38800000u)), sub, normal);
  r = Sel(t_u32_, Op2(spv::OpUGreaterThanEqual, t_bool_, abs, CU32(0x7f800000u)), inf_nan, r);
  return Op2(spv::OpBitwiseOr, t_u32_, r, sign);
}

Id Lowering::FloatMaxMin(bool is_max, Id a, Id b) {
  // NaN wins; between equal values +0 is the larger, -0 the smaller.
  const Id nan = Or(Op1(spv::OpIsNan, t_bool_, a), Op1(spv::OpIsNan, t_bool_, b));
  const Id pick_a = Op2(is_max ? spv::OpFOrdGreaterThan : spv::OpFOrdLessThan, t_bool_, a, b);
  const Id a_neg = Op2(spv::OpSLessThan, t_bool_, Op1(spv::OpBitcast, t_i32_, a), C32(0));
  const Id on_equal = is_max ? Sel(t_f32_, a_neg, b, a) : Sel(t_f32_, a_neg, a, b);
  Id r = Sel(t_f32_, pick_a, a, b);
  r = Sel(t_f32_, Op2(spv::OpFOrdEqual, t_bool_, a, b), on_equal, r);
  return Sel(t_f32_, nan, FloatOf(CU32(0x7fc00000u)), r);
}

Id Lowering::IntDivRem(bool is_div, DType t, Id a, Id b) {
  // SDiv/SRem are undefined for a zero divisor and for MIN / -1; divide by 1
  // there instead: -1 gives the wrapped negation (remainder 0), zero gives an
  // unspecified value (the interpreter reports division by zero).
  const Id type = ReprType(t);
  const bool wide = t == DType::kI64;
  const Id zero = wide ? C64(0) : C32(0);
  const Id one = wide ? C64(1) : C32(1);
  const Id minus_one = wide ? C64(-1) : C32(-1);
  const Id is_m1 = Op2(spv::OpIEqual, t_bool_, b, minus_one);
  const Id unsafe = Or(Op2(spv::OpIEqual, t_bool_, b, zero), is_m1);
  const Id safe_b = Sel(type, unsafe, one, b);
  if (is_div) {
    const Id q = Op2(spv::OpSDiv, type, a, safe_b);
    return Sel(type, is_m1, Op1(spv::OpSNegate, type, a), q);
  }
  const Id r = Op2(spv::OpSRem, type, a, safe_b);
  return Sel(type, is_m1, zero, r);
}

Id Lowering::Binary(OpCode code, DType t, Id a, Id b) {
  if (ir::IsFloat(t)) {
    switch (code) {
      case OpCode::kAdd: return Normalize(t, FOp(spv::OpFAdd, a, b));
      case OpCode::kSub: return Normalize(t, FOp(spv::OpFSub, a, b));
      case OpCode::kMul: return Normalize(t, FOp(spv::OpFMul, a, b));
      case OpCode::kDiv: return Normalize(t, FOp(spv::OpFDiv, a, b));
      case OpCode::kRem: return Normalize(t, Fmod(a, b));
      case OpCode::kMax: return FloatMaxMin(true, a, b);
      default: return FloatMaxMin(false, a, b);  // kMin
    }
  }
  if (t == DType::kBool) {
    switch (code) {
      case OpCode::kAnd:
      case OpCode::kMin: return And(a, b);
      case OpCode::kOr:
      case OpCode::kMax: return Or(a, b);
      default: return Op2(spv::OpLogicalNotEqual, t_bool_, a, b);  // kXor
    }
  }
  const Id type = ReprType(t);
  switch (code) {
    case OpCode::kAdd: return Normalize(t, Op2(spv::OpIAdd, type, a, b));
    case OpCode::kSub: return Normalize(t, Op2(spv::OpISub, type, a, b));
    case OpCode::kMul: return Normalize(t, Op2(spv::OpIMul, type, a, b));
    case OpCode::kDiv: return Normalize(t, IntDivRem(true, t, a, b));
    case OpCode::kRem: return Normalize(t, IntDivRem(false, t, a, b));
    case OpCode::kMax: return Sel(type, Op2(spv::OpSGreaterThan, t_bool_, a, b), a, b);
    case OpCode::kMin: return Sel(type, Op2(spv::OpSLessThan, t_bool_, a, b), a, b);
    case OpCode::kAnd: return Op2(spv::OpBitwiseAnd, type, a, b);
    case OpCode::kOr: return Op2(spv::OpBitwiseOr, type, a, b);
    default: return Op2(spv::OpBitwiseXor, type, a, b);  // kXor
  }
}

Id Lowering::Compare(OpCode code, DType t, Id a, Id b) {
  if (ir::IsFloat(t)) {
    // Ordered comparisons are false with a NaN operand; != is true.
    switch (code) {
      case OpCode::kEq: return Op2(spv::OpFOrdEqual, t_bool_, a, b);
      case OpCode::kNe: return Op2(spv::OpFUnordNotEqual, t_bool_, a, b);
      case OpCode::kLt: return Op2(spv::OpFOrdLessThan, t_bool_, a, b);
      case OpCode::kLe: return Op2(spv::OpFOrdLessThanEqual, t_bool_, a, b);
      case OpCode::kGt: return Op2(spv::OpFOrdGreaterThan, t_bool_, a, b);
      default: return Op2(spv::OpFOrdGreaterThanEqual, t_bool_, a, b);
    }
  }
  if (t == DType::kBool) {  // false < true
    const Id na = Op1(spv::OpLogicalNot, t_bool_, a);
    const Id nb = Op1(spv::OpLogicalNot, t_bool_, b);
    switch (code) {
      case OpCode::kEq: return Op2(spv::OpLogicalEqual, t_bool_, a, b);
      case OpCode::kNe: return Op2(spv::OpLogicalNotEqual, t_bool_, a, b);
      case OpCode::kLt: return And(na, b);
      case OpCode::kLe: return Or(na, b);
      case OpCode::kGt: return And(a, nb);
      default: return Or(a, nb);
    }
  }
  switch (code) {
    case OpCode::kEq: return Op2(spv::OpIEqual, t_bool_, a, b);
    case OpCode::kNe: return Op2(spv::OpINotEqual, t_bool_, a, b);
    case OpCode::kLt: return Op2(spv::OpSLessThan, t_bool_, a, b);
    case OpCode::kLe: return Op2(spv::OpSLessThanEqual, t_bool_, a, b);
    case OpCode::kGt: return Op2(spv::OpSGreaterThan, t_bool_, a, b);
    default: return Op2(spv::OpSGreaterThanEqual, t_bool_, a, b);
  }
}

Id Lowering::Unary(OpCode code, DType t, Id x) {
  if (ir::IsFloat(t)) {
    switch (code) {
      case OpCode::kNeg: return Op1(spv::OpFNegate, t_f32_, x);
      case OpCode::kAbs: return Ext(spv::GLSLstd450FAbs, t_f32_, {x});
      case OpCode::kExp: return Normalize(t, Exp(x));
      case OpCode::kExp2: return Normalize(t, Exp2(x));
      case OpCode::kLog: return Normalize(t, Log(x));
      case OpCode::kSqrt: return Normalize(t, Sqrt(x, false));
      case OpCode::kRsqrt: return Normalize(t, Sqrt(x, true));
      case OpCode::kTanh: return Normalize(t, Tanh(x));
      case OpCode::kSigmoid: return Normalize(t, Sigmoid(x));
      default: return Normalize(t, Erf(x));  // kErf
    }
  }
  if (t == DType::kBool) return Op1(spv::OpLogicalNot, t_bool_, x);  // kNot
  const Id type = ReprType(t);
  const Id zero = t == DType::kI64 ? C64(0) : C32(0);
  switch (code) {
    case OpCode::kNeg: return Normalize(t, Op1(spv::OpSNegate, type, x));
    case OpCode::kAbs:
      return Normalize(
          t, Sel(type, Op2(spv::OpSLessThan, t_bool_, x, zero), Op1(spv::OpSNegate, type, x), x));
    default: return Normalize(t, Op1(spv::OpNot, type, x));  // kNot
  }
}

Id Lowering::FloatToInt(DType to, Id x) {
  // Truncate toward zero, saturate, NaN -> 0; the conversion instruction
  // only ever sees values inside the target range.
  const Id t = Ext(spv::GLSLstd450Trunc, t_f32_, {x});
  const bool wide = to == DType::kI64;
  double lo = 0, hi = 0;  // saturate at t <= lo and t >= hi
  int64_t lo_i = 0, hi_i = 0;
  switch (to) {
    case DType::kI8: lo = -128.0, hi = 127.0, lo_i = -128, hi_i = 127; break;
    case DType::kU8: lo = 0.0, hi = 255.0, lo_i = 0, hi_i = 255; break;
    case DType::kI16: lo = -32768.0, hi = 32767.0, lo_i = -32768, hi_i = 32767; break;
    case DType::kI32:
      lo = -2147483648.0, hi = 2147483648.0, lo_i = INT32_MIN, hi_i = INT32_MAX;
      break;
    default:
      lo = -9223372036854775808.0, hi = 9223372036854775808.0, lo_i = INT64_MIN, hi_i = INT64_MAX;
      break;
  }
  const Id type = wide ? t_i64_ : t_i32_;
  const auto c = [&](int64_t v) { return wide ? C64(v) : C32(v); };
  const Id nan = Op1(spv::OpIsNan, t_bool_, t);
  const Id big = Op2(spv::OpFOrdGreaterThanEqual, t_bool_, t, CF32(static_cast<float>(hi)));
  const Id small = Op2(spv::OpFOrdLessThanEqual, t_bool_, t, CF32(static_cast<float>(lo)));
  const Id out = Or(nan, Or(big, small));
  const Id conv = Op1(spv::OpConvertFToS, type, Sel(t_f32_, out, CF32(0.0f), t));
  Id r = Sel(type, small, c(lo_i), conv);
  r = Sel(type, big, c(hi_i), r);
  return Sel(type, nan, c(0), r);
}

Id Lowering::IntToNarrowFloat(DType from, DType to, Id x) {
  if (from != DType::kI32 && from != DType::kI64) {
    // |x| < 2^16: exact in f32, rounded once to the target.
    return Normalize(to, Op1(spv::OpConvertSToF, t_f32_, x));
  }
  // Keep 24 significant bits of |x| with a sticky bit for the rest (round
  // to odd), convert exactly, then round once to the 8- or 11-bit target:
  // the same result as rounding |x| directly.
  const bool wide = from == DType::kI64;
  const Id type = wide ? t_i64_ : t_i32_;
  const Id zero = wide ? C64(0) : C32(0);
  const Id neg = Op2(spv::OpSLessThan, t_bool_, x, zero);
  const Id mag = Sel(type, neg, Op1(spv::OpSNegate, type, x), x);  // MIN stays 2^(n-1)
  Id msb = 0;
  if (wide) {
    const Id hi =
        Op1(spv::OpBitcast, t_u32_,
            Op1(spv::OpSConvert, t_i32_, Op2(spv::OpShiftRightLogical, t_i64_, mag, C64(32))));
    const Id lo = Op1(spv::OpBitcast, t_u32_, Op1(spv::OpSConvert, t_i32_, mag));
    const Id msb_hi = IAdd(Ext(spv::GLSLstd450FindUMsb, t_i32_, {hi}), C32(32));
    const Id msb_lo = Ext(spv::GLSLstd450FindUMsb, t_i32_, {lo});
    msb = Sel(t_i32_, Op2(spv::OpINotEqual, t_bool_, hi, CU32(0)), msb_hi, msb_lo);
  } else {
    msb = Ext(spv::GLSLstd450FindUMsb, t_i32_, {Op1(spv::OpBitcast, t_u32_, mag)});
  }
  const Id over = ISub(msb, C32(23));
  const Id shift = Sel(t_i32_, Op2(spv::OpSGreaterThan, t_bool_, over, C32(0)), over, C32(0));
  const Id shift_t = wide ? Op1(spv::OpSConvert, t_i64_, shift) : shift;
  const Id one = wide ? C64(1) : C32(1);
  const Id kept = Op2(spv::OpShiftRightLogical, type, mag, shift_t);
  const Id mask = Op2(spv::OpISub, type, Op2(spv::OpShiftLeftLogical, type, one, shift_t), one);
  const Id lost = Op2(spv::OpINotEqual, t_bool_, Op2(spv::OpBitwiseAnd, type, mag, mask), zero);
  Id t24 = Op2(spv::OpBitwiseOr, type, kept, Sel(type, lost, one, zero));
  if (wide) t24 = Op1(spv::OpSConvert, t_i32_, t24);
  const Id f = Op1(spv::OpConvertSToF, t_f32_, t24);  // < 2^24 + 1: exact
  const Id scale =
      FloatOf(Op1(spv::OpBitcast, t_u32_,
                  Op2(spv::OpShiftLeftLogical, t_i32_, IAdd(shift, C32(127)), C32(23))));
  const Id v = Op2(spv::OpFMul, t_f32_, f, scale);
  return Normalize(to, Sel(t_f32_, neg, Op1(spv::OpFNegate, t_f32_, v), v));
}

Id Lowering::Cast(DType from, DType to, Id x) {
  if (from == to) return x;
  if (from == DType::kBool) {
    if (ir::IsFloat(to)) return Sel(t_f32_, x, CF32(1.0f), CF32(0.0f));
    return to == DType::kI64 ? Sel(t_i64_, x, C64(1), C64(0)) : Sel(t_i32_, x, C32(1), C32(0));
  }
  if (to == DType::kBool) {
    if (ir::IsFloat(from)) return Op2(spv::OpFUnordNotEqual, t_bool_, x, CF32(0.0f));
    return Op2(spv::OpINotEqual, t_bool_, x, ZeroOf(from));
  }
  if (ir::IsFloat(from) && ir::IsFloat(to)) return Normalize(to, x);
  if (ir::IsFloat(from)) return FloatToInt(to, x);
  if (ir::IsFloat(to)) {
    if (IsNarrowFloat(to)) return IntToNarrowFloat(from, to, x);
    return Op1(spv::OpConvertSToF, t_f32_, x);
  }
  // Integer to integer.
  if (to == DType::kI64) return Op1(spv::OpSConvert, t_i64_, x);
  if (from == DType::kI64) x = Op1(spv::OpSConvert, t_i32_, x);
  return Normalize(to, x);
}

}  // namespace hrt::spirv
