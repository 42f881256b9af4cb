// The CPU reference device: adapts hrt_arg_t to interp::Arg and calls
// interp::Run.
#include "runtime/reference_backend.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "codegen/interp/interpreter.h"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace hrt::runtime {
namespace {

struct ReferenceDevice {
  Device base;  // must be first
};
static_assert(std::is_standard_layout_v<ReferenceDevice> && offsetof(ReferenceDevice, base) == 0);

ReferenceDevice* Cast(Device* device) {
  return reinterpret_cast<ReferenceDevice*>(device);
}

void ReferenceDestroy(Device* device) {
  delete Cast(device);
}

Status CheckNoStream(void* stream) {
  if (stream == nullptr) return Status::Ok();
  return InvalidArgument(
      "stream must be NULL on the CPU reference device (it runs everything synchronously)");
}

Status ReferenceLaunch(Device* /*device*/, const ir::BoundKernel& kernel,
                       std::span<const hrt_arg_t> args, void* stream, uint64_t /*code_id*/,
                       const LaunchCode* /*code*/, const uint32_t* /*grid*/) {
  HRT_RETURN_IF_ERROR(CheckNoStream(stream));
  std::vector<interp::Arg> interp_args(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const hrt_arg_t& arg = args[i];
    interp::Arg& out = interp_args[i];
    out.i = ScalarInt(arg);
    out.f = ScalarFloat(arg);
    if (arg.kind != HRT_ARG_KIND_TENSOR) continue;
    const hrt_tensor_t& in = arg.value.tensor;
    if (in.address > UINTPTR_MAX) {
      return InvalidArgument("argument " + std::to_string(i) +
                             ": address does not fit a host pointer");
    }
    out.data = reinterpret_cast<void*>(static_cast<uintptr_t>(in.address));
    out.rank = in.rank;
    for (uint32_t d = 0; d < in.rank && d < ir::kMaxRank; ++d) {
      out.shape[d] = in.shape[d];
      out.strides[d] = in.strides[d];
    }
  }
  return interp::Run(kernel, interp_args);
}

std::string ReferenceDescribeCode(Device* /*device*/, const ir::BoundKernel& /*kernel*/,
                                  uint64_t /*code_id*/, const LaunchCode* /*code*/,
                                  std::span<const hrt_arg_t> /*args*/) {
  return "interpreted on the CPU by the reference interpreter";
}

// Device memory is host memory: an address is a host pointer.
Status ReferenceAlloc(Device* /*device*/, uint64_t size, uint64_t* out_address) {
  if (size > SIZE_MAX - 255) return Status(Code::kOutOfMemory, "allocation too large");
  const size_t rounded = (static_cast<size_t>(size) + 255) & ~size_t{255};
  void* p = std::aligned_alloc(256, rounded);
  if (p == nullptr) {
    return Status(Code::kOutOfMemory,
                  "could not allocate " + std::to_string(size) + " bytes of host memory");
  }
  // Zeroed, so a kernel reading memory nobody wrote is deterministic.
  std::memset(p, 0, rounded);
  *out_address = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
  return Status::Ok();
}

void* HostPointer(uint64_t address) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(address));
}

Status ReferenceFree(Device* /*device*/, uint64_t address) {
  std::free(HostPointer(address));
  return Status::Ok();
}

Status ReferenceWrite(Device* /*device*/, uint64_t dst, const void* src, uint64_t size,
                      void* stream) {
  HRT_RETURN_IF_ERROR(CheckNoStream(stream));
  std::memcpy(HostPointer(dst), src, static_cast<size_t>(size));
  return Status::Ok();
}

Status ReferenceRead(Device* /*device*/, void* dst, uint64_t src, uint64_t size, void* stream) {
  HRT_RETURN_IF_ERROR(CheckNoStream(stream));
  std::memcpy(dst, HostPointer(src), static_cast<size_t>(size));
  return Status::Ok();
}

Status ReferenceSynchronize(Device* /*device*/, void* stream) {
  return CheckNoStream(stream);
}

// Timers: launches run synchronously on the calling thread, so the host's
// steady clock read at start and stop brackets exactly the work between.
struct ReferenceTimer {
  std::chrono::steady_clock::time_point stamp[2];
};

Status ReferenceTimerCreate(Device* /*device*/, DeviceTimer** out) {
  *out = reinterpret_cast<DeviceTimer*>(new ReferenceTimer());
  return Status::Ok();
}

void ReferenceTimerDestroy(Device* /*device*/, DeviceTimer* timer) {
  delete reinterpret_cast<ReferenceTimer*>(timer);
}

Status ReferenceTimerRecord(Device* /*device*/, DeviceTimer* timer, bool stop, void* stream) {
  HRT_RETURN_IF_ERROR(CheckNoStream(stream));
  reinterpret_cast<ReferenceTimer*>(timer)->stamp[stop ? 1 : 0] = std::chrono::steady_clock::now();
  return Status::Ok();
}

// Both stamps exist once recorded: never "not ready".
Status ReferenceTimerElapsed(Device* /*device*/, DeviceTimer* timer, bool /*wait*/,
                             uint64_t* elapsed_ns) {
  const auto* t = reinterpret_cast<ReferenceTimer*>(timer);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t->stamp[1] - t->stamp[0]);
  *elapsed_ns = ns.count() > 0 ? static_cast<uint64_t>(ns.count()) : 0;
  return Status::Ok();
}

// The interpreter needs no code: every bound kernel is ready.
Status ReferencePrepare(Device* /*device*/, const ir::BoundKernel& /*kernel*/, uint64_t /*code_id*/,
                        std::span<const hrt_arg_t> /*args*/) {
  return Status::Ok();
}

Status ReferenceCopy(Device* /*device*/, uint64_t dst, uint64_t src, uint64_t size, void* stream) {
  HRT_RETURN_IF_ERROR(CheckNoStream(stream));
  std::memmove(HostPointer(dst), HostPointer(src), static_cast<size_t>(size));
  return Status::Ok();
}

const DeviceVTable kReferenceDeviceVTable = {
    .destroy = ReferenceDestroy,
    .launch = ReferenceLaunch,
    .describe_code = ReferenceDescribeCode,
    .alloc = ReferenceAlloc,
    .free = ReferenceFree,
    .write = ReferenceWrite,
    .read = ReferenceRead,
    .synchronize = ReferenceSynchronize,
    .timer_create = ReferenceTimerCreate,
    .timer_create_gated = nullptr,  // runs are synchronous: nothing to gate
    .timer_destroy = ReferenceTimerDestroy,
    .timer_record = ReferenceTimerRecord,
    .timer_elapsed = ReferenceTimerElapsed,
    .prepare = ReferencePrepare,
    .copy = ReferenceCopy,
};

uint64_t HostMemoryBytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  }
#endif
  return 0;
}

Status ReferenceEnumerate(std::vector<DeviceDesc>* out) {
  DeviceDesc desc;
  desc.backend = HRT_BACKEND_CPU_REFERENCE;
  desc.ordinal = 0;
  desc.name = "helionrt reference interpreter";
  desc.vendor = "helionrt";
  desc.arch = HostArchName();
  // The interpreter runs one program instance at a time on the calling thread.
  desc.compute_units = 1;
  desc.subgroup_size = 1;
  desc.memory_bytes = HostMemoryBytes();
  desc.fingerprint = "backend=cpu-reference;arch=" + desc.arch +
                     ";threads=1;interp=" + std::to_string(kReferenceInterpreterVersion);
  out->push_back(std::move(desc));
  return Status::Ok();
}

Result<Device*> ReferenceCreate(const DeviceDesc& /*desc*/,
                                const DeviceCreateOptions& /*options*/) {
  auto* device = new ReferenceDevice{Device{&kReferenceDeviceVTable}};
  return &device->base;
}

}  // namespace

const char* HostArchName() {
#if defined(__x86_64__) || defined(_M_X64)
  return "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  return "aarch64";
#elif defined(__i386__) || defined(_M_IX86)
  return "x86";
#elif defined(__arm__)
  return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__)
  return "ppc64";
#else
  return "unknown";
#endif
}

const BackendFactory kReferenceBackendFactory = {
    .backend = HRT_BACKEND_CPU_REFERENCE,
    .name = "cpu-reference",
    .enumerate = ReferenceEnumerate,
    .create = ReferenceCreate,
    .unavailable_reason = nullptr,
    .enumerate_with_options = nullptr,
};

}  // namespace hrt::runtime
