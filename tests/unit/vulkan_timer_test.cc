// Device timers on the Vulkan backend (VkQueryPool timestamps): around a real
// vector_add launch submitted by helionrt and around one recorded into the
// caller's command buffer, the "not ready" answer before the caller submits,
// and the public C API on the registered Vulkan device.
//
// Runs on lavapipe in CI (mesa-vulkan-drivers) or any Vulkan 1.2 device;
// skips with the reason when there is none. When VK_LAYER_KHRONOS_validation
// is installed the devices run under it and must report no message.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/backend.h"
#include "runtime/vulkan/vulkan_api.h"
#include "runtime/vulkan/vulkan_backend.h"

#if HRT_HAVE_VULKAN
#include "runtime/vulkan/vulkan_device.h"
#include "runtime/vulkan/vulkan_instance.h"
#include "tests/unit/vulkan_test_probe.h"
#endif

namespace hrt::vulkan {
namespace {

#if HRT_HAVE_VULKAN

// A Vulkan device (under the validation layer when installed), vector_add
// bound for f32, and three device tensors of |n| floats.
class VulkanTimerTest : public ::testing::Test {
 protected:
  static constexpr int64_t kN = int64_t{1} << 20;

  void SetUp() override {
    if (TestProbe().devices.empty()) GTEST_SKIP() << TestProbe().unavailable_reason;
    static bool told = false;
    if (!told) {
      told = true;
      std::printf("Vulkan device: %s; validation layer %s\n", TestProbe().devices[0].name.c_str(),
                  ValidationLayerInstalled() ? "ON" : "not installed (checks skipped)");
    }
    runtime::DeviceCreateOptions options;
    options.cache_enabled = false;
    options.vulkan_validation = ValidationLayerInstalled();
    auto d = CreateDevice(TestProbe(), TestProbe().devices[0], options);
    ASSERT_TRUE(d.ok()) << d.status().message();
    device_ = *d;
    ASSERT_EQ(ValidationEnabled(device_), ValidationLayerInstalled());
    auto bound = testing::LoadAndBind("vector_add", ir::DType::kF32, "");
    ASSERT_TRUE(bound.ok()) << bound.status().message();
    bound_ = std::make_unique<ir::BoundKernel>(std::move(*bound));
    const runtime::DeviceVTable& vt = *device_->vtable;
    x_.resize(kN);
    y_.resize(kN);
    for (int64_t i = 0; i < kN; ++i) {
      x_[i] = static_cast<float>(i % 1000);
      y_[i] = 0.25f * static_cast<float>(i % 13);
    }
    for (uint64_t& a : addr_) ASSERT_TRUE(vt.alloc(device_, kN * 4, &a).ok());
    ASSERT_TRUE(vt.write(device_, addr_[0], x_.data(), kN * 4, nullptr).ok());
    ASSERT_TRUE(vt.write(device_, addr_[1], y_.data(), kN * 4, nullptr).ok());
    args_.assign(3, hrt_arg_t{});
    for (int i = 0; i < 3; ++i) {
      args_[i].kind = HRT_ARG_KIND_TENSOR;
      args_[i].value.tensor.address = addr_[i];
      args_[i].value.tensor.dtype = HRT_DTYPE_F32;
      args_[i].value.tensor.rank = 1;
      args_[i].value.tensor.shape[0] = kN;
      args_[i].value.tensor.strides[0] = 1;
    }
  }

  void TearDown() override {
    if (device_ == nullptr) return;
    const uint64_t count = ValidationMessageCount(device_);
    std::string text;
    for (const std::string& m : ValidationMessages(device_)) text += "\n  " + m;
    EXPECT_EQ(count, 0u) << "validation messages:" << text;
    device_->vtable->destroy(device_);
  }

  Status Launch(void* stream) {
    return device_->vtable->launch(device_, *bound_, args_, stream, 1, nullptr, nullptr);
  }

  // The output holds x + y.
  void ExpectSum() {
    std::vector<float> out(kN);
    ASSERT_TRUE(device_->vtable->read(device_, out.data(), addr_[2], kN * 4, nullptr).ok());
    for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(out[i], x_[i] + y_[i]) << i;
  }

  void ClearOutput() {
    std::vector<float> zeros(kN, 0.0f);
    ASSERT_TRUE(device_->vtable->write(device_, addr_[2], zeros.data(), kN * 4, nullptr).ok());
  }

  runtime::Device* device_ = nullptr;
  std::unique_ptr<ir::BoundKernel> bound_;
  std::vector<float> x_, y_;
  uint64_t addr_[3] = {};
  std::vector<hrt_arg_t> args_;
};

// A command buffer of the caller's own pool, in the recording state.
class CallerCommandBuffer {
 public:
  explicit CallerCommandBuffer(VulkanDevice& d) : api_(d.api()), h_(d.native()) {
    auto cpci = Info<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    cpci.queueFamilyIndex = h_.queue_family;
    EXPECT_EQ(api_.vkCreateCommandPool(h_.device, &cpci, nullptr, &pool_), VK_SUCCESS);
    auto cbai = Info<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    cbai.commandPool = pool_;
    cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cbai.commandBufferCount = 1;
    EXPECT_EQ(api_.vkAllocateCommandBuffers(h_.device, &cbai, &cmd_), VK_SUCCESS);
    auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    EXPECT_EQ(api_.vkBeginCommandBuffer(cmd_, &begin), VK_SUCCESS);
  }
  ~CallerCommandBuffer() { api_.vkDestroyCommandPool(h_.device, pool_, nullptr); }
  VkCommandBuffer get() const { return cmd_; }
  // Ends and submits the buffer (the caller's own submission, no fence).
  void Submit() {
    ASSERT_EQ(api_.vkEndCommandBuffer(cmd_), VK_SUCCESS);
    auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd_;
    ASSERT_EQ(api_.vkQueueSubmit(h_.queue, 1, &submit, VK_NULL_HANDLE), VK_SUCCESS);
  }

 private:
  const DeviceApi& api_;
  NativeHandles h_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
};

// Records start/stop around what |between| enqueues and returns the wait-read
// elapsed time.
template <typename F>
uint64_t Interval(runtime::Device* device, runtime::DeviceTimer* timer, F between) {
  const runtime::DeviceVTable& vt = *device->vtable;
  EXPECT_TRUE(vt.timer_record(device, timer, false, nullptr).ok());
  between();
  EXPECT_TRUE(vt.timer_record(device, timer, true, nullptr).ok());
  uint64_t ns = 0;
  const Status s = vt.timer_elapsed(device, timer, true, &ns);
  EXPECT_TRUE(s.ok()) << s.message();
  return ns;
}

TEST_F(VulkanTimerTest, TimesALaunchHelionrtSubmits) {
  const runtime::DeviceVTable& vt = *device_->vtable;
  runtime::DeviceTimer* timer = nullptr;
  const Status created = vt.timer_create(device_, &timer);
  ASSERT_TRUE(created.ok()) << created.message();
  ASSERT_TRUE(Launch(nullptr).ok());  // creates the pipeline outside the interval
  ASSERT_TRUE(vt.synchronize(device_, nullptr).ok());
  ASSERT_NO_FATAL_FAILURE(ClearOutput());

  const uint64_t busy = Interval(device_, timer, [&] {
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(Launch(nullptr).ok());
  });
  ASSERT_NO_FATAL_FAILURE(ExpectSum());
  EXPECT_GT(busy, 0u);
  // Nothing between the stamps: far shorter than four 1M-element launches.
  const uint64_t idle = Interval(device_, timer, [] {});
  EXPECT_LT(idle, busy);
  // Read again without waiting: both stamps are written by now.
  uint64_t again = 0;
  ASSERT_TRUE(vt.timer_elapsed(device_, timer, false, &again).ok());
  EXPECT_EQ(again, idle);
  vt.timer_destroy(device_, timer);
}

TEST_F(VulkanTimerTest, TimesALaunchInTheCallersCommandBuffer) {
  const runtime::DeviceVTable& vt = *device_->vtable;
  VulkanDevice& d = *AsVulkanDevice(device_);
  runtime::DeviceTimer* timer = nullptr;
  ASSERT_TRUE(vt.timer_create(device_, &timer).ok());
  uint64_t ns = 0;
  {
    CallerCommandBuffer cmd(d);
    ASSERT_TRUE(vt.timer_record(device_, timer, false, cmd.get()).ok());
    ASSERT_TRUE(Launch(cmd.get()).ok());
    ASSERT_TRUE(Launch(cmd.get()).ok());
    ASSERT_TRUE(vt.timer_record(device_, timer, true, cmd.get()).ok());
    // Recorded, not submitted: the device has not written anything.
    const Status early = vt.timer_elapsed(device_, timer, false, &ns);
    EXPECT_EQ(early.code(), Code::kUnavailable) << early.message();
    EXPECT_NE(early.message().find("not ready"), std::string::npos) << early.message();
    ASSERT_NO_FATAL_FAILURE(cmd.Submit());
    const Status s = vt.timer_elapsed(device_, timer, true, &ns);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_GT(ns, 0u);
    ASSERT_TRUE(vt.synchronize(device_, nullptr).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectSum());
  }
  {
    // A second interval: until it is submitted, the first interval's values
    // must not come back as its result.
    CallerCommandBuffer cmd(d);
    ASSERT_TRUE(vt.timer_record(device_, timer, false, cmd.get()).ok());
    ASSERT_TRUE(vt.timer_record(device_, timer, true, cmd.get()).ok());
    uint64_t stale = 0;
    EXPECT_EQ(vt.timer_elapsed(device_, timer, false, &stale).code(), Code::kUnavailable);
    ASSERT_NO_FATAL_FAILURE(cmd.Submit());
    uint64_t empty = 0;
    ASSERT_TRUE(vt.timer_elapsed(device_, timer, true, &empty).ok());
    EXPECT_LT(empty, ns) << "an empty interval against two 1M-element launches";
    ASSERT_TRUE(vt.synchronize(device_, nullptr).ok());
  }
  vt.timer_destroy(device_, timer);
}

// The start in helionrt's submission, the stop in the caller's buffer (and
// submitted after): mixed recording reads as one interval.
TEST_F(VulkanTimerTest, StartAndStopOnDifferentStreams) {
  const runtime::DeviceVTable& vt = *device_->vtable;
  VulkanDevice& d = *AsVulkanDevice(device_);
  runtime::DeviceTimer* timer = nullptr;
  ASSERT_TRUE(vt.timer_create(device_, &timer).ok());
  ASSERT_TRUE(vt.timer_record(device_, timer, false, nullptr).ok());
  ASSERT_TRUE(Launch(nullptr).ok());
  CallerCommandBuffer cmd(d);
  ASSERT_TRUE(vt.timer_record(device_, timer, true, cmd.get()).ok());
  uint64_t ns = 0;
  EXPECT_EQ(vt.timer_elapsed(device_, timer, false, &ns).code(), Code::kUnavailable);
  ASSERT_NO_FATAL_FAILURE(cmd.Submit());
  ASSERT_TRUE(vt.timer_elapsed(device_, timer, true, &ns).ok());
  EXPECT_GT(ns, 0u);
  ASSERT_TRUE(vt.synchronize(device_, nullptr).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectSum());
  vt.timer_destroy(device_, timer);
}

// The registered Vulkan device through hrt_timer_*, under the validation
// layer when installed (the option).
TEST(VulkanTimerApiTest, PublicApiTimesALaunch) {
  if (TestProbe().devices.empty()) GTEST_SKIP() << TestProbe().unavailable_reason;
  hrt_runtime_options_t options;
  ASSERT_EQ(hrt_runtime_options_init(&options), HRT_OK);
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_VULKAN);
  options.cache_dir = "";
  options.vulkan_validation = ValidationLayerInstalled() ? 1 : 0;
  hrt_runtime_t* rt = nullptr;
  ASSERT_EQ(hrt_runtime_create(&options, &rt), HRT_OK) << hrt_last_error_message();
  hrt_device_properties_t props{};
  props.struct_size = sizeof props;
  ASSERT_EQ(hrt_device_get_properties(rt, 0, &props), HRT_OK);
  if (props.backend != HRT_BACKEND_VULKAN) {
    hrt_runtime_destroy(rt);
    GTEST_SKIP() << "the registered Vulkan backend lists no device: "
                 << kVulkanBackendFactory.unavailable_reason();
  }
  hrt_module_t* module = nullptr;
  const std::string path = testing::KernelsDir() + "/vector_add.tile";
  ASSERT_EQ(hrt_module_load_file(rt, path.c_str(), &module), HRT_OK) << hrt_last_error_message();
  hrt_kernel_t* kernel = nullptr;
  ASSERT_EQ(hrt_module_get_kernel(module, "vector_add", &kernel), HRT_OK);
  const size_t n = size_t{1} << 20;
  uint64_t addr[3] = {};
  for (uint64_t& a : addr) ASSERT_EQ(hrt_device_alloc(rt, 0, n * 4, &a), HRT_OK);
  hrt_arg_t args[3] = {};
  for (int i = 0; i < 3; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = addr[i];
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = static_cast<int64_t>(n);
    args[i].value.tensor.strides[0] = 1;
  }
  hrt_launch_params_t params;
  ASSERT_EQ(hrt_launch_params_init(&params), HRT_OK);
  params.args = args;
  params.arg_count = 3;
  ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();

  hrt_timer_t* timer = nullptr;
  ASSERT_EQ(hrt_timer_create(rt, 0, &timer), HRT_OK) << hrt_last_error_message();
  ASSERT_EQ(hrt_timer_start(timer, nullptr), HRT_OK) << hrt_last_error_message();
  ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
  ASSERT_EQ(hrt_timer_stop(timer, nullptr), HRT_OK) << hrt_last_error_message();
  uint64_t ns = 0;
  hrt_status_t s = HRT_ERROR_UNAVAILABLE;
  // Not waiting: "not ready" (UNAVAILABLE) until the device gets there.
  for (int i = 0; i < 100000 && s == HRT_ERROR_UNAVAILABLE; ++i) {
    s = hrt_timer_elapsed_ns(timer, 0, &ns);
  }
  if (s != HRT_OK) {
    EXPECT_EQ(s, HRT_ERROR_UNAVAILABLE) << hrt_last_error_message();
    s = hrt_timer_elapsed_ns(timer, 1, &ns);
  }
  ASSERT_EQ(s, HRT_OK) << hrt_last_error_message();
  EXPECT_GT(ns, 0u);
  // The runtime stays while the timer lives.
  EXPECT_EQ(hrt_runtime_destroy(rt), HRT_ERROR_FAILED_PRECONDITION);
  EXPECT_EQ(hrt_timer_destroy(timer), HRT_OK);
  for (uint64_t a : addr) EXPECT_EQ(hrt_device_free(rt, 0, a), HRT_OK);
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
  EXPECT_EQ(hrt_runtime_destroy(rt), HRT_OK);
}

#else  // !HRT_HAVE_VULKAN

TEST(VulkanTimerTest, NeedsTheVulkanHeaders) {
  GTEST_SKIP() << "helionrt was built without the Vulkan headers";
}

#endif  // HRT_HAVE_VULKAN

}  // namespace
}  // namespace hrt::vulkan
