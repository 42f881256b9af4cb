// Time to first launch in a fresh process, by phase:
//   hrt_first_launch make DIR PTXAS   writes DIR/ptx.hrtb (a PTX variant for
//                                     compute_80) and DIR/cubin.hrtb (the
//                                     same code as a cubin for the device's
//                                     arch, built with PTXAS)
//   hrt_first_launch run FILE LABEL   one measurement of a bundle or a tile-IR
//                                     file (codegen + JIT, or the persistent
//                                     cache's cubin when $HELIONRT_CACHE_DIR
//                                     holds it): prints one JSON line
// The kernel is vector_add (f32, 1M elements). Phases, in ms from the
// start of main(): CUDA context (cuInit + primary context, done here first
// so the runtime finds it), runtime create, module load, first launch
// (selection, payload load or JIT, launch, synchronize). The driver's JIT
// cache is disabled by the script that runs this (CUDA_CACHE_DISABLE=1), so
// a PTX variant pays the full JIT each time. bench/device/first_launch.sh
// runs it many times and takes medians.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/writer.h"
#include "runtime/cuda/cuda_backend.h"

namespace {

using namespace hrt::cuda;  // NOLINT: the driver's types
using Clock = std::chrono::steady_clock;

const Clock::time_point kStart = Clock::now();

double MsSinceStart() {
  return std::chrono::duration<double, std::milli>(Clock::now() - kStart).count();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hrt_first_launch: %s\n", message.c_str());
  return 1;
}

bool WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Make(const std::string& dir, const std::string& ptxas) {
  const Probe& probe = SharedProbe();
  if (probe.devices.empty()) return Fail("no CUDA device: " + probe.unavailable_reason);
  auto module = hrt::testing::LoadKernelModule("vector_add");
  if (!module.ok()) return Fail(module.status().message());
  hrt::ir::Config config;
  config.Set("T", static_cast<int64_t>(hrt::ir::DType::kF32));
  auto ptx = hrt::bundle::PtxVariantFromIr(module->kernels[0], config, hrt::ptx::EmitOptions{});
  if (!ptx.ok()) return Fail(ptx.status().message());
  const hrt::select::Arch arch = probe.devices[0].fingerprint.arch;
  const std::string ptx_path = dir + "/vector_add.ptx", cubin_path = dir + "/vector_add.cubin";
  if (!WriteFile(ptx_path, std::vector<uint8_t>(ptx->payload.begin(), ptx->payload.end() - 1))) {
    return Fail("cannot write " + ptx_path);
  }
  const std::string cmd =
      ptxas + " -arch=" + hrt::select::SmName(arch) + " -o " + cubin_path + " " + ptx_path;
  if (std::system(cmd.c_str()) != 0) return Fail("ptxas failed: " + cmd);
  std::ifstream file(cubin_path, std::ios::binary);
  const std::vector<uint8_t> cubin((std::istreambuf_iterator<char>(file)), {});
  for (bool binary : {false, true}) {
    hrt::bundle::Contents contents;
    hrt::bundle::KernelEntry entry = hrt::bundle::KernelEntryFromIr(module->kernels[0]);
    entry.variants.push_back(binary ? hrt::bundle::CubinVariantFromPtx(*ptx, arch, cubin, 0, 0)
                                    : *ptx);
    contents.kernels.push_back(std::move(entry));
    auto bytes = hrt::bundle::WriteBundle(contents, {});
    if (!bytes.ok()) return Fail(bytes.status().message());
    const std::string path = dir + (binary ? "/cubin.hrtb" : "/ptx.hrtb");
    if (!WriteFile(path, *bytes)) return Fail("cannot write " + path);
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}

int Run(const std::string& bundle_path, const std::string& label) {
  const Probe& probe = SharedProbe();
  if (probe.devices.empty()) return Fail("no CUDA device: " + probe.unavailable_reason);
  const DriverApi& api = probe.driver->api();
  CUcontext context = nullptr;
  if (api.DevicePrimaryCtxRetain(&context, probe.devices[0].device) != CUDA_SUCCESS ||
      api.CtxPushCurrent(context) != CUDA_SUCCESS) {
    return Fail("cannot create the CUDA context");
  }
  const double t_context = MsSinceStart();

  hrt_runtime_t* runtime = nullptr;
  if (hrt_runtime_create(nullptr, &runtime) != HRT_OK) return Fail(hrt_last_error_message());
  const double t_runtime = MsSinceStart();
  hrt_module_t* module = nullptr;
  hrt_kernel_t* kernel = nullptr;
  if (hrt_module_load_file(runtime, bundle_path.c_str(), &module) != HRT_OK ||
      hrt_module_get_kernel(module, "vector_add", &kernel) != HRT_OK) {
    return Fail(hrt_last_error_message());
  }
  const double t_module = MsSinceStart();

  constexpr int64_t kN = 1 << 20;
  CUdeviceptr buffers[3] = {};
  for (CUdeviceptr& b : buffers) {
    if (api.MemAlloc(&b, kN * sizeof(float)) != CUDA_SUCCESS) return Fail("cuMemAlloc failed");
  }
  const double t_alloc = MsSinceStart();
  hrt_arg_t args[3] = {};
  for (int i = 0; i < 3; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor = {buffers[i], HRT_DTYPE_F32, 1, {kN}, {1}};
  }
  hrt_launch_params_t params;
  hrt_launch_params_init(&params);
  params.args = args;
  params.arg_count = 3;
  if (hrt_kernel_launch(kernel, &params) != HRT_OK) return Fail(hrt_last_error_message());
  if (api.CtxSynchronize() != CUDA_SUCCESS) return Fail("cuCtxSynchronize failed");
  const double t_launch = MsSinceStart();
  std::printf(
      "{\"label\": \"%s\", \"file\": \"%s\", \"context_ms\": %.3f, \"runtime_create_ms\": %.3f, "
      "\"module_load_ms\": %.3f, \"first_launch_ms\": %.3f, \"total_ms\": %.3f}\n",
      label.c_str(), bundle_path.c_str(), t_context, t_runtime - t_context, t_module - t_runtime,
      t_launch - t_alloc, t_launch - (t_alloc - t_module));
  (void)hrt_module_destroy(module);
  (void)hrt_runtime_destroy(runtime);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "make") return Make(args[1], args[2]);
  if (args.size() == 3 && args[0] == "run") return Run(args[1], args[2]);
  std::fprintf(stderr, "usage: hrt_first_launch make DIR PTXAS | run FILE LABEL\n");
  return 2;
}
