// The internal interface every backend implements.
//
// A backend registers a BackendFactory (backend_registry.cc) with two entry
// points: a cheap |enumerate| that lists its devices without creating driver
// objects (a machine without the driver simply reports none), and a lazy
// |create| that builds a Device the first time it is used.
//
// A device is a struct whose first member is `Device base` and whose vtable is
// a `static const DeviceVTable` with designated initializers; |destroy| comes
// first. Backends that load a driver at run time (CUDA via dlopen, Vulkan...)
// keep their resolved symbol table inside their device or factory state,
// never in globals visible to other backends.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "runtime/bundle/reader.h"
#include "runtime/c_api.h"
#include "runtime/select/fingerprint.h"

namespace hrt::runtime {

// A device as enumerated: everything hrt_device_get_properties() and the
// fingerprint report, known before the device is created.
struct DeviceDesc {
  hrt_backend_t backend = HRT_BACKEND_CPU_REFERENCE;
  uint32_t ordinal = 0;  // index within its backend
  std::string name;
  std::string vendor;
  std::string arch;
  std::string fingerprint;  // "key=value;..."
  // The same facts for variant selection; backend CPU_REFERENCE (never used
  // for selection: the reference device interprets the IR) otherwise.
  select::Fingerprint selection_fingerprint;
  uint32_t compute_units = 0;
  uint32_t subgroup_size = 0;
  uint64_t memory_bytes = 0;
  std::array<uint8_t, 16> uuid{};
};

// Launch arguments reach backends as the caller's hrt_arg_t, already
// validated against the bound kernel (ValidateArgs, launch_args.h): count,
// kinds, dtypes, ranks, sizes >= 0 and agreeing per shape symbol, addresses
// aligned, integer scalars in range. Backends read tensors' address, rank,
// shape and strides directly, and scalars through these two (the value of
// the other kind is 0).
inline int64_t ScalarInt(const hrt_arg_t& arg) {
  return arg.kind == HRT_ARG_KIND_INT ? arg.value.i : 0;
}
inline double ScalarFloat(const hrt_arg_t& arg) {
  return arg.kind == HRT_ARG_KIND_FLOAT ? arg.value.f : 0.0;
}

// The code a launch runs when it is not generated from the bound kernel: a
// precompiled bundle variant. The payload is read from |bundle| on the first
// launch of |id| on a device; the device keeps what it loaded.
struct LaunchCode {
  // Process-unique for (module, variant): keys the device's table of loaded
  // code together with the bound kernel, so a module destroyed and another
  // loaded at the same address never meets the old code.
  uint64_t id = 0;
  const bundle::BundleView* bundle = nullptr;
  uint32_t variant = 0;
  std::string_view entry_name;     // NUL-terminated (points into the bundle)
  uint32_t threads_per_block = 0;  // 0: the IR's (ptx::ThreadsPerBlock)
  uint32_t shared_bytes = 0;       // dynamic shared memory per block
  // Compiled by Triton (bundle format: kKernelFlagTritonAbi): tensors are
  // passed as bare pointers, scalars by value, then |scratch_params| NULL
  // pointers; the grid comes from the launch.
  bool triton_abi = false;
  uint32_t scratch_params = 0;
};

// Identifies a module's code-generated kernels the same way: |module_uid|
// with variant slot 0 (LaunchCode ids use variant + 1).
inline uint64_t CodeId(uint64_t module_uid, uint32_t variant_slot) {
  return (module_uid << 32) | variant_slot;
}

struct Device;
// A device timer (hrt_timer_t): opaque here; each backend allocates its own
// object and hands it out as a DeviceTimer*, never dereferenced outside it.
struct DeviceTimer;

struct DeviceVTable {
  // Releases the device and everything it created. Must be first.
  void (*destroy)(Device* device);
  // Enqueues |kernel| on |stream| (the caller's native stream/queue, or NULL).
  // |args| passed ValidateArgs (above). |code_id|
  // is CodeId() of the kernel's module (code generation) or |code|->id; |code|
  // is NULL when the backend generates code from |kernel| (the reference
  // device always interprets it and ignores |code|).
  // |grid| (3 values) overrides the IR's grid (Triton-ABI code); NULL: the
  // grid is the kernel's grid expressions evaluated on the shapes.
  Status (*launch)(Device* device, const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
                   void* stream, uint64_t code_id, const LaunchCode* code, const uint32_t* grid);
  // How the code a launch with |args| runs for (|code_id|, |kernel|, |code|)
  // reached the device, for hrt_kernel_describe_launch: "PTX generated from
  // the tile IR, JIT-compiled by the driver", "cubin from the helionrt
  // cache"... Empty when it has not been loaded on this device yet. (A
  // backend may compile generated code per facts of the arguments:
  // runtime/cuda/cuda_specialize.h.)
  std::string (*describe_code)(Device* device, const ir::BoundKernel& kernel, uint64_t code_id,
                               const LaunchCode* code, std::span<const hrt_arg_t> args);

  // Device memory, in the device's address space (what hrt_tensor_t::address
  // holds). The runtime checks every range against the allocations it made
  // before calling these, so backends see only valid ranges and sizes > 0.
  // |alloc|: at least |size| bytes aligned to 256.
  Status (*alloc)(Device* device, uint64_t size, uint64_t* out_address);
  // |address| came from |alloc| and is not in use by queued work.
  Status (*free)(Device* device, uint64_t address);
  // Blocking copies: they wait for the work queued on |stream| (the caller's
  // native stream, or NULL) and return when the data has arrived.
  Status (*write)(Device* device, uint64_t dst, const void* src, uint64_t size, void* stream);
  Status (*read)(Device* device, void* dst, uint64_t src, uint64_t size, void* stream);
  // Waits for everything queued on |stream| (NULL: on the device's default
  // stream or queue).
  Status (*synchronize)(Device* device, void* stream);

  // Device timers (hrt_timer_*): two timestamps the device writes around work
  // queued on a stream.
  Status (*timer_create)(Device* device, DeviceTimer** out);
  // Optional (NULL: not offered): a timer whose start, on an idle stream,
  // holds the stream until the host records its stop (for a bounded time),
  // so that the interval is the device time of the work queued in between
  // (a plain start timestamp on an idle stream is taken at once, and the
  // interval includes the host's time to queue the work). Every start
  // should be followed by its stop (or timer_destroy). The serving tuner
  // times its runs with these where it can.
  Status (*timer_create_gated)(Device* device, DeviceTimer** out);
  // |timer| came from |timer_create| of this device; no work that writes it
  // may still be queued unless the backend waits for it.
  void (*timer_destroy)(Device* device, DeviceTimer* timer);
  // Records the start (|stop| false) or stop timestamp on |stream| (the
  // caller's native stream / VkCommandBuffer, or NULL: the device's default
  // stream / internal submission). The stop timestamp is taken when all
  // work queued before it on |stream| has completed.
  Status (*timer_record)(Device* device, DeviceTimer* timer, bool stop, void* stream);
  // Elapsed device time between the two timestamps. |wait| false: never
  // blocks; returns Code::kUnavailable ("not ready": the condition is
  // transient, asking again later succeeds) until both timestamps are
  // written. |wait| true: blocks until they are. The runtime calls it only
  // after both were recorded.
  Status (*timer_elapsed)(Device* device, DeviceTimer* timer, bool wait, uint64_t* elapsed_ns);

  // Serving-time tuning (runtime/tuning/serving_tuner.h) uses these two; a
  // backend that leaves either NULL is not tuned while serving.
  //
  // Makes the code of (|code_id|, |kernel|) ready, as the first launch with
  // arguments like |args| would (generate, JIT, load; from the cache when it
  // can), without launching it. |args| are only inspected (shapes, strides,
  // address alignment), never dereferenced; empty: code for any arguments.
  // Called from a background thread while other threads launch.
  Status (*prepare)(Device* device, const ir::BoundKernel& kernel, uint64_t code_id,
                    std::span<const hrt_arg_t> args);
  // Enqueues a copy of |size| bytes between two device addresses on
  // |stream| (as for launch), ordered after the work queued before it.
  // Ranges may be the caller's memory (not only the runtime's allocations).
  Status (*copy)(Device* device, uint64_t dst, uint64_t src, uint64_t size, void* stream);
};

// Base of every device object; at offset 0 of the backend's struct.
struct Device {
  const DeviceVTable* vtable;
};

// What the runtime's options say about creating devices.
struct DeviceCreateOptions {
  void* cuda_context = nullptr;  // a CUcontext to borrow (hrt_runtime_options_t)
  // The persistent cache for JIT-compiled code (hrt_runtime_options_t):
  // disabled, or at |cache_dir| (empty: the default location).
  bool cache_enabled = true;
  std::string cache_dir;

  // Vulkan (runtime/vulkan, docs/vulkan-backend.md): the host engine's
  // objects, borrowed (never destroyed). They apply to the Vulkan device
  // whose physical device they name (matched by deviceUUID); other Vulkan
  // devices create their own. |vulkan_instance| alone: devices are created
  // in it. With |vulkan_device|, also |vulkan_queue| (of family
  // |vulkan_queue_family|, with compute) is required, and the engine must have
  // enabled bufferDeviceAddress and shaderInt64 (and, to use them, the
  // features listed in the doc); |vulkan_physical_device| NULL: found by UUID.
  void* vulkan_instance = nullptr;         // VkInstance
  void* vulkan_physical_device = nullptr;  // VkPhysicalDevice
  void* vulkan_device = nullptr;           // VkDevice
  void* vulkan_queue = nullptr;            // VkQueue
  uint32_t vulkan_queue_family = 0;
  // The engine's PFN_vkGetInstanceProcAddr; NULL: libvulkan.so.1's.
  void* vulkan_get_instance_proc_addr = nullptr;
  // Run under VK_LAYER_KHRONOS_validation (also: HELIONRT_VULKAN_VALIDATION=1).
  bool vulkan_validation = false;
  // Which Vulkan device to list (hrt_runtime_options_t.vulkan_device_select:
  // an index or a deviceUUID, the syntax of $HELIONRT_VULKAN_DEVICE, which
  // it overrides; "" lists every device). Unset: the environment variable.
  std::optional<std::string> vulkan_device_select;
};

struct BackendFactory {
  hrt_backend_t backend;
  const char* name;  // "cpu-reference", "cuda", ...
  // Appends the backend's devices to |out|. Cheap: no driver contexts. A
  // missing driver is not an error (no devices); an error is reported and
  // the backend skipped by the caller.
  Status (*enumerate)(std::vector<DeviceDesc>* out);
  // Creates the device described by |desc| (from this factory's enumerate).
  Result<Device*> (*create)(const DeviceDesc& desc, const DeviceCreateOptions& options);
  // Why the backend has no devices ("no CUDA driver (tried libcuda.so.1:
  // ...)"); empty when it is usable. NULL: the backend is always usable.
  std::string (*unavailable_reason)();
  // Optional (NULL: |enumerate|): enumeration under the runtime's options,
  // for backends whose device list depends on them (Vulkan:
  // |vulkan_device_select|). What |create| then receives with the same
  // options matches it.
  Status (*enumerate_with_options)(const DeviceCreateOptions& options,
                                   std::vector<DeviceDesc>* out);
};

}  // namespace hrt::runtime
