// hrt_kernel_prepare_launch / hrt_prepared_launch_run / _destroy through the
// public C API on the CPU reference device: runs with new arguments give
// what hrt_kernel_launch gives; arguments that no longer fit the prepared
// decision (dtype, size class, count) are refused with a reason; handles
// are checked; the module outlives its prepared launches.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"

namespace {

std::string LastError() {
  return hrt_last_error_message();
}

#define ASSERT_OK(expr) ASSERT_EQ((expr), HRT_OK) << LastError()

hrt_arg_t Tensor(std::vector<float>& v, int64_t n) {
  hrt_arg_t a{};
  a.kind = HRT_ARG_KIND_TENSOR;
  a.value.tensor.address = reinterpret_cast<uint64_t>(v.data());
  a.value.tensor.dtype = HRT_DTYPE_F32;
  a.value.tensor.rank = 1;
  a.value.tensor.shape[0] = n;
  a.value.tensor.strides[0] = 1;
  return a;
}

class PreparedLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
    options.cache_dir = "";
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    const std::string path = hrt::testing::KernelsDir() + "/vector_add.tile";
    ASSERT_OK(hrt_module_load_file(rt_, path.c_str(), &module_));
    ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &kernel_));
  }
  void TearDown() override {
    if (launch_ != nullptr) {
      EXPECT_EQ(hrt_prepared_launch_destroy(launch_), HRT_OK) << LastError();
    }
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK) << LastError();
    }
    if (rt_ != nullptr) {
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK) << LastError();
    }
  }
  // out = x + y over |n| elements through |launch_|; checks the result.
  void RunAndCheck(int64_t n) {
    std::vector<float> x(static_cast<size_t>(n)), y(x.size()), out(x.size(), -1.0f);
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = static_cast<float>(i);
      y[i] = 0.5f;
    }
    const hrt_arg_t args[3] = {Tensor(x, n), Tensor(y, n), Tensor(out, n)};
    ASSERT_OK(hrt_prepared_launch_run(launch_, args, 3, nullptr));
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  }
  void Prepare(int64_t n, const hrt_config_entry_t* config, size_t config_count) {
    std::vector<float> x(static_cast<size_t>(n)), y(x.size()), out(x.size());
    const hrt_arg_t args[3] = {Tensor(x, n), Tensor(y, n), Tensor(out, n)};
    hrt_launch_params_t p;
    ASSERT_OK(hrt_launch_params_init(&p));
    p.args = args;
    p.arg_count = 3;
    p.config = config;
    p.config_count = config_count;
    ASSERT_OK(hrt_kernel_prepare_launch(kernel_, &p, &launch_));
    EXPECT_EQ(out, std::vector<float>(x.size(), 0.0f));  // nothing launched
  }

  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
  hrt_kernel_t* kernel_ = nullptr;
  hrt_prepared_launch_t* launch_ = nullptr;
};

TEST_F(PreparedLaunchTest, PinnedConfigRunsAnySizeAndAddress) {
  const hrt_config_entry_t config[2] = {{"BLOCK", 256}, {"WARPS", 2}};
  Prepare(1000, config, 2);
  for (int64_t n : {1000, 1, 7, 4096, 100003}) RunAndCheck(n);
}

TEST_F(PreparedLaunchTest, OpenTunablesKeepTheSizeClass) {
  Prepare(1000, nullptr, 0);  // 1000 is in [512, 1024)
  RunAndCheck(1000);
  RunAndCheck(600);
  std::vector<float> v(2048);
  const hrt_arg_t other[3] = {Tensor(v, 2048), Tensor(v, 2048), Tensor(v, 2048)};
  EXPECT_EQ(hrt_prepared_launch_run(launch_, other, 3, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("power-of-two range"), std::string::npos) << LastError();
}

TEST_F(PreparedLaunchTest, ArgumentsThatNoLongerFitAreRefused) {
  const hrt_config_entry_t config[2] = {{"BLOCK", 256}, {"WARPS", 2}};
  Prepare(64, config, 2);
  std::vector<float> v(64);
  hrt_arg_t args[3] = {Tensor(v, 64), Tensor(v, 64), Tensor(v, 64)};
  EXPECT_EQ(hrt_prepared_launch_run(launch_, args, 2, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("hrt_prepared_launch_run: "), std::string::npos) << LastError();
  EXPECT_EQ(hrt_prepared_launch_run(launch_, nullptr, 3, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  args[0].value.tensor.dtype = HRT_DTYPE_F16;  // T is now f16 for x only
  EXPECT_EQ(hrt_prepared_launch_run(launch_, args, 3, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  for (hrt_arg_t& a : args) a.value.tensor.dtype = HRT_DTYPE_F16;  // all f16: another decision
  EXPECT_EQ(hrt_prepared_launch_run(launch_, args, 3, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError().find("prepare another launch"), std::string::npos) << LastError();
  args[2].value.tensor.shape[0] = 63;  // N disagrees between tensors
  for (hrt_arg_t& a : args) a.value.tensor.dtype = HRT_DTYPE_F32;
  EXPECT_EQ(hrt_prepared_launch_run(launch_, args, 3, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  RunAndCheck(64);  // still usable
}

TEST_F(PreparedLaunchTest, HandlesAndLifetimes) {
  EXPECT_EQ(hrt_prepared_launch_destroy(nullptr), HRT_OK);
  EXPECT_EQ(hrt_prepared_launch_run(nullptr, nullptr, 0, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hrt_prepared_launch_run(reinterpret_cast<hrt_prepared_launch_t*>(kernel_), nullptr, 0,
                                    nullptr),
            HRT_ERROR_INVALID_ARGUMENT);
  hrt_launch_params_t p;
  ASSERT_OK(hrt_launch_params_init(&p));
  EXPECT_EQ(hrt_kernel_prepare_launch(kernel_, &p, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  hrt_prepared_launch_t* bad = reinterpret_cast<hrt_prepared_launch_t*>(1);
  EXPECT_EQ(hrt_kernel_prepare_launch(kernel_, &p, &bad), HRT_ERROR_INVALID_ARGUMENT);  // 0 args
  EXPECT_EQ(bad, nullptr);
  Prepare(128, nullptr, 0);
  EXPECT_EQ(hrt_module_destroy(module_), HRT_ERROR_FAILED_PRECONDITION);
  EXPECT_NE(LastError().find("prepared launch"), std::string::npos) << LastError();
  ASSERT_OK(hrt_prepared_launch_destroy(launch_));
  launch_ = nullptr;
}

}  // namespace
