// Warm start with a 50-kernel working set (issue 6): time from process start
// until 50 distinct compiled kernels have each been launched once on CUDA
// device 0, by phase, for three ways the code can arrive:
//
//   hrt_warm_start make DIR PTXAS [ARCH]
//       picks the working set (below) and writes into DIR: bundle.hrtb (one
//       cubin variant per member, built by PTXAS for the device's arch, or
//       for ARCH, e.g. sm_90a, which needs no device), the tile-IR inputs
//       <kernel>.tile and working_set.txt ("kernel<TAB>config" lines).
//   hrt_warm_start run MODE DIR
//       one fresh-process measurement; prints one JSON line. MODE:
//         cold    the tile IR with an empty $HELIONRT_CACHE_DIR: codegen +
//                 driver JIT (+ the cache's put) for each member;
//         cache   the tile IR with $HELIONRT_CACHE_DIR filled by a cold run:
//                 the cubin from the helionrt cache, no codegen, no JIT (the
//                 key is the bound IR's, runtime/cuda/cuda_code_key.h);
//         bundle  DIR/bundle.hrtb: the precompiled cubin variants.
//
// The working set: for each standard kernel, every (tunables, T) point of
// its tuning space that binds (constraints hold) and emits PTX within the
// device's limits, in a fixed order (T outermost, then the tunables in
// declaration order); from that list, members evenly spaced: 8 each of
// vector_add, silu_mul, softmax, rms_norm and layer_norm, 10 of gemm (50). Every member is a
// distinct PTX text, so a distinct binary; make refuses a set where two coincide.
//
// Run phases (JSON, ms; they add up to all_launched_ms, the time since main()
// started when the 50th launch has finished):
//   setup_ms           reading working_set.txt, checking the cache directory
//   context_ms         CUDA context: dlopen + cuInit + device queries (the
//                      runtime's shared probe) + primary context retain and
//                      push, done first, as an engine that owns CUDA does
//   runtime_create_ms  hrt_runtime_create (CUDA backend only)
//   tensors_ms         4 x 256 KiB hrt_device_alloc + hrt_device_write (the
//                      runtime's device is created here, on first use)
//   module_load_ms     hrt_module_load_file of the 6 .tile files (cold, cache)
//                      or of the bundle, and hrt_module_get_kernel
//   launches_ms        the 50 first launches (hrt_kernel_launch: selection,
//                      codegen / cache lookup / payload load, JIT, launch);
//                      launch_ms lists each
//   sync_ms            hrt_device_synchronize after the 50th launch
// adds_ms = all_launched_ms - (setup + context + runtime create): everything
// after the runtime exists until all 50 have run (tensors, module loads,
// launches, sync). Afterwards (untimed) every launch is described with
// hrt_kernel_describe_launch and must show the mode's path (JIT, cache hit,
// bundle cubin loaded directly); otherwise the run fails.
//
// The driver's own JIT cache is disabled here (CUDA_CACHE_DISABLE=1 before
// the driver loads), so cold runs pay the full JIT every time.
// bench/device/warm_start.sh runs make, then 10 x (cold, cache, bundle), and
// takes medians.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/ptx.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/writer.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/select/arch.h"
#include "runtime/select/fingerprint.h"

namespace {

using namespace hrt::cuda;  // NOLINT: the driver's types
using Clock = std::chrono::steady_clock;

const Clock::time_point kStart = Clock::now();

double MsSinceStart() {
  return std::chrono::duration<double, std::milli>(Clock::now() - kStart).count();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hrt_warm_start: %s\n", message.c_str());
  return 1;
}

// Tensor shapes and trailing f32 scalars of each standard kernel's
// parameters, in order; the last tensor is the output. Small: the largest
// tensor is 256 KiB in f32.
struct KernelShape {
  const char* name;
  int members;  // how many working-set members this kernel contributes
  std::vector<std::vector<int64_t>> tensors;
  int scalars;
};

const std::vector<KernelShape>& Shapes() {
  static const std::vector<KernelShape> shapes = {
      {"vector_add", 8, {{65536}, {65536}, {65536}}, 0},
      {"silu_mul", 8, {{8, 4096}, {8, 4096}, {8, 4096}}, 0},
      {"softmax", 8, {{8, 4096}, {8, 4096}}, 0},
      {"rms_norm", 8, {{8, 4096}, {4096}, {8, 4096}}, 1},
      {"layer_norm", 8, {{8, 4096}, {4096}, {4096}, {8, 4096}}, 1},
      {"gemm", 10, {{256, 256}, {256, 256}, {256}, {256, 256}}, 0},
  };
  return shapes;
}

const KernelShape* FindShape(const std::string& name) {
  for (const KernelShape& s : Shapes()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

constexpr size_t kBufferBytes = 256 * 1024;
constexpr int kBuffers = 4;  // inputs 0..2, output 3

//===----------------------------------------------------------------------===//
// make
//===----------------------------------------------------------------------===//

// The whole file at |path|; empty when it cannot be read.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

// Every config of |kernel|'s space, T outermost, then the tunables in
// declaration order (the last varying fastest); only those that bind.
std::vector<hrt::ir::Config> BindableConfigs(const hrt::ir::Kernel& kernel) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> axes;
  for (const hrt::ir::DTypeParam& p : kernel.dtype_params) {
    std::vector<int64_t> values;
    for (hrt::ir::DType d : p.candidates) values.push_back(static_cast<int64_t>(d));
    axes.emplace_back(p.name, values);
  }
  for (const hrt::ir::Tunable& t : kernel.tunables) axes.emplace_back(t.name, t.candidates);
  std::vector<hrt::ir::Config> out;
  std::vector<size_t> index(axes.size(), 0);
  while (true) {
    hrt::ir::Config config;
    for (size_t a = 0; a < axes.size(); ++a) config.Set(axes[a].first, axes[a].second[index[a]]);
    if (hrt::ir::Bind(kernel, config).ok()) out.push_back(config);
    size_t a = axes.size();
    while (a > 0 && ++index[a - 1] == axes[a - 1].second.size()) index[--a] = 0;
    if (a == 0) break;
  }
  return out;
}

struct Member {
  std::string kernel;
  hrt::ir::Config config;
  hrt::bundle::VariantEntry ptx;
  std::string ptx_path, cubin_path;
};

// "BLOCK=1024,T=bf16,WARPS=4": |config| as ParseConfig reads it, with the
// dtype parameters of |kernel| by name.
std::string ConfigText(const hrt::ir::Kernel& kernel, const hrt::ir::Config& config) {
  std::string text;
  for (const auto& [name, value] : config.entries) {
    std::string v = std::to_string(value);
    for (const hrt::ir::DTypeParam& p : kernel.dtype_params) {
      if (p.name == name) v = hrt::ir::DTypeName(static_cast<hrt::ir::DType>(value));
    }
    text += (text.empty() ? "" : ",") + name + "=" + v;
  }
  return text;
}

// Quotes |s| for the shell; refuses a single quote inside.
bool ShellQuote(const std::string& s, std::string* out) {
  if (s.find('\'') != std::string::npos) return false;
  *out = "'" + s + "'";
  return true;
}

int Make(const std::string& dir, const std::string& ptxas, const std::string& arch_arg) {
  const double t0 = MsSinceStart();
  // The emitter options the CUDA device uses for generated code
  // (CudaDevice::EmitOptions), so bundle and cold runs compile the same PTX.
  hrt::select::Arch arch;
  uint32_t max_threads = 0, max_shared = 0;
  if (!arch_arg.empty()) {
    auto parsed = hrt::select::ParseArch(arch_arg);
    if (!parsed.ok()) return Fail("bad ARCH '" + arch_arg + "': " + parsed.status().message());
    arch = *parsed;
    const hrt::select::CudaArchDefaults defaults = hrt::select::CudaDefaultsFor(arch);
    max_threads = defaults.max_threads_per_block;
    max_shared = defaults.smem_per_block_optin;
  } else {
    const Probe& probe = SharedProbe();
    if (probe.devices.empty()) {
      return Fail("no CUDA device (" + probe.unavailable_reason + "); pass ARCH, e.g. sm_90a");
    }
    const hrt::select::Fingerprint& fp = probe.devices[0].fingerprint;
    arch = fp.arch;
    max_threads = fp.max_threads_per_block;
    max_shared = fp.smem_per_block_optin;
  }
  hrt::ptx::EmitOptions options;
  options.target.sm = arch.cc();
  options.target.arch_specific = false;
  options.target.ptx_version = std::max<uint32_t>(80, hrt::ptx::MinPtxVersion(options.target));
  options.limits.max_threads_per_block = max_threads;
  options.limits.max_shared_bytes = max_shared;

  std::string qptxas, qdir;
  if (!ShellQuote(ptxas, &qptxas) || !ShellQuote(dir, &qdir)) {
    return Fail("paths with a single quote are not supported");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail("cannot create " + dir + ": " + ec.message());

  std::vector<Member> members;
  std::vector<hrt::ir::Module> modules;
  std::set<std::string> distinct_ptx;
  std::string working_set;
  for (const KernelShape& shape : Shapes()) {
    auto module = hrt::testing::LoadKernelModule(shape.name);
    if (!module.ok()) return Fail(module.status().message());
    const hrt::ir::Kernel* kernel = module->Find(shape.name);
    if (kernel == nullptr) return Fail(std::string("no kernel ") + shape.name);
    const std::vector<hrt::ir::Config> space = BindableConfigs(*kernel);
    // Evenly spaced picks; a pick whose PTX cannot be emitted for the
    // device's limits moves on to the next point that can.
    size_t next = 0;
    for (int m = 0; m < shape.members; ++m) {
      size_t i = std::max(
          next, space.size() * static_cast<size_t>(m) / static_cast<size_t>(shape.members));
      for (; i < space.size(); ++i) {
        auto ptx = hrt::bundle::PtxVariantFromIr(*kernel, space[i], options);
        if (!ptx.ok()) continue;
        Member member{shape.name, space[i], std::move(*ptx), "", ""};
        const std::string stem = dir + "/" + std::to_string(members.size()) + "_" + shape.name;
        member.ptx_path = stem + ".ptx";
        member.cubin_path = stem + ".cubin";
        // The payload is NUL-terminated for the driver; ptxas wants text.
        const std::vector<uint8_t>& payload = member.ptx.payload;
        if (!distinct_ptx.insert(std::string(payload.begin(), payload.end())).second) {
          return Fail("two members compile to the same PTX: " + member.kernel + " " +
                      ConfigText(*kernel, member.config));
        }
        if (!WriteFile(member.ptx_path, payload.data(), payload.size() - 1)) {
          return Fail("cannot write " + member.ptx_path);
        }
        working_set += member.kernel + "\t" + ConfigText(*kernel, member.config) + "\n";
        members.push_back(std::move(member));
        break;
      }
      if (i == space.size()) return Fail(std::string("tuning space too small: ") + shape.name);
      next = i + 1;
    }
    const std::string text = ReadFile(hrt::testing::KernelsDir() + "/" + shape.name + ".tile");
    if (!WriteFile(dir + "/" + shape.name + ".tile", text.data(), text.size())) {
      return Fail("cannot write the tile IR into " + dir);
    }
    modules.push_back(std::move(*module));
  }

  // ptxas for every member, several at a time.
  std::vector<int> results(members.size(), -1);
  std::vector<std::thread> workers;
  const size_t threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  for (size_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = w; i < members.size(); i += threads) {
        std::string in, out;
        (void)ShellQuote(members[i].ptx_path, &in);
        (void)ShellQuote(members[i].cubin_path, &out);
        const std::string cmd =
            qptxas + " -arch=" + hrt::select::SmName(arch) + " -o " + out + " " + in;
        results[i] = std::system(cmd.c_str());
      }
    });
  }
  for (std::thread& t : workers) t.join();

  hrt::bundle::Contents contents;
  size_t cubin_bytes = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (results[i] != 0) return Fail("ptxas failed on " + members[i].ptx_path);
    const std::string file = ReadFile(members[i].cubin_path);
    const std::vector<uint8_t> cubin(file.begin(), file.end());
    if (cubin.empty()) return Fail("empty cubin " + members[i].cubin_path);
    cubin_bytes += cubin.size();
    auto entry = std::find_if(contents.kernels.begin(), contents.kernels.end(),
                              [&](const auto& k) { return k.name == members[i].kernel; });
    if (entry == contents.kernels.end()) {
      const hrt::ir::Kernel* kernel = nullptr;
      for (const hrt::ir::Module& m : modules) {
        if ((kernel = m.Find(members[i].kernel)) != nullptr) break;
      }
      contents.kernels.push_back(hrt::bundle::KernelEntryFromIr(*kernel));
      entry = contents.kernels.end() - 1;
    }
    entry->variants.push_back(hrt::bundle::CubinVariantFromPtx(members[i].ptx, arch, cubin, 0, 0));
  }
  auto bytes = hrt::bundle::WriteBundle(contents, {});
  if (!bytes.ok()) return Fail(bytes.status().message());
  if (!WriteFile(dir + "/bundle.hrtb", bytes->data(), bytes->size()) ||
      !WriteFile(dir + "/working_set.txt", working_set.data(), working_set.size())) {
    return Fail("cannot write into " + dir);
  }
  std::printf("%s", working_set.c_str());
  std::printf(
      "wrote %s/bundle.hrtb: %zu members for %s, %zu cubin bytes, %zu bundle bytes (%.0f ms)\n",
      dir.c_str(), members.size(), hrt::select::SmName(arch).c_str(), cubin_bytes, bytes->size(),
      MsSinceStart() - t0);
  return 0;
}

//===----------------------------------------------------------------------===//
// run
//===----------------------------------------------------------------------===//

struct Launch {
  std::string kernel;
  const KernelShape* shape = nullptr;
  hrt::ir::Config config;
  int32_t dtype = 0;
  std::vector<hrt_config_entry_t> entries;  // names point into |config|
  std::vector<hrt_arg_t> args;
  hrt_kernel_t* handle = nullptr;
};

// Reads DIR/working_set.txt; hostile content is an error, never a crash.
bool ReadWorkingSet(const std::string& path, std::vector<Launch>* out, std::string* error) {
  std::ifstream file(path);
  if (!file) {
    *error = "cannot open " + path + " (run make first)";
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      *error = where + "expected 'kernel<TAB>config'";
      return false;
    }
    Launch launch;
    launch.kernel = line.substr(0, tab);
    launch.shape = FindShape(launch.kernel);
    if (launch.shape == nullptr) {
      std::string shown = launch.kernel.substr(0, 40);
      for (char& c : shown) c = (c >= 0x20 && c < 0x7f) ? c : '?';
      *error = where + "unknown kernel '" + shown + "'";
      return false;
    }
    auto config = hrt::ir::ParseConfig(line.substr(tab + 1));
    if (!config.ok()) {
      *error = where + config.status().message();
      return false;
    }
    launch.config = std::move(*config);
    const std::optional<int64_t> t = launch.config.Get("T");
    if (!t || *t < HRT_DTYPE_BOOL || *t > HRT_DTYPE_F32) {
      *error = where + "the config has no dtype T";
      return false;
    }
    launch.dtype = static_cast<int32_t>(*t);
    out->push_back(std::move(launch));
    if (out->size() > 10000) {
      *error = path + ": too many lines";
      return false;
    }
  }
  if (out->empty()) {
    *error = path + " is empty";
    return false;
  }
  for (Launch& l : *out) {
    for (const auto& [name, value] : l.config.entries) l.entries.push_back({name.c_str(), value});
  }
  return true;
}

// Checks the persistent cache directory against |mode|: cold needs it empty
// (or absent), cache needs entries in it; every mode needs it named, so no
// run touches the user's own cache.
bool CheckCacheDir(const std::string& mode, std::string* error) {
  const char* env = std::getenv("HELIONRT_CACHE_DIR");
  if (env == nullptr || *env == '\0') {
    *error = "set HELIONRT_CACHE_DIR (a fresh directory for cold and bundle runs)";
    return false;
  }
  std::error_code ec;
  const bool has_files =
      std::filesystem::exists(env, ec) && std::filesystem::recursive_directory_iterator(env, ec) !=
                                              std::filesystem::recursive_directory_iterator();
  if (mode == "cold" && has_files) {
    *error = std::string("cold run with a non-empty cache directory ") + env;
    return false;
  }
  if (mode == "cache" && !has_files) {
    *error = std::string("cache run with an empty cache directory ") + env +
             " (run a cold run on it first)";
    return false;
  }
  return true;
}

// |s| as the inside of a JSON string.
std::string JsonEscape(const char* s) {
  std::string out;
  for (; *s != '\0'; ++s) {
    const unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// What hrt_kernel_describe_launch must say for every launch of |mode|.
std::vector<std::string> ExpectedPath(const std::string& mode) {
  if (mode == "cold") return {"PTX generated from the tile IR, JIT-compiled by the driver"};
  if (mode == "cache") return {"PTX generated from the tile IR, cubin from the helionrt cache"};
  return {"bundle variant ", ": cubin, loaded directly"};
}

int Run(const std::string& mode, const std::string& dir) {
  if (mode != "cold" && mode != "cache" && mode != "bundle") return Fail("unknown mode " + mode);
  std::vector<Launch> launches;
  std::string error;
  if (!ReadWorkingSet(dir + "/working_set.txt", &launches, &error) ||
      !CheckCacheDir(mode, &error)) {
    return Fail(error);
  }
  const double t_setup = MsSinceStart();

  const Probe& probe = SharedProbe();
  if (probe.devices.empty()) return Fail("no CUDA device: " + probe.unavailable_reason);
  const DriverApi& api = probe.driver->api();
  CUcontext context = nullptr;
  if (api.DevicePrimaryCtxRetain(&context, probe.devices[0].device) != CUDA_SUCCESS ||
      api.CtxPushCurrent(context) != CUDA_SUCCESS) {
    return Fail("cannot create the CUDA context");
  }
  const double t_context = MsSinceStart();

  hrt_runtime_options_t options;
  hrt_runtime_options_init(&options);
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CUDA);  // the reference device comes too
  hrt_runtime_t* runtime = nullptr;
  if (hrt_runtime_create(&options, &runtime) != HRT_OK) return Fail(hrt_last_error_message());
  const double t_runtime = MsSinceStart();

  hrt_device_properties_t props{};
  props.struct_size = sizeof(props);
  if (hrt_device_get_properties(runtime, 0, &props) != HRT_OK) {
    return Fail(hrt_last_error_message());
  }
  if (props.backend != HRT_BACKEND_CUDA) return Fail("device 0 is not a CUDA device");
  uint64_t buffers[kBuffers] = {};
  const std::vector<uint8_t> fill(kBufferBytes, 0x3C);  // finite in f32, bf16 and f16
  for (uint64_t& b : buffers) {
    if (hrt_device_alloc(runtime, 0, kBufferBytes, &b) != HRT_OK ||
        hrt_device_write(runtime, 0, b, fill.data(), fill.size(), nullptr) != HRT_OK) {
      return Fail(hrt_last_error_message());
    }
  }
  for (Launch& l : launches) {
    const size_t n = l.shape->tensors.size();
    for (size_t i = 0; i < n; ++i) {
      hrt_arg_t arg{};
      arg.kind = HRT_ARG_KIND_TENSOR;
      hrt_tensor_t& t = arg.value.tensor;
      t.address = buffers[i + 1 == n ? kBuffers - 1 : i];
      t.dtype = l.dtype;
      t.rank = static_cast<uint32_t>(l.shape->tensors[i].size());
      int64_t stride = 1;
      for (uint32_t d = t.rank; d-- > 0;) {
        t.shape[d] = l.shape->tensors[i][d];
        t.strides[d] = stride;
        stride *= t.shape[d];
      }
      l.args.push_back(arg);
    }
    for (int s = 0; s < l.shape->scalars; ++s) {
      hrt_arg_t arg{};
      arg.kind = HRT_ARG_KIND_FLOAT;
      arg.value.f = 1e-5;
      l.args.push_back(arg);
    }
  }
  const double t_tensors = MsSinceStart();

  std::vector<hrt_module_t*> modules;
  auto load = [&](const std::string& path) -> hrt_module_t* {
    hrt_module_t* m = nullptr;
    if (hrt_module_load_file(runtime, path.c_str(), &m) != HRT_OK) return nullptr;
    modules.push_back(m);
    return m;
  };
  if (mode == "bundle") {
    hrt_module_t* bundle = load(dir + "/bundle.hrtb");
    if (bundle == nullptr) return Fail(hrt_last_error_message());
    for (Launch& l : launches) {
      if (hrt_module_get_kernel(bundle, l.kernel.c_str(), &l.handle) != HRT_OK) {
        return Fail(hrt_last_error_message());
      }
    }
  } else {
    for (const KernelShape& shape : Shapes()) {
      hrt_module_t* module = nullptr;
      for (Launch& l : launches) {
        if (l.shape != &shape) continue;
        if (module == nullptr && (module = load(dir + "/" + shape.name + ".tile")) == nullptr) {
          return Fail(hrt_last_error_message());
        }
        if (hrt_module_get_kernel(module, shape.name, &l.handle) != HRT_OK) {
          return Fail(hrt_last_error_message());
        }
      }
    }
  }
  const double t_modules = MsSinceStart();

  std::vector<double> launch_ms;
  hrt_launch_params_t params;
  hrt_launch_params_init(&params);
  for (Launch& l : launches) {
    params.args = l.args.data();
    params.arg_count = l.args.size();
    params.config = l.entries.data();
    params.config_count = l.entries.size();
    const double t = MsSinceStart();
    if (hrt_kernel_launch(l.handle, &params) != HRT_OK) {
      return Fail(l.kernel + " " + l.config.ToString() + ": " + hrt_last_error_message());
    }
    launch_ms.push_back(MsSinceStart() - t);
  }
  const double t_launches = MsSinceStart();
  if (hrt_device_synchronize(runtime, 0, nullptr) != HRT_OK) {
    return Fail(hrt_last_error_message());
  }
  const double t_all = MsSinceStart();

  // Untimed: every launch took the path this mode measures.
  const std::vector<std::string> expected = ExpectedPath(mode);
  for (Launch& l : launches) {
    params.args = l.args.data();
    params.arg_count = l.args.size();
    params.config = l.entries.data();
    params.config_count = l.entries.size();
    char text[1024];
    size_t length = 0;
    if (hrt_kernel_describe_launch(l.handle, &params, text, sizeof(text), &length) != HRT_OK) {
      return Fail(hrt_last_error_message());
    }
    for (const std::string& e : expected) {
      if (std::strstr(text, e.c_str()) == nullptr) {
        return Fail(mode + " run, " + l.kernel + " " + l.config.ToString() +
                    ": the launch did not take the expected path (\"" + e + "\"): " + text);
      }
    }
  }

  std::string per_launch;
  for (double ms : launch_ms) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%.3f", per_launch.empty() ? "" : ", ", ms);
    per_launch += buf;
  }
  std::printf(
      "{\"mode\": \"%s\", \"kernels\": %zu, \"device\": \"%s\", \"setup_ms\": %.3f, "
      "\"context_ms\": %.3f, \"runtime_create_ms\": %.3f, \"tensors_ms\": %.3f, "
      "\"module_load_ms\": %.3f, \"launches_ms\": %.3f, \"sync_ms\": %.3f, "
      "\"all_launched_ms\": %.3f, \"adds_ms\": %.3f, \"launch_ms\": [%s]}\n",
      mode.c_str(), launches.size(), JsonEscape(props.name).c_str(), t_setup, t_context - t_setup,
      t_runtime - t_context, t_tensors - t_runtime, t_modules - t_tensors, t_launches - t_modules,
      t_all - t_launches, t_all, t_all - t_runtime, per_launch.c_str());
  std::fflush(stdout);

  for (hrt_module_t* m : modules) (void)hrt_module_destroy(m);
  (void)hrt_runtime_destroy(runtime);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything loads the driver: its JIT cache would serve cold runs.
  ::setenv("CUDA_CACHE_DISABLE", "1", 1);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if ((args.size() == 3 || args.size() == 4) && args[0] == "make") {
    return Make(args[1], args[2], args.size() == 4 ? args[3] : "");
  }
  if (args.size() == 3 && args[0] == "run") return Run(args[1], args[2]);
  std::fprintf(stderr,
               "usage: hrt_warm_start make DIR PTXAS [ARCH]\n"
               "       hrt_warm_start run cold|cache|bundle DIR\n");
  return 2;
}
