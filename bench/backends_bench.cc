// The same kernels on the same GPU through different backends (CUDA: PTX from
// the emitter; Vulkan: SPIR-V from the emitter), through the public C API
// only: RMSNorm and softmax (bf16, GB/s moved) and GEMM (bf16, TFLOP/s).
// Every device of the runtime that is not the CPU reference is measured, so
// on the H100 with the NVIDIA Vulkan driver present both backends run in one
// process. Each iteration enqueues kLaunches launches and waits for them;
// the manual time is per launch, so it includes what a backend adds per
// launch (for Vulkan: recording and submitting a command buffer).
//
//   HELIONRT_BACKENDS=cuda,vulkan hrt_backends_bench --benchmark_repetitions=3
//
// Without a GPU (or with only lavapipe) the benchmarks still run, on
// whatever devices exist; lavapipe numbers say nothing about a GPU.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "codegen/ir/dtype.h"
#include "helionrt/helionrt.h"

namespace {

constexpr int kLaunches = 20;

struct Runtime {
  hrt_runtime_t* rt = nullptr;
  hrt_module_t* module = nullptr;
  std::string error;

  static Runtime& Get() {
    static Runtime* r = [] {
      auto* x = new Runtime();
      x->Init();
      return x;
    }();
    return *r;
  }

  void Init() {
    // Both backends at the kernels' default configs: serving-time tuning
    // (on by default for CUDA only) would change the config under the
    // measurement.
    hrt_runtime_options_t options;
    hrt_runtime_options_init(&options);
    options.tuning = HRT_TUNING_OFF;
    if (hrt_runtime_create(&options, &rt) != HRT_OK) {
      error = hrt_last_error_message();
      return;
    }
    std::string text;
    for (const char* name : {"rms_norm", "softmax", "gemm"}) {
      std::ifstream f(std::string(HRT_SOURCE_DIR) + "/kernels/" + name + ".tile");
      if (!f) f.open(std::string("kernels/") + name + ".tile");
      text += std::string(std::istreambuf_iterator<char>(f), {}) + "\n";
    }
    if (hrt_module_load(rt, text.data(), text.size(), &module) != HRT_OK) {
      error = hrt_last_error_message();
    }
  }
};

hrt_arg_t Tensor(uint64_t address, std::vector<int64_t> shape) {
  hrt_arg_t a{};
  a.kind = HRT_ARG_KIND_TENSOR;
  a.value.tensor.address = address;
  a.value.tensor.dtype = HRT_DTYPE_BF16;
  a.value.tensor.rank = static_cast<uint32_t>(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    a.value.tensor.shape[d] = shape[d];
    a.value.tensor.strides[d] = stride;
    stride *= shape[d];
  }
  return a;
}

// Allocates |bytes| of device memory filled with bf16 values in [-1, 1).
uint64_t RandomBuffer(hrt_runtime_t* rt, uint32_t device, size_t elements, uint32_t seed) {
  uint64_t address = 0;
  if (hrt_device_alloc(rt, device, elements * 2, &address) != HRT_OK) return 0;
  std::vector<uint16_t> host(elements);
  uint32_t x = seed * 2654435761u + 1;
  for (uint16_t& h : host) {
    x = x * 1664525u + 1013904223u;
    h = hrt::ir::FloatToBF16(static_cast<float>(x >> 8) * 0x1p-23f - 1.0f);
  }
  if (hrt_device_write(rt, device, address, host.data(), elements * 2, nullptr) != HRT_OK) {
    return 0;
  }
  return address;
}

// Runs |kernel| with |args| on |device|: a warm-up launch (compiles), then
// timed batches. |work| is bytes moved or flops per launch.
void RunKernel(benchmark::State& state, uint32_t device, const char* kernel_name,
               std::vector<hrt_arg_t> args, std::vector<hrt_config_entry_t> config, double work,
               const char* unit) {
  Runtime& r = Runtime::Get();
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  uint32_t count = 0;
  hrt_device_count(r.rt, &count);
  hrt_device_properties_t p{};
  p.struct_size = sizeof(p);
  if (device >= count || hrt_device_get_properties(r.rt, device, &p) != HRT_OK ||
      p.backend == HRT_BACKEND_CPU_REFERENCE) {
    state.SkipWithError("no such GPU device");
    return;
  }
  hrt_kernel_t* kernel = nullptr;
  hrt_module_get_kernel(r.module, kernel_name, &kernel);
  for (const hrt_arg_t& a : args) {
    if (a.kind == HRT_ARG_KIND_TENSOR && a.value.tensor.address == 0) {
      state.SkipWithError("allocation failed");
      return;
    }
  }
  hrt_launch_params_t params;
  hrt_launch_params_init(&params);
  params.device_index = device;
  params.args = args.data();
  params.arg_count = args.size();
  params.config = config.data();
  params.config_count = config.size();
  if (hrt_kernel_launch(kernel, &params) != HRT_OK ||
      hrt_device_synchronize(r.rt, device, nullptr) != HRT_OK) {
    state.SkipWithError(hrt_last_error_message());
    return;
  }
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kLaunches; ++i) (void)hrt_kernel_launch(kernel, &params);
    if (hrt_device_synchronize(r.rt, device, nullptr) != HRT_OK) {
      state.SkipWithError(hrt_last_error_message());
      return;
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    state.SetIterationTime(dt.count() / kLaunches);
  }
  state.SetLabel(std::string(p.name) + " (" + (p.backend == HRT_BACKEND_CUDA ? "cuda" : "vulkan") +
                 ")");
  state.counters[unit] = benchmark::Counter(work, benchmark::Counter::kIsIterationInvariantRate);
  for (const hrt_arg_t& a : args) {
    if (a.kind == HRT_ARG_KIND_TENSOR) (void)hrt_device_free(r.rt, device, a.value.tensor.address);
  }
}

void BM_RmsNorm(benchmark::State& state) {
  const auto device = static_cast<uint32_t>(state.range(0));
  const int64_t m = state.range(1), n = state.range(2);
  hrt_runtime_t* rt = Runtime::Get().rt;
  if (rt == nullptr) return state.SkipWithError(Runtime::Get().error.c_str());
  hrt_arg_t eps{};
  eps.kind = HRT_ARG_KIND_FLOAT;
  eps.value.f = 1e-6;
  RunKernel(state, device, "rms_norm",
            {Tensor(RandomBuffer(rt, device, m * n, 1), {m, n}),
             Tensor(RandomBuffer(rt, device, n, 2), {n}),
             Tensor(RandomBuffer(rt, device, m * n, 3), {m, n}), eps},
            {}, 4.0 * static_cast<double>(m * n), "bytes_per_second");
}

void BM_Softmax(benchmark::State& state) {
  const auto device = static_cast<uint32_t>(state.range(0));
  const int64_t m = state.range(1), n = state.range(2);
  hrt_runtime_t* rt = Runtime::Get().rt;
  if (rt == nullptr) return state.SkipWithError(Runtime::Get().error.c_str());
  RunKernel(state, device, "softmax",
            {Tensor(RandomBuffer(rt, device, m * n, 4), {m, n}),
             Tensor(RandomBuffer(rt, device, m * n, 5), {m, n})},
            {}, 4.0 * static_cast<double>(m * n), "bytes_per_second");
}

// A config whose shared memory fits Vulkan's usual 48 KiB on every backend,
// so both run the same tiling.
void BM_Gemm(benchmark::State& state) {
  const auto device = static_cast<uint32_t>(state.range(0));
  const int64_t m = state.range(1), n = m, k = m;
  hrt_runtime_t* rt = Runtime::Get().rt;
  if (rt == nullptr) return state.SkipWithError(Runtime::Get().error.c_str());
  RunKernel(state, device, "gemm",
            {Tensor(RandomBuffer(rt, device, m * k, 6), {m, k}),
             Tensor(RandomBuffer(rt, device, k * n, 7), {k, n}),
             Tensor(RandomBuffer(rt, device, n, 8), {n}),
             Tensor(RandomBuffer(rt, device, m * n, 9), {m, n})},
            {{"BLOCK_M", 64}, {"BLOCK_N", 64}, {"BLOCK_K", 32}, {"WARPS", 4}},
            2.0 * static_cast<double>(m * n * k), "flops_per_second");
}

// Devices 0 and 1: with HELIONRT_BACKENDS=cuda,vulkan on one GPU, the CUDA
// device and the Vulkan device of the same card.
BENCHMARK(BM_RmsNorm)->ArgsProduct({{0, 1}, {4096}, {8192}})->UseManualTime();
BENCHMARK(BM_Softmax)->ArgsProduct({{0, 1}, {4096}, {8192}})->UseManualTime();
BENCHMARK(BM_Gemm)->ArgsProduct({{0, 1}, {2048}})->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
