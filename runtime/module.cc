// hrt_module_*: loading (binary or text, from memory or a file), lookup,
// destruction, and (experimental) serialization.
#include "runtime/module.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/text.h"
#include "runtime/api_status.h"
#include "runtime/runtime.h"
#include "runtime/text_out.h"

namespace hrt::runtime {
namespace {

// Larger files are refused before they are read to the end.
constexpr size_t kMaxModuleFileBytes = size_t{1} << 30;

// Frees a module and its kernels without touching the runtime's count.
void FreeModule(hrt_module_t* module) noexcept {
  const hrt_allocator_t allocator = module->runtime->allocator;
  for (hrt_kernel_t* kernel : module->kernels) {
    // Its tuning first: stores what was measured, stops the device work.
    if (module->runtime->tuning) module->runtime->tuning->RetireOwner(kernel);
    DeleteHandle(allocator, kernel);
  }
  module->kernels.clear();
  DeleteHandle(allocator, module);
}

// Owns a module under construction; frees it unless released.
struct ModuleGuard {
  hrt_module_t* module;
  ~ModuleGuard() {
    if (module != nullptr) FreeModule(module);
  }
};

Result<ir::Module> DecodeModule(std::span<const uint8_t> bytes, std::string_view source_name) {
  if (ir::LooksLikeBinaryModule(bytes)) return ir::ReadModuleBinary(bytes);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return ir::ParseModule(text, source_name);
}

// Process-unique module ids (module.h: uid). Starts at 1 so that 0 is never
// a live module's.
std::atomic<uint64_t> next_module_uid{1};

// The kernels of a bundle that carry IR, in bundle order, and for each its
// index in the bundle. Kernels without IR (imported binaries) are skipped
// and reported through |skipped|.
struct BundleKernels {
  ir::Module ir;
  std::vector<uint32_t> bundle_index;
  std::vector<std::string> skipped;
};

Result<BundleKernels> DecodeBundleKernels(const bundle::BundleView& view) {
  BundleKernels out;
  for (uint32_t i = 0; i < view.kernel_count(); ++i) {
    const bundle::KernelView& k = view.kernel(i);
    if (!k.has_ir()) {
      out.skipped.emplace_back(k.name);
      continue;
    }
    Result<ir::Module> loaded = view.LoadKernelIr(i);
    if (!loaded.ok()) {
      return loaded.take_status().Annotate("kernel '" + std::string(k.name) + "' of the bundle");
    }
    ir::Module m = std::move(loaded.value());
    if (m.kernels.size() != 1 || m.kernels[0].name != k.name) {
      return CorruptData("bundle kernel '" + std::string(k.name) +
                         "': its IR does not hold exactly that kernel");
    }
    out.ir.kernels.push_back(std::move(m.kernels[0]));
    out.bundle_index.push_back(i);
  }
  return out;
}

Result<hrt_module_t*> MakeModule(hrt_runtime_t* runtime, ir::Module ir) {
  if (ir.kernels.size() > UINT32_MAX) return OutOfRange("module has too many kernels");
  HRT_ASSIGN_OR_RETURN(hrt_module_t * module, NewHandle<hrt_module_t>(runtime->allocator));
  module->runtime = runtime;
  module->uid = next_module_uid.fetch_add(1, std::memory_order_relaxed);
  ModuleGuard guard{module};
  module->ir = std::move(ir);
  module->kernels.reserve(module->ir.kernels.size());
  for (const ir::Kernel& k : module->ir.kernels) {
    HRT_ASSIGN_OR_RETURN(hrt_kernel_t * kernel, NewHandle<hrt_kernel_t>(runtime->allocator));
    module->kernels.push_back(kernel);  // capacity reserved: cannot throw
    kernel->module = module;
    kernel->ir = &k;
    if (!k.tunables.empty()) kernel->memo_shapes = MemoShapes::kBuckets;
    for (const ir::DTypeParam& d : k.dtype_params) {
      std::vector<int32_t> codes;
      for (ir::DType t : d.candidates) codes.push_back(static_cast<int32_t>(t));
      kernel->dtype_candidates.push_back(std::move(codes));
    }
  }
  guard.module = nullptr;
  runtime->live_modules.fetch_add(1);
  return module;
}

// A module over a kernel bundle: the bundle's bytes are moved into the module
// (the view points into them), its IR kernels become the module's kernels.
Status LoadBundle(hrt_runtime_t* runtime, std::vector<uint8_t> bytes, std::string_view source_name,
                  hrt_module_t** out_module) {
  // Validate before building anything; the view is re-opened over the
  // module's copy (cheap: metadata only) once the bytes have moved.
  HRT_ASSIGN_OR_RETURN(bundle::BundleView probe, bundle::BundleView::Open(bytes));
  HRT_ASSIGN_OR_RETURN(BundleKernels kernels, DecodeBundleKernels(probe));
  HRT_ASSIGN_OR_RETURN(hrt_module_t * module, MakeModule(runtime, std::move(kernels.ir)));
  ModuleGuard guard{module};
  module->bundle_bytes = std::move(bytes);
  HRT_ASSIGN_OR_RETURN(bundle::BundleView view, bundle::BundleView::Open(module->bundle_bytes));
  module->bundle.emplace(std::move(view));
  for (size_t i = 0; i < module->kernels.size(); ++i) {
    hrt_kernel_t* kernel = module->kernels[i];
    kernel->bundle_kernel = kernels.bundle_index[i];
    const bundle::KernelView& k = module->bundle->kernel(kernel->bundle_kernel);
    kernel->triton_abi = k.triton_abi;
    kernel->scratch_params = k.scratch_params;
    for (const bundle::VariantView& v : module->bundle->variants_of(k)) {
      if (v.rule_count > 0) kernel->memo_shapes = MemoShapes::kExact;
    }
  }
  guard.module = nullptr;
  *out_module = module;
  Log(*runtime, HRT_LOG_LEVEL_INFO, [&] {
    return "loaded bundle: " + std::to_string(module->kernels.size()) + " kernels, " +
           std::to_string(module->bundle->variant_count()) + " variants (" +
           std::to_string(module->bundle_bytes.size()) + " bytes, from " +
           std::string(source_name) + ")";
  });
  if (!kernels.skipped.empty()) {
    Log(*runtime, HRT_LOG_LEVEL_WARNING, [&] {
      std::string names;
      for (const std::string& n : kernels.skipped) names += (names.empty() ? "" : ", ") + n;
      return "bundle " + std::string(source_name) +
             ": kernels without IR are not loadable yet and were skipped: " + names;
    });
  }
  return Status::Ok();
}

Status LoadModule(hrt_runtime_t* runtime, std::span<const uint8_t> bytes,
                  std::string_view source_name, hrt_module_t** out_module) {
  if (bundle::LooksLikeBundle(bytes)) {
    return LoadBundle(runtime, std::vector<uint8_t>(bytes.begin(), bytes.end()), source_name,
                      out_module);
  }
  HRT_ASSIGN_OR_RETURN(ir::Module ir, DecodeModule(bytes, source_name));
  const bool binary = ir::LooksLikeBinaryModule(bytes);
  HRT_ASSIGN_OR_RETURN(hrt_module_t * module, MakeModule(runtime, std::move(ir)));
  *out_module = module;
  Log(*runtime, HRT_LOG_LEVEL_INFO, [&] {
    return "loaded module: " + std::to_string(module->kernels.size()) + " kernels (" +
           (binary ? "binary" : "text") + ", " + std::to_string(bytes.size()) + " bytes, from " +
           std::string(source_name) + ")";
  });
  return Status::Ok();
}

Status LoadFromMemory(hrt_runtime_t* runtime, const void* data, size_t size,
                      hrt_module_t** out_module) {
  HRT_RETURN_IF_ERROR(CheckOut(out_module, "out_module"));
  *out_module = nullptr;
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  if (data == nullptr) return InvalidArgument("data is NULL");
  if (size == 0) return InvalidArgument("size is 0 (an empty module has nothing to load)");
  const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(data), size);
  return LoadModule(runtime, bytes, "<memory>", out_module);
}

Status ErrnoStatus(int error, const std::string& what) {
  const Code code = error == ENOENT ? Code::kNotFound : Code::kIoError;
  return Status(code, what + ": " + std::generic_category().message(error));
}

// Reads a whole file in chunks (works for pipes and special files too),
// refusing to grow past kMaxModuleFileBytes.
Result<std::vector<uint8_t>> ReadFile(const std::string& path) {
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return ErrnoStatus(errno, "cannot open '" + path + "'");
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{file};
  std::vector<uint8_t> bytes;
  constexpr size_t kChunk = 64 * 1024;
  for (;;) {
    if (bytes.size() >= kMaxModuleFileBytes) {
      return IoError("'" + path + "' is larger than the 1 GiB limit for module files");
    }
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    errno = 0;
    const size_t n = std::fread(bytes.data() + old_size, 1, kChunk, file);
    bytes.resize(old_size + n);
    if (n < kChunk) {
      if (std::ferror(file))
        return ErrnoStatus(errno != 0 ? errno : EIO, "cannot read '" + path + "'");
      break;  // end of file
    }
  }
  return bytes;
}

Status LoadFromFile(hrt_runtime_t* runtime, const char* path, hrt_module_t** out_module) {
  HRT_RETURN_IF_ERROR(CheckOut(out_module, "out_module"));
  *out_module = nullptr;
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  if (path == nullptr) return InvalidArgument("path is NULL");
  const std::string path_string(path);
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(path_string));
  if (bytes.empty()) return InvalidArgument("'" + path_string + "' is empty");
  // A bundle keeps its bytes: hand over the file's instead of copying them.
  Status s = bundle::LooksLikeBundle(bytes)
                 ? LoadBundle(runtime, std::move(bytes), path_string, out_module)
                 : LoadModule(runtime, bytes, path_string, out_module);
  return s.Annotate("load '" + path_string + "'");
}

Status DestroyModule(hrt_module_t* module) {
  if (module == nullptr) return Status::Ok();
  HRT_RETURN_IF_ERROR(CheckModule(module));
  if (const uint32_t live = module->live_prepared.load(); live != 0) {
    return Status(Code::kFailedPrecondition,
                  "module still has " + std::to_string(live) +
                      " live prepared launch(es); destroy them before the module");
  }
  hrt_runtime_t* runtime = module->runtime;
  FreeModule(module);
  runtime->live_modules.fetch_sub(1);
  return Status::Ok();
}

Status KernelName(const hrt_module_t* module, uint32_t index, const char** out_name) {
  HRT_RETURN_IF_ERROR(CheckModule(module));
  HRT_RETURN_IF_ERROR(CheckOut(out_name, "out_name"));
  if (index >= module->kernels.size()) {
    return OutOfRange("kernel index " + std::to_string(index) + " is out of range (module has " +
                      std::to_string(module->kernels.size()) + " kernel(s))");
  }
  *out_name = module->ir.kernels[index].name.c_str();
  return Status::Ok();
}

Status GetKernel(const hrt_module_t* module, const char* name, hrt_kernel_t** out_kernel) {
  HRT_RETURN_IF_ERROR(CheckOut(out_kernel, "out_kernel"));
  *out_kernel = nullptr;
  HRT_RETURN_IF_ERROR(CheckModule(module));
  if (name == nullptr) return InvalidArgument("name is NULL");
  const std::string_view wanted(name);
  for (hrt_kernel_t* kernel : module->kernels) {
    if (kernel->ir->name == wanted) {
      *out_kernel = kernel;
      return Status::Ok();
    }
  }
  std::string names;
  for (const ir::Kernel& k : module->ir.kernels) names += (names.empty() ? "" : ", ") + k.name;
  return NotFound("no kernel named '" + std::string(wanted) +
                  "' in module (kernels: " + (names.empty() ? "none" : names) + ")");
}

Status WriteModule(const hrt_module_t* module, hrt_module_format_t format, void* buffer,
                   size_t capacity, size_t* out_length) {
  HRT_RETURN_IF_ERROR(CheckModule(module));
  HRT_RETURN_IF_ERROR(CheckTextOut(buffer, capacity, out_length));
  switch (format) {
    case HRT_MODULE_FORMAT_BINARY: {
      const std::vector<uint8_t> bytes = ir::WriteModuleBinary(module->ir);
      return WriteTextOut(bytes.data(), bytes.size(), buffer, capacity, out_length);
    }
    case HRT_MODULE_FORMAT_TEXT: {
      const std::string text = ir::PrintModule(module->ir);
      return WriteTextOut(text.data(), text.size(), buffer, capacity, out_length);
    }
    default: break;
  }
  return InvalidArgument("format " + std::to_string(static_cast<int32_t>(format)) +
                         " is not an hrt_module_format_t");
}

}  // namespace

std::string KernelLabel(const hrt_kernel_t& kernel) {
  return "kernel '" + kernel.ir->name + "'";
}

}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_module_load(hrt_runtime_t* runtime, const void* data, size_t size,
                                     hrt_module_t** out_module) {
  return hrt::runtime::Boundary("hrt_module_load", [&] {
    return hrt::runtime::LoadFromMemory(runtime, data, size, out_module);
  });
}

HRT_API hrt_status_t hrt_module_load_file(hrt_runtime_t* runtime, const char* path,
                                          hrt_module_t** out_module) {
  return hrt::runtime::Boundary("hrt_module_load_file", [&] {
    return hrt::runtime::LoadFromFile(runtime, path, out_module);
  });
}

HRT_API hrt_status_t hrt_module_destroy(hrt_module_t* module) {
  return hrt::runtime::Boundary("hrt_module_destroy",
                                [&] { return hrt::runtime::DestroyModule(module); });
}

HRT_API hrt_status_t hrt_module_kernel_count(const hrt_module_t* module, uint32_t* out_count) {
  return hrt::runtime::Boundary("hrt_module_kernel_count", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckModule(module));
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(out_count, "out_count"));
    *out_count = static_cast<uint32_t>(module->kernels.size());
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_module_kernel_name(const hrt_module_t* module, uint32_t index,
                                            const char** out_name) {
  return hrt::runtime::Boundary("hrt_module_kernel_name",
                                [&] { return hrt::runtime::KernelName(module, index, out_name); });
}

HRT_API hrt_status_t hrt_module_get_kernel(const hrt_module_t* module, const char* name,
                                           hrt_kernel_t** out_kernel) {
  return hrt::runtime::Boundary("hrt_module_get_kernel",
                                [&] { return hrt::runtime::GetKernel(module, name, out_kernel); });
}

HRT_API hrt_status_t hrt_module_write(const hrt_module_t* module, hrt_module_format_t format,
                                      void* buffer, size_t capacity, size_t* out_length) {
  return hrt::runtime::Boundary("hrt_module_write", [&] {
    return hrt::runtime::WriteModule(module, format, buffer, capacity, out_length);
  });
}

}  // extern "C"
