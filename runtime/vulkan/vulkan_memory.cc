// Device memory: one VkBuffer (with its own memory) per allocation, addressed
// by its buffer device address; copies through a mapping when the memory is
// host-visible and coherent, else through a staging buffer.
#include "runtime/vulkan/vulkan_device.h"

#if HRT_HAVE_VULKAN

#include <algorithm>
#include <cstring>

namespace hrt::vulkan {
namespace {

constexpr uint64_t kAlignment = 256;  // what DeviceVTable::alloc promises
constexpr uint64_t kFenceTimeoutNs = uint64_t{600} * 1000000000u;
constexpr VkMemoryPropertyFlags kHostCoherent =
    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

// A barrier making every earlier compute and transfer write available and
// visible to |dst_stages| / |dst_access|.
void Barrier(const DeviceApi& api, VkCommandBuffer cmd, VkPipelineStageFlags dst_stages,
             VkAccessFlags dst_access) {
  auto b = Info<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  b.dstAccessMask = dst_access;
  api.vkCmdPipelineBarrier(cmd,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                           dst_stages, 0, 1, &b, 0, nullptr, 0, nullptr);
}

}  // namespace

Result<VulkanDevice::RawBuffer> VulkanDevice::CreateBuffer(uint64_t size, VkBufferUsageFlags usage,
                                                           bool host_visible) {
  RawBuffer b;
  auto bci = Info<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  bci.size = size;
  bci.usage =
      usage | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkCreateBuffer(device_, &bci, nullptr, &b.buffer), "vkCreateBuffer"));
  VkMemoryRequirements req{};
  api_.vkGetBufferMemoryRequirements(device_, b.buffer, &req);

  // Preference: host-visible coherent memory when asked for (staging);
  // otherwise device-local memory of the largest device-local heap, mapped
  // when it is also host-visible (unified memory, resizable BAR, lavapipe).
  const VkPhysicalDeviceMemoryProperties& mp = memory_props_;
  uint32_t largest_heap = 0;
  for (uint32_t h = 0; h < mp.memoryHeapCount; ++h) {
    if ((mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
        mp.memoryHeaps[h].size > mp.memoryHeaps[largest_heap].size) {
      largest_heap = h;
    }
  }
  auto score = [&](uint32_t t) -> int {
    if (!(req.memoryTypeBits & (1u << t))) return -1;
    const VkMemoryPropertyFlags f = mp.memoryTypes[t].propertyFlags;
    const bool coherent = (f & kHostCoherent) == kHostCoherent;
    const bool local = (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) != 0;
    if (host_visible) return coherent ? (local ? 2 : 3) : -1;
    int s = 0;
    if (local) s += 4;
    if (local && mp.memoryTypes[t].heapIndex == largest_heap) s += 2;
    if (coherent) s += 1;
    return s;
  };
  int best = -1;
  uint32_t type = 0;
  for (uint32_t t = 0; t < mp.memoryTypeCount; ++t) {
    if (score(t) > best) {
      best = score(t);
      type = t;
    }
  }
  if (best < 0) {
    api_.vkDestroyBuffer(device_, b.buffer, nullptr);
    return Status(Code::kOutOfMemory, host_visible ? "no host-visible coherent memory type"
                                                   : "no memory type for a storage buffer");
  }
  auto flags = Info<VkMemoryAllocateFlagsInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO);
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  auto mai = Info<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
  mai.pNext = &flags;
  mai.allocationSize = req.size;
  mai.memoryTypeIndex = type;
  Status s = VkStatus(api_.vkAllocateMemory(device_, &mai, nullptr, &b.memory),
                      "vkAllocateMemory(" + std::to_string(req.size) + " bytes)");
  if (s.ok())
    s = VkStatus(api_.vkBindBufferMemory(device_, b.buffer, b.memory, 0), "vkBindBufferMemory");
  if (s.ok() && (mp.memoryTypes[type].propertyFlags & kHostCoherent) == kHostCoherent) {
    void* mapped = nullptr;
    s = VkStatus(api_.vkMapMemory(device_, b.memory, 0, VK_WHOLE_SIZE, 0, &mapped), "vkMapMemory");
    b.mapped = static_cast<uint8_t*>(mapped);
  }
  if (!s.ok()) {
    DestroyBuffer(b);
    return s;
  }
  auto bdai = Info<VkBufferDeviceAddressInfo>(VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO);
  bdai.buffer = b.buffer;
  b.address = api_.vkGetBufferDeviceAddress(device_, &bdai);
  return b;
}

void VulkanDevice::DestroyBuffer(const RawBuffer& b) {
  if (b.buffer != VK_NULL_HANDLE) api_.vkDestroyBuffer(device_, b.buffer, nullptr);
  if (b.memory != VK_NULL_HANDLE) api_.vkFreeMemory(device_, b.memory, nullptr);  // unmaps
}

Status VulkanDevice::Alloc(uint64_t size, uint64_t* out_address) {
  if (size == 0 || out_address == nullptr) return InvalidArgument("alloc of 0 bytes");
  if (size > (uint64_t{1} << 62)) return OutOfRange("allocation size too large");
  const uint64_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  constexpr VkBufferUsageFlags kUsage =
      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  HRT_ASSIGN_OR_RETURN(RawBuffer b, CreateBuffer(rounded, kUsage, /*host_visible=*/false));
  uint64_t address = b.address;
  if (address % kAlignment != 0) {
    // Drivers align buffer addresses to far more in practice; if one does
    // not, take a larger buffer and hand out its first aligned address.
    DestroyBuffer(b);
    HRT_ASSIGN_OR_RETURN(b, CreateBuffer(rounded + kAlignment, kUsage, false));
    address = (b.address + kAlignment - 1) / kAlignment * kAlignment;
  }
  Allocation a;
  a.buffer = b.buffer;
  a.memory = b.memory;
  a.base = b.address;
  a.size = rounded;
  a.mapped = b.mapped != nullptr ? b.mapped + (address - b.address) : nullptr;
  {
    std::lock_guard<std::mutex> lock(memory_mu_);
    allocations_[address] = a;
  }
  *out_address = address;
  return Status::Ok();
}

Status VulkanDevice::Free(uint64_t address) {
  Allocation a;
  {
    std::lock_guard<std::mutex> lock(memory_mu_);
    auto it = allocations_.find(address);
    if (it == allocations_.end()) {
      return InvalidArgument("free of an address this device did not allocate");
    }
    a = it->second;
    allocations_.erase(it);
  }
  DestroyBuffer(RawBuffer{a.buffer, a.memory, a.base, nullptr});
  return Status::Ok();
}

Status VulkanDevice::Lookup(uint64_t address, uint64_t size, uint64_t* out_key,
                            Allocation* out) const {
  std::lock_guard<std::mutex> lock(memory_mu_);
  auto it = allocations_.upper_bound(address);
  if (it != allocations_.begin()) {
    --it;
    const uint64_t offset = address - it->first;
    if (offset <= it->second.size && size <= it->second.size - offset) {
      *out_key = it->first;
      *out = it->second;
      return Status::Ok();
    }
  }
  return InvalidArgument("range outside this device's allocations");
}

template <typename RecordFn>
Status VulkanDevice::SubmitAndWait(RecordFn record) {
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkResetFences(device_, 1, &transfer_.fence), "vkResetFences"));
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkResetCommandBuffer(transfer_.cmd, 0), "vkResetCommandBuffer"));
  auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkBeginCommandBuffer(transfer_.cmd, &begin), "vkBeginCommandBuffer"));
  record(transfer_.cmd);
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkEndCommandBuffer(transfer_.cmd), "vkEndCommandBuffer"));
  auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &transfer_.cmd;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkQueueSubmit(queue_, 1, &submit, transfer_.fence), "vkQueueSubmit"));
  return VkStatus(api_.vkWaitForFences(device_, 1, &transfer_.fence, VK_TRUE, kFenceTimeoutNs),
                  "vkWaitForFences");
}

Status VulkanDevice::Write(uint64_t dst, const void* src, uint64_t size) {
  if (size == 0) return Status::Ok();
  Allocation a;
  uint64_t key = 0;
  HRT_RETURN_IF_ERROR(Lookup(dst, size, &key, &a).Annotate("write"));
  std::lock_guard<std::mutex> lock(queue_mu_);
  // Earlier work may still read the bytes being replaced.
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkQueueWaitIdle(queue_), "vkQueueWaitIdle"));
  if (a.mapped != nullptr) {
    // Host writes made before a submission are visible to it (the host
    // write ordering guarantee of vkQueueSubmit).
    std::memcpy(a.mapped + (dst - key), src, size);
    return Status::Ok();
  }
  HRT_RETURN_IF_ERROR(EnsureStaging());
  const uint64_t buffer_offset = dst - a.base;
  const auto* from = static_cast<const uint8_t*>(src);
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(kStagingBytes, size - done);
    std::memcpy(staging_.mapped, from + done, n);
    const VkBufferCopy region{0, buffer_offset + done, n};
    HRT_RETURN_IF_ERROR(SubmitAndWait([&](VkCommandBuffer cmd) {
      Barrier(api_, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
      api_.vkCmdCopyBuffer(cmd, staging_.buffer, a.buffer, 1, &region);
    }));
    done += n;
  }
  return Status::Ok();
}

Status VulkanDevice::Read(void* dst, uint64_t src, uint64_t size) {
  if (size == 0) return Status::Ok();
  Allocation a;
  uint64_t key = 0;
  HRT_RETURN_IF_ERROR(Lookup(src, size, &key, &a).Annotate("read"));
  std::lock_guard<std::mutex> lock(queue_mu_);
  auto* to = static_cast<uint8_t*>(dst);
  if (a.mapped != nullptr) {
    // Waits for everything queued (engine work included) and makes device
    // writes visible to the host.
    HRT_RETURN_IF_ERROR(SubmitAndWait([&](VkCommandBuffer cmd) {
      Barrier(api_, cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    }));
    std::memcpy(to, a.mapped + (src - key), size);
    return Status::Ok();
  }
  HRT_RETURN_IF_ERROR(EnsureStaging());
  const uint64_t buffer_offset = src - a.base;
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(kStagingBytes, size - done);
    const VkBufferCopy region{buffer_offset + done, 0, n};
    HRT_RETURN_IF_ERROR(SubmitAndWait([&](VkCommandBuffer cmd) {
      Barrier(api_, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
      api_.vkCmdCopyBuffer(cmd, a.buffer, staging_.buffer, 1, &region);
      Barrier(api_, cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    }));
    std::memcpy(to + done, staging_.mapped, n);
    done += n;
  }
  return Status::Ok();
}

Status VulkanDevice::EnsureStaging() {
  if (staging_.buffer != VK_NULL_HANDLE) return Status::Ok();
  HRT_ASSIGN_OR_RETURN(
      staging_, CreateBuffer(kStagingBytes,
                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             /*host_visible=*/true));
  return Status::Ok();
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
