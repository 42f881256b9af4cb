#include "runtime/cuda/cuda_launch.h"

#include <cstring>
#include <optional>
#include <string>

#include "codegen/ir/expr.h"
#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {

namespace {

// The value of |expr| when it does not depend on any shape symbol.
std::optional<int64_t> ConstantValue(const ir::Expr& expr, std::span<const int64_t> tunables) {
  Result<int64_t> v = ir::EvalExpr(expr, ir::ExprEnv{tunables, {}});
  if (!v.ok()) return std::nullopt;
  return *v;
}

LaunchPlan::GridAxis ClassifyGridAxis(const ir::Expr& expr, std::span<const int64_t> tunables) {
  LaunchPlan::GridAxis axis;
  if (expr.nodes.empty()) return axis;
  if (const std::optional<int64_t> c = ConstantValue(expr, tunables)) {
    axis.kind = LaunchPlan::GridAxis::kConstant;
    axis.value = *c;
    return axis;
  }
  const ir::ExprNode& root = expr.nodes.back();
  const size_t root_index = expr.nodes.size() - 1;
  if (root.op != ir::ExprOp::kCeilDiv || root.lhs >= root_index || root.rhs >= root_index) {
    return axis;
  }
  const ir::ExprNode& lhs = expr.nodes[root.lhs];
  if (lhs.op != ir::ExprOp::kShapeSym || lhs.value < 0) return axis;
  // The divisor's subexpression: the nodes up to it, with every node it does
  // not reach (the shape symbol included, when it comes first) made a
  // constant, so evaluating it needs no shape symbol.
  ir::Expr divisor;
  divisor.nodes.assign(expr.nodes.begin(), expr.nodes.begin() + root.rhs + 1);
  std::vector<bool> reached(divisor.nodes.size(), false);
  reached.back() = true;
  for (size_t i = divisor.nodes.size(); i-- > 0;) {
    ir::ExprNode& n = divisor.nodes[i];
    if (!reached[i]) {
      n = ir::ExprNode{};  // kConst 0
      continue;
    }
    const bool binary =
        n.op != ir::ExprOp::kConst && n.op != ir::ExprOp::kTunable && n.op != ir::ExprOp::kShapeSym;
    if (binary && n.lhs < i && n.rhs < i) {
      reached[n.lhs] = true;
      reached[n.rhs] = true;
    }
  }
  const std::optional<int64_t> d = ConstantValue(divisor, tunables);
  if (!d || *d <= 0) return axis;
  axis.kind = LaunchPlan::GridAxis::kCeilDivSym;
  axis.sym = static_cast<uint32_t>(lhs.value);
  axis.value = *d;
  return axis;
}

}  // namespace

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
  const auto& params = kernel.kernel.params;
  if (plan.layout.first_slot.size() != params.size()) {
    return Internal("parameter layout does not match the kernel's parameters");
  }
  plan.sym_first.assign(kernel.kernel.shape_syms.size(), LaunchPlan::DimRef{UINT32_MAX, 0, 0});
  for (uint32_t p = 0; p < params.size(); ++p) {
    if (params[p].kind != ir::ParamKind::kTensor) continue;
    for (uint32_t d = 0; d < params[p].rank && d < ir::kMaxRank; ++d) {
      const uint32_t sym = params[p].dims[d];
      if (sym >= plan.sym_first.size()) return Internal("shape symbol index out of range");
      LaunchPlan::DimRef& first = plan.sym_first[sym];
      if (first.param == UINT32_MAX) {
        first = {p, d, sym};
      } else {
        plan.sym_checks.push_back({p, d, sym});
      }
    }
  }
  plan.grid_rank = static_cast<uint32_t>(kernel.kernel.grid.size());
  plan.direct_grid = true;
  for (size_t axis = 0; axis < kernel.kernel.grid.size(); ++axis) {
    LaunchPlan::GridAxis& form = plan.grid_axes[axis];
    form = ClassifyGridAxis(kernel.kernel.grid[axis], kernel.tunable_values);
    if (form.kind == LaunchPlan::GridAxis::kCeilDivSym && form.sym < plan.sym_first.size() &&
        plan.sym_first[form.sym].param != UINT32_MAX) {
      form.size = plan.sym_first[form.sym];
    } else if (form.kind != LaunchPlan::GridAxis::kConstant) {
      plan.direct_grid = false;
    }
  }
  for (const ptx::ParamSlot& slot : plan.layout.slots) plan.slot_offsets.push_back(slot.offset);
  plan.tensors.resize(params.size());
  for (uint32_t p = 0; p < params.size(); ++p) {
    if (params[p].kind != ir::ParamKind::kTensor) continue;
    const uint32_t first = plan.layout.first_slot[p];
    const uint32_t rank = params[p].rank;
    if (rank > ir::kMaxRank || first + 1 + 2 * size_t{rank} > plan.layout.slots.size()) {
      return Internal("parameter layout has no room for tensor " + std::to_string(p));
    }
    TensorPlacement& t = plan.tensors[p];
    t.rank = rank;
    t.base = plan.layout.slots[first].offset;
    for (uint32_t d = 0; d < rank; ++d) {
      const ptx::ParamSlot& size = plan.layout.slots[first + 1 + d];
      const ptx::ParamSlot& stride = plan.layout.slots[first + 1 + rank + d];
      if (size.param != p || size.role != ptx::ParamRole::kSize || stride.param != p ||
          stride.role != ptx::ParamRole::kStride) {
        return Internal("unexpected parameter layout for tensor " + std::to_string(p));
      }
      t.size[d] = size.offset;
      t.stride[d] = stride.offset;
    }
  }
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

Result<Grid> LaunchGrid(const LaunchPlan& plan, std::span<const hrt_arg_t> args) {
  const ir::BoundKernel& bound = *plan.kernel;
  const ir::Kernel& kernel = bound.kernel;
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("kernel takes " + std::to_string(kernel.params.size()) +
                           " arguments, got " + std::to_string(args.size()));
  }
  const size_t num_syms = plan.sym_first.size();
  std::array<int64_t, kMaxShapeSyms> syms;  // the first num_syms are set below
  for (size_t s = 0; s < num_syms; ++s) {
    const LaunchPlan::DimRef& r = plan.sym_first[s];
    syms[s] = 0;
    if (r.param == UINT32_MAX) continue;
    const hrt_tensor_t& t = args[r.param].value.tensor;
    if (t.rank <= r.dim) return InvalidArgument("argument rank below the kernel's");
    syms[s] = t.shape[r.dim];
  }
  for (const LaunchPlan::DimRef& r : plan.sym_checks) {
    const hrt_tensor_t& t = args[r.param].value.tensor;
    if (t.rank <= r.dim) return InvalidArgument("argument rank below the kernel's");
    const int64_t size = t.shape[r.dim];
    if (size != syms[r.sym]) {
      return InvalidArgument("shape symbol " + kernel.shape_syms[r.sym] + " is " +
                             std::to_string(syms[r.sym]) + " and " + std::to_string(size));
    }
  }
  const ir::ExprEnv env{bound.tunable_values, std::span<const int64_t>(syms.data(), num_syms)};
  Grid grid = {1, 1, 1};
  if (kernel.grid.size() > 3) return InvalidArgument("kernel grid has more than 3 axes");
  for (size_t axis = 0; axis < kernel.grid.size(); ++axis) {
    const LaunchPlan::GridAxis& form = plan.grid_axes[axis];
    if (form.kind == LaunchPlan::GridAxis::kConstant) {
      grid[axis] = form.value;
    } else if (form.kind == LaunchPlan::GridAxis::kCeilDivSym && form.sym < num_syms &&
               syms[form.sym] >= 0 && syms[form.sym] <= INT64_MAX - form.value) {
      grid[axis] = (syms[form.sym] + form.value - 1) / form.value;
    } else {
      HRT_ASSIGN_OR_RETURN(grid[axis], ir::EvalExpr(kernel.grid[axis], env));
    }
    const int64_t limit = axis == 0 ? kMaxGridX : kMaxGridYZ;
    if (grid[axis] < 0 || grid[axis] > limit) {
      return OutOfRange("grid axis " + std::to_string(axis) + " is " + std::to_string(grid[axis]) +
                        " (CUDA allows 0 to " + std::to_string(limit) + ")");
    }
  }
  return grid;
}

namespace {

// The grid of a direct_grid plan; false (nothing decided) when a size is out
// of the form's range, leaving the launch to LaunchGrid and its messages.
bool DirectGrid(const LaunchPlan& plan, std::span<const hrt_arg_t> args, Grid* grid) {
  for (uint32_t axis = 0; axis < plan.grid_rank; ++axis) {
    const LaunchPlan::GridAxis& form = plan.grid_axes[axis];
    int64_t n = form.value;
    if (form.kind == LaunchPlan::GridAxis::kCeilDivSym) {
      const hrt_tensor_t& t = args[form.size.param].value.tensor;
      if (t.rank <= form.size.dim) return false;
      const int64_t size = t.shape[form.size.dim];
      if (size < 0 || size > INT64_MAX - form.value) return false;
      n = (size + form.value - 1) / form.value;
    }
    if (n < 0 || n > (axis == 0 ? kMaxGridX : kMaxGridYZ)) return false;
    (*grid)[axis] = n;
  }
  return true;
}

// Triton's calling convention: one kernel parameter per IR parameter (a
// tensor's address, or a scalar in its own width), then the NULL scratch
// pointers; the grid is the caller's.
Status LaunchTriton(const Driver& driver, const LaunchPlan& plan, std::span<const hrt_arg_t> args,
                    CUstream stream, const uint32_t* grid) {
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
      slots[p] = args[p].value.tensor.address;
      continue;
    }
    switch (params[p].elem.dtype()) {
      case ir::DType::kI32: {
        const auto v = static_cast<int32_t>(runtime::ScalarInt(args[p]));
        std::memcpy(&slots[p], &v, sizeof v);
        break;
      }
      case ir::DType::kI64: {
        const int64_t v = runtime::ScalarInt(args[p]);
        std::memcpy(&slots[p], &v, sizeof v);
        break;
      }
      case ir::DType::kF32: {
        const auto v = static_cast<float>(runtime::ScalarFloat(args[p]));
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

Status Launch(const Driver& driver, const LaunchPlan& plan, std::span<const hrt_arg_t> args,
              CUstream stream, const uint32_t* grid_in) {
  if (plan.kernel == nullptr || plan.function == nullptr) {
    return Status(Code::kFailedPrecondition, "launch plan not prepared");
  }
  if (plan.triton_abi) return LaunchTriton(driver, plan, args, stream, grid_in);
  if (grid_in != nullptr) {
    return InvalidArgument("a tile-IR kernel computes its grid: the launch must not give one");
  }
  if (args.size() != plan.kernel->kernel.params.size()) {
    return InvalidArgument("kernel takes " + std::to_string(plan.kernel->kernel.params.size()) +
                           " arguments, got " + std::to_string(args.size()));
  }
  Grid grid = {1, 1, 1};
  if (!plan.direct_grid || !DirectGrid(plan, args, &grid)) {
    HRT_ASSIGN_OR_RETURN(grid, LaunchGrid(plan, args));
  }
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return Status::Ok();

  alignas(16) uint8_t buffer[kMaxParamBytes];
  void* params[kMaxParamSlots];
  const std::span<uint8_t> bytes(buffer, plan.layout.total_size);
  const auto& kernel_params = plan.kernel->kernel.params;
  for (uint32_t p = 0; p < kernel_params.size(); ++p) {
    const hrt_arg_t& a = args[p];
    if (kernel_params[p].kind == ir::ParamKind::kTensor) {
      const TensorPlacement& t = plan.tensors[p];
      const hrt_tensor_t& tensor = a.value.tensor;
      if (tensor.rank != t.rank) {
        return InvalidArgument("tensor parameter " + std::to_string(p) + " has rank " +
                               std::to_string(t.rank) + ", not " + std::to_string(tensor.rank));
      }
      std::memcpy(buffer + t.base, &tensor.address, sizeof tensor.address);
      for (uint32_t d = 0; d < t.rank; ++d) {
        std::memcpy(buffer + t.size[d], &tensor.shape[d], sizeof(int64_t));
        std::memcpy(buffer + t.stride[d], &tensor.strides[d], sizeof(int64_t));
      }
    } else {
      HRT_RETURN_IF_ERROR(ptx::WriteScalarParam(plan.layout, p, runtime::ScalarInt(a),
                                                runtime::ScalarFloat(a), bytes));
    }
  }
  const size_t num_slots = plan.layout.slots.size();
  for (size_t i = 0; i < num_slots; ++i) params[i] = buffer + plan.slot_offsets[i];

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
