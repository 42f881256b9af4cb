// One CUDA device: its context, and loading and launching kernels on it.
//
// The context is the device's primary context (retained, as the CUDA runtime
// and PyTorch do, so they all share it) unless the caller passes its own
// CUcontext, which is then borrowed and never destroyed here. Launches take
// the caller's CUstream; NULL means the context's default stream.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "cache/store.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/ptx.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_code_key.h"
#include "runtime/cuda/cuda_device_info.h"
#include "runtime/cuda/cuda_driver.h"
#include "runtime/cuda/cuda_launch.h"
#include "runtime/cuda/cuda_module.h"
#include "runtime/cuda/cuda_timer_gate.h"

namespace hrt::cuda {

struct DeviceOptions {
  // The host engine's context for this device, borrowed; NULL: the primary
  // context.
  CUcontext context = nullptr;
  // Keep cubins the JIT made in the persistent cache (cache/store.h) at
  // |cache_dir| (empty: its default location), so the next process loads
  // them instead of JIT-compiling (and, for generated code, instead of
  // running the PTX emitter). Opened on the first Compile or PTX load.
  bool cache_enabled = false;
  std::string cache_dir;
};

// A kernel loaded into a device's context, ready to launch.
struct CompiledKernel {
  std::string entry_name;
  // The PTX the cubin was JIT-compiled from in this process, or a bundle's
  // PTX found in the cache; empty when loaded from a cubin: a bundle's, or
  // the cache's for generated code (Compile ran no codegen, so there is no
  // text; ptx::EmitKernel makes it when a caller needs it).
  std::string ptx;
  std::vector<uint8_t> cubin;  // what the module was loaded from
  std::string jit_log;         // the JIT's info log for PTX
  bool from_cache = false;     // the cubin came from the persistent cache
  Module module;
  LaunchPlan plan;
};

class CudaDevice {
 public:
  static Result<std::unique_ptr<CudaDevice>> Create(std::shared_ptr<const Driver> driver,
                                                    DeviceInfo info,
                                                    const DeviceOptions& options = {});
  ~CudaDevice();
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  const Driver& driver() const { return *driver_; }
  const DeviceInfo& info() const { return info_; }
  CUcontext context() const { return context_; }
  bool uses_primary_context() const { return owns_primary_; }

  // Emitter options for this device: its compute capability (plain target),
  // the PTX ISA its driver JITs, its per-block limits.
  Result<ptx::EmitOptions> EmitOptions() const;

  // Loads |kernel| (which must outlive the result): with the persistent
  // cache, its cubin and image from the cache when it holds them for this
  // kernel, emitter, device and driver (GeneratedCubinKey: no codegen, no
  // JIT); else emits PTX, JIT-compiles and loads it, and stores the cubin.
  // |assume|: facts of the arguments the code may rely on (assume.h); the
  // default, none, gives code for any arguments.
  Result<std::unique_ptr<CompiledKernel>> Compile(const ir::BoundKernel& kernel,
                                                  const ptx::Assumptions& assume = {});
  // How many times this device ran the PTX emitter (tests).
  uint64_t codegen_count() const { return codegen_count_.load(std::memory_order_relaxed); }
  // Loads |ptx|: the cubin from the persistent cache when it holds one for
  // this device, driver and exact text, else JIT-compiled through the linker
  // (the cubin is kept, and stored in the cache).
  Result<std::unique_ptr<CompiledKernel>> LoadPtxCached(const ir::BoundKernel& kernel,
                                                        std::string_view ptx,
                                                        const KernelImage& image);
  // Why the persistent cache is not in use (disabled, or the store could not
  // be opened); empty while it is, or before the first Compile or PTX load.
  std::string cache_status() const;

  // JIT-compiles |ptx| through the linker (the cubin is kept) and loads it.
  Result<std::unique_ptr<CompiledKernel>> LoadPtx(const ir::BoundKernel& kernel,
                                                  std::string_view ptx,
                                                  const KernelImage& image) const;
  Result<std::unique_ptr<CompiledKernel>> LoadCubin(const ir::BoundKernel& kernel,
                                                    std::span<const uint8_t> cubin,
                                                    const KernelImage& image) const;

  // Enqueues |kernel| on |stream|. No allocation, lock or synchronization.
  // |grid|: see cuda::Launch.
  Status Launch(const CompiledKernel& kernel, std::span<const hrt_arg_t> args, CUstream stream,
                const uint32_t* grid = nullptr) const;

  // Loads a bundle variant's payload (cubin, or PTX through the JIT) for
  // |kernel|, which must be bound to the variant's config.
  Result<std::unique_ptr<CompiledKernel>> LoadVariant(const ir::BoundKernel& kernel,
                                                      const runtime::LaunchCode& code);

  // The runtime's launch path: on the first launch of (|code_id|, |kernel|)
  // loads |code| (a bundle variant) or, when |code| is NULL, generates and
  // JIT-compiles PTX specialized to the facts |args| have
  // (cuda_specialize.h: one variant per set of facts); reuses that code
  // afterwards. Lookups of known kernels take no lock and do not allocate.
  Status LaunchBound(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
                     CUstream stream, uint64_t code_id, const runtime::LaunchCode* code,
                     const uint32_t* grid = nullptr);

  // Loads the generated code of (|code_id|, |kernel|) that a launch with
  // |args| would run (empty: the generic variant), as LaunchBound's first
  // launch would, without launching it.
  Status Prepare(const ir::BoundKernel& kernel, uint64_t code_id,
                 std::span<const hrt_arg_t> args = {});

  // How the code a launch with |args| runs for (|code_id|, |kernel|) was
  // loaded, for hrt_kernel_describe_launch; empty when it has not been
  // loaded yet.
  std::string DescribeCode(uint64_t code_id, const ir::BoundKernel& kernel,
                           const runtime::LaunchCode* code, std::span<const hrt_arg_t> args) const;

  // Device memory (cuda_memory.cc), in this device's context. Copies wait
  // for |stream| first and are synchronous.
  Status Alloc(uint64_t size, uint64_t* out_address);
  Status Free(uint64_t address);
  Status Write(uint64_t dst, const void* src, uint64_t size, CUstream stream);
  Status Read(void* dst, uint64_t src, uint64_t size, CUstream stream);
  Status Synchronize(CUstream stream);
  // Enqueues a device-to-device copy on |stream| (asynchronous).
  Status CopyAsync(uint64_t dst, uint64_t src, uint64_t size, CUstream stream);

  // What gated timers hold their stream with (cuda_timer_gate.h), set up on
  // first use in this device's context.
  TimerGate& timer_gate() { return *timer_gate_; }

 private:
  CudaDevice() = default;

  struct CacheEntry {
    uint64_t code_id = 0;
    const ir::BoundKernel* key = nullptr;
    uint64_t bound_uid = 0;   // ir::BoundKernel::uid
    ptx::Assumptions assume;  // generated code: the facts it was specialized to
    std::unique_ptr<CompiledKernel> compiled;
  };
  // Lock-free slots; more entries are found under insert_mu_. Room for a
  // whole tuning space of several kernels.
  static constexpr size_t kCacheSlots = 1024;

  static size_t SlotOf(uint64_t code_id, const ir::BoundKernel& kernel,
                       const ptx::Assumptions& assume);
  const CompiledKernel* Find(uint64_t code_id, const ir::BoundKernel& kernel,
                             const ptx::Assumptions& assume) const;
  static bool Matches(const CacheEntry& entry, uint64_t code_id, const ir::BoundKernel& kernel,
                      const ptx::Assumptions& assume);
  Result<const CompiledKernel*> FindOrCompile(uint64_t code_id, const ir::BoundKernel& kernel,
                                              const runtime::LaunchCode* code,
                                              const ptx::Assumptions& assume);
  // The facts generated code for a launch with |args| is specialized to;
  // none for bundle variants (|code| set).
  static ptx::Assumptions FactsFor(const ir::BoundKernel& kernel, const runtime::LaunchCode* code,
                                   std::span<const hrt_arg_t> args);

  // The persistent cache, opened on first use; null when disabled or
  // unusable (|store_status_| says why).
  cache::Store* Store();

  std::shared_ptr<const Driver> driver_;
  DeviceInfo info_;
  DeviceOptions options_;
  mutable std::mutex store_mu_;
  bool store_opened_ = false;            // guarded by store_mu_
  std::unique_ptr<cache::Store> store_;  // set once under store_mu_
  std::string store_status_;             // guarded by store_mu_
  std::atomic<uint64_t> codegen_count_{0};
  CUcontext context_ = nullptr;
  bool owns_primary_ = false;
  std::unique_ptr<TimerGate> timer_gate_;  // set by Create, freed before the context

  // Open addressing on (code id, bound kernel address); entries are published
  // once, never changed or removed before the device dies.
  std::array<std::atomic<CacheEntry*>, kCacheSlots> slots_{};
  std::mutex insert_mu_;                            // serializes compiles and inserts
  std::vector<std::unique_ptr<CacheEntry>> owned_;  // guarded by insert_mu_
};

}  // namespace hrt::cuda
