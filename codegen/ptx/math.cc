// Transcendental functions on f32 registers. The interpreter evaluates them
// in double and rounds once; these sequences stay within a few f32 ulp
// (docs/ptx-codegen.md lists the bounds):
//   exp     ex2.approx of x*log2(e) rounded, times 1 + (its exact error,
//           from an fma)*ln2: one MUFU op, ~3 ulp; for a coarse value
//           (precision.cc) ex2.approx.ftz of x*log2(e) alone;
//   exp2    ex2.approx, ~2 ulp (.ftz for a coarse value);
//   log     reduction to m in [sqrt(1/2), sqrt(2)) and the atanh series of
//           (m-1)/(m+1), ~2 ulp; lg2.approx only supplies 0, <0, inf, NaN;
//   rsqrt   sqrt.rn then rcp.rn (two correctly rounded steps, <= 1 ulp);
//           for a coarse value rsqrt.approx (relative error <= 2^-22.9);
//   tanh    odd Taylor polynomial below 0.5, 1 - 2/(exp(2|x|)+1) above;
//   sigmoid 1/(1+exp(-|x|)) or its complement, never overflowing;
//   erf     Taylor polynomial below 0.5, Abramowitz-Stegun 7.1.26 above
//           (absolute error <= 1.5e-7).
#include <cmath>

#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

constexpr float kLog2eHi = 1.44269502162933349609375f;  // log2(e) rounded to f32
constexpr double kLog2e = 1.44269504088896340735992468100189214;
constexpr float kLn2Hi = 0.693145751953125f;  // 16 significant bits
constexpr double kLn2 = 0.693147180559945309417232121458176568;
constexpr double kTwoOverSqrtPi = 1.12837916709551257389615890312154517;

Opnd F(double v) {
  return Opnd::F32(static_cast<float>(v));
}

}  // namespace

Reg Lowering::Exp(Reg x) {
  const Repr f = Repr::kF32;
  if (coarse_) {
    // Only reaches memory as f16/bf16 (precision.cc): the rounding of
    // x*log2(e) costs ~|x|*2^-24 relative, far below a 16-bit ulp.
    const Reg t = NewReg(f), d = NewReg(f);
    code_.Ins("mul.rn.f32", {t, x, Opnd::F32(kLog2eHi)});
    code_.Ins("ex2.approx.ftz.f32", {d, t});
    return d;
  }
  // Clamp to where the result is neither 0 nor inf anyway (NaN passes),
  // so the fma error terms below never see infinities.
  const Reg lo = NewReg(f), xc = NewReg(f);
  code_.Ins("max.NaN.f32", {lo, x, Opnd::F32(-104.0f)});
  code_.Ins("min.NaN.f32", {xc, lo, Opnd::F32(89.0f)});
  // t = x*log2(e) rounded; e = the exact rounding error plus the low part
  // of log2(e); exp(x) = 2^t * 2^e ~= 2^t * (1 + e*ln2).
  const Reg t = NewReg(f), nt = NewReg(f), e0 = NewReg(f), e1 = NewReg(f);
  code_.Ins("mul.rn.f32", {t, xc, Opnd::F32(kLog2eHi)});
  code_.Ins("neg.f32", {nt, t});
  code_.Ins("fma.rn.f32", {e0, xc, Opnd::F32(kLog2eHi), nt});
  code_.Ins("fma.rn.f32", {e1, xc, F(kLog2e - static_cast<double>(kLog2eHi)), e0});
  const Reg r0 = NewReg(f), el = NewReg(f), d = NewReg(f);
  code_.Ins("ex2.approx.f32", {r0, t});
  code_.Ins("mul.rn.f32", {el, e1, F(kLn2)});
  code_.Ins("fma.rn.f32", {d, r0, el, r0});
  return d;
}

Reg Lowering::Exp2(Reg x) {
  const Reg d = NewReg(Repr::kF32);
  // .ftz is one instruction; without it ptxas adds a scale for results
  // below 2^-126. Coarse values (precision.cc) do not need those.
  code_.Ins(coarse_ ? "ex2.approx.ftz.f32" : "ex2.approx.f32", {d, x});
  return d;
}

Reg Lowering::Log(Reg x) {
  const Repr f = Repr::kF32, i = Repr::kI32, p = Repr::kPred;
  // Subnormal inputs: scale by 2^23 and correct the exponent.
  const Reg sub = NewReg(p), xs = NewReg(f), scaled = NewReg(f), ebias = NewReg(i);
  code_.Ins("setp.lt.f32", {sub, x, Opnd::F32(1.17549435e-38f)});
  code_.Ins("mul.rn.f32", {scaled, x, Opnd::F32(8388608.0f)});
  code_.Ins("selp.f32", {xs, scaled, x, sub});
  code_.Ins("selp.s32", {ebias, Opnd::Imm(-23), Opnd::Imm(0), sub});
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
  const Reg bits = NewReg(i), shifted = NewReg(i), e = NewReg(i), eshift = NewReg(i);
  const Reg mbits = NewReg(i), etot = NewReg(i);
  code_.Ins("mov.b32", {bits, xs});
  code_.Ins("sub.s32", {shifted, bits, Opnd::Imm(0x3F3504F3)});
  code_.Ins("shr.s32", {e, shifted, Opnd::Imm(23)});
  code_.Ins("shl.b32", {eshift, e, Opnd::Imm(23)});
  code_.Ins("sub.s32", {mbits, bits, eshift});
  code_.Ins("add.s32", {etot, e, ebias});
  const Reg m = NewReg(f), num = NewReg(f), den = NewReg(f), s = NewReg(f), z = NewReg(f);
  code_.Ins("mov.b32", {m, mbits});
  code_.Ins("sub.rn.f32", {num, m, Opnd::F32(1.0f)});
  code_.Ins("add.rn.f32", {den, m, Opnd::F32(1.0f)});
  code_.Ins("div.rn.f32", {s, num, den});
  code_.Ins("mul.rn.f32", {z, s, s});
  // log(m) = 2s (1 + z/3 + z^2/5 + z^3/7 + z^4/9), |s| < 0.1716.
  Reg poly = NewReg(f);
  code_.Ins("fma.rn.f32", {poly, z, F(2.0 / 9.0), F(2.0 / 7.0)});
  for (double c : {2.0 / 5.0, 2.0 / 3.0, 2.0}) {
    const Reg next = NewReg(f);
    code_.Ins("fma.rn.f32", {next, poly, z, F(c)});
    poly = next;
  }
  const Reg logm = NewReg(f), ef = NewReg(f), lo = NewReg(f), acc = NewReg(f);
  code_.Ins("mul.rn.f32", {logm, s, poly});
  code_.Ins("cvt.rn.f32.s32", {ef, etot});
  code_.Ins("fma.rn.f32", {lo, ef, F(kLn2 - static_cast<double>(kLn2Hi)), logm});
  code_.Ins("fma.rn.f32", {acc, ef, Opnd::F32(kLn2Hi), lo});
  // 0, negatives, inf and NaN: lg2.approx gets those exactly right.
  const Reg special = NewReg(f), pos = NewReg(p), fin = NewReg(p), ok = NewReg(p);
  const Reg d = NewReg(f);
  code_.Ins("lg2.approx.f32", {special, x});
  code_.Ins("setp.gt.f32", {pos, x, Opnd::F32(0.0f)});
  code_.Ins("setp.lt.f32", {fin, x, Opnd::F32(INFINITY)});
  code_.Ins("and.pred", {ok, pos, fin});
  code_.Ins("selp.f32", {d, acc, special, ok});
  return d;
}

Reg Lowering::Rsqrt(Reg x) {
  if (coarse_) {
    // One MUFU op, relative error <= 2^-22.9 over the positive range.
    const Reg d = NewReg(Repr::kF32);
    code_.Ins("rsqrt.approx.f32", {d, x});
    return d;
  }
  const Reg s = NewReg(Repr::kF32), d = NewReg(Repr::kF32);
  code_.Ins("sqrt.rn.f32", {s, x});
  code_.Ins("rcp.rn.f32", {d, s});
  return d;
}

Reg Lowering::Tanh(Reg x) {
  const Repr f = Repr::kF32;
  const Reg a = NewReg(f), z = NewReg(f), az = NewReg(f);
  code_.Ins("abs.f32", {a, x});
  code_.Ins("mul.rn.f32", {z, a, a});
  code_.Ins("mul.rn.f32", {az, a, z});
  // tanh(a) = a + a^3 P(a^2), Taylor coefficients through a^17.
  static constexpr double kCoef[] = {
      -1.0 / 3.0,         2.0 / 15.0,          -17.0 / 315.0,           62.0 / 2835.0,
      -1382.0 / 155925.0, 21844.0 / 6081075.0, -929569.0 / 638512875.0, 6404582.0 / 10854718875.0};
  Reg poly = NewReg(f);
  code_.Ins("fma.rn.f32", {poly, z, F(kCoef[7]), F(kCoef[6])});
  for (int k = 5; k >= 0; --k) {
    const Reg next = NewReg(f);
    code_.Ins("fma.rn.f32", {next, poly, z, F(kCoef[k])});
    poly = next;
  }
  const Reg small = NewReg(f);
  code_.Ins("fma.rn.f32", {small, az, poly, a});
  // Large |x|: 1 - 2 / (exp(2|x|) + 1).
  const Reg a2 = NewReg(f);
  code_.Ins("add.rn.f32", {a2, a, a});
  const Reg e = Exp(a2);
  const Reg den = NewReg(f), q = NewReg(f), large = NewReg(f);
  code_.Ins("add.rn.f32", {den, e, Opnd::F32(1.0f)});
  code_.Ins("div.rn.f32", {q, Opnd::F32(2.0f), den});
  code_.Ins("sub.rn.f32", {large, Opnd::F32(1.0f), q});
  const Reg use_small = NewReg(Repr::kPred), mag = NewReg(f), sign = NewReg(f), d = NewReg(f);
  code_.Ins("setp.lt.f32", {use_small, a, Opnd::F32(0.5f)});
  code_.Ins("selp.f32", {mag, small, large, use_small});
  code_.Ins("and.b32", {sign, x, Opnd::U64(0x80000000u)});
  code_.Ins("or.b32", {d, mag, sign});
  return d;
}

Reg Lowering::Sigmoid(Reg x) {
  const Repr f = Repr::kF32;
  const Reg na = NewReg(f);
  code_.Ins("abs.f32", {na, x});
  code_.Ins("neg.f32", {na, na});
  const Reg e = Exp(na);  // in (0, 1]
  const Reg den = NewReg(f), pos = NewReg(f), neg = NewReg(f);
  code_.Ins("add.rn.f32", {den, e, Opnd::F32(1.0f)});
  // sigmoid(|x|) = 1 / den with den in [1, 2]: no subnormal or special
  // input, so the hardware reciprocal plus one Newton step (within 1 ulp)
  // replaces rcp.rn's longer sequence with its slow-path branch.
  const Reg r0 = NewReg(f), err = NewReg(f);
  code_.Ins("rcp.approx.ftz.f32", {r0, den});
  code_.Ins("fma.rn.f32", {err, den, r0, Opnd::F32(-1.0f)});
  code_.Ins("neg.f32", {err, err});
  code_.Ins("fma.rn.f32", {pos, r0, err, r0});
  code_.Ins("mul.rn.f32", {neg, e, pos});  // sigmoid(-|x|) = e / (1 + e)
  const Reg nonneg = NewReg(Repr::kPred), d = NewReg(f);
  code_.Ins("setp.ge.f32", {nonneg, x, Opnd::F32(0.0f)});
  code_.Ins("selp.f32", {d, pos, neg, nonneg});
  return d;
}

Reg Lowering::Erf(Reg x) {
  const Repr f = Repr::kF32;
  const Reg a = NewReg(f), z = NewReg(f);
  code_.Ins("abs.f32", {a, x});
  code_.Ins("mul.rn.f32", {z, a, a});
  // |x| < 0.5: 2/sqrt(pi) * a * sum_k (-z)^k / (k! (2k+1)), k <= 7.
  double coef[8];
  double fact = 1.0;
  for (int k = 0; k < 8; ++k) {
    if (k > 0) fact *= k;
    coef[k] = kTwoOverSqrtPi * ((k % 2) ? -1.0 : 1.0) / (fact * (2 * k + 1));
  }
  Reg poly = NewReg(f);
  code_.Ins("fma.rn.f32", {poly, z, F(coef[7]), F(coef[6])});
  for (int k = 5; k >= 0; --k) {
    const Reg next = NewReg(f);
    code_.Ins("fma.rn.f32", {next, poly, z, F(coef[k])});
    poly = next;
  }
  const Reg small = NewReg(f);
  code_.Ins("mul.rn.f32", {small, a, poly});
  // |x| >= 0.5: 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-x^2),
  // t = 1 / (1 + p |x|).
  const Reg pa = NewReg(f), t = NewReg(f);
  code_.Ins("fma.rn.f32", {pa, a, Opnd::F32(0.3275911f), Opnd::F32(1.0f)});
  code_.Ins("rcp.rn.f32", {t, pa});
  Reg q = NewReg(f);
  code_.Ins("fma.rn.f32", {q, t, Opnd::F32(1.061405429f), Opnd::F32(-1.453152027f)});
  for (float c : {1.421413741f, -0.284496736f, 0.254829592f}) {
    const Reg next = NewReg(f);
    code_.Ins("fma.rn.f32", {next, q, t, Opnd::F32(c)});
    q = next;
  }
  const Reg tq = NewReg(f), nz = NewReg(f);
  code_.Ins("mul.rn.f32", {tq, t, q});
  code_.Ins("neg.f32", {nz, z});
  const Reg ez = Exp(nz);
  const Reg ntq = NewReg(f), large2 = NewReg(f);
  code_.Ins("neg.f32", {ntq, tq});
  code_.Ins("fma.rn.f32", {large2, ntq, ez, Opnd::F32(1.0f)});
  const Reg use_small = NewReg(Repr::kPred), mag = NewReg(f), sign = NewReg(f), d = NewReg(f);
  code_.Ins("setp.lt.f32", {use_small, a, Opnd::F32(0.5f)});
  code_.Ins("selp.f32", {mag, small, large2, use_small});
  code_.Ins("and.b32", {sign, x, Opnd::U64(0x80000000u)});
  code_.Ins("or.b32", {d, mag, sign});
  return d;
}

Reg Lowering::Fmod(Reg a, Reg b) {
  uses_fmod_ = true;
  const Reg d = NewReg(Repr::kF32);
  code_.Ins("call.uni", {Opnd::Args({d}), Opnd::Text("hrt_fmodf"), Opnd::Args({a, b})});
  return d;
}

}  // namespace hrt::ptx
