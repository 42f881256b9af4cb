// Values in a layout: operands, recomputation of pure tiles at any slots,
// moves between layouts (register renaming when the owners agree, shared
// memory otherwise), per-thread coordinates and the shared scratch.
#include <algorithm>
#include <bit>
#include <cstring>

#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

bool IsPow2(int64_t v) {
  return v > 0 && (v & (v - 1)) == 0;
}

int Log2(int64_t v) {
  return std::countr_zero(static_cast<uint64_t>(v));
}

uint32_t ReprBytes(Repr r) {
  switch (r) {
    case Repr::kPred: return 1;
    case Repr::kI64: return 8;
    default: return 4;
  }
}

}  // namespace

// ---- Operands -------------------------------------------------------------

Opnd Lowering::O(Val v, Repr r) {
  if (v.is_plain()) return v.reg;
  if (v.is_const()) {
    switch (r) {
      case Repr::kI32: return Opnd::Imm(static_cast<int32_t>(static_cast<uint32_t>(v.off)));
      case Repr::kI64: return Opnd::Imm(v.off);
      case Repr::kF32: {
        const auto bits = static_cast<uint32_t>(v.off);
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        return Opnd::F32(f);
      }
      case Repr::kPred: return ToReg(v, r);
    }
  }
  return ToReg(v, r);
}

Reg Lowering::ToReg(Val v, Repr r) {
  if (v.is_plain()) return v.reg;
  const Reg d = NewReg(r);
  if (v.is_const()) {
    switch (r) {
      case Repr::kPred: code_.Ins("setp.ne.u32", {d, Opnd::Imm(v.off != 0), Opnd::Imm(0)}); break;
      case Repr::kI64: code_.Ins("mov.b64", {d, Opnd::Imm(v.off)}); break;
      case Repr::kF32: code_.Ins("mov.f32", {d, O(v, r)}); break;
      default: code_.Ins("mov.b32", {d, O(v, r)}); break;
    }
    return d;
  }
  if (r == Repr::kI64) {
    code_.Ins("add.s64", {d, v.reg, Opnd::Imm(v.off)});
  } else {
    code_.Ins("add.s32", {d, v.reg, Opnd::Imm(static_cast<int32_t>(static_cast<uint32_t>(v.off)))});
  }
  return d;
}

Reg Lowering::PredReg(Val v) {
  return ToReg(v, Repr::kPred);
}

Val Lowering::And(Val a, Val b) {
  if (a.is_const()) return a.off ? b : a;
  if (b.is_const()) return b.off ? a : b;
  const Reg d = NewReg(Repr::kPred);
  code_.Ins("and.pred", {d, a.reg, b.reg});
  return Val::Of(d);
}

// ---- Prologue values -------------------------------------------------------

Reg Lowering::Tid() {
  if (!thread_.tid.valid()) {
    PrologueScope ps(&code_);
    thread_.tid = NewReg(Repr::kI32);
    code_.Ins("mov.u32", {thread_.tid, Opnd::Text("%tid.x")});
  }
  return thread_.tid;
}

Reg Lowering::IsThreadZero() {
  if (!thread_.thread_zero.valid()) {
    const Reg t = Tid();
    PrologueScope ps(&code_);
    thread_.thread_zero = NewReg(Repr::kPred);
    code_.Ins("setp.eq.u32", {thread_.thread_zero, t, Opnd::Imm(0)});
  }
  return thread_.thread_zero;
}

Reg Lowering::SharedBase() {
  if (!smem_base_.valid()) {
    PrologueScope ps(&code_);
    smem_base_ = NewReg(Repr::kI32);
    code_.Ins("mov.u32", {smem_base_, Opnd::Sym("hrt_smem", 0, false)});
  }
  return smem_base_;
}

Reg Lowering::ParamReg(uint32_t slot_index) {
  if (param_regs_.size() < params_.slots.size()) param_regs_.resize(params_.slots.size());
  Reg& r = param_regs_[slot_index];
  if (r.valid()) return r;
  const ParamSlot& s = params_.slots[slot_index];
  const std::string name = ParamSlotName(s);
  PrologueScope ps(&code_);
  std::string op = std::string("ld.param") + s.ptx_type;
  switch (s.role) {
    case ParamRole::kBase: {
      const Reg raw = code_.NewReg(RegClass::kB64);
      code_.Ins(op, {raw, Opnd::Sym(name.c_str())});
      r = code_.NewReg(RegClass::kB64);
      code_.Ins("cvta.to.global.u64", {r, raw});
      return r;
    }
    case ParamRole::kSize:
    case ParamRole::kStride: r = code_.NewReg(RegClass::kB64); break;
    default: {
      const ir::DType t = s.dtype;
      if (t == ir::DType::kF16 || t == ir::DType::kBF16) {
        r = code_.NewReg(RegClass::kB16);
      } else {
        r = code_.NewReg(RegClassOf(t == ir::DType::kBool ? Repr::kI32 : ReprOf(t)));
      }
      break;
    }
  }
  code_.Ins(op, {r, Opnd::Sym(name.c_str())});
  return r;
}

Reg Lowering::TensorBase(uint32_t param) {
  return ParamReg(params_.first_slot[param]);
}

Reg Lowering::TensorStride(uint32_t param, uint32_t dim) {
  return ParamReg(params_.first_slot[param] + 1 + k_.params[param].rank + dim);
}

Reg Lowering::StrideIsOne(uint32_t param, uint32_t dim) {
  auto it = stride_one_.find({param, dim});
  if (it != stride_one_.end()) return it->second;
  const Reg stride = TensorStride(param, dim);
  PrologueScope ps(&code_);
  const Reg p = NewReg(Repr::kPred);
  code_.Ins("setp.eq.s64", {p, stride, Opnd::Imm(1)});
  stride_one_[{param, dim}] = p;
  return p;
}

Val Lowering::ShapeSym(uint32_t sym) {
  auto it = shape_syms_.find(sym);
  if (it != shape_syms_.end()) return it->second;
  for (uint32_t p = 0; p < k_.params.size(); ++p) {
    const ir::Param& param = k_.params[p];
    if (param.kind != ir::ParamKind::kTensor) continue;
    for (uint32_t d = 0; d < param.rank; ++d) {
      if (param.dims[d] != sym) continue;
      const Reg size = ParamReg(params_.first_slot[p] + 1 + d);
      PrologueScope ps(&code_);
      const Reg r = NewReg(Repr::kI32);
      code_.Ins("cvt.u32.u64", {r, size});
      shape_syms_[sym] = Val::Of(r);
      return Val::Of(r);
    }
  }
  // A symbol no tensor uses cannot be set at launch; the verifier's
  // signature rules make this unreachable.
  return Val::Const(0);
}

Val Lowering::ThreadBase(LayoutId id, uint32_t dim) {
  auto it = thread_.thread_base.find({id, dim});
  if (it != thread_.thread_base.end()) return it->second;
  const Layout& l = L(id);
  Val out = Val::Const(0);
  const Reg tid = Tid();
  PrologueScope ps(&code_);
  auto shr = [&](Reg x, int64_t by) {
    if (by == 1) return x;
    const Reg d = NewReg(Repr::kI32);
    if (IsPow2(by)) {
      code_.Ins("shr.u32", {d, x, Opnd::Imm(Log2(by))});
    } else {
      code_.Ins("div.u32", {d, x, Opnd::Imm(by)});
    }
    return d;
  };
  auto mod = [&](Reg x, int64_t by) {
    const Reg d = NewReg(Repr::kI32);
    if (IsPow2(by)) {
      code_.Ins("and.b32", {d, x, Opnd::Imm(by - 1)});
    } else {
      code_.Ins("rem.u32", {d, x, Opnd::Imm(by)});
    }
    return d;
  };
  auto scale = [&](Reg x, int64_t by) {
    if (by == 1) return x;
    const Reg d = NewReg(Repr::kI32);
    if (IsPow2(by)) {
      code_.Ins("shl.b32", {d, x, Opnd::Imm(Log2(by))});
    } else {
      code_.Ins("mul.lo.u32", {d, x, Opnd::Imm(by)});
    }
    return d;
  };
  if (l.kind == Layout::Kind::kMma) {
    const Reg warp = shr(tid, 32);
    const Reg lane = mod(tid, 32);
    if (dim == 0) {
      const Reg g = shr(lane, 4);
      Reg w = l.warps_n > 1 ? shr(warp, l.warps_n) : warp;
      const Reg row0 = scale(w, l.shape.dims[0] / l.warps_m);
      const Reg d = NewReg(Repr::kI32);
      code_.Ins("add.s32", {d, row0, g});
      out = l.warps_m > 1 ? Val::Of(d) : Val::Of(g);
    } else {
      const Reg q = scale(mod(lane, 4), 2);
      if (l.warps_n > 1) {
        const Reg col0 = scale(mod(warp, l.warps_n), l.shape.dims[1] / l.warps_n);
        const Reg d = NewReg(Repr::kI32);
        code_.Ins("add.s32", {d, col0, q});
        out = Val::Of(d);
      } else {
        out = Val::Of(q);
      }
    }
  } else if (l.tpc[dim] > 1) {
    int64_t below = 1;
    for (uint32_t d = l.shape.rank; d-- > dim + 1;) below *= l.tpc[d];
    Reg q = shr(tid, below);
    if (below * l.tpc[dim] < static_cast<int64_t>(l.threads)) q = mod(q, l.tpc[dim]);
    out = Val::Of(scale(q, l.spt[dim]));
  }
  thread_.thread_base[{id, dim}] = out;
  return out;
}

Val Lowering::SlotValid(LayoutId id, int64_t slot) {
  const Layout& l = L(id);
  if (l.SlotAlwaysValid(slot)) return Val::Const(1);
  auto it = thread_.slot_valid.find({id, slot});
  if (it != thread_.slot_valid.end()) return it->second;
  Val p = Val::Const(1);
  for (uint32_t d = 0; d < l.shape.rank; ++d) {
    const int64_t off = l.SlotOffset(slot, d);
    if (off + (l.tpc[d] - 1) * l.spt[d] < l.shape.dims[d]) continue;
    if (off >= l.shape.dims[d]) {
      p = Val::Const(0);
      break;
    }
    const Val base = ThreadBase(id, d);
    PrologueScope ps(&code_);
    const Reg pd = NewReg(Repr::kPred);
    code_.Ins("setp.lt.s32",
              {pd, O(Val::Of(base.reg), Repr::kI32), Opnd::Imm(l.shape.dims[d] - off - base.off)});
    p = And(p, Val::Of(pd));
  }
  thread_.slot_valid[{id, slot}] = p;
  return p;
}

int64_t Lowering::FlatOffset(LayoutId id, const std::array<int64_t, 4>& coef, int64_t slot) {
  const Layout& l = L(id);
  int64_t flat = 0;
  for (uint32_t d = 0; d < l.shape.rank; ++d) flat += coef[d] * l.SlotOffset(slot, d);
  return flat;
}

Val Lowering::FlatBase(LayoutId id, const std::array<int64_t, 4>& coef, int64_t scale) {
  // A per-thread value: scale * sum(coef[d] * ThreadBase(d)).
  const std::array<int64_t, 6> key = {id, coef[0], coef[1], coef[2], coef[3], scale};
  auto it = thread_.flat_base.find(key);
  if (it != thread_.flat_base.end()) return it->second;
  const Layout& l = L(id);
  Val acc = Val::Const(0);
  for (uint32_t d = 0; d < l.shape.rank; ++d) {
    if (coef[d] == 0) continue;
    const Val b = ThreadBase(id, d);
    PrologueScope ps(&code_);
    acc.off += b.off * coef[d] * scale;
    if (b.is_const()) continue;
    const Reg t = NewReg(Repr::kI32);
    if (acc.reg.valid()) {
      code_.Ins("mad.lo.s32", {t, b.reg, Opnd::Imm(coef[d] * scale), acc.reg});
    } else {
      code_.Ins("mul.lo.s32", {t, b.reg, Opnd::Imm(coef[d] * scale)});
    }
    acc.reg = t;
  }
  thread_.flat_base[key] = acc;
  return acc;
}

Reg Lowering::SharedAddr(LayoutId id, const std::array<int64_t, 4>& coef, int64_t offset) {
  const std::array<int64_t, 6> key = {id, coef[0], coef[1], coef[2], coef[3], offset};
  auto it = thread_.shared_addr.find(key);
  if (it != thread_.shared_addr.end()) return it->second;
  const Val base = FlatBase(id, coef, 1);
  const Reg smem = SharedBase();
  PrologueScope ps(&code_);
  const Reg a = NewReg(Repr::kI32);
  code_.Ins("add.s32", {a, smem, O(Val{base.reg, base.off + offset}, Repr::kI32)});
  thread_.shared_addr[key] = a;
  return a;
}

// ---- Shared scratch --------------------------------------------------------

uint32_t Lowering::RegionOffset(Region r) const {
  return pipe_bytes_ + (r == kBig ? 2 * small_region_bytes_ : r * small_region_bytes_);
}

Lowering::Region Lowering::NextSmallRegion() {
  next_small_ ^= 1;
  return next_small_ ? kSmall0 : kSmall1;
}

void Lowering::Barrier() {
  code_.BarSync(barrier_threads_);
  dirty_.fill(false);
}

void Lowering::UseRegion(Region r, uint32_t bytes) {
  if (dirty_[r]) Barrier();
  if (r == kBig) {
    big_bytes_ = std::max(big_bytes_, (bytes + 15u) & ~15u);
  } else {
    small_used_ = true;
  }
}

uint32_t Lowering::shared_bytes() const {
  if (big_bytes_ > 0) return pipe_bytes_ + 2 * small_region_bytes_ + big_bytes_;
  return pipe_bytes_ + (small_used_ ? 2 * small_region_bytes_ : 0);
}

void Lowering::StoreShared(Repr r, Reg addr, int64_t offset, Val v, Val pred) {
  if (pred.is_const() && pred.off == 0) return;
  const Reg p = pred.is_const() ? Reg{} : pred.reg;
  if (r == Repr::kPred) {
    const Reg b = NewReg(Repr::kI32);
    if (v.is_const()) {
      code_.Ins("mov.b32", {b, Opnd::Imm(v.off != 0)});
    } else {
      code_.Ins("selp.u32", {b, Opnd::Imm(1), Opnd::Imm(0), v.reg});
    }
    code_.InsIf(p, false, "st.shared.u8", {Opnd::Mem(addr, offset), b});
    return;
  }
  const char* op = r == Repr::kI64   ? "st.shared.b64"
                   : r == Repr::kF32 ? "st.shared.f32"
                                     : "st.shared.b32";
  code_.InsIf(p, false, op, {Opnd::Mem(addr, offset), ToReg(v, r)});
}

Val Lowering::LoadShared(Repr r, Reg addr, int64_t offset, Val pred) {
  if (pred.is_const() && pred.off == 0) return r == Repr::kPred ? Val::Const(0) : Val::Const(0);
  const Reg p = pred.is_const() ? Reg{} : pred.reg;
  if (r == Repr::kPred) {
    const Reg b = NewReg(Repr::kI32);
    if (p.valid()) code_.Ins("mov.b32", {b, Opnd::Imm(0)});
    code_.InsIf(p, false, "ld.shared.u8", {b, Opnd::Mem(addr, offset)});
    const Reg d = NewReg(Repr::kPred);
    code_.Ins("setp.ne.u32", {d, b, Opnd::Imm(0)});
    return Val::Of(d);
  }
  const Reg d = NewReg(r);
  const char* op = r == Repr::kI64   ? "ld.shared.b64"
                   : r == Repr::kF32 ? "ld.shared.f32"
                                     : "ld.shared.b32";
  code_.InsIf(p, false, op, {d, Opnd::Mem(addr, offset)});
  return Val::Of(d);
}

// ---- Values at slots -------------------------------------------------------

Val Lowering::Uniform(ir::ValueId v) {
  return values_[v].uniform;
}

Val Lowering::CoordAt(const Coords& c, uint32_t dim, int64_t slot) {
  if (!c.selection) return c.explicit_dims[dim][static_cast<size_t>(slot)];
  const int8_t s = c.sel[dim];
  if (s < 0) return Val::Const(0);
  const Val base = ThreadBase(c.layout, static_cast<uint32_t>(s));
  return Val{base.reg, base.off + L(c.layout).SlotOffset(slot, static_cast<uint32_t>(s))};
}

Lowering::Coords Lowering::OperandCoords(const Coords& c, uint32_t result_rank,
                                         ir::ValueId operand) {
  const ir::Type& t = TypeOf(operand);
  Coords out;
  out.layout = c.layout;
  out.rank = t.rank;
  out.selection = c.selection;
  const size_t slots = static_cast<size_t>(L(c.layout).slots);
  for (uint32_t i = 0; i < t.rank; ++i) {
    const uint32_t d = result_rank - t.rank + i;
    const bool broadcast = t.dims[i].value == 1;
    if (c.selection) {
      out.sel[i] = broadcast ? int8_t{-1} : c.sel[d];
    } else {
      out.explicit_dims[i] = broadcast ? Vals(slots, Val::Const(0)) : c.explicit_dims[d];
    }
  }
  return out;
}

Result<Vals> Lowering::At(ir::ValueId v, LayoutId layout) {
  const ValueFacts& f = an_->values[v];
  const Layout& l = L(layout);
  const size_t slots = static_cast<size_t>(l.slots);
  const ir::Type& t = TypeOf(v);
  if (t.rank > l.shape.rank) return Internal("value of higher rank than its consumer");
  switch (f.kind) {
    case ValueKind::kUniform: return Vals(slots, Uniform(v));
    case ValueKind::kPure: {
      Coords c;
      c.layout = layout;
      c.rank = t.rank;
      for (uint32_t i = 0; i < t.rank; ++i) {
        const uint32_t d = l.shape.rank - t.rank + i;
        c.sel[i] = t.dims[i].value == 1 ? int8_t{-1} : static_cast<int8_t>(d);
      }
      return Realize(v, c);
    }
    default: break;
  }
  const ValueState& s = values_[v];
  if (!s.defined || s.tile < 0) return Internal("value used before it is defined");
  const Tile& tile = tiles_[static_cast<size_t>(s.tile)];
  std::array<int64_t, 4> coef{};
  for (uint32_t i = 0; i < t.rank; ++i) {
    if (t.dims[i].value != 1) coef[l.shape.rank - t.rank + i] = s.coef[i];
  }
  if (tile.layout == layout && tile.shape == l.shape && coef == RowMajorStrides(l.shape)) {
    return tile.vals;
  }
  return Convert(s.tile, layout, coef);
}

Result<Vals> Lowering::Realize(ir::ValueId v, const Coords& at) {
  const ValueFacts& f = an_->values[v];
  const size_t slots = static_cast<size_t>(L(at.layout).slots);
  if (f.kind == ValueKind::kUniform) return Vals(slots, Uniform(v));
  if (f.kind != ValueKind::kPure || !f.def) return Internal("recomputing a value that is not pure");
  MemoKey key{};
  if (at.selection) {
    key[0] = 1;
    key[1] = (int64_t{v} << 32) | at.layout;
    for (uint32_t i = 0; i < ir::kMaxRank; ++i) key[2 + i] = i < at.rank ? at.sel[i] : -2;
    for (auto it = thread_.memo.rbegin(); it != thread_.memo.rend(); ++it) {
      auto hit = it->find(key);
      if (hit != it->end()) return hit->second;
    }
  }
  const ir::Op& op = *f.def;
  const ir::Type& t = TypeOf(v);
  Vals out(slots);
  auto remap = [&](const std::array<int, ir::kMaxRank>& from, uint32_t rank) {
    Coords c;
    c.layout = at.layout;
    c.rank = rank;
    c.selection = at.selection;
    for (uint32_t i = 0; i < rank; ++i) {
      if (at.selection) {
        c.sel[i] = from[i] < 0 ? int8_t{-1} : at.sel[static_cast<size_t>(from[i])];
      } else {
        c.explicit_dims[i] = from[i] < 0 ? Vals(slots, Val::Const(0))
                                         : at.explicit_dims[static_cast<size_t>(from[i])];
      }
    }
    return c;
  };
  switch (op.code) {
    case ir::OpCode::kIota:
      for (size_t s = 0; s < slots; ++s) out[s] = CoordAt(at, 0, static_cast<int64_t>(s));
      break;
    case ir::OpCode::kBroadcast: {
      const ir::ValueId x = op.operands[0];
      HRT_ASSIGN_OR_RETURN(out, Realize(x, OperandCoords(at, t.rank, x)));
      break;
    }
    case ir::OpCode::kExpandDims: {
      const ir::ValueId x = op.operands[0];
      const auto axis = static_cast<uint32_t>(op.ints[0]);
      std::array<int, ir::kMaxRank> from{};
      for (uint32_t i = 0; i < TypeOf(x).rank; ++i)
        from[i] = static_cast<int>(i < axis ? i : i + 1);
      HRT_ASSIGN_OR_RETURN(out, Realize(x, remap(from, TypeOf(x).rank)));
      break;
    }
    case ir::OpCode::kTranspose: {
      const ir::ValueId x = op.operands[0];
      std::array<int, ir::kMaxRank> from{};
      for (uint32_t d = 0; d < t.rank; ++d)
        from[static_cast<size_t>(op.ints[d])] = static_cast<int>(d);
      HRT_ASSIGN_OR_RETURN(out, Realize(x, remap(from, t.rank)));
      break;
    }
    case ir::OpCode::kReshape: {
      // Flatten the result coordinates, unflatten into the source shape.
      const ir::ValueId x = op.operands[0];
      const ir::Type& xt = TypeOf(x);
      const Shape rs = ShapeOf(t), xs = ShapeOf(xt);
      const auto rstride = RowMajorStrides(rs), xstride = RowMajorStrides(xs);
      Coords c;
      c.layout = at.layout;
      c.rank = xt.rank;
      c.selection = false;
      for (uint32_t i = 0; i < xt.rank; ++i) c.explicit_dims[i].resize(slots);
      for (size_t s = 0; s < slots; ++s) {
        Val flat = Val::Const(0);
        for (uint32_t d = 0; d < t.rank; ++d) {
          const Val cd = CoordAt(at, d, static_cast<int64_t>(s));
          flat = Binary(ir::OpCode::kAdd, ir::DType::kI32, flat,
                        Binary(ir::OpCode::kMul, ir::DType::kI32, cd, Val::Const(rstride[d])));
        }
        for (uint32_t i = 0; i < xt.rank; ++i) {
          Val q = flat;
          if (flat.is_const()) {
            q = Val::Const((flat.off / xstride[i]) % xs.dims[i]);
          } else {
            const Reg fr = ToReg(flat, Repr::kI32);
            Reg cur = fr;
            if (xstride[i] > 1) {
              cur = NewReg(Repr::kI32);
              if (IsPow2(xstride[i])) {
                code_.Ins("shr.u32", {cur, fr, Opnd::Imm(Log2(xstride[i]))});
              } else {
                code_.Ins("div.u32", {cur, fr, Opnd::Imm(xstride[i])});
              }
            }
            if (i > 0) {
              const Reg m = NewReg(Repr::kI32);
              if (IsPow2(xs.dims[i])) {
                code_.Ins("and.b32", {m, cur, Opnd::Imm(xs.dims[i] - 1)});
              } else {
                code_.Ins("rem.u32", {m, cur, Opnd::Imm(xs.dims[i])});
              }
              cur = m;
            }
            q = Val::Of(cur);
          }
          c.explicit_dims[i][s] = q;
        }
      }
      HRT_ASSIGN_OR_RETURN(out, Realize(x, c));
      break;
    }
    default: {
      const ir::OpInfo* info = ir::GetOpInfo(op.code);
      if (!info) return Internal("unknown op");
      std::vector<Vals> in;
      for (ir::ValueId o : op.operands) {
        HRT_ASSIGN_OR_RETURN(Vals vo, Realize(o, OperandCoords(at, t.rank, o)));
        in.push_back(std::move(vo));
      }
      const ir::DType rt = ElemType(v);
      const ir::DType it = op.operands.empty() ? rt : ElemType(op.operands.back());
      const CoarseScope coarse(&coarse_, an_->values[v].coarse);
      const auto run = static_cast<size_t>(ConstantRun(op, at));
      for (size_t s = 0; s < slots; ++s) {
        if (s % run != 0) {
          out[s] = out[s - s % run];
          continue;
        }
        switch (info->cls) {
          case ir::OpClass::kBinary: out[s] = Binary(op.code, rt, in[0][s], in[1][s]); break;
          case ir::OpClass::kCompare: out[s] = Compare(op.code, it, in[0][s], in[1][s]); break;
          case ir::OpClass::kUnary: out[s] = Unary(op.code, rt, in[0][s]); break;
          case ir::OpClass::kSelect: out[s] = Select(rt, in[0][s], in[1][s], in[2][s]); break;
          case ir::OpClass::kCast: out[s] = Cast(ElemType(op.operands[0]), rt, in[0][s]); break;
          default: return Internal(std::string("op '") + info->name + "' is not pure");
        }
      }
      break;
    }
  }
  if (code_.size() > kMaxPtxBytes) return TooLarge();
  if (at.selection && !thread_.memo.empty()) thread_.memo.back()[key] = out;
  return out;
}

int64_t Lowering::ConstantRun(const ir::Op& op, const Coords& at) {
  // `index < bound` with the index stepping by +1 along the last dim and the
  // bound constant along it, both multiples of the layout's run length at
  // each run's first slot (GroupAligned; the launch's Assumptions supply the
  // shape symbols' divisibility): a run lies entirely below or entirely at
  // or above the bound, so its first slot's compare is every slot's. The
  // row kernels' `cols < n` masks then cost one setp per 16-byte run.
  if (op.code != ir::OpCode::kLt || !at.selection) return 1;
  const Layout& l = L(at.layout);
  const uint32_t rank = TypeOf(op.results[0]).rank;
  if (l.kind != Layout::Kind::kBlocked || l.group < 2 || rank == 0) return 1;
  const uint32_t last = l.shape.rank - 1;
  if (at.sel[rank - 1] != static_cast<int8_t>(last) || l.spt[last] % l.group != 0) return 1;
  if (!MonotoneCompare(op, rank) || !GroupAligned(*an_, k_, op.operands[0], rank, l.group) ||
      !GroupAligned(*an_, k_, op.operands[1], rank, l.group)) {
    return 1;
  }
  return l.group;
}

bool Lowering::MonotoneCompare(const ir::Op& op, uint32_t rank) const {
  return op.code == ir::OpCode::kLt && ElemType(op.operands[0]) == ir::DType::kI32 &&
         LinAlong(*an_, k_, op.operands[0], rank, rank - 1) == 1 &&
         LinAlong(*an_, k_, op.operands[1], rank, rank - 1) == 0;
}

bool Lowering::RemapSlots(const Tile& src, const Layout& dst, const std::array<int64_t, 4>& coef,
                          std::vector<int64_t>* slot_of) {
  const Layout& sl = L(src.layout);
  const int64_t threads = dst.threads;
  // Bounded work: a conversion this large goes through shared memory.
  if (dst.slots * threads > (int64_t{1} << 18)) return false;
  const auto sstride = RowMajorStrides(src.shape);
  std::vector<std::array<int64_t, 4>> base(static_cast<size_t>(threads));
  for (int64_t t = 0; t < threads; ++t) {
    for (uint32_t d = 0; d < dst.shape.rank; ++d)
      base[static_cast<size_t>(t)][d] = dst.ThreadBase(t, d);
  }
  slot_of->assign(static_cast<size_t>(dst.slots), -1);
  for (int64_t s = 0; s < dst.slots; ++s) {
    std::array<int64_t, 4> off{};
    for (uint32_t d = 0; d < dst.shape.rank; ++d) off[d] = dst.SlotOffset(s, d);
    int64_t found = -1;
    for (int64_t t = 0; t < threads; ++t) {
      int64_t flat = 0;
      bool inside = true;
      for (uint32_t d = 0; d < dst.shape.rank; ++d) {
        const int64_t c = base[static_cast<size_t>(t)][d] + off[d];
        inside = inside && c < dst.shape.dims[d];
        flat += coef[d] * c;
      }
      if (!inside) continue;
      int64_t sc[4] = {};
      for (uint32_t d = 0; d < src.shape.rank; ++d) {
        sc[d] = (flat / sstride[d]) % src.shape.dims[d];
      }
      int64_t owner = 0, slot = 0;
      sl.Owner(sc, &owner, &slot);
      if (owner != t || (found >= 0 && slot != found)) return false;
      found = slot;
    }
    (*slot_of)[static_cast<size_t>(s)] = found;
  }
  return true;
}

Result<Vals> Lowering::Convert(int32_t tile_index, LayoutId layout,
                               const std::array<int64_t, 4>& coef) {
  MemoKey key{};
  key[0] = 2;
  key[1] = (int64_t{tile_index} << 32) | layout;
  for (uint32_t i = 0; i < 4; ++i) key[2 + i] = coef[i];
  for (auto it = thread_.memo.rbegin(); it != thread_.memo.rend(); ++it) {
    auto hit = it->find(key);
    if (hit != it->end()) return hit->second;
  }
  const Tile& src = tiles_[static_cast<size_t>(tile_index)];
  const Layout& dst = L(layout);
  Vals out(static_cast<size_t>(dst.slots), Val::Const(0));
  std::vector<int64_t> slot_of;
  if (RemapSlots(src, dst, coef, &slot_of)) {
    for (size_t s = 0; s < out.size(); ++s) {
      if (slot_of[s] >= 0) out[s] = src.vals[static_cast<size_t>(slot_of[s])];
    }
  } else {
    // Through shared memory: every thread writes the elements it holds at
    // their row-major position, then reads the ones it needs.
    code_.Comment("layout conversion " + ShapeString(src.shape) + " -> " + ShapeString(dst.shape));
    const uint32_t esz = ReprBytes(src.repr);
    const int64_t bytes = src.shape.numel() * esz;
    if (bytes > (int64_t{1} << 30)) return TooLarge();
    UseRegion(kBig, static_cast<uint32_t>(bytes));
    const auto sstride = RowMajorStrides(src.shape);
    auto bytes_of = [&](std::array<int64_t, 4> c) {
      for (int64_t& x : c) x *= esz;
      return c;
    };
    const Reg waddr = SharedAddr(src.layout, bytes_of(sstride), RegionOffset(kBig));
    for (int64_t s = 0; s < L(src.layout).slots; ++s) {
      StoreShared(src.repr, waddr, FlatOffset(src.layout, sstride, s) * esz,
                  src.vals[static_cast<size_t>(s)], SlotValid(src.layout, s));
    }
    Barrier();
    const Reg raddr = SharedAddr(layout, bytes_of(coef), RegionOffset(kBig));
    for (int64_t s = 0; s < dst.slots; ++s) {
      out[static_cast<size_t>(s)] =
          LoadShared(src.repr, raddr, FlatOffset(layout, coef, s) * esz, SlotValid(layout, s));
    }
    MarkDirty(kBig);
  }
  if (!thread_.memo.empty()) thread_.memo.back()[key] = out;
  return out;
}

}  // namespace hrt::ptx
