// hrt_runtime_*: options, creation and destruction of the runtime.
#include "runtime/runtime.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/api_status.h"
#include "runtime/select/fingerprint.h"
#include "runtime/versioned_struct.h"
#include "runtime/vulkan/vulkan_backend.h"

namespace hrt::runtime {
namespace {

hrt_runtime_options_t DefaultOptions() {
  hrt_runtime_options_t options{};
  options.struct_size = sizeof(options);
  options.log_callback = nullptr;
  options.log_user_data = nullptr;
  options.log_min_level = HRT_LOG_LEVEL_WARNING;
  options.allocator = hrt_allocator_t{nullptr, nullptr, nullptr};
  return options;
}

// The backend mask $HELIONRT_BACKENDS names ("cuda,vulkan"); all backends
// when it is unset or empty.
Result<uint32_t> BackendsFromEnvironment() {
  const char* env = std::getenv("HELIONRT_BACKENDS");
  if (env == nullptr || env[0] == '\0') return ~uint32_t{0};
  uint32_t mask = 0;
  std::string_view rest(env);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    Result<hrt_backend_t> backend = select::ParseBackendName(name);
    if (!backend.ok()) return InvalidArgument(backend.status().message());
    mask |= 1u << static_cast<uint32_t>(*backend);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return mask;
}

Status CreateRuntime(const hrt_runtime_options_t* options_in, hrt_runtime_t** out_runtime) {
  HRT_RETURN_IF_ERROR(CheckOut(out_runtime, "out_runtime"));
  *out_runtime = nullptr;
  hrt_runtime_options_t options = DefaultOptions();
  if (options_in != nullptr) {
    HRT_ASSIGN_OR_RETURN(options, ReadVersionedStruct(options_in, "options"));
  }
  const auto level = static_cast<int32_t>(options.log_min_level);
  if (level < HRT_LOG_LEVEL_DEBUG || level > HRT_LOG_LEVEL_ERROR) {
    return InvalidArgument("options.log_min_level " + std::to_string(level) +
                           " is not an hrt_log_level_t");
  }
  HRT_RETURN_IF_ERROR(CheckAllocator(options.allocator).Annotate("options"));
  if (options.vulkan_device_select != nullptr) {
    // A typo in an explicit option is the caller's bug: refused here, on
    // every machine, rather than leaving the backend without devices.
    HRT_RETURN_IF_ERROR(
        vulkan::CheckDeviceSelection(options.vulkan_device_select, "options.vulkan_device_select"));
  }

  HRT_ASSIGN_OR_RETURN(ServingTuningOptions tuning,
                       ResolveServingTuningOptions(options.tuning, options.tuning_budget));

  HRT_ASSIGN_OR_RETURN(hrt_runtime_t * runtime, NewHandle<hrt_runtime_t>(options.allocator));
  runtime->allocator = options.allocator;
  runtime->log_callback = options.log_callback;
  runtime->log_user_data = options.log_user_data;
  runtime->log_min_level = options.log_min_level;
  DeviceCreateOptions create_options;
  create_options.cuda_context = options.cuda_context;
  create_options.vulkan_instance = options.vulkan_instance;
  create_options.vulkan_physical_device = options.vulkan_physical_device;
  create_options.vulkan_device = options.vulkan_device;
  create_options.vulkan_queue = options.vulkan_queue;
  create_options.vulkan_queue_family = options.vulkan_queue_family;
  create_options.vulkan_get_instance_proc_addr = options.vulkan_get_instance_proc_addr;
  create_options.vulkan_validation = options.vulkan_validation != 0;
  if (options.vulkan_device_select != nullptr) {
    create_options.vulkan_device_select = options.vulkan_device_select;
  }
  if (options.cache_dir != nullptr) {
    create_options.cache_enabled = options.cache_dir[0] != '\0';
    create_options.cache_dir = options.cache_dir;
  }
  tuning.cache_enabled = create_options.cache_enabled;
  tuning.cache_dir = create_options.cache_dir;
  runtime->tuning = std::make_unique<TuningService>(runtime, std::move(tuning));
  uint32_t backends = options.backends;
  if (backends == 0) {
    Result<uint32_t> from_env = BackendsFromEnvironment();
    if (!from_env.ok()) {
      DeleteHandle(runtime->allocator, runtime);
      return from_env.take_status().Annotate("$HELIONRT_BACKENDS");
    }
    backends = *from_env;
  }
  try {
    runtime->devices.Enumerate(create_options, backends, [runtime](const std::string& m) {
      Log(*runtime, HRT_LOG_LEVEL_WARNING, [&] { return m; });
    });
  } catch (...) {
    DeleteHandle(runtime->allocator, runtime);
    throw;
  }
  *out_runtime = runtime;
  Log(*runtime, HRT_LOG_LEVEL_INFO, [&] {
    return std::string("created runtime (helionrt ") + HRT_VERSION_STRING +
           "): " + std::to_string(runtime->devices.size()) + " device(s)";
  });
  return Status::Ok();
}

Status DestroyRuntime(hrt_runtime_t* runtime) {
  if (runtime == nullptr) return Status::Ok();
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  const uint32_t live = runtime->live_modules.load();
  if (live != 0) {
    return Status(Code::kFailedPrecondition,
                  "runtime still has " + std::to_string(live) +
                      " live module(s); destroy them before the runtime");
  }
  const uint32_t timers = runtime->live_timers.load();
  if (timers != 0) {
    return Status(Code::kFailedPrecondition, "runtime still has " + std::to_string(timers) +
                                                 " live timer(s); destroy them before the runtime");
  }
  DeleteHandle(runtime->allocator, runtime);
  return Status::Ok();
}

}  // namespace

}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_runtime_options_init(hrt_runtime_options_t* options) {
  return hrt::runtime::Boundary("hrt_runtime_options_init", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(options, "options"));
    *options = hrt::runtime::DefaultOptions();
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_runtime_create(const hrt_runtime_options_t* options,
                                        hrt_runtime_t** out_runtime) {
  return hrt::runtime::Boundary("hrt_runtime_create",
                                [&] { return hrt::runtime::CreateRuntime(options, out_runtime); });
}

HRT_API hrt_status_t hrt_runtime_destroy(hrt_runtime_t* runtime) {
  return hrt::runtime::Boundary("hrt_runtime_destroy",
                                [&] { return hrt::runtime::DestroyRuntime(runtime); });
}

}  // extern "C"
