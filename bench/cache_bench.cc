// The persistent cache (cache/store.h): lookup latency for a hit served by
// the in-memory index and for a hit read from disk (1000 entries, so the
// index and the page cache hold a realistic working set), the cost of a put
// with and without fsync, and how well zstd compresses the payloads the
// cache stores (counters: raw and stored bytes, ratio). The payload is the
// PTX that codegen emits for kernels/gemm.tile (bf16, default config,
// sm_90a), the largest standard kernel; the cubin and SPIR-V ratios come
// when those payloads exist.
//
// The store lives under $HRT_BENCH_CACHE_DIR, else $TMPDIR, else /tmp: put
// numbers depend on that file system's fsync.
//
//   build/release/bench/hrt_cache_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cache/entry.h"
#include "cache/store.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/ptx.h"

namespace {

using namespace hrt;

constexpr int kEntries = 1000;

// PTX for |name| (kernels/<name>.tile, default config with |overrides|).
std::string EmitPtx(const std::string& name, const std::string& overrides) {
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
  if (k == nullptr) std::abort();
  ir::Config c = ir::DefaultConfig(*k);
  auto over = ir::ParseConfig(overrides);
  if (!over.ok()) std::abort();
  for (const auto& [key, v] : over->entries) c.Set(key, v);
  auto b = ir::Bind(*k, c);
  if (!b.ok()) std::abort();
  ptx::EmitOptions o;
  o.target = ptx::ParseTarget("sm_90a", 80).value();
  o.limits.max_shared_bytes = 227 * 1024;
  auto p = ptx::EmitKernel(*b, o);
  if (!p.ok()) {
    std::fprintf(stderr, "cannot emit %s: %s\n", name.c_str(), p.status().message().c_str());
    std::abort();
  }
  return p->ptx;
}

const std::vector<uint8_t>& GemmPtx() {
  static const std::vector<uint8_t> bytes = [] {
    const std::string s = EmitPtx("gemm", "T=bf16");
    return std::vector<uint8_t>(s.begin(), s.end());
  }();
  return bytes;
}

// A fresh directory for one benchmark, removed at exit.
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
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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

std::unique_ptr<cache::Store> FilledStore(const BenchDir& dir, uint64_t memory_bytes) {
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
    if (!(*s)->Put(EntryKey(i), GemmPtx()).ok()) std::abort();
  }
  return std::move(s.value());
}

void BM_GetMemoryHit(benchmark::State& state) {
  BenchDir dir;
  auto s = FilledStore(dir, uint64_t{1} << 30);
  std::vector<cache::Key> keys;
  for (int i = 0; i < kEntries; ++i) keys.push_back(EntryKey(i));
  size_t i = 0;
  for (auto _ : state) {
    cache::Blob b = s->Get(keys[i++ % keys.size()]);
    if (b == nullptr) state.SkipWithError("miss");
    benchmark::DoNotOptimize(b);
  }
  state.counters["payload_bytes"] = static_cast<double>(GemmPtx().size());
}

void BM_GetDiskHit(benchmark::State& state) {
  BenchDir dir;
  auto s = FilledStore(dir, 0);  // no in-memory index: open, read, verify, decompress
  std::vector<cache::Key> keys;
  for (int i = 0; i < kEntries; ++i) keys.push_back(EntryKey(i));
  size_t i = 0;
  for (auto _ : state) {
    cache::Blob b = s->Get(keys[i++ % keys.size()]);
    if (b == nullptr) state.SkipWithError("miss");
    benchmark::DoNotOptimize(b);
  }
  state.counters["payload_bytes"] = static_cast<double>(GemmPtx().size());
}

void BM_Miss(benchmark::State& state) {
  BenchDir dir;
  auto s = FilledStore(dir, uint64_t{1} << 30);
  const cache::Key absent = cache::KeyBuilder().Kernel("absent").Build();
  for (auto _ : state) benchmark::DoNotOptimize(s->Get(absent));
}

// state.range(0): 1 durable (fsync file and directory), 0 not.
void BM_Put(benchmark::State& state) {
  BenchDir dir;
  cache::StoreOptions o;
  o.dir = dir.path() + "/store";
  o.durable = state.range(0) != 0;
  o.memory_bytes = 0;
  auto s = cache::Store::Open(o);
  if (!s.ok()) std::abort();
  int i = 0;
  for (auto _ : state) {
    if (!(*s)->Put(EntryKey(i++), GemmPtx()).ok()) state.SkipWithError("put failed");
  }
  state.counters["payload_bytes"] = static_cast<double>(GemmPtx().size());
}

// state.range(0): the zstd level.
void BM_CompressPtx(benchmark::State& state) {
  const std::vector<uint8_t>& ptx = GemmPtx();
  size_t stored = 0;
  for (auto _ : state) {
    auto file = cache::EncodeEntry(cache::EntryKind::kBinary, EntryKey(0), ptx, 0,
                                   static_cast<int>(state.range(0)));
    if (!file.ok()) state.SkipWithError("encode failed");
    stored = file->size() - cache::kEntryHeaderSize;
    benchmark::DoNotOptimize(file);
  }
  state.counters["raw_bytes"] = static_cast<double>(ptx.size());
  state.counters["stored_bytes"] = static_cast<double>(stored);
  state.counters["ratio"] = static_cast<double>(ptx.size()) / static_cast<double>(stored);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ptx.size()));
}

void BM_DecompressPtx(benchmark::State& state) {
  const std::vector<uint8_t>& ptx = GemmPtx();
  const cache::Key key = EntryKey(0);
  auto file = cache::EncodeEntry(cache::EntryKind::kBinary, key, ptx, 0, 3);
  if (!file.ok()) std::abort();
  for (auto _ : state) {
    auto raw = cache::DecodeEntry(*file, cache::EntryKind::kBinary, key);
    benchmark::DoNotOptimize(raw);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ptx.size()));
}

BENCHMARK(BM_GetMemoryHit);
BENCHMARK(BM_GetDiskHit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Miss)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Put)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompressPtx)->Arg(1)->Arg(3)->Arg(9)->Arg(19)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecompressPtx)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
