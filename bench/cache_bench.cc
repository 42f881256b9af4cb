// The persistent cache (cache/store.h) with the three kinds of payload it
// holds or could hold, each the code of one bound kernel, so sizes and
// ratios compare: PTX text (codegen/ptx, sm_90a), the cubin ptxas builds
// from that PTX for sm_90a (what the CUDA device stores), and the SPIR-V
// binary (codegen/spirv, NVIDIA's Vulkan limits). Per kind (benchmark name
// suffix /ptx, /cubin, /spirv):
//   BM_GetMemoryHit   lookup served by the in-memory index
//   BM_GetDiskHit     lookup read from disk (no in-memory index: open, read,
//                     verify, decompress); 1000 entries in the store, so the
//                     directory and the page cache hold a realistic set
//   BM_Put            a put with (1) and without (0) fsync
//   BM_Compress       zstd at levels 1, 3 (the store's default), 9, 19:
//                     counters raw_bytes, stored_bytes, ratio
//   BM_Decompress     at level 3
//   BM_Ratio          level 3 over every standard kernel x {f16, bf16, f32}
//                     (default config; gemm at the config below): counters
//                     members, raw_bytes, stored_bytes, ratio (of the sums),
//                     min_ratio, max_ratio
// The single payload is kernels/gemm.tile at T=bf16, BLOCK_M=BLOCK_N=64,
// BLOCK_K=32, WARPS=4 (the largest standard kernel at a config all three
// emitters accept). Before 2026-11-25 session 4 the bench measured only PTX,
// for gemm's default config (138 KB), so lookup and ratio numbers of earlier
// results are not directly comparable.
//
// Cubins need ptxas: $HRT_PTXAS, else /usr/local/cuda/bin/ptxas, else ptxas
// on the PATH; without one the cubin benchmarks report an error. The store
// lives under $HRT_BENCH_CACHE_DIR, else $TMPDIR, else /tmp: put numbers
// depend on that file system's fsync.
//
//   build/release/bench/hrt_cache_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cache/entry.h"
#include "cache/store.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/ptx.h"
#include "codegen/spirv/spirv.h"

namespace {

using namespace hrt;

constexpr int kEntries = 1000;
constexpr const char* kGemmConfig = "T=bf16,BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4";

enum class Kind { kPtx, kCubin, kSpirv };

// A fresh directory, removed with everything in it when the object goes.
class BenchDir {
 public:
  BenchDir() {
    const char* root = std::getenv("HRT_BENCH_CACHE_DIR");
    if (root == nullptr || *root == '\0') root = std::getenv("TMPDIR");
    if (root == nullptr || *root == '\0') root = "/tmp";
    std::string t = std::string(root) + "/hrt-cache-bench-XXXXXX";
    if (::mkdtemp(t.data()) == nullptr) std::abort();
    path_ = t;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// kernels/<name>.tile bound to its default config with |overrides|; nullopt
// (and a message) when it does not bind.
std::optional<ir::BoundKernel> Bind(const std::string& name, const std::string& overrides) {
  const std::string path = std::string(HRT_SOURCE_DIR) + "/kernels/" + name + ".tile";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = ir::ParseModule(ss.str(), path);
  if (!m.ok()) {
    std::fprintf(stderr, "cannot parse %s: %s\n", path.c_str(), m.status().message().c_str());
    return std::nullopt;
  }
  const ir::Kernel* k = m->Find(name);
  if (k == nullptr) return std::nullopt;
  ir::Config c = ir::DefaultConfig(*k);
  auto over = ir::ParseConfig(overrides);
  if (!over.ok()) return std::nullopt;
  for (const auto& [key, v] : over->entries) c.Set(key, v);
  auto b = ir::Bind(*k, c);
  if (!b.ok()) {
    std::fprintf(stderr, "cannot bind %s %s: %s\n", name.c_str(), overrides.c_str(),
                 b.status().message().c_str());
    return std::nullopt;
  }
  return std::move(b.value());
}

std::optional<std::string> EmitPtx(const ir::BoundKernel& k) {
  ptx::EmitOptions o;
  o.target = ptx::ParseTarget("sm_90a", 80).value();
  o.limits.max_shared_bytes = 227 * 1024;
  auto p = ptx::EmitKernel(k, o);
  if (!p.ok()) return std::nullopt;
  return p->ptx;
}

std::string PtxasPath() {
  if (const char* env = std::getenv("HRT_PTXAS"); env != nullptr && *env != '\0') return env;
  if (std::filesystem::exists("/usr/local/cuda/bin/ptxas")) return "/usr/local/cuda/bin/ptxas";
  return "ptxas";
}

// The cubin ptxas builds from |ptx| for sm_90a; empty when it fails.
std::vector<uint8_t> Assemble(const std::string& ptx) {
  BenchDir dir;
  const std::string in = dir.path() + "/k.ptx", out = dir.path() + "/k.cubin";
  std::ofstream(in) << ptx;
  // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on
  // "literal" + std::string&&.
  std::string cmd = "'";
  cmd.append(PtxasPath()).append("' -arch=sm_90a -o '").append(out).append("' '");
  cmd.append(in).append("'");
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "ptxas failed (set HRT_PTXAS): %s\n", cmd.c_str());
    return {};
  }
  std::ifstream file(out, std::ios::binary);
  std::stringstream ss;
  ss << file.rdbuf();
  const std::string bytes = ss.str();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::vector<uint8_t> EmitSpirvBytes(const ir::BoundKernel& k) {
  spirv::SpirvOptions o;  // NVIDIA's Vulkan limits (H100, driver 580)
  o.max_shared_bytes = 48 * 1024;
  o.max_push_constant_bytes = 256;
  auto s = spirv::EmitSpirv(k, o);
  if (!s.ok()) return {};
  std::vector<uint8_t> bytes(s->words.size() * sizeof(uint32_t));
  std::memcpy(bytes.data(), s->words.data(), bytes.size());
  return bytes;
}

// The payload of |kind| for kernel |name| at |overrides|; empty when the
// emitter (or ptxas) refuses it.
std::vector<uint8_t> MakePayload(Kind kind, const std::string& name, const std::string& overrides) {
  const std::optional<ir::BoundKernel> k = Bind(name, overrides);
  if (!k) return {};
  if (kind == Kind::kSpirv) return EmitSpirvBytes(*k);
  const std::optional<std::string> ptx = EmitPtx(*k);
  if (!ptx) return {};
  if (kind == Kind::kCubin) return Assemble(*ptx);
  return std::vector<uint8_t>(ptx->begin(), ptx->end());
}

// The gemm payload of |kind| (made once per process).
const std::vector<uint8_t>& Payload(Kind kind) {
  static std::map<Kind, std::vector<uint8_t>> payloads;
  auto it = payloads.find(kind);
  if (it == payloads.end())
    it = payloads.emplace(kind, MakePayload(kind, "gemm", kGemmConfig)).first;
  return it->second;
}

// Skips the benchmark with an error when the payload could not be made.
bool HavePayload(benchmark::State& state, Kind kind) {
  if (!Payload(kind).empty()) return true;
  state.SkipWithError(kind == Kind::kCubin ? "no cubin (ptxas missing or failed; set HRT_PTXAS)"
                                           : "the emitter refused the payload");
  return false;
}

cache::Key EntryKey(int i) {
  return cache::KeyBuilder()
      .Backend("cuda")
      .Arch("sm_90a")
      .DriverVersion("12040")
      .RuntimeVersion("0.1.0")
      .CodegenVersion("1")
      .Artifact("cubin")
      .Kernel("gemm")
      .Config("BLOCK_M=" + std::to_string(i))
      .Build();
}

std::unique_ptr<cache::Store> FilledStore(const BenchDir& dir, uint64_t memory_bytes,
                                          const std::vector<uint8_t>& payload) {
  cache::StoreOptions o;
  o.dir = dir.path() + "/store";
  o.memory_bytes = memory_bytes;
  o.durable = false;  // filling is not what is measured
  auto s = cache::Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    std::abort();
  }
  for (int i = 0; i < kEntries; ++i) {
    if (!(*s)->Put(EntryKey(i), payload).ok()) std::abort();
  }
  return std::move(s.value());
}

void RunGets(benchmark::State& state, Kind kind, uint64_t memory_bytes) {
  if (!HavePayload(state, kind)) return;
  BenchDir dir;
  auto s = FilledStore(dir, memory_bytes, Payload(kind));
  std::vector<cache::Key> keys;
  for (int i = 0; i < kEntries; ++i) keys.push_back(EntryKey(i));
  size_t i = 0;
  for (auto _ : state) {
    cache::Blob b = s->Get(keys[i++ % keys.size()]);
    if (b == nullptr) state.SkipWithError("miss");
    benchmark::DoNotOptimize(b);
  }
  state.counters["payload_bytes"] = static_cast<double>(Payload(kind).size());
}

void BM_GetMemoryHit(benchmark::State& state, Kind kind) {
  RunGets(state, kind, uint64_t{1} << 30);
}

void BM_GetDiskHit(benchmark::State& state, Kind kind) {
  RunGets(state, kind, 0);  // no in-memory index: open, read, verify, decompress
}

void BM_Miss(benchmark::State& state) {
  BenchDir dir;
  auto s = FilledStore(dir, uint64_t{1} << 30, Payload(Kind::kPtx));
  const cache::Key absent = cache::KeyBuilder().Kernel("absent").Build();
  for (auto _ : state) benchmark::DoNotOptimize(s->Get(absent));
}

// state.range(0): 1 durable (fsync file and directory), 0 not.
void BM_Put(benchmark::State& state, Kind kind) {
  if (!HavePayload(state, kind)) return;
  BenchDir dir;
  cache::StoreOptions o;
  o.dir = dir.path() + "/store";
  o.durable = state.range(0) != 0;
  o.memory_bytes = 0;
  auto s = cache::Store::Open(o);
  if (!s.ok()) std::abort();
  int i = 0;
  for (auto _ : state) {
    if (!(*s)->Put(EntryKey(i++), Payload(kind)).ok()) state.SkipWithError("put failed");
  }
  state.counters["payload_bytes"] = static_cast<double>(Payload(kind).size());
}

// The bytes zstd at |level| stores for |payload| (the entry file less its
// header).
size_t StoredBytes(const std::vector<uint8_t>& payload, int level) {
  auto file = cache::EncodeEntry(cache::EntryKind::kBinary, EntryKey(0), payload, 0, level);
  if (!file.ok()) return 0;
  return file->size() - cache::kEntryHeaderSize;
}

// state.range(0): the zstd level.
void BM_Compress(benchmark::State& state, Kind kind) {
  if (!HavePayload(state, kind)) return;
  const std::vector<uint8_t>& raw = Payload(kind);
  const int level = static_cast<int>(state.range(0));
  size_t stored = 0;
  for (auto _ : state) {
    auto file = cache::EncodeEntry(cache::EntryKind::kBinary, EntryKey(0), raw, 0, level);
    if (!file.ok()) {
      state.SkipWithError("encode failed");
      break;
    }
    stored = file->size() - cache::kEntryHeaderSize;
    benchmark::DoNotOptimize(file);
  }
  state.counters["raw_bytes"] = static_cast<double>(raw.size());
  state.counters["stored_bytes"] = static_cast<double>(stored);
  state.counters["ratio"] = static_cast<double>(raw.size()) / static_cast<double>(stored);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
}

void BM_Decompress(benchmark::State& state, Kind kind) {
  if (!HavePayload(state, kind)) return;
  const std::vector<uint8_t>& raw = Payload(kind);
  const cache::Key key = EntryKey(0);
  auto file = cache::EncodeEntry(cache::EntryKind::kBinary, key, raw, 0, 3);
  if (!file.ok()) std::abort();
  for (auto _ : state) {
    auto decoded = cache::DecodeEntry(*file, cache::EntryKind::kBinary, key);
    if (!decoded.ok() || decoded->size() != raw.size()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
}

// Level-3 ratio over the standard kernels' payloads of |kind| (each kernel
// x f16/bf16/f32; members the emitter refuses are left out and not
// counted). The timed loop compresses the whole set once per iteration.
void BM_Ratio(benchmark::State& state, Kind kind) {
  static std::map<Kind, std::vector<std::vector<uint8_t>>> sets;
  std::vector<std::vector<uint8_t>>& set = sets[kind];
  if (set.empty()) {
    for (const char* name : {"vector_add", "silu_mul", "softmax", "rms_norm", "layer_norm"}) {
      for (const char* t : {"T=f16", "T=bf16", "T=f32"}) {
        std::vector<uint8_t> p = MakePayload(kind, name, t);
        if (!p.empty()) set.push_back(std::move(p));
      }
    }
    for (const char* t : {"f16", "bf16", "f32"}) {
      std::vector<uint8_t> p = MakePayload(
          kind, "gemm", std::string("T=") + t + ",BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4");
      if (!p.empty()) set.push_back(std::move(p));
    }
  }
  if (set.empty()) {
    state.SkipWithError("no payloads (for cubins: ptxas missing or failed; set HRT_PTXAS)");
    return;
  }
  size_t raw = 0, stored = 0;
  double min_ratio = 1e30, max_ratio = 0;
  for (auto _ : state) {
    raw = stored = 0;
    for (const std::vector<uint8_t>& p : set) {
      const size_t s = StoredBytes(p, 3);
      raw += p.size();
      stored += s;
      const double r = static_cast<double>(p.size()) / static_cast<double>(s);
      min_ratio = std::min(min_ratio, r);
      max_ratio = std::max(max_ratio, r);
    }
  }
  state.counters["members"] = static_cast<double>(set.size());
  state.counters["raw_bytes"] = static_cast<double>(raw);
  state.counters["stored_bytes"] = static_cast<double>(stored);
  state.counters["ratio"] = static_cast<double>(raw) / static_cast<double>(stored);
  state.counters["min_ratio"] = min_ratio;
  state.counters["max_ratio"] = max_ratio;
}

#define HRT_KIND_BENCH(fn, ...)                           \
  BENCHMARK_CAPTURE(fn, ptx, Kind::kPtx) __VA_ARGS__;     \
  BENCHMARK_CAPTURE(fn, cubin, Kind::kCubin) __VA_ARGS__; \
  BENCHMARK_CAPTURE(fn, spirv, Kind::kSpirv) __VA_ARGS__

HRT_KIND_BENCH(BM_GetMemoryHit, );
HRT_KIND_BENCH(BM_GetDiskHit, ->Unit(benchmark::kMicrosecond));
BENCHMARK(BM_Miss)->Unit(benchmark::kMicrosecond);
HRT_KIND_BENCH(BM_Put, ->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond));
HRT_KIND_BENCH(BM_Compress, ->Arg(1)->Arg(3)->Arg(9)->Arg(19)->Unit(benchmark::kMicrosecond));
HRT_KIND_BENCH(BM_Decompress, ->Unit(benchmark::kMicrosecond));
HRT_KIND_BENCH(BM_Ratio, ->Unit(benchmark::kMillisecond)->Iterations(1));

}  // namespace

BENCHMARK_MAIN();
