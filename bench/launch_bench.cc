// Launch overhead on a CUDA device: host time per launch of the same kernel
// (vector_add, f32, 1024 elements, one block) through
//   raw       cuLaunchKernel of the function, arguments marshalled once;
//   marshal   hrt::cuda::Launch: the backend's per-launch marshalling;
//   capi      hrt_kernel_launch on a tile-IR module (validation, memoized
//             decision, conversion, marshalling);
//   bundle    hrt_kernel_launch on a bundle with a PTX variant;
//   interleaved  raw and capi batches alternated (ABBA) in one benchmark,
//             with their ratio: the figure to quote, since the host drifts
//             by several percent between benchmarks minutes apart.
// Each iteration enqueues a batch of kBatch launches on one stream and is
// timed without the synchronization that follows it (so the queue never
// fills and the GPU never paces the host). Counters: median_ns (median over
// batches of ns per launch, >= 100k launches per run) and launches.
//
// Without a CUDA device every benchmark reports an error saying why.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ptx/abi.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/writer.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_device.h"

namespace hrt {
namespace {

using namespace hrt::cuda;  // NOLINT: the driver's types and constants

constexpr int kBatch = 256;
constexpr int kBatches = 400;  // 102,400 launches per benchmark run
constexpr int64_t kN = 1024;

using Clock = std::chrono::steady_clock;

// Everything the four contenders share: the device, memory, a stream, the
// bound kernel and its compiled form (for raw and marshal).
struct Fixture {
  std::string error;
  const Probe* probe = nullptr;
  std::unique_ptr<CudaDevice> device;
  CUstream stream = nullptr;
  CUdeviceptr x = 0, y = 0, out = 0;
  std::unique_ptr<ir::BoundKernel> bound;
  std::unique_ptr<CompiledKernel> compiled;
  std::vector<hrt_arg_t> args;

  static Fixture& Get() {
    static Fixture* f = [] {
      auto* fx = new Fixture();
      fx->Init();
      return fx;
    }();
    return *f;
  }

  void Init() {
    probe = &SharedProbe();
    if (probe->devices.empty()) {
      error = "no CUDA device: " + probe->unavailable_reason;
      return;
    }
    auto d = CudaDevice::Create(probe->driver, probe->devices[0]);
    if (!d.ok()) {
      error = d.status().message();
      return;
    }
    device = std::move(*d);
    const DriverApi& api = probe->driver->api();
    (void)api.CtxPushCurrent(device->context());  // stays current for the process
    (void)api.StreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    const size_t bytes = kN * sizeof(float);
    (void)api.MemAlloc(&x, bytes);
    (void)api.MemAlloc(&y, bytes);
    (void)api.MemAlloc(&out, bytes);
    auto b = testing::LoadAndBind("vector_add", ir::DType::kF32, "BLOCK=1024,WARPS=4");
    if (!b.ok()) {
      error = b.status().message();
      return;
    }
    bound = std::make_unique<ir::BoundKernel>(std::move(*b));
    auto c = device->Compile(*bound);
    if (!c.ok()) {
      error = c.status().message();
      return;
    }
    compiled = std::move(*c);
    args.resize(3);
    const CUdeviceptr addresses[] = {x, y, out};
    for (int i = 0; i < 3; ++i) {
      args[i] = hrt_arg_t{};
      args[i].value.tensor.address = addresses[i];
      args[i].value.tensor.dtype = HRT_DTYPE_F32;
      args[i].value.tensor.rank = 1;
      args[i].value.tensor.shape[0] = kN;
      args[i].value.tensor.strides[0] = 1;
    }
  }

  void Sync() const { (void)probe->driver->api().StreamSynchronize(stream); }
};

// Runs kBatches batches of |launch_batch| and reports the median.
template <typename F>
void TimeBatches(benchmark::State& state, F&& launch_batch) {
  Fixture& f = Fixture::Get();
  std::vector<double> per_launch;
  per_launch.reserve(kBatches);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (!launch_batch()) {
      state.SkipWithError("launch failed");
      return;
    }
    const auto t1 = Clock::now();
    f.Sync();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.SetIterationTime(ns * 1e-9);
    per_launch.push_back(ns / kBatch);
  }
  std::sort(per_launch.begin(), per_launch.end());
  state.counters["median_ns"] = per_launch.empty() ? 0 : per_launch[per_launch.size() / 2];
  state.counters["launches"] = static_cast<double>(per_launch.size()) * kBatch;
}

bool CheckFixture(benchmark::State& state) {
  const Fixture& f = Fixture::Get();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return false;
  }
  return true;
}

// cuLaunchKernel of the fixture's function with arguments marshalled once,
// exactly as the backend would: nothing but the driver call per launch.
class RawLauncher {
 public:
  // False (with the reason in |error|) when marshalling fails.
  bool Init(std::string* error) {
    const Fixture& f = Fixture::Get();
    const LaunchPlan& plan = f.compiled->plan;
    const std::span<uint8_t> bytes(buffer_, plan.layout.total_size);
    for (uint32_t p = 0; p < 3; ++p) {
      const hrt_tensor_t& a = f.args[p].value.tensor;
      if (!ptx::WriteTensorParam(plan.layout, p, a.address, a.rank, a.shape, a.strides, bytes)
               .ok()) {
        *error = "marshalling failed";
        return false;
      }
    }
    for (size_t i = 0; i < plan.layout.slots.size(); ++i) {
      params_[i] = buffer_ + plan.layout.slots[i].offset;
    }
    return true;
  }
  bool Batch() const {
    const Fixture& f = Fixture::Get();
    const LaunchPlan& plan = f.compiled->plan;
    const DriverApi& api = f.probe->driver->api();
    const unsigned grid = static_cast<unsigned>((kN + 1023) / 1024);
    for (int i = 0; i < kBatch; ++i) {
      if (api.LaunchKernel(plan.function, grid, 1, 1, plan.threads_per_block, 1, 1,
                           plan.shared_bytes, f.stream, const_cast<void**>(params_),
                           nullptr) != CUDA_SUCCESS) {
        return false;
      }
    }
    return true;
  }

 private:
  alignas(16) uint8_t buffer_[kMaxParamBytes];
  void* params_[kMaxParamSlots];
};

void BM_RawCuLaunchKernel(benchmark::State& state) {
  if (!CheckFixture(state)) return;
  auto raw = std::make_unique<RawLauncher>();
  if (std::string error; !raw->Init(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  TimeBatches(state, [&] { return raw->Batch(); });
}

void BM_HrtCudaLaunch(benchmark::State& state) {
  if (!CheckFixture(state)) return;
  Fixture& f = Fixture::Get();
  TimeBatches(state, [&] {
    for (int i = 0; i < kBatch; ++i) {
      if (!f.device->Launch(*f.compiled, f.args, f.stream).ok()) return false;
    }
    return true;
  });
}

// hrt_kernel_launch of vector_add from |bytes| (tile-IR text or a bundle)
// on the fixture's tensors and stream, with the config as a caller would
// pass it.
class CapiLauncher {
 public:
  ~CapiLauncher() {
    (void)hrt_prepared_launch_destroy(prepared_);
    (void)hrt_module_destroy(module_);
    (void)hrt_runtime_destroy(runtime_);
  }
  // Loads the module and makes the first launch (which compiles or loads the
  // code); false with the reason in |error| when anything fails.
  bool Init(const std::vector<uint8_t>& bytes, std::string* error) {
    Fixture& f = Fixture::Get();
    if (hrt_runtime_create(nullptr, &runtime_) != HRT_OK ||
        hrt_module_load(runtime_, bytes.data(), bytes.size(), &module_) != HRT_OK ||
        hrt_module_get_kernel(module_, "vector_add", &kernel_) != HRT_OK) {
      *error = hrt_last_error_message();
      return false;
    }
    const CUdeviceptr addresses[] = {f.x, f.y, f.out};
    for (int i = 0; i < 3; ++i) {
      args_[i].kind = HRT_ARG_KIND_TENSOR;
      args_[i].value.tensor.address = addresses[i];
      args_[i].value.tensor.dtype = HRT_DTYPE_F32;
      args_[i].value.tensor.rank = 1;
      args_[i].value.tensor.shape[0] = kN;
      args_[i].value.tensor.strides[0] = 1;
    }
    hrt_launch_params_init(&params_);
    params_.stream = f.stream;
    params_.args = args_;
    params_.arg_count = 3;
    params_.config = config_;
    params_.config_count = 2;
    if (hrt_kernel_launch(kernel_, &params_) != HRT_OK) {
      *error = hrt_last_error_message();
      return false;
    }
    f.Sync();
    return true;
  }
  bool Batch() const {
    for (int i = 0; i < kBatch; ++i) {
      if (hrt_kernel_launch(kernel_, &params_) != HRT_OK) return false;
    }
    return true;
  }
  // The same launches through a prepared launch (made on first use).
  bool PreparedBatch() {
    if (prepared_ == nullptr &&
        hrt_kernel_prepare_launch(kernel_, &params_, &prepared_) != HRT_OK) {
      return false;
    }
    for (int i = 0; i < kBatch; ++i) {
      if (hrt_prepared_launch_run(prepared_, args_, 3, params_.stream) != HRT_OK) return false;
    }
    return true;
  }

 private:
  hrt_runtime_t* runtime_ = nullptr;
  hrt_module_t* module_ = nullptr;
  hrt_kernel_t* kernel_ = nullptr;
  hrt_arg_t args_[3] = {};
  const hrt_config_entry_t config_[2] = {{"BLOCK", 1024}, {"WARPS", 4}};
  hrt_launch_params_t params_{};
  hrt_prepared_launch_t* prepared_ = nullptr;
};

void CapiLaunch(benchmark::State& state, const std::vector<uint8_t>& bytes) {
  if (!CheckFixture(state)) return;
  CapiLauncher capi;
  if (std::string error; !capi.Init(bytes, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  TimeBatches(state, [&] { return capi.Batch(); });
}

std::vector<uint8_t> VectorAddText() {
  const std::string path = testing::KernelsDir() + "/vector_add.tile";
  std::ifstream file(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)), {});
}

// Raw and hrt_kernel_launch (or, with |prepared|, hrt_prepared_launch_run)
// batches alternated in ABBA order, so the host's drift (seen as several
// percent between runs minutes apart) falls on both alike. Counters: raw_ns
// and hrt_ns (medians of ns per launch over the batches), ratio (hrt_ns /
// raw_ns) and paired_ratio (the median of each round's hrt/raw ratio).
void RawVsHrtInterleaved(benchmark::State& state, bool prepared) {
  if (!CheckFixture(state)) return;
  Fixture& f = Fixture::Get();
  auto raw = std::make_unique<RawLauncher>();
  CapiLauncher capi;
  if (std::string error; !raw->Init(&error) || !capi.Init(VectorAddText(), &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto timed = [&](auto&& batch, double* ns) {
    const auto t0 = Clock::now();
    const bool ok = batch();
    const auto t1 = Clock::now();
    f.Sync();
    *ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / kBatch;
    return ok;
  };
  auto hrt_batch = [&] { return prepared ? capi.PreparedBatch() : capi.Batch(); };
  std::vector<double> raw_ns, hrt_ns, ratios;
  uint64_t round = 0;
  for (auto _ : state) {
    double r = 0, h = 0;
    const uint64_t phase = round++ % 4;  // rounds 0 and 3 of each 4: raw first (ABBA)
    const bool raw_first = phase == 0 || phase == 3;
    bool ok = true;
    if (raw_first) {
      ok = timed([&] { return raw->Batch(); }, &r) && timed(hrt_batch, &h);
    } else {
      ok = timed(hrt_batch, &h) && timed([&] { return raw->Batch(); }, &r);
    }
    if (!ok) {
      state.SkipWithError("launch failed");
      return;
    }
    state.SetIterationTime((r + h) * kBatch * 1e-9);
    raw_ns.push_back(r);
    hrt_ns.push_back(h);
    ratios.push_back(h / r);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  state.counters["raw_ns"] = median(raw_ns);
  state.counters["hrt_ns"] = median(hrt_ns);
  state.counters["ratio"] = median(hrt_ns) / median(raw_ns);
  state.counters["paired_ratio"] = median(ratios);
  state.counters["launches"] = static_cast<double>(raw_ns.size()) * kBatch * 2;
}

void BM_RawVsHrtInterleaved(benchmark::State& state) {
  RawVsHrtInterleaved(state, false);
}

void BM_RawVsPreparedInterleaved(benchmark::State& state) {
  RawVsHrtInterleaved(state, true);
}

void BM_HrtKernelLaunch(benchmark::State& state) {
  CapiLaunch(state, VectorAddText());
}

void BM_HrtKernelLaunchBundle(benchmark::State& state) {
  auto module = testing::LoadKernelModule("vector_add");
  if (!module.ok()) {
    state.SkipWithError(module.status().message().c_str());
    return;
  }
  bundle::Contents contents;
  bundle::KernelEntry entry = bundle::KernelEntryFromIr(module->kernels[0]);
  ir::Config config;
  config.Set("BLOCK", 1024);
  config.Set("WARPS", 4);
  config.Set("T", static_cast<int64_t>(ir::DType::kF32));
  auto v = bundle::PtxVariantFromIr(module->kernels[0], config, ptx::EmitOptions{});
  if (!v.ok()) {
    state.SkipWithError(v.status().message().c_str());
    return;
  }
  entry.variants.push_back(std::move(*v));
  contents.kernels.push_back(std::move(entry));
  auto bytes = bundle::WriteBundle(contents, {});
  if (!bytes.ok()) {
    state.SkipWithError(bytes.status().message().c_str());
    return;
  }
  CapiLaunch(state, *bytes);
}

#define HRT_LAUNCH_BENCH(fn) \
  BENCHMARK(fn)->UseManualTime()->Iterations(kBatches)->Unit(benchmark::kMicrosecond)

HRT_LAUNCH_BENCH(BM_RawCuLaunchKernel);
HRT_LAUNCH_BENCH(BM_HrtCudaLaunch);
HRT_LAUNCH_BENCH(BM_HrtKernelLaunch);
HRT_LAUNCH_BENCH(BM_HrtKernelLaunchBundle);
// Again, to show drift between the first and the last runs.
HRT_LAUNCH_BENCH(BM_RawCuLaunchKernel)->Name("BM_RawCuLaunchKernel_again");
HRT_LAUNCH_BENCH(BM_RawVsHrtInterleaved);
HRT_LAUNCH_BENCH(BM_RawVsPreparedInterleaved);

}  // namespace
}  // namespace hrt

BENCHMARK_MAIN();
