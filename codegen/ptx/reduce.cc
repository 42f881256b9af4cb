// Reductions along one axis. Sums of f16/bf16 accumulate in f32, integer
// sums wrap once at the end (equal to wrapping every step), float max/min
// keep the interpreter's NaN and signed-zero rules; slots past the tile's
// edge contribute the identity.
//
// A 1-D tile reduces to a scalar in three steps: each thread over its own
// slots in order, the warp with shfl.sync.bfly, then the warps' partials
// through shared memory (one barrier), which every thread combines in the
// same tree order so the scalar is uniform. Higher ranks go through shared
// memory: the tile is written row-major, then each thread walks the axis for
// its output slots.
#include <cstdint>
#include <limits>

#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

using ir::DType;
using ir::OpCode;

uint32_t Bytes(Repr r) {
  return r == Repr::kI64 ? 8 : r == Repr::kPred ? 1 : 4;
}

}  // namespace

Val Lowering::Identity(OpCode code, DType t) {
  if (ir::IsFloat(t)) {
    if (code == OpCode::kSum) return Val::F32Const(-0.0f);  // x + -0 == x, even for x = -0
    return Val::F32Const(code == OpCode::kReduceMax ? -std::numeric_limits<float>::infinity()
                                                    : std::numeric_limits<float>::infinity());
  }
  if (code == OpCode::kSum) return Val::Const(0);
  int64_t lo = 0, hi = 0;
  switch (t) {
    case DType::kBool: lo = 0, hi = 1; break;
    case DType::kI8: lo = INT8_MIN, hi = INT8_MAX; break;
    case DType::kU8: lo = 0, hi = UINT8_MAX; break;
    case DType::kI16: lo = INT16_MIN, hi = INT16_MAX; break;
    case DType::kI32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: lo = INT64_MIN, hi = INT64_MAX; break;
  }
  return Val::Const(code == OpCode::kReduceMax ? lo : hi);
}

Val Lowering::Combine(OpCode code, Repr r, Val a, Val b) {
  if (r == Repr::kPred) {
    const Reg d = NewReg(r);
    code_.Ins(code == OpCode::kReduceMax ? "or.pred" : "and.pred", {d, O(a, r), O(b, r)});
    return Val::Of(d);
  }
  if (r == Repr::kF32) {
    const Reg ra = ToReg(a, r), rb = ToReg(b, r);
    if (code == OpCode::kSum) {
      // A coarse sum (precision.cc) drops .rn so that ptxas may fuse the
      // product feeding it: a sum of squares is then one fma per slot.
      const Reg d = NewReg(r);
      code_.Ins(coarse_ ? "add.f32" : "add.rn.f32", {d, ra, rb});
      return Val::Of(d);
    }
    return Val::Of(FloatMaxMin(code == OpCode::kReduceMax, ra, rb));
  }
  const bool wide = r == Repr::kI64;
  const char* op = code == OpCode::kSum         ? (wide ? "add.s64" : "add.s32")
                   : code == OpCode::kReduceMax ? (wide ? "max.s64" : "max.s32")
                                                : (wide ? "min.s64" : "min.s32");
  const Reg d = NewReg(r);
  code_.Ins(op, {d, O(a, r), O(b, r)});
  return Val::Of(d);
}

// Adjacent pairs, then pairs of pairs: log2(n) dependent steps instead of
// n - 1, the latency every thread waits out after the barrier before the
// row's scalar exists (16 warps: 4 adds instead of 15). For float sums this
// is one more reassociation (the interpreter sums in double); the order is
// fixed, so every thread combining the same partials gets the same bits.
Val Lowering::TreeCombine(OpCode code, Repr r, std::vector<Val> vals) {
  while (vals.size() > 1) {
    std::vector<Val> next;
    for (size_t i = 0; i + 1 < vals.size(); i += 2)
      next.push_back(Combine(code, r, vals[i], vals[i + 1]));
    if (vals.size() % 2 != 0) next.push_back(vals.back());
    vals = std::move(next);
  }
  return vals[0];
}

Val Lowering::WarpReduce(OpCode code, Repr r, Val v, uint32_t lanes) {
  Val acc = v;
  for (uint32_t off = lanes / 2; off >= 1; off /= 2) {
    Val other;
    if (r == Repr::kI64) {
      const Reg x = ToReg(acc, r);
      const Reg lo = NewReg(Repr::kI32), hi = NewReg(Repr::kI32);
      const Reg lo2 = NewReg(Repr::kI32), hi2 = NewReg(Repr::kI32), o = NewReg(r);
      code_.Ins("mov.b64", {Opnd::Vec({lo, hi}), x});
      code_.Ins("shfl.sync.bfly.b32", {lo2, lo, Opnd::Imm(off), Opnd::Imm(31), Opnd::Imm(-1)});
      code_.Ins("shfl.sync.bfly.b32", {hi2, hi, Opnd::Imm(off), Opnd::Imm(31), Opnd::Imm(-1)});
      code_.Ins("mov.b64", {o, Opnd::Vec({lo2, hi2})});
      other = Val::Of(o);
    } else {
      const Reg o = NewReg(r);
      code_.Ins("shfl.sync.bfly.b32",
                {o, ToReg(acc, r), Opnd::Imm(off), Opnd::Imm(31), Opnd::Imm(-1)});
      other = Val::Of(o);
    }
    acc = Combine(code, r, acc, other);
  }
  return acc;
}

Status Lowering::LowerReduce(const ir::Op& op) {
  const ir::ValueId x = op.operands[0];
  const ir::ValueId result = op.results[0];
  const auto axis = static_cast<uint32_t>(op.ints[0]);
  const DType t = ElemType(x);
  const Shape xs = ShapeOf(TypeOf(x));
  const OpCode code = op.code;
  const ValueFacts& xf = an_->values[x];
  const LayoutId xl = xf.kind == ValueKind::kTile ? xf.layout : an_->Canonical(xs);
  HRT_ASSIGN_OR_RETURN(Vals vals, At(x, xl));
  const Layout& l = L(xl);
  const Val identity = Identity(code, t);
  const CoarseScope coarse(&coarse_, an_->values[result].coarse);

  if (xs.rank == 1) {
    // Booleans reduce as 0/1 integers: shuffles move 32-bit values.
    Repr r = ReprOf(t);
    Val id = identity;
    if (r == Repr::kPred) {
      for (Val& v : vals) v = Cast(DType::kBool, DType::kI32, v);
      r = Repr::kI32;
      id = Val::Const(identity.off);
    }
    // A thread's own slots combine in slot order: a chain ptxas can fuse
    // with the products feeding it when the sum is coarse (a sum of squares
    // is one fma per slot).
    // A tree here measured the same on the H100 (bench/results/
    // 2026-11-26-session9, first run against the second) and costs the
    // fusion; the warps' partials below have no products to fuse.
    Val acc;
    bool first = true;
    for (int64_t s = 0; s < l.slots; ++s) {
      Val v = vals[static_cast<size_t>(s)];
      const Val valid = SlotValid(xl, s);
      if (valid.is_const() && valid.off == 0) continue;
      if (!valid.is_const()) {
        const Reg d = NewReg(r);
        const char* sel = r == Repr::kI64 ? "selp.b64" : r == Repr::kF32 ? "selp.f32" : "selp.b32";
        code_.Ins(sel, {d, O(v, r), O(id, r), valid.reg});
        v = Val::Of(d);
      }
      acc = first ? v : Combine(code, r, acc, v);
      first = false;
    }
    if (first) acc = id;
    acc = WarpReduce(code, r, acc, 32);
    const uint32_t warps = an_->threads / 32;
    if (warps > 1) {
      const Region region = NextSmallRegion();
      const uint32_t esz = Bytes(r);
      UseRegion(region, warps * esz);
      const Reg tid = Tid();
      Reg slot_addr, lane0;
      {
        PrologueScope ps(&code_);
        const Reg warp = NewReg(Repr::kI32), lane = NewReg(Repr::kI32);
        code_.Ins("shr.u32", {warp, tid, Opnd::Imm(5)});
        code_.Ins("and.b32", {lane, tid, Opnd::Imm(31)});
        lane0 = NewReg(Repr::kPred);
        code_.Ins("setp.eq.u32", {lane0, lane, Opnd::Imm(0)});
        slot_addr = NewReg(Repr::kI32);
        code_.Ins("mad.lo.u32", {slot_addr, warp, Opnd::Imm(esz), SharedBase()});
      }
      const uint32_t offset = RegionOffset(region);
      StoreShared(r, slot_addr, offset, acc, Val::Of(lane0));
      Barrier();
      const Reg smem = SharedBase();
      std::vector<Val> parts;
      for (uint32_t w = 0; w < warps; ++w) {
        parts.push_back(LoadShared(r, smem, offset + w * esz, Val::Const(1)));
      }
      MarkDirty(region);
      acc = TreeCombine(code, r, std::move(parts));
    }
    if (ReprOf(t) == Repr::kPred) acc = Cast(DType::kI32, DType::kBool, acc);
    DefineUniform(result, Normalize(t, acc));
    return Status::Ok();
  }

  // Rank >= 2: through shared memory.
  const Repr r = ReprOf(t);
  const uint32_t esz = Bytes(r);
  const int64_t bytes = xs.numel() * esz;
  if (bytes > (int64_t{1} << 30)) return TooLarge();
  code_.Comment("reduction of " + ShapeString(xs) + " along axis " + std::to_string(axis));
  UseRegion(kBig, static_cast<uint32_t>(bytes));
  const auto xstride = RowMajorStrides(xs);
  auto bytes_of = [&](std::array<int64_t, 4> c) {
    for (int64_t& v : c) v *= esz;
    return c;
  };
  const Reg waddr = SharedAddr(xl, bytes_of(xstride), RegionOffset(kBig));
  for (int64_t s = 0; s < l.slots; ++s) {
    StoreShared(r, waddr, FlatOffset(xl, xstride, s) * esz, vals[static_cast<size_t>(s)],
                SlotValid(xl, s));
  }
  Barrier();
  const LayoutId rl = an_->values[result].layout;
  const Layout& out = L(rl);
  std::array<int64_t, 4> coef{};
  for (uint32_t d = 0; d + 1 < xs.rank; ++d) coef[d] = xstride[d < axis ? d : d + 1];
  const Reg raddr = SharedAddr(rl, bytes_of(coef), RegionOffset(kBig));
  const int64_t n = xs.dims[axis];
  const int64_t step = xstride[axis] * esz;
  const auto slots = static_cast<size_t>(out.slots);
  std::vector<Val> valid(slots);
  std::vector<int64_t> offs(slots);
  for (size_t s = 0; s < slots; ++s) {
    valid[s] = SlotValid(rl, static_cast<int64_t>(s));
    offs[s] = FlatOffset(rl, coef, static_cast<int64_t>(s)) * esz;
  }
  Vals acc(slots);
  if (n <= 16) {
    for (size_t s = 0; s < slots; ++s) {
      for (int64_t k = 0; k < n; ++k) {
        const Val v = LoadShared(r, raddr, offs[s] + k * step, valid[s]);
        acc[s] = k == 0 ? v : Combine(code, r, acc[s], v);
      }
    }
  } else {
    // A counted loop over the axis; accumulators live in fixed registers.
    const char* mov = r == Repr::kPred  ? "mov.pred"
                      : r == Repr::kI64 ? "mov.b64"
                      : r == Repr::kF32 ? "mov.f32"
                                        : "mov.b32";
    Regs fixed(slots);
    for (size_t s = 0; s < slots; ++s) {
      fixed[s] = NewReg(r);
      if (r == Repr::kPred) {
        code_.Ins("setp.ne.u32", {fixed[s], Opnd::Imm(identity.off), Opnd::Imm(0)});
      } else {
        code_.Ins(mov, {fixed[s], O(identity, r)});
      }
    }
    const Reg ptr = NewReg(Repr::kI32), k = NewReg(Repr::kI32), more = NewReg(Repr::kPred);
    code_.Ins("mov.b32", {ptr, raddr});
    code_.Ins("mov.b32", {k, Opnd::Imm(0)});
    const uint32_t top = code_.NewLabel();
    code_.Label(top);
    for (size_t s = 0; s < slots; ++s) {
      const Val v = LoadShared(r, ptr, offs[s], valid[s]);
      const Val c = Combine(code, r, Val::Of(fixed[s]), v);
      code_.Ins(mov, {fixed[s], ToReg(c, r)});
    }
    code_.Ins("add.s32", {ptr, ptr, Opnd::Imm(step)});
    code_.Ins("add.s32", {k, k, Opnd::Imm(1)});
    code_.Ins("setp.lt.s32", {more, k, Opnd::Imm(n)});
    code_.BranchIf(more, false, top, true);
    for (size_t s = 0; s < slots; ++s) acc[s] = Val::Of(fixed[s]);
  }
  MarkDirty(kBig);
  for (Val& v : acc) v = Normalize(t, v);
  return DefineTile(result, rl, std::move(acc));
}

}  // namespace hrt::ptx
