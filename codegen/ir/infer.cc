#include "codegen/ir/infer.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace hrt::ir {
namespace {

std::string OpTag(const Op& op) {
  return std::string("'") + OpName(op.code) + "'";
}

Status OpError(const Op& op, const std::string& what) {
  return VerificationFailed(OpTag(op) + ": " + what);
}

std::string ShapeStr(const Kernel& k, const Type& t) {
  Type copy = t;
  copy.elem = Elem::Of(DType::kI32);  // shape only
  const std::string s = TypeToString(k, copy);
  const size_t bracket = s.find('[');
  return bracket == std::string::npos ? "[]" : s.substr(bracket);
}

// Right-aligned numpy broadcasting on symbolic dims; a constant 1 stretches.
Result<Type> BroadcastShapes(const Kernel& k, const Op& op, Elem elem,
                             std::span<const Type> types) {
  uint32_t rank = 0;
  for (const Type& t : types) rank = std::max(rank, t.rank);
  Type out;
  out.elem = elem;
  out.rank = rank;
  for (uint32_t i = 0; i < rank; ++i) out.dims[i] = Dim::Const(1);
  for (const Type& t : types) {
    for (uint32_t j = 0; j < t.rank; ++j) {
      Dim& o = out.dims[rank - t.rank + j];
      const Dim& d = t.dims[j];
      if (o == d || (d.is_const() && d.value == 1)) continue;
      if (o.is_const() && o.value == 1) {
        o = d;
        continue;
      }
      std::string shapes;
      for (const Type& u : types) shapes += (shapes.empty() ? "" : " vs ") + ShapeStr(k, u);
      return OpError(op, "shape mismatch: " + shapes);
    }
  }
  return out;
}

bool ElemIs(Elem e, bool (*pred)(DType)) {
  return !e.is_param() && pred(e.dtype());
}
bool IsBoolElem(Elem e) {
  return !e.is_param() && e.dtype() == DType::kBool;
}
// A dtype parameter may stand for any of its candidates: "could be float" and
// "could be integer" are both decided per candidate once bound, so the
// unbound check only rejects what is wrong for every binding.
bool AllCandidates(const Kernel& k, Elem e, bool (*pred)(DType)) {
  if (!e.is_param()) return pred(e.dtype());
  const auto& cands = k.dtype_params[e.param_index()].candidates;
  return std::all_of(cands.begin(), cands.end(), pred);
}
bool NotBool(DType t) {
  return t != DType::kBool;
}
bool IsIntOrBool(DType t) {
  return !IsFloat(t);
}
bool IsIndexType(DType t) {
  return IsInteger(t) && t != DType::kBool;
}
bool IsDotInput(DType t) {
  return t == DType::kF16 || t == DType::kBF16 || t == DType::kF32;
}
bool IsAtomicType(DType t) {
  return t == DType::kF32 || t == DType::kI32 || t == DType::kI64;
}

Status CheckCounts(const Op& op, size_t operands, size_t ints) {
  if (op.operands.size() != operands) {
    return OpError(op, "expects " + std::to_string(operands) + " operand(s), has " +
                           std::to_string(op.operands.size()));
  }
  if (op.ints.size() != ints) {
    return OpError(op, "expects " + std::to_string(ints) + " integer attribute(s), has " +
                           std::to_string(op.ints.size()));
  }
  return Status::Ok();
}

Status CheckShapeAttr(const Kernel& k, const Op& op) {
  if (op.shape.empty() || op.shape.size() > kMaxRank) {
    return OpError(op, "shape attribute must have 1.." + std::to_string(kMaxRank) + " dims");
  }
  Type t = Type::Tile(Elem::Of(DType::kI32), op.shape);
  Status s = CheckType(k, t);
  if (!s.ok()) return OpError(op, s.message());
  return Status::Ok();
}

Result<std::vector<Type>> One(Result<Type> t) {
  if (!t.ok()) return t.take_status();
  return std::vector<Type>{t.value()};
}
std::vector<Type> One(const Type& t) {
  return {t};
}

Result<std::vector<Type>> InferMemory(const Kernel& k, const Op& op, std::span<const Type> in) {
  if (op.ints.size() != 2) return OpError(op, "expects 2 integer attributes (tensor, has_mask)");
  const int64_t p = op.ints[0];
  if (p < 0 || static_cast<uint64_t>(p) >= k.params.size() ||
      k.params[static_cast<size_t>(p)].kind != ParamKind::kTensor) {
    return OpError(op, "parameter #" + std::to_string(p) + " is not a tensor parameter");
  }
  if (op.ints[1] != 0 && op.ints[1] != 1) return OpError(op, "has_mask must be 0 or 1");
  const Param& param = k.params[static_cast<size_t>(p)];
  const bool has_mask = op.ints[1] == 1;
  const bool has_value = op.code != OpCode::kLoad;
  const size_t expected = param.rank + (has_value ? 1 : 0) + (has_mask ? 1 : 0);
  if (in.size() != expected) {
    return OpError(op, "tensor '" + param.name + "' has rank " + std::to_string(param.rank) +
                           ": expects " + std::to_string(expected) + " operand(s), has " +
                           std::to_string(in.size()));
  }
  for (uint32_t i = 0; i < param.rank; ++i) {
    if (!ElemIs(in[i].elem, IsIndexType)) {
      return OpError(op, "index " + std::to_string(i) + " of '" + param.name +
                             "' must be an integer, not " + ElemToString(k, in[i].elem));
    }
  }
  if (has_value && in[param.rank].elem != param.elem) {
    return OpError(op, "wrong dtype: value is " + ElemToString(k, in[param.rank].elem) +
                           " but tensor '" + param.name + "' holds " + ElemToString(k, param.elem));
  }
  if (has_mask && !IsBoolElem(in.back().elem)) {
    return OpError(op, "mask must be bool, not " + ElemToString(k, in.back().elem));
  }
  if (op.code == OpCode::kAtomicAdd && !AllCandidates(k, param.elem, IsAtomicType)) {
    return OpError(op, "atomic_add supports f32, i32 and i64, not " + ElemToString(k, param.elem));
  }
  auto shape = BroadcastShapes(k, op, param.elem, in);
  if (!shape.ok()) return shape.take_status();
  if (op.code == OpCode::kLoad) return One(shape.value());
  return std::vector<Type>{};
}

}  // namespace

Status CheckElem(const Kernel& kernel, Elem elem) {
  if (elem.is_param()) {
    if (elem.param_index() >= kernel.dtype_params.size()) {
      return VerificationFailed("dtype parameter #" + std::to_string(elem.param_index()) +
                                " does not exist");
    }
    return Status::Ok();
  }
  if (!elem.is_valid_concrete()) {
    return VerificationFailed("unknown dtype code " + std::to_string(elem.code));
  }
  return Status::Ok();
}

Status CheckType(const Kernel& kernel, const Type& type) {
  HRT_RETURN_IF_ERROR(CheckElem(kernel, type.elem));
  if (type.rank > kMaxRank) {
    return VerificationFailed("rank " + std::to_string(type.rank) + " exceeds the limit of " +
                              std::to_string(kMaxRank));
  }
  int64_t elements = 1;
  for (uint32_t i = 0; i < type.rank; ++i) {
    const Dim& d = type.dims[i];
    if (d.is_const()) {
      if (d.value < 1 || d.value > kMaxTileElements) {
        return VerificationFailed("tile dimension " + std::to_string(d.value) +
                                  " is outside 1..2^24");
      }
      elements *= d.value;  // <= 2^24 * 2^24 before the check below: no overflow
      if (elements > kMaxTileElements) {
        return VerificationFailed("tile " + TypeToString(kernel, type) +
                                  " has more than 2^24 elements");
      }
    } else if (static_cast<size_t>(d.tunable) >= kernel.tunables.size()) {
      return VerificationFailed("tile dimension refers to tunable #" + std::to_string(d.tunable) +
                                ", which does not exist");
    }
  }
  return Status::Ok();
}

namespace {

Result<std::vector<Type>> InferUnchecked(const Kernel& k, const Op& op, std::span<const Type> in) {
  const OpInfo* info = GetOpInfo(op.code);
  if (!info) return VerificationFailed("unknown op code " + std::to_string(int(op.code)));
  if (!op.regions.empty() && op.code != OpCode::kFor) return OpError(op, "takes no region");
  // Attribute slots an op does not use must be empty, so every op has one
  // canonical encoding (the text form cannot express stray attributes).
  if (op.code != OpCode::kConst && op.code != OpCode::kCast && op.elem.code != 0) {
    return OpError(op, "takes no element type attribute");
  }
  const bool uses_shape =
      op.code == OpCode::kIota || op.code == OpCode::kBroadcast || op.code == OpCode::kReshape;
  if (!uses_shape && !op.shape.empty()) return OpError(op, "takes no shape attribute");
  const bool uses_fval = op.code == OpCode::kConst || op.code == OpCode::kLoad;
  if (!uses_fval && (op.fval != 0.0 || std::signbit(op.fval))) {
    return OpError(op, "takes no float attribute");
  }
  const Type i32 = Type::Scalar(Elem::Of(DType::kI32));

  switch (info->cls) {
    case OpClass::kLeaf: {
      if (op.code == OpCode::kProgramId) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 0, 1));
        if (op.ints[0] < 0 || op.ints[0] >= static_cast<int64_t>(kMaxGridRank)) {
          return OpError(op, "axis " + std::to_string(op.ints[0]) + " out of range 0..2");
        }
        return One(i32);
      }
      if (op.code == OpCode::kSym) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 0, 2));
        const int64_t idx = op.ints[1];
        const size_t limit = op.ints[0] == 0 ? k.shape_syms.size() : k.tunables.size();
        if ((op.ints[0] != 0 && op.ints[0] != 1) || idx < 0 ||
            static_cast<uint64_t>(idx) >= limit) {
          return OpError(op, "refers to a symbol that does not exist");
        }
        return One(i32);
      }
      if (op.code == OpCode::kArg) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 0, 1));
        const int64_t p = op.ints[0];
        if (p < 0 || static_cast<uint64_t>(p) >= k.params.size() ||
            k.params[static_cast<size_t>(p)].kind != ParamKind::kScalar) {
          return OpError(op, "parameter #" + std::to_string(p) + " is not a scalar parameter");
        }
        return One(Type::Scalar(k.params[static_cast<size_t>(p)].elem));
      }
      if (op.code == OpCode::kConst) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 0, 1));
        Status s = CheckElem(k, op.elem);
        if (!s.ok()) return OpError(op, s.message());
        const bool integral = op.fval == static_cast<double>(op.ints[0]);
        if (!integral && op.ints[0] != 0) {
          return OpError(op, "integer and float payloads disagree");
        }
        if (!integral && !AllCandidates(k, op.elem, IsFloat)) {
          return OpError(op, "wrong dtype: non-integer constant for " + ElemToString(k, op.elem));
        }
        if (IsBoolElem(op.elem) && op.ints[0] != 0 && op.ints[0] != 1) {
          return OpError(op, "bool constant must be 0 or 1");
        }
        return One(Type::Scalar(op.elem));
      }
      // kIota
      HRT_RETURN_IF_ERROR(CheckCounts(op, 0, 0));
      if (op.shape.size() != 1) return OpError(op, "expects one dimension");
      HRT_RETURN_IF_ERROR(CheckShapeAttr(k, op));
      return One(Type::Tile(Elem::Of(DType::kI32), op.shape));
    }

    case OpClass::kShape: {
      if (in.size() != 1) return OpError(op, "expects 1 operand");
      const Type& x = in[0];
      if (op.code == OpCode::kBroadcast) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 0));
        HRT_RETURN_IF_ERROR(CheckShapeAttr(k, op));
        Type target = Type::Tile(x.elem, op.shape);
        if (x.rank > target.rank) {
          return OpError(op, "cannot broadcast " + ShapeStr(k, x) + " to " + ShapeStr(k, target));
        }
        for (uint32_t j = 0; j < x.rank; ++j) {
          const Dim& d = x.dims[j];
          if (d != target.dims[target.rank - x.rank + j] && !(d.is_const() && d.value == 1)) {
            return OpError(op, "shape mismatch: cannot broadcast " + ShapeStr(k, x) + " to " +
                                   ShapeStr(k, target));
          }
        }
        return One(target);
      }
      if (op.code == OpCode::kExpandDims) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 1));
        if (op.ints[0] < 0 || op.ints[0] > static_cast<int64_t>(x.rank)) {
          return OpError(op, "axis " + std::to_string(op.ints[0]) + " out of range 0.." +
                                 std::to_string(x.rank));
        }
        if (x.rank + 1 > kMaxRank) return OpError(op, "result rank exceeds the limit");
        std::vector<Dim> shape = x.shape();
        shape.insert(shape.begin() + op.ints[0], Dim::Const(1));
        return One(Type::Tile(x.elem, shape));
      }
      if (op.code == OpCode::kReshape) {
        HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 0));
        HRT_RETURN_IF_ERROR(CheckShapeAttr(k, op));
        // Compare element counts as (constant product, sorted tunables); a
        // difference in tunables alone is left to the bound verification.
        auto split = [](const std::vector<Dim>& dims, int64_t* prod, std::vector<int32_t>* syms) {
          *prod = 1;
          for (const Dim& d : dims) {
            if (d.is_const()) {
              *prod *= d.value;
            } else {
              syms->push_back(d.tunable);
            }
          }
          std::sort(syms->begin(), syms->end());
        };
        int64_t pa = 0, pb = 0;
        std::vector<int32_t> sa, sb;
        split(x.shape(), &pa, &sa);
        split(op.shape, &pb, &sb);
        if (sa.empty() && sb.empty() && pa != pb) {
          return OpError(op, "shape mismatch: cannot reshape " + ShapeStr(k, x) + " (" +
                                 std::to_string(pa) + " elements) to " +
                                 ShapeStr(k, Type::Tile(x.elem, op.shape)));
        }
        return One(Type::Tile(x.elem, op.shape));
      }
      // kTranspose
      if (op.ints.size() != x.rank || x.rank == 0) {
        return OpError(op, "permutation must have one entry per dim of " + ShapeStr(k, x));
      }
      std::vector<bool> seen(x.rank, false);
      std::vector<Dim> shape(x.rank);
      for (uint32_t i = 0; i < x.rank; ++i) {
        const int64_t p = op.ints[i];
        if (p < 0 || p >= static_cast<int64_t>(x.rank) || seen[static_cast<size_t>(p)]) {
          return OpError(op, "axis out of range or repeated in permutation");
        }
        seen[static_cast<size_t>(p)] = true;
        shape[i] = x.dims[static_cast<size_t>(p)];
      }
      return One(Type::Tile(x.elem, shape));
    }

    case OpClass::kMemory: return InferMemory(k, op, in);

    case OpClass::kBinary:
    case OpClass::kCompare: {
      HRT_RETURN_IF_ERROR(CheckCounts(op, 2, 0));
      if (in[0].elem != in[1].elem) {
        return OpError(op, "wrong dtype: operands are " + ElemToString(k, in[0].elem) + " and " +
                               ElemToString(k, in[1].elem));
      }
      const Elem e = in[0].elem;
      const bool logic =
          op.code == OpCode::kAnd || op.code == OpCode::kOr || op.code == OpCode::kXor;
      if (logic && !AllCandidates(k, e, IsIntOrBool)) {
        return OpError(op,
                       "wrong dtype: needs bool or integer operands, not " + ElemToString(k, e));
      }
      if (info->cls == OpClass::kBinary && !logic && op.code != OpCode::kMax &&
          op.code != OpCode::kMin && IsBoolElem(e)) {
        return OpError(op, "wrong dtype: arithmetic on bool");
      }
      const Elem out = info->cls == OpClass::kCompare ? Elem::Of(DType::kBool) : e;
      return One(BroadcastShapes(k, op, out, in));
    }

    case OpClass::kUnary: {
      HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 0));
      const Elem e = in[0].elem;
      if (info->float_only && !AllCandidates(k, e, IsFloat)) {
        return OpError(op, "wrong dtype: needs a float operand, not " + ElemToString(k, e));
      }
      if (op.code == OpCode::kNot && !AllCandidates(k, e, IsIntOrBool)) {
        return OpError(op, "wrong dtype: needs bool or integer operand, not " + ElemToString(k, e));
      }
      if ((op.code == OpCode::kNeg || op.code == OpCode::kAbs) && !AllCandidates(k, e, NotBool)) {
        return OpError(op, "wrong dtype: not defined on bool");
      }
      return One(in[0]);
    }

    case OpClass::kSelect: {
      HRT_RETURN_IF_ERROR(CheckCounts(op, 3, 0));
      if (!IsBoolElem(in[0].elem)) {
        return OpError(op,
                       "wrong dtype: condition must be bool, not " + ElemToString(k, in[0].elem));
      }
      if (in[1].elem != in[2].elem) {
        return OpError(op, "wrong dtype: branches are " + ElemToString(k, in[1].elem) + " and " +
                               ElemToString(k, in[2].elem));
      }
      return One(BroadcastShapes(k, op, in[1].elem, in));
    }

    case OpClass::kCast: {
      HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 0));
      Status s = CheckElem(k, op.elem);
      if (!s.ok()) return OpError(op, s.message());
      Type t = in[0];
      t.elem = op.elem;
      return One(t);
    }

    case OpClass::kReduce: {
      HRT_RETURN_IF_ERROR(CheckCounts(op, 1, 1));
      const Type& x = in[0];
      if (x.rank == 0) return OpError(op, "cannot reduce a scalar");
      if (op.ints[0] < 0 || op.ints[0] >= static_cast<int64_t>(x.rank)) {
        return OpError(op, "axis " + std::to_string(op.ints[0]) + " out of range 0.." +
                               std::to_string(x.rank - 1));
      }
      if (op.code == OpCode::kSum && !AllCandidates(k, x.elem, NotBool)) {
        return OpError(op, "wrong dtype: cannot sum bool");
      }
      std::vector<Dim> shape = x.shape();
      shape.erase(shape.begin() + op.ints[0]);
      return One(Type::Tile(x.elem, shape));
    }

    case OpClass::kDot: {
      if (op.operands.size() != 2 && op.operands.size() != 3) {
        return OpError(op, "expects 2 or 3 operands");
      }
      if (!op.ints.empty()) return OpError(op, "takes no integer attributes");
      const Type& a = in[0];
      const Type& b = in[1];
      if (a.rank != 2 || b.rank != 2) return OpError(op, "operands must be 2-D tiles");
      if (a.elem != b.elem) {
        return OpError(op, "wrong dtype: operands are " + ElemToString(k, a.elem) + " and " +
                               ElemToString(k, b.elem));
      }
      if (!AllCandidates(k, a.elem, IsDotInput)) {
        return OpError(
            op, "wrong dtype: inputs must be f16, bf16 or f32, not " + ElemToString(k, a.elem));
      }
      if (a.dims[1] != b.dims[0]) {
        return OpError(op, "shape mismatch: " + ShapeStr(k, a) + " @ " + ShapeStr(k, b));
      }
      Type out = Type::Tile(Elem::Of(DType::kF32), {a.dims[0], b.dims[1]});
      if (in.size() == 3 && in[2] != out) {
        return OpError(
            op, "accumulator must be " + TypeToString(k, out) + ", not " + TypeToString(k, in[2]));
      }
      return One(out);
    }

    case OpClass::kFor: {
      if (op.operands.size() < 3) return OpError(op, "expects lo, hi, step and carried values");
      if (!op.ints.empty()) return OpError(op, "takes no integer attributes");
      for (int i = 0; i < 3; ++i) {
        if (in[static_cast<size_t>(i)] != i32) {
          return OpError(op, "lo, hi and step must be i32 scalars");
        }
      }
      if (op.regions.size() != 1) return OpError(op, "expects one body region");
      return std::vector<Type>(in.begin() + 3, in.end());
    }

    case OpClass::kYield:
      if (!op.ints.empty()) return OpError(op, "takes no integer attributes");
      return std::vector<Type>{};
  }
  return OpError(op, "unhandled op class");
}

}  // namespace

Result<std::vector<Type>> InferResultTypes(const Kernel& kernel, const Op& op,
                                           std::span<const Type> operand_types) {
  HRT_ASSIGN_OR_RETURN(std::vector<Type> types, InferUnchecked(kernel, op, operand_types));
  // Derived types can exceed the limits their inputs respect (a broadcast of
  // [2^20, 1] with [1, 2^20]); check them where they are made.
  for (const Type& t : types) {
    Status s = CheckType(kernel, t);
    if (!s.ok()) return OpError(op, s.message());
  }
  return types;
}

}  // namespace hrt::ir
