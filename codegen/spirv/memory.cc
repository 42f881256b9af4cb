// Loads, stores and atomics. A tensor element lives at
// base + esize * sum(index_d * stride_d), computed in 64 bits and turned into
// a PhysicalStorageBuffer pointer; every access carries the element's
// alignment, as Vulkan requires. Masked-off and out-of-tile lanes branch
// around the access, so they touch no memory.
#include <cmath>

#include "codegen/spirv/lowering.h"

namespace hrt::spirv {

using ir::DType;
using ir::OpCode;

namespace {

// The fill of masked-off integer lanes: the interpreter's float -> int cast
// of the `other` attribute (truncate, saturate, NaN -> 0).
int64_t FillInt(DType t, double v) {
  if (t == DType::kBool) return v != 0.0 ? 1 : 0;
  if (std::isnan(v)) return 0;
  double lo = -9223372036854775808.0, hi = 9223372036854775807.0;
  switch (t) {
    case DType::kI8: lo = -128, hi = 127; break;
    case DType::kU8: lo = 0, hi = 255; break;
    case DType::kI16: lo = -32768, hi = 32767; break;
    case DType::kI32: lo = -2147483648.0, hi = 2147483647.0; break;
    default: break;
  }
  const double tv = std::trunc(v);
  if (tv <= lo) return static_cast<int64_t>(lo);
  if (tv >= hi) return t == DType::kI64 ? INT64_MAX : static_cast<int64_t>(hi);
  return static_cast<int64_t>(tv);
}

}  // namespace

Status Lowering::CheckTensorDType(DType et) {
  const uint32_t size = ir::DTypeSize(et);
  if (size == 1) {
    if (!opt_.storage_buffer_8bit) {
      return Unsupported(std::string("tensors of ") + ir::DTypeName(et) +
                         " need the storageBuffer8BitAccess feature, which the device lacks");
    }
    uses_8bit_ = true;
  } else if (size == 2) {
    if (!opt_.storage_buffer_16bit) {
      return Unsupported(std::string("tensors of ") + ir::DTypeName(et) +
                         " need the storageBuffer16BitAccess feature, which the device lacks");
    }
    uses_16bit_ = true;
  }
  return Status::Ok();
}

Id Lowering::Pointer(DType et, Id address) {
  Id pointee = 0;
  switch (et) {
    case DType::kF32: pointee = t_f32_; break;
    case DType::kI32: pointee = t_i32_; break;
    case DType::kI64: pointee = t_i64_; break;
    case DType::kI16: pointee = m_.TypeInt(16, true); break;
    case DType::kF16:
    case DType::kBF16: pointee = m_.TypeInt(16, false); break;
    case DType::kI8: pointee = m_.TypeInt(8, true); break;
    default: pointee = m_.TypeInt(8, false); break;  // u8, bool
  }
  return Op1(spv::OpConvertUToPtr, m_.TypePointer(spv::StorageClassPhysicalStorageBuffer, pointee),
             address);
}

Id Lowering::Address(uint32_t param, DType et, std::span<const Id> indices,
                     std::span<const DType> index_types) {
  Id offset = 0;
  for (size_t d = 0; d < indices.size(); ++d) {
    int64_t c = 0;
    const Id idx = ToI64(indices[d], index_types[d]);
    if (ConstI(idx, &c) && c == 0) continue;
    Id term = Op2(spv::OpIMul, t_i64_, idx, TensorStride(param, static_cast<uint32_t>(d)));
    offset = offset ? Op2(spv::OpIAdd, t_i64_, offset, term) : term;
  }
  const Id base = TensorBase(param);
  if (!offset) return base;
  const uint32_t esize = ir::DTypeSize(et);
  if (esize > 1) offset = Op2(spv::OpIMul, t_i64_, offset, C64(esize));
  return Op2(spv::OpIAdd, t_i64_, base, offset);
}

Id Lowering::LoadElement(DType et, Id address) {
  const Id ptr = Pointer(et, address);
  const uint32_t esize = ir::DTypeSize(et);
  const auto load = [&](Id type) {
    const uint32_t ops[3] = {ptr, spv::MemoryAccessAligned, esize};
    return Emit(spv::OpLoad, type, ops);
  };
  switch (et) {
    case DType::kF32: return load(t_f32_);
    case DType::kI32: return load(t_i32_);
    case DType::kI64: return load(t_i64_);
    case DType::kI16: return Op1(spv::OpSConvert, t_i32_, load(m_.TypeInt(16, true)));
    case DType::kI8: return Op1(spv::OpSConvert, t_i32_, load(m_.TypeInt(8, true)));
    case DType::kF16:
      return HalfBitsToFloat(Op1(spv::OpUConvert, t_u32_, load(m_.TypeInt(16, false))));
    case DType::kBF16: {
      const Id bits = Op1(spv::OpUConvert, t_u32_, load(m_.TypeInt(16, false)));
      return FloatOf(Op2(spv::OpShiftLeftLogical, t_u32_, bits, CU32(16)));
    }
    case DType::kU8:
      return Op1(spv::OpBitcast, t_i32_, Op1(spv::OpUConvert, t_u32_, load(m_.TypeInt(8, false))));
    default: {  // bool: any non-zero byte is true
      const Id byte = Op1(spv::OpUConvert, t_u32_, load(m_.TypeInt(8, false)));
      return Op2(spv::OpINotEqual, t_bool_, byte, CU32(0));
    }
  }
}

void Lowering::StoreElement(DType et, Id address, Id v) {
  const Id ptr = Pointer(et, address);
  Id value = v;
  switch (et) {
    case DType::kI16: value = Op1(spv::OpSConvert, m_.TypeInt(16, true), v); break;
    case DType::kI8: value = Op1(spv::OpSConvert, m_.TypeInt(8, true), v); break;
    case DType::kU8: value = Op1(spv::OpUConvert, m_.TypeInt(8, false), v); break;
    case DType::kBool:
      value = Op1(spv::OpUConvert, m_.TypeInt(8, false), Sel(t_u32_, v, CU32(1), CU32(0)));
      break;
    case DType::kF16:
      value = Op1(spv::OpUConvert, m_.TypeInt(16, false), FloatToHalfBits(v));
      break;
    case DType::kBF16:
      value = Op1(spv::OpUConvert, m_.TypeInt(16, false),
                  Op2(spv::OpShiftRightLogical, t_u32_, BitsOf(v), CU32(16)));
      break;
    default: break;
  }
  fn_->EmitVoid(spv::OpStore, {ptr, value, spv::MemoryAccessAligned, ir::DTypeSize(et)});
}

Status Lowering::AtomicAddElement(DType et, Id address, Id v) {
  const Id scope = CU32(spv::ScopeDevice);
  const Id relaxed = CU32(spv::MemorySemanticsRelaxed);
  if (et == DType::kI32 || et == DType::kI64) {
    if (et == DType::kI64) {
      if (!opt_.int64_atomics) {
        return Unsupported("i64 atomic_add needs shaderBufferInt64Atomics, which the device lacks");
      }
      m_.AddCapability(spv::CapabilityInt64Atomics);
    }
    const uint32_t ops[4] = {Pointer(et, address), scope, relaxed, v};
    Emit(spv::OpAtomicIAdd, ReprType(et), ops);
    return Status::Ok();
  }
  if (et != DType::kF32) {
    return Unsupported(std::string("atomic_add of ") + ir::DTypeName(et));
  }
  if (opt_.atomic_float32_add) {
    m_.AddCapability(spv::CapabilityAtomicFloat32AddEXT);
    m_.AddExtension("SPV_EXT_shader_atomic_float_add");
    const uint32_t ops[4] = {Pointer(et, address), scope, relaxed, v};
    Emit(spv::OpAtomicFAddEXT, t_f32_, ops);
    return Status::Ok();
  }
  // Compare-exchange loop on the bits.
  const Id ptr = Op1(spv::OpConvertUToPtr,
                     m_.TypePointer(spv::StorageClassPhysicalStorageBuffer, t_u32_), address);
  const uint32_t load_ops[3] = {ptr, scope, relaxed};
  const Id first = Emit(spv::OpAtomicLoad, t_u32_, load_ops);
  const Id pre = fn_->current_block();
  const Id header = m_.NewId(), body = m_.NewId(), cont = m_.NewId(), merge = m_.NewId();
  fn_->EmitVoid(spv::OpBranch, {header});
  fn_->BeginBlock(header);
  Function::PhiRef ref;
  const std::pair<Id, Id> in[1] = {{first, pre}};
  const Id cur = fn_->EmitPhi(t_u32_, in, 1, &ref);
  fn_->EmitVoid(spv::OpLoopMerge, {merge, cont, spv::LoopControlNone});
  fn_->EmitVoid(spv::OpBranch, {body});
  fn_->BeginBlock(body);
  const Id sum = BitsOf(FOp(spv::OpFAdd, FloatOf(cur), v));
  const uint32_t cas_ops[6] = {ptr, scope, relaxed, relaxed, sum, cur};
  const Id prev = Emit(spv::OpAtomicCompareExchange, t_u32_, cas_ops);
  const Id done = Op2(spv::OpIEqual, t_bool_, prev, cur);
  fn_->EmitVoid(spv::OpBranchConditional, {done, merge, cont});
  fn_->BeginBlock(cont);
  fn_->EmitVoid(spv::OpBranch, {header});
  fn_->SetPhiIncoming(ref, 0, prev, cont);
  fn_->BeginBlock(merge);
  return Status::Ok();
}

Status Lowering::LowerMemory(const ir::Op& op) {
  if (op.ints.size() < 2 || op.ints[0] < 0 || static_cast<size_t>(op.ints[0]) >= k_.params.size()) {
    return InvalidArgument("memory op of a missing parameter");
  }
  const auto param = static_cast<uint32_t>(op.ints[0]);
  const ir::Param& p = k_.params[param];
  if (p.kind != ir::ParamKind::kTensor) return InvalidArgument("memory op on a scalar");
  const bool has_mask = op.ints[1] == 1;
  const bool is_load = op.code == OpCode::kLoad;
  const size_t want = p.rank + (is_load ? 0 : 1) + (has_mask ? 1 : 0);
  if (op.operands.size() != want || (is_load && op.results.size() != 1)) {
    return InvalidArgument("memory op with the wrong operand count");
  }
  const DType et = DTypeOf(p.elem);
  HRT_RETURN_IF_ERROR(CheckTensorDType(et));

  // The access shape: indices, value and mask broadcast together.
  Shape shape;
  for (ir::ValueId v : op.operands) {
    const Shape s = ShapeOfValue(v);
    if (s.rank > shape.rank) {
      for (uint32_t d = shape.rank; d-- > 0;) shape.dims[d + s.rank - shape.rank] = shape.dims[d];
      for (uint32_t d = 0; d < s.rank - shape.rank; ++d) shape.dims[d] = 1;
      shape.rank = s.rank;
    }
    for (uint32_t d = 0; d < s.rank; ++d) {
      int64_t& dim = shape.dims[d + shape.rank - s.rank];
      if (s.dims[d] != 1) dim = s.dims[d];
    }
  }
  if (shape.rank == 0) return LowerUniformMemory(op, et);

  const LayoutId lay = Preferred(shape, op.operands);
  HRT_RETURN_IF_ERROR(CheckSlots(lay));
  const int64_t slots = L(lay).slots;
  std::vector<Ids> idx(p.rank);
  std::vector<DType> idx_types(p.rank);
  for (uint32_t d = 0; d < p.rank; ++d) {
    HRT_ASSIGN_OR_RETURN(idx[d], At(op.operands[d], lay));
    idx_types[d] = ElemType(op.operands[d]);
  }
  Ids value, mask;
  if (!is_load) {
    HRT_ASSIGN_OR_RETURN(value, At(op.operands[p.rank], lay));
  }
  if (has_mask) {
    HRT_ASSIGN_OR_RETURN(mask, At(op.operands.back(), lay));
  }

  const Id fill = ir::IsFloat(et)      ? CF32(static_cast<float>(ir::RoundToFloat(et, op.fval)))
                  : et == DType::kBool ? CBool(op.fval != 0.0)
                  : et == DType::kI64  ? C64(FillInt(et, op.fval))
                                       : C32(FillInt(et, op.fval));
  Ids out(static_cast<size_t>(slots), fill);
  for (int64_t s = 0; s < slots; ++s) {
    const auto i = static_cast<size_t>(s);
    const Id pred = And(SlotValid(lay, s), has_mask ? mask[i] : CBool(true));
    if (pred == CBool(false)) continue;
    Id indices[ir::kMaxRank] = {};
    for (uint32_t d = 0; d < p.rank; ++d) indices[d] = idx[d][i];
    const auto access = [&]() -> Result<Ids> {
      const Id address = Address(param, et, std::span<const Id>(indices, p.rank), idx_types);
      if (is_load) return Ids{LoadElement(et, address)};
      if (op.code == OpCode::kStore) {
        StoreElement(et, address, value[i]);
      } else {
        HRT_RETURN_IF_ERROR(AtomicAddElement(et, address, value[i]));
      }
      return Ids{};
    };
    HRT_ASSIGN_OR_RETURN(Ids got, If(pred, Ids{fill}, Ids{ReprType(et)}, access));
    if (is_load) out[i] = got[0];
    HRT_RETURN_IF_ERROR(CheckSize());
  }
  if (is_load) return DefineTile(op.results[0], lay, et, std::move(out));
  return Status::Ok();
}

Status Lowering::LowerUniformMemory(const ir::Op& op, DType et) {
  // Every index is a scalar: loads are done by every invocation (the value
  // is uniform), stores and atomics by invocation 0 only.
  const auto param = static_cast<uint32_t>(op.ints[0]);
  const ir::Param& p = k_.params[param];
  const bool has_mask = op.ints[1] == 1;
  Id indices[ir::kMaxRank] = {};
  DType types[ir::kMaxRank] = {};
  for (uint32_t d = 0; d < p.rank; ++d) {
    indices[d] = Uniform(op.operands[d]);
    types[d] = ElemType(op.operands[d]);
  }
  const Id mask = has_mask ? Uniform(op.operands.back()) : CBool(true);
  const auto address = [&]() {
    return Address(param, et, std::span<const Id>(indices, p.rank),
                   std::span<const DType>(types, p.rank));
  };
  if (op.code == OpCode::kLoad) {
    const Id fill = ir::IsFloat(et)      ? CF32(static_cast<float>(ir::RoundToFloat(et, op.fval)))
                    : et == DType::kBool ? CBool(op.fval != 0.0)
                    : et == DType::kI64  ? C64(FillInt(et, op.fval))
                                         : C32(FillInt(et, op.fval));
    HRT_ASSIGN_OR_RETURN(Ids got, If(mask, Ids{fill}, Ids{ReprType(et)}, [&]() -> Result<Ids> {
                           return Ids{LoadElement(et, address())};
                         }));
    DefineUniform(op.results[0], got[0]);
    return Status::Ok();
  }
  const Id value = Uniform(op.operands[p.rank]);
  const Id first = Op2(spv::OpIEqual, t_bool_, Tid(), C32(0));
  HRT_ASSIGN_OR_RETURN(Ids unused, If(And(mask, first), Ids{}, Ids{}, [&]() -> Result<Ids> {
                         if (op.code == OpCode::kStore) {
                           StoreElement(et, address(), value);
                         } else {
                           HRT_RETURN_IF_ERROR(AtomicAddElement(et, address(), value));
                         }
                         return Ids{};
                       }));
  (void)unused;
  return Status::Ok();
}

}  // namespace hrt::spirv
