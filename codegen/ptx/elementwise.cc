// Elementwise ops on one element, table-driven where one instruction does
// the job. Semantics follow the interpreter (codegen/interp/elementwise.cc):
// integers wrap to their width, floats round to their dtype after every op,
// integer division truncates toward zero, float max/min propagate NaN and
// order -0 below +0, comparisons with NaN are false except ne.
#include <cstring>

#include "codegen/ir/dtype.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

using ir::DType;
using ir::OpCode;

// One-instruction binary ops: mnemonic per representation (nullptr: none).
struct BinaryRule {
  OpCode code;
  const char* i32;
  const char* i64;
  const char* f32;
  const char* pred;
};

constexpr BinaryRule kBinaryRules[] = {
    {OpCode::kAdd, "add.s32", "add.s64", "add.rn.f32", nullptr},
    {OpCode::kSub, "sub.s32", "sub.s64", "sub.rn.f32", nullptr},
    {OpCode::kMul, "mul.lo.s32", "mul.lo.s64", "mul.rn.f32", nullptr},
    {OpCode::kDiv, "div.s32", "div.s64", "div.rn.f32", nullptr},
    {OpCode::kRem, "rem.s32", "rem.s64", nullptr, nullptr},
    {OpCode::kMax, "max.s32", "max.s64", nullptr, "or.pred"},
    {OpCode::kMin, "min.s32", "min.s64", nullptr, "and.pred"},
    {OpCode::kAnd, "and.b32", "and.b64", nullptr, "and.pred"},
    {OpCode::kOr, "or.b32", "or.b64", nullptr, "or.pred"},
    {OpCode::kXor, "xor.b32", "xor.b64", nullptr, "xor.pred"},
};

const BinaryRule* FindBinary(OpCode code) {
  for (const BinaryRule& r : kBinaryRules) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

const char* CompareName(OpCode code, bool is_float) {
  switch (code) {
    case OpCode::kEq: return "eq";
    case OpCode::kNe: return is_float ? "neu" : "ne";  // NaN != x is true
    case OpCode::kLt: return "lt";
    case OpCode::kLe: return "le";
    case OpCode::kGt: return "gt";
    default: return "ge";
  }
}

bool FoldInt(OpCode code, DType t, int64_t a, int64_t b, int64_t* out) {
  const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  int64_t r = 0;
  switch (code) {
    case OpCode::kAdd: r = static_cast<int64_t>(ua + ub); break;
    case OpCode::kSub: r = static_cast<int64_t>(ua - ub); break;
    case OpCode::kMul: r = static_cast<int64_t>(ua * ub); break;
    case OpCode::kMax: r = a > b ? a : b; break;
    case OpCode::kMin: r = a < b ? a : b; break;
    case OpCode::kAnd: r = a & b; break;
    case OpCode::kOr: r = a | b; break;
    case OpCode::kXor: r = a ^ b; break;
    default: return false;  // div/rem: left to the device (division by zero)
  }
  *out = ir::WrapToInt(t, r);
  return true;
}

// Offsets of affine i32 values stay small so folding never overflows.
constexpr int64_t kMaxFoldedOffset = int64_t{1} << 30;

bool SmallOffset(int64_t v) {
  return v < kMaxFoldedOffset && v > -kMaxFoldedOffset;
}

float F32Of(Val v) {
  const auto bits = static_cast<uint32_t>(v.off);
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

Val Lowering::Normalize(DType t, Val x) {
  switch (t) {
    case DType::kF16:
    case DType::kBF16: {
      if (x.is_const()) return Val::F32Const(RoundedFloat(t, F32Of(x)));
      const Reg d = NewReg(Repr::kF32);
      if (t == DType::kF16) {
        const Reg h = code_.NewReg(RegClass::kB16);
        code_.Ins("cvt.rn.f16.f32", {h, x.reg});
        code_.Ins("cvt.f32.f16", {d, h});
      } else {
        // Both halves get the rounded value; the high one is the f32 bits.
        const Reg pair = NewReg(Repr::kI32);
        code_.Ins("cvt.rn.bf16x2.f32", {pair, x.reg, x.reg});
        code_.Ins("and.b32", {d, pair, Opnd::U64(0xFFFF0000u)});
      }
      return Val::Of(d);
    }
    case DType::kI8:
    case DType::kU8:
    case DType::kI16: {
      if (x.is_const()) return Val::Const(ir::WrapToInt(t, x.off));
      const Reg src = ToReg(x, Repr::kI32);
      const Reg d = NewReg(Repr::kI32);
      if (t == DType::kU8) {
        code_.Ins("and.b32", {d, src, Opnd::Imm(255)});
      } else {
        code_.Ins(t == DType::kI8 ? "cvt.s32.s8" : "cvt.s32.s16", {d, src});
      }
      return Val::Of(d);
    }
    default: return x;
  }
}

Reg Lowering::FloatMaxMin(bool is_max, Reg a, Reg b) {
  // max.NaN / min.NaN (sm_80+) already order -0 below +0: on an H100,
  // max(+0, -0) and max(-0, +0) both gave +0 and min gave -0 (a probe in
  // bench/results/2026-11-26-session7). One instruction per element matters
  // in reductions: the old equal-operand fix-up cost three more.
  const Reg d = NewReg(Repr::kF32);
  code_.Ins(is_max ? "max.NaN.f32" : "min.NaN.f32", {d, a, b});
  return d;
}

Val Lowering::Binary(OpCode code, DType t, Val a, Val b) {
  const Repr r = ReprOf(t);
  const BinaryRule* rule = FindBinary(code);
  if (r == Repr::kPred) {
    if (a.is_const() && b.is_const()) {
      int64_t v = 0;
      FoldInt(code, DType::kBool, a.off, b.off, &v);
      return Val::Const(v);
    }
    const Reg d = NewReg(r);
    code_.Ins(rule && rule->pred ? rule->pred : "and.pred", {d, O(a, r), O(b, r)});
    return Val::Of(d);
  }
  if (r != Repr::kF32) {
    if (a.is_const() && b.is_const()) {
      int64_t v = 0;
      if (FoldInt(code, t, a.off, b.off, &v)) return Val::Const(v);
    }
    // i32 (and i64) index arithmetic keeps constants as offsets, so iota
    // plus a scalar costs one instruction per thread, not one per element.
    if (t == DType::kI32 || t == DType::kI64) {
      if (code == OpCode::kAdd || code == OpCode::kSub) {
        const int64_t sign = code == OpCode::kAdd ? 1 : -1;
        if (b.is_const() && SmallOffset(b.off) && SmallOffset(a.off)) {
          return Val{a.reg, a.off + sign * b.off};
        }
        if (code == OpCode::kAdd && a.is_const() && SmallOffset(a.off) && SmallOffset(b.off)) {
          return Val{b.reg, b.off + a.off};
        }
        if (!a.is_const() && !b.is_const()) {
          const int64_t off = a.off + sign * b.off;
          if (SmallOffset(off)) {
            auto key = [](Reg x) { return (uint64_t{static_cast<uint8_t>(x.cls)} << 32) | x.id; };
            const std::array<uint64_t, 3> k = {static_cast<uint64_t>(code), key(a.reg), key(b.reg)};
            for (auto it = thread_.cse.rbegin(); it != thread_.cse.rend(); ++it) {
              auto hit = it->find(k);
              if (hit != it->end()) return Val{hit->second, off};
            }
            const Reg d = NewReg(r);
            code_.Ins(r == Repr::kI64 ? rule->i64 : rule->i32, {d, a.reg, b.reg});
            if (!thread_.cse.empty()) thread_.cse.back()[k] = d;
            return Val{d, off};
          }
        }
      }
      if (code == OpCode::kMul && b.is_const() && !a.is_const() && b.off != 0 &&
          SmallOffset(b.off) && a.off != 0 && SmallOffset(a.off * b.off)) {
        const Reg d = NewReg(r);
        code_.Ins(r == Repr::kI64 ? rule->i64 : rule->i32, {d, a.reg, O(b, r)});
        return Val{d, a.off * b.off};
      }
    }
    const Reg d = NewReg(r);
    code_.Ins(r == Repr::kI64 ? rule->i64 : rule->i32, {d, O(a, r), O(b, r)});
    return Normalize(t, Val::Of(d));
  }
  // Floats: computed in f32, rounded to the dtype.
  // A coarse sum with a constant +0 is its other operand. A loop lowered as
  // one trip adds every element to its accumulator's +0 init: 32 adds a pass
  // per thread at 8192 columns, and the +0 also kept a product from fusing
  // into the reduction's chain. Only a zero's sign changes (-0 + +0 is +0).
  if (coarse_ && code == OpCode::kAdd) {
    if (a.is_const() && a.off == 0 && !b.is_const()) return b;
    if (b.is_const() && b.off == 0 && !a.is_const()) return a;
  }
  const Reg ra = ToReg(a, r), rb = ToReg(b, r);
  Reg d;
  if (code == OpCode::kMax || code == OpCode::kMin) {
    d = FloatMaxMin(code == OpCode::kMax, ra, rb);
  } else if (code == OpCode::kRem) {
    d = Fmod(ra, rb);
  } else {
    d = NewReg(r);
    // A coarse value (precision.cc) drops .rn from add, sub and mul so that
    // ptxas may contract a product and a sum into one fma (one rounding
    // fewer); exact values keep the interpreter's two roundings.
    const bool contractible =
        coarse_ && (code == OpCode::kAdd || code == OpCode::kSub || code == OpCode::kMul);
    std::string op = rule->f32;
    if (contractible) op.erase(op.find(".rn"), 3);
    // Coarse quotients: div.full (<= 2 ulp, full range, subnormals kept)
    // instead of div.rn's longer sequence with its slow-path branch.
    if (coarse_ && code == OpCode::kDiv) op = "div.full.f32";
    code_.Ins(op, {d, ra, rb});
  }
  return Normalize(t, Val::Of(d));
}

Val Lowering::Compare(OpCode code, DType t, Val a, Val b) {
  const Repr r = ReprOf(t);
  if (r == Repr::kPred) {
    // On bool: false < true.
    const Reg pa = PredReg(a), pb = PredReg(b);
    const Reg d = NewReg(r);
    switch (code) {
      case OpCode::kEq:
      case OpCode::kNe: {
        const Reg x = code == OpCode::kEq ? NewReg(r) : d;
        code_.Ins("xor.pred", {x, pa, pb});
        if (code == OpCode::kEq) code_.Ins("not.pred", {d, x});
        break;
      }
      case OpCode::kLt:
      case OpCode::kLe:
      case OpCode::kGt:
      case OpCode::kGe: {
        const bool flip_a = code == OpCode::kLt || code == OpCode::kLe;
        const Reg n = NewReg(r);
        code_.Ins("not.pred", {n, flip_a ? pa : pb});
        const bool strict = code == OpCode::kLt || code == OpCode::kGt;
        code_.Ins(strict ? "and.pred" : "or.pred", {d, n, flip_a ? pb : pa});
        break;
      }
      default: break;
    }
    return Val::Of(d);
  }
  const Reg d = NewReg(Repr::kPred);
  const std::string op = std::string("setp.") + CompareName(code, r == Repr::kF32) + ArithType(r);
  code_.Ins(op, {d, O(a, r), O(b, r)});
  return Val::Of(d);
}

Val Lowering::Unary(OpCode code, DType t, Val x) {
  const Repr r = ReprOf(t);
  if (code == OpCode::kNot) {
    if (r == Repr::kPred) {
      if (x.is_const()) return Val::Const(x.off ? 0 : 1);
      const Reg d = NewReg(r);
      code_.Ins("not.pred", {d, x.reg});
      return Val::Of(d);
    }
    const Reg d = NewReg(r);
    code_.Ins(r == Repr::kI64 ? "not.b64" : "not.b32", {d, O(x, r)});
    return Normalize(t, Val::Of(d));
  }
  if (r != Repr::kF32) {  // neg, abs on integers
    const Reg d = NewReg(r);
    const char* op = code == OpCode::kNeg ? (r == Repr::kI64 ? "neg.s64" : "neg.s32")
                                          : (r == Repr::kI64 ? "abs.s64" : "abs.s32");
    code_.Ins(op, {d, ToReg(x, r)});
    return Normalize(t, Val::Of(d));
  }
  const Reg in = ToReg(x, r);
  Reg d;
  switch (code) {
    case OpCode::kNeg:
    case OpCode::kAbs:
    case OpCode::kSqrt:
      d = NewReg(r);
      // Coarse square roots: sqrt.approx (relative error <= 2^-23).
      code_.Ins(code == OpCode::kNeg   ? "neg.f32"
                : code == OpCode::kAbs ? "abs.f32"
                : coarse_              ? "sqrt.approx.f32"
                                       : "sqrt.rn.f32",
                {d, in});
      break;
    case OpCode::kExp: d = Exp(in); break;
    case OpCode::kExp2: d = Exp2(in); break;
    case OpCode::kLog: d = Log(in); break;
    case OpCode::kRsqrt: d = Rsqrt(in); break;
    case OpCode::kTanh: d = Tanh(in); break;
    case OpCode::kSigmoid: d = Sigmoid(in); break;
    default: d = Erf(in); break;
  }
  return Normalize(t, Val::Of(d));
}

Val Lowering::Select(DType t, Val c, Val a, Val b) {
  if (c.is_const()) return c.off ? a : b;
  const Repr r = ReprOf(t);
  if (r == Repr::kPred) {
    // (c & a) | (!c & b)
    const Reg pa = PredReg(a), pb = PredReg(b);
    const Reg x = NewReg(r), nc = NewReg(r), y = NewReg(r), d = NewReg(r);
    code_.Ins("and.pred", {x, c.reg, pa});
    code_.Ins("not.pred", {nc, c.reg});
    code_.Ins("and.pred", {y, nc, pb});
    code_.Ins("or.pred", {d, x, y});
    return Val::Of(d);
  }
  const Reg d = NewReg(r);
  const char* op = r == Repr::kI64 ? "selp.b64" : r == Repr::kF32 ? "selp.f32" : "selp.b32";
  code_.Ins(op, {d, O(a, r), O(b, r), c.reg});
  return Val::Of(d);
}

Val Lowering::Cast(DType from, DType to, Val x) {
  if (from == to) return x;
  const Repr rf = ReprOf(from), rt = ReprOf(to);
  // From bool.
  if (rf == Repr::kPred) {
    if (x.is_const()) {
      return rt == Repr::kF32 ? Val::F32Const(x.off ? 1.0f : 0.0f) : Val::Const(x.off ? 1 : 0);
    }
    const Reg d = NewReg(rt);
    if (rt == Repr::kF32) {
      code_.Ins("selp.f32", {d, Opnd::F32(1.0f), Opnd::F32(0.0f), x.reg});
    } else {
      code_.Ins(rt == Repr::kI64 ? "selp.u64" : "selp.u32", {d, Opnd::Imm(1), Opnd::Imm(0), x.reg});
    }
    return Val::Of(d);
  }
  // To bool: != 0 (NaN is true).
  if (rt == Repr::kPred) {
    const Reg d = NewReg(Repr::kPred);
    const char* op = rf == Repr::kF32   ? "setp.neu.f32"
                     : rf == Repr::kI64 ? "setp.ne.s64"
                                        : "setp.ne.s32";
    code_.Ins(op, {d, O(x, rf), rf == Repr::kF32 ? Opnd::F32(0.0f) : Opnd::Imm(0)});
    return Val::Of(d);
  }
  // Integer to integer: wrap.
  if (rf != Repr::kF32 && rt != Repr::kF32) {
    if (x.is_const()) return Val::Const(ir::WrapToInt(to, x.off));
    if (rf == Repr::kI32 && rt == Repr::kI64) {
      const Reg d = NewReg(rt);
      code_.Ins("cvt.s64.s32", {d, ToReg(x, rf)});
      return Val::Of(d);
    }
    Val v = x;
    if (rf == Repr::kI64) {
      const Reg d = NewReg(Repr::kI32);
      code_.Ins("cvt.u32.u64", {d, ToReg(x, rf)});
      v = Val::Of(d);
    }
    // A value already in the target's range needs no wrap.
    const bool fits = ir::DTypeSize(from) < ir::DTypeSize(to) &&
                      (ir::IsSignedInt(from) == ir::IsSignedInt(to) || from == DType::kU8);
    if (rf == Repr::kI32 && (fits || to == DType::kI32)) return v;
    return Normalize(to, v);
  }
  // Float to float: the value is exact in f32 already; narrowing rounds.
  if (rf == Repr::kF32 && rt == Repr::kF32) return Normalize(to, x);
  // Float to integer: truncate toward zero, saturate, NaN -> 0.
  if (rf == Repr::kF32) {
    const Reg src = ToReg(x, rf);
    Reg d = NewReg(rt);
    code_.Ins(rt == Repr::kI64 ? "cvt.rzi.s64.f32" : "cvt.rzi.s32.f32", {d, src});
    if (rt == Repr::kI64) {
      // The 64-bit conversion turns NaN into INT64_MIN; the interpreter's is 0.
      const Reg nan = NewReg(Repr::kPred), z = NewReg(rt);
      code_.Ins("setp.nan.f32", {nan, src, src});
      code_.Ins("selp.b64", {z, Opnd::Imm(0), d, nan});
      d = z;
    }
    if (to == DType::kI8 || to == DType::kU8 || to == DType::kI16) {
      const int64_t lo = to == DType::kI8 ? -128 : to == DType::kU8 ? 0 : -32768;
      const int64_t hi = to == DType::kI8 ? 127 : to == DType::kU8 ? 255 : 32767;
      const Reg a = NewReg(rt), b = NewReg(rt);
      code_.Ins("max.s32", {a, d, Opnd::Imm(lo)});
      code_.Ins("min.s32", {b, a, Opnd::Imm(hi)});
      return Val::Of(b);
    }
    return Val::Of(d);
  }
  // Integer to float, rounded once to nearest even.
  const Reg src = ToReg(x, rf);
  const char* it = rf == Repr::kI64 ? ".s64" : ".s32";
  const Reg d = NewReg(Repr::kF32);
  const bool wide = from == DType::kI32 || from == DType::kI64;
  if (to == DType::kF32 || !wide) {
    // Narrow integers are exact in f32; only the final rounding remains.
    code_.Ins(std::string("cvt.rn.f32") + it, {d, src});
    return Normalize(to, Val::Of(d));
  }
  // To f16/bf16 from a wide integer: truncate to f32 and set the sticky bit
  // when inexact (round to odd), so the rounding to the narrow type is the
  // only one that counts.
  code_.Ins(std::string("cvt.rz.f32") + it, {d, src});
  const Reg back = NewReg(rf);
  code_.Ins(std::string("cvt.rzi") + it + ".f32", {back, d});
  const Reg inexact = NewReg(Repr::kPred);
  code_.Ins(std::string("setp.ne") + it, {inexact, back, src});
  const Reg odd = NewReg(Repr::kF32);
  code_.Ins("or.b32", {odd, d, Opnd::Imm(1)});
  const Reg sticky = NewReg(Repr::kF32);
  code_.Ins("selp.f32", {sticky, odd, d, inexact});
  return Normalize(to, Val::Of(sticky));
}

}  // namespace hrt::ptx
