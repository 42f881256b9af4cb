#include "runtime/vulkan/vulkan_pipeline_cache.h"

#include <cstdio>
#include <cstring>

namespace hrt::vulkan {
namespace {

uint32_t ReadU32(std::span<const uint8_t> data, size_t offset) {
  uint32_t v = 0;
  std::memcpy(&v, data.data() + offset, sizeof v);  // host byte order, as the driver writes
  return v;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

cache::Key PipelineCacheKey(const select::Fingerprint& fp) {
  char arch[32];
  std::snprintf(arch, sizeof arch, "%04x:%04x", fp.vendor_id, fp.vk.device_id);
  return cache::KeyBuilder()
      .Backend("vulkan")
      .Arch(arch)
      .DriverVersion(Hex(fp.vk.driver_version) + "/" + std::to_string(fp.vk.driver_id))
      .CodegenVersion("vk-pipeline-cache-1")
      .Artifact("vk-pipeline-cache")
      .IrHash(fp.vk.pipeline_cache_uuid)
      .Build();
}

Status CheckPipelineCacheHeader(std::span<const uint8_t> data, const select::Fingerprint& fp) {
  if (data.size() < kPipelineCacheHeaderBytes) {
    return Status(Code::kCorruptData, "pipeline cache blob of " + std::to_string(data.size()) +
                                          " bytes is shorter than its header");
  }
  const uint32_t header_size = ReadU32(data, 0);
  if (header_size < kPipelineCacheHeaderBytes || header_size > data.size()) {
    return Status(Code::kCorruptData, "pipeline cache header size " + std::to_string(header_size) +
                                          " does not fit the blob (" + std::to_string(data.size()) +
                                          " bytes)");
  }
  const uint32_t version = ReadU32(data, 4);
  if (version != kPipelineCacheHeaderVersionOne) {
    return Status(Code::kVersionMismatch,
                  "pipeline cache header version " + std::to_string(version) + " (expected 1)");
  }
  const uint32_t vendor = ReadU32(data, 8);
  const uint32_t device = ReadU32(data, 12);
  if (vendor != fp.vendor_id || device != fp.vk.device_id) {
    return Status(Code::kVersionMismatch, "pipeline cache of device " + Hex(vendor) + ":" +
                                              Hex(device) + ", this one is " + Hex(fp.vendor_id) +
                                              ":" + Hex(fp.vk.device_id));
  }
  if (std::memcmp(data.data() + 16, fp.vk.pipeline_cache_uuid.data(), 16) != 0) {
    return Status(Code::kVersionMismatch,
                  "pipeline cache UUID differs from the driver's (another driver build)");
  }
  return Status::Ok();
}

}  // namespace hrt::vulkan
