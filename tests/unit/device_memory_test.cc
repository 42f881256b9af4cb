// hrt_device_alloc / _free / _write / _read / _synchronize, the backend mask
// of hrt_runtime_options_t and hrt_kernel_describe_launch, on the reference
// device (every runtime here enumerates only it, so the tests mean the same
// thing on a machine with a GPU).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "helionrt/helionrt.h"

namespace {

#define ASSERT_OK(call) ASSERT_EQ((call), HRT_OK) << #call << ": " << hrt_last_error_message()

constexpr char kScale[] = R"(
kernel scale(x: tensor<f32>[N], out: tensor<f32>[N], alpha: f32)
  tunable BLOCK in {64, 128} = 64
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %a = load x[%offs], mask %m, other 0
  %alpha = arg alpha
  %r = mul %a, %alpha
  store out[%offs], %r, mask %m
}
)";

// hrt_kernel_describe_launch's text, or "" on failure.
std::string Describe(hrt_kernel_t* kernel, const hrt_launch_params_t& params) {
  size_t length = 0;
  if (hrt_kernel_describe_launch(kernel, &params, nullptr, 0, &length) != HRT_OK) return "";
  std::string text(length + 1, '\0');
  if (hrt_kernel_describe_launch(kernel, &params, text.data(), text.size(), nullptr) != HRT_OK) {
    return "";
  }
  text.resize(length);
  return text;
}

hrt_runtime_t* ReferenceOnlyRuntime() {
  hrt_runtime_options_t options;
  EXPECT_EQ(hrt_runtime_options_init(&options), HRT_OK);
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
  hrt_runtime_t* rt = nullptr;
  EXPECT_EQ(hrt_runtime_create(&options, &rt), HRT_OK) << hrt_last_error_message();
  return rt;
}

class DeviceMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_ = ReferenceOnlyRuntime();
    ASSERT_NE(rt_, nullptr);
    uint32_t count = 0;
    ASSERT_OK(hrt_device_count(rt_, &count));
    ASSERT_EQ(count, 1u);
  }
  void TearDown() override { EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK); }

  hrt_status_t Write(uint64_t dst, const void* src, size_t n) {
    return hrt_device_write(rt_, 0, dst, src, n, nullptr);
  }
  hrt_status_t Read(void* dst, uint64_t src, size_t n) {
    return hrt_device_read(rt_, 0, dst, src, n, nullptr);
  }

  hrt_runtime_t* rt_ = nullptr;
};

TEST_F(DeviceMemoryTest, WriteThenReadRoundTripsAndAllocationsAreAlignedAndZeroed) {
  uint64_t a = 0;
  ASSERT_OK(hrt_device_alloc(rt_, 0, 1000, &a));
  EXPECT_NE(a, 0u);
  EXPECT_EQ(a % 256, 0u);
  std::vector<uint8_t> back(1000, 0xff);
  ASSERT_OK(Read(back.data(), a, back.size()));
  for (uint8_t b : back) ASSERT_EQ(b, 0);

  std::vector<uint8_t> data(1000);
  std::iota(data.begin(), data.end(), uint8_t{7});
  ASSERT_OK(Write(a, data.data(), data.size()));
  ASSERT_OK(hrt_device_synchronize(rt_, 0, nullptr));
  ASSERT_OK(Read(back.data(), a, back.size()));
  EXPECT_EQ(back, data);
  // A sub-range at an offset.
  uint8_t mid[10] = {0};
  ASSERT_OK(Read(mid, a + 500, sizeof(mid)));
  EXPECT_EQ(0, std::memcmp(mid, data.data() + 500, sizeof(mid)));
  ASSERT_OK(hrt_device_free(rt_, 0, a));
}

TEST_F(DeviceMemoryTest, RangesOutsideLiveAllocationsAreRefused) {
  uint64_t a = 0, b = 0;
  ASSERT_OK(hrt_device_alloc(rt_, 0, 100, &a));
  ASSERT_OK(hrt_device_alloc(rt_, 0, 100, &b));
  uint8_t buf[256] = {0};
  // Past the end, straddling, before the start, wrapping around 2^64.
  EXPECT_EQ(Write(a, buf, 101), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hrt_last_error_message()).find("runs past the end"), std::string::npos)
      << hrt_last_error_message();
  EXPECT_EQ(Read(buf, a + 99, 2), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(buf, a + 100, 1), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(buf, a - 1, 1), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(buf, a + 50, SIZE_MAX), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(buf, 0x10, 1), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hrt_last_error_message()).find("not inside a live"), std::string::npos);
  // The whole allocation and its last byte are fine.
  EXPECT_EQ(Read(buf, a, 100), HRT_OK);
  EXPECT_EQ(Read(buf, a + 99, 1), HRT_OK);
  // NULL host pointers, size 0, bad device index, a stream on the reference device.
  EXPECT_EQ(Write(a, nullptr, 1), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(nullptr, a, 1), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Write(a, nullptr, 0), HRT_OK);
  EXPECT_EQ(hrt_device_write(rt_, 1, a, buf, 1, nullptr), HRT_ERROR_OUT_OF_RANGE);
  int fake_stream = 0;
  EXPECT_EQ(hrt_device_write(rt_, 0, a, buf, 1, &fake_stream), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hrt_device_synchronize(rt_, 0, &fake_stream), HRT_ERROR_INVALID_ARGUMENT);
  uint64_t c = 1;
  EXPECT_EQ(hrt_device_alloc(rt_, 0, 0, &c), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(c, 0u);
  EXPECT_EQ(hrt_device_alloc(rt_, 0, 16, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hrt_device_alloc(nullptr, 0, 16, &c), HRT_ERROR_INVALID_ARGUMENT);
  // Frees: only the start of a live allocation, once.
  EXPECT_EQ(hrt_device_free(rt_, 0, a + 1), HRT_ERROR_INVALID_ARGUMENT);
  ASSERT_OK(hrt_device_free(rt_, 0, a));
  EXPECT_EQ(hrt_device_free(rt_, 0, a), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Read(buf, a, 1), HRT_ERROR_INVALID_ARGUMENT);
  // |b| is untouched by all of the above. It is left allocated: the runtime
  // frees it (LeakSanitizer would report it otherwise).
  EXPECT_EQ(Read(buf, b, 100), HRT_OK);
}

TEST_F(DeviceMemoryTest, HugeAllocationIsOutOfMemoryNotACrash) {
  uint64_t a = 0;
  EXPECT_EQ(hrt_device_alloc(rt_, 0, SIZE_MAX - 8, &a), HRT_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(a, 0u);
}

// Threads allocate, copy and free at once; each sees only its own data.
TEST_F(DeviceMemoryTest, ConcurrentUseKeepsAllocationsApart) {
  constexpr int kThreads = 4, kRounds = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        const size_t n = 64 + static_cast<size_t>((t * 131 + r * 17) % 4000);
        uint64_t a = 0;
        if (hrt_device_alloc(rt_, 0, n, &a) != HRT_OK) {
          ++failures;
          continue;
        }
        std::vector<uint8_t> in(n, static_cast<uint8_t>(t * 31 + r)), out(n);
        if (Write(a, in.data(), n) != HRT_OK || Read(out.data(), a, n) != HRT_OK || in != out) {
          ++failures;
        }
        if (hrt_device_free(rt_, 0, a) != HRT_OK) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(DeviceMemoryTest, LaunchOnDeviceMemoryAndDescribeThePath) {
  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load(rt_, kScale, sizeof(kScale) - 1, &module));
  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module, "scale", &kernel));
  const int64_t n = 300;
  std::vector<float> x(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) * 0.5f;
  uint64_t dx = 0, dout = 0;
  ASSERT_OK(hrt_device_alloc(rt_, 0, n * sizeof(float), &dx));
  ASSERT_OK(hrt_device_alloc(rt_, 0, n * sizeof(float), &dout));
  ASSERT_OK(hrt_device_write(rt_, 0, dx, x.data(), n * sizeof(float), nullptr));

  hrt_arg_t args[3] = {};
  for (int i = 0; i < 2; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = i == 0 ? dx : dout;
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = n;
    args[i].value.tensor.strides[0] = 1;
  }
  args[2].kind = HRT_ARG_KIND_FLOAT;
  args[2].value.f = 3.0;
  hrt_launch_params_t params;
  ASSERT_OK(hrt_launch_params_init(&params));
  params.args = args;
  params.arg_count = 3;
  ASSERT_OK(hrt_kernel_launch(kernel, &params));
  ASSERT_OK(hrt_device_synchronize(rt_, 0, nullptr));
  ASSERT_OK(hrt_device_read(rt_, 0, out.data(), dout, n * sizeof(float), nullptr));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] * 3.0f) << i;

  std::string text = Describe(kernel, params);
  EXPECT_NE(text.find("cpu-reference device 0"), std::string::npos) << text;
  EXPECT_NE(text.find("tile IR; config BLOCK=64"), std::string::npos) << text;
  EXPECT_NE(text.find("interpreted on the CPU by the reference interpreter"), std::string::npos)
      << text;
  EXPECT_NE(text.find("BLOCK=64"), std::string::npos) << text;
  // A config entry changes the description; bad arguments are refused.
  hrt_config_entry_t block{"BLOCK", 128};
  params.config = &block;
  params.config_count = 1;
  text = Describe(kernel, params);
  EXPECT_NE(text.find("BLOCK=128"), std::string::npos) << text;
  char small[4];
  EXPECT_EQ(hrt_kernel_describe_launch(kernel, &params, small, sizeof(small), nullptr),
            HRT_ERROR_OUT_OF_RANGE);
  params.arg_count = 2;
  EXPECT_EQ(hrt_kernel_describe_launch(kernel, &params, text.data(), text.size(), nullptr),
            HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hrt_kernel_describe_launch(nullptr, &params, text.data(), text.size(), nullptr),
            HRT_ERROR_INVALID_ARGUMENT);
  ASSERT_OK(hrt_module_destroy(module));
}

TEST(RuntimeBackends, EnvironmentNamesBackendsAndRejectsUnknownNames) {
  // With the option 0 the environment decides; the reference is always there.
  ASSERT_EQ(setenv("HELIONRT_BACKENDS", "cpu-reference", 1), 0);
  hrt_runtime_t* rt = nullptr;
  ASSERT_OK(hrt_runtime_create(nullptr, &rt));
  uint32_t count = 0;
  ASSERT_OK(hrt_device_count(rt, &count));
  EXPECT_EQ(count, 1u);
  ASSERT_OK(hrt_runtime_destroy(rt));

  ASSERT_EQ(setenv("HELIONRT_BACKENDS", "cuda,warp-drive", 1), 0);
  EXPECT_EQ(hrt_runtime_create(nullptr, &rt), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hrt_last_error_message()).find("HELIONRT_BACKENDS"), std::string::npos)
      << hrt_last_error_message();
  EXPECT_EQ(rt, nullptr);
  // An explicit option wins over the environment.
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
  ASSERT_OK(hrt_runtime_create(&options, &rt));
  ASSERT_OK(hrt_runtime_destroy(rt));
  ASSERT_EQ(unsetenv("HELIONRT_BACKENDS"), 0);
}

}  // namespace
