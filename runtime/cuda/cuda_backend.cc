// Adapts CudaDevice to the runtime's Device vtable.
#include "runtime/cuda/cuda_backend.h"

#include <cstddef>
#include <type_traits>

#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/cuda_device.h"
#include "runtime/cuda/cuda_timer.h"

namespace hrt::cuda {
namespace {

struct RuntimeDevice {
  runtime::Device base;  // must be first
  CudaDevice* device;
};
static_assert(std::is_standard_layout_v<RuntimeDevice> && offsetof(RuntimeDevice, base) == 0);

RuntimeDevice* Cast(runtime::Device* device) {
  return reinterpret_cast<RuntimeDevice*>(device);
}

void RuntimeDestroy(runtime::Device* device) {
  RuntimeDevice* d = Cast(device);
  delete d->device;
  delete d;
}

Status RuntimeLaunch(runtime::Device* device, const ir::BoundKernel& kernel,
                     std::span<const hrt_arg_t> args, void* stream, uint64_t code_id,
                     const runtime::LaunchCode* code, const uint32_t* grid) {
  return Cast(device)->device->LaunchBound(kernel, args, static_cast<CUstream>(stream), code_id,
                                           code, grid);
}

std::string RuntimeDescribeCode(runtime::Device* device, const ir::BoundKernel& kernel,
                                uint64_t code_id, const runtime::LaunchCode* code,
                                std::span<const hrt_arg_t> args) {
  return Cast(device)->device->DescribeCode(code_id, kernel, code, args);
}

Status RuntimeAlloc(runtime::Device* device, uint64_t size, uint64_t* out_address) {
  return Cast(device)->device->Alloc(size, out_address);
}

Status RuntimeFree(runtime::Device* device, uint64_t address) {
  return Cast(device)->device->Free(address);
}

Status RuntimeWrite(runtime::Device* device, uint64_t dst, const void* src, uint64_t size,
                    void* stream) {
  return Cast(device)->device->Write(dst, src, size, static_cast<CUstream>(stream));
}

Status RuntimeRead(runtime::Device* device, void* dst, uint64_t src, uint64_t size, void* stream) {
  return Cast(device)->device->Read(dst, src, size, static_cast<CUstream>(stream));
}

Status RuntimeSynchronize(runtime::Device* device, void* stream) {
  return Cast(device)->device->Synchronize(static_cast<CUstream>(stream));
}

Status RuntimeTimerCreate(runtime::Device* device, runtime::DeviceTimer** out) {
  return TimerCreate(*Cast(device)->device, out);
}

Status RuntimeTimerCreateGated(runtime::Device* device, runtime::DeviceTimer** out) {
  return TimerCreateGated(*Cast(device)->device, out);
}

void RuntimeTimerDestroy(runtime::Device* device, runtime::DeviceTimer* timer) {
  TimerDestroy(*Cast(device)->device, timer);
}

Status RuntimeTimerRecord(runtime::Device* device, runtime::DeviceTimer* timer, bool stop,
                          void* stream) {
  return TimerRecord(*Cast(device)->device, timer, stop, static_cast<CUstream>(stream));
}

Status RuntimeTimerElapsed(runtime::Device* device, runtime::DeviceTimer* timer, bool wait,
                           uint64_t* elapsed_ns) {
  return TimerElapsed(*Cast(device)->device, timer, wait, elapsed_ns);
}

Status RuntimePrepare(runtime::Device* device, const ir::BoundKernel& kernel, uint64_t code_id,
                      std::span<const hrt_arg_t> args) {
  return Cast(device)->device->Prepare(kernel, code_id, args);
}

Status RuntimeCopy(runtime::Device* device, uint64_t dst, uint64_t src, uint64_t size,
                   void* stream) {
  return Cast(device)->device->CopyAsync(dst, src, size, static_cast<CUstream>(stream));
}

const runtime::DeviceVTable kRuntimeDeviceVTable = {
    .destroy = RuntimeDestroy,
    .launch = RuntimeLaunch,
    .describe_code = RuntimeDescribeCode,
    .alloc = RuntimeAlloc,
    .free = RuntimeFree,
    .write = RuntimeWrite,
    .read = RuntimeRead,
    .synchronize = RuntimeSynchronize,
    .timer_create = RuntimeTimerCreate,
    .timer_create_gated = RuntimeTimerCreateGated,
    .timer_destroy = RuntimeTimerDestroy,
    .timer_record = RuntimeTimerRecord,
    .timer_elapsed = RuntimeTimerElapsed,
    .prepare = RuntimePrepare,
    .copy = RuntimeCopy,
};

Status Enumerate(std::vector<runtime::DeviceDesc>* out) {
  const Probe& probe = SharedProbe();
  for (const DeviceInfo& info : probe.devices) out->push_back(info.desc);
  return Status::Ok();
}

// Whether |context| is a context of |device| (a borrowed context given for
// another device is not an error: that device keeps its primary context).
Result<bool> ContextIsOf(const Driver& driver, CUcontext context, CUdevice device) {
  ScopedContext scope(driver, context);
  HRT_RETURN_IF_ERROR(Status(scope.status()).Annotate("options.cuda_context"));
  CUdevice owner = -1;
  HRT_RETURN_IF_ERROR(driver.Check(driver.api().CtxGetDevice(&owner), "cuCtxGetDevice"));
  return owner == device;
}

Result<runtime::Device*> Create(const runtime::DeviceDesc& desc,
                                const runtime::DeviceCreateOptions& create_options) {
  const Probe& probe = SharedProbe();
  if (desc.ordinal >= probe.devices.size()) {
    return Status(
        Code::kUnavailable,
        "no CUDA device " + std::to_string(desc.ordinal) +
            (probe.unavailable_reason.empty() ? std::string() : ": " + probe.unavailable_reason));
  }
  const DeviceInfo& info = probe.devices[desc.ordinal];
  DeviceOptions options;
  options.cache_enabled = create_options.cache_enabled;
  options.cache_dir = create_options.cache_dir;
  if (create_options.cuda_context != nullptr) {
    auto context = static_cast<CUcontext>(create_options.cuda_context);
    HRT_ASSIGN_OR_RETURN(const bool mine, ContextIsOf(*probe.driver, context, info.device));
    if (mine) options.context = context;
  }
  HRT_ASSIGN_OR_RETURN(std::unique_ptr<CudaDevice> device,
                       CudaDevice::Create(probe.driver, info, options));
  auto* wrapper = new RuntimeDevice{runtime::Device{&kRuntimeDeviceVTable}, device.release()};
  return &wrapper->base;
}

}  // namespace

Probe ProbeDriver(std::string_view library) {
  Probe probe;
  auto driver = Driver::Open(library);
  if (!driver.ok()) {
    probe.unavailable_reason = driver.status().message();
    return probe;
  }
  probe.driver = std::shared_ptr<const Driver>(std::move(*driver));
  auto devices = QueryDevices(*probe.driver);
  if (!devices.ok()) {
    probe.unavailable_reason = "CUDA device query failed: " + devices.status().message();
    return probe;
  }
  probe.devices = std::move(*devices);
  if (probe.devices.empty()) {
    probe.unavailable_reason =
        "the CUDA driver (" + probe.driver->library() + ") reports no devices";
  }
  return probe;
}

const Probe& SharedProbe() {
  static const Probe probe = ProbeDriver();
  return probe;
}

const std::string& UnavailableReason() {
  return SharedProbe().unavailable_reason;
}

const runtime::BackendFactory kCudaBackendFactory = {
    .backend = HRT_BACKEND_CUDA,
    .name = "cuda",
    .enumerate = Enumerate,
    .create = Create,
    .unavailable_reason = [] { return UnavailableReason(); },
    .enumerate_with_options = nullptr,
};

}  // namespace hrt::cuda
