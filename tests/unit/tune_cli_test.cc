// End-to-end tests of `helionrt tune` on the CPU reference device: the real
// CLI binary tunes a small kernel in the interpreter, and the tests check its
// exit codes and messages, its JSON summary (parsed), and that every
// measurement it reports landed in the cache store as a decodable tuning
// record of the right kernel, IR and shape bucket.
//
// The binary is $HRT_CLI_PATH, else ../tools/helionrt next to this test's
// build directory (the CMake layout: build/tests/tune_cli_test and
// build/tools/helionrt).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"
#include "cache/store.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/tuning/records.h"
#include "runtime/tuning/shape_bucket.h"

extern char** environ;

namespace hrt {
namespace {

namespace fs = std::filesystem;

std::string CliPath() {
  if (const char* env = std::getenv("HRT_CLI_PATH"); env != nullptr && *env != '\0') return env;
#ifdef HRT_CLI_PATH
  return HRT_CLI_PATH;  // tests/CMakeLists.txt: the built helionrt_cli
#endif
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "tools" / "helionrt").string();
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TuneCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(CliPath()))
        << "no CLI at " << CliPath() << " (build helionrt_cli or set HRT_CLI_PATH)";
    char tmpl[] = "/tmp/hrt_tune_cli_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cache_ = dir_ + "/cache";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs the CLI on the reference device only (no CUDA, no Vulkan), with the
  // cache store in this test's directory.
  RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {CliPath(), "tune"});
    std::vector<std::string> env = {"HELIONRT_BACKENDS=cpu-reference",
                                    "HRT_CUDA_LIBRARY=/nonexistent",
                                    "HELIONRT_CACHE_DIR=" + cache_};
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (name != "HELIONRT_BACKENDS" && name != "HRT_CUDA_LIBRARY" &&
          name != "HELIONRT_CACHE_DIR") {
        env.push_back(entry);
      }
    }
    std::vector<char*> cargv, cenv;
    for (std::string& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (std::string& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    pid_t pid = 0;
    RunResult r;
    const int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return r;
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadText(out_path);
    r.err = ReadText(err_path);
    return r;
  }

  // Every tuning record in the cache store, decoded.
  std::vector<tuning::Record> StoredRecords() {
    std::vector<tuning::Record> out;
    cache::StoreOptions options;
    options.dir = cache_;
    options.create = false;
    Result<std::unique_ptr<cache::Store>> store = cache::Store::Open(options);
    if (!store.ok()) return out;
    Result<std::vector<cache::EntryInfo>> entries = (*store)->List();
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    if (!entries.ok()) return out;
    std::set<std::string> seen;
    for (const cache::EntryInfo& e : *entries) {
      if (e.kind != cache::EntryKind::kTuningRecord || !seen.insert(e.key.Hex()).second) continue;
      Result<std::vector<cache::TuningRecord>> records = (*store)->Records(e.key);
      EXPECT_TRUE(records.ok()) << records.status().message();
      if (!records.ok()) continue;
      for (const cache::TuningRecord& tr : *records) {
        Result<tuning::Record> rec = tuning::DecodeRecord(tr.data);
        EXPECT_TRUE(rec.ok()) << rec.status().message();
        if (rec.ok()) out.push_back(std::move(*rec));
      }
    }
    return out;
  }

  std::string dir_;
  std::string cache_;
};

json::Value ParseJson(const std::string& text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().message() << "\n" << text;
  return v.ok() ? *v : json::Value{};
}

const json::Value& Member(const json::Value& v, std::string_view key) {
  static const json::Value kMissing;
  const json::Value* m = v.Find(key);
  EXPECT_NE(m, nullptr) << "no member '" << key << "'";
  return m != nullptr ? *m : kMissing;
}

// vector_add with WARPS fixed to 1 has five configs (BLOCK 64..1024): small
// enough for the interpreter under ASan.
std::vector<std::string> SmallTune(const std::string& out) {
  return {"--kernel", "vector_add", "--shape", "N=100", "--dtype", "T=f32", "--config",
          "WARPS=1",  "--samples",  "2",       "-o",    out,       "--json"};
}

TEST_F(TuneCliTest, TunesOnTheReferenceDeviceRecordsEveryMeasurementAndRefusesTheBundle) {
  const std::string out = dir_ + "/out.hrtb";
  const RunResult r = Run(SmallTune(out));
  // The reference device has no payload kind: the bundle is refused (exit
  // 1) after the tuning, whose summary is still printed.
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("helionrt tune: device 0: helionrt reference interpreter"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("no bundle written: cpu-reference devices have no precompiled payload kind"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));

  const json::Value doc = ParseJson(r.out);
  EXPECT_EQ(Member(Member(doc, "device"), "backend").string, "cpu-reference");
  EXPECT_EQ(Member(doc, "bundle").kind, json::Value::Kind::kNull);
  const json::Value& results = Member(doc, "results");
  ASSERT_EQ(results.array.size(), 1u);
  const json::Value& res = results.array[0];
  EXPECT_EQ(Member(res, "kernel").string, "vector_add");
  EXPECT_EQ(Member(Member(res, "shape"), "N").integer, 100);
  EXPECT_EQ(Member(res, "configs").integer, 5);
  const int64_t tried = Member(res, "configs_tried").integer.value_or(0);
  EXPECT_GE(tried, 1);
  EXPECT_LE(tried, 5);
  EXPECT_EQ(Member(res, "heuristic").string, "BLOCK=1024,WARPS=1,T=f32");
  const std::string winner = Member(res, "winner").string;
  const std::set<std::string> space = {"BLOCK=64,WARPS=1,T=f32", "BLOCK=128,WARPS=1,T=f32",
                                       "BLOCK=256,WARPS=1,T=f32", "BLOCK=512,WARPS=1,T=f32",
                                       "BLOCK=1024,WARPS=1,T=f32"};
  EXPECT_TRUE(space.count(winner)) << winner;
  EXPECT_GT(Member(res, "median_us").number, 0.0);
  EXPECT_GT(Member(res, "heuristic_median_us").number, 0.0);
  EXPECT_NEAR(Member(res, "speedup").number,
              Member(res, "heuristic_median_us").number / Member(res, "median_us").number, 0.01);
  EXPECT_GT(Member(res, "calls").integer.value_or(0), 0);
  EXPECT_GE(Member(res, "wall_s").number, 0.0);
  EXPECT_EQ(Member(res, "seeded").integer, 0);
  EXPECT_EQ(Member(res, "state").string, "done");

  // Every measurement is in the store, under this kernel's IR hash and bucket.
  Result<ir::Module> module = testing::LoadKernelModule("vector_add");
  ASSERT_TRUE(module.ok()) << module.status().message();
  const ir::Kernel& kernel = module->kernels[0];
  const int64_t sizes[] = {100};
  Result<tuning::ShapeBucket> bucket = tuning::BucketShapes(kernel, sizes);
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(Member(res, "bucket").string, bucket->Label());
  EXPECT_EQ(bucket->Label(), "N=[64,128)");
  const std::vector<tuning::Record> records = StoredRecords();
  const int64_t measurements = Member(res, "measurements").integer.value_or(-1);
  EXPECT_GT(measurements, 0);
  EXPECT_EQ(static_cast<int64_t>(records.size()), measurements);
  size_t winners = 0;
  for (const tuning::Record& rec : records) {
    EXPECT_EQ(rec.context.kernel, "vector_add");
    EXPECT_EQ(rec.context.bucket, bucket->Label());
    EXPECT_EQ(rec.context.ir_hash, tuning::KernelIrHash(kernel));
    EXPECT_EQ(rec.context.device.backend, "cpu-reference");
    EXPECT_EQ(rec.measurement.config.Get("WARPS"), 1);  // the fixed tunable
    EXPECT_EQ(rec.measurement.config.Get("T"), static_cast<int64_t>(ir::DType::kF32));
    if (rec.measurement.kind == tuning::MeasurementKind::kWinner) {
      ++winners;
      EXPECT_EQ(rec.measurement.config.ToString(), ir::ParseConfig(winner)->ToString());
    }
  }
  EXPECT_EQ(winners, 1u);

  // A second run starts from the stored measurements: the recorded winner
  // ends the search at once, with the same winner. --fresh ignores them.
  const RunResult again = Run(SmallTune(out));
  EXPECT_EQ(again.exit_code, 1) << again.err;
  const json::Value doc2 = ParseJson(again.out);
  const json::Value& res2 = Member(doc2, "results").array.at(0);
  EXPECT_GT(Member(res2, "seeded").integer.value_or(0), 0);
  EXPECT_EQ(Member(res2, "winner").string, winner);
  EXPECT_EQ(Member(res2, "calls").integer, 0);
  std::vector<std::string> fresh = SmallTune(out);
  fresh.push_back("--fresh");
  const RunResult third = Run(fresh);
  EXPECT_EQ(third.exit_code, 1) << third.err;
  EXPECT_EQ(Member(Member(ParseJson(third.out), "results").array.at(0), "seeded").integer, 0);
}

TEST_F(TuneCliTest, ExhaustiveTimesEveryConfigAndRecordsEach) {
  std::vector<std::string> args = SmallTune(dir_ + "/out.hrtb");
  args.push_back("--exhaustive");
  const RunResult r = Run(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json::Value doc = ParseJson(r.out);
  const json::Value& res = Member(doc, "results").array.at(0);
  EXPECT_EQ(Member(res, "configs_tried").integer, 5);
  EXPECT_EQ(Member(res, "rejected").integer, 0);
  EXPECT_EQ(Member(res, "state").string, "exhaustive");
  // One measurement per config, plus the winner.
  EXPECT_EQ(Member(res, "measurements").integer, 6);
  EXPECT_EQ(StoredRecords().size(), 6u);
  // The text form (no --json) prints the table on stdout.
  args.pop_back();
  args.erase(std::find(args.begin(), args.end(), "--json"));
  const RunResult text = Run(args);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("vector_add"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("N=[64,128)"), std::string::npos) << text.out;
}

// A kernel whose result depends on its tunable: out = x * BLOCK. Every
// config but the heuristic one (BLOCK=64) computes something else, so the
// numerical check must reject them and the heuristic must win.
constexpr char kTunableChangesResult[] = R"(
kernel scaled<T in {f32}>(x: tensor<T>[N], out: tensor<T>[N])
  tunable BLOCK in {64, 128, 256} = 64
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %mask = lt %offs, %n
  %a = load x[%offs], mask %mask, other 0
  %af = cast %a to f32
  %bsf = cast %bs to f32
  %cf = mul %af, %bsf
  %c = cast %cf to T
  store out[%offs], %c, mask %mask
}
)";

TEST_F(TuneCliTest, ConfigsWhoseOutputDiffersAreRejected) {
  const std::string tile = dir_ + "/scaled.tile";
  std::ofstream(tile) << kTunableChangesResult;
  for (const bool exhaustive : {false, true}) {
    std::vector<std::string> args = {
        tile, "--kernel", "scaled",           "--shape", "N=100",  "--samples",
        "2",  "-o",       dir_ + "/out.hrtb", "--json",  "--fresh"};
    if (exhaustive) args.push_back("--exhaustive");
    const RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const json::Value doc = ParseJson(r.out);
    const json::Value& res = Member(doc, "results").array.at(0);
    EXPECT_EQ(Member(res, "configs").integer, 3);
    EXPECT_EQ(Member(res, "winner").string, "BLOCK=64,T=f32");
    EXPECT_EQ(Member(res, "heuristic").string, "BLOCK=64,T=f32");
    // The tuner may cut a candidate before checking it; exhaustive checks all.
    EXPECT_GE(Member(res, "rejected").integer.value_or(0), exhaustive ? 2 : 1);
  }
  size_t check_failed = 0;
  for (const tuning::Record& rec : StoredRecords()) {
    if (rec.measurement.kind != tuning::MeasurementKind::kCheckFailed) continue;
    ++check_failed;
    EXPECT_NE(rec.measurement.config.Get("BLOCK"), 64);
  }
  EXPECT_GE(check_failed, 3u);  // at least one from the tuner, two from --exhaustive
  // The text table names a rejected config and the wrong value it gave.
  const RunResult text = Run({tile, "--kernel", "scaled", "--shape", "N=100", "--samples", "2",
                              "--exhaustive", "-o", dir_ + "/out.hrtb"});
  EXPECT_NE(text.out.find("rejected 2, e.g. BLOCK=128,T=f32: wrong result"), std::string::npos)
      << text.out;
}

TEST_F(TuneCliTest, BadArgumentsAreUsageErrors) {
  const std::string out = dir_ + "/out.hrtb";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--kernel", "nope", "--shape", "N=4", "-o", out}, "unknown kernel 'nope'"},
      {{"--kernel", "vector_add", "--shape", "N=abc", "-o", out}, "--shape N"},
      {{"--kernel", "vector_add", "--shape", "N=-4", "-o", out}, "--shape N"},
      {{"--kernel", "vector_add", "--shape", "N", "-o", out}, "expected SYM=V"},
      {{"--kernel", "vector_add", "--shape", "M=4", "-o", out}, "no value for N"},
      {{"--kernel", "vector_add", "--shape", "N=4,Q=2", "-o", out},
       "names Q, which no listed kernel has"},
      {{"--kernel", "vector_add", "--shape", "N=4"}, "tune needs -o OUT"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--dtype", "T=f64"},
       "'f64' is not a dtype"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--dtype", "T=i32"},
       "only in its candidates"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--dtype", "U=f32"}, "names U"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--config", "BLOCK=3"},
       "not a candidate"},
      {{"--shape", "N=4", "-o", out}, "tune needs --kernel"},
      {{"--kernel", "vector_add", "-o", out}, "tune needs --shape"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--device", "7"},
       "there are 1 device(s)"},
      {{"--kernel", "vector_add", "--shape", "N=4", "-o", out, "--bogus"}, "--bogus"},
  };
  for (const Case& c : cases) {
    const RunResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << "expected '" << c.message << "' in:\n"
                                                        << r.err;
    EXPECT_NE(r.err.find("usage: helionrt tune"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(StoredRecords().empty());

  const RunResult help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--exhaustive"), std::string::npos);
  // A file that is no kernel file is a failure (exit 1), not a usage error.
  const RunResult missing =
      Run({dir_ + "/none.tile", "--kernel", "vector_add", "--shape", "N=4", "-o", out});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("none.tile"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace hrt
