// Serving-time tuning (runtime/tuning/serving_tuner.h) through the public C
// API, on the CPU reference device with tuning forced on: its timers are the
// host clock around interpreted launches, so the whole pipeline runs for
// real (background compile, checks into scratch outputs, timed launches,
// records in the cache store, a later runtime starting from them). The H100
// run of the same machinery is tests/gpu/cuda_tuning_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cache/testing/temp_dir.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/tuning/output_check.h"

namespace {

std::string LastError() {
  return hrt_last_error_message();
}

#define ASSERT_OK(expr) ASSERT_EQ((expr), HRT_OK) << LastError()

// rms_norm over f32 host memory (the reference device's address space).
struct RmsNormCall {
  int64_t rows = 0, cols = 0;
  std::vector<float> x, w, y;
  hrt_arg_t args[4] = {};

  RmsNormCall(int64_t m, int64_t n, uint32_t seed) : rows(m), cols(n) {
    x.resize(static_cast<size_t>(m * n));
    w.resize(static_cast<size_t>(n));
    y.assign(x.size(), 0.0f);
    uint32_t s = seed;
    auto next = [&] {
      s = s * 1664525u + 1013904223u;
      return static_cast<float>(s >> 8) / static_cast<float>(1u << 24) - 0.5f;
    };
    for (float& v : x) v = next();
    for (float& v : w) v = 1.0f + next();
    Bind(x.data(), y.data());
  }
  // Arguments over |in| and |out| (the same pointer: in place).
  void Bind(float* in, float* out) {
    const std::pair<float*, int> tensors[3] = {{in, 2}, {w.data(), 1}, {out, 2}};
    for (int i = 0; i < 3; ++i) {
      hrt_tensor_t& t = args[i].value.tensor;
      args[i].kind = HRT_ARG_KIND_TENSOR;
      t.address = reinterpret_cast<uint64_t>(tensors[i].first);
      t.dtype = HRT_DTYPE_F32;
      t.rank = static_cast<uint32_t>(tensors[i].second);
      if (t.rank == 2) {
        t.shape[0] = rows;
        t.shape[1] = cols;
        t.strides[0] = cols;
        t.strides[1] = 1;
      } else {
        t.shape[0] = cols;
        t.strides[0] = 1;
      }
    }
    args[3].kind = HRT_ARG_KIND_FLOAT;
    args[3].value.f = 1e-5;
  }
  hrt_launch_params_t Params() {
    hrt_launch_params_t p;
    hrt_launch_params_init(&p);
    p.args = args;
    p.arg_count = 4;
    return p;
  }
};

std::string Mismatch(const std::vector<float>& want, const std::vector<float>& got) {
  return hrt::tuning::CompareOutputs(
      hrt::ir::DType::kF32,
      std::span(reinterpret_cast<const uint8_t*>(want.data()), want.size() * 4),
      std::span(reinterpret_cast<const uint8_t*>(got.data()), got.size() * 4));
}

class ServingTuningTest : public ::testing::Test {
 protected:
  void TearDown() override { Close(); }

  void Open(hrt_tuning_mode_t mode, double budget = 10.0) {
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
    options.cache_dir = dir_.path().c_str();
    options.tuning = mode;
    options.tuning_budget = budget;
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    const std::string path = hrt::testing::KernelsDir() + "/rms_norm.tile";
    ASSERT_OK(hrt_module_load_file(rt_, path.c_str(), &module_));
    ASSERT_OK(hrt_module_get_kernel(module_, "rms_norm", &kernel_));
  }
  void Close() {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK) << LastError();
    }
    if (rt_ != nullptr) {
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK) << LastError();
    }
    module_ = nullptr;
    rt_ = nullptr;
  }

  hrt_tuning_status_t Status(RmsNormCall& call) {
    hrt_tuning_status_t s;
    std::memset(&s, 0xAB, sizeof(s));
    s.struct_size = sizeof(s);
    const hrt_launch_params_t p = call.Params();
    EXPECT_EQ(hrt_kernel_get_tuning_status(kernel_, &p, &s), HRT_OK) << LastError();
    return s;
  }

  // Launches |call| until its slot's search has started (the worker thread
  // builds the space; on a loaded machine that takes a while), at most 20 s.
  void LaunchUntilStarted(RmsNormCall& call) {
    hrt_launch_params_t p = call.Params();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      ASSERT_OK(hrt_kernel_launch(kernel_, &p));
      if (Status(call).state != HRT_TUNING_STATE_STARTING) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } while (std::chrono::steady_clock::now() < deadline);
    FAIL() << "the search never started";
  }

  // Launches |call| until its tuning ends (or |max_calls|); every output must
  // match the first call's (the heuristic config's). Returns the calls made.
  int Serve(RmsNormCall& call, int max_calls) {
    hrt_launch_params_t p = call.Params();
    std::vector<float> first;
    for (int i = 0; i < max_calls; ++i) {
      std::fill(call.y.begin(), call.y.end(), 0.0f);
      EXPECT_EQ(hrt_kernel_launch(kernel_, &p), HRT_OK) << LastError();
      if (first.empty()) {
        first = call.y;
      } else {
        const std::string m = Mismatch(first, call.y);
        EXPECT_EQ(m, "") << "call " << i;
        if (!m.empty()) return i;
      }
      const hrt_tuning_status_t s = Status(call);
      if (s.state == HRT_TUNING_STATE_DONE || s.state == HRT_TUNING_STATE_STOPPED) return i + 1;
      if (s.state == HRT_TUNING_STATE_STARTING) std::this_thread::yield();
    }
    return max_calls;
  }

  hrt::cache::testing::TempDir dir_;
  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
  hrt_kernel_t* kernel_ = nullptr;
};

TEST_F(ServingTuningTest, TunesWhileServingThenAnotherRuntimeStartsFromTheWinner) {
  Open(HRT_TUNING_ON);
  RmsNormCall call(8, 256, 1);
  const int calls = Serve(call, 200000);
  const hrt_tuning_status_t done = Status(call);
  ASSERT_EQ(done.state, HRT_TUNING_STATE_DONE) << "after " << calls << " calls";
  // rms_norm's BLOCK_N x WARPS space under its two constraints: 28 configs.
  EXPECT_EQ(done.candidates, 28u);
  EXPECT_GT(done.candidate_runs, 28u);  // every config checked, then timed
  EXPECT_GT(done.best_ns, 0u);
  EXPECT_GT(done.overhead_ns, 0u);
  EXPECT_NE(std::string(done.config), "");
  const std::string winner = done.config;
  RecordProperty("calls_to_converge", calls);
  std::printf("converged after %d calls: %s, %u configs, %llu extra runs\n", calls, done.config,
              done.candidates, static_cast<unsigned long long>(done.candidate_runs));
  Close();  // stores what is left

  // A new runtime (as a new process would) serves the winner from call 1.
  Open(HRT_TUNING_ON);
  RmsNormCall again(8, 256, 2);
  hrt_launch_params_t p = again.Params();
  ASSERT_OK(hrt_kernel_launch(kernel_, &p));
  const hrt_tuning_status_t first = Status(again);
  EXPECT_EQ(std::string(first.config), winner);
  char text[1024];
  size_t length = 0;
  ASSERT_OK(hrt_kernel_describe_launch(kernel_, &p, text, sizeof(text), &length));
  EXPECT_NE(std::string(text).find("serving config " + winner), std::string::npos) << text;
  // Once the search has read the records, it is over at once.
  hrt_tuning_status_t s = first;
  for (int i = 0; i < 20000 && s.state != HRT_TUNING_STATE_DONE; ++i) {
    ASSERT_OK(hrt_kernel_launch(kernel_, &p));
    s = Status(again);
    std::this_thread::yield();
  }
  EXPECT_EQ(s.state, HRT_TUNING_STATE_DONE);
  EXPECT_GT(s.seeded, 0u);
  EXPECT_EQ(std::string(s.config), winner);
  EXPECT_EQ(s.candidate_runs, 0u);
}

TEST_F(ServingTuningTest, OffSwitchAndPinnedTunablesAreNotTuned) {
  Open(HRT_TUNING_OFF);
  RmsNormCall call(4, 128, 3);
  EXPECT_EQ(Serve(call, 50), 50);
  EXPECT_EQ(Status(call).state, HRT_TUNING_STATE_NONE);
  Close();

  Open(HRT_TUNING_ON);
  const hrt_config_entry_t pins[2] = {{"BLOCK_N", 128}, {"WARPS", 2}};
  hrt_launch_params_t p = call.Params();
  p.config = pins;
  p.config_count = 2;
  for (int i = 0; i < 20; ++i) ASSERT_OK(hrt_kernel_launch(kernel_, &p));
  hrt_tuning_status_t s;
  s.struct_size = sizeof(s);
  ASSERT_OK(hrt_kernel_get_tuning_status(kernel_, &p, &s));
  EXPECT_EQ(s.state, HRT_TUNING_STATE_NONE);
  EXPECT_STREQ(s.config, "");
}

TEST_F(ServingTuningTest, OnByDefaultOnlyOffTheReferenceDevice) {
  // HRT_TUNING_DEFAULT without $HELIONRT_TUNE: the reference device is not
  // tuned (its timings are the interpreter's).
  if (std::getenv("HELIONRT_TUNE") != nullptr) GTEST_SKIP() << "$HELIONRT_TUNE is set";
  Open(HRT_TUNING_DEFAULT, 0.0);
  RmsNormCall call(4, 128, 4);
  Serve(call, 10);
  EXPECT_EQ(Status(call).state, HRT_TUNING_STATE_NONE);
}

TEST_F(ServingTuningTest, ShapeBucketsAreTunedApart) {
  Open(HRT_TUNING_ON);
  RmsNormCall small(8, 128, 5), same_bucket(15, 128, 6), large(16, 128, 7);
  // M = 8 and 15 share [8, 16); 16 starts [16, 32).
  LaunchUntilStarted(small);
  LaunchUntilStarted(large);
  EXPECT_NE(Status(small).state, HRT_TUNING_STATE_NONE);
  EXPECT_NE(Status(large).state, HRT_TUNING_STATE_NONE);
  const uint64_t small_calls = Status(small).calls;
  const uint64_t large_calls = Status(large).calls;
  hrt_launch_params_t p = same_bucket.Params();
  for (int i = 0; i < 30; ++i) ASSERT_OK(hrt_kernel_launch(kernel_, &p));
  EXPECT_EQ(Status(small).calls, small_calls + 30);  // one slot for M = 8 and 15
  EXPECT_EQ(Status(same_bucket).calls, Status(small).calls);
  EXPECT_EQ(Status(large).calls, large_calls);
}

TEST_F(ServingTuningTest, InPlaceCallsAreServedButNeverCheckCandidates) {
  Open(HRT_TUNING_ON);
  RmsNormCall call(4, 256, 8);
  call.Bind(call.x.data(), call.x.data());  // y aliases x
  LaunchUntilStarted(call);
  hrt_launch_params_t p = call.Params();
  for (int i = 0; i < 400; ++i) {
    ASSERT_OK(hrt_kernel_launch(kernel_, &p));
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const hrt_tuning_status_t s = Status(call);
  EXPECT_EQ(s.state, HRT_TUNING_STATE_SEARCHING);
  EXPECT_EQ(s.candidate_runs, 0u);  // no check, so no candidate ever ran
}

TEST_F(ServingTuningTest, ConcurrentLaunchesStayCorrectWhileTuning) {
  Open(HRT_TUNING_ON);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RmsNormCall call(8, 256, 100 + t);
      hrt_launch_params_t p = call.Params();
      std::vector<float> first;
      for (int i = 0; i < 300; ++i) {
        std::fill(call.y.begin(), call.y.end(), 0.0f);
        if (hrt_kernel_launch(kernel_, &p) != HRT_OK) {
          ++failures;
          return;
        }
        if (first.empty()) {
          first = call.y;
        } else if (!Mismatch(first, call.y).empty()) {
          ++failures;
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ServingTuningTest, AModuleDestroyedMidSearchKeepsItsMeasurements) {
  Open(HRT_TUNING_ON, 0.5);
  RmsNormCall call(8, 256, 9);
  // Until some candidates have been measured, but far from converged.
  for (int i = 0; i < 200 && Status(call).candidate_runs < 10; ++i) Serve(call, 20);
  const hrt_tuning_status_t mid = Status(call);
  ASSERT_EQ(mid.state, HRT_TUNING_STATE_SEARCHING);
  Close();
  Open(HRT_TUNING_ON);
  RmsNormCall again(8, 256, 10);
  hrt_launch_params_t p = again.Params();
  hrt_tuning_status_t s{};
  for (int i = 0; i < 20000; ++i) {
    ASSERT_OK(hrt_kernel_launch(kernel_, &p));
    s = Status(again);
    if (s.state != HRT_TUNING_STATE_STARTING) break;
    std::this_thread::yield();
  }
  EXPECT_GT(s.seeded, 0u);
}

// A kernel with configs that compute less: COVER = 2 launches half the
// programs, so half the output is never written. Those configs are faster,
// and a server that repeats one input leaves the right answer in the output
// from earlier calls; the check must still reject them.
constexpr char kPartialKernel[] = R"(
kernel twice(x: tensor<f32>[N], y: tensor<f32>[N])
  tunable BLOCK in {64, 128, 256} = 128
  tunable COVER in {1, 2} = 1
  grid [cdiv(N, BLOCK * COVER)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %mask = lt %offs, %n
  %a = load x[%offs], mask %mask, other 0
  %two = const 2 : f32
  %b = mul %a, %two
  store y[%offs], %b, mask %mask
}
)";

TEST_F(ServingTuningTest, ConfigsThatLeaveOutputsUnwrittenAreRejected) {
  Open(HRT_TUNING_ON);
  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load(rt_, kPartialKernel, sizeof(kPartialKernel) - 1, &module));
  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module, "twice", &kernel));
  constexpr int64_t kN = 4096;
  std::vector<float> x(kN), y(kN, 0.0f);
  for (int64_t i = 0; i < kN; ++i) x[i] = static_cast<float>(i % 97) - 48.0f;
  hrt_arg_t args[2] = {};
  const std::pair<float*, int> tensors[2] = {{x.data(), 0}, {y.data(), 1}};
  for (const auto& [data, i] : tensors) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = reinterpret_cast<uint64_t>(data);
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = kN;
    args[i].value.tensor.strides[0] = 1;
  }
  hrt_launch_params_t p;
  ASSERT_OK(hrt_launch_params_init(&p));
  p.args = args;
  p.arg_count = 2;
  hrt_tuning_status_t s{};
  s.struct_size = sizeof(s);
  for (int call = 0; call < 100000; ++call) {
    ASSERT_OK(hrt_kernel_launch(kernel, &p));
    // Every call's output is complete (the served config is never one that
    // skips elements); y keeps its contents, as a server's output buffer would.
    for (int64_t i = 0; i < kN; i += 511) ASSERT_EQ(y[i], 2.0f * x[i]) << "call " << call;
    ASSERT_OK(hrt_kernel_get_tuning_status(kernel, &p, &s));
    if (s.state == HRT_TUNING_STATE_DONE || s.state == HRT_TUNING_STATE_STOPPED) break;
    if (s.state == HRT_TUNING_STATE_STARTING) std::this_thread::yield();
  }
  EXPECT_EQ(s.state, HRT_TUNING_STATE_DONE);
  EXPECT_EQ(s.candidates, 6u);
  EXPECT_EQ(s.rejected, 3u);  // the three COVER = 2 configs
  EXPECT_NE(std::string(s.config).find("COVER=1"), std::string::npos) << s.config;
  ASSERT_OK(hrt_module_destroy(module));
}

TEST(OutputCheck, ComparesWithinTheDtypesToleranceAndIntegersExactly) {
  using hrt::ir::DType;
  auto bytes = [](const auto& v) {
    return std::span(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(v[0]));
  };
  const std::vector<float> want = {1.0f, -2.0f, 0.5f, std::nanf("")};
  std::vector<float> got = want;
  EXPECT_EQ(hrt::tuning::CompareOutputs(DType::kF32, bytes(want), bytes(got)), "");
  got[1] = -2.0f * (1.0f + 2e-5f);  // inside 2 * (1e-5 * 2 + 1e-5 * 2)
  EXPECT_EQ(hrt::tuning::CompareOutputs(DType::kF32, bytes(want), bytes(got)), "");
  got[1] = -2.001f;
  EXPECT_EQ(
      hrt::tuning::CompareOutputs(DType::kF32, bytes(want), bytes(got)).rfind("element 1:", 0), 0u);
  got = want;
  got[3] = 0.0f;  // NaN only matches NaN
  EXPECT_NE(hrt::tuning::CompareOutputs(DType::kF32, bytes(want), bytes(got)), "");
  // bf16: one ulp (2^-7 relative) is inside the doubled tolerance, four are not.
  const std::vector<uint16_t> bw = {0x3F80, 0x4000};  // 1.0, 2.0
  std::vector<uint16_t> bg = {0x3F81, 0x4000};
  EXPECT_EQ(hrt::tuning::CompareOutputs(DType::kBF16, bytes(bw), bytes(bg)), "");
  bg[0] = 0x3F84;
  EXPECT_NE(hrt::tuning::CompareOutputs(DType::kBF16, bytes(bw), bytes(bg)), "");
  const std::vector<int32_t> iw = {1, 2, 3};
  std::vector<int32_t> ig = {1, 2, 4};
  EXPECT_EQ(hrt::tuning::CompareOutputs(DType::kI32, bytes(iw), bytes(ig)).rfind("element 2:", 0),
            0u);
  EXPECT_NE(hrt::tuning::CompareOutputs(DType::kF32, bytes(want), bytes(iw)), "");  // sizes
}

TEST(ServingTuningOptions, BadValuesFailRuntimeCreation) {
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  hrt_runtime_t* rt = nullptr;
  options.tuning = static_cast<hrt_tuning_mode_t>(7);
  EXPECT_EQ(hrt_runtime_create(&options, &rt), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("options.tuning"), std::string::npos) << LastError();
  options.tuning = HRT_TUNING_ON;
  for (double bad : {-1.0, 11.0, std::nan("")}) {
    options.tuning_budget = bad;
    EXPECT_EQ(hrt_runtime_create(&options, &rt), HRT_ERROR_INVALID_ARGUMENT) << bad;
    EXPECT_NE(LastError().find("tuning_budget"), std::string::npos) << LastError();
  }
  EXPECT_EQ(rt, nullptr);
  options.tuning = HRT_TUNING_DEFAULT;
  options.tuning_budget = 0.0;
  ::setenv("HELIONRT_TUNE", "maybe", 1);
  EXPECT_EQ(hrt_runtime_create(&options, &rt), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("$HELIONRT_TUNE"), std::string::npos) << LastError();
  ::unsetenv("HELIONRT_TUNE");
  ::setenv("HELIONRT_TUNE_BUDGET", "lots", 1);
  EXPECT_EQ(hrt_runtime_create(&options, &rt), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("$HELIONRT_TUNE_BUDGET"), std::string::npos) << LastError();
  ::unsetenv("HELIONRT_TUNE_BUDGET");
  EXPECT_EQ(rt, nullptr);
}

}  // namespace
