// hrt_kernel_prepare_launch / hrt_prepared_launch_run: a launch decision
// made once (launch.h: DecideLaunch) and kept in a handle, so a run only
// checks that its tensors still fit the decision (MemoKeyTensorsMatch) and
// its arguments the signature (ArgsPass), then calls the backend. It skips
// what hrt_kernel_launch redoes on every call: reading the params struct,
// matching config entries by name, hashing the key and finding it.
#include <memory>
#include <span>
#include <string>

#include "runtime/api_status.h"
#include "runtime/launch.h"
#include "runtime/launch_args.h"
#include "runtime/runtime.h"

struct hrt_prepared_launch_t {
  uint32_t tag = hrt::runtime::kPreparedLaunchTag;  // must be first; see handle.h
  hrt_kernel_t* kernel = nullptr;
  hrt::runtime::MemoEntry entry;
  std::unique_ptr<hrt::ir::BoundKernel> owned_bound;  // when the cache did not keep it
  size_t arg_count = 0;
  size_t tensor_words = 0;  // where the key's tensor words start
  hrt::runtime::MemoShapes shapes = hrt::runtime::MemoShapes::kNone;
};

namespace hrt::runtime {
namespace {

Status CheckPrepared(const hrt_prepared_launch_t* launch) {
  return CheckHandle(launch, kPreparedLaunchTag, "launch (hrt_prepared_launch_t)");
}

Status Prepare(hrt_kernel_t* kernel, const hrt_launch_params_t* params,
               hrt_prepared_launch_t** out_launch) {
  HRT_RETURN_IF_ERROR(CheckOut(out_launch, "out_launch"));
  *out_launch = nullptr;
  HRT_ASSIGN_OR_RETURN(const CheckedLaunch checked, CheckLaunch(kernel, params));
  if (kernel->triton_abi) {
    return Unsupported(
        "the kernel was compiled by Triton: its grid comes with each launch; use "
        "hrt_kernel_launch");
  }
  HRT_ASSIGN_OR_RETURN(DecidedLaunch decided, DecideLaunch(kernel, checked));
  HRT_ASSIGN_OR_RETURN(hrt_prepared_launch_t * launch,
                       NewHandle<hrt_prepared_launch_t>(kernel->module->runtime->allocator));
  launch->kernel = kernel;
  launch->entry = decided.entry;
  launch->owned_bound = std::move(decided.uncached);
  launch->arg_count = checked.args.size();
  // The key's layout (launch_memo.h): one word per tunable and dtype
  // parameter, then per tensor its dtype and, if the decision depends on
  // them, one word per dimension.
  const ir::Kernel& k = *kernel->ir;
  launch->tensor_words = k.tunables.size() + k.dtype_params.size();
  size_t tensors = 0, dims = 0;
  for (const hrt_arg_t& a : checked.args) {
    if (a.kind != HRT_ARG_KIND_TENSOR) continue;
    ++tensors;
    dims += a.value.tensor.rank;
  }
  launch->shapes = launch->entry.key.count == launch->tensor_words + tensors + dims
                       ? kernel->memo_shapes
                       : MemoShapes::kNone;
  if (!MemoKeyTensorsMatch(launch->entry.key, launch->tensor_words, checked.args, launch->shapes)) {
    // Only a key MakeMemoKey could not build (too many words) gets here.
    DeleteHandle(kernel->module->runtime->allocator, launch);
    return Unsupported("this launch's decision cannot be kept (its key is too large)");
  }
  kernel->module->live_prepared.fetch_add(1);
  *out_launch = launch;
  return Status::Ok();
}

// Why |args| do not fit |launch| (the fast checks failed).
Status Mismatch(const hrt_prepared_launch_t& launch, std::span<const hrt_arg_t> args) {
  const ir::Kernel& k = *launch.kernel->ir;
  HRT_RETURN_IF_ERROR(CheckArgs(k, args));
  if (args.size() == launch.arg_count &&
      MemoKeyTensorsMatch(launch.entry.key, launch.tensor_words, args, launch.shapes)) {
    HRT_RETURN_IF_ERROR(ValidateArgs(*launch.entry.bound, args));
  }
  return InvalidArgument(
      std::string("the tensors' dtypes or sizes differ from those the launch was prepared with") +
      (launch.shapes == MemoShapes::kExact ? " (the kernel's bundle variants choose by exact sizes)"
       : launch.shapes == MemoShapes::kBuckets
           ? " (sizes are tuned per power-of-two range: each size must stay in its range)"
           : "") +
      "; prepare another launch for them");
}

Status RunPrepared(hrt_prepared_launch_t* launch, const hrt_arg_t* args, size_t arg_count,
                   void* stream) {
  HRT_RETURN_IF_ERROR(CheckPrepared(launch));
  if (args == nullptr && arg_count != 0) {
    return InvalidArgument("args is NULL but arg_count is " + std::to_string(arg_count));
  }
  const std::span<const hrt_arg_t> a(args, arg_count);
  if (arg_count != launch->arg_count ||
      !MemoKeyTensorsMatch(launch->entry.key, launch->tensor_words, a, launch->shapes)) {
    return Mismatch(*launch, a);
  }
  return RunDecision(launch->entry, *launch->kernel->ir, a, stream, nullptr);
}

Status DestroyPrepared(hrt_prepared_launch_t* launch) {
  if (launch == nullptr) return Status::Ok();
  HRT_RETURN_IF_ERROR(CheckPrepared(launch));
  hrt_module_t* module = launch->kernel->module;
  DeleteHandle(module->runtime->allocator, launch);
  module->live_prepared.fetch_sub(1);
  return Status::Ok();
}

}  // namespace
}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_kernel_prepare_launch(hrt_kernel_t* kernel,
                                               const hrt_launch_params_t* params,
                                               hrt_prepared_launch_t** out_launch) {
  return hrt::runtime::Boundary("hrt_kernel_prepare_launch", [&]() -> hrt::Status {
    hrt::Status s = hrt::runtime::Prepare(kernel, params, out_launch);
    if (!s.ok() && hrt::runtime::CheckKernel(kernel).ok()) {
      s.Annotate(hrt::runtime::KernelLabel(*kernel));
    }
    return s;
  });
}

HRT_API hrt_status_t hrt_prepared_launch_run(hrt_prepared_launch_t* launch, const hrt_arg_t* args,
                                             size_t arg_count, void* stream) {
  return hrt::runtime::Boundary("hrt_prepared_launch_run", [&]() -> hrt::Status {
    hrt::Status s = hrt::runtime::RunPrepared(launch, args, arg_count, stream);
    if (!s.ok() && hrt::runtime::CheckPrepared(launch).ok()) {
      s.Annotate(hrt::runtime::KernelLabel(*launch->kernel));
    }
    return s;
  });
}

HRT_API hrt_status_t hrt_prepared_launch_destroy(hrt_prepared_launch_t* launch) {
  return hrt::runtime::Boundary("hrt_prepared_launch_destroy",
                                [&] { return hrt::runtime::DestroyPrepared(launch); });
}

}  // extern "C"
