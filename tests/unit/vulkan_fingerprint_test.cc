// Vulkan fingerprints: the vk_* keys of the "key=value;..." form, their
// canonical round trip, rejections, the Vulkan feature bits and the hard key.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/select/fingerprint.h"
#include "runtime/vulkan/vulkan_pipeline_cache.h"

namespace hrt::select {
namespace {

// An NVIDIA H100 as its Vulkan driver would describe it (values made up
// where the driver's are not public).
Fingerprint H100() {
  Fingerprint fp;
  fp.backend = HRT_BACKEND_VULKAN;
  fp.vendor_id = 0x10de;
  fp.name = "NVIDIA H100 80GB HBM3";
  for (size_t i = 0; i < fp.uuid.size(); ++i) fp.uuid[i] = static_cast<uint8_t>(0x21 * i + 1);
  fp.max_threads_per_block = 1024;
  fp.smem_per_block = 49152;
  fp.smem_per_block_optin = 49152;
  fp.warp_size = 32;
  fp.memory_bytes = 85899345920ull;
  fp.features = kFeatureVkFp16 | kFeatureVkInt8 | kFeatureVkStorage16 | kFeatureVkStorage8 |
                kFeatureVkSubgroupArith | kFeatureVkInt64Atomics | kFeatureVkCoopMatrix |
                kFeatureVkBufferDeviceAddress | kFeatureVkInt64 | kFeatureVkFloat32AtomicAdd |
                kFeatureVkSubgroupExtendedTypes;
  VulkanFacts& vk = fp.vk;
  vk.device_id = 0x2330;
  vk.device_type = 2;              // discrete
  vk.driver_id = 4;                // VK_DRIVER_ID_NVIDIA_PROPRIETARY
  vk.driver_version = 0x8a1c0000;  // above INT32_MAX: NVIDIA packs major << 22
  vk.api_version = (1u << 22) | (3u << 12) | 277;
  for (size_t i = 0; i < 16; ++i) vk.pipeline_cache_uuid[i] = static_cast<uint8_t>(0xf0 - i);
  vk.subgroup_min = 32;
  vk.subgroup_max = 32;
  vk.subgroup_ops = 0xff;
  vk.max_workgroup_size = {1024, 1024, 64};
  vk.max_push_constants = 256;
  return fp;
}

TEST(VulkanFingerprintTest, StringFormRoundTrips) {
  const Fingerprint fp = H100();
  const std::string s = FingerprintToString(fp);
  // The common keys, then the Vulkan ones in their documented order.
  EXPECT_EQ(s.find("backend=vulkan;vendor=0x10de;name=NVIDIA H100 80GB HBM3;"), 0u) << s;
  const std::string tail =
      "features=vk_fp16,vk_int8,vk_storage16,vk_storage8,vk_subgroup_arith,vk_int64_atomics,"
      "vk_coop_matrix,vk_bda,vk_int64,vk_f32_atomic_add,vk_subgroup_ext_types;"
      "vk_device=0x2330;vk_type=discrete;vk_driver_id=4;vk_driver=0x8a1c0000;vk_api=1.3.277;"
      "vk_cache_uuid=f0efeeed-eceb-eae9-e8e7-e6e5e4e3e2e1;vk_subgroup_min=32;"
      "vk_subgroup_max=32;vk_subgroup_ops=0xff;vk_wg_size=1024,1024,64;vk_push=256";
  ASSERT_GE(s.size(), tail.size());
  EXPECT_EQ(s.substr(s.size() - tail.size()), tail) << s;
  Result<Fingerprint> back = ParseFingerprint(s);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == fp);
  EXPECT_EQ(FingerprintToString(*back), s);

  // A minimal vulkan fingerprint is canonical too, with every key written.
  Fingerprint bare;
  bare.backend = HRT_BACKEND_VULKAN;
  const std::string b = FingerprintToString(bare);
  EXPECT_NE(b.find(";vk_device=0x0;vk_type=other;vk_driver_id=0;vk_driver=0x0;vk_api=0.0.0;"),
            std::string::npos)
      << b;
  Result<Fingerprint> bare_back = ParseFingerprint(b);
  ASSERT_TRUE(bare_back.ok()) << bare_back.status().message();
  EXPECT_TRUE(*bare_back == bare);

  // Unknown device types keep their number.
  Fingerprint odd = fp;
  odd.vk.device_type = 9;
  Result<Fingerprint> odd_back = ParseFingerprint(FingerprintToString(odd));
  ASSERT_TRUE(odd_back.ok()) << odd_back.status().message();
  EXPECT_EQ(odd_back->vk.device_type, 9u);
}

TEST(VulkanFingerprintTest, ShortFormsAndCudaStringsAreUnchanged) {
  Result<Fingerprint> fp = ParseFingerprint(
      "backend=vulkan;vk_api=1.2;features=vk_bda,vk_int64;vk_wg_size=256,256,64;vk_type=cpu");
  ASSERT_TRUE(fp.ok()) << fp.status().message();
  EXPECT_EQ(fp->vk.api_version, (1u << 22) | (2u << 12));
  EXPECT_EQ(fp->vk.device_type, 4u);
  EXPECT_EQ(fp->vk.max_workgroup_size[2], 64u);
  EXPECT_EQ(fp->features, kFeatureVkBufferDeviceAddress | kFeatureVkInt64);
  // CUDA fingerprints gain no vk_* key.
  const std::string cuda = FingerprintToString(MakeCudaFingerprint(Arch{9, 0}, 12080));
  EXPECT_EQ(cuda.find("vk_"), std::string::npos) << cuda;
  EXPECT_EQ(cuda.substr(cuda.rfind(';') + 1),
            "features=coop_launch,bf16,cp_async,fp8,clusters,tma");
}

TEST(VulkanFingerprintTest, RejectsMalformedVulkanKeys) {
  const char* bad[] = {
      "backend=cuda;sm=90;vk_device=1",              // vulkan key on another backend
      "backend=cpu-reference;vk_api=1.3",            // same
      "backend=vulkan;vk_api=1",                     // no minor
      "backend=vulkan;vk_api=1.3.4.5",               // too many parts
      "backend=vulkan;vk_api=1.1024",                // minor overflows 10 bits
      "backend=vulkan;vk_api=1.3.",                  // empty patch
      "backend=vulkan;vk_api=a.b",                   // not numbers
      "backend=vulkan;vk_type=gpu",                  // unknown type name
      "backend=vulkan;vk_type=2",                    // known type written as a number
      "backend=vulkan;vk_cache_uuid=0011",           // short uuid
      "backend=vulkan;vk_wg_size=1,2",               // two sizes
      "backend=vulkan;vk_wg_size=1,2,3,4",           // four
      "backend=vulkan;vk_wg_size=1,,3",              // empty
      "backend=vulkan;vk_driver=0x100000000",        // overflows u32
      "backend=vulkan;vk_push=-4",                   // negative
      "backend=vulkan;vk_device=1;vk_device=2",      // repeated
      "backend=vulkan;features=vk_bda,vk_warp_mma",  // unknown feature
      "backend=vulkan;vk_subgroups=32",              // unknown key
  };
  for (const char* text : bad) {
    EXPECT_EQ(ParseFingerprint(text).status().code(), Code::kParseError) << text;
  }
}

TEST(VulkanFingerprintTest, VulkanFeatureNamesRoundTrip) {
  for (int bit = 9; bit < kNumNamedFeatures; ++bit) {
    const char* name = FeatureName(bit);
    ASSERT_NE(name, nullptr) << bit;
    EXPECT_EQ(std::string(name).rfind("vk_", 0), 0u) << name;
    Result<uint64_t> parsed = ParseFeatures(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, uint64_t{1} << bit) << name;
  }
  EXPECT_EQ(FeaturesString(kFeatureVkBf16 | kFeatureVkCoopMatrix), "vk_coop_matrix,vk_bf16");
  EXPECT_EQ(ParseFeatures("vk_bda,tma").value(), kFeatureVkBufferDeviceAddress | kFeatureTma);
}

TEST(VulkanFingerprintTest, HardKeyIsDeviceAndDriver) {
  const Fingerprint a = H100();
  Fingerprint b = a;
  b.name = "another board";
  b.memory_bytes = 1;
  b.uuid[0] ^= 1;
  b.smem_per_block = 1024;
  b.vk.subgroup_ops = 1;
  b.vk.pipeline_cache_uuid[3] ^= 1;  // keys the pipeline cache, not binaries in general
  EXPECT_EQ(HardKeyOf(a), HardKeyOf(b));
  EXPECT_EQ(HardKeyOf(a).ToString(), "backend=vulkan;device=10de:2330;driver=0x8a1c0000");
  const std::string key = HardKeyOf(a).ToString();
  EXPECT_EQ(HardKeyOf(a).Hash(), XXH3_64bits(key.data(), key.size()));
  Fingerprint other_device = a;
  other_device.vk.device_id = 0x2331;
  Fingerprint other_vendor = a;
  other_vendor.vendor_id = 0x1002;
  Fingerprint other_driver = a;
  other_driver.vk.driver_version += 1;
  for (const Fingerprint& c : {other_device, other_vendor, other_driver}) {
    EXPECT_NE(HardKeyOf(c), HardKeyOf(a));
    EXPECT_NE(HardKeyOf(c).Hash(), HardKeyOf(a).Hash());
  }
  // CUDA hard keys ignore the vulkan-only fields.
  Fingerprint cuda = MakeCudaFingerprint(Arch{9, 0}, 12080);
  Fingerprint cuda2 = cuda;
  cuda2.vendor_id = 0x1234;
  EXPECT_EQ(HardKeyOf(cuda), HardKeyOf(cuda2));
  EXPECT_EQ(HardKeyOf(cuda).ToString(), "backend=cuda;sm=90;driver=12080");
}

TEST(VulkanFingerprintTest, PipelineCacheHeaderIsCheckedAgainstTheDevice) {
  const Fingerprint fp = H100();
  std::vector<uint8_t> blob(48, 0x77);
  const uint32_t header[4] = {32, 1, fp.vendor_id, fp.vk.device_id};
  std::memcpy(blob.data(), header, sizeof header);
  std::memcpy(blob.data() + 16, fp.vk.pipeline_cache_uuid.data(), 16);
  EXPECT_TRUE(vulkan::CheckPipelineCacheHeader(blob, fp).ok());

  struct Case {
    size_t offset;  // the u32 or byte to change
    uint32_t value;
    bool is_byte;
    const char* why;
  };
  const Case cases[] = {
      {0, 16, false, "header size"}, {0, 49, false, "header size"},
      {4, 2, false, "version 2"},    {8, 0x1002, false, "device 0x1002"},
      {12, 0x2331, false, "0x2331"}, {20, 0, true, "UUID"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bad = blob;
    if (c.is_byte) {
      bad[c.offset] = static_cast<uint8_t>(c.value);
    } else {
      std::memcpy(bad.data() + c.offset, &c.value, 4);
    }
    const Status s = vulkan::CheckPipelineCacheHeader(bad, fp);
    EXPECT_FALSE(s.ok()) << c.why;
    EXPECT_NE(s.message().find(c.why), std::string::npos) << s.message();
  }
  EXPECT_FALSE(vulkan::CheckPipelineCacheHeader(std::span(blob.data(), 31), fp).ok());
  EXPECT_FALSE(vulkan::CheckPipelineCacheHeader({}, fp).ok());

  // The store key follows the device, the driver and the cache UUID.
  Fingerprint other = fp;
  other.vk.pipeline_cache_uuid[0] ^= 1;
  EXPECT_NE(vulkan::PipelineCacheKey(other), vulkan::PipelineCacheKey(fp));
  other = fp;
  other.vk.driver_version ^= 1;
  EXPECT_NE(vulkan::PipelineCacheKey(other), vulkan::PipelineCacheKey(fp));
  other = fp;
  other.name = "renamed";
  EXPECT_EQ(vulkan::PipelineCacheKey(other), vulkan::PipelineCacheKey(fp));
}

}  // namespace
}  // namespace hrt::select
