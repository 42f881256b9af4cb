#include "runtime/cuda/cuda_device.h"

#include <algorithm>
#include <functional>

#include "helionrt/helionrt.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/cuda_emit_options.h"
#include "runtime/cuda/cuda_specialize.h"

namespace hrt::cuda {

Result<std::unique_ptr<CudaDevice>> CudaDevice::Create(std::shared_ptr<const Driver> driver,
                                                       DeviceInfo info,
                                                       const DeviceOptions& options) {
  if (driver == nullptr) return InvalidArgument("no CUDA driver");
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  device->driver_ = std::move(driver);
  device->info_ = std::move(info);
  device->options_ = options;
  const Driver& d = *device->driver_;
  const std::string label = "CUDA device " + std::to_string(device->info_.ordinal);
  if (options.context != nullptr) {
    // Borrowed: check it belongs to this device before trusting it.
    ScopedContext scope(d, options.context);
    HRT_RETURN_IF_ERROR(Status(scope.status()).Annotate(label));
    CUdevice owner = -1;
    HRT_RETURN_IF_ERROR(d.Check(d.api().CtxGetDevice(&owner), "cuCtxGetDevice").Annotate(label));
    if (owner != device->info_.device) {
      return InvalidArgument(label + ": the given CUcontext belongs to device " +
                             std::to_string(owner));
    }
    device->context_ = options.context;
  } else {
    HRT_RETURN_IF_ERROR(
        d.Check(d.api().DevicePrimaryCtxRetain(&device->context_, device->info_.device),
                "cuDevicePrimaryCtxRetain")
            .Annotate(label));
    device->owns_primary_ = true;
  }
  device->timer_gate_ = std::make_unique<TimerGate>(d, device->context_);
  return device;
}

CudaDevice::~CudaDevice() {
  // Modules unload in the context, so they go before it is released.
  for (auto& slot : slots_) slot.store(nullptr, std::memory_order_relaxed);
  owned_.clear();
  timer_gate_.reset();
  if (owns_primary_) (void)driver_->api().DevicePrimaryCtxRelease(info_.device);
}

Result<ptx::EmitOptions> CudaDevice::EmitOptions() const {
  return EmitOptionsFor(info_.fingerprint);
}

Result<std::unique_ptr<CompiledKernel>> CudaDevice::Compile(const ir::BoundKernel& kernel,
                                                            const ptx::Assumptions& assume) {
  HRT_ASSIGN_OR_RETURN(ptx::EmitOptions options, EmitOptions());
  options.assume = assume;
  cache::Store* store = Store();
  cache::Key key;
  if (store != nullptr) {
    // Keyed by what decides the PTX, so a hit skips the emitter too.
    GeneratedCodeContext context;
    context.arch = select::SmName(info_.fingerprint.arch);
    context.driver_version = info_.fingerprint.driver_version;
    context.emit = options;
    context.codegen_version = std::string(CodegenVersion());
    context.runtime_version = HRT_VERSION_STRING;
    key = GeneratedCubinKey(kernel, context);
    if (cache::Blob entry = store->Get(key)) {
      // A malformed entry, or a cubin the driver refuses, is a miss: made
      // again below and overwritten.
      if (Result<CodeEntry> decoded = DecodeCodeEntry(*entry); decoded.ok()) {
        Result<std::unique_ptr<CompiledKernel>> loaded =
            LoadCubin(kernel, decoded->cubin, decoded->image);
        if (loaded.ok()) {
          (*loaded)->from_cache = true;
          return loaded;
        }
      }
    }
  }
  codegen_count_.fetch_add(1, std::memory_order_relaxed);
  HRT_ASSIGN_OR_RETURN(ptx::PtxKernel emitted, ptx::EmitKernel(kernel, options));
  const KernelImage image{emitted.entry_name, emitted.threads_per_block, emitted.shared_bytes};
  HRT_ASSIGN_OR_RETURN(std::unique_ptr<CompiledKernel> compiled,
                       LoadPtx(kernel, emitted.ptx, image));
  // A failed put only costs the next process a codegen and a JIT.
  if (store != nullptr) (void)store->Put(key, EncodeCodeEntry(image, compiled->cubin));
  return compiled;
}

cache::Store* CudaDevice::Store() {
  std::lock_guard<std::mutex> lock(store_mu_);
  if (store_opened_) return store_.get();
  store_opened_ = true;
  if (!options_.cache_enabled) {
    store_status_ = "the persistent cache is disabled";
    return nullptr;
  }
  cache::StoreOptions options = cache::DefaultStoreOptions();
  options.dir = options_.cache_dir;
  Result<std::unique_ptr<cache::Store>> opened = cache::Store::Open(std::move(options));
  if (!opened.ok()) {
    store_status_ = opened.status().message();
    return nullptr;
  }
  store_ = std::move(*opened);
  return store_.get();
}

std::string CudaDevice::cache_status() const {
  std::lock_guard<std::mutex> lock(store_mu_);
  return store_status_;
}

Result<std::unique_ptr<CompiledKernel>> CudaDevice::LoadPtxCached(const ir::BoundKernel& kernel,
                                                                  std::string_view ptx,
                                                                  const KernelImage& image) {
  cache::Store* store = Store();
  if (store == nullptr) return LoadPtx(kernel, ptx, image);
  // The PTX text fixes everything the cubin depends on but the device and
  // the driver's JIT: those, the text's hash and the entry make the key.
  const select::Fingerprint& fp = info_.fingerprint;
  const cache::Key key =
      cache::KeyBuilder()
          .Backend("cuda")
          .Arch(select::SmName(fp.arch))
          .DriverVersion(std::to_string(fp.driver_version))
          .RuntimeVersion(HRT_VERSION_STRING)
          .CodegenVersion("ptx-jit-1")
          .Artifact("cubin")
          .IrHash(std::span(reinterpret_cast<const uint8_t*>(ptx.data()), ptx.size()))
          .Kernel(image.entry_name)
          .Build();
  if (cache::Blob cubin = store->Get(key)) {
    Result<std::unique_ptr<CompiledKernel>> loaded = LoadCubin(kernel, *cubin, image);
    if (loaded.ok()) {
      (*loaded)->ptx = std::string(ptx);
      (*loaded)->from_cache = true;
      return loaded;
    }
    // A cubin the driver refuses (it checksummed fine): JIT it again below
    // and overwrite it.
  }
  HRT_ASSIGN_OR_RETURN(std::unique_ptr<CompiledKernel> compiled, LoadPtx(kernel, ptx, image));
  // A failed put only costs the next process a JIT.
  (void)store->Put(key, compiled->cubin);
  return compiled;
}

Result<std::unique_ptr<CompiledKernel>> CudaDevice::LoadPtx(const ir::BoundKernel& kernel,
                                                            std::string_view ptx,
                                                            const KernelImage& image) const {
  HRT_ASSIGN_OR_RETURN(LinkedPtx linked, LinkPtx(*driver_, context_, ptx, image.entry_name));
  HRT_ASSIGN_OR_RETURN(auto compiled, LoadCubin(kernel, linked.cubin, image));
  compiled->ptx = std::string(ptx);
  compiled->jit_log = std::move(linked.info_log);
  return compiled;
}

Result<std::unique_ptr<CompiledKernel>> CudaDevice::LoadCubin(const ir::BoundKernel& kernel,
                                                              std::span<const uint8_t> cubin,
                                                              const KernelImage& image) const {
  auto compiled = std::make_unique<CompiledKernel>();
  compiled->entry_name = image.entry_name;
  compiled->cubin.assign(cubin.begin(), cubin.end());
  HRT_ASSIGN_OR_RETURN(compiled->module, Module::Load(*driver_, context_, compiled->cubin));
  HRT_ASSIGN_OR_RETURN(CUfunction function, compiled->module.GetFunction(image.entry_name));
  HRT_ASSIGN_OR_RETURN(compiled->plan,
                       PrepareLaunch(*driver_, context_, function, kernel, image.threads_per_block,
                                     image.shared_bytes, info_.fingerprint.smem_per_block_optin));
  return compiled;
}

Status CudaDevice::Launch(const CompiledKernel& kernel, std::span<const hrt_arg_t> args,
                          CUstream stream, const uint32_t* grid) const {
  return cuda::Launch(*driver_, kernel.plan, args, stream, grid);
}

Result<std::unique_ptr<CompiledKernel>> CudaDevice::LoadVariant(const ir::BoundKernel& kernel,
                                                                const runtime::LaunchCode& code) {
  const std::string label = "variant " + std::to_string(code.variant);
  if (code.bundle == nullptr || code.variant >= code.bundle->variant_count()) {
    return InvalidArgument(label + ": no such variant in the bundle");
  }
  std::vector<uint8_t> scratch;
  HRT_ASSIGN_OR_RETURN(std::span<const uint8_t> payload,
                       code.bundle->ReadPayload(code.variant, &scratch));
  KernelImage image;
  image.entry_name = std::string(code.entry_name);
  image.threads_per_block =
      code.threads_per_block != 0 ? code.threads_per_block : ptx::ThreadsPerBlock(kernel);
  image.shared_bytes = code.shared_bytes;
  auto annotated = [&](Result<std::unique_ptr<CompiledKernel>> r,
                       const char* kind) -> Result<std::unique_ptr<CompiledKernel>> {
    if (!r.ok()) return r.take_status().Annotate(label + " (" + kind + ")");
    (*r)->plan.triton_abi = code.triton_abi;
    (*r)->plan.scratch_params = code.scratch_params;
    return r;
  };
  switch (code.bundle->variant(code.variant).payload_kind) {
    case bundle::PayloadKind::kCubin: return annotated(LoadCubin(kernel, payload, image), "cubin");
    case bundle::PayloadKind::kPtx: {
      // The reader guarantees the trailing NUL; the JIT gets the text without it.
      const std::string_view text(reinterpret_cast<const char*>(payload.data()),
                                  payload.size() - 1);
      return annotated(LoadPtxCached(kernel, text, image), "PTX");
    }
    default: break;
  }
  return Unsupported(label + ": a " +
                     bundle::PayloadKindName(code.bundle->variant(code.variant).payload_kind) +
                     " payload does not run on CUDA");
}

bool CudaDevice::Matches(const CacheEntry& entry, uint64_t code_id, const ir::BoundKernel& kernel,
                         const ptx::Assumptions& assume) {
  // The module's uid in |code_id| keeps a later module's kernels apart; the
  // bound kernel's uid one freed and re-bound at the same address within one
  // module (bound_kernel_cache.h: uncached binds).
  return entry.code_id == code_id && entry.key == &kernel && entry.bound_uid == kernel.uid &&
         entry.assume == assume;
}

size_t CudaDevice::SlotOf(uint64_t code_id, const ir::BoundKernel& kernel,
                          const ptx::Assumptions& assume) {
  const uint64_t facts = assume.aligned_params * 0x9E3779B97F4A7C15ull ^
                         assume.div16_syms * 0xC2B2AE3D27D4EB4Full ^ assume.one_trip_syms;
  return (std::hash<const void*>{}(&kernel) ^ std::hash<uint64_t>{}(code_id) ^
          std::hash<uint64_t>{}(facts)) %
         kCacheSlots;
}

const CompiledKernel* CudaDevice::Find(uint64_t code_id, const ir::BoundKernel& kernel,
                                       const ptx::Assumptions& assume) const {
  const size_t start = SlotOf(code_id, kernel, assume);
  for (size_t i = 0; i < kCacheSlots; ++i) {
    const CacheEntry* e = slots_[(start + i) % kCacheSlots].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (Matches(*e, code_id, kernel, assume)) return e->compiled.get();
  }
  return nullptr;
}

ptx::Assumptions CudaDevice::FactsFor(const ir::BoundKernel& kernel,
                                      const runtime::LaunchCode* code,
                                      std::span<const hrt_arg_t> args) {
  if (code != nullptr || args.empty()) return {};
  return ArgumentFacts(kernel, args);
}

Result<const CompiledKernel*> CudaDevice::FindOrCompile(uint64_t code_id,
                                                        const ir::BoundKernel& kernel,
                                                        const runtime::LaunchCode* code,
                                                        const ptx::Assumptions& assume) {
  std::lock_guard<std::mutex> lock(insert_mu_);
  if (const CompiledKernel* hit = Find(code_id, kernel, assume)) return hit;
  // Entries that did not fit the table are searched here, under the lock.
  for (const auto& e : owned_) {
    if (Matches(*e, code_id, kernel, assume)) return e->compiled.get();
  }
  std::unique_ptr<CompiledKernel> compiled;
  if (code != nullptr) {
    HRT_ASSIGN_OR_RETURN(compiled, LoadVariant(kernel, *code));
  } else {
    HRT_ASSIGN_OR_RETURN(compiled, Compile(kernel, assume));
  }
  auto entry = std::make_unique<CacheEntry>();
  entry->code_id = code_id;
  entry->key = &kernel;
  entry->bound_uid = kernel.uid;
  entry->assume = assume;
  entry->compiled = std::move(compiled);
  const size_t start = SlotOf(code_id, kernel, assume);
  for (size_t i = 0; i < kCacheSlots; ++i) {
    auto& slot = slots_[(start + i) % kCacheSlots];
    if (slot.load(std::memory_order_relaxed) == nullptr) {
      slot.store(entry.get(), std::memory_order_release);
      break;
    }
  }
  owned_.push_back(std::move(entry));
  return owned_.back()->compiled.get();
}

std::string CudaDevice::DescribeCode(uint64_t code_id, const ir::BoundKernel& kernel,
                                     const runtime::LaunchCode* code,
                                     std::span<const hrt_arg_t> args) const {
  const ptx::Assumptions assume = FactsFor(kernel, code, args);
  const CompiledKernel* compiled = Find(code_id, kernel, assume);
  if (compiled == nullptr) return std::string();
  const std::string arch = select::SmName(info_.fingerprint.arch);
  if (code == nullptr) {
    // Compile(): the cache's cubin for this kernel (made from PTX an earlier
    // process generated), or PTX generated and JIT-compiled here.
    const std::string facts = ptx::AssumptionsText(kernel.kernel, assume);
    const std::string origin =
        "PTX generated from the tile IR" +
        (facts.empty() ? std::string(" (generic: no argument facts)")
                       : " (specialized: aligned / multiple of 16: " + facts + ")");
    if (compiled->from_cache)
      return origin + ", cubin from the helionrt cache (no codegen, no JIT, " + arch + ")";
    return origin + ", JIT-compiled by the driver for " + arch;
  }
  const std::string origin = "bundle variant " + std::to_string(code->variant) +
                             (compiled->ptx.empty() ? ": cubin" : ": PTX");
  if (compiled->ptx.empty()) return origin + ", loaded directly (" + arch + ")";
  if (compiled->from_cache)
    return origin + ", cubin from the helionrt cache (no JIT, " + arch + ")";
  return origin + ", JIT-compiled by the driver for " + arch;
}

Status CudaDevice::Prepare(const ir::BoundKernel& kernel, uint64_t code_id,
                           std::span<const hrt_arg_t> args) {
  const ptx::Assumptions assume = FactsFor(kernel, nullptr, args);
  if (Find(code_id, kernel, assume) != nullptr) return Status::Ok();
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  return FindOrCompile(code_id, kernel, nullptr, assume).status();
}

Status CudaDevice::LaunchBound(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
                               CUstream stream, uint64_t code_id, const runtime::LaunchCode* code,
                               const uint32_t* grid) {
  const ptx::Assumptions assume = FactsFor(kernel, code, args);
  const CompiledKernel* compiled = Find(code_id, kernel, assume);
  if (compiled == nullptr) {
    HRT_ASSIGN_OR_RETURN(compiled, FindOrCompile(code_id, kernel, code, assume));
  }
  return Launch(*compiled, args, stream, grid);
}

}  // namespace hrt::cuda
