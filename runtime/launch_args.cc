#include "runtime/launch_args.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

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

Status ConvertArgs(const ir::BoundKernel& bound, std::span<const hrt_arg_t> args,
                   std::span<KernelArg> out) {
  const ir::Kernel& kernel = bound.kernel;
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("expected " + std::to_string(kernel.params.size()) +
                           " argument(s), got " + std::to_string(args.size()));
  }
  if (out.size() != args.size()) return Internal("ConvertArgs: output size differs");
  // Each shape symbol's size and the argument that fixed it (kUnknown: none
  // yet); on the stack for the usual small kernels, and only as many entries
  // initialized as there are symbols.
  constexpr size_t kUnknown = SIZE_MAX;
  const size_t num_syms = kernel.shape_syms.size();
  std::array<size_t, kMaxFastShapeSyms> sym_stack;
  std::vector<size_t> sym_heap;
  std::span<size_t> sym_owner(sym_stack.data(), std::min(num_syms, kMaxFastShapeSyms));
  if (num_syms > kMaxFastShapeSyms) {
    sym_heap.resize(num_syms);
    sym_owner = sym_heap;
  }
  std::fill(sym_owner.begin(), sym_owner.end(), kUnknown);
  std::array<int64_t, kMaxFastShapeSyms> size_stack;
  std::vector<int64_t> size_heap;
  std::span<int64_t> sym_size(size_stack.data(), sym_owner.size());
  if (num_syms > kMaxFastShapeSyms) {
    size_heap.resize(num_syms);
    sym_size = size_heap;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const ir::Param& param = kernel.params[i];
    const hrt_arg_t& arg = args[i];
    if (!param.elem.is_valid_concrete()) return Internal(ArgLabel(kernel, i) + ": unbound dtype");
    const ir::DType dtype = param.elem.dtype();
    KernelArg& k = *std::construct_at(&out[i]);
    if (param.kind == ir::ParamKind::kScalar) {
      if (Status s = CheckScalar(dtype, arg); !s.ok()) return s.Annotate(ArgLabel(kernel, i));
      if (arg.kind == HRT_ARG_KIND_FLOAT) {
        k.f = arg.value.f;
      } else {
        k.i = arg.value.i;
      }
      continue;
    }
    const hrt_tensor_t& t = arg.value.tensor;
    if (arg.kind != HRT_ARG_KIND_TENSOR) {
      return InvalidArgument(ArgLabel(kernel, i) + ": the parameter is a tensor, got kind " +
                             ArgKindName(arg.kind));
    }
    if (Status s = CheckTensor(param, t); !s.ok()) return s.Annotate(ArgLabel(kernel, i));
    k.address = t.address;
    k.rank = t.rank;
    for (uint32_t d = 0; d < t.rank && d < ir::kMaxRank; ++d) {
      k.shape[d] = t.shape[d];
      k.strides[d] = t.strides[d];
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

}  // namespace hrt::runtime
