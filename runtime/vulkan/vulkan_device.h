// One Vulkan device: its logical device and compute queue, device memory
// addressed by buffer device addresses, compute pipelines made from SPIR-V
// (generated from the tile IR, or a bundle's SPIR-V variant), and the
// persistent VkPipelineCache. docs/vulkan-backend.md describes the design.
//
// Threads: every method may be called from any thread. Launches and copies
// take the queue lock (Vulkan requires queue access to be externally
// synchronized); memory bookkeeping has its own lock; known pipelines are
// found without a lock or allocation.
#pragma once

#include "runtime/vulkan/vulkan_api.h"

#if HRT_HAVE_VULKAN

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "cache/store.h"
#include "codegen/ir/bind.h"
#include "codegen/spirv/abi.h"
#include "runtime/backend.h"
#include "runtime/vulkan/vulkan_device_info.h"
#include "runtime/vulkan/vulkan_instance.h"

namespace hrt::vulkan {

struct DeviceOptions {
  bool validation = false;  // VK_LAYER_KHRONOS_validation (own instance only)
  // The persistent pipeline cache (cache/store.h) at |cache_dir| (empty: the
  // store's default location).
  bool cache_enabled = false;
  std::string cache_dir;
  // The host engine's objects, borrowed (see runtime::DeviceCreateOptions).
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  // Tests: a push-constant limit below the device's (0: the device's), to
  // send arguments through the argument buffer.
  uint32_t max_push_constant_bytes = 0;
};

// A compute pipeline for one (code id, bound kernel).
struct Pipeline {
  std::string origin;  // "SPIR-V generated from the tile IR", ...
  std::string entry_name;
  size_t spirv_bytes = 0;
  spirv::ArgLayout args;
  VkShaderModule module = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  const char* cache_result = "off";  // "hit", "miss", "off", "unknown"
};

// The Vulkan handles a device runs on (borrowed or its own).
struct NativeHandles {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
};

class VulkanDevice {
 public:
  // Creates the device described by |desc| (from the backend's enumeration):
  // its own instance unless |options| borrow one, the physical device found
  // by UUID, the logical device unless borrowed.
  static Result<std::unique_ptr<VulkanDevice>> Create(std::shared_ptr<const Library> library,
                                                      const runtime::DeviceDesc& desc,
                                                      const DeviceOptions& options);
  // Waits for the queue, saves the pipeline cache, releases everything it
  // created (borrowed objects are left alone).
  ~VulkanDevice();
  VulkanDevice(const VulkanDevice&) = delete;
  VulkanDevice& operator=(const VulkanDevice&) = delete;

  const PhysicalDeviceInfo& info() const { return info_; }
  NativeHandles native() const;
  // The device-level entry points (for recording into the engine's own
  // command buffers in tests and tools).
  const DeviceApi& api() const { return api_; }
  // Emitter options for this device (its limits and enabled features).
  spirv::SpirvOptions spirv_options() const;

  // Memory (runtime::DeviceVTable semantics).
  Status Alloc(uint64_t size, uint64_t* out_address);
  Status Free(uint64_t address);
  Status Write(uint64_t dst, const void* src, uint64_t size);
  Status Read(void* dst, uint64_t src, uint64_t size);
  // Waits until the queue is idle (helionrt's launches and any other work
  // submitted to it).
  Status Synchronize();

  // The launch path: the pipeline of (|code_id|, |kernel|) is created on
  // first use (from |code|'s SPIR-V payload, or generated from |kernel| when
  // |code| is NULL) and reused. |command_buffer| NULL: recorded into an
  // internal command buffer and submitted (not waited for);
  // otherwise recorded into the caller's command buffer, which must be in
  // the recording state (the caller submits it).
  Status LaunchBound(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
                     VkCommandBuffer command_buffer, uint64_t code_id,
                     const runtime::LaunchCode* code, const uint32_t* grid);
  // Finds or creates the pipeline (what LaunchBound does first).
  Result<const Pipeline*> GetPipeline(uint64_t code_id, const ir::BoundKernel& kernel,
                                      const runtime::LaunchCode* code);
  // "SPIR-V generated from the tile IR (12.3 KB), pipeline created (pipeline
  // cache: hit)"; empty before the first launch of (|code_id|, |kernel|).
  std::string DescribeCode(const ir::BoundKernel& kernel, uint64_t code_id) const;

  // Writes the driver's pipeline cache to the store now (also done by the
  // destructor). No-op when the cache is off.
  Status SavePipelineCache();
  // What happened to the stored pipeline cache at creation: "loaded 1234
  // bytes", "empty: nothing stored yet", "ignored a stored entry: <why>",
  // "off: <why>".
  const std::string& pipeline_cache_status() const { return pipeline_cache_status_; }

  bool validation() const { return instance_ != nullptr && instance_->validation(); }
  uint64_t validation_message_count() const;
  std::vector<std::string> validation_messages() const;

  // Device timers (vulkan_timer.cc; runtime::DeviceVTable::timer_*): a
  // VkQueryPool of two timestamps, written by vkCmdWriteTimestamp into the
  // caller's command buffer or into the timer's own small submissions.
  struct Timer;
  // kUnsupported when the queue family writes no timestamps
  // (timestampValidBits 0).
  Result<Timer*> CreateTimer();
  // Waits for the timer's own submissions; command buffers of the caller
  // that recorded it must have completed or been freed.
  void DestroyTimer(Timer* timer);
  // |command_buffer| NULL: submitted on the queue (not waited for).
  Status RecordTimestamp(Timer* timer, bool stop, VkCommandBuffer command_buffer);
  // kUnavailable ("not ready") when |wait| is false and a timestamp is not
  // written yet.
  Status TimerElapsed(Timer* timer, bool wait, uint64_t* elapsed_ns);

 private:
  VulkanDevice() = default;

  struct Allocation {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint64_t base = 0;          // the buffer's device address (<= the key)
    uint64_t size = 0;          // usable bytes from the key
    uint8_t* mapped = nullptr;  // at the key; null when not host-visible
  };
  struct RawBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint64_t address = 0;
    uint8_t* mapped = nullptr;
  };
  // A command buffer of the internal ring and the fence of its last submit.
  struct Slot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    bool submitted = false;
  };
  struct TableEntry {
    uint64_t code_id = 0;
    const ir::BoundKernel* key = nullptr;
    std::string kernel_name;
    std::vector<std::pair<std::string, int64_t>> config;
    std::unique_ptr<Pipeline> pipeline;
  };
  static constexpr size_t kTableSlots = 256;
  static constexpr size_t kRingSlots = 8;
  static constexpr uint32_t kArgSlots = 64;
  static constexpr uint32_t kArgSlotBytes = 4096;
  static constexpr uint64_t kStagingBytes = uint64_t{8} << 20;

  Status Init(const runtime::DeviceDesc& desc, const DeviceOptions& options);
  Status CreateLogicalDevice();
  Status ResolveDeviceApi();
  Status CreateQueueObjects();
  void OpenPipelineCache(bool enabled, const std::string& dir);
  void DestroyPipeline(Pipeline* p);

  // Memory helpers (vulkan_memory.cc).
  Result<RawBuffer> CreateBuffer(uint64_t size, VkBufferUsageFlags usage, bool host_visible);
  void DestroyBuffer(const RawBuffer& b);
  // The allocation holding [address, address + size) and its handed-out
  // address; kInvalidArgument when none does.
  Status Lookup(uint64_t address, uint64_t size, uint64_t* out_key, Allocation* out) const;
  // Creates the staging buffer on first use. Caller holds queue_mu_.
  Status EnsureStaging();
  // Records with |record| into the transfer command buffer, submits and
  // waits. Caller holds queue_mu_.
  template <typename Record>
  Status SubmitAndWait(Record record);

  // Launch helpers (vulkan_pipeline.cc).
  static bool Matches(const TableEntry& e, uint64_t code_id, const ir::BoundKernel& kernel);
  static size_t SlotOf(uint64_t code_id, const ir::BoundKernel& kernel);
  const Pipeline* Find(uint64_t code_id, const ir::BoundKernel& kernel) const;
  Result<std::unique_ptr<Pipeline>> CreatePipeline(const ir::BoundKernel& kernel,
                                                   const runtime::LaunchCode* code);
  void Record(VkCommandBuffer cmd, const Pipeline& p, std::span<const uint8_t> block,
              const std::array<uint32_t, 3>& grid);

  std::unique_ptr<Instance> instance_;
  PhysicalDeviceInfo info_;
  DeviceApi api_;
  VkDevice device_ = VK_NULL_HANDLE;
  bool owns_device_ = false;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t max_push_constant_bytes_ = 0;
  VkPhysicalDeviceMemoryProperties memory_props_{};

  // Queue, ring and transfer objects; guarded by queue_mu_.
  std::mutex queue_mu_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  std::array<Slot, kRingSlots> ring_{};
  size_t ring_next_ = 0;
  Slot transfer_;
  RawBuffer staging_;  // created on first use
  RawBuffer arg_buffer_;
  uint32_t arg_next_ = 0;

  // Allocations by the address handed out; guarded by memory_mu_.
  mutable std::mutex memory_mu_;
  std::map<uint64_t, Allocation> allocations_;

  // Pipelines: open addressing on (code id, bound kernel address); entries
  // are published once and live as long as the device.
  std::array<std::atomic<TableEntry*>, kTableSlots> table_{};
  mutable std::mutex insert_mu_;
  std::vector<std::unique_ptr<TableEntry>> owned_;  // guarded by insert_mu_

  // The persistent pipeline cache.
  std::unique_ptr<cache::Store> store_;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  std::string pipeline_cache_status_;
};

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
