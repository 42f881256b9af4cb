#include "codegen/interp/signature.h"

#include <string>

#include "codegen/interp/types.h"
#include "codegen/ir/expr.h"

namespace hrt::interp {
namespace {

std::string ArgName(const ir::Param& p, size_t i) {
  return "argument " + std::to_string(i) + " ('" + p.name + "')";
}

// Largest |offset| in elements any in-bounds index reaches, times the element
// size, must fit in int64 so per-lane address arithmetic cannot overflow.
Status CheckExtent(const ir::Param& p, size_t i, const Arg& a, uint32_t elem_size) {
  int64_t extent = 0;
  for (uint32_t d = 0; d < a.rank; ++d) {
    if (a.shape[d] == 0) return Status::Ok();  // empty: nothing is ever accessed
  }
  for (uint32_t d = 0; d < a.rank; ++d) {
    const int64_t stride = a.strides[d];
    int64_t term = 0;
    if (stride == INT64_MIN ||
        __builtin_mul_overflow(a.shape[d] - 1, stride < 0 ? -stride : stride, &term) ||
        __builtin_add_overflow(extent, term, &extent)) {
      return InvalidArgument(ArgName(p, i) + ": strides overflow the address range");
    }
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(extent, static_cast<int64_t>(elem_size), &bytes)) {
    return InvalidArgument(ArgName(p, i) + ": strides overflow the address range");
  }
  return Status::Ok();
}

Status BindTensor(const ir::BoundKernel& bk, size_t i, const Arg& a,
                  std::vector<int32_t>& sym_source, Launch& launch) {
  const ir::Kernel& k = bk.kernel;
  const ir::Param& p = k.params[i];
  if (a.rank != p.rank || p.rank > ir::kMaxRank) {
    return InvalidArgument(ArgName(p, i) + ": tensor of rank " + std::to_string(a.rank) +
                           " given where rank " + std::to_string(p.rank) + " is expected");
  }
  std::vector<int64_t>& syms = launch.shape_syms;
  TensorView& t = launch.tensors[i];
  HRT_ASSIGN_OR_RETURN(t.dtype, ResolveElem(bk, p.elem));
  t.name = p.name;
  t.rank = p.rank;
  bool empty = false;
  for (uint32_t d = 0; d < p.rank; ++d) {
    const int64_t size = a.shape[d];
    const uint32_t s = p.dims[d];
    if (s >= syms.size()) return Internal(ArgName(p, i) + " names an unknown shape symbol");
    if (size < 0) {
      return InvalidArgument(ArgName(p, i) + ": dim " + std::to_string(d) + " (" + k.shape_syms[s] +
                             ") has negative size " + std::to_string(size));
    }
    if (sym_source[s] >= 0 && syms[s] != size) {
      return InvalidArgument("shape symbol '" + k.shape_syms[s] + "' is " +
                             std::to_string(syms[s]) + " in " +
                             ArgName(k.params[static_cast<size_t>(sym_source[s])],
                                     static_cast<size_t>(sym_source[s])) +
                             " but " + std::to_string(size) + " in " + ArgName(p, i));
    }
    syms[s] = size;
    if (sym_source[s] < 0) sym_source[s] = static_cast<int32_t>(i);  // first provider
    t.shape[d] = size;
    t.strides[d] = a.strides[d];
    empty = empty || size == 0;
  }
  if (!empty && a.data == nullptr) {
    return InvalidArgument(ArgName(p, i) + ": null data for a non-empty tensor");
  }
  HRT_RETURN_IF_ERROR(CheckExtent(p, i, a, ir::DTypeSize(t.dtype)));
  t.data = static_cast<unsigned char*>(a.data);
  return Status::Ok();
}

Status BindScalar(const ir::BoundKernel& bk, size_t i, const Arg& a, Launch& launch) {
  const ir::Param& p = bk.kernel.params[i];
  HRT_ASSIGN_OR_RETURN(ir::DType dtype, ResolveElem(bk, p.elem));
  if (ir::IsFloat(dtype)) {
    launch.scalars[i] = ScalarFloat(dtype, ir::RoundToFloat(dtype, a.f));
    return Status::Ok();
  }
  if (ir::WrapToInt(dtype, a.i) != a.i) {
    return InvalidArgument(ArgName(p, i) + ": " + std::to_string(a.i) + " does not fit in " +
                           ir::DTypeName(dtype));
  }
  launch.scalars[i] = ScalarInt(dtype, a.i);
  return Status::Ok();
}

Status ComputeGrid(const ir::BoundKernel& bk, Launch& launch) {
  const ir::Kernel& k = bk.kernel;
  if (k.grid.empty() || k.grid.size() > ir::kMaxGridRank) {
    return Internal("grid has " + std::to_string(k.grid.size()) + " dims");
  }
  const ir::ExprEnv env{bk.tunable_values, launch.shape_syms};
  for (size_t d = 0; d < k.grid.size(); ++d) {
    Result<int64_t> v = ir::EvalExpr(k.grid[d], env);
    if (!v.ok()) {
      return Status(Code::kOutOfRange, v.status().message())
          .Annotate("grid dim " + std::to_string(d) + " (" + ir::ExprToString(k, k.grid[d]) + ")");
    }
    if (*v < 0) {
      return OutOfRange("grid dim " + std::to_string(d) + " (" + ir::ExprToString(k, k.grid[d]) +
                        ") is negative: " + std::to_string(*v));
    }
    launch.grid[d] = *v;
  }
  // Each factor is checked before multiplying, so the product stays below 2^62.
  int64_t programs = 1;
  for (const int64_t n : launch.grid) {
    if (n > kMaxPrograms || (programs *= n) > kMaxPrograms) {
      return OutOfRange("grid of " + std::to_string(launch.grid[0]) + " x " +
                        std::to_string(launch.grid[1]) + " x " + std::to_string(launch.grid[2]) +
                        " programs exceeds the limit of " + std::to_string(kMaxPrograms));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Launch> PrepareLaunch(const ir::BoundKernel& bk, std::span<const Arg> args) {
  const ir::Kernel& k = bk.kernel;
  if (args.size() != k.params.size()) {
    return InvalidArgument("expected " + std::to_string(k.params.size()) + " arguments, got " +
                           std::to_string(args.size()));
  }
  Launch launch;
  launch.shape_syms.assign(k.shape_syms.size(), 0);
  launch.tensors.resize(k.params.size());
  launch.scalars.resize(k.params.size());
  std::vector<int32_t> sym_source(k.shape_syms.size(), -1);  // param that set it
  for (size_t i = 0; i < k.params.size(); ++i) {
    if (k.params[i].kind == ir::ParamKind::kTensor) {
      HRT_RETURN_IF_ERROR(BindTensor(bk, i, args[i], sym_source, launch));
    } else {
      HRT_RETURN_IF_ERROR(BindScalar(bk, i, args[i], launch));
    }
  }
  for (size_t s = 0; s < sym_source.size(); ++s) {
    if (sym_source[s] < 0) {
      return InvalidArgument("shape symbol '" + k.shape_syms[s] +
                             "' is not a dim of any tensor argument, so its size is unknown");
    }
  }
  HRT_RETURN_IF_ERROR(ComputeGrid(bk, launch));
  return launch;
}

}  // namespace hrt::interp
