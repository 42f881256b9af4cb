#include "codegen/spirv/lowering.h"

#include <algorithm>

#include "codegen/spirv/spec.h"

namespace hrt::spirv {

using ir::OpClass;
using ir::OpCode;

Lowering::Lowering(const ir::BoundKernel& kernel, const SpirvOptions& options,
                   const ArgLayout& args, uint32_t threads, ModuleBuilder* module)
    : bk_(kernel), k_(kernel.kernel), opt_(options), args_(args), threads_(threads), m_(*module) {}

ir::DType Lowering::DTypeOf(ir::Elem e) const {
  if (e.is_param()) {
    return e.param_index() < bk_.dtype_values.size() ? bk_.dtype_values[e.param_index()]
                                                     : ir::DType::kF32;
  }
  return e.dtype();
}

Shape Lowering::ShapeOfValue(ir::ValueId v) const {
  const ir::Type& t = TypeOf(v);
  Shape s;
  s.rank = t.rank;
  for (uint32_t d = 0; d < t.rank; ++d) s.dims[d] = t.dims[d].value;
  return s;
}

uint32_t Lowering::workgroup_bytes() const {
  int64_t words = 0;
  for (int64_t w : region_words_) words += w;
  return static_cast<uint32_t>(words * 4);
}

Status Lowering::CheckSize() const {
  if (fn_->word_count() > kMaxFunctionWords) {
    return Unsupported("kernel '" + k_.name + "' with " + bk_.config.ToString() + " would exceed " +
                       std::to_string(kMaxFunctionWords * 4 >> 20) + " MiB of SPIR-V");
  }
  return Status::Ok();
}

Status Lowering::CheckSlots(LayoutId layout) const {
  const Layout& l = L(layout);
  if (l.slots <= kMaxSlots) return Status::Ok();
  return Unsupported("a tile of " + ShapeString(l.shape) + " over " + std::to_string(threads_) +
                     " invocations needs " + std::to_string(l.slots) +
                     " values per invocation (at most " + std::to_string(kMaxSlots) + ")");
}

//===----------------------------------------------------------------------===//
// Module setup
//===----------------------------------------------------------------------===//

Status Lowering::Setup(const std::string& entry_name) {
  m_.AddCapability(spv::CapabilityShader);
  m_.AddCapability(spv::CapabilityInt64);
  m_.AddCapability(spv::CapabilityPhysicalStorageBufferAddresses);
  m_.SetMemoryModel(spv::AddressingModelPhysicalStorageBuffer64, spv::MemoryModelGLSL450);
  glsl_ = m_.ImportExtInst("GLSL.std.450");
  t_void_ = m_.TypeVoid();
  t_bool_ = m_.TypeBool();
  t_i32_ = m_.TypeInt(32, true);
  t_u32_ = m_.TypeInt(32, false);
  t_i64_ = m_.TypeInt(64, true);
  t_f32_ = m_.TypeFloat(32);

  // The argument block: one member per field, or the block's address.
  if (args_.size > 0) {
    std::vector<std::pair<uint32_t, Id>> fields;  // (offset, type)
    if (args_.in_buffer) {
      fields.emplace_back(0, t_i64_);
    } else {
      for (const ParamFields& p : args_.params) {
        if (p.kind == ir::ParamKind::kTensor) {
          fields.emplace_back(p.address_offset, t_i64_);
          for (uint32_t d = 0; d < p.rank; ++d) fields.emplace_back(p.size_offsets[d], t_i64_);
          for (uint32_t d = 0; d < p.rank; ++d) fields.emplace_back(p.stride_offsets[d], t_i64_);
        } else {
          const Id type = p.dtype == ir::DType::kI64   ? t_i64_
                          : p.dtype == ir::DType::kF32 ? t_f32_
                          : ir::IsFloat(p.dtype)       ? t_u32_
                                                       : t_i32_;
          fields.emplace_back(p.scalar_offset, type);
        }
      }
    }
    std::vector<Id> member_types;
    for (const auto& [offset, type] : fields) {
      member_of_offset_[offset] = static_cast<uint32_t>(member_types.size());
      member_types.push_back(type);
    }
    const Id block = m_.TypeStruct(member_types);
    m_.Decorate(block, spv::DecorationBlock);
    for (size_t i = 0; i < fields.size(); ++i) {
      m_.MemberDecorate(block, static_cast<uint32_t>(i), spv::DecorationOffset, {fields[i].first});
    }
    m_.AddName(block, "hrt_args");
    push_var_ = m_.Variable(m_.TypePointer(spv::StorageClassPushConstant, block),
                            spv::StorageClassPushConstant);
    interface_.push_back(push_var_);
  }

  const Id fn_type = m_.TypeFunction(t_void_, {});
  fn_ = m_.AddFunction(t_void_, fn_type);
  m_.AddName(fn_->id(), entry_name);
  if (args_.in_buffer) args_address_ = ArgField(0, t_i64_);
  return Status::Ok();
}

//===----------------------------------------------------------------------===//
// Analysis: value kinds
//===----------------------------------------------------------------------===//

Status Lowering::Analyze(const ir::Block& block, uint32_t depth) {
  if (depth > 64) return Unsupported("loops nested deeper than 64");
  const size_t n = k_.values.size();
  for (const ir::Op& op : block.ops) {
    const ir::OpInfo* info = ir::GetOpInfo(op.code);
    if (!info) return InvalidArgument("unknown op code");
    for (ir::ValueId v : op.operands) {
      if (v >= n) return InvalidArgument("operand out of range");
    }
    for (ir::ValueId r : op.results) {
      if (r >= n) return InvalidArgument("result out of range");
      defs_[r] = &op;
    }
    if (op.code == OpCode::kFor) {
      if (op.regions.size() != 1 || op.regions[0].args.empty() || op.operands.size() < 3) {
        return InvalidArgument("malformed loop");
      }
      const ir::Block& body = op.regions[0];
      for (ir::ValueId a : body.args) {
        if (a >= n) return InvalidArgument("loop argument out of range");
        defs_[a] = nullptr;
        kinds_[a] = TypeOf(a).rank == 0 ? Kind::kUniform : Kind::kTile;
      }
      HRT_RETURN_IF_ERROR(Analyze(body, depth + 1));
      if (body.ops.empty() || body.ops.back().code != OpCode::kYield ||
          body.ops.back().operands.size() + 1 != body.args.size() ||
          op.results.size() + 1 != body.args.size() || op.operands.size() != body.args.size() + 2) {
        return InvalidArgument("malformed loop");
      }
      // A carried value fed by a dot keeps the dot's register-tile layout.
      const ir::Op& yield = body.ops.back();
      for (size_t j = 0; j < yield.operands.size(); ++j) {
        const ir::Op* def = defs_[yield.operands[j]];
        if (def && def->code == OpCode::kDot) {
          dot_carried_[body.args[j + 1]] = true;
          dot_carried_[op.results[j]] = true;
        }
      }
    }
    for (ir::ValueId r : op.results) {
      if (TypeOf(r).rank == 0) {
        kinds_[r] = Kind::kUniform;
        continue;
      }
      bool all_pure = true;
      for (ir::ValueId v : op.operands) all_pure = all_pure && kinds_[v] != Kind::kTile;
      switch (info->cls) {
        case OpClass::kLeaf: kinds_[r] = Kind::kPure; break;
        case OpClass::kShape:
        case OpClass::kBinary:
        case OpClass::kCompare:
        case OpClass::kUnary:
        case OpClass::kSelect:
        case OpClass::kCast: kinds_[r] = all_pure ? Kind::kPure : Kind::kTile; break;
        default: kinds_[r] = Kind::kTile; break;
      }
    }
  }
  return Status::Ok();
}

//===----------------------------------------------------------------------===//
// The op walk
//===----------------------------------------------------------------------===//

Status Lowering::Run(const std::string& entry_name) {
  const size_t n = k_.values.size();
  kinds_.assign(n, Kind::kUniform);
  defs_.assign(n, nullptr);
  dot_carried_.assign(n, false);
  values_.assign(n, ValueState{});
  for (const ir::Value& v : k_.values) {
    if (v.type.rank > ir::kMaxRank) return InvalidArgument("rank above 4");
    for (uint32_t d = 0; d < v.type.rank; ++d) {
      if (!v.type.dims[d].is_const() || v.type.dims[d].value < 1) {
        return InvalidArgument("kernel '" + k_.name + "' is not bound (a tile dim is symbolic)");
      }
    }
    if (v.type.elem.is_param() && v.type.elem.param_index() >= bk_.dtype_values.size()) {
      return InvalidArgument("kernel '" + k_.name + "' is not bound (a dtype is a parameter)");
    }
  }
  HRT_RETURN_IF_ERROR(Analyze(k_.body, 0));
  HRT_RETURN_IF_ERROR(Setup(entry_name));
  memo_.emplace_back();
  fn_->BeginBlock(m_.NewId());
  HRT_RETURN_IF_ERROR(LowerBlock(k_.body, 0));
  fn_->EmitVoid(spv::OpReturn, {});

  // Declarations that depend on what the body used.
  for (int r = 0; r < 3; ++r) {
    if (region_words_[r] == 0) continue;
    const Id array = m_.TypeArray(t_i32_, static_cast<uint32_t>(region_words_[r]));
    m_.DefineVariable(region_vars_[r], m_.TypePointer(spv::StorageClassWorkgroup, array),
                      spv::StorageClassWorkgroup);
    interface_.push_back(region_vars_[r]);
  }
  if (uses_8bit_) m_.AddCapability(spv::CapabilityStorageBuffer8BitAccess);
  if (uses_16bit_) m_.AddCapability(spv::CapabilityStorageBuffer16BitAccess);
  m_.AddEntryPoint(spv::ExecutionModelGLCompute, fn_->id(), entry_name, interface_);
  const uint32_t local_size[3] = {threads_, 1, 1};
  m_.AddExecutionMode(fn_->id(), spv::ExecutionModeLocalSize, local_size);
  const uint32_t width32 = 32;
  if (opt_.rounding_mode_rte_f32) {
    m_.AddCapability(spv::CapabilityRoundingModeRTE);
    m_.AddExecutionMode(fn_->id(), spv::ExecutionModeRoundingModeRTE, {&width32, 1});
  }
  if (opt_.denorm_preserve_f32) {
    m_.AddCapability(spv::CapabilityDenormPreserve);
    m_.AddExecutionMode(fn_->id(), spv::ExecutionModeDenormPreserve, {&width32, 1});
  }
  if (opt_.signed_zero_inf_nan_preserve_f32) {
    m_.AddCapability(spv::CapabilitySignedZeroInfNanPreserve);
    m_.AddExecutionMode(fn_->id(), spv::ExecutionModeSignedZeroInfNanPreserve, {&width32, 1});
  }
  return CheckSize();
}

Status Lowering::LowerBlock(const ir::Block& block, uint32_t depth) {
  for (const ir::Op& op : block.ops) {
    if (op.code == OpCode::kYield) break;  // the enclosing loop reads it
    Status s = LowerOp(op, depth);
    if (!s.ok()) {
      return s.Annotate(std::string("op '") + ir::OpName(op.code) + "'" +
                        (op.results.empty() ? "" : " (%" + std::to_string(op.results[0]) + ")"));
    }
    HRT_RETURN_IF_ERROR(CheckSize());
  }
  return Status::Ok();
}

Status Lowering::LowerOp(const ir::Op& op, uint32_t depth) {
  const ir::OpInfo* info = ir::GetOpInfo(op.code);
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
    case OpClass::kYield: return InvalidArgument("yield outside a loop");
  }
  return Internal("unhandled op class");
}

Status Lowering::DefineTile(ir::ValueId v, LayoutId layout, ir::DType dtype, Ids slots) {
  if (static_cast<int64_t>(slots.size()) != L(layout).slots) {
    return Internal("tile slot count does not match its layout");
  }
  tiles_.push_back(Tile{layout, dtype, std::move(slots)});
  ValueState& s = values_[v];
  s.defined = true;
  s.tile = static_cast<int32_t>(tiles_.size() - 1);
  s.coef = RowMajorStrides(L(layout).shape);
  return Status::Ok();
}

void Lowering::DefineUniform(ir::ValueId v, Id id) {
  values_[v].defined = true;
  values_[v].uniform = id;
}

Status Lowering::LowerLeaf(const ir::Op& op) {
  if (op.results.size() != 1) return InvalidArgument("leaf op without one result");
  const ir::ValueId r = op.results[0];
  switch (op.code) {
    case OpCode::kProgramId:
      if (op.ints.empty() || op.ints[0] < 0 || op.ints[0] > 2) {
        return InvalidArgument("program_id axis out of range");
      }
      DefineUniform(r, ProgramId(static_cast<uint32_t>(op.ints[0])));
      return Status::Ok();
    case OpCode::kSym: {
      if (op.ints.size() != 2 || op.ints[1] < 0) return InvalidArgument("malformed sym");
      const auto index = static_cast<size_t>(op.ints[1]);
      if (op.ints[0] == 1) {
        if (index >= bk_.tunable_values.size()) return InvalidArgument("sym of a missing tunable");
        DefineUniform(r, C32(ir::WrapToInt(ir::DType::kI32, bk_.tunable_values[index])));
        return Status::Ok();
      }
      if (index >= k_.shape_syms.size()) return InvalidArgument("sym of a missing shape symbol");
      const Id id = ShapeSym(static_cast<uint32_t>(index));
      if (!id) return InvalidArgument("shape symbol '" + k_.shape_syms[index] + "' has no tensor");
      DefineUniform(r, id);
      return Status::Ok();
    }
    case OpCode::kArg: {
      if (op.ints.empty() || op.ints[0] < 0 ||
          static_cast<size_t>(op.ints[0]) >= k_.params.size() ||
          k_.params[static_cast<size_t>(op.ints[0])].kind != ir::ParamKind::kScalar) {
        return InvalidArgument("arg of a parameter that is not a scalar");
      }
      DefineUniform(r, ScalarArg(static_cast<uint32_t>(op.ints[0])));
      return Status::Ok();
    }
    case OpCode::kConst: {
      const ir::DType t = DTypeOf(op.elem);
      if (ir::IsFloat(t)) {
        DefineUniform(r, CF32(static_cast<float>(ir::RoundToFloat(t, op.fval))));
      } else if (t == ir::DType::kBool) {
        DefineUniform(r, CBool(!op.ints.empty() && op.ints[0] != 0));
      } else {
        const int64_t v = op.ints.empty() ? 0 : ir::WrapToInt(t, op.ints[0]);
        DefineUniform(r, t == ir::DType::kI64 ? C64(v) : C32(v));
      }
      return Status::Ok();
    }
    default:  // kIota: pure, recomputed where used
      return Status::Ok();
  }
}

Status Lowering::LowerShape(const ir::Op& op) {
  if (op.results.size() != 1 || op.operands.size() != 1) return InvalidArgument("malformed op");
  const ir::ValueId r = op.results[0];
  const ir::ValueId x = op.operands[0];
  if (kinds_[r] != Kind::kTile) return Status::Ok();  // pure: recomputed where used
  if (!values_[x].defined || values_[x].tile < 0) return Internal("shape op of an undefined tile");
  const ir::Type& rt = TypeOf(r);
  const ir::Type& xt = TypeOf(x);
  ValueState s = values_[x];
  std::array<int64_t, 4> coef{};
  switch (op.code) {
    case OpCode::kBroadcast:
      for (uint32_t d = 0; d < rt.rank; ++d) {
        const int64_t i = int64_t{d} - (int64_t{rt.rank} - xt.rank);
        coef[d] = i < 0 || xt.dims[static_cast<size_t>(i)].value == 1
                      ? 0
                      : s.coef[static_cast<size_t>(i)];
      }
      break;
    case OpCode::kExpandDims: {
      if (op.ints.empty() || op.ints[0] < 0 || op.ints[0] > xt.rank) {
        return InvalidArgument("expand_dims axis out of range");
      }
      const auto axis = static_cast<uint32_t>(op.ints[0]);
      for (uint32_t d = 0, i = 0; d < rt.rank; ++d) coef[d] = d == axis ? 0 : s.coef[i++];
      break;
    }
    case OpCode::kTranspose:
      if (op.ints.size() != rt.rank) return InvalidArgument("transpose permutation size");
      for (uint32_t d = 0; d < rt.rank; ++d) {
        if (op.ints[d] < 0 || op.ints[d] >= rt.rank) return InvalidArgument("bad permutation");
        coef[d] = s.coef[static_cast<size_t>(op.ints[d])];
      }
      break;
    default: {  // kReshape: needs the source in row-major order
      const Shape xs = ShapeOfValue(x);
      const auto row_major = RowMajorStrides(xs);
      bool identity = true;
      for (uint32_t d = 0; d < xt.rank; ++d) {
        identity = identity && (xt.dims[d].value == 1 || s.coef[d] == row_major[d]);
      }
      if (!identity) {
        const LayoutId lay = Canonical(xs);
        HRT_RETURN_IF_ERROR(CheckSlots(lay));
        HRT_ASSIGN_OR_RETURN(Ids vals, Convert(s.tile, lay, s.coef));
        tiles_.push_back(Tile{lay, tiles_[static_cast<size_t>(s.tile)].dtype, std::move(vals)});
        s.tile = static_cast<int32_t>(tiles_.size() - 1);
      }
      coef = RowMajorStrides(ShapeOfValue(r));
      break;
    }
  }
  s.coef = coef;
  values_[r] = s;
  return Status::Ok();
}

Status Lowering::LowerElementwise(const ir::Op& op) {
  if (op.results.size() != 1 || op.operands.empty()) return InvalidArgument("malformed op");
  const ir::ValueId r = op.results[0];
  if (kinds_[r] == Kind::kPure) return Status::Ok();  // recomputed where used
  const ir::DType in = ElemType(op.operands[op.code == OpCode::kSelect ? 1 : 0]);
  const ir::DType out = ElemType(r);
  auto apply = [&](std::span<const Id> xs) -> Id {
    switch (ir::GetOpInfo(op.code)->cls) {
      case OpClass::kBinary: return Binary(op.code, in, xs[0], xs[1]);
      case OpClass::kCompare: return Compare(op.code, in, xs[0], xs[1]);
      case OpClass::kUnary: return Unary(op.code, in, xs[0]);
      case OpClass::kSelect: return Sel(ReprType(in), xs[0], xs[1], xs[2]);
      default: return Cast(in, out, xs[0]);
    }
  };
  const size_t arity = op.operands.size();
  const size_t want = op.code == OpCode::kSelect ? 3
                      : ir::GetOpInfo(op.code)->cls == OpClass::kUnary ||
                              ir::GetOpInfo(op.code)->cls == OpClass::kCast
                          ? 1
                          : 2;
  if (arity != want) return InvalidArgument("wrong operand count");
  if (TypeOf(r).rank == 0) {
    Id xs[3] = {};
    for (size_t i = 0; i < arity; ++i) xs[i] = Uniform(op.operands[i]);
    DefineUniform(r, apply(std::span<const Id>(xs, arity)));
    return Status::Ok();
  }
  const LayoutId lay = Preferred(ShapeOfValue(r), op.operands);
  HRT_RETURN_IF_ERROR(CheckSlots(lay));
  std::vector<Ids> in_vals(arity);
  for (size_t i = 0; i < arity; ++i) {
    HRT_ASSIGN_OR_RETURN(in_vals[i], At(op.operands[i], lay));
  }
  const int64_t slots = L(lay).slots;
  Ids vals(static_cast<size_t>(slots));
  for (int64_t s = 0; s < slots; ++s) {
    Id xs[3] = {};
    for (size_t i = 0; i < arity; ++i) xs[i] = in_vals[i][static_cast<size_t>(s)];
    vals[static_cast<size_t>(s)] = apply(std::span<const Id>(xs, arity));
  }
  return DefineTile(r, lay, out, std::move(vals));
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

Status Lowering::LowerFor(const ir::Op& op, uint32_t depth) {
  const ir::Block& body = op.regions[0];
  const ir::Op& yield = body.ops.back();
  const size_t carried = op.results.size();

  // Carried values: uniform ids or tiles in a fixed layout.
  std::vector<LayoutId> lays(carried, 0);
  std::vector<Ids> inits(carried);
  std::vector<Id> types(carried);
  for (size_t j = 0; j < carried; ++j) {
    const ir::ValueId arg = body.args[j + 1];
    const ir::ValueId init = op.operands[j + 3];
    types[j] = ReprType(ElemType(arg));
    if (TypeOf(arg).rank == 0) {
      inits[j] = {Uniform(init)};
      continue;
    }
    const Shape shape = ShapeOfValue(arg);
    lays[j] = dot_carried_[arg] ? DotLayout(shape) : Canonical(shape);
    HRT_RETURN_IF_ERROR(CheckSlots(lays[j]));
    HRT_ASSIGN_OR_RETURN(inits[j], At(init, lays[j]));
  }

  const Id lo = ToI64(Uniform(op.operands[0]), ir::DType::kI32);
  const Id hi = ToI64(Uniform(op.operands[1]), ir::DType::kI32);
  const Id step = ToI64(Uniform(op.operands[2]), ir::DType::kI32);
  const Id pre = fn_->current_block();
  const Id header = m_.NewId(), cond = m_.NewId(), body_label = m_.NewId(), cont = m_.NewId(),
           merge = m_.NewId();
  fn_->EmitVoid(spv::OpBranch, {header});

  // Header: the induction variable (in 64 bits, so iv + step never wraps)
  // and one phi per carried id.
  fn_->BeginBlock(header);
  Function::PhiRef iv_ref;
  const std::pair<Id, Id> iv_in[1] = {{lo, pre}};
  const Id iv64 = fn_->EmitPhi(t_i64_, iv_in, 1, &iv_ref);
  std::vector<std::vector<Function::PhiRef>> refs(carried);
  std::vector<Ids> phis(carried);
  for (size_t j = 0; j < carried; ++j) {
    for (Id init : inits[j]) {
      Function::PhiRef ref;
      const std::pair<Id, Id> in[1] = {{init, pre}};
      phis[j].push_back(fn_->EmitPhi(types[j], in, 1, &ref));
      refs[j].push_back(ref);
    }
  }
  fn_->EmitVoid(spv::OpLoopMerge, {merge, cont, spv::LoopControlNone});
  fn_->EmitVoid(spv::OpBranch, {cond});
  fn_->BeginBlock(cond);
  const Id go = Op2(spv::OpSLessThan, t_bool_, iv64, hi);
  fn_->EmitVoid(spv::OpBranchConditional, {go, body_label, merge});

  // Body.
  fn_->BeginBlock(body_label);
  DefineUniform(body.args[0], Op1(spv::OpSConvert, t_i32_, iv64));
  for (size_t j = 0; j < carried; ++j) {
    const ir::ValueId arg = body.args[j + 1];
    if (TypeOf(arg).rank == 0) {
      DefineUniform(arg, phis[j][0]);
    } else {
      HRT_RETURN_IF_ERROR(DefineTile(arg, lays[j], ElemType(arg), phis[j]));
    }
  }
  memo_.emplace_back();
  MarkAllDirty();  // the previous iteration may still read any region
  HRT_RETURN_IF_ERROR(LowerBlock(body, depth + 1));
  std::vector<Ids> next(carried);
  for (size_t j = 0; j < carried; ++j) {
    const ir::ValueId y = yield.operands[j];
    if (TypeOf(body.args[j + 1]).rank == 0) {
      next[j] = {Uniform(y)};
    } else {
      HRT_ASSIGN_OR_RETURN(next[j], At(y, lays[j]));
    }
  }
  memo_.pop_back();
  fn_->EmitVoid(spv::OpBranch, {cont});

  // Continue: step the induction variable.
  fn_->BeginBlock(cont);
  const Id iv_next = Op2(spv::OpIAdd, t_i64_, iv64, step);
  fn_->EmitVoid(spv::OpBranch, {header});
  fn_->SetPhiIncoming(iv_ref, 0, iv_next, cont);
  for (size_t j = 0; j < carried; ++j) {
    for (size_t i = 0; i < refs[j].size(); ++i)
      fn_->SetPhiIncoming(refs[j][i], 0, next[j][i], cont);
  }

  fn_->BeginBlock(merge);
  MarkAllDirty();
  for (size_t j = 0; j < carried; ++j) {
    const ir::ValueId r = op.results[j];
    if (TypeOf(r).rank == 0) {
      DefineUniform(r, phis[j][0]);
    } else {
      HRT_RETURN_IF_ERROR(DefineTile(r, lays[j], ElemType(r), phis[j]));
    }
  }
  return Status::Ok();
}

}  // namespace hrt::spirv
