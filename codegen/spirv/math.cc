// Transcendental functions and fmod in f32. Vulkan only bounds GLSL.std.450
// Exp/Exp2 to 3 + 2|x| ulp and lets devices flush subnormal inputs, so exp,
// exp2 and log are computed here (Cody-Waite reductions and polynomials;
// subnormals unpacked with integer operations), sqrt and rsqrt scale
// subnormal inputs exactly before the extended instruction, and fmod is an
// exact integer long division (OpFRem is x - y * trunc(x / y) on some
// drivers). docs/spirv-codegen.md lists the precision of each.
#include <cmath>

#include "codegen/spirv/lowering.h"

namespace hrt::spirv {
namespace {

// Taylor coefficients of e^r, enough for |r| <= ln2 / 2 (error < 1e-8).
constexpr double kExpPoly[] = {1.0,      1.0,       1.0 / 2,   1.0 / 6,
                               1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040};
// tanh(x) = x * P(x^2) for |x| < 0.5 (odd Taylor series to x^17).
constexpr double kTanhPoly[] = {1.0,
                                -1.0 / 3,
                                2.0 / 15,
                                -17.0 / 315,
                                62.0 / 2835,
                                -1382.0 / 155925,
                                21844.0 / 6081075,
                                -929569.0 / 638512875,
                                6404582.0 / 10854718875};
// erf(x) = x * P(x^2) for |x| < 0.5: 2/sqrt(pi) * sum (-1)^n x^(2n) / (n! (2n+1)).
constexpr double kTwoOverSqrtPi = 1.1283791670955126;
constexpr double kErfPoly[] = {
    kTwoOverSqrtPi,       -kTwoOverSqrtPi / 3,    kTwoOverSqrtPi / 10,   -kTwoOverSqrtPi / 42,
    kTwoOverSqrtPi / 216, -kTwoOverSqrtPi / 1320, kTwoOverSqrtPi / 9360, -kTwoOverSqrtPi / 75600};
// Abramowitz & Stegun 7.1.26: erf(x) = 1 - t P(t) e^(-x^2), t = 1/(1 + p x),
// absolute error <= 1.5e-7.
constexpr double kErfP = 0.3275911;
constexpr double kErfAS[] = {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};

// log(m) = s * P(s^2), s = (m - 1) / (m + 1): 2 * atanh(s), for m in
// [sqrt(1/2), sqrt(2)] (|s| <= 0.172, truncation error < 1e-10).
constexpr double kLogPoly[] = {2.0, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11};

}  // namespace

Id Lowering::Poly(Id x, std::span<const double> c) {
  Id r = CF32(static_cast<float>(c.back()));
  for (size_t i = c.size() - 1; i-- > 0;) {
    r = Op2(spv::OpFAdd, t_f32_, Op2(spv::OpFMul, t_f32_, r, x), CF32(static_cast<float>(c[i])));
  }
  return r;
}

Id Lowering::Exp(Id x) {
  // e^x = 2^n e^r with n = round(x / ln2), r = x - n ln2 (ln2 split in a
  // high part with trailing zeros, so n * ln2_hi is exact).
  const Id nan = Op1(spv::OpIsNan, t_bool_, x);
  const Id big = Op2(spv::OpFOrdGreaterThan, t_bool_, x, CF32(88.7228394f));
  const Id small = Op2(spv::OpFOrdLessThan, t_bool_, x, CF32(-103.972084f));
  const Id xs = Sel(t_f32_, Or(nan, Or(big, small)), CF32(0.0f), x);
  const Id n =
      Ext(spv::GLSLstd450RoundEven, t_f32_, {Op2(spv::OpFMul, t_f32_, xs, CF32(1.44269504f))});
  Id r = FOp(spv::OpFSub, xs, FOp(spv::OpFMul, n, CF32(0.693145751953125f)));
  r = FOp(spv::OpFSub, r, FOp(spv::OpFMul, n, CF32(1.42860682e-6f)));
  const Id p = Poly(r, kExpPoly);
  Id v = Ext(spv::GLSLstd450Ldexp, t_f32_, {p, Op1(spv::OpConvertFToS, t_i32_, n)});
  v = Sel(t_f32_, big, CF32(INFINITY), v);
  v = Sel(t_f32_, small, CF32(0.0f), v);
  return Sel(t_f32_, nan, x, v);
}

Id Lowering::Exp2(Id x) {
  const Id nan = Op1(spv::OpIsNan, t_bool_, x);
  const Id big = Op2(spv::OpFOrdGreaterThanEqual, t_bool_, x, CF32(128.0f));
  const Id small = Op2(spv::OpFOrdLessThan, t_bool_, x, CF32(-150.0f));
  const Id xs = Sel(t_f32_, Or(nan, Or(big, small)), CF32(0.0f), x);
  const Id n = Ext(spv::GLSLstd450RoundEven, t_f32_, {xs});
  const Id r = Op2(spv::OpFMul, t_f32_, FOp(spv::OpFSub, xs, n), CF32(0.693147181f));
  const Id p = Poly(r, kExpPoly);
  Id v = Ext(spv::GLSLstd450Ldexp, t_f32_, {p, Op1(spv::OpConvertFToS, t_i32_, n)});
  v = Sel(t_f32_, big, CF32(INFINITY), v);
  v = Sel(t_f32_, small, CF32(0.0f), v);
  return Sel(t_f32_, nan, x, v);
}

Id Lowering::Log(Id x) {
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2)), unpacked from the bits so
  // subnormal inputs are exact whatever the device's denormal mode.
  const Id bits = BitsOf(x);
  const Id abs = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffffffu));
  const Id e = Op2(spv::OpShiftRightLogical, t_u32_, abs, CU32(23));
  const Id mant = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffff));
  const Id sub = Op2(spv::OpIEqual, t_bool_, e, CU32(0));
  const Id msb = Ext(spv::GLSLstd450FindUMsb, t_i32_, {mant});
  const Id shift = ISub(C32(23), msb);
  const Id mant_sub = Op2(spv::OpBitwiseAnd, t_u32_,
                          Op2(spv::OpShiftLeftLogical, t_u32_, mant, shift), CU32(0x7fffff));
  const Id mant_n = Sel(t_u32_, sub, mant_sub, mant);
  Id k =
      Sel(t_i32_, sub, ISub(C32(1 - 127), shift), ISub(Op1(spv::OpBitcast, t_i32_, e), C32(127)));
  Id m = FloatOf(Op2(spv::OpBitwiseOr, t_u32_, mant_n, CU32(0x3f800000u)));
  const Id big = Op2(spv::OpFOrdGreaterThan, t_bool_, m, CF32(1.41421356f));
  m = Sel(t_f32_, big, Op2(spv::OpFMul, t_f32_, m, CF32(0.5f)), m);
  k = Sel(t_i32_, big, IAdd(k, C32(1)), k);
  const Id s = Op2(spv::OpFDiv, t_f32_, Op2(spv::OpFSub, t_f32_, m, CF32(1.0f)),
                   Op2(spv::OpFAdd, t_f32_, m, CF32(1.0f)));
  const Id log_m = Op2(spv::OpFMul, t_f32_, s, Poly(Op2(spv::OpFMul, t_f32_, s, s), kLogPoly));
  const Id kf = Op1(spv::OpConvertSToF, t_f32_, k);
  Id r = Op2(spv::OpFAdd, t_f32_, Op2(spv::OpFMul, t_f32_, kf, CF32(0.693145751953125f)),
             Op2(spv::OpFAdd, t_f32_, log_m, Op2(spv::OpFMul, t_f32_, kf, CF32(1.42860682e-6f))));
  // log(+-0) = -inf, log(inf) = inf, log(x < 0) = NaN, log(NaN) = NaN.
  r = Sel(t_f32_, Op2(spv::OpIEqual, t_bool_, abs, CU32(0)), CF32(-INFINITY), r);
  r = Sel(t_f32_, Op2(spv::OpIEqual, t_bool_, bits, CU32(0x7f800000u)), CF32(INFINITY), r);
  const Id negative = Op2(spv::OpUGreaterThan, t_bool_, bits, CU32(0x80000000u));
  r = Sel(t_f32_, negative, FloatOf(CU32(0x7fc00000u)), r);
  return Sel(t_f32_, Op1(spv::OpIsNan, t_bool_, x), x, r);
}

Id Lowering::Sqrt(Id x, bool inverse) {
  // A subnormal x is replaced by x * 2^64 (built from its bits, so exact
  // even where the device flushes subnormals) and the result rescaled by
  // 2^-32 (2^32 for the inverse), which is exact too.
  const Id bits = BitsOf(x);
  const Id e = Op2(spv::OpBitwiseAnd, t_u32_, Op2(spv::OpShiftRightLogical, t_u32_, bits, CU32(23)),
                   CU32(0xff));
  const Id mant = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x7fffff));
  const Id sub =
      And(Op2(spv::OpIEqual, t_bool_, e, CU32(0)), Op2(spv::OpINotEqual, t_bool_, mant, CU32(0)));
  const Id msb = Ext(spv::GLSLstd450FindUMsb, t_i32_, {mant});
  const Id mant_n =
      Op2(spv::OpBitwiseAnd, t_u32_, Op2(spv::OpShiftLeftLogical, t_u32_, mant, ISub(C32(23), msb)),
          CU32(0x7fffff));
  const Id exp_n = Op2(spv::OpShiftLeftLogical, t_u32_,
                       Op1(spv::OpBitcast, t_u32_, IAdd(msb, C32(42))), CU32(23));
  const Id sign = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0x80000000u));
  const Id scaled =
      FloatOf(Op2(spv::OpBitwiseOr, t_u32_, Op2(spv::OpBitwiseOr, t_u32_, exp_n, mant_n), sign));
  const Id in = Sel(t_f32_, sub, scaled, x);
  const Id r = Ext(inverse ? spv::GLSLstd450InverseSqrt : spv::GLSLstd450Sqrt, t_f32_, {in});
  const float back = inverse ? 4294967296.0f : 1.0f / 4294967296.0f;
  return Sel(t_f32_, sub, Op2(spv::OpFMul, t_f32_, r, CF32(back)), r);
}

Id Lowering::Fmod(Id a, Id b) {
  // fmod(a, b) = a - n * b for the n that truncates a / b: the remainder of
  // the long division of a's significand by b's, exact (a result always
  // fits), sign of a.
  const Id ba = BitsOf(a), bb = BitsOf(b);
  const Id ua = Op2(spv::OpBitwiseAnd, t_u32_, ba, CU32(0x7fffffffu));
  const Id ub = Op2(spv::OpBitwiseAnd, t_u32_, bb, CU32(0x7fffffffu));
  const Id sign = Op2(spv::OpBitwiseAnd, t_u32_, ba, CU32(0x80000000u));
  const auto unpack = [&](Id u, Id* mant, Id* exp) {
    const Id e = Op2(spv::OpShiftRightLogical, t_u32_, u, CU32(23));
    const Id sub = Op2(spv::OpIEqual, t_bool_, e, CU32(0));
    *mant = Sel(t_u32_, sub, u,
                Op2(spv::OpBitwiseOr, t_u32_, Op2(spv::OpBitwiseAnd, t_u32_, u, CU32(0x7fffff)),
                    CU32(0x800000)));
    *exp = Op1(spv::OpBitcast, t_i32_, Sel(t_u32_, sub, CU32(1), e));  // subnormals: field 1
  };
  Id ma = 0, ea = 0, mb = 0, eb = 0;
  unpack(ua, &ma, &ea);
  unpack(ub, &mb, &eb);
  const Id step = ISub(ea, eb);  // >= 0 whenever |a| > |b|
  const Id steps = Sel(t_i32_, Op2(spv::OpSGreaterThan, t_bool_, step, C32(0)), step, C32(0));
  const auto reduce = [&](Id m) {
    return Sel(t_u32_, Op2(spv::OpUGreaterThanEqual, t_bool_, m, mb),
               Op2(spv::OpISub, t_u32_, m, mb), m);
  };
  auto looped = Loop(C32(0), steps, Ids{ma}, Ids{t_u32_}, [&](Id, const Ids& m) {
    return Result<Ids>(Ids{Op2(spv::OpShiftLeftLogical, t_u32_, reduce(m[0]), CU32(1))});
  });
  const Id m = reduce(looped.ok() ? looped.value()[0] : ma);  // the body cannot fail
  // m * 2^(eb - 150): renormalize, or a subnormal when eb is too small.
  const Id msb = Ext(spv::GLSLstd450FindUMsb, t_i32_, {m});
  const Id shift = ISub(C32(23), msb);
  const Id e_new = ISub(eb, shift);
  const Id normal =
      Op2(spv::OpBitwiseOr, t_u32_,
          Op2(spv::OpShiftLeftLogical, t_u32_, Op1(spv::OpBitcast, t_u32_, e_new), CU32(23)),
          Op2(spv::OpBitwiseAnd, t_u32_, Op2(spv::OpShiftLeftLogical, t_u32_, m, shift),
              CU32(0x7fffff)));
  const Id subnormal = Op2(spv::OpShiftLeftLogical, t_u32_, m, ISub(eb, C32(1)));
  Id r = Sel(t_u32_, Op2(spv::OpSGreaterThanEqual, t_bool_, e_new, C32(1)), normal, subnormal);
  r = Sel(t_u32_, Op2(spv::OpIEqual, t_bool_, m, CU32(0)), CU32(0), r);
  Id out = FloatOf(Op2(spv::OpBitwiseOr, t_u32_, r, sign));
  // |a| < |b| (b = inf included): a itself. b = 0, a = inf or a NaN: NaN.
  out = Sel(t_f32_, Op2(spv::OpULessThan, t_bool_, ua, ub), a, out);
  const Id nan = Or(Or(Op2(spv::OpIEqual, t_bool_, ub, CU32(0)),
                       Op2(spv::OpUGreaterThanEqual, t_bool_, ua, CU32(0x7f800000u))),
                    Op2(spv::OpUGreaterThan, t_bool_, ub, CU32(0x7f800000u)));
  return Sel(t_f32_, nan, FloatOf(CU32(0x7fc00000u)), out);
}

Id Lowering::Tanh(Id x) {
  const Id a = Ext(spv::GLSLstd450FAbs, t_f32_, {x});
  const Id x2 = Op2(spv::OpFMul, t_f32_, x, x);
  const Id near = Op2(spv::OpFMul, t_f32_, x, Poly(x2, kTanhPoly));
  // 1 - 2 / (e^{2|x|} + 1): never overflows (e^{2|x|} = inf gives 1).
  const Id e = Exp(Op2(spv::OpFMul, t_f32_, a, CF32(2.0f)));
  const Id far_abs =
      Op2(spv::OpFSub, t_f32_, CF32(1.0f),
          Op2(spv::OpFDiv, t_f32_, CF32(2.0f), Op2(spv::OpFAdd, t_f32_, e, CF32(1.0f))));
  const Id neg = Op2(spv::OpFOrdLessThan, t_bool_, x, CF32(0.0f));
  const Id far = Sel(t_f32_, neg, Op1(spv::OpFNegate, t_f32_, far_abs), far_abs);
  return Sel(t_f32_, Op2(spv::OpFOrdLessThan, t_bool_, a, CF32(0.5f)), near, far);
}

Id Lowering::Sigmoid(Id x) {
  // e = e^{-|x|} <= 1: 1 / (1 + e) for x >= 0, e / (1 + e) below.
  const Id e = Exp(Op1(spv::OpFNegate, t_f32_, Ext(spv::GLSLstd450FAbs, t_f32_, {x})));
  const Id den = Op2(spv::OpFAdd, t_f32_, CF32(1.0f), e);
  const Id pos = Op2(spv::OpFOrdGreaterThanEqual, t_bool_, x, CF32(0.0f));
  return Op2(spv::OpFDiv, t_f32_, Sel(t_f32_, pos, CF32(1.0f), e), den);
}

Id Lowering::Erf(Id x) {
  const Id a = Ext(spv::GLSLstd450FAbs, t_f32_, {x});
  const Id x2 = Op2(spv::OpFMul, t_f32_, x, x);
  const Id near = Op2(spv::OpFMul, t_f32_, x, Poly(x2, kErfPoly));
  const Id t = Op2(spv::OpFDiv, t_f32_, CF32(1.0f),
                   Op2(spv::OpFAdd, t_f32_, CF32(1.0f),
                       Op2(spv::OpFMul, t_f32_, CF32(static_cast<float>(kErfP)), a)));
  const Id tp = Op2(spv::OpFMul, t_f32_, t, Poly(t, kErfAS));
  const Id far_abs = Op2(spv::OpFSub, t_f32_, CF32(1.0f),
                         Op2(spv::OpFMul, t_f32_, tp, Exp(Op1(spv::OpFNegate, t_f32_, x2))));
  const Id neg = Op2(spv::OpFOrdLessThan, t_bool_, x, CF32(0.0f));
  const Id far = Sel(t_f32_, neg, Op1(spv::OpFNegate, t_f32_, far_abs), far_abs);
  return Sel(t_f32_, Op2(spv::OpFOrdLessThan, t_bool_, a, CF32(0.5f)), near, far);
}

}  // namespace hrt::spirv
