// Importing Triton-compiled kernels (tests/fixtures/triton, made by Triton
// 3.6.0 on an H100): the kernel entry, its signature IR and variants; the
// bundle through the C API (declared parameters; the grid rule; refused on
// the CPU reference device, which has no Triton body to run); hostile
// metadata. The launch on a GPU is in tests/gpu/bundle_launch_test.cc.
#include "runtime/bundle/triton_import.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"

namespace hrt::bundle {
namespace {

std::string FixtureDir(const std::string& name) {
  return std::string(HRT_SOURCE_DIR) + "/tests/fixtures/triton/" + name;
}

TEST(TritonImportTest, VectorAddBecomesATritonAbiKernel) {
  Result<KernelEntry> k = ImportTritonKernel(FixtureDir("vector_add"));
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->name, "add_kernel");
  EXPECT_TRUE(k->triton_abi);
  EXPECT_EQ(k->scratch_params, 2u);
  ASSERT_EQ(k->variants.size(), 2u);
  EXPECT_EQ(k->variants[0].payload_kind, PayloadKind::kCubin);
  EXPECT_EQ(select::SmName(k->variants[0].target.arch), "sm_90a");
  EXPECT_EQ(k->variants[1].payload_kind, PayloadKind::kPtx);
  for (const VariantEntry& v : k->variants) {
    EXPECT_EQ(v.resources.threads_per_block, 128u);  // 4 warps
    EXPECT_TRUE(v.config.empty());
  }
  EXPECT_FALSE(k->ir.empty());
}

TEST(TritonImportTest, SignatureIrDeclaresTensorsAndScalars) {
  const std::string sig =
      R"({"params": [{"name": "x", "type": "*bf16"}, {"name": "n", "type": "i32"},
                     {"name": "s", "type": "fp32"}, {"name": "m", "type": "i64"}]})";
  Result<std::string> ir = TritonSignatureIr("k", sig);
  ASSERT_TRUE(ir.ok()) << ir.status().message();
  EXPECT_NE(ir->find("x: tensor<bf16>[len_x]"), std::string::npos) << *ir;
  EXPECT_NE(ir->find("n: i32, s: f32, m: i64"), std::string::npos) << *ir;

  EXPECT_EQ(
      TritonSignatureIr("k", R"({"params": [{"name": "x", "type": "fp64"}]})").status().code(),
      Code::kUnsupported);
  EXPECT_EQ(
      TritonSignatureIr("k", R"({"params": [{"name": "x", "type": "*fp8e4nv"}]})").status().code(),
      Code::kUnsupported);
  EXPECT_EQ(
      TritonSignatureIr("k", R"({"params": [{"name": "a b", "type": "i32"}]})").status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(TritonSignatureIr("k", R"({"params": 3})").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(TritonSignatureIr("k", R"({"params": [)").status().code(), Code::kParseError);
  EXPECT_EQ(TritonSignatureIr("bad name", R"({"params": []})").status().code(),
            Code::kInvalidArgument);
}

TEST(TritonImportTest, MissingFilesAreClearErrors) {
  Result<KernelEntry> k = ImportTritonKernel(FixtureDir("no_such_kernel"));
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kNotFound);
  EXPECT_NE(k.status().message().find("triton_metadata.json"), std::string::npos);
}

class TritonBundleCapiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Contents contents;
    for (const char* name : {"vector_add", "row_scale"}) {
      Result<KernelEntry> k = ImportTritonKernel(FixtureDir(name));
      ASSERT_TRUE(k.ok()) << k.status().message();
      contents.kernels.push_back(std::move(*k));
    }
    Result<std::vector<uint8_t>> bytes = WriteBundle(contents);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    bytes_ = std::move(*bytes);
    ASSERT_EQ(hrt_runtime_create(nullptr, &runtime_), HRT_OK);
    ASSERT_EQ(hrt_module_load(runtime_, bytes_.data(), bytes_.size(), &module_), HRT_OK)
        << hrt_last_error_message();
  }
  void TearDown() override {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    }
    EXPECT_EQ(hrt_runtime_destroy(runtime_), HRT_OK);
  }

  std::vector<uint8_t> bytes_;
  hrt_runtime_t* runtime_ = nullptr;
  hrt_module_t* module_ = nullptr;
};

TEST_F(TritonBundleCapiTest, KernelsDeclareTheTritonSignature) {
  hrt_kernel_t* kernel = nullptr;
  ASSERT_EQ(hrt_module_get_kernel(module_, "row_scale_kernel", &kernel), HRT_OK);
  uint32_t count = 0;
  ASSERT_EQ(hrt_kernel_param_count(kernel, &count), HRT_OK);
  EXPECT_EQ(count, 5u);  // x_ptr, out_ptr, s, stride, n
}

TEST_F(TritonBundleCapiTest, TheReferenceDeviceRefusesAndTheGridIsRequired) {
  hrt_kernel_t* kernel = nullptr;
  ASSERT_EQ(hrt_module_get_kernel(module_, "add_kernel", &kernel), HRT_OK);
  uint32_t devices = 0;
  ASSERT_EQ(hrt_device_count(runtime_, &devices), HRT_OK);
  float x[4] = {}, y[4] = {}, out[4] = {};
  hrt_arg_t args[4] = {};
  float* buffers[3] = {x, y, out};
  for (int i = 0; i < 3; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = reinterpret_cast<uint64_t>(buffers[i]);
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = 4;
    args[i].value.tensor.strides[0] = 1;
  }
  args[3].kind = HRT_ARG_KIND_INT;
  args[3].value.i = 4;
  hrt_launch_params_t params;
  hrt_launch_params_init(&params);
  params.device_index = devices - 1;  // the reference device
  params.args = args;
  params.arg_count = 4;
  EXPECT_EQ(hrt_kernel_launch(kernel, &params), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hrt_last_error_message()).find("params.grid"), std::string::npos)
      << hrt_last_error_message();
  params.grid[0] = params.grid[1] = params.grid[2] = 1;
  EXPECT_EQ(hrt_kernel_launch(kernel, &params), HRT_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(hrt_last_error_message()).find("Triton"), std::string::npos)
      << hrt_last_error_message();
}

TEST(TritonBundleTest, FlagsAndScratchCountsAreValidated) {
  Result<KernelEntry> k = ImportTritonKernel(FixtureDir("vector_add"));
  ASSERT_TRUE(k.ok());
  KernelEntry no_ir = *k;
  no_ir.ir.clear();
  Contents c;
  c.kernels.push_back(no_ir);
  EXPECT_EQ(WriteBundle(c).status().code(), Code::kInvalidArgument);
  KernelEntry plain = *k;
  plain.triton_abi = false;  // scratch params without the ABI
  c.kernels = {plain};
  EXPECT_EQ(WriteBundle(c).status().code(), Code::kInvalidArgument);
  KernelEntry many = *k;
  many.scratch_params = 9;
  c.kernels = {many};
  EXPECT_EQ(WriteBundle(c).status().code(), Code::kInvalidArgument);
  // Round trip keeps the flag and the count.
  c.kernels = {*k};
  Result<std::vector<uint8_t>> bytes = WriteBundle(c);
  ASSERT_TRUE(bytes.ok());
  Result<BundleView> view = BundleView::Open(*bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  EXPECT_TRUE(view->kernel(0).triton_abi);
  EXPECT_EQ(view->kernel(0).scratch_params, 2u);
  Result<Contents> back = ReadContents(*view);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kernels[0], *k);
}

}  // namespace
}  // namespace hrt::bundle
