// Opening a bundle and selecting variants, on the CPU.
//
// The issue's target: opening a bundle of >= 100 kernels from memory and
// selecting a variant for each takes <= 5 ms in total. The bundle here has 128
// kernels with IR and 4 variants each (cubins for sm_80, sm_90 and sm_90a, one
// with shape rules, and compute_80 PTX), payloads of 16 KiB compressed with
// zstd; the device is an sm_90a fingerprint with a CUDA 12.8 driver.
//
//   BM_OpenAndSelectAll   the target: Open() + Select() for every kernel
//   BM_Open               Open() alone (validation and indexing)
//   BM_SelectAll          Select() for every kernel on an open bundle
//   BM_ExplainAll         Explain() (keeps every candidate) for every kernel
//   BM_OpenSelectAndLoad  the target plus decompressing every chosen payload
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "codegen/ir/text.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/fingerprint.h"
#include "runtime/select/selection.h"

namespace {

using hrt::bundle::BundleView;
using hrt::bundle::PayloadKind;
using hrt::bundle::VariantEntry;
using hrt::select::Arch;
using hrt::select::ArchVariant;

constexpr int kKernels = 128;
constexpr int kVariantsPerKernel = 4;
constexpr size_t kPayloadBytes = 16 * 1024;

constexpr const char* kKernelText = R"(
kernel k(x: tensor<f32>[M, N], out: tensor<f32>[M])
  tunable BLOCK_M in {16, 32, 64} = 32
  tunable BLOCK_N in {64, 128, 256} = 128
  tunable WARPS in {2, 4, 8} = 4
  grid [cdiv(M, BLOCK_M)]
{
  %pid = program_id 0
  %bm = sym BLOCK_M
  %row0 = mul %pid, %bm
  %rows = iota BLOCK_M
  %r = add %rows, %row0
  %m = sym M
  %ok = lt %r, %m
  %zero = const 0 : i32
  %v = load x[%r, %zero], mask %ok, other 0
  store out[%r], %v, mask %ok
}
)";

// Machine-code-like bytes: compressible, but not trivially.
std::vector<uint8_t> Payload(std::mt19937& rng) {
  std::vector<uint8_t> b(kPayloadBytes);
  for (size_t i = 0; i < b.size(); i += 4) {
    const uint32_t word =
        (rng() % 16 == 0) ? static_cast<uint32_t>(rng()) : 0x0c001000u | (rng() % 64);
    for (size_t k = 0; k < 4 && i + k < b.size(); ++k)
      b[i + k] = static_cast<uint8_t>(word >> (8 * k));
  }
  return b;
}

VariantEntry Variant(PayloadKind kind, Arch arch, std::mt19937& rng) {
  VariantEntry v;
  v.target.arch = arch;
  v.payload_kind = kind;
  if (kind == PayloadKind::kPtx) v.target.min_ptx_isa = {7, 0};
  v.config = {{"BLOCK_M", 32}, {"BLOCK_N", 128}, {"WARPS", 4}};
  v.resources = {96, 0, 64 * 1024, 128};
  v.payload = Payload(rng);
  return v;
}

const std::vector<uint8_t>& Bundle() {
  static const std::vector<uint8_t> bytes = [] {
    hrt::Result<hrt::ir::Module> module = hrt::ir::ParseModule(kKernelText, "bench.tile");
    if (!module.ok()) {
      std::fprintf(stderr, "bench kernel: %s\n", module.status().message().c_str());
      std::abort();
    }
    std::mt19937 rng(1);
    hrt::bundle::Contents contents;
    for (int k = 0; k < kKernels; ++k) {
      hrt::ir::Kernel kernel = module->kernels[0];
      kernel.name = "kernel_" + std::to_string(k);
      hrt::bundle::KernelEntry entry = hrt::bundle::KernelEntryFromIr(kernel);
      entry.variants.push_back(Variant(PayloadKind::kCubin, {8, 0, ArchVariant::kPlain}, rng));
      entry.variants.push_back(Variant(PayloadKind::kCubin, {9, 0, ArchVariant::kPlain}, rng));
      VariantEntry specific = Variant(PayloadKind::kCubin, {9, 0, ArchVariant::kSpecific}, rng);
      specific.shape_rules = {{"M", 1, 1 << 20}, {"N", 1, 1 << 16}};
      entry.variants.push_back(specific);
      entry.variants.push_back(Variant(PayloadKind::kPtx, {8, 0, ArchVariant::kPlain}, rng));
      contents.kernels.push_back(std::move(entry));
    }
    hrt::Result<std::vector<uint8_t>> b = hrt::bundle::WriteBundle(contents);
    if (!b.ok()) {
      std::fprintf(stderr, "bench bundle: %s\n", b.status().message().c_str());
      std::abort();
    }
    return std::move(*b);
  }();
  return bytes;
}

const hrt::select::Fingerprint& Device() {
  static const hrt::select::Fingerprint fp =
      hrt::select::MakeCudaFingerprint({9, 0, ArchVariant::kSpecific}, 12080);
  return fp;
}

const hrt::select::ShapeValue kShapes[] = {{"M", 4096}, {"N", 4096}};

BundleView OpenOrDie(const std::vector<uint8_t>& bytes) {
  hrt::Result<BundleView> view = BundleView::Open(bytes);
  if (!view.ok()) {
    std::fprintf(stderr, "open: %s\n", view.status().message().c_str());
    std::abort();
  }
  return std::move(*view);
}

void Counters(benchmark::State& state) {
  state.counters["kernels"] = kKernels;
  state.counters["variants"] = kKernels * kVariantsPerKernel;
  state.counters["bundle_bytes"] = static_cast<double>(Bundle().size());
}

void BM_OpenAndSelectAll(benchmark::State& state) {
  const std::vector<uint8_t>& bytes = Bundle();
  for (auto _ : state) {
    hrt::Result<BundleView> view = BundleView::Open(bytes);
    if (!view.ok()) {
      state.SkipWithError(view.status().message().c_str());
      return;
    }
    for (uint32_t k = 0; k < view->kernel_count(); ++k) {
      hrt::Result<hrt::select::Choice> c = hrt::select::Select(*view, k, Device(), kShapes);
      if (!c.ok() || c->variant != k * kVariantsPerKernel + 2) {
        state.SkipWithError("unexpected selection");
        return;
      }
      benchmark::DoNotOptimize(c->variant);
    }
  }
  Counters(state);
}
BENCHMARK(BM_OpenAndSelectAll)->Unit(benchmark::kMicrosecond);

void BM_Open(benchmark::State& state) {
  const std::vector<uint8_t>& bytes = Bundle();
  for (auto _ : state) {
    hrt::Result<BundleView> view = BundleView::Open(bytes);
    benchmark::DoNotOptimize(view.ok());
  }
  Counters(state);
}
BENCHMARK(BM_Open)->Unit(benchmark::kMicrosecond);

void BM_SelectAll(benchmark::State& state) {
  const BundleView view = OpenOrDie(Bundle());
  for (auto _ : state) {
    for (uint32_t k = 0; k < view.kernel_count(); ++k) {
      hrt::Result<hrt::select::Choice> c = hrt::select::Select(view, k, Device(), kShapes);
      benchmark::DoNotOptimize(c.ok());
    }
  }
  Counters(state);
}
BENCHMARK(BM_SelectAll)->Unit(benchmark::kMicrosecond);

void BM_ExplainAll(benchmark::State& state) {
  const BundleView view = OpenOrDie(Bundle());
  for (auto _ : state) {
    for (uint32_t k = 0; k < view.kernel_count(); ++k) {
      hrt::Result<hrt::select::Selection> s = hrt::select::Explain(view, k, Device(), kShapes);
      benchmark::DoNotOptimize(s.ok());
    }
  }
  Counters(state);
}
BENCHMARK(BM_ExplainAll)->Unit(benchmark::kMicrosecond);

void BM_OpenSelectAndLoad(benchmark::State& state) {
  const std::vector<uint8_t>& bytes = Bundle();
  std::vector<uint8_t> scratch;
  for (auto _ : state) {
    const BundleView view = OpenOrDie(bytes);
    for (uint32_t k = 0; k < view.kernel_count(); ++k) {
      hrt::Result<hrt::select::Choice> c = hrt::select::Select(view, k, Device(), kShapes);
      if (!c.ok()) {
        state.SkipWithError(c.status().message().c_str());
        return;
      }
      hrt::Result<std::span<const uint8_t>> payload = view.ReadPayload(c->variant, &scratch);
      if (!payload.ok()) {
        state.SkipWithError(payload.status().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(payload->data());
    }
  }
  Counters(state);
}
BENCHMARK(BM_OpenSelectAndLoad)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
