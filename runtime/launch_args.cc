#include "runtime/launch_args.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "codegen/ir/dtype.h"

namespace hrt::runtime {
namespace {

const char* ArgKindName(int32_t kind) {
  switch (kind) {
    case HRT_ARG_KIND_TENSOR: return "TENSOR";
    case HRT_ARG_KIND_INT: return "INT";
    case HRT_ARG_KIND_FLOAT: return "FLOAT";
    default: return "an unknown kind";
  }
}

std::string DTypeLabel(int64_t code) {
  if (code >= 0 && code < ir::kNumDTypes) return ir::DTypeName(static_cast<ir::DType>(code));
  return "<invalid dtype " + std::to_string(code) + ">";
}

Status CheckTensor(const ir::Param& param, const hrt_tensor_t& t) {
  if (t.dtype < 0 || t.dtype >= ir::kNumDTypes) {
    return InvalidArgument("dtype " + std::to_string(t.dtype) + " is not an hrt_dtype_t");
  }
  const auto dtype = static_cast<ir::DType>(t.dtype);
  if (!param.elem.is_param() && param.elem.dtype() != dtype) {
    return InvalidArgument(std::string("tensor has dtype ") + ir::DTypeName(dtype) +
                           " but the parameter's dtype is " + DTypeLabel(param.elem.code));
  }
  if (t.rank != param.rank) {
    return InvalidArgument("tensor has rank " + std::to_string(t.rank) +
                           " but the parameter has rank " + std::to_string(param.rank));
  }
  bool empty = false;
  for (uint32_t d = 0; d < t.rank; ++d) {
    if (t.shape[d] < 0) {
      return InvalidArgument("size " + std::to_string(t.shape[d]) + " of dimension " +
                             std::to_string(d) + " is negative");
    }
    empty = empty || t.shape[d] == 0;
  }
  if (!empty && t.address == 0) return InvalidArgument("tensor has elements but address 0");
  const uint32_t element_size = ir::DTypeSize(dtype);
  if (t.address % element_size != 0) {
    return InvalidArgument("address is not aligned to the " + std::to_string(element_size) +
                           "-byte element size of " + ir::DTypeName(dtype));
  }
  return Status::Ok();
}

Status CheckScalar(ir::DType dtype, const hrt_arg_t& arg) {
  const bool is_float = ir::IsFloat(dtype);
  const int32_t want = is_float ? HRT_ARG_KIND_FLOAT : HRT_ARG_KIND_INT;
  if (arg.kind != want) {
    return InvalidArgument(std::string("a scalar of dtype ") + ir::DTypeName(dtype) +
                           " needs kind " + ArgKindName(want) + ", got " + ArgKindName(arg.kind));
  }
  if (!is_float && ir::WrapToInt(dtype, arg.value.i) != arg.value.i) {
    return InvalidArgument("value " + std::to_string(arg.value.i) + " is out of the range of " +
                           ir::DTypeName(dtype));
  }
  return Status::Ok();
}

}  // namespace

std::string ArgLabel(const ir::Kernel& kernel, size_t index) {
  std::string label = "argument " + std::to_string(index);
  if (index < kernel.params.size()) label += " ('" + kernel.params[index].name + "')";
  return label;
}

Status CheckArgs(const ir::Kernel& kernel, std::span<const hrt_arg_t> args) {
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("expected " + std::to_string(kernel.params.size()) +
                           " argument(s), got " + std::to_string(args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const ir::Param& param = kernel.params[i];
    const hrt_arg_t& arg = args[i];
    if (param.kind == ir::ParamKind::kTensor) {
      if (arg.kind != HRT_ARG_KIND_TENSOR) {
        return InvalidArgument(ArgLabel(kernel, i) + ": the parameter is a tensor, got kind " +
                               ArgKindName(arg.kind));
      }
      // Label only failures: building the label on every launch costs more
      // than the whole check.
      if (Status s = CheckTensor(param, arg.value.tensor); !s.ok()) {
        return s.Annotate(ArgLabel(kernel, i));
      }
    } else if (arg.kind != HRT_ARG_KIND_INT && arg.kind != HRT_ARG_KIND_FLOAT) {
      return InvalidArgument(ArgLabel(kernel, i) + ": the parameter is a scalar, got kind " +
                             ArgKindName(arg.kind));
    }
  }
  return Status::Ok();
}

Status ValidateArgs(const ir::BoundKernel& bound, std::span<const hrt_arg_t> args) {
  const ir::Kernel& kernel = bound.kernel;
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("expected " + std::to_string(kernel.params.size()) +
                           " argument(s), got " + std::to_string(args.size()));
  }
  // Each shape symbol's size and the argument that fixed it (kUnknown: none
  // yet). Only the error path reaches here on a remembered decision, so
  // plain vectors do.
  constexpr size_t kUnknown = SIZE_MAX;
  std::vector<size_t> sym_owner(kernel.shape_syms.size(), kUnknown);
  std::vector<int64_t> sym_size(kernel.shape_syms.size(), 0);
  for (size_t i = 0; i < args.size(); ++i) {
    const ir::Param& param = kernel.params[i];
    const hrt_arg_t& arg = args[i];
    if (!param.elem.is_valid_concrete()) return Internal(ArgLabel(kernel, i) + ": unbound dtype");
    const ir::DType dtype = param.elem.dtype();
    if (param.kind == ir::ParamKind::kScalar) {
      if (Status s = CheckScalar(dtype, arg); !s.ok()) return s.Annotate(ArgLabel(kernel, i));
      continue;
    }
    const hrt_tensor_t& t = arg.value.tensor;
    if (arg.kind != HRT_ARG_KIND_TENSOR) {
      return InvalidArgument(ArgLabel(kernel, i) + ": the parameter is a tensor, got kind " +
                             ArgKindName(arg.kind));
    }
    if (Status s = CheckTensor(param, t); !s.ok()) return s.Annotate(ArgLabel(kernel, i));
    for (uint32_t d = 0; d < t.rank && d < ir::kMaxRank; ++d) {
      const uint32_t sym = param.dims[d];
      if (sym >= sym_owner.size()) return Internal(ArgLabel(kernel, i) + ": bad shape symbol");
      if (sym_owner[sym] == kUnknown) {
        sym_owner[sym] = i;
        sym_size[sym] = t.shape[d];
      } else if (sym_size[sym] != t.shape[d]) {
        return InvalidArgument(ArgLabel(kernel, i) + ": size " + std::to_string(t.shape[d]) +
                               " of dimension " + std::to_string(d) + " disagrees with " +
                               kernel.shape_syms[sym] + " = " + std::to_string(sym_size[sym]) +
                               " from " + ArgLabel(kernel, sym_owner[sym]));
      }
    }
  }
  return Status::Ok();
}

ArgCheckPlan MakeArgCheckPlan(const ir::BoundKernel& bound) {
  const ir::Kernel& kernel = bound.kernel;
  ArgCheckPlan plan;
  if (kernel.shape_syms.size() > kMaxPlannedShapeSyms) return plan;
  plan.params.resize(kernel.params.size());
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const ir::Param& param = kernel.params[i];
    if (!param.elem.is_valid_concrete() || param.rank > ir::kMaxRank) return ArgCheckPlan{};
    const ir::DType dtype = param.elem.dtype();
    ArgCheckPlan::Param& p = plan.params[i];
    if (param.kind == ir::ParamKind::kScalar) {
      p.scalar_kind = ir::IsFloat(dtype) ? HRT_ARG_KIND_FLOAT : HRT_ARG_KIND_INT;
      const ir::IntRange range = ir::IntRangeOf(dtype);
      p.min = range.min;
      p.max = range.max;
      continue;
    }
    p.tensor = true;
    p.rank = static_cast<uint8_t>(param.rank);
    p.dtype = static_cast<int32_t>(dtype);
    p.align_mask = ir::DTypeSize(dtype) - 1;
    for (uint32_t d = 0; d < param.rank; ++d) {
      if (param.dims[d] >= kernel.shape_syms.size()) return ArgCheckPlan{};
      p.syms[d] = static_cast<uint8_t>(param.dims[d]);
    }
  }
  plan.usable = true;
  return plan;
}

bool ArgsPass(const ArgCheckPlan& plan, std::span<const hrt_arg_t> args) {
  if (!plan.usable || args.size() != plan.params.size()) return false;
  std::array<int64_t, kMaxPlannedShapeSyms> size;
  uint64_t seen = 0;  // bit s: size[s] is set
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgCheckPlan::Param& p = plan.params[i];
    const hrt_arg_t& a = args[i];
    if (!p.tensor) {
      if (a.kind != p.scalar_kind) return false;
      if (a.kind == HRT_ARG_KIND_INT && (a.value.i < p.min || a.value.i > p.max)) return false;
      continue;
    }
    const hrt_tensor_t& t = a.value.tensor;
    if (a.kind != HRT_ARG_KIND_TENSOR || t.dtype != p.dtype || t.rank != p.rank ||
        (t.address & p.align_mask) != 0) {
      return false;
    }
    bool empty = false;
    for (uint32_t d = 0; d < p.rank; ++d) {
      const int64_t n = t.shape[d];
      if (n < 0) return false;
      empty = empty || n == 0;
      const uint64_t bit = uint64_t{1} << p.syms[d];
      if ((seen & bit) == 0) {
        seen |= bit;
        size[p.syms[d]] = n;
      } else if (size[p.syms[d]] != n) {
        return false;
      }
    }
    if (!empty && t.address == 0) return false;
  }
  return true;
}

}  // namespace hrt::runtime
