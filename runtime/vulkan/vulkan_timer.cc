// Device timers: two VK_QUERY_TYPE_TIMESTAMP queries per timer, written with
// vkCmdWriteTimestamp into the caller's command buffer, or into one of the
// timer's two command buffers (start, stop) submitted on the device's queue.
//
// A query holds the value of its last write until it is reset, so a timer
// that is started again could report the previous interval before the new
// timestamps land. Starting a used timer therefore resets both queries first
// with a small submission that is waited for; from then on a query reads as
// "not ready" until its new timestamp is written.
#include "runtime/vulkan/vulkan_device.h"

#if HRT_HAVE_VULKAN

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

namespace hrt::vulkan {
namespace {

constexpr uint64_t kFenceTimeoutNs = uint64_t{600} * 1000000000u;
// How long a waiting read polls for timestamps recorded into a caller's
// command buffer (which may never be submitted).
constexpr auto kPollDeadline = std::chrono::seconds(600);

}  // namespace

struct VulkanDevice::Timer {
  VkQueryPool pool = VK_NULL_HANDLE;
  // The timer's own submissions: [0] start, [1] stop. |submitted|: the fence
  // will signal (the submission is in flight or done).
  std::array<VkCommandBuffer, 2> cmd{};
  std::array<VkFence, 2> fence{};
  std::array<bool, 2> submitted{};
  // Where each timestamp was last recorded: a caller's command buffer (which
  // the caller may not have submitted yet) or an own submission.
  std::array<bool, 2> in_caller{};
  bool used = false;  // written since the queries were last reset
  double period_ns = 1.0;
  uint64_t mask = ~uint64_t{0};
};

// Runs |record| in the timer's command buffer |index| and submits it (not
// waited for). Caller holds queue_mu_.
template <typename RecordFn>
static Status SubmitOwn(const DeviceApi& api, VkDevice device, VkQueue queue,
                        VulkanDevice::Timer* t, size_t index, RecordFn record);

Result<VulkanDevice::Timer*> VulkanDevice::CreateTimer() {
  const InstanceApi& iapi = instance_->api();
  VkPhysicalDeviceProperties props{};
  iapi.vkGetPhysicalDeviceProperties(info_.physical_device, &props);
  uint32_t family_count = 0;
  iapi.vkGetPhysicalDeviceQueueFamilyProperties(info_.physical_device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  iapi.vkGetPhysicalDeviceQueueFamilyProperties(info_.physical_device, &family_count,
                                                families.data());
  if (info_.queue_family >= family_count) {
    return Status(Code::kInternal, "the device's queue family index is out of range");
  }
  const uint32_t bits = families[info_.queue_family].timestampValidBits;
  if (bits == 0) {
    return Unsupported("device timers: queue family " + std::to_string(info_.queue_family) +
                       " of '" + info_.desc.name +
                       "' writes no timestamps (timestampValidBits is 0)");
  }
  auto t = std::make_unique<Timer>();
  t->period_ns = static_cast<double>(props.limits.timestampPeriod);
  t->mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;

  // From here on DestroyTimer releases whatever was created.
  auto fail = [&](Status s) -> Result<Timer*> {
    DestroyTimer(t.release());
    return s.Annotate("device timer");
  };
  auto qpci = Info<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
  qpci.queryType = VK_QUERY_TYPE_TIMESTAMP;
  qpci.queryCount = 2;
  Status s =
      VkStatus(api_.vkCreateQueryPool(device_, &qpci, nullptr, &t->pool), "vkCreateQueryPool");
  if (!s.ok()) return fail(s);
  {
    // The command pool is externally synchronized with the launches' use.
    std::lock_guard<std::mutex> lock(queue_mu_);
    auto cbai = Info<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    cbai.commandPool = pool_;
    cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cbai.commandBufferCount = 2;
    s = VkStatus(api_.vkAllocateCommandBuffers(device_, &cbai, t->cmd.data()),
                 "vkAllocateCommandBuffers");
    for (VkFence& f : t->fence) {
      if (!s.ok()) break;
      auto fci = Info<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
      s = VkStatus(api_.vkCreateFence(device_, &fci, nullptr, &f), "vkCreateFence");
    }
    // Queries start in an undefined state: reset them so that reading
    // before the first timestamps is a clean "not ready".
    if (s.ok()) {
      s = SubmitOwn(api_, device_, queue_, t.get(), 0,
                    [&](VkCommandBuffer cmd) { api_.vkCmdResetQueryPool(cmd, t->pool, 0, 2); });
    }
    if (s.ok()) {
      s = VkStatus(api_.vkWaitForFences(device_, 1, &t->fence[0], VK_TRUE, kFenceTimeoutNs),
                   "vkWaitForFences");
    }
  }
  if (!s.ok()) return fail(s);
  return t.release();
}

void VulkanDevice::DestroyTimer(Timer* t) {
  if (t == nullptr) return;
  std::lock_guard<std::mutex> lock(queue_mu_);
  for (size_t i = 0; i < 2; ++i) {
    // The pool and command buffers must not be in use by the device.
    if (t->submitted[i]) {
      (void)api_.vkWaitForFences(device_, 1, &t->fence[i], VK_TRUE, kFenceTimeoutNs);
    }
    if (t->fence[i] != VK_NULL_HANDLE) api_.vkDestroyFence(device_, t->fence[i], nullptr);
  }
  if (t->cmd[0] != VK_NULL_HANDLE) api_.vkFreeCommandBuffers(device_, pool_, 2, t->cmd.data());
  if (t->pool != VK_NULL_HANDLE) api_.vkDestroyQueryPool(device_, t->pool, nullptr);
  delete t;
}

template <typename RecordFn>
static Status SubmitOwn(const DeviceApi& api, VkDevice device, VkQueue queue,
                        VulkanDevice::Timer* t, size_t index, RecordFn record) {
  VkFence& fence = t->fence[index];
  VkCommandBuffer cmd = t->cmd[index];
  if (t->submitted[index]) {
    // The previous use of this command buffer: a timestamp, long written in
    // the usual start-stop-read cycle.
    HRT_RETURN_IF_ERROR(VkStatus(api.vkWaitForFences(device, 1, &fence, VK_TRUE, kFenceTimeoutNs),
                                 "vkWaitForFences"));
    HRT_RETURN_IF_ERROR(VkStatus(api.vkResetFences(device, 1, &fence), "vkResetFences"));
    t->submitted[index] = false;
  }
  HRT_RETURN_IF_ERROR(VkStatus(api.vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer"));
  auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  HRT_RETURN_IF_ERROR(VkStatus(api.vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer"));
  record(cmd);
  HRT_RETURN_IF_ERROR(VkStatus(api.vkEndCommandBuffer(cmd), "vkEndCommandBuffer"));
  auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  HRT_RETURN_IF_ERROR(VkStatus(api.vkQueueSubmit(queue, 1, &submit, fence), "vkQueueSubmit"));
  t->submitted[index] = true;
  return Status::Ok();
}

Status VulkanDevice::RecordTimestamp(Timer* t, bool stop, VkCommandBuffer command_buffer) {
  const uint32_t query = stop ? 1 : 0;
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (!stop && t->used) {
    // A new interval: the previous one's values must not be read as its
    // result (see the top of the file). Own submissions of the previous
    // interval finish first (SubmitOwn waits for fence 0; fence 1 here).
    if (t->submitted[1]) {
      HRT_RETURN_IF_ERROR(
          VkStatus(api_.vkWaitForFences(device_, 1, &t->fence[1], VK_TRUE, kFenceTimeoutNs),
                   "vkWaitForFences"));
    }
    HRT_RETURN_IF_ERROR(SubmitOwn(api_, device_, queue_, t, 0, [&](VkCommandBuffer cmd) {
      api_.vkCmdResetQueryPool(cmd, t->pool, 0, 2);
    }));
    HRT_RETURN_IF_ERROR(
        VkStatus(api_.vkWaitForFences(device_, 1, &t->fence[0], VK_TRUE, kFenceTimeoutNs),
                 "vkWaitForFences"));
    t->used = false;
  }
  // Each write is preceded by its own reset, so recording the same stamp
  // twice (stop, stop) is valid Vulkan. BOTTOM_OF_PIPE: the timestamp is
  // taken once every command before it has completed, as a CUDA event.
  auto record = [&](VkCommandBuffer cmd) {
    api_.vkCmdResetQueryPool(cmd, t->pool, query, 1);
    api_.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, t->pool, query);
  };
  if (command_buffer != VK_NULL_HANDLE) {
    record(command_buffer);
  } else {
    HRT_RETURN_IF_ERROR(SubmitOwn(api_, device_, queue_, t, query, record));
  }
  t->in_caller[query] = command_buffer != VK_NULL_HANDLE;
  t->used = true;
  return Status::Ok();
}

Status VulkanDevice::TimerElapsed(Timer* t, bool wait, uint64_t* elapsed_ns) {
  std::array<uint64_t, 2> ticks{};
  auto get = [&](VkQueryResultFlags flags) {
    return api_.vkGetQueryPoolResults(device_, t->pool, 0, 2, sizeof ticks, ticks.data(),
                                      sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | flags);
  };
  VkResult r = VK_NOT_READY;
  if (wait && !t->in_caller[0] && !t->in_caller[1]) {
    // Both were submitted here: they will be written.
    r = get(VK_QUERY_RESULT_WAIT_BIT);
  } else if (wait) {
    // A caller's command buffer may never be submitted: poll, with a bound.
    const auto deadline = std::chrono::steady_clock::now() + kPollDeadline;
    auto pause = std::chrono::microseconds(20);
    while ((r = get(0)) == VK_NOT_READY && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
    if (r == VK_NOT_READY) {
      return Status(Code::kUnavailable,
                    "not ready: the timestamps were not written within 600 s (was the command "
                    "buffer they were recorded into submitted?)");
    }
  } else {
    r = get(0);
  }
  if (r == VK_NOT_READY) {
    return Status(Code::kUnavailable, "not ready: the device has not written both timestamps yet");
  }
  HRT_RETURN_IF_ERROR(VkStatus(r, "vkGetQueryPoolResults"));
  // Masking keeps the difference right when the counter wrapped between the
  // two stamps (timestampValidBits < 64).
  const uint64_t delta = (ticks[1] - ticks[0]) & t->mask;
  *elapsed_ns = static_cast<uint64_t>(std::llround(static_cast<double>(delta) * t->period_ns));
  return Status::Ok();
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
