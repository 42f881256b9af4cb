// The op walk: scalars, loops and shape ops here; everything else is
// dispatched to the file that owns it (see lowering.h).
#include "codegen/ptx/lowering.h"

#include <algorithm>

namespace hrt::ptx {
namespace {

using ir::OpClass;
using ir::OpCode;

// Does the body (recursively) hold a reduction of a 1-D tile, which needs
// the small per-warp scratch regions?
bool HasScalarReduction(const ir::Kernel& k, const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    if (ir::GetOpInfo(op.code) && ir::GetOpInfo(op.code)->cls == OpClass::kReduce &&
        !op.operands.empty() && k.values[op.operands[0]].type.rank == 1) {
      return true;
    }
    for (const ir::Block& r : op.regions) {
      if (HasScalarReduction(k, r)) return true;
    }
  }
  return false;
}

}  // namespace

Lowering::Lowering(const ir::BoundKernel& kernel, Analysis* analysis, const ParamLayout& params,
                   uint32_t ptx_version)
    : bk_(kernel),
      k_(kernel.kernel),
      an_(analysis),
      params_(params),
      ptx_version_(ptx_version),
      values_(kernel.kernel.values.size()),
      copy_threads_(analysis->threads) {}

Status Lowering::TooLarge() const {
  return Status(hrt::Code::kUnsupported, "kernel '" + k_.name + "' generates more than " +
                                             std::to_string(kMaxPtxBytes >> 20) +
                                             " MiB of PTX; use smaller tiles");
}

Status Lowering::Run() {
  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  const uint32_t warps = an_->threads / 32;
  if (HasScalarReduction(k_, k_.body)) small_region_bytes_ = (warps * 8 + 15) & ~15u;
  PlanPipelines(k_.body, 0);
  PlanReuse(k_.body, 0);
  PlanPreload(k_.body);
  return LowerBlock(k_.body, 0);
}

void Lowering::DefineUniform(ir::ValueId v, Val val) {
  ValueState& s = values_[v];
  s.defined = true;
  s.uniform = val;
}

Status Lowering::DefineTile(ir::ValueId v, LayoutId layout, Vals vals) {
  if (vals.size() != static_cast<size_t>(L(layout).slots)) {
    return Internal("tile register count does not match its layout");
  }
  Tile t;
  t.layout = layout;
  t.shape = L(layout).shape;
  t.repr = ReprOfValue(v);
  t.vals = std::move(vals);
  tiles_.push_back(std::move(t));
  ValueState& s = values_[v];
  s.defined = true;
  s.tile = static_cast<int32_t>(tiles_.size() - 1);
  s.coef = RowMajorStrides(ShapeOf(TypeOf(v)));
  return Status::Ok();
}

Status Lowering::LowerBlock(const ir::Block& block, uint32_t depth) {
  for (const ir::Op& op : block.ops) {
    if (op.code == OpCode::kYield) continue;  // consumed by LowerFor
    Status s = LowerOp(op, depth);
    if (!s.ok()) return s.Annotate(std::string("op '") + ir::OpName(op.code) + "'");
    if (code_.size() > kMaxPtxBytes) return TooLarge();
  }
  return Status::Ok();
}

Status Lowering::LowerOp(const ir::Op& op, uint32_t depth) {
  if (preloaded_.count(&op)) return Status::Ok();  // an earlier walk issued it
  if (ReuseValue(op)) return Status::Ok();
  HRT_RETURN_IF_ERROR(LowerOpOnce(op, depth));
  if (reuse_sources_.count(&op)) KeepValue(op);
  return Status::Ok();
}

Status Lowering::LowerOpOnce(const ir::Op& op, uint32_t depth) {
  const ir::OpInfo* info = ir::GetOpInfo(op.code);
  if (!info) return InvalidArgument("unknown op code");
  switch (info->cls) {
    case OpClass::kLeaf: return LowerLeaf(op);
    case OpClass::kShape: return LowerShape(op);
    case OpClass::kMemory: return LowerMemory(op);
    case OpClass::kBinary:
    case OpClass::kCompare:
    case OpClass::kUnary:
    case OpClass::kSelect:
    case OpClass::kCast: return LowerElementwise(op);
    case OpClass::kReduce: return LowerReduce(op);
    case OpClass::kDot: return LowerDot(op);
    case OpClass::kFor: return LowerFor(op, depth);
    case OpClass::kYield: return Status::Ok();
  }
  return Internal("unhandled op class");
}

Status Lowering::LowerLeaf(const ir::Op& op) {
  const ir::ValueId r = op.results[0];
  switch (op.code) {
    case OpCode::kProgramId: {
      static constexpr const char* kCtaid[] = {"%ctaid.x", "%ctaid.y", "%ctaid.z"};
      const Reg d = NewReg(Repr::kI32);
      code_.Ins("mov.u32", {d, Opnd::Text(kCtaid[op.ints[0]])});
      DefineUniform(r, Val::Of(d));
      return Status::Ok();
    }
    case OpCode::kSym: {
      const auto index = static_cast<size_t>(op.ints[1]);
      if (op.ints[0] == 1) {
        DefineUniform(r, Val::Const(ir::WrapToInt(ir::DType::kI32, bk_.tunable_values[index])));
      } else {
        DefineUniform(r, ShapeSym(static_cast<uint32_t>(index)));
      }
      return Status::Ok();
    }
    case OpCode::kArg: {
      const auto p = static_cast<uint32_t>(op.ints[0]);
      const ParamSlot& slot = params_.slots[params_.first_slot[p]];
      const Reg raw = ParamReg(params_.first_slot[p]);
      PrologueScope ps(&code_);
      switch (slot.dtype) {
        case ir::DType::kF16: {
          const Reg d = NewReg(Repr::kF32);
          code_.Ins("cvt.f32.f16", {d, raw});
          DefineUniform(r, Val::Of(d));
          break;
        }
        case ir::DType::kBF16: {
          const Reg w = NewReg(Repr::kI32), d = NewReg(Repr::kF32);
          code_.Ins("cvt.u32.u16", {w, raw});
          code_.Ins("shl.b32", {d, w, Opnd::Imm(16)});
          DefineUniform(r, Val::Of(d));
          break;
        }
        case ir::DType::kBool: {
          const Reg d = NewReg(Repr::kPred);
          code_.Ins("setp.ne.u32", {d, raw, Opnd::Imm(0)});
          DefineUniform(r, Val::Of(d));
          break;
        }
        default: DefineUniform(r, Val::Of(raw)); break;
      }
      return Status::Ok();
    }
    case OpCode::kConst: {
      const ir::DType t = DTypeOf(bk_, op.elem);
      if (ir::IsFloat(t)) {
        DefineUniform(r, Val::F32Const(RoundedFloat(t, op.fval)));
      } else {
        DefineUniform(r, Val::Const(ir::WrapToInt(t, op.ints.empty() ? 0 : op.ints[0])));
      }
      return Status::Ok();
    }
    default:  // kIota: pure, computed where used
      values_[r].defined = true;
      return Status::Ok();
  }
}

Status Lowering::LowerShape(const ir::Op& op) {
  const ir::ValueId r = op.results[0];
  const ir::ValueId x = op.operands[0];
  if (an_->values[r].kind != ValueKind::kView) {
    values_[r].defined = true;  // pure: computed where used
    return Status::Ok();
  }
  ValueState src = values_[x];
  if (!src.defined || src.tile < 0) return Internal("shape op on an undefined tile");
  const ir::Type& xt = TypeOf(x);
  const ir::Type& t = TypeOf(r);
  std::array<int64_t, 4> coef{};
  switch (op.code) {
    case OpCode::kBroadcast:
      for (uint32_t d = 0; d < t.rank; ++d) {
        const int64_t i = int64_t{d} - (int64_t{t.rank} - xt.rank);
        if (i >= 0 && xt.dims[static_cast<size_t>(i)].value != 1) {
          coef[d] = src.coef[static_cast<size_t>(i)];
        }
      }
      break;
    case OpCode::kExpandDims: {
      const auto axis = static_cast<uint32_t>(op.ints[0]);
      for (uint32_t d = 0; d < t.rank; ++d) {
        if (d != axis) coef[d] = src.coef[d < axis ? d : d - 1];
      }
      break;
    }
    case OpCode::kTranspose:
      for (uint32_t d = 0; d < t.rank; ++d) coef[d] = src.coef[static_cast<size_t>(op.ints[d])];
      break;
    default: {  // kReshape keeps the row-major order of the elements
      if (src.coef != RowMajorStrides(ShapeOf(xt))) {
        // x is itself a rearranged view: give it registers first.
        const LayoutId lay = an_->Canonical(ShapeOf(xt));
        HRT_ASSIGN_OR_RETURN(Vals vals, At(x, lay));
        Tile tile;
        tile.layout = lay;
        tile.shape = L(lay).shape;
        tile.repr = ReprOfValue(x);
        tile.vals = std::move(vals);
        tiles_.push_back(std::move(tile));
        src.tile = static_cast<int32_t>(tiles_.size() - 1);
      }
      coef = RowMajorStrides(ShapeOf(t));
      break;
    }
  }
  ValueState& s = values_[r];
  s.defined = true;
  s.tile = src.tile;
  s.coef = coef;
  return Status::Ok();
}

Status Lowering::LowerElementwise(const ir::Op& op) {
  const ir::ValueId r = op.results[0];
  const ValueFacts& f = an_->values[r];
  if (f.kind == ValueKind::kPure) {
    values_[r].defined = true;
    return Status::Ok();
  }
  const ir::OpInfo* info = ir::GetOpInfo(op.code);
  const ir::DType rt = ElemType(r);
  const ir::DType it = ElemType(op.operands.back());
  const CoarseScope coarse(&coarse_, f.coarse);
  auto apply = [&](std::span<const Val> in) -> Val {
    switch (info->cls) {
      case OpClass::kBinary: return Binary(op.code, rt, in[0], in[1]);
      case OpClass::kCompare: return Compare(op.code, it, in[0], in[1]);
      case OpClass::kUnary: return Unary(op.code, rt, in[0]);
      case OpClass::kSelect: return Select(rt, in[0], in[1], in[2]);
      default: return Cast(ElemType(op.operands[0]), rt, in[0]);
    }
  };
  if (f.kind == ValueKind::kUniform) {
    std::vector<Val> in;
    for (ir::ValueId v : op.operands) in.push_back(Uniform(v));
    DefineUniform(r, apply(in));
    return Status::Ok();
  }
  const LayoutId layout = f.layout;
  // A cast of f32 to f16/bf16 that only stores read: the stores round f32
  // to the same nearest-even value (cvt.rn), so rounding here first (and
  // widening back to f32 registers) would only cost instructions.
  if (op.code == OpCode::kCast && f.only_stored &&
      (rt == ir::DType::kF16 || rt == ir::DType::kBF16) &&
      ElemType(op.operands[0]) == ir::DType::kF32) {
    HRT_ASSIGN_OR_RETURN(Vals unrounded, At(op.operands[0], layout));
    return DefineTile(r, layout, std::move(unrounded));
  }
  if (op.code == OpCode::kDiv && ir::IsFloat(rt) &&
      an_->values[op.operands[1]].kind == ValueKind::kUniform) {
    return LowerUniformDivide(op, layout);
  }
  std::vector<Vals> in;
  for (ir::ValueId v : op.operands) {
    HRT_ASSIGN_OR_RETURN(Vals vals, At(v, layout));
    in.push_back(std::move(vals));
  }
  const auto slots = static_cast<size_t>(L(layout).slots);
  Vals out(slots);
  std::vector<Val> lane(op.operands.size());
  for (size_t s = 0; s < slots; ++s) {
    for (size_t i = 0; i < in.size(); ++i) lane[i] = in[i][s];
    out[s] = apply(lane);
  }
  return DefineTile(r, layout, std::move(out));
}

// x / s for a scalar s: one correctly rounded reciprocal, then a multiply
// per element (within 1.5 ulp of the correctly rounded quotient). Divisors
// below FLT_MIN, whose reciprocal would overflow, take div.rn per element;
// the branch is uniform.
Status Lowering::LowerUniformDivide(const ir::Op& op, LayoutId layout) {
  const Repr f = Repr::kF32;
  HRT_ASSIGN_OR_RETURN(Vals x, At(op.operands[0], layout));
  const Reg s = ToReg(Uniform(op.operands[1]), f);
  const Reg r = NewReg(f), as = NewReg(f), tiny = NewReg(Repr::kPred);
  // A coarse quotient (precision.cc) takes the one-instruction reciprocal
  // (<= 1 ulp) and a contractible multiply: within 2 ulp.
  code_.Ins(coarse_ ? "rcp.approx.f32" : "rcp.rn.f32", {r, s});
  code_.Ins("abs.f32", {as, s});
  code_.Ins("setp.lt.f32", {tiny, as, Opnd::F32(1.17549435e-38f)});
  Regs xr(x.size());
  for (size_t i = 0; i < x.size(); ++i) xr[i] = ToReg(x[i], f);
  const Regs d = code_.NewRegs(RegClass::kF32, x.size());
  const uint32_t slow = code_.NewLabel(), done = code_.NewLabel();
  code_.BranchIf(tiny, false, slow, true);
  for (size_t i = 0; i < x.size(); ++i)
    code_.Ins(coarse_ ? "mul.f32" : "mul.rn.f32", {d[i], xr[i], r});
  code_.Branch(done, true);
  code_.Label(slow);
  for (size_t i = 0; i < x.size(); ++i)
    code_.Ins(coarse_ ? "div.full.f32" : "div.rn.f32", {d[i], xr[i], s});
  code_.Label(done);
  const ir::DType rt = ElemType(op.results[0]);
  Vals out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = Normalize(rt, Val::Of(d[i]));
  return DefineTile(op.results[0], layout, std::move(out));
}

Status Lowering::LowerFor(const ir::Op& op, uint32_t depth) {
  if (depth >= 64) return InvalidArgument("loops nested too deeply");
  if (ProvenOneTrip(op)) {
    // Straight-line code; a loop planned to reuse an earlier one's values
    // takes them unconditionally (that loop ran its one trip too).
    const bool reuses = reuse_loops_.count(&op) != 0;
    if (reuses) single_trip_copies_.insert(&op);
    Status st = LowerOneTrip(op, depth);
    if (reuses) single_trip_copies_.erase(&op);
    return st;
  }
  if (reuse_loops_.count(&op)) return LowerForTwice(op, depth);
  return LowerLoop(op, depth);
}

bool Lowering::ProvenOneTrip(const ir::Op& op) const {
  // A loop Bind recognized (`for iv = 0 to SYM step K`, K at least
  // one_trip_limits[SYM]) whose symbol the launch's facts put within that
  // limit.
  if (op.regions.empty() || op.regions[0].args.empty()) return false;
  const std::optional<uint32_t> sym = bk_.OneTripSymbol(op.regions[0].args[0]);
  return sym && AssumedOneTrip(an_->assume, *sym);
}

Status Lowering::LowerOneTrip(const ir::Op& op, uint32_t depth) {
  const ir::Block& body = op.regions[0];
  const size_t n = op.results.size();
  code_.Comment("one trip (the launch's sizes fit one step): no loop");
  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  DefineUniform(body.args[0], Uniform(op.operands[0]));
  // The carried values enter as their initial values and leave as what the
  // body yields for them.
  for (size_t j = 0; j < n; ++j) {
    const ir::ValueId arg = body.args[1 + j];
    const ValueFacts& f = an_->values[op.results[j]];
    if (f.kind == ValueKind::kUniform) {
      DefineUniform(arg, Uniform(op.operands[3 + j]));
    } else {
      HRT_ASSIGN_OR_RETURN(Vals init, At(op.operands[3 + j], f.layout));
      HRT_RETURN_IF_ERROR(DefineTile(arg, f.layout, std::move(init)));
    }
  }
  HRT_RETURN_IF_ERROR(LowerBlock(body, depth + 1));
  HRT_RETURN_IF_ERROR(IssuePreloads(op));
  const ir::Op& yield = body.ops.back();
  if (yield.code != OpCode::kYield || yield.operands.size() != n) {
    return Internal("loop body does not end in a matching yield");
  }
  std::vector<Vals> out(n);
  for (size_t j = 0; j < n; ++j) {
    const ValueFacts& f = an_->values[op.results[j]];
    if (f.kind == ValueKind::kUniform) {
      out[j] = {Uniform(yield.operands[j])};
    } else {
      HRT_ASSIGN_OR_RETURN(out[j], At(yield.operands[j], f.layout));
    }
  }
  thread_.memo.pop_back();
  thread_.cse.pop_back();
  for (size_t j = 0; j < n; ++j) {
    const ValueFacts& f = an_->values[op.results[j]];
    if (f.kind == ValueKind::kUniform) {
      DefineUniform(op.results[j], out[j][0]);
    } else {
      HRT_RETURN_IF_ERROR(DefineTile(op.results[j], f.layout, std::move(out[j])));
    }
  }
  return Status::Ok();
}

Val Lowering::LoopLimit(Val hi, Val step) {
  // Continue while iv + step < hi, i.e. iv < hi - step, computed without
  // overflow: hi - step is formed in 64 bits and clamped to i32.
  if (hi.is_const() && step.is_const()) {
    return Val::Const(std::max<int64_t>(
        static_cast<int32_t>(hi.off) - int64_t{static_cast<int32_t>(step.off)}, INT32_MIN));
  }
  const Reg h64 = NewReg(Repr::kI64), s64 = NewReg(Repr::kI64), d64 = NewReg(Repr::kI64);
  const Reg c64 = NewReg(Repr::kI64), l32 = NewReg(Repr::kI32);
  code_.Ins("cvt.s64.s32", {h64, O(hi, Repr::kI32)});
  code_.Ins("cvt.s64.s32", {s64, O(step, Repr::kI32)});
  code_.Ins("sub.s64", {d64, h64, s64});
  code_.Ins("max.s64", {c64, d64, Opnd::Imm(INT32_MIN)});
  code_.Ins("cvt.u32.u64", {l32, c64});
  return Val::Of(l32);
}

Status Lowering::LowerLoop(const ir::Op& op, uint32_t depth) {
  const ir::Block& body = op.regions[0];
  const size_t n = op.results.size();
  const Val lo = Uniform(op.operands[0]), hi = Uniform(op.operands[1]);
  const Val step = Uniform(op.operands[2]);

  // Carried values live in fixed registers for the whole loop.
  struct Carried {
    Repr repr;
    LayoutId layout = kNoLayout;  // kNoLayout: a scalar
    Regs regs;
  };
  std::vector<Carried> carried(n);
  for (size_t j = 0; j < n; ++j) {
    Carried& c = carried[j];
    const ir::ValueId res = op.results[j];
    c.repr = ReprOfValue(res);
    const ValueFacts& f = an_->values[res];
    Vals init;
    if (f.kind == ValueKind::kUniform) {
      init = {Uniform(op.operands[3 + j])};
    } else {
      c.layout = f.layout;
      HRT_ASSIGN_OR_RETURN(init, At(op.operands[3 + j], c.layout));
    }
    c.regs = code_.NewRegs(RegClassOf(c.repr), init.size());
    for (size_t s = 0; s < init.size(); ++s) {
      if (c.repr == Repr::kPred && init[s].is_const()) {
        code_.Ins("setp.ne.u32", {c.regs[s], Opnd::Imm(init[s].off), Opnd::Imm(0)});
      } else {
        code_.Ins(MovFor(c.repr), {c.regs[s], O(init[s], c.repr)});
      }
    }
  }

  const Val limit = LoopLimit(hi, step);
  auto planned = pipelines_.find(&op);
  Pipeline* pipe = planned == pipelines_.end() ? nullptr : &planned->second;
  if (pipe) HRT_RETURN_IF_ERROR(PipelinePrologue(pipe, lo, hi, step, limit));
  const Reg iv = NewReg(Repr::kI32);
  code_.Ins("mov.b32", {iv, O(lo, Repr::kI32)});

  const uint32_t top = code_.NewLabel(), end = code_.NewLabel();
  const Reg skip = NewReg(Repr::kPred);
  code_.Ins("setp.ge.s32", {skip, iv, O(hi, Repr::kI32)});
  code_.BranchIf(skip, false, end, true);
  code_.Label(top);

  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  MarkAllDirty();  // the previous iteration may still be reading scratch
  DefineUniform(body.args[0], Val::Of(iv));
  for (size_t j = 0; j < n; ++j) {
    const ir::ValueId arg = body.args[1 + j];
    if (carried[j].layout == kNoLayout) {
      DefineUniform(arg, Val::Of(carried[j].regs[0]));
    } else {
      Vals vals(carried[j].regs.size());
      for (size_t s = 0; s < vals.size(); ++s) vals[s] = Val::Of(carried[j].regs[s]);
      HRT_RETURN_IF_ERROR(DefineTile(arg, carried[j].layout, std::move(vals)));
    }
  }
  Pipeline* outer = pipeline_;
  if (pipe) {
    HRT_RETURN_IF_ERROR(PipelineIterationStart(pipe, iv, hi, step));
    pipeline_ = pipe;
  }
  Status body_status = LowerBlock(body, depth + 1);
  pipeline_ = outer;
  HRT_RETURN_IF_ERROR(body_status);
  const ir::Op& yield = body.ops.back();
  if (yield.code != OpCode::kYield || yield.operands.size() != n) {
    return Internal("loop body does not end in a matching yield");
  }
  // Parallel copy: read every yielded value before writing any register.
  std::vector<Vals> next(n);
  for (size_t j = 0; j < n; ++j) {
    if (carried[j].layout == kNoLayout) {
      next[j] = {Uniform(yield.operands[j])};
    } else {
      HRT_ASSIGN_OR_RETURN(next[j], At(yield.operands[j], carried[j].layout));
    }
  }
  std::vector<Regs> staged(n);
  for (size_t j = 0; j < n; ++j) {
    for (size_t s = 0; s < next[j].size(); ++s) {
      const Val v = next[j][s];
      // Reads a carried register that another copy writes: save it first.
      bool clobbered = false;
      for (size_t i = 0; i < n && !clobbered && v.reg.valid(); ++i) {
        for (size_t t = 0; t < carried[i].regs.size() && !clobbered; ++t) {
          clobbered = carried[i].regs[t] == v.reg && (i != j || t != s);
        }
      }
      if (clobbered) {
        const Reg t = NewReg(carried[j].repr);
        code_.Ins(MovFor(carried[j].repr), {t, O(v, carried[j].repr)});
        next[j][s] = Val::Of(t);
      }
    }
  }
  for (size_t j = 0; j < n; ++j) {
    for (size_t s = 0; s < next[j].size(); ++s) {
      const Val v = next[j][s];
      if (v.is_plain() && v.reg == carried[j].regs[s]) continue;
      if (carried[j].repr == Repr::kPred && v.is_const()) {
        code_.Ins("setp.ne.u32", {carried[j].regs[s], Opnd::Imm(v.off), Opnd::Imm(0)});
      } else {
        code_.Ins(MovFor(carried[j].repr), {carried[j].regs[s], O(v, carried[j].repr)});
      }
    }
  }
  thread_.memo.pop_back();
  thread_.cse.pop_back();
  if (pipe) PipelineAdvance(pipe);
  const Reg more = NewReg(Repr::kPred);
  code_.Ins("setp.lt.s32", {more, iv, O(limit, Repr::kI32)});
  code_.Ins("add.s32", {iv, iv, O(step, Repr::kI32)});
  code_.BranchIf(more, false, top, true);
  code_.Label(end);
  MarkAllDirty();
  if (pipe) PipelineDrain(pipe);

  for (size_t j = 0; j < n; ++j) {
    if (carried[j].layout == kNoLayout) {
      DefineUniform(op.results[j], Val::Of(carried[j].regs[0]));
    } else {
      Vals vals(carried[j].regs.size());
      for (size_t s = 0; s < vals.size(); ++s) vals[s] = Val::Of(carried[j].regs[s]);
      HRT_RETURN_IF_ERROR(DefineTile(op.results[j], carried[j].layout, std::move(vals)));
    }
  }
  return Status::Ok();
}

}  // namespace hrt::ptx
