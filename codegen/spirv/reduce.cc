// Reductions. A 1-D tile reduces to a scalar in three steps: each invocation
// combines its own slots, the subgroup combines with GroupNonUniform
// arithmetic, and the subgroups' partials meet in workgroup memory, where
// every invocation combines them in the same order (so the scalar is
// uniform). Without subgroup arithmetic the second and third steps are a
// tree over workgroup memory. Float max/min go through subgroup integer
// max/min of an order-preserving key, which keeps the interpreter's NaN and
// signed-zero rules. Other ranks reduce along the axis through workgroup
// memory.
#include <algorithm>
#include <cmath>

#include "codegen/spirv/lowering.h"

namespace hrt::spirv {

using ir::DType;
using ir::OpCode;

Id Lowering::Identity(OpCode code, DType t) {
  if (ir::IsFloat(t)) {
    if (code == OpCode::kSum) return CF32(-0.0f);  // an all -0 sum stays -0
    return CF32(code == OpCode::kReduceMax ? -INFINITY : INFINITY);
  }
  if (t == DType::kBool) return CBool(code == OpCode::kReduceMin);
  if (code == OpCode::kSum) return ZeroOf(t);
  int64_t lo = 0, hi = 0;
  switch (t) {
    case DType::kI8: lo = INT8_MIN, hi = INT8_MAX; break;
    case DType::kU8: lo = 0, hi = UINT8_MAX; break;
    case DType::kI16: lo = INT16_MIN, hi = INT16_MAX; break;
    case DType::kI32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: lo = INT64_MIN, hi = INT64_MAX; break;
  }
  const int64_t v = code == OpCode::kReduceMax ? lo : hi;
  return t == DType::kI64 ? C64(v) : C32(v);
}

Id Lowering::Combine(OpCode code, DType t, Id a, Id b) {
  if (ir::IsFloat(t)) {
    if (code == OpCode::kSum) return FOp(spv::OpFAdd, a, b);  // f16/bf16 accumulate in f32
    return FloatMaxMin(code == OpCode::kReduceMax, a, b);
  }
  if (t == DType::kBool) return code == OpCode::kReduceMax ? Or(a, b) : And(a, b);
  const Id type = ReprType(t);
  if (code == OpCode::kSum) return Op2(spv::OpIAdd, type, a, b);  // wrapped at the end
  const uint32_t cmp = code == OpCode::kReduceMax ? spv::OpSGreaterThan : spv::OpSLessThan;
  return Sel(type, Op2(cmp, t_bool_, a, b), a, b);
}

Id Lowering::OrderedKey(bool is_max, Id f) {
  // Negative floats flip their magnitude bits so that signed integer order
  // matches float order (-0 < +0); NaN takes the extreme key, so it wins.
  const Id bits = Op1(spv::OpBitcast, t_i32_, f);
  const Id neg = Op2(spv::OpSLessThan, t_bool_, bits, C32(0));
  const Id key = Sel(t_i32_, neg, Op2(spv::OpBitwiseXor, t_i32_, bits, C32(0x7fffffff)), bits);
  return Sel(t_i32_, Op1(spv::OpIsNan, t_bool_, f), C32(is_max ? INT32_MAX : INT32_MIN), key);
}

Id Lowering::FromOrderedKey(bool is_max, Id key) {
  const Id neg = Op2(spv::OpSLessThan, t_bool_, key, C32(0));
  const Id bits = Sel(t_i32_, neg, Op2(spv::OpBitwiseXor, t_i32_, key, C32(0x7fffffff)), key);
  const Id nan = Op2(spv::OpIEqual, t_bool_, key, C32(is_max ? INT32_MAX : INT32_MIN));
  return Sel(t_f32_, nan, FloatOf(CU32(0x7fc00000u)), Op1(spv::OpBitcast, t_f32_, bits));
}

Id Lowering::SubgroupReduce(OpCode code, DType t, Id v) {
  if (!opt_.subgroup_arithmetic) return 0;
  if (t == DType::kI64 && !opt_.subgroup_extended_types) return 0;
  m_.AddCapability(spv::CapabilityGroupNonUniform);
  m_.AddCapability(spv::CapabilityGroupNonUniformArithmetic);
  const auto group = [&](uint32_t op, Id type, Id x) {
    const uint32_t ops[3] = {CU32(spv::ScopeSubgroup), spv::GroupOperationReduce, x};
    return Emit(op, type, ops);
  };
  const bool is_max = code == OpCode::kReduceMax;
  if (ir::IsFloat(t)) {
    if (code == OpCode::kSum) return group(spv::OpGroupNonUniformFAdd, t_f32_, v);
    const Id key = group(is_max ? spv::OpGroupNonUniformSMax : spv::OpGroupNonUniformSMin, t_i32_,
                         OrderedKey(is_max, v));
    return FromOrderedKey(is_max, key);
  }
  if (t == DType::kBool) {
    const Id as_int = Sel(t_i32_, v, C32(1), C32(0));
    const Id r =
        group(is_max ? spv::OpGroupNonUniformSMax : spv::OpGroupNonUniformSMin, t_i32_, as_int);
    return Op2(spv::OpINotEqual, t_bool_, r, C32(0));
  }
  const Id type = ReprType(t);
  const uint32_t op = code == OpCode::kSum ? spv::OpGroupNonUniformIAdd
                      : is_max             ? spv::OpGroupNonUniformSMax
                                           : spv::OpGroupNonUniformSMin;
  return group(op, type, v);
}

Status Lowering::ReduceToScalar(const ir::Op& op, DType t, LayoutId layout, const Ids& vals,
                                Id* out) {
  const OpCode code = op.code;
  const Id identity = Identity(code, t);
  const Id type = ReprType(t);
  Id r = 0;
  for (int64_t s = 0; s < L(layout).slots; ++s) {
    const Id valid = SlotValid(layout, s);
    if (valid == CBool(false)) continue;
    const Id v = Sel(type, valid, vals[static_cast<size_t>(s)], identity);
    r = r ? Combine(code, t, r, v) : v;
  }
  if (!r) r = identity;
  const uint32_t wpe = WordsPer(t);
  const Id sub = threads_ > 1 ? SubgroupReduce(code, t, r) : r;
  if (threads_ == 1) {
    // Nothing to combine across invocations.
  } else if (sub) {
    r = sub;
    const uint32_t min_size = opt_.min_subgroup_size ? opt_.min_subgroup_size : opt_.subgroup_size;
    const int64_t max_subgroups =
        (threads_ + std::max<uint32_t>(min_size, 1) - 1) / std::max<uint32_t>(min_size, 1);
    if (max_subgroups > 1) {
      // One partial per subgroup (written by one elected invocation), then
      // every invocation folds them in subgroup order.
      const Region region = NextSmallRegion();
      UseRegion(region, max_subgroups * wpe);
      const Id sid = SubgroupBuiltin(spv::BuiltInSubgroupId);
      const Id nsub = SubgroupBuiltin(spv::BuiltInNumSubgroups);
      const uint32_t elect_ops[1] = {CU32(spv::ScopeSubgroup)};
      const Id elected = Emit(spv::OpGroupNonUniformElect, t_bool_, elect_ops);
      const Id partial = r;
      HRT_ASSIGN_OR_RETURN(Ids unused, If(elected, Ids{}, Ids{}, [&]() -> Result<Ids> {
                             StoreWords(region, IMul(sid, C32(wpe)), ToWords(t, partial));
                             return Ids{};
                           }));
      (void)unused;
      Barrier();
      HRT_ASSIGN_OR_RETURN(Ids folded,
                           Loop(C32(0), nsub, Ids{identity}, Ids{type}, [&](Id i, const Ids& acc) {
                             const Id v = FromWords(t, LoadWords(region, IMul(i, C32(wpe)), wpe));
                             return Result<Ids>(Ids{Combine(code, t, acc[0], v)});
                           }));
      r = folded[0];
      MarkDirty(region);
    }
  } else {
    // A tree over workgroup memory: halve the active invocations each step.
    const Region region = NextSmallRegion();
    UseRegion(region, int64_t{threads_} * wpe);
    const Id tid = Tid();
    StoreWords(region, IMul(tid, C32(wpe)), ToWords(t, r));
    Barrier();
    int64_t p = 1;
    while (p < threads_) p *= 2;
    for (int64_t half = p / 2; half >= 1; half /= 2) {
      const int64_t active = std::min<int64_t>(half, int64_t{threads_} - half);
      if (active <= 0) continue;
      const Id cond = Op2(spv::OpSLessThan, t_bool_, tid, C32(active));
      HRT_ASSIGN_OR_RETURN(
          Ids unused, If(cond, Ids{}, Ids{}, [&]() -> Result<Ids> {
            const Id mine = FromWords(t, LoadWords(region, IMul(tid, C32(wpe)), wpe));
            const Id other =
                FromWords(t, LoadWords(region, IMul(IAdd(tid, C32(half)), C32(wpe)), wpe));
            StoreWords(region, IMul(tid, C32(wpe)), ToWords(t, Combine(code, t, mine, other)));
            return Ids{};
          }));
      (void)unused;
      Barrier();
    }
    r = FromWords(t, LoadWords(region, C32(0), wpe));
    MarkDirty(region);
  }
  *out = code == OpCode::kSum ? Normalize(t, r) : r;
  return Status::Ok();
}

Status Lowering::ReduceAxis(const ir::Op& op, DType t, ir::ValueId x, uint32_t axis) {
  // Through workgroup memory: the tile is written in row-major order, then
  // the owner of each result element folds its line along the axis.
  const Shape xs = ShapeOfValue(x);
  const LayoutId in_lay = Preferred(xs, std::span<const ir::ValueId>(&x, 1));
  HRT_RETURN_IF_ERROR(CheckSlots(in_lay));
  HRT_ASSIGN_OR_RETURN(Ids vals, At(x, in_lay));
  const int64_t n = xs.numel();
  const uint32_t wpe = WordsPer(t);
  UseRegion(kBig, (n + threads_) * wpe);
  StoreRowMajor(kBig, 0, n * wpe, in_lay, t, vals);
  Barrier();

  const ir::ValueId r = op.results[0];
  const Shape rs = ShapeOfValue(r);
  const LayoutId out_lay = Canonical(rs);
  HRT_RETURN_IF_ERROR(CheckSlots(out_lay));
  const auto xst = RowMajorStrides(xs);
  std::array<int64_t, 4> coef{};
  for (uint32_t j = 0, d = 0; d < xs.rank; ++d) {
    if (d != axis) coef[j++] = xst[d];
  }
  const Layout& ol = L(out_lay);
  const Id type = ReprType(t);
  Ids bases, inits, types;
  for (int64_t s = 0; s < ol.slots; ++s) {
    const Id valid = SlotValid(out_lay, s);
    Id base = FlatIndex(out_lay, coef, s);
    if (valid != CBool(true)) base = Sel(t_i32_, valid, base, C32(0));
    bases.push_back(base);
    inits.push_back(Identity(op.code, t));
    types.push_back(type);
  }
  const Id step = C32(xst[axis]);
  HRT_ASSIGN_OR_RETURN(
      Ids accs, Loop(C32(0), C32(xs.dims[axis]), inits, types, [&](Id k, const Ids& acc) {
        Ids next;
        const Id offset = IMul(k, step);
        for (size_t s = 0; s < acc.size(); ++s) {
          const Id at = IMul(IAdd(bases[s], offset), C32(wpe));
          next.push_back(Combine(op.code, t, acc[s], FromWords(t, LoadWords(kBig, at, wpe))));
        }
        return Result<Ids>(std::move(next));
      }));
  MarkDirty(kBig);
  if (op.code == OpCode::kSum) {
    for (Id& a : accs) a = Normalize(t, a);
  }
  return DefineTile(r, out_lay, t, std::move(accs));
}

Status Lowering::LowerReduce(const ir::Op& op) {
  if (op.operands.size() != 1 || op.results.size() != 1 || op.ints.empty()) {
    return InvalidArgument("malformed reduction");
  }
  const ir::ValueId x = op.operands[0];
  const ir::Type& xt = TypeOf(x);
  if (op.ints[0] < 0 || op.ints[0] >= xt.rank)
    return InvalidArgument("reduction axis out of range");
  const DType t = ElemType(x);
  if (xt.rank == 1) {
    const LayoutId lay = Preferred(ShapeOfValue(x), op.operands);
    HRT_RETURN_IF_ERROR(CheckSlots(lay));
    HRT_ASSIGN_OR_RETURN(Ids vals, At(x, lay));
    Id out = 0;
    HRT_RETURN_IF_ERROR(ReduceToScalar(op, t, lay, vals, &out));
    DefineUniform(op.results[0], out);
    return Status::Ok();
  }
  return ReduceAxis(op, t, x, static_cast<uint32_t>(op.ints[0]));
}

}  // namespace hrt::spirv
