// Tile matrix products. Both operands are staged through shared memory:
// written by their producers' layouts (or copied straight from global memory
// when the operand is a load used only here), then read in the layout the
// product needs.
//
// f16/bf16 with shapes the warps can tile: mma.sync.m16n8k16 with f32
// accumulation. A and B are stored row-major with rows padded by 16 bytes
// (so the eight row addresses of an ldmatrix hit distinct banks); A
// fragments come from ldmatrix.x4, B fragments from ldmatrix.x4.trans (two
// 8-column tiles at once) or .x2.trans. The accumulator stays in the mma
// layout (layout.h), across loop iterations too.
//
// sm_90a, a pipelined f16/bf16 dot of WgmmaShape (analysis.h):
// wgmma.mma_async.m64nNk16 with both operands read from shared memory
// through matrix descriptors, see "wgmma" below.
//
// Everything else (f32 inputs, odd shapes): each thread computes its own
// output elements with separately rounded products and sums, in k order,
// exactly the interpreter's arithmetic.
#include <algorithm>
#include <cstring>
#include <map>

#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

using ir::DType;

uint32_t Align16(int64_t v) {
  return static_cast<uint32_t>((v + 15) & ~int64_t{15});
}

// wgmma's shared-memory layouts (see "wgmma" below).
constexpr int64_t kSwizzleRow = 128;                              // bytes per swizzled row
constexpr int64_t kSwizzleAtom = 1024;                            // 8 rows: the swizzle's period
constexpr uint32_t kDescHigh = (kSwizzleAtom >> 4) | (1u << 30);  // SBO, 128B swizzle

// How often |v| is an operand in |block| (nested blocks included).
int64_t UsesIn(const ir::Block& block, ir::ValueId v) {
  int64_t n = 0;
  for (const ir::Op& op : block.ops) {
    for (ir::ValueId o : op.operands) n += o == v;
    for (const ir::Block& r : op.regions) n += UsesIn(r, v);
  }
  return n;
}

const char* VecSuffix(int64_t n) {
  return n == 4 ? ".v4" : n == 2 ? ".v2" : "";
}

}  // namespace

Reg Lowering::LoadSharedF32(DType dtype, Reg addr, int64_t offset) {
  const Reg d = NewReg(Repr::kF32);
  if (dtype == DType::kF32) {
    code_.Ins("ld.shared.f32", {d, Opnd::Mem(addr, offset)});
    return d;
  }
  const Reg h = code_.NewReg(RegClass::kB16);
  code_.Ins("ld.shared.b16", {h, Opnd::Mem(addr, offset)});
  if (dtype == DType::kF16) {
    code_.Ins("cvt.f32.f16", {d, h});
  } else {
    const Reg w = NewReg(Repr::kI32);
    code_.Ins("cvt.u32.u16", {w, h});
    code_.Ins("shl.b32", {d, w, Opnd::Imm(16)});
  }
  return d;
}

Status Lowering::Stage(ir::ValueId v, DType dtype, uint32_t base, int64_t pitch) {
  const ValueFacts& f = an_->values[v];
  if (f.staged_load && f.def) {
    return StageLoad(*f.def, dtype, base, pitch, Reg{}, Val::Const(1), false);
  }
  return StageOperand(v, dtype, base, pitch);
}

Status Lowering::StageOperand(ir::ValueId v, DType dtype, uint32_t base, int64_t pitch) {
  const Shape shape = ShapeOf(TypeOf(v));
  const ValueFacts& f = an_->values[v];
  const LayoutId lay = f.kind == ValueKind::kTile ? f.layout : an_->Canonical(shape);
  HRT_ASSIGN_OR_RETURN(Vals vals, At(v, lay));
  const Layout& l = L(lay);
  const int64_t esz = ir::DTypeSize(dtype);
  const std::array<int64_t, 4> coef = {pitch, esz, 0, 0};
  const Reg addr = SharedAddr(lay, coef, base);
  const int64_t group = l.group;
  const int64_t chunk = std::min<int64_t>(group * esz, 16);
  const bool vector = group >= 2 && group * esz >= 4 && pitch % chunk == 0;
  const Repr r = Repr::kF32;
  for (int64_t g0 = 0; g0 < l.slots; g0 += vector ? group : 1) {
    // A group lies in one row and is entirely inside or outside the tile.
    const Val valid = SlotValid(lay, g0);
    if (valid.is_const() && valid.off == 0) continue;
    const Reg p = valid.is_const() ? Reg{} : valid.reg;
    const int64_t off = FlatOffset(lay, coef, g0);
    if (!vector) {
      const Val x = vals[static_cast<size_t>(g0)];
      if (dtype == DType::kF32) {
        code_.InsIf(p, false, "st.shared.f32", {Opnd::Mem(addr, off), ToReg(x, r)});
      } else {
        const Reg h = code_.NewReg(RegClass::kB16);
        code_.Ins(dtype == DType::kF16 ? "cvt.rn.f16.f32" : "cvt.rn.bf16.f32", {h, ToReg(x, r)});
        code_.InsIf(p, false, "st.shared.b16", {Opnd::Mem(addr, off), h});
      }
      continue;
    }
    Regs words;
    for (int64_t e = 0; e < group; e += (dtype == DType::kF32 ? 1 : 2)) {
      const Reg lo = ToReg(vals[static_cast<size_t>(g0 + e)], r);
      if (dtype == DType::kF32) {
        words.push_back(lo);
        continue;
      }
      const Reg hi = ToReg(vals[static_cast<size_t>(g0 + e + 1)], r);
      const Reg w = NewReg(Repr::kI32);
      code_.Ins(dtype == DType::kF16 ? "cvt.rn.f16x2.f32" : "cvt.rn.bf16x2.f32", {w, hi, lo});
      words.push_back(w);
    }
    for (size_t w0 = 0; w0 < words.size(); w0 += 4) {
      const size_t n = std::min<size_t>(4, words.size() - w0);
      const std::span<const Reg> part(words.data() + w0, n);
      const char* t = dtype == DType::kF32 ? ".f32" : ".b32";
      code_.InsIf(p, false, std::string("st.shared") + VecSuffix(static_cast<int64_t>(n)) + t,
                  {Opnd::Mem(addr, off + static_cast<int64_t>(w0) * 4),
                   n == 1 ? Opnd(part[0]) : Opnd::Vec(part)});
    }
  }
  return Status::Ok();
}

Status Lowering::StageLoad(const ir::Op& load, DType dtype, uint32_t base, int64_t pitch,
                           Reg stage_offset, Val pred, bool async, int64_t panel) {
  const auto pi = static_cast<uint32_t>(load.ints[0]);
  const bool has_mask = load.ints[1] == 1;
  const ir::Param& param = k_.params[pi];
  const uint32_t rank = param.rank;
  const Shape shape = ShapeOf(TypeOf(load.results[0]));
  const int64_t esz = ir::DTypeSize(dtype);
  const LayoutId lay = an_->layouts.Add(MakeBlocked(shape, copy_threads_, 16 / esz));
  const Layout& l = L(lay);
  const auto slots = static_cast<size_t>(l.slots);
  // Swizzled: a slot's offset from its thread's first slot is the plain
  // 128-byte-row offset (SwizzleFits), the swizzle lives in the base, one
  // per row offset modulo 8 that the thread's slots have (one when they
  // are whole 8-row atoms apart).
  const std::array<int64_t, 4> coef = {panel ? 128 : pitch, esz, 0, 0};
  std::array<Reg, 8> sbase{};
  auto row_class = [&](int64_t slot) { return panel ? l.SlotOffset(slot, 0) % 8 : 0; };
  for (int64_t s = 0; s < l.slots; ++s) {
    Reg& r = sbase[static_cast<size_t>(row_class(s))];
    if (r.valid()) continue;
    r = panel ? SwizzledAddr(lay, panel, base, row_class(s)) : SharedAddr(lay, coef, base);
    if (stage_offset.valid()) {
      const Reg a = NewReg(Repr::kI32);
      code_.Ins("add.s32", {a, r, stage_offset});
      r = a;
    }
  }
  // Slot |s|'s shared address: a base register and a constant offset.
  auto dst = [&](int64_t s, int64_t extra = 0) {
    const int64_t row = row_class(s);
    return Opnd::Mem(sbase[static_cast<size_t>(row)],
                     FlatOffset(lay, coef, s) - row * kSwizzleRow + extra);
  };
  const int64_t group = l.group;
  const bool vector = group >= 2 && group * esz >= 4 &&
                      coef[0] % std::min<int64_t>(group * esz, 16) == 0 &&
                      Contiguous(load, rank, shape.rank);
  // Interior tiles: unpredicated 16-byte copies at constant offsets, on one
  // uniform test (pipeline.cc); the per-element path below for the rest.
  // Only for the pipeline's copies, whose values are scoped to this call.
  uint32_t fast_done = 0;
  // The code after the fast path runs only for edge tiles: values it
  // computes must not be reused after it (by the other operand's copies).
  struct Scope {
    Lowering* l = nullptr;
    ~Scope() {
      if (!l) return;
      l->thread_.memo.pop_back();
      l->thread_.cse.pop_back();
    }
  } slow_scope;
  if (async && vector) {
    HRT_ASSIGN_OR_RETURN(const TileCopy tc, PlanTileCopy(load, lay, dtype, pred));
    if (!(tc.ok.is_const() && tc.ok.off == 0)) {
      const uint32_t slow = code_.NewLabel();
      fast_done = code_.NewLabel();
      if (!tc.ok.is_const()) code_.BranchIf(tc.ok.reg, true, slow, true);
      for (size_t g0 = 0; g0 < slots; g0 += static_cast<size_t>(group)) {
        int64_t imm = 0;
        const Reg a = TileCopyAddress(tc, load, lay, dtype, static_cast<int64_t>(g0), &imm);
        code_.Ins("cp.async.cg.shared.global",
                  {dst(static_cast<int64_t>(g0)), Opnd::Mem(a, imm), Opnd::Imm(16)});
      }
      if (tc.ok.is_const()) return Status::Ok();
      code_.Branch(fast_done, true);
      code_.Label(slow);
      thread_.memo.emplace_back();
      thread_.cse.emplace_back();
      slow_scope.l = this;
    }
  }
  std::vector<Vals> idx(rank, Vals(slots));
  std::vector<DType> idx_types(rank);
  for (uint32_t k = 0; k < rank; ++k) idx_types[k] = ElemType(load.operands[k]);
  Vals mask(slots, Val::Const(1));
  // The pipeline's copies compute each run's indices and mask where the
  // run is copied, not all up front: a tile's worth of live predicates
  // would cost registers the whole loop long (the fast path above being
  // the common one). Elsewhere the values may be shared with other uses.
  auto recomputable = [&](ir::ValueId v) {
    const ValueKind kind = an_->values[v].kind;
    return kind == ValueKind::kPure || kind == ValueKind::kUniform;
  };
  bool per_run = async;
  for (ir::ValueId v : load.operands) per_run = per_run && recomputable(v);
  if (!per_run) {
    for (uint32_t k = 0; k < rank; ++k) {
      HRT_ASSIGN_OR_RETURN(idx[k], At(load.operands[k], lay));
    }
    if (has_mask) {
      HRT_ASSIGN_OR_RETURN(mask, At(load.operands.back(), lay));
    }
  }
  auto run_values = [&](size_t g0, size_t n) -> Status {
    if (!per_run) return Status::Ok();
    Shape run;
    run.rank = shape.rank;
    for (uint32_t d = 0; d < shape.rank; ++d) run.dims[d] = 1;
    run.dims[shape.rank - 1] = static_cast<int64_t>(n);
    Coords at;
    at.layout = an_->layouts.Add(MakeBlocked(run, copy_threads_, static_cast<int64_t>(n)));
    if (L(at.layout).slots != static_cast<int64_t>(n)) return Internal("run layout");
    at.rank = shape.rank;
    at.selection = false;
    for (uint32_t d = 0; d < shape.rank; ++d) {
      const Val tb = ThreadBase(lay, d);
      at.explicit_dims[d].resize(n);
      for (size_t j = 0; j < n; ++j) {
        at.explicit_dims[d][j] =
            Val{tb.reg, tb.off + l.SlotOffset(static_cast<int64_t>(g0 + j), d)};
      }
    }
    for (uint32_t k = 0; k < rank; ++k) {
      HRT_ASSIGN_OR_RETURN(
          Vals v, Realize(load.operands[k], OperandCoords(at, shape.rank, load.operands[k])));
      for (size_t j = 0; j < n; ++j) idx[k][g0 + j] = v[j];
    }
    if (has_mask) {
      const ir::ValueId mv = load.operands.back();
      HRT_ASSIGN_OR_RETURN(Vals v, Realize(mv, OperandCoords(at, shape.rank, mv)));
      for (size_t j = 0; j < n; ++j) mask[g0 + j] = v[j];
    }
    return Status::Ok();
  };
  const float fill = RoundedFloat(dtype, load.fval);
  uint32_t fill_bits = 0;
  if (dtype == DType::kF16) {
    fill_bits = ir::FloatToHalf(fill);
  } else if (dtype == DType::kBF16) {
    fill_bits = ir::FloatToBF16(fill);
  } else {
    std::memcpy(&fill_bits, &fill, sizeof fill_bits);
  }
  const char* et = esz == 2 ? ".b16" : ".b32";
  const RegClass cls = esz == 2 ? RegClass::kB16 : RegClass::kB32;

  // |run| (when valid) is the address of the group's first element and
  // |j| this element's place in the group.
  auto element = [&](size_t s, Val active, Val valid, Reg run = Reg{}, int64_t j = 0) {
    if (valid.is_const() && valid.off == 0) return;
    const Reg v = code_.NewReg(cls);
    code_.Ins(esz == 2 ? "mov.b16" : "mov.b32", {v, Opnd::Imm(fill_bits)});
    if (!(active.is_const() && active.off == 0)) {
      Reg a = run;
      if (!run.valid()) {
        std::vector<Val> at(rank);
        for (uint32_t k = 0; k < rank; ++k) at[k] = idx[k][s];
        a = Address(pi, dtype, at, idx_types);
      } else if (j > 0) {
        a = NewReg(Repr::kI64);
        code_.Ins("mad.lo.s64", {a, ElementStep(pi, rank - 1, esz), Opnd::Imm(j), run});
      }
      code_.InsIf(active.is_const() ? Reg{} : active.reg, false, std::string("ld.global") + et,
                  {v, Opnd::Mem(a)});
    }
    code_.InsIf(valid.is_const() ? Reg{} : valid.reg, false, std::string("st.shared") + et,
                {dst(static_cast<int64_t>(s)), v});
  };

  for (size_t g0 = 0; g0 < slots; g0 += static_cast<size_t>(vector ? group : 1)) {
    const size_t n = static_cast<size_t>(vector ? group : 1);
    std::vector<Val> valid(n), active(n);
    if (per_run && vector) {
      // Edge tiles: one test per run (its mask at the run's extremes, see
      // AllTrue), cp.async when it holds, else element by element.
      valid[0] = And(SlotValid(lay, static_cast<int64_t>(g0)), pred);
      if (valid[0].is_const() && valid[0].off == 0) continue;
      Point origin;
      for (uint32_t d = 0; d < shape.rank; ++d) {
        const Val tb = ThreadBase(lay, d);
        origin[d] = Val{tb.reg, tb.off + l.SlotOffset(static_cast<int64_t>(g0), d)};
      }
      std::vector<Val> at(rank);
      for (uint32_t k = 0; k < rank; ++k) {
        HRT_ASSIGN_OR_RETURN(at[k], ValueAt(load.operands[k], shape.rank, origin));
      }
      const Reg a0 = Address(pi, dtype, at, idx_types);
      const int64_t bytes = group * esz;
      const Reg low = NewReg(Repr::kI64), aligned = NewReg(Repr::kPred);
      code_.Ins("and.b64", {low, a0, Opnd::Imm(std::min<int64_t>(bytes, 16) - 1)});
      code_.Ins("setp.eq.u64", {aligned, low, Opnd::Imm(0)});
      Val ok = And(Val::Of(aligned), Val::Of(StrideIsOne(pi, rank - 1)));
      if (has_mask) {
        Shape box;
        box.rank = shape.rank;
        for (uint32_t d = 0; d < shape.rank; ++d) box.dims[d] = 1;
        box.dims[shape.rank - 1] = static_cast<int64_t>(n);
        HRT_ASSIGN_OR_RETURN(const Val all, AllTrue(load.operands.back(), box, origin, 0));
        ok = And(ok, all);
      }
      ok = And(ok, valid[0]);
      if (!ok.is_const()) {
        for (int64_t c = 0; c * 16 < bytes; ++c) {
          const int64_t size = std::min<int64_t>(bytes - c * 16, 16);
          code_.InsIf(
              ok.reg, false, size == 16 ? "cp.async.cg.shared.global" : "cp.async.ca.shared.global",
              {dst(static_cast<int64_t>(g0), c * 16), Opnd::Mem(a0, c * 16), Opnd::Imm(size)});
        }
      }
      const uint32_t done = code_.NewLabel();
      if (!ok.is_const()) {
        const Reg slow = NewReg(Repr::kPred), skip = NewReg(Repr::kPred);
        code_.Ins("not.pred", {slow, ok.reg});
        const Val need = And(Val::Of(slow), valid[0]);
        if (need.is_const()) continue;  // never: valid[0] is true here
        code_.Ins("not.pred", {skip, need.reg});
        code_.BranchIf(skip, false, done, false);
      }
      // Conditional code: nothing it computes may be reused after it.
      thread_.memo.emplace_back();
      thread_.cse.emplace_back();
      Status st = run_values(g0, n);
      for (size_t j = 0; st.ok() && j < n; ++j) {
        valid[j] = And(SlotValid(lay, static_cast<int64_t>(g0 + j)), pred);
        active[j] = And(valid[j], mask[g0 + j]);
        element(g0 + j, active[j], valid[j], a0, static_cast<int64_t>(j));
      }
      thread_.memo.pop_back();
      thread_.cse.pop_back();
      HRT_RETURN_IF_ERROR(st);
      code_.Label(done);
      continue;
    }
    HRT_RETURN_IF_ERROR(run_values(g0, n));
    for (size_t j = 0; j < n; ++j) {
      valid[j] = And(SlotValid(lay, static_cast<int64_t>(g0 + j)), pred);
      active[j] = And(valid[j], mask[g0 + j]);
    }
    if (!vector) {
      element(g0, active[0], valid[0]);
      continue;
    }
    if (valid[0].is_const() && valid[0].off == 0) continue;
    std::vector<Val> at(rank);
    for (uint32_t k = 0; k < rank; ++k) at[k] = idx[k][g0];
    const Reg a0 = Address(pi, dtype, at, idx_types);
    const int64_t bytes = group * esz;
    const int64_t align = std::min<int64_t>(bytes, 16);
    const Reg low = NewReg(Repr::kI64);
    code_.Ins("and.b64", {low, a0, Opnd::Imm(align - 1)});
    const Reg aligned = NewReg(Repr::kPred);
    code_.Ins("setp.eq.u64", {aligned, low, Opnd::Imm(0)});
    Val ok = And(Val::Of(aligned), Val::Of(StrideIsOne(pi, rank - 1)));
    for (const Val& x : active) ok = And(ok, x);
    if (async) {
      // cp.async the whole run when it can; otherwise (edges, misaligned or
      // strided views) the synchronous element path below.
      for (int64_t c = 0; c * 16 < bytes; ++c) {
        const int64_t size = std::min<int64_t>(bytes - c * 16, 16);
        code_.InsIf(
            ok.reg, false, size == 16 ? "cp.async.cg.shared.global" : "cp.async.ca.shared.global",
            {dst(static_cast<int64_t>(g0), c * 16), Opnd::Mem(a0, c * 16), Opnd::Imm(size)});
      }
      const Reg slow = NewReg(Repr::kPred), skip = NewReg(Repr::kPred);
      code_.Ins("not.pred", {slow, ok.reg});
      const Val need = And(Val::Of(slow), valid[0]);
      const uint32_t done = code_.NewLabel();
      if (need.is_const()) {
        if (need.off == 0) continue;
      } else {
        code_.Ins("not.pred", {skip, need.reg});
        code_.BranchIf(skip, false, done, false);
      }
      for (size_t j = 0; j < n; ++j) {
        element(g0 + j, active[j], valid[j], a0, static_cast<int64_t>(j));
      }
      code_.Label(done);
      continue;
    }
    const uint32_t slow = code_.NewLabel(), done = code_.NewLabel();
    code_.BranchIf(ok.reg, true, slow, false);
    for (int64_t c = 0; c * 16 < bytes; ++c) {
      const int64_t words = std::min<int64_t>(bytes - c * 16, 16) / 4;
      const Regs w = code_.NewRegs(RegClass::kB32, static_cast<size_t>(words));
      const Opnd vec = words == 1 ? Opnd(w[0]) : Opnd::Vec(w);
      code_.Ins(std::string("ld.global") + VecSuffix(words) + ".b32", {vec, Opnd::Mem(a0, c * 16)});
      code_.Ins(std::string("st.shared") + VecSuffix(words) + ".b32",
                {dst(static_cast<int64_t>(g0), c * 16), vec});
    }
    code_.Branch(done, false);
    code_.Label(slow);
    for (size_t j = 0; j < n; ++j)
      element(g0 + j, active[j], valid[j], a0, static_cast<int64_t>(j));
    code_.Label(done);
  }
  if (fast_done) code_.Label(fast_done);
  return Status::Ok();
}

Status Lowering::LowerDot(const ir::Op& op) {
  const ir::ValueId result = op.results[0];
  const DType dt = ElemType(op.operands[0]);
  const LayoutId layout = an_->values[result].layout;
  const Layout& l = L(layout);
  Vals acc(static_cast<size_t>(l.slots), Val::F32Const(0.0f));
  if (op.operands.size() > 2) {
    HRT_ASSIGN_OR_RETURN(acc, At(op.operands[2], layout));
  }
  if (l.kind == Layout::Kind::kMma) return MmaDot(op, layout, dt, std::move(acc));
  return FmaDot(op, layout, dt, std::move(acc));
}

Status Lowering::MmaDot(const ir::Op& op, LayoutId layout, DType dt, Vals acc) {
  if (pipeline_ && pipeline_->dot == &op && pipeline_->wgmma) {
    return WgmmaDot(op, layout, dt, std::move(acc));
  }
  const Layout& l = L(layout);
  const int64_t m = l.shape.dims[0], n = l.shape.dims[1];
  const int64_t k = TypeOf(op.operands[0]).dims[1].value;
  const int64_t pitch_a = MmaPitchA(k), pitch_b = MmaPitchB(n);
  if (pipeline_ && pipeline_->dot == &op) {
    // Operands already in the current stage of the loop's ring (pipeline.cc).
    code_.Comment("dot on stage of the pipelined loop");
    const Reg stage = NewReg(Repr::kI32);
    code_.Ins("mul.lo.u32", {stage, pipeline_->slot, Opnd::Imm(pipeline_->stage_bytes)});
    const Reg a = NewReg(Repr::kI32), b = NewReg(Repr::kI32);
    code_.Ins("add.s32", {a, LdmatrixBase(layout, true, pitch_a, pipeline_->offset_a), stage});
    code_.Ins("add.s32", {b, LdmatrixBase(layout, false, pitch_b, pipeline_->offset_b), stage});
    return MmaCompute(op, layout, dt, std::move(acc), a, b);
  }
  const uint32_t off_a = RegionOffset(kBig);
  const uint32_t off_b = off_a + Align16(m * pitch_a);
  code_.Comment("dot [" + std::to_string(m) + ", " + std::to_string(k) + "] x [" +
                std::to_string(k) + ", " + std::to_string(n) + "] on mma.sync");
  UseRegion(kBig, Align16(m * pitch_a) + Align16(k * pitch_b));
  HRT_RETURN_IF_ERROR(Stage(op.operands[0], dt, off_a, pitch_a));
  HRT_RETURN_IF_ERROR(Stage(op.operands[1], dt, off_b, pitch_b));
  Barrier();
  HRT_RETURN_IF_ERROR(MmaCompute(op, layout, dt, std::move(acc),
                                 LdmatrixBase(layout, true, pitch_a, off_a),
                                 LdmatrixBase(layout, false, pitch_b, off_b)));
  MarkDirty(kBig);
  return Status::Ok();
}

Reg Lowering::LdmatrixBase(LayoutId layout, bool is_a, int64_t pitch, uint32_t offset) {
  const std::array<int64_t, 4> key = {layout, is_a ? 1 : 0, pitch, offset};
  auto it = thread_.ldmatrix_base.find(key);
  if (it != thread_.ldmatrix_base.end()) return it->second;
  const Layout& l = L(layout);
  const int64_t wtm = l.shape.dims[0] / l.warps_m, wtn = l.shape.dims[1] / l.warps_n;
  const Reg tid = Tid(), smem = SharedBase();
  PrologueScope ps(&code_);
  const Reg warp = NewReg(Repr::kI32), lane = NewReg(Repr::kI32);
  code_.Ins("shr.u32", {warp, tid, Opnd::Imm(5)});
  code_.Ins("and.b32", {lane, tid, Opnd::Imm(31)});
  const Reg r16 = NewReg(Repr::kI32), half = NewReg(Repr::kI32);
  code_.Ins("and.b32", {r16, lane, Opnd::Imm(15)});
  code_.Ins("shr.u32", {half, lane, Opnd::Imm(4)});
  const Reg w = NewReg(Repr::kI32), t0 = NewReg(Repr::kI32), t1 = NewReg(Repr::kI32);
  const Reg addr = NewReg(Repr::kI32);
  if (is_a) {
    // ldmatrix.x4 over A: lane l gives row wm*wtm + (l & 15), column 8*(l >> 4).
    code_.Ins("div.u32", {w, warp, Opnd::Imm(l.warps_n)});
    code_.Ins("mad.lo.u32", {t0, w, Opnd::Imm(wtm), r16});
    code_.Ins("mad.lo.u32", {t1, t0, Opnd::Imm(pitch), smem});
    code_.Ins("mad.lo.u32", {addr, half, Opnd::Imm(16), t1});
  } else {
    // ldmatrix.x4.trans over B (k-major rows): row l & 15, column
    // wn*wtn + 8*(l >> 4).
    code_.Ins("rem.u32", {w, warp, Opnd::Imm(l.warps_n)});
    code_.Ins("mad.lo.u32", {t0, w, Opnd::Imm(wtn * 2), smem});
    code_.Ins("mad.lo.u32", {t1, half, Opnd::Imm(16), t0});
    code_.Ins("mad.lo.u32", {addr, r16, Opnd::Imm(pitch), t1});
  }
  const Reg out = NewReg(Repr::kI32);
  code_.Ins("add.s32", {out, addr, Opnd::Imm(offset)});
  thread_.ldmatrix_base[key] = out;
  return out;
}

Status Lowering::MmaCompute(const ir::Op& op, LayoutId layout, DType dt, Vals acc, Reg addr_a,
                            Reg addr_b) {
  const Layout& l = L(layout);
  const int64_t n = l.shape.dims[1];
  const int64_t k = TypeOf(op.operands[0]).dims[1].value;
  const int64_t pitch_a = MmaPitchA(k), pitch_b = MmaPitchB(n);
  Regs cur(acc.size());
  for (size_t s = 0; s < acc.size(); ++s) cur[s] = ToReg(acc[s], Repr::kF32);
  uses_mma_ = true;
  const std::string mma = std::string("mma.sync.aligned.m16n8k16.row.col.f32.") +
                          (dt == DType::kF16 ? "f16.f16" : "bf16.bf16") + ".f32";
  const int64_t tiles_m = l.tiles_m, tiles_n = l.tiles_n;
  for (int64_t kk = 0; kk < k / 16; ++kk) {
    std::vector<Regs> a(static_cast<size_t>(tiles_m)), b(static_cast<size_t>(tiles_n));
    for (int64_t tm = 0; tm < tiles_m; ++tm) {
      Regs& f = a[static_cast<size_t>(tm)];
      f = code_.NewRegs(RegClass::kB32, 4);
      code_.Ins("ldmatrix.sync.aligned.m8n8.x4.shared.b16",
                {Opnd::Vec(f), Opnd::Mem(addr_a, tm * 16 * pitch_a + kk * 32)});
    }
    for (int64_t tn = 0; tn < tiles_n;) {
      const int64_t off = kk * 16 * pitch_b + tn * 16;
      if (tn + 1 < tiles_n) {
        const Regs f = code_.NewRegs(RegClass::kB32, 4);
        code_.Ins("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16",
                  {Opnd::Vec(f), Opnd::Mem(addr_b, off)});
        b[static_cast<size_t>(tn)] = {f[0], f[1]};
        b[static_cast<size_t>(tn + 1)] = {f[2], f[3]};
        tn += 2;
      } else {
        const Regs f = code_.NewRegs(RegClass::kB32, 2);
        code_.Ins("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16",
                  {Opnd::Vec(f), Opnd::Mem(addr_b, off)});
        b[static_cast<size_t>(tn)] = f;
        tn += 1;
      }
    }
    for (int64_t tm = 0; tm < tiles_m; ++tm) {
      for (int64_t tn = 0; tn < tiles_n; ++tn) {
        const auto s0 = static_cast<size_t>((tm * tiles_n + tn) * 4);
        const Regs d = code_.NewRegs(RegClass::kF32, 4);
        const Regs c = {cur[s0], cur[s0 + 1], cur[s0 + 2], cur[s0 + 3]};
        code_.Ins(mma, {Opnd::Vec(d), Opnd::Vec(a[static_cast<size_t>(tm)]),
                        Opnd::Vec(b[static_cast<size_t>(tn)]), Opnd::Vec(c)});
        for (size_t i = 0; i < 4; ++i) cur[s0 + i] = d[i];
      }
    }
    if (code_.size() > kMaxPtxBytes) return TooLarge();
  }
  Vals out(cur.size());
  for (size_t s = 0; s < cur.size(); ++s) out[s] = Val::Of(cur[s]);
  return DefineTile(op.results[0], layout, std::move(out));
}

//===----------------------------------------------------------------------===//
// wgmma (sm_90a)
//===----------------------------------------------------------------------===//
//
// Shared-memory layouts. Both operands use the 128-byte swizzle, the
// canonical wgmma layouts for 16-bit types (PTX ISA, "Shared Memory Matrix
// Layout"; in 16-byte units, as CUTLASS's make_gmma_desc writes them):
//
//   A [M][64], K-major:  ((8,m),2) : ((8,SBO),1)
//     row r of the tile is 128 contiguous bytes (K = 64 elements) at r * 128;
//     8 rows form a 1024-byte atom; atoms follow each other: SBO = 1024.
//     A wgmma reads K = 16 (32 bytes) of each row; the LBO (the K-direction
//     atom stride) is unused for swizzled K-major layouts and set to 1, as
//     CUTLASS does.
//   B [64][N], N-major (imm-trans-b = 1):  ((8,n),(8,k)) : ((1,LBO),(8,SBO))
//     the tile is cut into panels of 64 columns (128 bytes); panel p holds
//     the 64 K-rows of its columns, row k at k * 128: 8 K-rows form a
//     1024-byte atom, SBO = 1024 (the next 8 K-rows), and LBO = the panel
//     size, 64 * 128 = 8192 bytes (the next 64 columns along N).
//
// Both are written as one formula: element (r, c) of a tile with column
// panels of |panel| bytes has the plain offset
//   o = (c / 64) * panel + r * 128 + (c % 64) * 2
// (A has one panel), and lives at the swizzled offset
//   o ^ (((o >> 7) & 7) << 4)
// i.e. the 16-byte chunk index (bits 4-6) XOR the row within its 8-row atom
// (bits 7-9): CUTLASS's Swizzle<3,4,3> on byte addresses. The hardware
// applies the swizzle to absolute shared addresses, so every atom must
// start 1024-byte aligned: the ring starts at RingBase(), stages and
// operands are multiples of 1024 bytes apart, and the base offset field
// (bits 49-51) stays 0.
//
// Descriptors (64 bits; addresses and offsets in 16-byte units):
//   bits  0-13  start address >> 4
//   bits 16-29  leading dimension byte offset >> 4   (A: 1, B: 8192 >> 4)
//   bits 32-45  stride dimension byte offset >> 4    (1024 >> 4 = 64)
//   bits 49-51  base offset                          (0: atoms aligned)
//   bits 62-63  swizzle mode                         (1: 128-byte)
// so the high word is 64 | 1 << 30 for both operands. The k-th k16 step
// starts 32 bytes further along A's rows (start + 2: inside the first 128
// bytes, so the address bits 7-9 that the swizzle reads do not change and
// the base offset stays 0, as CUTLASS's and DeepGEMM's k advance does) and
// 16 rows further down B's panels (start + 2048 >> 4 = 128: whole atoms).
//
// The accumulator is the kMma layout with every warp along M (layout.h):
// wgmma's {d} register i of a warp is slot i.

bool Lowering::SwizzleFits(const Shape& shape, uint32_t threads, bool whole_atoms) const {
  if (shape.rank != 2) return false;
  const Layout l = MakeBlocked(shape, threads, 8);
  // One 16-byte run per thread and row (the run's chunk is swizzled as a
  // whole), no thread past the edge; |whole_atoms|: rows of consecutive
  // slots 8-row atoms apart (their offsets keep the swizzle: multiples of
  // 1024 bytes), else StageLoad keeps a swizzled base per row offset.
  return l.spt[1] == 8 && l.group == 8 && l.spt[0] == 1 && l.reps[1] == 1 &&
         l.tpc[1] * 8 == shape.dims[1] && (!whole_atoms || l.tpc[0] % 8 == 0) && l.AllSlotsValid();
}

Reg Lowering::RingBase() {
  if (ring_base_.valid()) return ring_base_;
  const Reg smem = SharedBase();
  PrologueScope ps(&code_);
  const Reg t = NewReg(Repr::kI32);
  ring_base_ = NewReg(Repr::kI32);
  code_.Ins("add.u32", {t, smem, Opnd::Imm(kSwizzleAtom - 1)});
  code_.Ins("and.b32", {ring_base_, t, Opnd::U64(0xFFFFFC00u)});  // -1024
  return ring_base_;
}

Reg Lowering::SwizzledAddr(LayoutId layout, int64_t panel, uint32_t base, int64_t row) {
  const std::array<int64_t, 4> key = {layout, panel, base, row};
  auto it = thread_.swizzled_addr.find(key);
  if (it != thread_.swizzled_addr.end()) return it->second;
  const Val row0 = ThreadBase(layout, 0), col = ThreadBase(layout, 1);
  const Reg ring = RingBase();
  PrologueScope ps(&code_);
  const Reg r = ToReg(Val{row0.reg, row0.off + row}, Repr::kI32), c = ToReg(col, Repr::kI32);
  const Reg p = NewReg(Repr::kI32), o = NewReg(Repr::kI32), o2 = NewReg(Repr::kI32);
  const Reg cl = NewReg(Repr::kI32), o3 = NewReg(Repr::kI32);
  code_.Ins("shr.u32", {p, c, Opnd::Imm(6)});
  code_.Ins("mul.lo.u32", {o, p, Opnd::Imm(panel)});
  code_.Ins("mad.lo.u32", {o2, r, Opnd::Imm(kSwizzleRow), o});
  code_.Ins("and.b32", {cl, c, Opnd::Imm(63)});
  code_.Ins("mad.lo.u32", {o3, cl, Opnd::Imm(2), o2});
  // o ^ (((o >> 7) & 7) << 4) == o ^ ((o >> 3) & 0x70)
  const Reg x = NewReg(Repr::kI32), xm = NewReg(Repr::kI32), sw = NewReg(Repr::kI32);
  code_.Ins("shr.u32", {x, o3, Opnd::Imm(3)});
  code_.Ins("and.b32", {xm, x, Opnd::Imm(0x70)});
  code_.Ins("xor.b32", {sw, o3, xm});
  const Reg a = NewReg(Repr::kI32), out = NewReg(Repr::kI32);
  code_.Ins("add.u32", {a, sw, ring});
  code_.Ins("add.u32", {out, a, Opnd::Imm(base)});
  thread_.swizzled_addr[key] = out;
  return out;
}

void Lowering::PlanWgmma(const ir::Op& loop, const ir::Op& dot, Pipeline* plan) {
  if (!an_->wgmma || plan->stages < 2) return;
  const Layout& l = L(an_->values[dot.results[0]].layout);
  if (l.kind != Layout::Kind::kMma || l.warps_n != 1 || l.tiles_m != 1) return;
  const Shape sa = ShapeOf(TypeOf(dot.operands[0])), sb = ShapeOf(TypeOf(dot.operands[1]));
  const int64_t m = l.shape.dims[0], k = sa.dims[1], n = l.shape.dims[1];
  if (!WgmmaShape(l.shape, plan->dtype, k, an_->threads)) return;
  // Warp-specialized: the producer warpgroup copies. Otherwise every
  // thread does, in whole swizzle atoms (the selection measured before
  // the producer's row offsets were supported).
  const bool ws = WarpRoles(bk_) == 2 && CanSpecialize(loop);
  const uint32_t copiers = ws ? kProducerThreads : an_->threads;
  if (!SwizzleFits(sa, copiers, !ws) || !SwizzleFits(sb, copiers, !ws)) return;
  plan->wgmma = true;
  plan->ws = ws;
  plan->panel_a = m * kSwizzleRow;  // K = 64: one panel
  plan->panel_b = k * kSwizzleRow;  // 64 K-rows of 64 columns
  plan->offset_a = 0;
  plan->offset_b = static_cast<uint32_t>(m * k * 2);  // a multiple of 1024
  plan->stage_bytes = plan->offset_b + k * n * 2;     // likewise
  plan->barriers = static_cast<uint32_t>(plan->stages * plan->stage_bytes);
  const ir::Block& body = loop.regions[0];
  const ir::Op& yield = body.ops.back();
  if (dot.operands.size() > 2 && yield.code == ir::OpCode::kYield) {
    for (size_t j = 0; j + 1 < body.args.size() && j < yield.operands.size(); ++j) {
      if (body.args[1 + j] == dot.operands[2] && yield.operands[j] == dot.results[0]) {
        plan->acc_in_place =
            UsesIn(body, dot.operands[2]) == 1 && UsesIn(body, dot.results[0]) == 1;
      }
    }
  }
  // One group in flight lets the tensor cores run through the next
  // iteration's barrier and copy issue, at the cost of one iteration of
  // copy lookahead (STAGES = 3: copies one iteration ahead, about a
  // thousand cycles of wgmma at 128x128x64 with two blocks per SM).
  plan->pending = plan->acc_in_place && plan->stages >= 3 ? 1 : 0;
  plan->lookahead = plan->stages - 1 - plan->pending;
  if (ws) {
    // The producer runs up to STAGES iterations ahead, gated by the empty
    // barriers: one group in flight costs no copy lookahead.
    plan->pending = plan->acc_in_place ? 1 : 0;
  }
}

Status Lowering::WgmmaDot(const ir::Op& op, LayoutId layout, DType dt, Vals acc) {
  const Pipeline& p = *pipeline_;
  const Layout& l = L(layout);
  const int64_t n = l.shape.dims[1];
  const int64_t k = TypeOf(op.operands[0]).dims[1].value;
  uses_mma_ = true;
  uses_wgmma_ = true;
  code_.Comment("dot on stage of the pipelined loop: wgmma m64n" + std::to_string(n) + "k16");
  // wgmma accumulates in place (its C and D are the same registers): a
  // fresh copy unless the registers are the carried accumulator's own.
  Regs d(acc.size());
  for (size_t s = 0; s < acc.size(); ++s) {
    const Val v = acc[s];
    bool own = p.acc_in_place && v.is_plain() && v.reg.cls == RegClass::kF32;
    for (size_t t = 0; own && t < s; ++t) own = !(d[t] == v.reg);
    if (own) {
      d[s] = v.reg;
    } else {
      d[s] = NewReg(Repr::kF32);
      code_.Ins("mov.f32", {d[s], O(v, Repr::kF32)});
    }
  }
  // Per thread, once: its warpgroup's 64 rows of A, the operands' bases.
  Reg base_a, base_b, high, scale_d;
  {
    const Reg tid = Tid(), ring = RingBase();
    PrologueScope ps(&code_);
    const Reg wg = NewReg(Repr::kI32), t = NewReg(Repr::kI32);
    base_a = NewReg(Repr::kI32);
    base_b = NewReg(Repr::kI32);
    high = NewReg(Repr::kI32);
    scale_d = NewReg(Repr::kPred);
    code_.Ins("shr.u32", {wg, tid, Opnd::Imm(7)});
    code_.Ins("mad.lo.u32", {t, wg, Opnd::Imm(64 * kSwizzleRow), ring});
    code_.Ins("add.u32", {base_a, t, Opnd::Imm(p.offset_a)});
    code_.Ins("add.u32", {base_b, ring, Opnd::Imm(p.offset_b)});
    code_.Ins("mov.b32", {high, Opnd::U64(kDescHigh)});
    // scale-d = true: D = A * B + D.
    code_.Ins("setp.ne.u32", {scale_d, Opnd::Imm(1), Opnd::Imm(0)});
  }
  const Reg stage = NewReg(Repr::kI32);
  code_.Ins("mul.lo.u32", {stage, p.slot, Opnd::Imm(p.stage_bytes)});
  auto descriptor = [&](Reg base, int64_t lbo) {
    const Reg a = NewReg(Repr::kI32), a4 = NewReg(Repr::kI32), lo = NewReg(Repr::kI32);
    const Reg desc = NewReg(Repr::kI64);
    code_.Ins("add.u32", {a, base, stage});
    code_.Ins("shr.u32", {a4, a, Opnd::Imm(4)});
    code_.Ins("or.b32", {lo, a4, Opnd::Imm((lbo >> 4) << 16)});
    code_.Ins("mov.b64", {desc, Opnd::Vec({lo, high})});
    return desc;
  };
  const Reg desc_a = descriptor(base_a, 16);  // LBO unused: 1 (16 bytes)
  const Reg desc_b = descriptor(base_b, p.panel_b);
  const std::string mma = "wgmma.mma_async.sync.aligned.m64n" + std::to_string(n) + "k16.f32." +
                          (dt == DType::kF16 ? "f16.f16" : "bf16.bf16");
  // Orders the accumulator registers' earlier writes (moves, the previous
  // iteration's group) before the wgmmas read them.
  code_.Ins("wgmma.fence.sync.aligned", {});
  for (int64_t kk = 0; kk < k / 16; ++kk) {
    Reg da = desc_a, db = desc_b;
    if (kk > 0) {
      da = NewReg(Repr::kI64);
      db = NewReg(Repr::kI64);
      code_.Ins("add.s64", {da, desc_a, Opnd::Imm(kk * 32 >> 4)});
      code_.Ins("add.s64", {db, desc_b, Opnd::Imm(kk * 16 * kSwizzleRow >> 4)});
    }
    // imm-scale-a = imm-scale-b = 1; imm-trans-a = 0 (A K-major),
    // imm-trans-b = 1 (B N-major).
    code_.Ins(mma, {Opnd::List(d), da, db, scale_d, Opnd::Imm(1), Opnd::Imm(1), Opnd::Imm(0),
                    Opnd::Imm(1)});
  }
  code_.Ins("wgmma.commit_group.sync.aligned", {});
  if (p.ws) {
    // The producer fills the ring; hand back the stage whose group is
    // known complete: the previous iteration's (one group in flight) or
    // this one's.
    code_.Ins("wgmma.wait_group.sync.aligned", {Opnd::Imm(p.pending)});
    if (p.pending == 0) {
      ReleaseStage(p, p.slot, Val::Const(1));
    } else {
      const Reg had = NewReg(Repr::kPred);
      code_.Ins("setp.ge.s32", {had, p.prev, Opnd::Imm(0)});
      ReleaseStage(p, p.prev, Val::Of(had));
    }
  } else {
    // The copies for a later iteration overlap this group (pipeline.cc).
    HRT_RETURN_IF_ERROR(IssueStage(p, p.issue, Val::Of(p.ahead), p.ahead_ok));
    code_.Ins("wgmma.wait_group.sync.aligned", {Opnd::Imm(p.pending)});
  }
  Vals out(d.size());
  for (size_t s = 0; s < d.size(); ++s) out[s] = Val::Of(d[s]);
  return DefineTile(op.results[0], layout, std::move(out));
}

Status Lowering::FmaDot(const ir::Op& op, LayoutId layout, DType dt, Vals acc) {
  const Layout& l = L(layout);
  const int64_t m = l.shape.dims[0], n = l.shape.dims[1];
  const int64_t k = TypeOf(op.operands[0]).dims[1].value;
  const int64_t esz = ir::DTypeSize(dt);
  // Threads past the tile's edge compute on rows and columns that are
  // allocated but never written: the staging areas cover the layout's reach.
  const int64_t reach_m = l.spt[0] * l.tpc[0] * l.reps[0];
  const int64_t reach_n = l.spt[1] * l.tpc[1] * l.reps[1];
  // A rows shifted by one bank, B rows kept 16-byte aligned.
  const int64_t pitch_a = k * esz + 4, pitch_b = reach_n * esz + 16;
  const uint32_t off_a = RegionOffset(kBig);
  const uint32_t off_b = off_a + Align16(reach_m * pitch_a);
  const int64_t total = int64_t{Align16(reach_m * pitch_a)} + Align16(k * pitch_b);
  if (total > (int64_t{1} << 30)) return TooLarge();
  code_.Comment("dot [" + std::to_string(m) + ", " + std::to_string(k) + "] x [" +
                std::to_string(k) + ", " + std::to_string(n) + "] with f32 FMA");
  UseRegion(kBig, static_cast<uint32_t>(total));
  HRT_RETURN_IF_ERROR(Stage(op.operands[0], dt, off_a, pitch_a));
  HRT_RETURN_IF_ERROR(Stage(op.operands[1], dt, off_b, pitch_b));
  Barrier();

  // Each thread's distinct rows and columns.
  std::map<int64_t, size_t> rows, cols;
  for (int64_t s = 0; s < l.slots; ++s) {
    rows.emplace(l.SlotOffset(s, 0), rows.size());
    cols.emplace(l.SlotOffset(s, 1), cols.size());
  }
  const Reg base_a = SharedAddr(layout, {pitch_a, 0, 0, 0}, off_a);
  const Reg base_b = SharedAddr(layout, {0, esz, 0, 0}, off_b);
  Regs sum(acc.size());
  for (size_t s = 0; s < acc.size(); ++s) {
    sum[s] = NewReg(Repr::kF32);
    code_.Ins("mov.f32", {sum[s], O(acc[s], Repr::kF32)});
  }
  // for k: sum += a[row][k] * b[k][col], each product and sum rounded.
  const int64_t unroll = k % 4 == 0 ? 4 : 1;
  const Reg pa = NewReg(Repr::kI32), pb = NewReg(Repr::kI32), kr = NewReg(Repr::kI32);
  const Reg more = NewReg(Repr::kPred);
  code_.Ins("mov.b32", {pa, base_a});
  code_.Ins("mov.b32", {pb, base_b});
  code_.Ins("mov.b32", {kr, Opnd::Imm(0)});
  const uint32_t top = code_.NewLabel();
  code_.Label(top);
  for (int64_t u = 0; u < unroll; ++u) {
    std::vector<Reg> av(rows.size()), bv(cols.size());
    for (const auto& [r, i] : rows) av[i] = LoadSharedF32(dt, pa, r * pitch_a + u * esz);
    for (const auto& [c, i] : cols) bv[i] = LoadSharedF32(dt, pb, c * esz + u * pitch_b);
    for (int64_t s = 0; s < l.slots; ++s) {
      const Reg p = NewReg(Repr::kF32);
      code_.Ins("mul.rn.f32", {p, av[rows[l.SlotOffset(s, 0)]], bv[cols[l.SlotOffset(s, 1)]]});
      code_.Ins("add.rn.f32", {sum[static_cast<size_t>(s)], sum[static_cast<size_t>(s)], p});
    }
  }
  code_.Ins("add.s32", {pa, pa, Opnd::Imm(unroll * esz)});
  code_.Ins("add.s32", {pb, pb, Opnd::Imm(unroll * pitch_b)});
  code_.Ins("add.s32", {kr, kr, Opnd::Imm(unroll)});
  code_.Ins("setp.lt.s32", {more, kr, Opnd::Imm(k)});
  code_.BranchIf(more, false, top, true);
  MarkDirty(kBig);
  Vals out(sum.size());
  for (size_t s = 0; s < sum.size(); ++s) out[s] = Val::Of(sum[s]);
  return DefineTile(op.results[0], layout, std::move(out));
}

}  // namespace hrt::ptx
