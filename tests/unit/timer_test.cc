// hrt_timer_*: device timers through the public C API on the CPU reference
// device, which times synchronous launches with the host's steady clock.
// Argument and state errors, and that the runtime refuses to go while a
// timer lives.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"

namespace {

std::string LastError() {
  return hrt_last_error_message();
}

#define ASSERT_OK(expr) ASSERT_EQ((expr), HRT_OK) << LastError()
// |expr| fails with |code| and a message that starts with |function|.
#define EXPECT_API_ERROR(expr, code, function)                                        \
  do {                                                                                \
    EXPECT_EQ((expr), (code)) << #expr;                                               \
    EXPECT_EQ(LastError().rfind(std::string(function) + ": ", 0), 0u) << LastError(); \
  } while (0)

// Handle memory whose release is deferred to the end of the test, so a
// destroyed timer's poisoned tag stays readable.
struct DeferredFreeAllocator {
  std::mutex mu;
  std::vector<std::pair<void*, size_t>> blocks;
  std::vector<void*> freed;
  static void* Alloc(void* self, size_t size, size_t alignment) {
    auto* a = static_cast<DeferredFreeAllocator*>(self);
    void* p = ::operator new(size, std::align_val_t(alignment));
    std::lock_guard<std::mutex> lock(a->mu);
    a->blocks.emplace_back(p, alignment);
    return p;
  }
  static void Free(void* self, void* ptr) {
    auto* a = static_cast<DeferredFreeAllocator*>(self);
    std::lock_guard<std::mutex> lock(a->mu);
    a->freed.push_back(ptr);
  }
  ~DeferredFreeAllocator() {
    for (const auto& [p, alignment] : blocks) ::operator delete(p, std::align_val_t(alignment));
  }
  hrt_allocator_t Hooks() { return hrt_allocator_t{this, Alloc, Free}; }
};

// A runtime with only the reference device (index 0).
class TimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
    options.allocator = allocator_.Hooks();
    ASSERT_OK(hrt_runtime_create(&options, &rt_));
    uint32_t count = 0;
    ASSERT_OK(hrt_device_count(rt_, &count));
    ASSERT_EQ(count, 1u);
  }
  void TearDown() override {
    if (module_ != nullptr) {
      EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    }
    if (rt_ != nullptr) {
      EXPECT_EQ(hrt_runtime_destroy(rt_), HRT_OK) << LastError();
    }
  }

  // out = x + y over |n| floats through vector_add; checks the result.
  void LaunchVectorAdd(int64_t n) {
    if (module_ == nullptr) {
      const std::string path = hrt::testing::KernelsDir() + "/vector_add.tile";
      ASSERT_OK(hrt_module_load_file(rt_, path.c_str(), &module_));
    }
    hrt_kernel_t* kernel = nullptr;
    ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &kernel));
    const auto bytes = static_cast<size_t>(n) * sizeof(float);
    std::vector<float> x(static_cast<size_t>(n)), y(x.size()), out(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = static_cast<float>(i % 1000);
      y[i] = 0.5f * static_cast<float>(i % 7);
    }
    uint64_t addr[3] = {};
    for (uint64_t& a : addr) ASSERT_OK(hrt_device_alloc(rt_, 0, bytes, &a));
    ASSERT_OK(hrt_device_write(rt_, 0, addr[0], x.data(), bytes, nullptr));
    ASSERT_OK(hrt_device_write(rt_, 0, addr[1], y.data(), bytes, nullptr));
    hrt_arg_t args[3] = {};
    for (int i = 0; i < 3; ++i) {
      args[i].kind = HRT_ARG_KIND_TENSOR;
      args[i].value.tensor.address = addr[i];
      args[i].value.tensor.dtype = HRT_DTYPE_F32;
      args[i].value.tensor.rank = 1;
      args[i].value.tensor.shape[0] = n;
      args[i].value.tensor.strides[0] = 1;
    }
    hrt_launch_params_t params;
    ASSERT_OK(hrt_launch_params_init(&params));
    params.args = args;
    params.arg_count = 3;
    ASSERT_OK(hrt_kernel_launch(kernel, &params));
    ASSERT_OK(hrt_device_read(rt_, 0, out.data(), addr[2], bytes, nullptr));
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
    for (uint64_t a : addr) ASSERT_OK(hrt_device_free(rt_, 0, a));
  }

  DeferredFreeAllocator allocator_;
  hrt_runtime_t* rt_ = nullptr;
  hrt_module_t* module_ = nullptr;
};

TEST_F(TimerTest, TimesARealLaunch) {
  hrt_timer_t* timer = nullptr;
  ASSERT_OK(hrt_timer_create(rt_, 0, &timer));
  ASSERT_NE(timer, nullptr);
  ASSERT_NO_FATAL_FAILURE(LaunchVectorAdd(1 << 10));  // compiles nothing, warms up
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto host_start = std::chrono::steady_clock::now();
    ASSERT_OK(hrt_timer_start(timer, nullptr));
    ASSERT_NO_FATAL_FAILURE(LaunchVectorAdd(1 << 16));
    ASSERT_OK(hrt_timer_stop(timer, nullptr));
    const auto host_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - host_start)
                             .count();
    // The reference device's timestamps exist once recorded: not waiting
    // still answers.
    uint64_t ns = 0;
    ASSERT_OK(hrt_timer_elapsed_ns(timer, 0, &ns));
    EXPECT_GT(ns, 0u);
    // The interval lies inside the host's view of the same calls.
    EXPECT_LE(ns, static_cast<uint64_t>(host_ns));
    uint64_t again = 0;
    ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &again));
    EXPECT_EQ(again, ns) << "reading twice gives the same interval";
  }
  // An empty interval is shorter than one with 64K elements of work.
  uint64_t busy = 0;
  ASSERT_OK(hrt_timer_start(timer, nullptr));
  ASSERT_NO_FATAL_FAILURE(LaunchVectorAdd(1 << 16));
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &busy));
  uint64_t idle = 0;
  ASSERT_OK(hrt_timer_start(timer, nullptr));
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 1, &idle));
  EXPECT_LT(idle, busy);
  EXPECT_EQ(hrt_timer_destroy(timer), HRT_OK);
}

TEST_F(TimerTest, CallsOutOfOrderAreFailedPreconditions) {
  hrt_timer_t* timer = nullptr;
  ASSERT_OK(hrt_timer_create(rt_, 0, &timer));
  uint64_t ns = 123;
  EXPECT_API_ERROR(hrt_timer_elapsed_ns(timer, 0, &ns), HRT_ERROR_FAILED_PRECONDITION,
                   "hrt_timer_elapsed_ns");
  EXPECT_NE(LastError().find("never started"), std::string::npos) << LastError();
  EXPECT_EQ(ns, 123u) << "no out-parameter is written on failure";
  EXPECT_API_ERROR(hrt_timer_stop(timer, nullptr), HRT_ERROR_FAILED_PRECONDITION, "hrt_timer_stop");
  EXPECT_NE(LastError().find("never started"), std::string::npos) << LastError();

  ASSERT_OK(hrt_timer_start(timer, nullptr));
  EXPECT_API_ERROR(hrt_timer_elapsed_ns(timer, 1, &ns), HRT_ERROR_FAILED_PRECONDITION,
                   "hrt_timer_elapsed_ns");
  EXPECT_NE(LastError().find("not stopped"), std::string::npos) << LastError();
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 0, &ns));
  // Starting again forgets the finished interval until the next stop.
  ASSERT_OK(hrt_timer_start(timer, nullptr));
  EXPECT_API_ERROR(hrt_timer_elapsed_ns(timer, 0, &ns), HRT_ERROR_FAILED_PRECONDITION,
                   "hrt_timer_elapsed_ns");
  // Stopping twice is allowed: the later stop counts.
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  uint64_t first = 0;
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 0, &first));
  ASSERT_NO_FATAL_FAILURE(LaunchVectorAdd(1 << 14));
  ASSERT_OK(hrt_timer_stop(timer, nullptr));
  uint64_t second = 0;
  ASSERT_OK(hrt_timer_elapsed_ns(timer, 0, &second));
  EXPECT_GT(second, first);
  EXPECT_EQ(hrt_timer_destroy(timer), HRT_OK);
}

TEST_F(TimerTest, BadArgumentsAreRefused) {
  hrt_timer_t* timer = reinterpret_cast<hrt_timer_t*>(&allocator_);  // garbage to overwrite
  EXPECT_API_ERROR(hrt_timer_create(nullptr, 0, &timer), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_create");
  EXPECT_EQ(timer, nullptr) << "a handle out-parameter is set to NULL on failure";
  EXPECT_API_ERROR(hrt_timer_create(rt_, 0, nullptr), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_create");
  EXPECT_NE(LastError().find("out_timer"), std::string::npos) << LastError();
  EXPECT_API_ERROR(hrt_timer_create(rt_, 1, &timer), HRT_ERROR_OUT_OF_RANGE, "hrt_timer_create");
  EXPECT_NE(LastError().find("device index 1"), std::string::npos) << LastError();
  EXPECT_EQ(timer, nullptr);
  // A runtime is not a timer.
  auto* not_a_timer = reinterpret_cast<hrt_timer_t*>(rt_);
  EXPECT_API_ERROR(hrt_timer_start(not_a_timer, nullptr), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_start");
  EXPECT_API_ERROR(hrt_timer_start(nullptr, nullptr), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_start");
  EXPECT_API_ERROR(hrt_timer_stop(nullptr, nullptr), HRT_ERROR_INVALID_ARGUMENT, "hrt_timer_stop");
  uint64_t ns = 0;
  EXPECT_API_ERROR(hrt_timer_elapsed_ns(nullptr, 1, &ns), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_elapsed_ns");
  EXPECT_EQ(hrt_timer_destroy(nullptr), HRT_OK);

  ASSERT_OK(hrt_timer_create(rt_, 0, &timer));
  EXPECT_API_ERROR(hrt_timer_elapsed_ns(timer, 1, nullptr), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_timer_elapsed_ns");
  EXPECT_NE(LastError().find("out_ns"), std::string::npos) << LastError();
  // The reference device has no streams.
  int stream = 0;
  EXPECT_API_ERROR(hrt_timer_start(timer, &stream), HRT_ERROR_INVALID_ARGUMENT, "hrt_timer_start");
  EXPECT_NE(LastError().find("stream must be NULL"), std::string::npos) << LastError();
  // A failed start leaves the timer unstarted.
  EXPECT_API_ERROR(hrt_timer_stop(timer, nullptr), HRT_ERROR_FAILED_PRECONDITION, "hrt_timer_stop");

  // The runtime refuses to go while the timer lives, and works on after.
  EXPECT_API_ERROR(hrt_runtime_destroy(rt_), HRT_ERROR_FAILED_PRECONDITION, "hrt_runtime_destroy");
  EXPECT_NE(LastError().find("1 live timer(s)"), std::string::npos) << LastError();
  ASSERT_OK(hrt_timer_start(timer, nullptr));
  ASSERT_OK(hrt_timer_destroy(timer));
  // A destroyed timer (its memory still readable here) is refused cleanly.
  EXPECT_API_ERROR(hrt_timer_start(timer, nullptr), HRT_ERROR_INVALID_ARGUMENT, "hrt_timer_start");
  EXPECT_NE(LastError().find("destroyed"), std::string::npos) << LastError();
  EXPECT_API_ERROR(hrt_timer_destroy(timer), HRT_ERROR_INVALID_ARGUMENT, "hrt_timer_destroy");
}

}  // namespace
