#include <algorithm>
#include <bit>
#include <cstring>

#include "codegen/spirv/lowering.h"
#include "codegen/spirv/spec.h"

namespace hrt::spirv {

using ir::OpClass;
using ir::OpCode;

//===----------------------------------------------------------------------===//
// Instruction helpers
//===----------------------------------------------------------------------===//

Id Lowering::Emit(uint32_t op, Id type, std::span<const uint32_t> operands) {
  return in_entry_ ? fn_->EmitEntry(op, type, operands) : fn_->Emit(op, type, operands);
}

Id Lowering::C32(int64_t v) {
  return m_.Constant(t_i32_, static_cast<uint64_t>(v));
}
Id Lowering::C64(int64_t v) {
  return m_.Constant(t_i64_, static_cast<uint64_t>(v));
}
Id Lowering::CU32(uint32_t v) {
  return m_.Constant(t_u32_, v);
}
Id Lowering::CF32(float v) {
  return m_.Constant(t_f32_, std::bit_cast<uint32_t>(v));
}
Id Lowering::CBool(bool v) {
  return m_.ConstantBool(v);
}

bool Lowering::ConstI(Id id, int64_t* v) const {
  uint64_t bits = 0;
  uint32_t w = 0;
  if (!m_.LookupIntConstant(id, &bits, &w)) return false;
  if (w < 64 && (bits >> (w - 1)) & 1u) bits |= ~((uint64_t{1} << w) - 1);
  *v = static_cast<int64_t>(bits);
  return true;
}

Id Lowering::Op1(uint32_t op, Id type, Id a) {
  const uint32_t ops[1] = {a};
  return Emit(op, type, ops);
}

Id Lowering::Op2(uint32_t op, Id type, Id a, Id b) {
  const uint32_t ops[2] = {a, b};
  return Emit(op, type, ops);
}

Id Lowering::Sel(Id type, Id c, Id a, Id b) {
  if (a == b) return a;
  if (c == CBool(true)) return a;
  if (c == CBool(false)) return b;
  const uint32_t ops[3] = {c, a, b};
  return Emit(spv::OpSelect, type, ops);
}

Id Lowering::And(Id a, Id b) {
  const Id t = CBool(true), f = CBool(false);
  if (a == t) return b;
  if (b == t) return a;
  if (a == f || b == f) return f;
  return Op2(spv::OpLogicalAnd, t_bool_, a, b);
}

Id Lowering::Or(Id a, Id b) {
  const Id t = CBool(true), f = CBool(false);
  if (a == f) return b;
  if (b == f) return a;
  if (a == t || b == t) return t;
  return Op2(spv::OpLogicalOr, t_bool_, a, b);
}

Id Lowering::IAdd(Id a, Id b) {
  int64_t x = 0, y = 0;
  const bool ca = ConstI(a, &x), cb = ConstI(b, &y);
  if (ca && cb) return C32(ir::WrapToInt(ir::DType::kI32, x + y));
  if (ca && x == 0) return b;
  if (cb && y == 0) return a;
  return Op2(spv::OpIAdd, t_i32_, a, b);
}

Id Lowering::ISub(Id a, Id b) {
  int64_t x = 0, y = 0;
  const bool ca = ConstI(a, &x), cb = ConstI(b, &y);
  if (ca && cb) return C32(ir::WrapToInt(ir::DType::kI32, x - y));
  if (cb && y == 0) return a;
  return Op2(spv::OpISub, t_i32_, a, b);
}

Id Lowering::IMul(Id a, Id b) {
  int64_t x = 0, y = 0;
  const bool ca = ConstI(a, &x), cb = ConstI(b, &y);
  if (ca && cb) return C32(ir::WrapToInt(ir::DType::kI32, x * y));
  if ((ca && x == 0) || (cb && y == 0)) return C32(0);
  if (ca && x == 1) return b;
  if (cb && y == 1) return a;
  return Op2(spv::OpIMul, t_i32_, a, b);
}

Id Lowering::UDivC(Id a, int64_t d) {
  int64_t c = 0;
  if (ConstI(a, &c)) return C32(c / d);
  if (d == 1) return a;
  if ((d & (d - 1)) == 0) {
    return Op2(spv::OpShiftRightLogical, t_i32_, a,
               C32(std::countr_zero(static_cast<uint64_t>(d))));
  }
  const Id q =
      Op2(spv::OpUDiv, t_u32_, Op1(spv::OpBitcast, t_u32_, a), CU32(static_cast<uint32_t>(d)));
  return Op1(spv::OpBitcast, t_i32_, q);
}

Id Lowering::UModC(Id a, int64_t d) {
  int64_t c = 0;
  if (ConstI(a, &c)) return C32(c % d);
  if (d == 1) return C32(0);
  if ((d & (d - 1)) == 0) return Op2(spv::OpBitwiseAnd, t_i32_, a, C32(d - 1));
  const Id r =
      Op2(spv::OpUMod, t_u32_, Op1(spv::OpBitcast, t_u32_, a), CU32(static_cast<uint32_t>(d)));
  return Op1(spv::OpBitcast, t_i32_, r);
}

Id Lowering::Ext(uint32_t inst, Id type, std::initializer_list<Id> args) {
  uint32_t ops[2 + 4] = {glsl_, inst};
  if (args.size() > 4) {
    std::vector<uint32_t> many{glsl_, inst};
    many.insert(many.end(), args.begin(), args.end());
    return Emit(spv::OpExtInst, type, many);
  }
  std::copy(args.begin(), args.end(), ops + 2);
  return Emit(spv::OpExtInst, type, std::span<const uint32_t>(ops, 2 + args.size()));
}

Id Lowering::ToI64(Id v, ir::DType t) {
  if (t == ir::DType::kI64) return v;
  int64_t c = 0;
  if (ConstI(v, &c)) return C64(c);
  return Op1(spv::OpSConvert, t_i64_, v);
}

Id Lowering::FOp(uint32_t op, Id a, Id b) {
  const Id r = Op2(op, t_f32_, a, b);
  m_.Decorate(r, spv::DecorationNoContraction);
  return r;
}

Id Lowering::ReprType(ir::DType t) {
  switch (t) {
    case ir::DType::kBool: return t_bool_;
    case ir::DType::kI64: return t_i64_;
    case ir::DType::kF16:
    case ir::DType::kBF16:
    case ir::DType::kF32: return t_f32_;
    default: return t_i32_;
  }
}

Id Lowering::ZeroOf(ir::DType t) {
  switch (t) {
    case ir::DType::kBool: return CBool(false);
    case ir::DType::kI64: return C64(0);
    case ir::DType::kF16:
    case ir::DType::kBF16:
    case ir::DType::kF32: return CF32(0.0f);
    default: return C32(0);
  }
}

//===----------------------------------------------------------------------===//
// Builtins and arguments (entry block)
//===----------------------------------------------------------------------===//

Id Lowering::SubgroupBuiltin(uint32_t builtin) {
  auto it = builtin_values_.find(builtin);
  if (it != builtin_values_.end()) return it->second;
  m_.AddCapability(spv::CapabilityGroupNonUniform);
  const Id var =
      m_.Variable(m_.TypePointer(spv::StorageClassInput, t_i32_), spv::StorageClassInput);
  m_.Decorate(var, spv::DecorationBuiltIn, {builtin});
  interface_.push_back(var);
  EntryScope entry(this);
  const Id v = Op1(spv::OpLoad, t_i32_, var);
  builtin_values_[builtin] = v;
  return v;
}

Id Lowering::Tid() {
  if (tid_) return tid_;
  const Id var =
      m_.Variable(m_.TypePointer(spv::StorageClassInput, t_i32_), spv::StorageClassInput);
  m_.Decorate(var, spv::DecorationBuiltIn, {spv::BuiltInLocalInvocationIndex});
  m_.AddName(var, "hrt_tid");
  interface_.push_back(var);
  EntryScope entry(this);
  tid_ = Op1(spv::OpLoad, t_i32_, var);
  return tid_;
}

Id Lowering::ProgramId(uint32_t axis) {
  if (program_ids_[axis]) return program_ids_[axis];
  auto it = builtin_vars_.find(spv::BuiltInWorkgroupId);
  Id var = 0;
  const Id vec = m_.TypeVector(t_i32_, 3);
  if (it == builtin_vars_.end()) {
    var = m_.Variable(m_.TypePointer(spv::StorageClassInput, vec), spv::StorageClassInput);
    m_.Decorate(var, spv::DecorationBuiltIn, {spv::BuiltInWorkgroupId});
    interface_.push_back(var);
    builtin_vars_[spv::BuiltInWorkgroupId] = var;
  } else {
    var = it->second;
  }
  EntryScope entry(this);
  const Id loaded = Op1(spv::OpLoad, vec, var);
  program_ids_[axis] = Op2(spv::OpCompositeExtract, t_i32_, loaded, axis);
  return program_ids_[axis];
}

Id Lowering::ArgField(uint32_t offset, Id type) {
  EntryScope entry(this);
  if (args_.in_buffer && args_address_ != 0) {
    const Id address = Op2(spv::OpIAdd, t_i64_, args_address_, C64(offset));
    const Id ptr = Op1(spv::OpConvertUToPtr,
                       m_.TypePointer(spv::StorageClassPhysicalStorageBuffer, type), address);
    const uint32_t align = m_.ScalarWidth(type) / 8;
    const uint32_t ops[3] = {ptr, spv::MemoryAccessAligned, align};
    return Emit(spv::OpLoad, type, ops);
  }
  const uint32_t member = member_of_offset_[offset];
  const uint32_t chain[2] = {push_var_, C32(member)};
  const Id ptr =
      Emit(spv::OpAccessChain, m_.TypePointer(spv::StorageClassPushConstant, type), chain);
  return Op1(spv::OpLoad, type, ptr);
}

Id Lowering::ShapeSym(uint32_t sym) {
  auto it = shape_syms_.find(sym);
  if (it != shape_syms_.end()) return it->second;
  for (size_t p = 0; p < k_.params.size(); ++p) {
    const ir::Param& param = k_.params[p];
    if (param.kind != ir::ParamKind::kTensor) continue;
    for (uint32_t d = 0; d < param.rank; ++d) {
      if (param.dims[d] != sym) continue;
      const Id size = ArgField(args_.params[p].size_offsets[d], t_i64_);
      EntryScope entry(this);
      const Id v = Op1(spv::OpSConvert, t_i32_, size);
      shape_syms_[sym] = v;
      return v;
    }
  }
  return 0;
}

Id Lowering::ScalarArg(uint32_t param) {
  auto it = scalar_args_.find(param);
  if (it != scalar_args_.end()) return it->second;
  const ParamFields& f = args_.params[param];
  Id v = 0;
  switch (f.dtype) {
    case ir::DType::kF32: v = ArgField(f.scalar_offset, t_f32_); break;
    case ir::DType::kI64: v = ArgField(f.scalar_offset, t_i64_); break;
    case ir::DType::kF16:
    case ir::DType::kBF16: {
      const Id bits = ArgField(f.scalar_offset, t_u32_);
      EntryScope entry(this);
      const Id low = Op2(spv::OpBitwiseAnd, t_u32_, bits, CU32(0xffff));
      v = f.dtype == ir::DType::kF16 ? HalfBitsToFloat(low)
                                     : FloatOf(Op2(spv::OpShiftLeftLogical, t_u32_, low, CU32(16)));
      break;
    }
    case ir::DType::kBool: {
      const Id raw = ArgField(f.scalar_offset, t_i32_);
      EntryScope entry(this);
      v = Op2(spv::OpINotEqual, t_bool_, raw, C32(0));
      break;
    }
    default: {
      const Id raw = ArgField(f.scalar_offset, t_i32_);
      EntryScope entry(this);
      v = Normalize(f.dtype, raw);
      break;
    }
  }
  scalar_args_[param] = v;
  return v;
}

Id Lowering::TensorBase(uint32_t param) {
  auto it = tensor_bases_.find(param);
  if (it != tensor_bases_.end()) return it->second;
  const Id v = ArgField(args_.params[param].address_offset, t_i64_);
  tensor_bases_[param] = v;
  return v;
}

Id Lowering::TensorStride(uint32_t param, uint32_t dim) {
  auto it = tensor_strides_.find({param, dim});
  if (it != tensor_strides_.end()) return it->second;
  const Id v = ArgField(args_.params[param].stride_offsets[dim], t_i64_);
  tensor_strides_[{param, dim}] = v;
  return v;
}

//===----------------------------------------------------------------------===//
// Layouts and coordinates
//===----------------------------------------------------------------------===//

LayoutId Lowering::AddLayout(const Layout& layout) {
  for (size_t i = 0; i < layouts_.size(); ++i) {
    if (layouts_[i] == layout) return static_cast<LayoutId>(i);
  }
  layouts_.push_back(layout);
  LayoutCache& c = layout_cache_.emplace_back();
  const uint32_t rank = layout.shape.rank;
  c.rank = rank;
  // A layout with more slots is rejected (CheckSlots) before any per-slot
  // use; a hostile shape must not allocate tables for it.
  if (layout.slots > kMaxSlots) return static_cast<LayoutId>(layouts_.size() - 1);
  const auto slots = static_cast<size_t>(layout.slots);
  c.slot_offset.resize(slots * rank);
  c.valid_all.assign(slots, 1);
  c.valid_some.assign(slots, 1);
  c.slot_valid.assign(slots, 0);
  for (size_t s = 0; s < slots; ++s) {
    for (uint32_t d = 0; d < rank; ++d) {
      const int64_t off = layout.SlotOffset(static_cast<int64_t>(s), d);
      c.slot_offset[s * rank + d] = off;
      // Invocation 0 has coordinate base 0 along every dim, the smallest.
      if (off >= layout.shape.dims[d]) c.valid_some[s] = 0;
      if (off + (layout.tpc[d] - 1) * layout.spt[d] >= layout.shape.dims[d]) c.valid_all[s] = 0;
    }
  }
  return static_cast<LayoutId>(layouts_.size() - 1);
}

LayoutId Lowering::Canonical(const Shape& shape) {
  std::vector<int64_t> key(shape.dims.begin(), shape.dims.begin() + shape.rank);
  auto it = canonical_.find(key);
  if (it != canonical_.end()) return it->second;
  // One element per invocation and slot along the last dim: every slot's
  // accesses are coalesced across neighbouring invocations.
  const LayoutId id = AddLayout(MakeBlocked(shape, threads_, 1));
  canonical_[key] = id;
  return id;
}

LayoutId Lowering::Preferred(const Shape& shape, std::span<const ir::ValueId> operands) {
  for (ir::ValueId v : operands) {
    if (kinds_[v] != Kind::kTile || !values_[v].defined || values_[v].tile < 0) continue;
    const Tile& t = tiles_[static_cast<size_t>(values_[v].tile)];
    const Layout& l = L(t.layout);
    if (l.shape != shape || ShapeOfValue(v) != shape) continue;
    if (values_[v].coef == RowMajorStrides(shape)) return t.layout;
  }
  return Canonical(shape);
}

LayoutId Lowering::DotLayout(const Shape& shape) {
  if (shape.rank != 2) return Canonical(shape);
  // A near-square register tile per invocation: each k step then reads
  // spt[0] + spt[1] operand values for spt[0] * spt[1] multiply-adds.
  const int64_t m = shape.dims[0], n = shape.dims[1];
  const int64_t per = std::max<int64_t>(1, m * n / threads_);
  int64_t sn = 1;
  while (sn * 2 <= 8 && sn * 2 * sn * 2 <= per && n % (sn * 2) == 0) sn *= 2;
  int64_t sm = 1;
  while (sm * 2 <= 8 && sm * 2 * sn <= per && m % (sm * 2) == 0) sm *= 2;
  return AddLayout(MakeTiled(shape, threads_, {sm, sn, 1, 1}));
}

Id Lowering::ThreadBase(LayoutId layout, uint32_t dim) {
  if (const Id cached = layout_cache_[layout].thread_base_ids[dim]) return cached;
  const Layout& l = L(layout);
  Id v = C32(0);
  if (l.tpc[dim] > 1) {
    int64_t below = 1;
    for (uint32_t d = l.shape.rank; d-- > dim + 1;) below *= l.tpc[d];
    const Id tid = Tid();
    EntryScope entry(this);
    Id q = UDivC(tid, below);
    if (dim > 0) q = UModC(q, l.tpc[dim]);
    v = IMul(q, C32(l.spt[dim]));
  }
  layout_cache_[layout].thread_base_ids[dim] = v;
  return v;
}

Id Lowering::SlotValid(LayoutId layout, int64_t slot) {
  const auto i = static_cast<size_t>(slot);
  if (const Id cached = layout_cache_[layout].slot_valid[i]) return cached;
  const Layout& l = L(layout);
  Id v = CBool(true);
  if (!layout_cache_[layout].valid_all[i]) {
    if (!layout_cache_[layout].valid_some[i]) {
      v = CBool(false);
    } else {
      for (uint32_t d = 0; d < l.shape.rank; ++d) {
        const int64_t off = SlotOffset(layout, slot, d);
        if (off + (l.tpc[d] - 1) * l.spt[d] < l.shape.dims[d]) continue;
        const Id base = ThreadBase(layout, d);
        EntryScope entry(this);
        v = And(v, Op2(spv::OpSLessThan, t_bool_, base, C32(l.shape.dims[d] - off)));
      }
    }
  }
  layout_cache_[layout].slot_valid[i] = v;
  return v;
}

Id Lowering::FlatIndex(LayoutId layout, const std::array<int64_t, 4>& coef, int64_t slot) {
  const Layout& l = L(layout);
  std::vector<int64_t> key{layout};
  key.insert(key.end(), coef.begin(), coef.end());
  Id base = 0;
  auto it = flat_base_.find(key);
  if (it != flat_base_.end()) {
    base = it->second;
  } else {
    base = C32(0);
    for (uint32_t d = 0; d < l.shape.rank; ++d) {
      if (coef[d] == 0) continue;
      const Id tb = ThreadBase(layout, d);
      EntryScope entry(this);
      base = IAdd(base, IMul(tb, C32(coef[d])));
    }
    flat_base_[key] = base;
  }
  int64_t off = 0;
  for (uint32_t d = 0; d < l.shape.rank; ++d) off += coef[d] * SlotOffset(layout, slot, d);
  return IAdd(base, C32(off));
}

Lowering::Coords Lowering::MapCoords(const Coords& c, uint32_t rank,
                                     const std::array<int, 4>& src) {
  Coords out;
  out.layout = c.layout;
  out.rank = rank;
  out.selection = c.selection;
  const size_t slots = static_cast<size_t>(L(c.layout).slots);
  for (uint32_t i = 0; i < rank; ++i) {
    if (c.selection) {
      out.sel[i] = static_cast<int8_t>(src[i] < 0 ? -1 : c.sel[static_cast<size_t>(src[i])]);
    } else {
      out.explicit_dims[i] =
          src[i] < 0 ? Ids(slots, C32(0)) : c.explicit_dims[static_cast<size_t>(src[i])];
    }
  }
  return out;
}

Lowering::Coords Lowering::OperandCoords(const Coords& c, ir::ValueId operand) {
  const ir::Type& t = TypeOf(operand);
  std::array<int, 4> src{};
  for (uint32_t i = 0; i < t.rank; ++i) {
    src[i] = t.dims[i].value == 1 ? -1 : static_cast<int>(i + (c.rank - t.rank));
  }
  return MapCoords(c, t.rank, src);
}

Id Lowering::CoordAt(const Coords& c, uint32_t dim, int64_t slot) {
  if (!c.selection) return c.explicit_dims[dim][static_cast<size_t>(slot)];
  if (c.sel[dim] < 0) return C32(0);
  const auto d = static_cast<uint32_t>(c.sel[dim]);
  return IAdd(ThreadBase(c.layout, d), C32(SlotOffset(c.layout, slot, d)));
}

//===----------------------------------------------------------------------===//
// Values in a layout
//===----------------------------------------------------------------------===//

Result<Ids> Lowering::At(ir::ValueId v, LayoutId layout) {
  const Layout& l = L(layout);
  const ir::Type& t = TypeOf(v);
  const auto slots = static_cast<size_t>(l.slots);
  if (t.rank == 0) {
    if (!values_[v].defined) return Internal("scalar used before definition");
    return Ids(slots, Uniform(v));
  }
  if (t.rank > l.shape.rank) return Internal("value of higher rank than its consumer");
  const uint32_t shift = l.shape.rank - t.rank;
  if (kinds_[v] == Kind::kPure) {
    Coords c;
    c.layout = layout;
    c.rank = t.rank;
    for (uint32_t i = 0; i < t.rank; ++i) {
      c.sel[i] = static_cast<int8_t>(t.dims[i].value == 1 ? -1 : static_cast<int>(i + shift));
    }
    return Realize(v, c);
  }
  const ValueState& s = values_[v];
  if (!s.defined || s.tile < 0) return Internal("tile used before definition");
  std::array<int64_t, 4> coef{};
  for (uint32_t i = 0; i < t.rank; ++i) coef[i + shift] = t.dims[i].value == 1 ? 0 : s.coef[i];
  return Convert(s.tile, layout, coef);
}

Result<Ids> Lowering::Realize(ir::ValueId v, const Coords& at) {
  const auto slots = static_cast<size_t>(L(at.layout).slots);
  if (kinds_[v] == Kind::kUniform) {
    if (!values_[v].defined) return Internal("scalar used before definition");
    return Ids(slots, Uniform(v));
  }
  if (kinds_[v] != Kind::kPure || !defs_[v])
    return Internal("recomputing a value that is not pure");
  MemoKey key;
  if (at.selection) {
    key = {2, v, at.layout, at.rank};
    for (uint32_t i = 0; i < at.rank; ++i) key.push_back(at.sel[i]);
    for (auto it = memo_.rbegin(); it != memo_.rend(); ++it) {
      auto hit = it->find(key);
      if (hit != it->end()) return hit->second;
    }
  }
  HRT_ASSIGN_OR_RETURN(Ids vals, RealizeOp(*defs_[v], v, at));
  if (at.selection) memo_.back()[key] = vals;
  return vals;
}

Result<Ids> Lowering::RealizeOp(const ir::Op& op, ir::ValueId v, const Coords& at) {
  const auto slots = static_cast<size_t>(L(at.layout).slots);
  const ir::Type& vt = TypeOf(v);
  switch (op.code) {
    case OpCode::kIota: {
      Ids out(slots);
      for (size_t s = 0; s < slots; ++s) out[s] = CoordAt(at, 0, static_cast<int64_t>(s));
      return out;
    }
    case OpCode::kBroadcast: return Realize(op.operands[0], OperandCoords(at, op.operands[0]));
    case OpCode::kExpandDims: {
      if (op.ints.empty() || op.ints[0] < 0 || op.ints[0] >= vt.rank) {
        return InvalidArgument("expand_dims axis out of range");
      }
      const auto axis = static_cast<int>(op.ints[0]);
      std::array<int, 4> src{};
      for (int i = 0; i + 1 < static_cast<int>(vt.rank); ++i) {
        src[static_cast<size_t>(i)] = i < axis ? i : i + 1;
      }
      return Realize(op.operands[0], MapCoords(at, vt.rank - 1, src));
    }
    case OpCode::kTranspose: {
      if (op.ints.size() != vt.rank) return InvalidArgument("transpose permutation size");
      std::array<int, 4> src{};
      for (uint32_t j = 0; j < vt.rank; ++j) {
        if (op.ints[j] < 0 || op.ints[j] >= vt.rank) return InvalidArgument("bad permutation");
        src[static_cast<size_t>(op.ints[j])] = static_cast<int>(j);
      }
      return Realize(op.operands[0], MapCoords(at, vt.rank, src));
    }
    case OpCode::kReshape: {
      // Explicit coordinates: the flat index, unflattened in the source shape.
      const ir::ValueId x = op.operands[0];
      const Shape vs = ShapeOfValue(v), xs = ShapeOfValue(x);
      const auto vst = RowMajorStrides(vs), xst = RowMajorStrides(xs);
      Coords sub;
      sub.layout = at.layout;
      sub.rank = xs.rank;
      sub.selection = false;
      for (uint32_t i = 0; i < xs.rank; ++i) sub.explicit_dims[i].resize(slots);
      for (size_t s = 0; s < slots; ++s) {
        Id flat = C32(0);
        for (uint32_t j = 0; j < vs.rank; ++j) {
          flat = IAdd(flat, IMul(CoordAt(at, j, static_cast<int64_t>(s)), C32(vst[j])));
        }
        for (uint32_t i = 0; i < xs.rank; ++i) {
          Id q = UDivC(flat, xst[i]);
          if (i > 0) q = UModC(q, xs.dims[i]);
          sub.explicit_dims[i][s] = q;
        }
      }
      return Realize(x, sub);
    }
    default: break;
  }
  // Elementwise: operands recomputed at the same positions.
  const ir::OpClass cls = ir::GetOpInfo(op.code)->cls;
  std::vector<Ids> in;
  for (ir::ValueId o : op.operands) {
    HRT_ASSIGN_OR_RETURN(Ids vals, Realize(o, OperandCoords(at, o)));
    in.push_back(std::move(vals));
  }
  const ir::DType t = ElemType(op.operands[op.code == OpCode::kSelect ? 1 : 0]);
  const ir::DType out_t = ElemType(v);
  Ids out(slots);
  for (size_t s = 0; s < slots; ++s) {
    switch (cls) {
      case OpClass::kBinary: out[s] = Binary(op.code, t, in[0][s], in[1][s]); break;
      case OpClass::kCompare: out[s] = Compare(op.code, t, in[0][s], in[1][s]); break;
      case OpClass::kUnary: out[s] = Unary(op.code, t, in[0][s]); break;
      case OpClass::kSelect: out[s] = Sel(ReprType(t), in[0][s], in[1][s], in[2][s]); break;
      case OpClass::kCast: out[s] = Cast(t, out_t, in[0][s]); break;
      default: return Internal(std::string("op '") + ir::OpName(op.code) + "' is not pure");
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Moving tiles between layouts
//===----------------------------------------------------------------------===//

bool Lowering::SameOwners(LayoutId src, LayoutId dst, const std::array<int64_t, 4>& coef,
                          const std::vector<int64_t>** slot_of) {
  const std::array<int64_t, 6> key{src, dst, coef[0], coef[1], coef[2], coef[3]};
  auto [it, fresh] = same_owners_.try_emplace(key);
  OwnerMap& map = it->second;
  *slot_of = &map.slot_of;
  if (!fresh) return map.same;
  const Layout& sl = L(src);
  const Layout& dl = L(dst);
  LayoutCache& dc = layout_cache_[dst];
  const uint32_t rank = dl.shape.rank;
  const auto slots = static_cast<size_t>(dl.slots);
  map.slot_of.assign(slots, -1);
  // The identity (same layout, row-major coefficients along every dim longer
  // than 1): each slot some invocation holds reads itself.
  bool identity = src == dst;
  const auto row_major = RowMajorStrides(dl.shape);
  for (uint32_t d = 0; d < rank && identity; ++d) {
    identity = dl.shape.dims[d] == 1 || coef[d] == row_major[d];
  }
  if (identity) {
    for (size_t s = 0; s < slots; ++s) {
      if (dc.valid_some[s]) map.slot_of[s] = static_cast<int64_t>(s);
    }
    map.same = true;
    return true;
  }
  if (dc.thread_base.empty()) {
    dc.thread_base.resize(static_cast<size_t>(dl.threads) * rank);
    for (int64_t t = 0; t < dl.threads; ++t) {
      for (uint32_t d = 0; d < rank; ++d) {
        dc.thread_base[static_cast<size_t>(t) * rank + d] = dl.ThreadBase(t, d);
      }
    }
  }
  for (int64_t t = 0; t < dl.threads; ++t) {
    const int64_t* tb = &dc.thread_base[static_cast<size_t>(t) * rank];
    for (size_t s = 0; s < slots; ++s) {
      const int64_t* so = &dc.slot_offset[s * rank];
      int64_t flat = 0;
      bool inside = true;
      for (uint32_t d = 0; d < rank; ++d) {
        const int64_t c = tb[d] + so[d];
        inside = inside && c < dl.shape.dims[d];
        flat += coef[d] * c;
      }
      if (!inside) continue;
      int64_t c[ir::kMaxRank] = {};
      for (uint32_t d = sl.shape.rank; d-- > 0;) {
        c[d] = flat % sl.shape.dims[d];
        flat /= sl.shape.dims[d];
      }
      int64_t owner = 0, slot = 0;
      sl.Owner(c, &owner, &slot);
      if (owner != t) return false;
      int64_t& want = map.slot_of[s];
      if (want < 0) {
        want = slot;
      } else if (want != slot) {
        return false;
      }
    }
  }
  map.same = true;
  return true;
}

Result<Ids> Lowering::Convert(int32_t tile, LayoutId layout, const std::array<int64_t, 4>& coef) {
  MemoKey key{1, tile, layout};
  key.insert(key.end(), coef.begin(), coef.end());
  for (auto it = memo_.rbegin(); it != memo_.rend(); ++it) {
    auto hit = it->find(key);
    if (hit != it->end()) return hit->second;
  }
  const Tile& src = tiles_[static_cast<size_t>(tile)];
  const Layout& dst = L(layout);
  Ids out(static_cast<size_t>(dst.slots));
  const std::vector<int64_t>* slot_of = nullptr;
  if (SameOwners(src.layout, layout, coef, &slot_of)) {
    for (size_t s = 0; s < out.size(); ++s) {
      const int64_t from = (*slot_of)[s];
      out[s] = from >= 0 ? src.slots[static_cast<size_t>(from)] : ZeroOf(src.dtype);
    }
  } else {
    // Through workgroup memory: every invocation writes its elements in
    // row-major order, then reads the ones it needs.
    const int64_t n = L(src.layout).shape.numel();
    const uint32_t wpe = WordsPer(src.dtype);
    UseRegion(kBig, (n + threads_) * wpe);
    StoreRowMajor(kBig, 0, n * wpe, src.layout, src.dtype, src.slots);
    Barrier();
    for (int64_t s = 0; s < dst.slots; ++s) {
      const Id valid = SlotValid(layout, s);
      if (valid == CBool(false)) {
        out[static_cast<size_t>(s)] = ZeroOf(src.dtype);
        continue;
      }
      Id idx = FlatIndex(layout, coef, s);
      if (valid != CBool(true)) idx = Sel(t_i32_, valid, idx, C32(0));
      out[static_cast<size_t>(s)] = FromWords(src.dtype, LoadWords(kBig, IMul(idx, C32(wpe)), wpe));
    }
    MarkDirty(kBig);
  }
  memo_.back()[key] = out;
  return out;
}

//===----------------------------------------------------------------------===//
// Workgroup scratch
//===----------------------------------------------------------------------===//

void Lowering::StoreRowMajor(Region r, int64_t base, int64_t dump, LayoutId layout, ir::DType t,
                             const Ids& vals) {
  const Layout& l = L(layout);
  const uint32_t wpe = WordsPer(t);
  const auto row_major = RowMajorStrides(l.shape);
  Id dump_at = 0;
  for (int64_t s = 0; s < l.slots; ++s) {
    const Id valid = SlotValid(layout, s);
    if (valid == CBool(false)) continue;
    Id at = IAdd(IMul(FlatIndex(layout, row_major, s), C32(wpe)), C32(base));
    if (valid != CBool(true)) {
      if (!dump_at) dump_at = IAdd(IMul(Tid(), C32(wpe)), C32(dump));
      at = Sel(t_i32_, valid, at, dump_at);
    }
    StoreWords(r, at, ToWords(t, vals[static_cast<size_t>(s)]));
  }
}

Id Lowering::RegionVar(Region r) {
  if (!region_vars_[r]) {
    region_vars_[r] = m_.NewId();
    static const char* const kNames[3] = {"hrt_partials0", "hrt_partials1", "hrt_scratch"};
    m_.AddName(region_vars_[r], kNames[r]);
  }
  return region_vars_[r];
}

void Lowering::UseRegion(Region r, int64_t words) {
  RegionVar(r);
  if (dirty_[r]) Barrier();
  region_words_[r] = std::max(region_words_[r], words);
}

void Lowering::Barrier() {
  const uint32_t ops[3] = {
      CU32(spv::ScopeWorkgroup), CU32(spv::ScopeWorkgroup),
      CU32(spv::MemorySemanticsAcquireRelease | spv::MemorySemanticsWorkgroupMemory)};
  fn_->EmitVoid(spv::OpControlBarrier, ops);
  dirty_.fill(false);
}

void Lowering::StoreWords(Region r, Id index, std::span<const Id> words) {
  const Id ptr_type = m_.TypePointer(spv::StorageClassWorkgroup, t_i32_);
  for (size_t i = 0; i < words.size(); ++i) {
    const uint32_t chain[2] = {RegionVar(r), IAdd(index, C32(static_cast<int64_t>(i)))};
    const Id ptr = Emit(spv::OpAccessChain, ptr_type, chain);
    fn_->EmitVoid(spv::OpStore, {ptr, words[i]});
  }
}

Ids Lowering::LoadWords(Region r, Id index, uint32_t count) {
  const Id ptr_type = m_.TypePointer(spv::StorageClassWorkgroup, t_i32_);
  Ids out;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t chain[2] = {RegionVar(r), IAdd(index, C32(i))};
    const Id ptr = Emit(spv::OpAccessChain, ptr_type, chain);
    out.push_back(Op1(spv::OpLoad, t_i32_, ptr));
  }
  return out;
}

Ids Lowering::ToWords(ir::DType t, Id v) {
  switch (t) {
    case ir::DType::kBool: return {Sel(t_i32_, v, C32(1), C32(0))};
    case ir::DType::kI64: {
      const Id lo = Op1(spv::OpSConvert, t_i32_, v);
      const Id hi =
          Op1(spv::OpSConvert, t_i32_, Op2(spv::OpShiftRightArithmetic, t_i64_, v, C64(32)));
      return {lo, hi};
    }
    case ir::DType::kF16:
    case ir::DType::kBF16:
    case ir::DType::kF32: return {Op1(spv::OpBitcast, t_i32_, v)};
    default: return {v};
  }
}

Id Lowering::FromWords(ir::DType t, std::span<const Id> words) {
  switch (t) {
    case ir::DType::kBool: return Op2(spv::OpINotEqual, t_bool_, words[0], C32(0));
    case ir::DType::kI64: {
      const Id lo =
          Op2(spv::OpBitwiseAnd, t_i64_, Op1(spv::OpSConvert, t_i64_, words[0]), C64(0xffffffff));
      const Id hi =
          Op2(spv::OpShiftLeftLogical, t_i64_, Op1(spv::OpSConvert, t_i64_, words[1]), C64(32));
      return Op2(spv::OpBitwiseOr, t_i64_, lo, hi);
    }
    case ir::DType::kF16:
    case ir::DType::kBF16:
    case ir::DType::kF32: return Op1(spv::OpBitcast, t_f32_, words[0]);
    default: return words[0];
  }
}

}  // namespace hrt::spirv
