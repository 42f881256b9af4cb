#include "runtime/cuda/cuda_launch.h"

#include <cstring>
#include <string>

#include "codegen/ir/expr.h"
#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {

Result<LaunchPlan> PrepareLaunch(const Driver& driver, CUcontext context, CUfunction function,
                                 const ir::BoundKernel& kernel, uint32_t threads_per_block,
                                 uint32_t shared_bytes, uint32_t shared_limit) {
  LaunchPlan plan;
  plan.function = function;
  plan.context = context;
  plan.kernel = &kernel;
  plan.layout = ptx::KernelParamLayout(kernel);
  plan.threads_per_block = threads_per_block;
  plan.shared_bytes = shared_bytes;
  if (plan.layout.total_size > kMaxParamBytes || plan.layout.slots.size() > kMaxParamSlots) {
    return Unsupported("kernel parameters take " + std::to_string(plan.layout.total_size) +
                       " bytes in " + std::to_string(plan.layout.slots.size()) +
                       " slots; the launcher supports " + std::to_string(kMaxParamBytes) +
                       " bytes and " + std::to_string(kMaxParamSlots) + " slots");
  }
  if (kernel.kernel.shape_syms.size() > kMaxShapeSyms) {
    return Unsupported("kernel has " + std::to_string(kernel.kernel.shape_syms.size()) +
                       " shape symbols; the launcher supports " + std::to_string(kMaxShapeSyms));
  }
  if (kernel.kernel.grid.empty() || kernel.kernel.grid.size() > 3) {
    return InvalidArgument("kernel grid has " + std::to_string(kernel.kernel.grid.size()) +
                           " axes (1 to 3 expected)");
  }
  if (threads_per_block == 0) return InvalidArgument("zero threads per block");
  if (shared_bytes > kDefaultDynamicSharedLimit) {
    if (shared_bytes > shared_limit) {
      return Unsupported("kernel needs " + std::to_string(shared_bytes) +
                         " bytes of shared memory; the device allows " +
                         std::to_string(shared_limit));
    }
    ScopedContext scope(driver, context);
    HRT_RETURN_IF_ERROR(scope.status());
    HRT_RETURN_IF_ERROR(driver.Check(
        driver.api().FuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                      static_cast<int>(shared_bytes)),
        "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"));
  }
  return plan;
}

Result<Grid> LaunchGrid(const ir::BoundKernel& bound, std::span<const runtime::KernelArg> args) {
  const ir::Kernel& kernel = bound.kernel;
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("kernel takes " + std::to_string(kernel.params.size()) +
                           " arguments, got " + std::to_string(args.size()));
  }
  const size_t num_syms = kernel.shape_syms.size();
  if (num_syms > kMaxShapeSyms) return Unsupported("too many shape symbols");
  std::array<int64_t, kMaxShapeSyms> syms{};
  std::array<bool, kMaxShapeSyms> known{};
  for (size_t p = 0; p < kernel.params.size(); ++p) {
    const ir::Param& param = kernel.params[p];
    if (param.kind != ir::ParamKind::kTensor) continue;
    if (args[p].rank != param.rank || param.rank > ir::kMaxRank) {
      return InvalidArgument("argument " + std::to_string(p) + " has rank " +
                             std::to_string(args[p].rank) + ", the kernel expects " +
                             std::to_string(param.rank));
    }
    for (uint32_t d = 0; d < param.rank; ++d) {
      const uint32_t s = param.dims[d];
      if (s >= num_syms) return InvalidArgument("shape symbol index out of range");
      const int64_t size = args[p].shape[d];
      if (known[s] && syms[s] != size) {
        return InvalidArgument("shape symbol " + kernel.shape_syms[s] + " is " +
                               std::to_string(syms[s]) + " and " + std::to_string(size));
      }
      syms[s] = size;
      known[s] = true;
    }
  }
  const ir::ExprEnv env{bound.tunable_values, std::span<const int64_t>(syms.data(), num_syms)};
  Grid grid = {1, 1, 1};
  if (kernel.grid.size() > 3) return InvalidArgument("kernel grid has more than 3 axes");
  for (size_t axis = 0; axis < kernel.grid.size(); ++axis) {
    HRT_ASSIGN_OR_RETURN(grid[axis], ir::EvalExpr(kernel.grid[axis], env));
    const int64_t limit = axis == 0 ? kMaxGridX : kMaxGridYZ;
    if (grid[axis] < 0 || grid[axis] > limit) {
      return OutOfRange("grid axis " + std::to_string(axis) + " is " + std::to_string(grid[axis]) +
                        " (CUDA allows 0 to " + std::to_string(limit) + ")");
    }
  }
  return grid;
}

namespace {

// Triton's calling convention: one kernel parameter per IR parameter (a
// tensor's address, or a scalar in its own width), then the NULL scratch
// pointers; the grid is the caller's.
Status LaunchTriton(const Driver& driver, const LaunchPlan& plan,
                    std::span<const runtime::KernelArg> args, CUstream stream,
                    const uint32_t* grid) {
  if (grid == nullptr) return InvalidArgument("a Triton-compiled kernel needs the launch's grid");
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return Status::Ok();
  if (grid[1] > kMaxGridYZ || grid[2] > kMaxGridYZ) {
    return OutOfRange("grid y and z are at most " + std::to_string(kMaxGridYZ));
  }
  const auto& params = plan.kernel->kernel.params;
  const size_t count = params.size() + plan.scratch_params;
  if (count > kMaxParamSlots || args.size() != params.size()) {
    return InvalidArgument("bad argument count for a Triton-compiled kernel");
  }
  // One 8-byte slot per parameter; the driver reads each parameter's own
  // width from the start of its slot.
  alignas(16) uint64_t slots[kMaxParamSlots];
  void* pointers[kMaxParamSlots];
  for (size_t p = 0; p < count; ++p) {
    slots[p] = 0;  // scratch pointers stay NULL
    pointers[p] = &slots[p];
  }
  for (size_t p = 0; p < params.size(); ++p) {
    if (params[p].kind == ir::ParamKind::kTensor) {
      slots[p] = args[p].address;
      continue;
    }
    switch (params[p].elem.dtype()) {
      case ir::DType::kI32: {
        const auto v = static_cast<int32_t>(args[p].i);
        std::memcpy(&slots[p], &v, sizeof v);
        break;
      }
      case ir::DType::kI64: std::memcpy(&slots[p], &args[p].i, sizeof(int64_t)); break;
      case ir::DType::kF32: {
        const auto v = static_cast<float>(args[p].f);
        std::memcpy(&slots[p], &v, sizeof v);
        break;
      }
      default:
        return Unsupported("scalar parameter " + std::to_string(p) + " of type " +
                           ir::DTypeName(params[p].elem.dtype()) +
                           " in a Triton-compiled kernel (i32, i64 and f32 are supported)");
    }
  }
  ScopedContext scope(driver, plan.context);
  HRT_RETURN_IF_ERROR(scope.status());
  return driver.Check(driver.api().LaunchKernel(plan.function, grid[0], grid[1], grid[2],
                                                plan.threads_per_block, 1, 1, plan.shared_bytes,
                                                stream, count == 0 ? nullptr : pointers, nullptr),
                      "cuLaunchKernel");
}

}  // namespace

Status Launch(const Driver& driver, const LaunchPlan& plan,
              std::span<const runtime::KernelArg> args, CUstream stream, const uint32_t* grid_in) {
  if (plan.kernel == nullptr || plan.function == nullptr) {
    return Status(Code::kFailedPrecondition, "launch plan not prepared");
  }
  if (plan.triton_abi) return LaunchTriton(driver, plan, args, stream, grid_in);
  if (grid_in != nullptr) {
    return InvalidArgument("a tile-IR kernel computes its grid: the launch must not give one");
  }
  HRT_ASSIGN_OR_RETURN(const Grid grid, LaunchGrid(*plan.kernel, args));
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return Status::Ok();

  alignas(16) uint8_t buffer[kMaxParamBytes];
  void* params[kMaxParamSlots];
  const std::span<uint8_t> bytes(buffer, plan.layout.total_size);
  const auto& kernel_params = plan.kernel->kernel.params;
  for (uint32_t p = 0; p < kernel_params.size(); ++p) {
    const runtime::KernelArg& a = args[p];
    if (kernel_params[p].kind == ir::ParamKind::kTensor) {
      HRT_RETURN_IF_ERROR(ptx::WriteTensorParam(plan.layout, p, a.address, a.rank, a.shape.data(),
                                                a.strides.data(), bytes));
    } else {
      HRT_RETURN_IF_ERROR(ptx::WriteScalarParam(plan.layout, p, a.i, a.f, bytes));
    }
  }
  const size_t num_slots = plan.layout.slots.size();
  for (size_t i = 0; i < num_slots; ++i) params[i] = buffer + plan.layout.slots[i].offset;

  ScopedContext scope(driver, plan.context);
  HRT_RETURN_IF_ERROR(scope.status());
  return driver.Check(
      driver.api().LaunchKernel(plan.function, static_cast<unsigned>(grid[0]),
                                static_cast<unsigned>(grid[1]), static_cast<unsigned>(grid[2]),
                                plan.threads_per_block, 1, 1, plan.shared_bytes, stream,
                                num_slots == 0 ? nullptr : params, nullptr),
      "cuLaunchKernel");
}

}  // namespace hrt::cuda
