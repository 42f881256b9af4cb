// Code generation time per standard kernel in kernels/*.tile with its
// default config, for bf16 and f32: bound tile IR -> PTX text (codegen/ptx,
// sm_90a; BM_Emit) and -> a SPIR-V binary (codegen/spirv, a Vulkan device
// with NVIDIA's limits; BM_EmitSpirv). The target of issues 4 and 5 is
// <= 1 ms per kernel. Also the largest tiles in the tuning spaces.
//
//   build/release/bench/hrt_codegen_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/ptx.h"
#include "codegen/spirv/spirv.h"

namespace {

using namespace hrt;

ir::BoundKernel Bind(const std::string& name, const std::string& overrides) {
  const std::string path = std::string(HRT_SOURCE_DIR) + "/kernels/" + name + ".tile";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = ir::ParseModule(ss.str(), path);
  if (!m.ok()) {
    std::fprintf(stderr, "cannot parse %s: %s\n", path.c_str(), m.status().message().c_str());
    std::abort();
  }
  const ir::Kernel* k = m->Find(name);
  if (!k) std::abort();
  ir::Config c = ir::DefaultConfig(*k);
  auto over = ir::ParseConfig(overrides);
  if (!over.ok()) std::abort();
  for (const auto& [key, v] : over->entries) c.Set(key, v);
  auto b = ir::Bind(*k, c);
  if (!b.ok()) {
    std::fprintf(stderr, "cannot bind %s: %s\n", name.c_str(), b.status().message().c_str());
    std::abort();
  }
  return std::move(b.value());
}

// |assume|: "" for code that takes any arguments, "all" for the code the
// CUDA backend generates for aligned tensors whose sizes are multiples of 16
// (ptx::ParseAssumptions), what a launch on such tensors compiles.
void BM_Emit(benchmark::State& state, const std::string& name, const std::string& config,
             const std::string& assume) {
  const ir::BoundKernel k = Bind(name, config);
  ptx::EmitOptions o;
  o.target = ptx::ParseTarget("sm_90a", 80).value();
  o.limits.max_shared_bytes = 227 * 1024;
  if (!assume.empty()) o.assume = ptx::ParseAssumptions(k.kernel, assume).value();
  size_t bytes = 0;
  for (auto _ : state) {
    auto p = ptx::EmitKernel(k, o);
    if (!p.ok()) {
      state.SkipWithError(p.status().message().c_str());
      return;
    }
    bytes = p->ptx.size();
    benchmark::DoNotOptimize(p);
  }
  state.counters["ptx_bytes"] = static_cast<double>(bytes);
}

void BM_EmitSpirv(benchmark::State& state, const std::string& name, const std::string& config) {
  const ir::BoundKernel k = Bind(name, config);
  spirv::SpirvOptions o;  // NVIDIA's Vulkan limits (H100, driver 580)
  o.max_shared_bytes = 48 * 1024;
  o.max_push_constant_bytes = 256;
  size_t bytes = 0;
  for (auto _ : state) {
    auto p = spirv::EmitSpirv(k, o);
    if (!p.ok()) {
      state.SkipWithError(p.status().message().c_str());
      return;
    }
    bytes = p->words.size() * sizeof(uint32_t);
    benchmark::DoNotOptimize(p);
  }
  state.counters["spirv_bytes"] = static_cast<double>(bytes);
}

#define HRT_SPIRV_BENCH(label, name, config)                                     \
  BENCHMARK_CAPTURE(BM_EmitSpirv, label, std::string(name), std::string(config)) \
      ->Unit(benchmark::kMicrosecond)

HRT_SPIRV_BENCH(vector_add_bf16, "vector_add", "T=bf16");
HRT_SPIRV_BENCH(vector_add_f32, "vector_add", "T=f32");
HRT_SPIRV_BENCH(silu_mul_bf16, "silu_mul", "T=bf16");
HRT_SPIRV_BENCH(softmax_bf16, "softmax", "T=bf16");
HRT_SPIRV_BENCH(softmax_f32, "softmax", "T=f32");
HRT_SPIRV_BENCH(rms_norm_bf16, "rms_norm", "T=bf16");
HRT_SPIRV_BENCH(layer_norm_bf16, "layer_norm", "T=bf16");
HRT_SPIRV_BENCH(gemm_bf16, "gemm", "T=bf16,BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4");
HRT_SPIRV_BENCH(softmax_bf16_8192, "softmax", "T=bf16,BLOCK_N=8192,WARPS=8");

#define HRT_EMIT_BENCH(label, name, config)                                                \
  BENCHMARK_CAPTURE(BM_Emit, label, std::string(name), std::string(config), std::string()) \
      ->Unit(benchmark::kMicrosecond)
#define HRT_EMIT_ALIGNED_BENCH(label, name, config)                                   \
  BENCHMARK_CAPTURE(BM_Emit, label##_aligned, std::string(name), std::string(config), \
                    std::string("all"))                                               \
      ->Unit(benchmark::kMicrosecond)
// Both: the generic code and the code specialized to aligned arguments (the
// usual launch).
#define HRT_EMIT_BENCH_BOTH(label, name, config) \
  HRT_EMIT_BENCH(label, name, config);           \
  HRT_EMIT_ALIGNED_BENCH(label, name, config)

HRT_EMIT_BENCH(vector_add_bf16, "vector_add", "T=bf16");
HRT_EMIT_BENCH(vector_add_f32, "vector_add", "T=f32");
HRT_EMIT_BENCH(silu_mul_bf16, "silu_mul", "T=bf16");
HRT_EMIT_BENCH(silu_mul_f32, "silu_mul", "T=f32");
HRT_EMIT_BENCH(softmax_bf16, "softmax", "T=bf16");
HRT_EMIT_BENCH(softmax_f32, "softmax", "T=f32");
HRT_EMIT_BENCH_BOTH(rms_norm_bf16, "rms_norm", "T=bf16");
HRT_EMIT_BENCH(rms_norm_f32, "rms_norm", "T=f32");
HRT_EMIT_BENCH_BOTH(layer_norm_bf16, "layer_norm", "T=bf16");
HRT_EMIT_BENCH(layer_norm_f32, "layer_norm", "T=f32");
HRT_EMIT_BENCH_BOTH(gemm_bf16, "gemm", "T=bf16");
HRT_EMIT_BENCH(gemm_f32, "gemm", "T=f32,BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4");
// A decode config: deep K steps, four stages, the longest mma.sync unroll.
HRT_EMIT_BENCH_BOTH(gemm_bf16_decode, "gemm",
                    "T=bf16,BLOCK_M=16,BLOCK_N=64,BLOCK_K=128,WARPS=4,STAGES=4,WARP_ROLES=1");
// The largest per-thread work in the space: 8192-wide rows on 8 warps.
HRT_EMIT_BENCH_BOTH(softmax_bf16_8192, "softmax", "T=bf16,BLOCK_N=8192,WARPS=8");

}  // namespace

BENCHMARK_MAIN();
