// SPIR-V variants in bundles, end to end on a Vulkan device (lavapipe in CI,
// the GPU's driver elsewhere): a bundle with a SPIR-V variant of vector_add
// (built by bundle::SpirvVariantOf, as `helionrt bundle build --vulkan`
// does) is loaded through the public C API, selection picks the variant for
// the launch's dtype, the kernel runs in device memory, the result is exact,
// and hrt_kernel_describe_launch names the variant. A dtype without a variant
// falls back to generated SPIR-V. Skips, saying why, without a Vulkan device.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/writer.h"

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

class VulkanBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_VULKAN);
    options.cache_dir = "";
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    hrt_device_properties_t p{};
    p.struct_size = sizeof(p);
    ASSERT_OK(hrt_device_get_properties(rt_, 0, &p));
    if (p.backend != HRT_BACKEND_VULKAN) {
      GTEST_SKIP() << "no Vulkan device (no loader, or no device with bufferDeviceAddress and "
                      "shaderInt64)";
    }
  }
  void TearDown() override {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    }
    if (rt_ != nullptr) {
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK);
    }
  }

  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
};

TEST_F(VulkanBundleTest, SpirvVariantIsSelectedAndRuns) {
  auto module = testing::LoadKernelModule("vector_add");
  ASSERT_TRUE(module.ok()) << module.status().message();
  const ir::Kernel& k = module->kernels[0];
  ir::Config config = ir::DefaultConfig(k);
  config.Set("BLOCK", 256);
  config.Set("WARPS", 2);
  config.Set("T", static_cast<int64_t>(ir::DType::kF32));
  auto bound = ir::Bind(k, config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  auto variant = bundle::SpirvVariantOf(*bound, spirv::SpirvOptions{});
  ASSERT_TRUE(variant.ok()) << variant.status().message();
  EXPECT_EQ(variant->target.backend, HRT_BACKEND_VULKAN);
  EXPECT_EQ(variant->resources.threads_per_block, 64u);
  bundle::Contents contents;
  bundle::KernelEntry entry = bundle::KernelEntryFromIr(k);
  entry.variants.push_back(std::move(*variant));
  contents.kernels.push_back(std::move(entry));
  auto bytes = bundle::WriteBundle(contents, {});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_OK(hrt_module_load(rt_, bytes->data(), bytes->size(), &module_));
  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &kernel));

  for (const hrt_dtype_t dtype : {HRT_DTYPE_F32, HRT_DTYPE_F16}) {
    const int64_t n = 1000;  // not a multiple of BLOCK
    const size_t esize = dtype == HRT_DTYPE_F32 ? 4 : 2;
    std::vector<uint8_t> x(n * esize), y(n * esize), out(n * esize, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (dtype == HRT_DTYPE_F32) {
        const float a = static_cast<float>(i) * 0.5f, b = 3.0f - static_cast<float>(i % 5);
        std::memcpy(&x[i * 4], &a, 4);
        std::memcpy(&y[i * 4], &b, 4);
      } else {
        const uint16_t a = ir::FloatToHalf(static_cast<float>(i % 64));
        const uint16_t b = ir::FloatToHalf(1.0f);
        std::memcpy(&x[i * 2], &a, 2);
        std::memcpy(&y[i * 2], &b, 2);
      }
    }
    uint64_t d[3] = {};
    for (uint64_t& p : d) ASSERT_OK(hrt_device_alloc(rt_, 0, n * esize, &p));
    ASSERT_OK(hrt_device_write(rt_, 0, d[0], x.data(), x.size(), nullptr));
    ASSERT_OK(hrt_device_write(rt_, 0, d[1], y.data(), y.size(), nullptr));
    hrt_arg_t args[3] = {};
    for (int i = 0; i < 3; ++i) {
      args[i].kind = HRT_ARG_KIND_TENSOR;
      args[i].value.tensor.address = d[i];
      args[i].value.tensor.dtype = dtype;
      args[i].value.tensor.rank = 1;
      args[i].value.tensor.shape[0] = n;
      args[i].value.tensor.strides[0] = 1;
    }
    hrt_launch_params_t params;
    ASSERT_OK(hrt_launch_params_init(&params));
    params.args = args;
    params.arg_count = 3;
    ASSERT_OK(hrt_kernel_launch(kernel, &params));
    ASSERT_OK(hrt_device_synchronize(rt_, 0, nullptr));
    ASSERT_OK(hrt_device_read(rt_, 0, out.data(), d[2], out.size(), nullptr));
    for (int64_t i = 0; i < n; ++i) {
      if (dtype == HRT_DTYPE_F32) {
        float a, b, c;
        std::memcpy(&a, &x[i * 4], 4);
        std::memcpy(&b, &y[i * 4], 4);
        std::memcpy(&c, &out[i * 4], 4);
        ASSERT_EQ(c, a + b) << i;
      } else {
        uint16_t c;
        std::memcpy(&c, &out[i * 2], 2);
        ASSERT_EQ(ir::HalfToFloat(c), static_cast<float>(i % 64) + 1.0f) << i;
      }
    }
    const std::string path = Describe(kernel, params);
    if (dtype == HRT_DTYPE_F32) {
      EXPECT_NE(path.find("bundle variant 0 (spirv)"), std::string::npos) << path;
      EXPECT_NE(path.find("SPIR-V from bundle variant 0"), std::string::npos) << path;
    } else {
      // The only variant is f32: f16 is generated.
      EXPECT_NE(path.find("code generated from the tile IR"), std::string::npos) << path;
      EXPECT_NE(path.find("SPIR-V generated from the tile IR"), std::string::npos) << path;
    }
    for (uint64_t p : d) ASSERT_OK(hrt_device_free(rt_, 0, p));
  }
}

}  // namespace
}  // namespace hrt
