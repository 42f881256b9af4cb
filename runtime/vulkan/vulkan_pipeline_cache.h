// The VkPipelineCache blob kept in the helionrt cache (cache/store.h)
// between runs: its key, and the header check that runs before a stored blob
// reaches the driver (a blob of another device or driver, or a damaged one,
// is ignored, never handed over).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "cache/key.h"
#include "runtime/select/fingerprint.h"

namespace hrt::vulkan {

// Bytes of VkPipelineCacheHeaderVersionOne: headerSize, headerVersion,
// vendorID, deviceID (u32 each, host byte order), pipelineCacheUUID[16].
inline constexpr size_t kPipelineCacheHeaderBytes = 32;
inline constexpr uint32_t kPipelineCacheHeaderVersionOne = 1;

// The store key of the pipeline cache of a device with fingerprint |fp|:
// backend "vulkan", arch "vendor:device", driver version (driverVersion and
// driverID) and the pipelineCacheUUID (as the IR hash field).
cache::Key PipelineCacheKey(const select::Fingerprint& fp);

// OK when |data| starts with a version-one header naming the device of |fp|
// (vendorID, deviceID, pipelineCacheUUID) and a header size within |data|.
// kCorruptData / kVersionMismatch saying which field disagrees otherwise.
Status CheckPipelineCacheHeader(std::span<const uint8_t> data, const select::Fingerprint& fp);

}  // namespace hrt::vulkan
