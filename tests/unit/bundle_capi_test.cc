// Bundles through the public C API without a GPU: hrt_module_load and
// hrt_module_load_file accept bundle bytes, expose the kernels that carry IR,
// and run them on the reference device (which interprets the IR and ignores
// variants); damaged bundles are refused with CORRUPT_DATA and never loaded.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/format.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"

namespace hrt {
namespace {

using testing::HostTensor;

// A bundle of vector_add and rms_norm with PTX variants, and one kernel
// without IR (which the module skips).
std::vector<uint8_t> MakeBundle() {
  bundle::Contents contents;
  for (const char* name : {"vector_add", "rms_norm"}) {
    auto module = testing::LoadKernelModule(name);
    EXPECT_TRUE(module.ok()) << module.status().message();
    if (!module.ok()) return {};
    const ir::Kernel& k = module->kernels[0];
    bundle::KernelEntry entry = bundle::KernelEntryFromIr(k);
    auto v = bundle::PtxVariantFromIr(k, ir::Config{}, ptx::EmitOptions{});
    EXPECT_TRUE(v.ok()) << v.status().message();
    if (v.ok()) entry.variants.push_back(std::move(*v));
    contents.kernels.push_back(std::move(entry));
  }
  bundle::KernelEntry binary_only;
  binary_only.name = "binary_only";
  bundle::VariantEntry cubin;
  cubin.target.arch = {9, 0, select::ArchVariant::kPlain};
  cubin.payload_kind = bundle::PayloadKind::kCubin;
  cubin.payload = {0x7f, 'E', 'L', 'F'};
  binary_only.variants.push_back(cubin);
  contents.kernels.push_back(std::move(binary_only));
  auto bytes = bundle::WriteBundle(contents, {});
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

class BundleCapiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hrt_runtime_create(nullptr, &runtime_), HRT_OK) << hrt_last_error_message();
    ASSERT_EQ(hrt_device_count(runtime_, &device_count_), HRT_OK);
    bytes_ = MakeBundle();
    ASSERT_FALSE(bytes_.empty());
  }
  void TearDown() override {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    }
    EXPECT_EQ(hrt_runtime_destroy(runtime_), HRT_OK);
  }

  // Runs vector_add from |module_| on the reference device (the last one).
  void RunVectorAdd() {
    hrt_kernel_t* kernel = nullptr;
    ASSERT_EQ(hrt_module_get_kernel(module_, "vector_add", &kernel), HRT_OK);
    const int64_t n = 1000;
    HostTensor x = HostTensor::RowMajor(ir::DType::kF32, {n});
    HostTensor y = HostTensor::RowMajor(ir::DType::kF32, {n});
    HostTensor out = HostTensor::RowMajor(ir::DType::kF32, {n});
    for (int64_t i = 0; i < n; ++i) {
      x.Set(i, static_cast<double>(i));
      y.Set(i, 0.25);
    }
    hrt_arg_t args[3] = {x.ToApiArg(), y.ToApiArg(), out.ToApiArg()};
    hrt_launch_params_t params;
    hrt_launch_params_init(&params);
    params.device_index = device_count_ - 1;
    params.args = args;
    params.arg_count = 3;
    for (int launch = 0; launch < 2; ++launch) {  // the second takes the fast path
      ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
    }
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out.Get(i), static_cast<double>(i) + 0.25) << i;
  }

  hrt_runtime_t* runtime_ = nullptr;
  uint32_t device_count_ = 0;
  hrt_module_t* module_ = nullptr;
  std::vector<uint8_t> bytes_;
};

TEST_F(BundleCapiTest, LoadsFromMemoryAndRunsOnTheReferenceDevice) {
  ASSERT_EQ(hrt_module_load(runtime_, bytes_.data(), bytes_.size(), &module_), HRT_OK)
      << hrt_last_error_message();
  uint32_t count = 0;
  ASSERT_EQ(hrt_module_kernel_count(module_, &count), HRT_OK);
  EXPECT_EQ(count, 2u);  // binary_only has no IR: skipped
  hrt_kernel_t* kernel = nullptr;
  EXPECT_EQ(hrt_module_get_kernel(module_, "binary_only", &kernel), HRT_ERROR_NOT_FOUND);
  RunVectorAdd();
}

TEST_F(BundleCapiTest, LoadsFromAFile) {
  const std::string path = ::testing::TempDir() + "/hrt_bundle_capi.hrtb";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes_.data()),
             static_cast<std::streamsize>(bytes_.size()));
  ASSERT_EQ(hrt_module_load_file(runtime_, path.c_str(), &module_), HRT_OK)
      << hrt_last_error_message();
  RunVectorAdd();
  std::remove(path.c_str());
}

TEST_F(BundleCapiTest, DamagedBundlesAreRefused) {
  // Every truncation keeps the magic (so it is read as a bundle) and fails.
  for (size_t size = 8; size < bytes_.size(); size += 1 + size / 16) {
    hrt_module_t* module = nullptr;
    const hrt_status_t s = hrt_module_load(runtime_, bytes_.data(), size, &module);
    ASSERT_EQ(s, HRT_ERROR_CORRUPT_DATA) << size << ": " << hrt_last_error_message();
    ASSERT_EQ(module, nullptr);
  }
  // A flipped bit anywhere but inside a variant's payload blob is refused at
  // load (payloads are checksummed when a GPU first reads them; the
  // reference device never does).
  auto view = bundle::BundleView::Open(bytes_);
  ASSERT_TRUE(view.ok());
  uint64_t blob_data = 0;
  for (const bundle::SectionInfo& section : view->sections()) {
    if (section.id == bundle::format::kSectionBlobData) blob_data = section.offset;
  }
  auto in_payload = [&](size_t byte) {
    for (uint32_t v = 0; v < view->variant_count(); ++v) {
      const bundle::BlobInfo& blob = view->blob(view->variant(v).payload_blob);
      const uint64_t begin = blob_data + blob.offset;
      if (byte >= begin && byte < begin + blob.stored_size) return true;
    }
    return false;
  };
  size_t refused = 0;
  for (size_t i = 8; i < bytes_.size(); i += 7) {
    std::vector<uint8_t> bad = bytes_;
    bad[i] ^= 0x10;
    hrt_module_t* module = nullptr;
    const hrt_status_t s = hrt_module_load(runtime_, bad.data(), bad.size(), &module);
    if (s == HRT_OK) {
      EXPECT_TRUE(in_payload(i)) << "a flip at byte " << i << " was not detected";
      EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
      continue;
    }
    ++refused;
    EXPECT_TRUE(s == HRT_ERROR_CORRUPT_DATA || s == HRT_ERROR_VERSION_MISMATCH ||
                s == HRT_ERROR_UNSUPPORTED)
        << i << ": " << hrt_status_string(s) << ": " << hrt_last_error_message();
  }
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace hrt
