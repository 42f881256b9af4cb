// hrt_timer_* on a CUDA device (two CUevents): a launch timed on a stream
// the test creates, and the "not ready" answer while the stop event is held
// back behind a host function that waits for the test's signal. Then the
// backend's gated timers (cuda_timer.h), which the serving tuner uses: the
// host's time before the stop stays out of the interval.
#include "runtime/cuda/cuda_timer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_driver.h"

namespace hrt::cuda {
namespace {

#define ASSERT_OK(call) ASSERT_EQ((call), HRT_OK) << #call << ": " << hrt_last_error_message()

// cuLaunchHostFunc, which the backend does not use: resolved here.
using HostFn = void (*)(void*);
using LaunchHostFuncFn = CUresult (*)(CUstream, HostFn, void*);

class CudaTimerTest : public ::testing::Test {
 protected:
  static constexpr int64_t kN = int64_t{1} << 24;

  void SetUp() override {
    const Probe& probe = SharedProbe();
    if (probe.devices.empty()) GTEST_SKIP() << "no CUDA device: " << probe.unavailable_reason;
    driver_ = probe.driver.get();
    const DriverApi& api = driver_->api();
    ASSERT_EQ(api.DevicePrimaryCtxRetain(&context_, probe.devices[0].device), CUDA_SUCCESS);
    ASSERT_EQ(api.CtxPushCurrent(context_), CUDA_SUCCESS);
    ASSERT_EQ(api.StreamCreate(&stream_, CU_STREAM_NON_BLOCKING), CUDA_SUCCESS);

    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CUDA);
    options.cache_dir = "";
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    hrt_device_properties_t p{};
    p.struct_size = sizeof p;
    ASSERT_OK(hrt_device_get_properties(rt_, 0, &p));
    ASSERT_EQ(p.backend, HRT_BACKEND_CUDA);
    const std::string path = testing::KernelsDir() + "/vector_add.tile";
    ASSERT_OK(hrt_module_load_file(rt_, path.c_str(), &module_));
    ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &kernel_));
    for (uint64_t& a : addr_) ASSERT_OK(hrt_device_alloc(rt_, 0, kN * 4, &a));
    std::vector<float> x(kN), y(kN);
    for (int64_t i = 0; i < kN; ++i) {
      x[i] = static_cast<float>(i % 1000);
      y[i] = 2.0f;
    }
    ASSERT_OK(hrt_device_write(rt_, 0, addr_[0], x.data(), kN * 4, nullptr));
    ASSERT_OK(hrt_device_write(rt_, 0, addr_[1], y.data(), kN * 4, nullptr));
    for (int i = 0; i < 3; ++i) {
      args_[i].kind = HRT_ARG_KIND_TENSOR;
      args_[i].value.tensor.address = addr_[i];
      args_[i].value.tensor.dtype = HRT_DTYPE_F32;
      args_[i].value.tensor.rank = 1;
      args_[i].value.tensor.shape[0] = kN;
      args_[i].value.tensor.strides[0] = 1;
    }
    ASSERT_OK(hrt_launch_params_init(&params_));
    params_.stream = stream_;
    params_.args = args_;
    params_.arg_count = 3;
    ASSERT_OK(hrt_kernel_launch(kernel_, &params_));  // JIT outside the intervals
    ASSERT_OK(hrt_device_synchronize(rt_, 0, stream_));
  }

  void TearDown() override {
    if (rt_ != nullptr) {
      for (uint64_t a : addr_) {
        if (a != 0) {
          EXPECT_EQ(hrt_device_free(rt_, 0, a), HRT_OK);
        }
      }
      if (module_ != nullptr) {
        EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
      }
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK) << hrt_last_error_message();
    }
    if (driver_ == nullptr) return;
    const DriverApi& api = driver_->api();
    if (stream_ != nullptr) (void)api.StreamDestroy(stream_);
    CUcontext popped = nullptr;
    (void)api.CtxPopCurrent(&popped);
    (void)api.DevicePrimaryCtxRelease(SharedProbe().devices[0].device);
  }

  void ExpectSum() {
    std::vector<float> out(kN);
    ASSERT_OK(hrt_device_read(rt_, 0, out.data(), addr_[2], kN * 4, stream_));
    for (int64_t i = 0; i < kN; i += 4099) {
      ASSERT_EQ(out[i], static_cast<float>(i % 1000) + 2.0f) << i;
    }
  }

  const Driver* driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
  hrt_kernel_t* kernel_ = nullptr;
  uint64_t addr_[3] = {};
  hrt_arg_t args_[3] = {};
  hrt_launch_params_t params_{};
};

TEST_F(CudaTimerTest, TimesALaunchOnTheCallersStream) {
  hrt_timer_t* timer = nullptr;
  ASSERT_OK(hrt_timer_create(rt_, 0, &timer));
  ASSERT_OK(hrt_timer_start(timer, stream_));
  for (int i = 0; i < 4; ++i) ASSERT_OK(hrt_kernel_launch(kernel_, &params_));
  ASSERT_OK(hrt_timer_stop(timer, stream_));
  uint64_t busy = 0;
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &busy));
  EXPECT_GT(busy, 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectSum());
  // Four passes over 3 x 64 MiB cannot take under 20 us on any GPU.
  EXPECT_GT(busy, 20000u) << "elapsed " << busy << " ns";
  // An empty interval on the same stream is shorter.
  ASSERT_OK(hrt_timer_start(timer, stream_));
  ASSERT_OK(hrt_timer_stop(timer, stream_));
  uint64_t idle = 0;
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &idle));
  EXPECT_LT(idle, busy);
  // The default stream (NULL) works too.
  ASSERT_OK(hrt_timer_start(timer, nullptr));
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &idle));
  ASSERT_OK(hrt_timer_destroy(timer));
}

TEST_F(CudaTimerTest, NotReadyUntilTheStopEventCompletes) {
  void* lib = dlopen(driver_->library().c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr);
  void* sym = dlsym(lib, "cuLaunchHostFunc");
  ASSERT_NE(sym, nullptr);
  LaunchHostFuncFn launch_host_func = nullptr;
  static_assert(sizeof sym == sizeof launch_host_func);
  __builtin_memcpy(&launch_host_func, &sym, sizeof sym);

  std::atomic<bool> release{false};
  hrt_timer_t* timer = nullptr;
  ASSERT_OK(hrt_timer_create(rt_, 0, &timer));
  ASSERT_OK(hrt_timer_start(timer, stream_));
  ASSERT_OK(hrt_kernel_launch(kernel_, &params_));
  // The stream stops here until the test lets it go.
  auto hold = [](void* flag) {
    while (!static_cast<std::atomic<bool>*>(flag)->load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  };
  ASSERT_EQ(launch_host_func(stream_, hold, &release), CUDA_SUCCESS);
  ASSERT_OK(hrt_timer_stop(timer, stream_));
  uint64_t ns = 7;
  EXPECT_EQ(hrt_timer_elapsed_ns(timer, 0, &ns), HRT_ERROR_UNAVAILABLE);
  EXPECT_NE(std::string(hrt_last_error_message()).find("not ready"), std::string::npos)
      << hrt_last_error_message();
  EXPECT_EQ(ns, 7u);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  release.store(true);
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &ns));
  // The interval holds the 5 ms the stream was held.
  EXPECT_GE(ns, 5000000u);
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 0, &ns));
  ASSERT_OK(hrt_timer_destroy(timer));
  dlclose(lib);
}

TEST_F(CudaTimerTest, GatedTimerLeavesOutTheHostTimeBeforeTheStop) {
  const Probe& probe = SharedProbe();
  auto device = CudaDevice::Create(probe.driver, probe.devices[0]);
  ASSERT_TRUE(device.ok()) << device.status().message();
  runtime::DeviceTimer* plain = nullptr;
  runtime::DeviceTimer* gated = nullptr;
  ASSERT_TRUE(TimerCreate(**device, &plain).ok());
  const Status made = TimerCreateGated(**device, &gated);
  if (made.code() == Code::kUnsupported) {
    TimerDestroy(**device, plain);
    GTEST_SKIP() << made.message();
  }
  ASSERT_TRUE(made.ok()) << made.message();
  // On an idle stream, each timer's start is queued, then the host works for
  // 250 us (spinning: a sleep may overshoot the gate's 500 us timeout), then
  // queues the launch and the stop: the plain start completes at once and
  // its interval holds the 250 us; the gated one waits for the stop.
  auto time_it = [&](runtime::DeviceTimer* timer) -> uint64_t {
    EXPECT_TRUE((*device)->Synchronize(stream_).ok());
    EXPECT_TRUE(TimerRecord(**device, timer, false, stream_).ok());
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(250);
    while (std::chrono::steady_clock::now() < until) {
    }
    EXPECT_EQ(hrt_kernel_launch(kernel_, &params_), HRT_OK) << hrt_last_error_message();
    EXPECT_TRUE(TimerRecord(**device, timer, true, stream_).ok());
    uint64_t ns = 0;
    EXPECT_TRUE(TimerElapsed(**device, timer, true, &ns).ok());
    return ns;
  };
  for (int round = 0; round < 2; ++round) {  // the gate's value advances
    const uint64_t plain_ns = time_it(plain);
    const uint64_t gated_ns = time_it(gated);
    EXPECT_GE(plain_ns, 250000u);
    EXPECT_GT(gated_ns, 0u);
    // The plain start event completes some tens of us after it is queued,
    // so the plain interval holds somewhat less than the 250 us.
    EXPECT_LE(gated_ns + 100000u, plain_ns)
        << "plain " << plain_ns << " ns, gated " << gated_ns << " ns";
  }
  ASSERT_NO_FATAL_FAILURE(ExpectSum());
  // A hold nobody opens ends by itself (the host may block on the device
  // between start and stop): the stream drains within the timeout.
  ASSERT_TRUE((*device)->Synchronize(stream_).ok());
  ASSERT_TRUE(TimerRecord(**device, gated, false, stream_).ok());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE((*device)->Synchronize(stream_).ok());
  const double waited_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(waited_ms, 0.4);  // it did hold: TimerGate::kTimeoutNs is 0.5 ms
  EXPECT_LT(waited_ms, 50.0);
  ASSERT_TRUE(TimerRecord(**device, gated, true, stream_).ok());
  // A start with no stop: destroying the timer lets the stream go on.
  ASSERT_TRUE(TimerRecord(**device, gated, false, stream_).ok());
  TimerDestroy(**device, gated);
  ASSERT_OK(hrt_kernel_launch(kernel_, &params_));
  ASSERT_OK(hrt_device_synchronize(rt_, 0, stream_));
  TimerDestroy(**device, plain);
}

}  // namespace
}  // namespace hrt::cuda
