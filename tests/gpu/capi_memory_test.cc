// The public C API end to end on a CUDA device, as a caller without an
// engine of its own uses it: hrt_device_alloc/write/read/free for the
// tensors, hrt_kernel_launch on the tile IR (PTX generated and JIT-compiled,
// or loaded from the helionrt cache), hrt_device_synchronize, and
// hrt_kernel_describe_launch saying which path the launch took.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"

namespace hrt {
namespace {

#define ASSERT_OK(call) ASSERT_EQ((call), HRT_OK) << #call << ": " << hrt_last_error_message()

std::string Describe(hrt_kernel_t* kernel, const hrt_launch_params_t& params) {
  size_t length = 0;
  if (hrt_kernel_describe_launch(kernel, &params, nullptr, 0, &length) != HRT_OK) {
    return std::string("describe failed: ") + hrt_last_error_message();
  }
  std::string text(length + 1, '\0');
  if (hrt_kernel_describe_launch(kernel, &params, text.data(), text.size(), nullptr) != HRT_OK) {
    return std::string("describe failed: ") + hrt_last_error_message();
  }
  text.resize(length);
  return text;
}

class CapiMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CUDA);
    cache_dir_ = ::testing::TempDir() + "/hrt_capi_memory_cache";
    options.cache_dir = cache_dir_.c_str();
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    hrt_device_properties_t p{};
    p.struct_size = sizeof(p);
    ASSERT_OK(hrt_device_get_properties(rt_, 0, &p));
    if (p.backend != HRT_BACKEND_CUDA) GTEST_SKIP() << "no CUDA device (device 0 is not CUDA)";
  }
  void TearDown() override {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    }
    if (rt_ != nullptr) {
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK);
    }
  }

  std::string cache_dir_;
  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
};

TEST_F(CapiMemoryTest, RoundTripAndRangeChecks) {
  uint64_t a = 0;
  ASSERT_OK(hrt_device_alloc(rt_, 0, 4096, &a));
  EXPECT_EQ(a % 256, 0u);
  std::vector<uint8_t> in(4096), out(4096, 0);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_OK(hrt_device_write(rt_, 0, a, in.data(), in.size(), nullptr));
  ASSERT_OK(hrt_device_read(rt_, 0, out.data(), a, out.size(), nullptr));
  EXPECT_EQ(in, out);
  EXPECT_EQ(hrt_device_read(rt_, 0, out.data(), a + 1, 4096, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  ASSERT_OK(hrt_device_free(rt_, 0, a));
  EXPECT_EQ(hrt_device_free(rt_, 0, a), HRT_ERROR_INVALID_ARGUMENT);
}

TEST_F(CapiMemoryTest, VectorAddThroughDeviceMemoryAndItsPath) {
  std::ifstream file(testing::KernelsDir() + "/vector_add.tile", std::ios::binary);
  ASSERT_TRUE(file) << "kernels/vector_add.tile";
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_OK(hrt_module_load(rt_, text.data(), text.size(), &module_));
  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &kernel));
  const int64_t n = 100003;
  std::vector<float> x(n), y(n), out(n, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 1000) * 0.25f;
    y[i] = static_cast<float>(i % 7) - 3.0f;
  }
  uint64_t d[3] = {};
  for (uint64_t& p : d) ASSERT_OK(hrt_device_alloc(rt_, 0, n * sizeof(float), &p));
  ASSERT_OK(hrt_device_write(rt_, 0, d[0], x.data(), n * sizeof(float), nullptr));
  ASSERT_OK(hrt_device_write(rt_, 0, d[1], y.data(), n * sizeof(float), nullptr));
  hrt_arg_t args[3] = {};
  for (int i = 0; i < 3; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = d[i];
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = n;
    args[i].value.tensor.strides[0] = 1;
  }
  hrt_launch_params_t params;
  ASSERT_OK(hrt_launch_params_init(&params));
  params.args = args;
  params.arg_count = 3;
  EXPECT_NE(Describe(kernel, params).find("not loaded on the device yet"), std::string::npos)
      << Describe(kernel, params);
  ASSERT_OK(hrt_kernel_launch(kernel, &params));
  ASSERT_OK(hrt_device_synchronize(rt_, 0, nullptr));
  ASSERT_OK(hrt_device_read(rt_, 0, out.data(), d[2], n * sizeof(float), nullptr));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  const std::string path = Describe(kernel, params);
  std::printf("path: %s\n", path.c_str());
  EXPECT_NE(path.find("cuda device 0"), std::string::npos) << path;
  EXPECT_NE(path.find("PTX generated from the tile IR"), std::string::npos) << path;
  // A JIT (first run) or the helionrt cache (a rerun with the same cache).
  EXPECT_TRUE(path.find("JIT-compiled by the driver") != std::string::npos ||
              path.find("from the helionrt cache") != std::string::npos)
      << path;
  for (uint64_t p : d) ASSERT_OK(hrt_device_free(rt_, 0, p));
}

}  // namespace
}  // namespace hrt
