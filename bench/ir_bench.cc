// Host-path costs of loading tile IR: text parse, binary read (checksum +
// decode + verify), verification alone, and config binding, over the
// standard kernels in kernels/*.tile.
//
//   build/rel/bench/hrt_ir_bench --benchmark_repetitions=5
//   (add --benchmark_report_aggregates_only=true for medians only)
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codegen/ir/binary.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/ir/verifier.h"

namespace {

std::string StandardKernelsText() {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(HRT_SOURCE_DIR "/kernels")) {
    if (e.path().extension() != ".tile") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str() + "\n";
  }
  return all;
}

const std::string& Text() {
  static const std::string text = StandardKernelsText();
  return text;
}

hrt::ir::Module Parsed() {
  auto m = hrt::ir::ParseModule(Text(), "kernels");
  if (!m.ok()) {
    std::fprintf(stderr, "cannot parse kernels: %s\n", m.status().message().c_str());
    std::abort();
  }
  return std::move(m.value());
}

void BM_ParseText(benchmark::State& state) {
  for (auto _ : state) {
    auto m = hrt::ir::ParseModule(Text(), "kernels");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Text().size()));
}
BENCHMARK(BM_ParseText);

void BM_ReadBinary(benchmark::State& state) {
  const std::vector<uint8_t> blob = hrt::ir::WriteModuleBinary(Parsed());
  for (auto _ : state) {
    auto m = hrt::ir::ReadModuleBinary(blob);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blob.size()));
}
BENCHMARK(BM_ReadBinary);

void BM_WriteBinary(benchmark::State& state) {
  const hrt::ir::Module m = Parsed();
  for (auto _ : state) {
    auto blob = hrt::ir::WriteModuleBinary(m);
    benchmark::DoNotOptimize(blob);
  }
}
BENCHMARK(BM_WriteBinary);

void BM_VerifyModule(benchmark::State& state) {
  const hrt::ir::Module m = Parsed();
  for (auto _ : state) {
    auto s = hrt::ir::VerifyModule(m);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_VerifyModule);

void BM_BindDefaultConfigs(benchmark::State& state) {
  const hrt::ir::Module m = Parsed();
  for (auto _ : state) {
    for (const auto& k : m.kernels) {
      auto b = hrt::ir::Bind(k, hrt::ir::DefaultConfig(k));
      benchmark::DoNotOptimize(b);
    }
  }
}
BENCHMARK(BM_BindDefaultConfigs);

}  // namespace

BENCHMARK_MAIN();
