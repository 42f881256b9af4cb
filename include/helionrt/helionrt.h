// helionrt: a runtime that loads tile-IR kernels and runs them on the
// accelerators of the machine, behind a C99 API.
//
//===----------------------------------------------------------------------===//
// Introduction
//===----------------------------------------------------------------------===//
//
// A *runtime* (hrt_runtime_t) discovers the devices of the machine. A *module*
// (hrt_module_t) is a set of tile-IR kernels loaded from the binary or the text
// form (docs/tile-ir.md). A *kernel* (hrt_kernel_t) is one entry of a module:
// it can be inspected (parameters, tunables, dtype parameters) and launched on
// a device with tensors, scalars and a config that binds its tunables.
//
// In this release the only device is the CPU reference device: the tile-IR
// interpreter, which runs kernels synchronously on host memory. It is the
// oracle every GPU backend is tested against.
//
// Rules that hold for the whole API unless a function says otherwise:
//
// - Errors. Every function that can fail returns hrt_status_t. On failure it
//   also stores a message for the calling thread, read with
//   hrt_last_error_message(). On failure no out-parameter is written, except
//   that handle out-parameters (out_runtime, out_module, out_kernel) are set to
//   NULL whenever the pointer itself is not NULL. No C++ exception, abort() or
//   exit() ever leaves the library, whatever the input.
// - Handles. Handles are opaque. Passing NULL where a handle is required is
//   HRT_ERROR_INVALID_ARGUMENT. Passing a handle of another type, or one that
//   was destroyed, is detected on a best-effort basis (each handle carries a
//   tag that is poisoned on destroy) and is then HRT_ERROR_INVALID_ARGUMENT;
//   it is still a bug in the caller. The destroy functions accept NULL.
// - Ownership. Strings and arrays returned through out-parameters are owned by
//   the library and stay valid until the handle they came from is destroyed
//   (strings from hrt_status_string() and hrt_version_string() are static).
//   Input pointers are only read during the call; the library keeps no pointer
//   to caller memory after it returns.
// - Versioned structs. Structs whose first field is |struct_size| can grow in
//   later releases. Callers set struct_size = sizeof(the struct) (the *_init
//   functions do it). A struct from a newer header is accepted when the
//   fields this library does not know are zero.
// - Threads. Functions may be called from any thread. Calls on distinct
//   handles never interfere. Unless stated otherwise, calls that only read a
//   handle (queries, launches) may run concurrently on the same handle; a
//   destroy must not run concurrently with any other call on that handle or
//   on the handles it owns.
#ifndef HELIONRT_H
#define HELIONRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//===----------------------------------------------------------------------===//
// Visibility
//===----------------------------------------------------------------------===//

// HRT_API marks the functions exported from the shared library. The build of
// the library defines HRT_BUILDING_LIBRARY. On Windows, users of the static
// library define HRT_STATIC_LIBRARY.
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(HRT_STATIC_LIBRARY)
#define HRT_API
#elif defined(HRT_BUILDING_LIBRARY)
#define HRT_API __declspec(dllexport)
#else
#define HRT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define HRT_API __attribute__((visibility("default")))
#else
#define HRT_API
#endif

//===----------------------------------------------------------------------===//
// Versions
//===----------------------------------------------------------------------===//

#define HRT_VERSION_MAJOR 0
#define HRT_VERSION_MINOR 1
#define HRT_VERSION_PATCH 0
// MAJOR * 10000 + MINOR * 100 + PATCH: 0.1.0 is 100.
#define HRT_VERSION_NUMBER (HRT_VERSION_MAJOR * 10000 + HRT_VERSION_MINOR * 100 + HRT_VERSION_PATCH)
#define HRT_VERSION_STRINGIFY_(x) #x
#define HRT_VERSION_STRINGIFY(x) HRT_VERSION_STRINGIFY_(x)
#define HRT_VERSION_STRING                 \
  HRT_VERSION_STRINGIFY(HRT_VERSION_MAJOR) \
  "." HRT_VERSION_STRINGIFY(HRT_VERSION_MINOR) "." HRT_VERSION_STRINGIFY(HRT_VERSION_PATCH)

// Version of the loaded library, to compare with HRT_VERSION_NUMBER of the
// header the caller was compiled against. Thread-safe.
// @return HRT_VERSION_NUMBER of the library.
HRT_API uint32_t hrt_version_number(void);

// Version of the loaded library as text, e.g. "0.1.0". Thread-safe.
// @return a static NUL-terminated string; never NULL.
HRT_API const char* hrt_version_string(void);

// Version of the binary tile-IR format this library reads and writes. The
// library reads modules of the same major version and any minor version.
// Thread-safe.
// @return (major << 16) | minor.
HRT_API uint32_t hrt_ir_format_version(void);

//===----------------------------------------------------------------------===//
// Status codes and errors
//===----------------------------------------------------------------------===//

// Result of every fallible call. Values are stable ABI; new codes are only
// appended.
typedef enum hrt_status_e {
  HRT_OK = 0,
  // An argument is NULL, out of its domain, or contradicts another argument.
  HRT_ERROR_INVALID_ARGUMENT = 1,
  // A named thing (kernel, file) does not exist.
  HRT_ERROR_NOT_FOUND = 2,
  // An allocation failed (host or device).
  HRT_ERROR_OUT_OF_MEMORY = 3,
  // A backend or driver is missing or not usable on this machine.
  HRT_ERROR_UNAVAILABLE = 4,
  // The request is valid but not implemented for this device or build.
  HRT_ERROR_UNSUPPORTED = 5,
  // Input bytes are malformed (bad magic, checksum, truncation).
  HRT_ERROR_CORRUPT_DATA = 6,
  // Input is of a format version this library does not read.
  HRT_ERROR_VERSION_MISMATCH = 7,
  // A kernel broke a rule of the IR (types, shapes, scoping).
  HRT_ERROR_VERIFICATION_FAILED = 8,
  // The text form could not be parsed; the message holds line and column.
  HRT_ERROR_PARSE = 9,
  // Reading or writing a file failed.
  HRT_ERROR_IO = 10,
  // The device or its driver reported a failure.
  HRT_ERROR_DEVICE = 11,
  // The call is not valid in the current state (e.g. destroying a runtime
  // that still has modules).
  HRT_ERROR_FAILED_PRECONDITION = 12,
  // An index or size is outside its range, or a buffer is too small.
  HRT_ERROR_OUT_OF_RANGE = 13,
  // A bug in the library.
  HRT_ERROR_INTERNAL = 14,
  HRT_STATUS_MAX_ENUM = 0x7fffffff
} hrt_status_t;

// Name of a status code, e.g. "INVALID_ARGUMENT", or "UNKNOWN" for values
// outside the enum. Thread-safe.
// @return a static NUL-terminated string; never NULL.
HRT_API const char* hrt_status_string(hrt_status_t status);

// Message of the last failing call made on the calling thread, e.g.
// "hrt_module_get_kernel: no kernel named 'gemm' in module (kernels: add)".
// Every failing call replaces it; successful calls leave it unchanged; other
// threads' calls never touch it.
// @return a NUL-terminated string owned by the library, valid until the next
//         failing call on this thread; "" if no call has failed on this
//         thread. Never NULL.
HRT_API const char* hrt_last_error_message(void);

//===----------------------------------------------------------------------===//
// Runtime
//===----------------------------------------------------------------------===//

// The root object: devices, logging and allocation hooks. Maps (roughly) to a
// CUDA primary context set or a VkInstance.
typedef struct hrt_runtime_t hrt_runtime_t;

typedef enum hrt_log_level_e {
  HRT_LOG_LEVEL_DEBUG = 0,
  HRT_LOG_LEVEL_INFO = 1,
  HRT_LOG_LEVEL_WARNING = 2,
  HRT_LOG_LEVEL_ERROR = 3,
  HRT_LOG_LEVEL_MAX_ENUM = 0x7fffffff
} hrt_log_level_t;

// Receives log messages at or above the runtime's minimum level, on the
// thread that made the call which logs. |message| is valid only during the
// callback. The callback must be thread-safe if the runtime is used from
// several threads, and must not destroy the runtime or its modules.
typedef void (*hrt_log_callback_t)(void* user_data, hrt_log_level_t level, const char* message);

// Allocation hooks for the runtime's handle objects. They cover the memory of
// the hrt_runtime_t, hrt_module_t and hrt_kernel_t objects themselves. They do
// NOT cover what those objects hold inside (the decoded IR, names, bound-kernel
// caches, temporaries of the interpreter), which comes from the C++ heap, nor
// device memory. |alloc| returns memory of at least |size| bytes aligned to
// |alignment| (a power of two), or NULL on failure; |free| releases a block
// returned by |alloc| (never NULL). Either both are set or both are NULL (the
// library's default). Must be thread-safe when the runtime is used from
// several threads.
typedef struct hrt_allocator_t {
  void* self;
  void* (*alloc)(void* self, size_t size, size_t alignment);
  void (*free)(void* self, void* ptr);
} hrt_allocator_t;

// Whether launches tune their configs while serving.
typedef enum hrt_tuning_mode_e {
  // $HELIONRT_TUNE when set ("0"/"off" or "1"/"on"; anything else fails
  // hrt_runtime_create), else on for the backends that support it (CUDA)
  // and off on the reference device.
  HRT_TUNING_DEFAULT = 0,
  HRT_TUNING_OFF = 1,
  // On every device whose backend supports it, the reference device
  // included (its timings are the interpreter's, on the host clock).
  HRT_TUNING_ON = 2,
  HRT_TUNING_MODE_MAX_ENUM = 0x7fffffff
} hrt_tuning_mode_t;

typedef struct hrt_runtime_options_t {
  // sizeof(hrt_runtime_options_t); see "Versioned structs" above.
  size_t struct_size;
  // Optional log sink; NULL discards log messages.
  hrt_log_callback_t log_callback;
  void* log_user_data;
  // Messages below this level are not formatted nor delivered.
  hrt_log_level_t log_min_level;
  // Optional allocation hooks; all zero means the library's default.
  hrt_allocator_t allocator;
  // Optional: the host engine's CUDA context (a CUcontext), borrowed. The
  // CUDA device it belongs to runs in it instead of retaining the device's
  // primary context (other CUDA devices still use theirs). It must stay
  // alive until the runtime is destroyed. NULL: primary contexts (what the
  // CUDA runtime and PyTorch use, so kernels already share their memory).
  void* cuda_context;
  // Where code JIT-compiled for a device is kept between runs (a directory,
  // created 0700 when missing). NULL: $HELIONRT_CACHE_DIR, else
  // $XDG_CACHE_HOME/helionrt, else ~/.cache/helionrt; "" (empty): no cache.
  // A directory others can write to is refused (the cache is then off and a
  // warning is logged). Opened on the first JIT compile, not before.
  const char* cache_dir;
  // Which backends to enumerate: HRT_BACKEND_BIT(HRT_BACKEND_CUDA) | ...
  // The reference backend is always present. 0: the backends named in
  // $HELIONRT_BACKENDS (comma-separated names: "cuda,vulkan"), else all.
  uint32_t backends;
  // Optional: the host engine's Vulkan objects, borrowed (never destroyed;
  // they must outlive the runtime). They apply to the Vulkan device whose
  // physical device they name (matched by deviceUUID). |vulkan_instance|
  // alone: helionrt creates its devices in that instance. With
  // |vulkan_device|, |vulkan_queue| (of family |vulkan_queue_family|, with
  // compute) is required too, and the engine must have enabled
  // bufferDeviceAddress and shaderInt64 (docs/vulkan-backend.md lists the
  // features the generated code may use). |vulkan_physical_device| NULL:
  // found by UUID. |vulkan_get_instance_proc_addr|: the engine's
  // PFN_vkGetInstanceProcAddr (NULL: libvulkan.so.1's). On Vulkan devices a
  // launch's |stream| is a VkCommandBuffer in the recording state (the launch
  // is recorded; the caller submits) or NULL (helionrt submits).
  void* vulkan_instance;
  void* vulkan_physical_device;
  void* vulkan_device;
  void* vulkan_queue;
  uint32_t vulkan_queue_family;
  void* vulkan_get_instance_proc_addr;
  // Non-zero: run Vulkan devices under VK_LAYER_KHRONOS_validation (also
  // $HELIONRT_VULKAN_VALIDATION=1), for debugging.
  int32_t vulkan_validation;
  // Optional: the one Vulkan device to list, as $HELIONRT_VULKAN_DEVICE
  // (which it overrides): its index in the loader's vkEnumeratePhysicalDevices
  // order, or its deviceUUID (32 hex digits, dashes allowed; the uuid= of
  // the fingerprint). A CPU implementation selected this way is listed. NULL:
  // the environment variable decides; "": every usable device, whatever the
  // environment says. A value that is neither an index nor a UUID fails
  // hrt_runtime_create; one that matches no device leaves the runtime
  // without Vulkan devices and logs a warning saying so.
  const char* vulkan_device_select;
  // Incremental on-device tuning while serving (docs/tuning.md): a launch
  // whose config leaves tunables to the library is served at once with the
  // heuristic config (or the winner stored by an earlier process or by
  // `helionrt tune`), while other configs are compiled on a background
  // thread, checked against it and timed on real launches. See
  // hrt_tuning_mode_t for the default.
  hrt_tuning_mode_t tuning;
  // Extra device time tuning may spend, as a fraction of the time the calls
  // made so far took with the best config known (0.10: at most 10% over a
  // kernel's first 1000 calls, or any number). 0: $HELIONRT_TUNE_BUDGET,
  // else 0.10. At most 10.
  double tuning_budget;
} hrt_runtime_options_t;

// Fills |options| with the defaults: struct_size set, no log callback,
// minimum level HRT_LOG_LEVEL_WARNING, default allocator. Thread-safe.
// @return HRT_OK, or HRT_ERROR_INVALID_ARGUMENT if |options| is NULL.
HRT_API hrt_status_t hrt_runtime_options_init(hrt_runtime_options_t* options);

// Creates a runtime and enumerates the devices of every registered backend
// (cheaply: a device's driver objects are created when it is first used).
// |options| may be NULL for the defaults; it is copied. On success
// *|out_runtime| receives a runtime the caller destroys with
// hrt_runtime_destroy(). Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (|out_runtime| NULL, bad
//         struct_size, log level out of range, only one allocator hook set,
//         malformed vulkan_device_select); HRT_ERROR_OUT_OF_MEMORY.
HRT_API hrt_status_t hrt_runtime_create(const hrt_runtime_options_t* options,
                                        hrt_runtime_t** out_runtime);

// Destroys |runtime| and its devices. Every module and timer made from it
// must have been destroyed first. |runtime| may be NULL (no-op). Not
// thread-safe with any other call on |runtime|.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live runtime);
//         HRT_ERROR_FAILED_PRECONDITION if modules or timers are still alive
//         (nothing is destroyed then).
HRT_API hrt_status_t hrt_runtime_destroy(hrt_runtime_t* runtime);

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

// Backends. Values are stable ABI.
typedef enum hrt_backend_e {
  // The tile-IR interpreter on the host CPU; always present.
  HRT_BACKEND_CPU_REFERENCE = 0,
  HRT_BACKEND_CUDA = 1,
  HRT_BACKEND_HIP = 2,
  HRT_BACKEND_VULKAN = 3,
  HRT_BACKEND_LEVEL_ZERO = 4,
  HRT_BACKEND_MAX_ENUM = 0x7fffffff
} hrt_backend_t;

// The bit of |backend| in hrt_runtime_options_t.backends.
#define HRT_BACKEND_BIT(backend) (1u << (backend))

#define HRT_DEVICE_NAME_CAPACITY 128
#define HRT_DEVICE_VENDOR_CAPACITY 64
#define HRT_DEVICE_ARCH_CAPACITY 64

typedef struct hrt_device_properties_t {
  // Set by the caller to sizeof(hrt_device_properties_t) before the call; the
  // library writes no byte past it.
  size_t struct_size;
  hrt_backend_t backend;
  // Units that run programs in parallel (SMs, CUs; host threads used by the
  // reference device).
  uint32_t compute_units;
  // Memory the device can allocate from, in bytes (host memory for the
  // reference device); 0 when unknown.
  uint64_t memory_bytes;
  // NUL-terminated, truncated to fit.
  char name[HRT_DEVICE_NAME_CAPACITY];
  char vendor[HRT_DEVICE_VENDOR_CAPACITY];
  // Architecture, e.g. "sm_90", "gfx942", "x86_64".
  char arch[HRT_DEVICE_ARCH_CAPACITY];
  // Device UUID as reported by the driver; all zero when the backend has
  // none (the reference device).
  uint8_t uuid[16];
  // Lanes that execute in lock step (warp, wavefront, subgroup); 1 on the
  // reference device.
  uint32_t subgroup_size;
} hrt_device_properties_t;

// Number of devices found when |runtime| was created; devices are indexed
// 0..count-1, best first: GPU devices before the CPU reference device, which
// is always present and always last. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL or invalid arguments).
HRT_API hrt_status_t hrt_device_count(const hrt_runtime_t* runtime, uint32_t* out_count);

// Describes device |index|. The caller sets out_properties->struct_size.
// Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL arguments, struct_size
//         smaller than this header's struct); HRT_ERROR_OUT_OF_RANGE (|index|
//         not below hrt_device_count()).
HRT_API hrt_status_t hrt_device_get_properties(const hrt_runtime_t* runtime, uint32_t index,
                                               hrt_device_properties_t* out_properties);

// The device's fingerprint: a "key=value;..." string naming everything a
// compiled kernel depends on, e.g.
// "backend=cpu-reference;arch=x86_64;threads=1;interp=1". Caches key on it.
// Works like snprintf: *|out_length| (if |out_length| is not NULL) receives
// the full length without the NUL terminator, and |buffer| receives as much
// as fits, always NUL-terminated when |capacity| > 0. Pass |buffer| = NULL
// and |capacity| = 0 to ask for the length only. Thread-safe.
// @return HRT_OK when the whole string (and its NUL) fit, or for a length
//         query; HRT_ERROR_OUT_OF_RANGE when |capacity| is too small (the
//         truncated prefix and *|out_length| are still written);
//         HRT_ERROR_INVALID_ARGUMENT (NULL runtime, |buffer| NULL with
//         |capacity| > 0, length query with |out_length| NULL);
//         HRT_ERROR_OUT_OF_RANGE (|index| not below hrt_device_count()).
HRT_API hrt_status_t hrt_device_get_fingerprint(const hrt_runtime_t* runtime, uint32_t index,
                                                char* buffer, size_t capacity, size_t* out_length);

//===----------------------------------------------------------------------===//
// Device memory
//===----------------------------------------------------------------------===//
//
// Memory in a device's address space, for callers that do not have their own
// (an engine usually does: any device address it owns may be passed to
// launches as a tensor address). Addresses are what hrt_tensor_t.address
// holds: a CUdeviceptr on CUDA, a VkDeviceAddress on Vulkan, a host pointer
// on the CPU reference device. The runtime remembers its allocations, so the
// copy and free functions refuse any range that is not inside a live one.
// Allocations left at hrt_runtime_destroy are freed there. All thread-safe.

// Allocates |size| bytes (> 0) on device |device_index|, aligned to 256
// bytes; the reference device zero-fills them. Creates the device (and its
// context) on first use.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL runtime or out_address,
//         |size| 0); HRT_ERROR_OUT_OF_RANGE (device index);
//         HRT_ERROR_OUT_OF_MEMORY; a driver error as its status.
HRT_API hrt_status_t hrt_device_alloc(hrt_runtime_t* runtime, uint32_t device_index, size_t size,
                                      uint64_t* out_address);

// Frees an allocation of hrt_device_alloc. Work still queued that uses it
// must have finished (hrt_device_synchronize).
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL runtime, |address| not
//         the start of a live allocation on that device);
//         HRT_ERROR_OUT_OF_RANGE (device index).
HRT_API hrt_status_t hrt_device_free(hrt_runtime_t* runtime, uint32_t device_index,
                                     uint64_t address);

// Copies |size| bytes from host memory |src| to device memory at
// |dst_address|, which with |size| must lie inside one live allocation.
// Blocking: waits for the work queued on |stream| (CUDA: a CUstream, NULL
// the context's default stream; Vulkan: ignored, the copy waits for the
// device's queue to go idle; the reference device: must be NULL), then
// copies, then returns. |size| 0 does nothing.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL runtime or src, range
//         outside an allocation, non-NULL stream on the reference device);
//         HRT_ERROR_OUT_OF_RANGE (device index); a driver error.
HRT_API hrt_status_t hrt_device_write(hrt_runtime_t* runtime, uint32_t device_index,
                                      uint64_t dst_address, const void* src, size_t size,
                                      void* stream);

// Copies |size| bytes from device memory at |src_address| (inside one live
// allocation) to host memory |dst|. Blocking, like hrt_device_write: the
// data is in |dst| when it returns.
// @return as hrt_device_write.
HRT_API hrt_status_t hrt_device_read(hrt_runtime_t* runtime, uint32_t device_index, void* dst,
                                     uint64_t src_address, size_t size, void* stream);

// Waits until the work queued on |stream| (NULL: the device's default
// stream or queue) has finished.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT; HRT_ERROR_OUT_OF_RANGE; a
//         driver error (an earlier asynchronous launch that failed reports
//         here).
HRT_API hrt_status_t hrt_device_synchronize(hrt_runtime_t* runtime, uint32_t device_index,
                                            void* stream);

//===----------------------------------------------------------------------===//
// Device timers
//===----------------------------------------------------------------------===//
//
// The device's own time between two points of a stream, as CUDA events or
// Vulkan timestamp queries measure it: no host round trip is counted.
//
// HowTo:
//  1. hrt_timer_create() once per device (and reuse the timer).
//  2. hrt_timer_start(timer, stream), enqueue the work on |stream|,
//     hrt_timer_stop(timer, stream).
//  3. hrt_timer_elapsed_ns(timer, 1, &ns) waits for the stop timestamp; with
//     |wait| 0 it returns HRT_ERROR_UNAVAILABLE ("not ready") instead of
//     blocking while the device has not got there yet: poll it.
//
// |stream| is what launches take: a CUstream (NULL: the context's default
// stream) on CUDA; on Vulkan a VkCommandBuffer in the recording state (the
// timestamp is recorded into it; the caller submits it) or NULL (helionrt
// submits the timestamp on its queue, after the launches it submitted
// before); NULL on the reference device, where the host's steady clock is
// read (launches there are synchronous). The stop timestamp is taken when
// all work queued before it on its stream has completed.
//
// A timer measures one interval at a time: start it again only once the
// previous stop has been read or has completed on the device. On Vulkan,
// starting a used timer waits for a small reset submission on helionrt's
// queue, and a timer must be destroyed only after the command buffers it
// was recorded into have completed (or were freed). Calls on one timer are
// serialized internally; distinct timers are independent.

// A pair of device timestamps on one device. Maps (roughly) to two CUevents
// or a VkQueryPool of two timestamp queries.
typedef struct hrt_timer_t hrt_timer_t;

// Creates a timer on device |device_index| (creating the device on first
// use). On success *|out_timer| receives a timer the caller destroys with
// hrt_timer_destroy() before destroying |runtime|.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL runtime or out_timer);
//         HRT_ERROR_OUT_OF_RANGE (device index); HRT_ERROR_UNSUPPORTED (a
//         Vulkan queue family without timestamps: timestampValidBits 0);
//         HRT_ERROR_OUT_OF_MEMORY; a driver error.
HRT_API hrt_status_t hrt_timer_create(hrt_runtime_t* runtime, uint32_t device_index,
                                      hrt_timer_t** out_timer);

// Records the start timestamp on |stream| (see above). Starts a new interval:
// the previous one is forgotten.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live timer, non-NULL
//         stream on the reference device); a driver error.
HRT_API hrt_status_t hrt_timer_start(hrt_timer_t* timer, void* stream);

// Records the stop timestamp on |stream|, which may differ from the start's
// (the interval is then only meaningful if the streams are ordered).
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (as hrt_timer_start);
//         HRT_ERROR_FAILED_PRECONDITION (the timer was never started); a
//         driver error.
HRT_API hrt_status_t hrt_timer_stop(hrt_timer_t* timer, void* stream);

// The device time from the start to the stop timestamp, in nanoseconds
// (resolution: the device's timestamp period on Vulkan, about 0.5 us on
// CUDA). |wait| non-zero: blocks until both timestamps are written (on
// Vulkan, at most 600 s for timestamps recorded into a caller's command
// buffer, which might never be submitted). |wait| 0: never blocks.
// @return HRT_OK; HRT_ERROR_UNAVAILABLE ("not ready": |wait| 0 and a
//         timestamp is not written yet; ask again later);
//         HRT_ERROR_FAILED_PRECONDITION (not started, or started and not
//         stopped since); HRT_ERROR_INVALID_ARGUMENT (not a live timer,
//         NULL out_ns); a driver error.
HRT_API hrt_status_t hrt_timer_elapsed_ns(hrt_timer_t* timer, int32_t wait, uint64_t* out_ns);

// Destroys |timer|. |timer| may be NULL (no-op). Work that writes its
// timestamps may still be queued on CUDA; on Vulkan see above.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live timer).
HRT_API hrt_status_t hrt_timer_destroy(hrt_timer_t* timer);

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

// A set of verified tile-IR kernels, optionally with precompiled variants
// (when loaded from a kernel bundle). Maps (roughly) to a CUmodule or a
// VkShaderModule holding several entry points.
typedef struct hrt_module_t hrt_module_t;
// One kernel of a module; owned by the module (never destroyed on its own).
typedef struct hrt_kernel_t hrt_kernel_t;

// Loads a module from |size| bytes at |data|: a kernel bundle or the IR's
// binary form (each recognized by its magic), else the IR's text form. The
// bytes are copied and may be freed after the call. A bundle's kernels that
// carry IR become the module's kernels; a launch on a GPU then runs the best
// precompiled variant for the device, the launch's dtypes and shapes and any
// config entries it passes (docs/bundle-format.md, `helionrt explain`), and
// code generated from the IR when none fits. Bundle kernels without IR are
// skipped (logged as a warning). On success *|out_module| receives a module
// the caller destroys with hrt_module_destroy() before destroying |runtime|.
// Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL arguments, |size| 0);
//         binary and bundles: HRT_ERROR_CORRUPT_DATA (truncation, checksum,
//         bad record), HRT_ERROR_VERSION_MISMATCH, HRT_ERROR_UNSUPPORTED
//         (a newer bundle minor version with required parts);
//         text: HRT_ERROR_PARSE; both: HRT_ERROR_VERIFICATION_FAILED,
//         HRT_ERROR_OUT_OF_MEMORY.
HRT_API hrt_status_t hrt_module_load(hrt_runtime_t* runtime, const void* data, size_t size,
                                     hrt_module_t** out_module);

// Like hrt_module_load() with the contents of the file at |path| (a
// NUL-terminated path in the platform's encoding). Text-form errors name the
// path. Thread-safe.
// @return as hrt_module_load(), plus HRT_ERROR_NOT_FOUND (no such file) and
//         HRT_ERROR_IO (unreadable, or larger than 1 GiB).
HRT_API hrt_status_t hrt_module_load_file(hrt_runtime_t* runtime, const char* path,
                                          hrt_module_t** out_module);

// Destroys |module| and its kernels. No launch of one of its kernels may be
// running. |module| may be NULL (no-op).
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live module).
HRT_API hrt_status_t hrt_module_destroy(hrt_module_t* module);

// Number of kernels in |module|. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_module_kernel_count(const hrt_module_t* module, uint32_t* out_count);

// Name of kernel |index| of |module| (in the order of the module). Thread-safe.
// @return HRT_OK, *|out_name| owned by the module; HRT_ERROR_INVALID_ARGUMENT;
//         HRT_ERROR_OUT_OF_RANGE (|index| not below the kernel count).
HRT_API hrt_status_t hrt_module_kernel_name(const hrt_module_t* module, uint32_t index,
                                            const char** out_name);

// Finds the kernel called |name| (NUL-terminated). Thread-safe.
// @return HRT_OK, *|out_kernel| owned by |module|; HRT_ERROR_INVALID_ARGUMENT;
//         HRT_ERROR_NOT_FOUND (no such kernel; the message lists the names).
HRT_API hrt_status_t hrt_module_get_kernel(const hrt_module_t* module, const char* name,
                                           hrt_kernel_t** out_kernel);

//===----------------------------------------------------------------------===//
// Kernel introspection
//===----------------------------------------------------------------------===//
//
// Enough to generate a typed binding for a kernel: its parameters (tensors
// with a rank, an element type and a shape symbol per dimension, or scalars),
// its tunables (candidates and default) and its dtype parameters.

// Element types. Values are stable ABI (and equal the binary IR's codes).
typedef enum hrt_dtype_e {
  HRT_DTYPE_BOOL = 0,  // one byte per element
  HRT_DTYPE_I8 = 1,
  HRT_DTYPE_U8 = 2,
  HRT_DTYPE_I16 = 3,
  HRT_DTYPE_I32 = 4,
  HRT_DTYPE_I64 = 5,
  HRT_DTYPE_F16 = 6,
  HRT_DTYPE_BF16 = 7,
  HRT_DTYPE_F32 = 8,
  HRT_DTYPE_MAX_ENUM = 0x7fffffff
} hrt_dtype_t;

typedef enum hrt_param_kind_e {
  HRT_PARAM_KIND_TENSOR = 0,
  HRT_PARAM_KIND_SCALAR = 1,
  HRT_PARAM_KIND_MAX_ENUM = 0x7fffffff
} hrt_param_kind_t;

#define HRT_MAX_RANK 4

typedef struct hrt_kernel_param_info_t {
  // Set by the caller to sizeof(hrt_kernel_param_info_t).
  size_t struct_size;
  const char* name;
  hrt_param_kind_t kind;
  // Tensor rank (1..HRT_MAX_RANK); 0 for scalars.
  uint32_t rank;
  // The element type: a concrete hrt_dtype_t, or -1 when the type is the
  // dtype parameter |dtype_param| (then a config or inference binds it).
  int32_t dtype;
  // Index of the dtype parameter (see hrt_kernel_get_dtype_param()), or -1.
  int32_t dtype_param;
  // Shape symbol of each tensor dimension (0..rank-1), e.g. "N"; the same
  // symbol on two dimensions means their sizes must be equal at launch.
  // Unused entries are NULL.
  const char* dims[HRT_MAX_RANK];
} hrt_kernel_param_info_t;

typedef struct hrt_kernel_tunable_info_t {
  // Set by the caller to sizeof(hrt_kernel_tunable_info_t).
  size_t struct_size;
  const char* name;
  // The values a config may choose, distinct, in declaration order.
  const int64_t* candidates;
  size_t candidate_count;
  // The value used when a launch's config does not set this tunable.
  int64_t default_value;
} hrt_kernel_tunable_info_t;

typedef struct hrt_kernel_dtype_param_info_t {
  // Set by the caller to sizeof(hrt_kernel_dtype_param_info_t).
  size_t struct_size;
  const char* name;
  // hrt_dtype_t values; the first is the default.
  const int32_t* candidates;
  size_t candidate_count;
} hrt_kernel_dtype_param_info_t;

// Name of |kernel|. Thread-safe.
// @return HRT_OK, *|out_name| owned by the kernel's module;
//         HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_kernel_name(const hrt_kernel_t* kernel, const char** out_name);

// Number of parameters (= arguments of a launch). Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_kernel_param_count(const hrt_kernel_t* kernel, uint32_t* out_count);

// Describes parameter |index|. Pointers in *|out_info| are owned by the
// kernel's module. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL, bad struct_size);
//         HRT_ERROR_OUT_OF_RANGE (|index| not below the parameter count).
HRT_API hrt_status_t hrt_kernel_get_param(const hrt_kernel_t* kernel, uint32_t index,
                                          hrt_kernel_param_info_t* out_info);

// Number of tunables. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_kernel_tunable_count(const hrt_kernel_t* kernel, uint32_t* out_count);

// Describes tunable |index|. Pointers in *|out_info| are owned by the
// kernel's module. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT; HRT_ERROR_OUT_OF_RANGE.
HRT_API hrt_status_t hrt_kernel_get_tunable(const hrt_kernel_t* kernel, uint32_t index,
                                            hrt_kernel_tunable_info_t* out_info);

// Number of dtype parameters. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_kernel_dtype_param_count(const hrt_kernel_t* kernel, uint32_t* out_count);

// Describes dtype parameter |index|. Pointers in *|out_info| are owned by the
// kernel's module. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT; HRT_ERROR_OUT_OF_RANGE.
HRT_API hrt_status_t hrt_kernel_get_dtype_param(const hrt_kernel_t* kernel, uint32_t index,
                                                hrt_kernel_dtype_param_info_t* out_info);

//===----------------------------------------------------------------------===//
// Launch
//===----------------------------------------------------------------------===//
//
// HowTo:
//  1. Describe each argument, in parameter order: a tensor is a device
//     address plus dtype, sizes and strides (in elements); a scalar is an
//     integer or a float by value.
//  2. Optionally choose values for tunables and dtype parameters in config
//     entries. Unset tunables take their defaults. Unset dtype parameters are
//     inferred from the dtypes of the tensors that use them, else take their
//     first candidate.
//  3. Fill an hrt_launch_params_t (start from hrt_launch_params_init()) and
//     call hrt_kernel_launch().
//
// The kernel is bound to the resulting config once and the bound form is
// cached inside the kernel handle, so later launches with the same config
// skip binding.

typedef struct hrt_tensor_t {
  // Device address of element (0, ..., 0). On the reference device, a host
  // pointer. Must be aligned to the element size; may be 0 only when the
  // tensor has no elements.
  uint64_t address;
  // An hrt_dtype_t.
  int32_t dtype;
  uint32_t rank;
  // Sizes (>= 0) and strides (in elements; may be negative or 0) of
  // dimensions 0..rank-1; the rest is ignored.
  int64_t shape[HRT_MAX_RANK];
  int64_t strides[HRT_MAX_RANK];
} hrt_tensor_t;

typedef enum hrt_arg_kind_e {
  HRT_ARG_KIND_TENSOR = 0,  // value.tensor; for tensor parameters
  HRT_ARG_KIND_INT = 1,     // value.i; for integer and bool scalars
  HRT_ARG_KIND_FLOAT = 2,   // value.f; for f16, bf16 and f32 scalars
  HRT_ARG_KIND_MAX_ENUM = 0x7fffffff
} hrt_arg_kind_t;

typedef struct hrt_arg_t {
  // An hrt_arg_kind_t.
  int32_t kind;
  union {
    hrt_tensor_t tensor;
    // Must be representable in the parameter's dtype (0 or 1 for bool).
    int64_t i;
    // Rounded to the parameter's dtype.
    double f;
  } value;
} hrt_arg_t;

// Binds a tunable (value = the number) or a dtype parameter (value = an
// hrt_dtype_t) by name.
typedef struct hrt_config_entry_t {
  const char* name;
  int64_t value;
} hrt_config_entry_t;

typedef struct hrt_launch_params_t {
  // sizeof(hrt_launch_params_t); see "Versioned structs" above.
  size_t struct_size;
  // Index of the device to run on (see hrt_device_count()).
  uint32_t device_index;
  // The native stream or queue to enqueue on (CUstream, hipStream_t,
  // VkQueue...), owned by the caller. Must be NULL on the reference device,
  // which runs the launch synchronously on the calling thread.
  void* stream;
  // One argument per kernel parameter, in order.
  const hrt_arg_t* args;
  size_t arg_count;
  // Config entries; each names a tunable or dtype parameter at most once.
  const hrt_config_entry_t* config;
  size_t config_count;
  // Blocks along x, y, z for kernels that take their grid from the caller:
  // kernels imported from Triton (`helionrt bundle import-triton`), whose
  // grid rule lives in the caller's code as it does in Triton's launcher.
  // Must be all zero for tile-IR kernels, which compute their grid from the
  // shapes.
  uint32_t grid[3];
} hrt_launch_params_t;

// Fills |params| with an empty launch on device 0 (the best device): struct_size set,
// everything else zero. Thread-safe.
// @return HRT_OK, or HRT_ERROR_INVALID_ARGUMENT if |params| is NULL.
HRT_API hrt_status_t hrt_launch_params_init(hrt_launch_params_t* params);

// Launches |kernel| over its grid. Checks the arguments against the
// signature first (count, kinds, dtypes, ranks, sizes that share a shape
// symbol), resolves and binds the config, then runs: on the reference device
// synchronously, reading and writing host memory at the tensors' addresses.
// The library cannot check that a tensor's memory really spans its sizes and
// strides: that is the caller's promise. The first launch with a given
// device, config entries and tensor dtypes (and shapes, when the kernel's
// bundle variants have shape rules) decides the config, variant and code and
// may compile; later ones reuse that decision without allocating or taking
// a lock. When tuning is on for the device (hrt_runtime_options_t.tuning)
// and the config entries leave tunables open, the decision is made per
// shape bucket (power-of-two ranges of each size) and tuned while serving:
// until the tuner converges, such launches take a per-bucket lock and may
// carry an extra, timed run of a candidate config (docs/tuning.md); every
// config that serves a call has first been checked against the heuristic
// config's results. Thread-safe: several threads may launch the same kernel at once;
// the caller orders accesses to shared tensor memory.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL, wrong argument count or
//         kind, dtype not matching the parameter or contradicting another
//         tensor, bad rank or size, misaligned or NULL address, unknown or
//         repeated config name, config value outside the candidates or
//         violating a constraint, non-NULL stream on the reference device);
//         HRT_ERROR_OUT_OF_RANGE (device index, or an access out of a
//         tensor's bounds detected by the reference device);
//         HRT_ERROR_OUT_OF_MEMORY.
HRT_API hrt_status_t hrt_kernel_launch(hrt_kernel_t* kernel, const hrt_launch_params_t* params);

// Describes the path a launch with |params| takes on its device: which code
// serves it (a bundle variant and its payload kind, or code generated from
// the tile IR, and why) and how that code reached the device (loaded
// directly, JIT-compiled by the driver, from the helionrt cache, or
// interpreted). Makes the same decision hrt_kernel_launch would (and
// remembers it), but launches nothing; the device part is known once a
// launch has loaded the code ("not loaded yet" before). Arguments are
// checked as by hrt_kernel_launch. Output works like
// hrt_device_get_fingerprint's (snprintf-like). Thread-safe.
// @return HRT_OK; HRT_ERROR_OUT_OF_RANGE (|capacity| too small, device
//         index); the errors of hrt_kernel_launch's checks and decision.
HRT_API hrt_status_t hrt_kernel_describe_launch(hrt_kernel_t* kernel,
                                                const hrt_launch_params_t* params, char* buffer,
                                                size_t capacity, size_t* out_length);

// A launch decided once and run many times: the cheapest way to launch a
// kernel again and again with one device and set of config entries (what
// CUDA graphs or cached launches give a raw driver user). Runs skip the
// parameter struct, the config entries and the decision lookup; arguments
// are still checked against the signature.
typedef struct hrt_prepared_launch_t hrt_prepared_launch_t;

// Makes the decision hrt_kernel_launch would make for |params| (device,
// config entries, tensor dtypes and, where the decision depends on them,
// sizes: bundle shape rules, tuning buckets) and keeps it. Launches nothing.
// Not for kernels imported from Triton (their grid comes with each launch):
// HRT_ERROR_UNSUPPORTED. The prepared launch must be destroyed before its
// module. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL |out_launch|, and the
//         errors of hrt_kernel_launch's checks and decision);
//         HRT_ERROR_UNSUPPORTED; HRT_ERROR_OUT_OF_MEMORY.
HRT_API hrt_status_t hrt_kernel_prepare_launch(hrt_kernel_t* kernel,
                                               const hrt_launch_params_t* params,
                                               hrt_prepared_launch_t** out_launch);

// Runs |launch| with |args| (|arg_count| of them) on |stream|, which replace
// the prepared parameters' own: addresses, sizes and scalars may change, as
// long as each tensor keeps its dtype and, when the decision depended on
// sizes, their class (the same sizes for bundle shape rules; the same
// power-of-two range per size when tunables are left to tuning). Otherwise
// as hrt_kernel_launch. Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live prepared launch,
//         arguments hrt_kernel_launch would refuse, or a tensor whose dtype
//         or size class differs from the prepared one's: prepare another);
//         the device's errors.
HRT_API hrt_status_t hrt_prepared_launch_run(hrt_prepared_launch_t* launch, const hrt_arg_t* args,
                                             size_t arg_count, void* stream);

// Destroys |launch| (NULL: no-op). Not thread-safe with runs of |launch|.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (not a live prepared launch).
HRT_API hrt_status_t hrt_prepared_launch_destroy(hrt_prepared_launch_t* launch);

// Where the tuning of a launch's (kernel, device, config entries, dtypes,
// shape bucket) stands.
typedef enum hrt_tuning_state_e {
  // Not tuned: tuning is off, the config entries fix every tunable, a bundle
  // variant serves the launch, or the backend cannot tune.
  HRT_TUNING_STATE_NONE = 0,
  // The search space and stored measurements are being read (background);
  // the heuristic config, or a stored winner, serves meanwhile.
  HRT_TUNING_STATE_STARTING = 1,
  HRT_TUNING_STATE_SEARCHING = 2,
  // Converged, or a winner was stored by an earlier process: final.
  HRT_TUNING_STATE_DONE = 3,
  // Ended without converging (a failure or a cap); the best config so far
  // serves.
  HRT_TUNING_STATE_STOPPED = 4,
  HRT_TUNING_STATE_MAX_ENUM = 0x7fffffff
} hrt_tuning_state_t;

#define HRT_TUNING_CONFIG_CAPACITY 256

typedef struct hrt_tuning_status_t {
  // Set by the caller to sizeof(hrt_tuning_status_t) before the call.
  size_t struct_size;
  hrt_tuning_state_t state;
  // Configs in the search space (0 until known), and those still competing.
  uint32_t candidates;
  uint32_t alive;
  // Configs out of the race: failed to compile or gave a different result
  // than the served config (rejected; each logged as a warning), dropped as
  // far slower than the best (cut), or halved out (eliminated).
  uint32_t rejected;
  uint32_t cut;
  uint32_t eliminated;
  // Measurements of an earlier process the search started from.
  uint32_t seeded;
  // Launches served since tuning started, and the extra runs (checks and
  // measurements of other configs) they carried.
  uint64_t calls;
  uint64_t candidate_runs;
  // Extra device time charged to tuning, and the budget's allowance so far.
  uint64_t overhead_ns;
  uint64_t allowance_ns;
  // Median device time of the config that serves launches now; 0 unknown.
  uint64_t best_ns;
  // Measurement records written to the cache store.
  uint64_t stored_records;
  // The config that serves launches now ("BLOCK=1024,T=bf16"), NUL-terminated
  // and truncated to fit; "" when state is NONE.
  char config[HRT_TUNING_CONFIG_CAPACITY];
} hrt_tuning_status_t;

// Reports the tuning of launches like |params| (the same decision
// hrt_kernel_describe_launch makes; nothing is launched). Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT (NULL |out| or bad
//         struct_size); the errors of hrt_kernel_launch's checks.
HRT_API hrt_status_t hrt_kernel_get_tuning_status(hrt_kernel_t* kernel,
                                                  const hrt_launch_params_t* params,
                                                  hrt_tuning_status_t* out);

#ifdef __cplusplus
}  // extern "C"
#endif
#endif  // HELIONRT_H

//===----------------------------------------------------------------------===//
// Experimental API
//===----------------------------------------------------------------------===//
//
// Declarations below may change or disappear in any release. They are only
// visible when HRT_EXPERIMENTAL_API is defined before including this header,
// and have their own include guard so that a second inclusion with the macro
// defined makes them appear.
#if defined(HRT_EXPERIMENTAL_API) && !defined(HELIONRT_H_EXPERIMENTAL)
#define HELIONRT_H_EXPERIMENTAL

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hrt_module_format_e {
  HRT_MODULE_FORMAT_BINARY = 0,
  HRT_MODULE_FORMAT_TEXT = 1,
  HRT_MODULE_FORMAT_MAX_ENUM = 0x7fffffff
} hrt_module_format_t;

// Serializes |module| in |format|. Binary output is deterministic: loading it
// and writing it again gives the same bytes. Works like snprintf, for both
// formats: *|out_length| (if not NULL) receives the output length without a
// terminator, and |buffer| receives as much as fits followed by a NUL byte.
// Pass |buffer| = NULL and |capacity| = 0 to ask for the length only.
// Thread-safe.
// @return HRT_OK; HRT_ERROR_OUT_OF_RANGE when |capacity| <= the length;
//         HRT_ERROR_INVALID_ARGUMENT (NULL module, unknown format, |buffer|
//         NULL with |capacity| > 0, length query with |out_length| NULL).
HRT_API hrt_status_t hrt_module_write(const hrt_module_t* module, hrt_module_format_t format,
                                      void* buffer, size_t capacity, size_t* out_length);

// Number of bound kernels cached in |kernel| (one per distinct config it was
// launched with, up to an internal limit). For tests and diagnostics.
// Thread-safe.
// @return HRT_OK; HRT_ERROR_INVALID_ARGUMENT.
HRT_API hrt_status_t hrt_kernel_cached_config_count(const hrt_kernel_t* kernel, size_t* out_count);

#ifdef __cplusplus
}  // extern "C"
#endif
#endif  // HRT_EXPERIMENTAL_API
