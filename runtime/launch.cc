// hrt_kernel_launch: validate, resolve the config, bind (cached per config),
// and hand the launch to the device's backend.
#include <memory>
#include <span>
#include <string>

#include "runtime/api_status.h"
#include "runtime/launch_args.h"
#include "runtime/launch_config.h"
#include "runtime/module.h"
#include "runtime/runtime.h"
#include "runtime/versioned_struct.h"

namespace hrt::runtime {
namespace {

Status LaunchKernel(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  HRT_ASSIGN_OR_RETURN(const hrt_launch_params_t params, ReadVersionedStruct(params_in, "params"));
  if (params.args == nullptr && params.arg_count != 0) {
    return InvalidArgument("params.args is NULL but arg_count is " +
                           std::to_string(params.arg_count));
  }
  if (params.config == nullptr && params.config_count != 0) {
    return InvalidArgument("params.config is NULL but config_count is " +
                           std::to_string(params.config_count));
  }
  hrt_runtime_t* runtime = kernel->module->runtime;
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(params.device_index));

  const ir::Kernel& k = *kernel->ir;
  const std::span<const hrt_arg_t> args(params.args, params.arg_count);
  const std::span<const hrt_config_entry_t> entries(params.config, params.config_count);
  HRT_RETURN_IF_ERROR(CheckArgs(k, args));
  HRT_ASSIGN_OR_RETURN(LaunchConfig config, ResolveLaunchConfig(k, entries, args));

  std::unique_ptr<ir::BoundKernel> uncached;
  bool bound_now = false;
  HRT_ASSIGN_OR_RETURN(
      const ir::BoundKernel* bound,
      kernel->bound.GetOrBind(k, config.config, config.key, &uncached, &bound_now));
  if (bound_now) {
    Log(*runtime, HRT_LOG_LEVEL_DEBUG, [&] {
      return KernelLabel(*kernel) + ": bound config " + config.config.ToString() +
             (uncached ? " (cache full, not cached)" : "");
    });
  }

  HRT_ASSIGN_OR_RETURN(const std::vector<KernelArg> kernel_args, ConvertArgs(*bound, args));
  HRT_ASSIGN_OR_RETURN(Device * device, runtime->devices.Acquire(params.device_index));
  return device->vtable->launch(device, *bound, kernel_args, params.stream)
      .Annotate("config " + config.config.ToString() + " on device " +
                std::to_string(params.device_index));
}

}  // namespace
}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_launch_params_init(hrt_launch_params_t* params) {
  return hrt::runtime::Boundary("hrt_launch_params_init", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(params, "params"));
    *params = hrt_launch_params_t{};
    params->struct_size = sizeof(hrt_launch_params_t);
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_kernel_launch(hrt_kernel_t* kernel, const hrt_launch_params_t* params) {
  return hrt::runtime::Boundary("hrt_kernel_launch", [&]() -> hrt::Status {
    hrt::Status s = hrt::runtime::LaunchKernel(kernel, params);
    if (!s.ok() && hrt::runtime::CheckKernel(kernel).ok()) {
      s.Annotate(hrt::runtime::KernelLabel(*kernel));
    }
    return s;
  });
}

}  // extern "C"
