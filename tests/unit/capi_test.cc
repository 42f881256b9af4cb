// Tests of the public C API (include/helionrt/helionrt.h), written against
// the API itself; the few white-box uses (IR format constants, half-float
// conversion, the exception boundary) are marked.
#define HRT_EXPERIMENTAL_API 1
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "codegen/ir/binary.h"  // white-box: kIrFormatMajor/Minor
#include "codegen/ir/dtype.h"   // white-box: FloatToHalf/BF16 for expected values
#include "helionrt/helionrt.h"
#include "runtime/api_status.h"  // white-box: the exception boundary

namespace {

// Two small kernels: a generic vector add (dtype parameter, tunables,
// constraint) and a kernel with scalar parameters of concrete dtypes.
constexpr char kModuleText[] = R"(
# vector add over a dtype parameter
kernel vector_add<T in {f16, bf16, f32}>(x: tensor<T>[N], y: tensor<T>[N], out: tensor<T>[N])
  tunable BLOCK in {128, 256, 512, 1024} = 256
  tunable WARPS in {1, 2, 4, 8} = 4
  constraint WARPS * 32 <= BLOCK
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %a = load x[%offs], mask %m, other 0
  %b = load y[%offs], mask %m, other 0
  %c = add %a, %b
  store out[%offs], %c, mask %m
}

kernel scale_shift(x: tensor<f32>[N], out: tensor<f32>[N], alpha: f32, shift: i32)
  tunable BLOCK in {64, 128} = 64
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %a = load x[%offs], mask %m, other 0
  %alpha = arg alpha
  %s = arg shift
  %sf = cast %s to f32
  %p = mul %a, %alpha
  %r = add %p, %sf
  store out[%offs], %r, mask %m
}
)";

// Expects |status| to be |expected| and, for errors, a non-empty per-thread
// message that starts with the name of the failing function.
#define EXPECT_API_ERROR(call, expected, function)                               \
  do {                                                                           \
    const hrt_status_t status_ = (call);                                         \
    EXPECT_EQ(status_, (expected)) << #call << ": " << hrt_last_error_message(); \
    EXPECT_EQ(std::string(hrt_last_error_message()).rfind(function ": ", 0), 0u) \
        << #call << " left message: '" << hrt_last_error_message() << "'";       \
  } while (0)

#define ASSERT_OK(call) ASSERT_EQ((call), HRT_OK) << #call << ": " << hrt_last_error_message()

std::string LastError() {
  return hrt_last_error_message();
}

// White-box: sets a message no public function would, so that a later check
// can tell it was replaced.
void ResetLastError() {
  hrt::runtime::FailStatic("reset", hrt::Code::kInternal, "reset");
}

// A runtime plus a module loaded from kModuleText, destroyed in order.
class CapiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only the reference device: these tests pass host memory to launches.
    hrt_runtime_options_t options;
    ASSERT_OK(hrt_runtime_options_init(&options));
    options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
    ASSERT_OK(hrt_runtime_create(&options, &runtime_));
    ASSERT_OK(hrt_module_load(runtime_, kModuleText, sizeof(kModuleText) - 1, &module_));
    ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &vector_add_));
    ASSERT_OK(hrt_module_get_kernel(module_, "scale_shift", &scale_shift_));
  }
  void TearDown() override {
    EXPECT_EQ(hrt_module_destroy(module_), HRT_OK);
    EXPECT_EQ(hrt_runtime_destroy(runtime_), HRT_OK) << hrt_last_error_message();
  }

  hrt_runtime_t* runtime_ = nullptr;
  hrt_module_t* module_ = nullptr;
  hrt_kernel_t* vector_add_ = nullptr;
  hrt_kernel_t* scale_shift_ = nullptr;
};

hrt_arg_t Tensor1D(const void* data, hrt_dtype_t dtype, int64_t n) {
  hrt_arg_t arg{};
  arg.kind = HRT_ARG_KIND_TENSOR;
  arg.value.tensor.address = reinterpret_cast<uintptr_t>(data);
  arg.value.tensor.dtype = dtype;
  arg.value.tensor.rank = 1;
  arg.value.tensor.shape[0] = n;
  arg.value.tensor.strides[0] = 1;
  return arg;
}

hrt_arg_t IntArg(int64_t v) {
  hrt_arg_t arg{};
  arg.kind = HRT_ARG_KIND_INT;
  arg.value.i = v;
  return arg;
}

hrt_arg_t FloatArg(double v) {
  hrt_arg_t arg{};
  arg.kind = HRT_ARG_KIND_FLOAT;
  arg.value.f = v;
  return arg;
}

// The returned struct points into |args| and |config|, which must outlive it.
hrt_launch_params_t Params(const std::vector<hrt_arg_t>& args,
                           const std::vector<hrt_config_entry_t>& config = {}) {
  hrt_launch_params_t p;
  EXPECT_EQ(hrt_launch_params_init(&p), HRT_OK);
  p.args = args.data();
  p.arg_count = args.size();
  p.config = config.empty() ? nullptr : config.data();
  p.config_count = config.size();
  return p;
}

std::string Fingerprint(const hrt_runtime_t* runtime, uint32_t index) {
  size_t length = 0;
  EXPECT_EQ(hrt_device_get_fingerprint(runtime, index, nullptr, 0, &length), HRT_OK);
  std::string s(length + 1, '\0');
  EXPECT_EQ(hrt_device_get_fingerprint(runtime, index, s.data(), s.size(), &length), HRT_OK);
  s.resize(length);
  return s;
}

std::vector<uint8_t> WriteModule(const hrt_module_t* module, hrt_module_format_t format) {
  size_t length = 0;
  EXPECT_EQ(hrt_module_write(module, format, nullptr, 0, &length), HRT_OK);
  std::vector<uint8_t> bytes(length + 1);
  EXPECT_EQ(hrt_module_write(module, format, bytes.data(), bytes.size(), &length), HRT_OK);
  EXPECT_EQ(bytes[length], 0);
  bytes.resize(length);
  return bytes;
}

//===----------------------------------------------------------------------===//
// Versions, status strings, last error
//===----------------------------------------------------------------------===//

TEST(CapiVersion, LibraryMatchesHeader) {
  EXPECT_EQ(hrt_version_number(), static_cast<uint32_t>(HRT_VERSION_NUMBER));
  EXPECT_EQ(HRT_VERSION_NUMBER, 100);  // 0.1.0
  EXPECT_STREQ(hrt_version_string(), HRT_VERSION_STRING);
  EXPECT_STREQ(hrt_version_string(), "0.1.0");
  EXPECT_EQ(hrt_ir_format_version(),
            (uint32_t{hrt::ir::kIrFormatMajor} << 16) | hrt::ir::kIrFormatMinor);
}

TEST(CapiStatus, NamesAreDistinctAndNeverNull) {
  EXPECT_STREQ(hrt_status_string(HRT_OK), "OK");
  EXPECT_STREQ(hrt_status_string(HRT_ERROR_INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_STREQ(hrt_status_string(HRT_ERROR_OUT_OF_RANGE), "OUT_OF_RANGE");
  EXPECT_STREQ(hrt_status_string(HRT_ERROR_INTERNAL), "INTERNAL");
  std::vector<std::string> names;
  for (int code = HRT_OK; code <= HRT_ERROR_INTERNAL; ++code) {
    const char* name = hrt_status_string(static_cast<hrt_status_t>(code));
    ASSERT_NE(name, nullptr);
    EXPECT_STRNE(name, "UNKNOWN") << code;
    for (const std::string& other : names) EXPECT_NE(other, name);
    names.push_back(name);
  }
  EXPECT_STREQ(hrt_status_string(static_cast<hrt_status_t>(HRT_ERROR_INTERNAL + 1)), "UNKNOWN");
}

TEST(CapiLastError, IsPerThreadAndKeptBySuccessfulCalls) {
  ASSERT_EQ(hrt_device_count(nullptr, nullptr), HRT_ERROR_INVALID_ARGUMENT);
  const std::string main_message = LastError();
  EXPECT_NE(main_message.find("hrt_device_count"), std::string::npos) << main_message;

  std::string fresh_thread_message = "unset";
  std::string other_thread_message;
  std::thread other([&] {
    fresh_thread_message = hrt_last_error_message();
    EXPECT_EQ(hrt_module_kernel_count(nullptr, nullptr), HRT_ERROR_INVALID_ARGUMENT);
    other_thread_message = hrt_last_error_message();
  });
  other.join();
  EXPECT_EQ(fresh_thread_message, "");
  EXPECT_NE(other_thread_message.find("hrt_module_kernel_count"), std::string::npos);
  // The other thread's failure did not touch this thread's message.
  EXPECT_EQ(LastError(), main_message);

  // A successful call leaves it in place; a new failure replaces it.
  hrt_runtime_options_t options;
  ASSERT_EQ(hrt_runtime_options_init(&options), HRT_OK);
  EXPECT_EQ(LastError(), main_message);
  EXPECT_EQ(hrt_launch_params_init(nullptr), HRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(LastError(), main_message);
}

// White-box: no C++ exception crosses the boundary, whatever it is.
TEST(CapiBoundary, ExceptionsBecomeStatuses) {
  EXPECT_EQ(hrt::runtime::Boundary("f", []() -> hrt::Status { throw std::bad_alloc(); }),
            HRT_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(LastError(), "f: out of memory");
  EXPECT_EQ(hrt::runtime::Boundary("g", []() -> hrt::Status { throw std::runtime_error("x"); }),
            HRT_ERROR_INTERNAL);
  EXPECT_EQ(LastError().rfind("g: internal error", 0), 0u) << LastError();
  EXPECT_EQ(hrt::runtime::Boundary("h", []() -> hrt::Status { throw 42; }), HRT_ERROR_INTERNAL);
  EXPECT_EQ(hrt::runtime::Boundary("k", [] { return hrt::NotFound("thing"); }),
            HRT_ERROR_NOT_FOUND);
  EXPECT_EQ(LastError(), "k: thing");
}

//===----------------------------------------------------------------------===//
// NULL and invalid handles everywhere
//===----------------------------------------------------------------------===//

// Every public function, with NULL or invalid arguments, fails with an error
// status and sets a message naming itself.
TEST_F(CapiTest, EveryFunctionRejectsNullAndInvalidArguments) {
  // Zeroed memory and a handle of another type are not valid handles.
  alignas(16) static unsigned char zeros[256] = {};
  auto* bogus_runtime = reinterpret_cast<hrt_runtime_t*>(zeros);
  auto* bogus_module = reinterpret_cast<hrt_module_t*>(zeros);
  auto* bogus_kernel = reinterpret_cast<hrt_kernel_t*>(zeros);
  auto* module_as_runtime = reinterpret_cast<hrt_runtime_t*>(module_);
  auto* runtime_as_module = reinterpret_cast<hrt_module_t*>(runtime_);
  auto* module_as_kernel = reinterpret_cast<hrt_kernel_t*>(module_);

  uint32_t count = 0;
  size_t size = 0;
  const char* name = nullptr;
  char buffer[64];
  hrt_runtime_t* out_runtime = nullptr;
  hrt_module_t* out_module = nullptr;
  hrt_kernel_t* out_kernel = nullptr;
  hrt_device_properties_t props{};
  props.struct_size = sizeof(props);
  hrt_kernel_param_info_t param{};
  param.struct_size = sizeof(param);
  hrt_kernel_tunable_info_t tunable{};
  tunable.struct_size = sizeof(tunable);
  hrt_kernel_dtype_param_info_t dparam{};
  dparam.struct_size = sizeof(dparam);
  hrt_launch_params_t launch;
  ASSERT_OK(hrt_launch_params_init(&launch));

  struct Case {
    const char* function;
    std::function<hrt_status_t()> call;
  };
  const hrt_status_t kInvalid = HRT_ERROR_INVALID_ARGUMENT;
  const std::vector<Case> cases = {
      {"hrt_runtime_options_init", [&] { return hrt_runtime_options_init(nullptr); }},
      {"hrt_runtime_create", [&] { return hrt_runtime_create(nullptr, nullptr); }},
      {"hrt_runtime_destroy", [&] { return hrt_runtime_destroy(bogus_runtime); }},
      {"hrt_runtime_destroy", [&] { return hrt_runtime_destroy(module_as_runtime); }},
      {"hrt_device_count", [&] { return hrt_device_count(nullptr, &count); }},
      {"hrt_device_count", [&] { return hrt_device_count(runtime_, nullptr); }},
      {"hrt_device_count", [&] { return hrt_device_count(module_as_runtime, &count); }},
      {"hrt_device_get_properties", [&] { return hrt_device_get_properties(nullptr, 0, &props); }},
      {"hrt_device_get_properties",
       [&] { return hrt_device_get_properties(runtime_, 0, nullptr); }},
      {"hrt_device_get_properties",
       [&] { return hrt_device_get_properties(bogus_runtime, 0, &props); }},
      {"hrt_device_get_fingerprint",
       [&] { return hrt_device_get_fingerprint(nullptr, 0, buffer, sizeof(buffer), &size); }},
      {"hrt_device_get_fingerprint",
       [&] { return hrt_device_get_fingerprint(bogus_runtime, 0, buffer, sizeof(buffer), &size); }},
      {"hrt_device_get_fingerprint",
       [&] { return hrt_device_get_fingerprint(runtime_, 0, nullptr, 8, &size); }},
      {"hrt_device_get_fingerprint",
       [&] { return hrt_device_get_fingerprint(runtime_, 0, nullptr, 0, nullptr); }},
      {"hrt_module_load", [&] { return hrt_module_load(nullptr, "x", 1, &out_module); }},
      {"hrt_module_load", [&] { return hrt_module_load(bogus_runtime, "x", 1, &out_module); }},
      {"hrt_module_load", [&] { return hrt_module_load(runtime_, nullptr, 1, &out_module); }},
      {"hrt_module_load", [&] { return hrt_module_load(runtime_, "x", 0, &out_module); }},
      {"hrt_module_load",
       [&] { return hrt_module_load(runtime_, kModuleText, sizeof(kModuleText) - 1, nullptr); }},
      {"hrt_module_load_file",
       [&] { return hrt_module_load_file(nullptr, "/dev/null", &out_module); }},
      {"hrt_module_load_file",
       [&] { return hrt_module_load_file(runtime_, nullptr, &out_module); }},
      {"hrt_module_load_file",
       [&] { return hrt_module_load_file(runtime_, "/dev/null", nullptr); }},
      {"hrt_module_destroy", [&] { return hrt_module_destroy(bogus_module); }},
      {"hrt_module_destroy", [&] { return hrt_module_destroy(runtime_as_module); }},
      {"hrt_module_kernel_count", [&] { return hrt_module_kernel_count(nullptr, &count); }},
      {"hrt_module_kernel_count", [&] { return hrt_module_kernel_count(module_, nullptr); }},
      {"hrt_module_kernel_count",
       [&] { return hrt_module_kernel_count(runtime_as_module, &count); }},
      {"hrt_module_kernel_name", [&] { return hrt_module_kernel_name(nullptr, 0, &name); }},
      {"hrt_module_kernel_name", [&] { return hrt_module_kernel_name(module_, 0, nullptr); }},
      {"hrt_module_kernel_name", [&] { return hrt_module_kernel_name(bogus_module, 0, &name); }},
      {"hrt_module_get_kernel",
       [&] { return hrt_module_get_kernel(nullptr, "vector_add", &out_kernel); }},
      {"hrt_module_get_kernel",
       [&] { return hrt_module_get_kernel(module_, nullptr, &out_kernel); }},
      {"hrt_module_get_kernel",
       [&] { return hrt_module_get_kernel(module_, "vector_add", nullptr); }},
      {"hrt_module_get_kernel",
       [&] { return hrt_module_get_kernel(bogus_module, "vector_add", &out_kernel); }},
      {"hrt_kernel_name", [&] { return hrt_kernel_name(nullptr, &name); }},
      {"hrt_kernel_name", [&] { return hrt_kernel_name(vector_add_, nullptr); }},
      {"hrt_kernel_name", [&] { return hrt_kernel_name(module_as_kernel, &name); }},
      {"hrt_kernel_param_count", [&] { return hrt_kernel_param_count(nullptr, &count); }},
      {"hrt_kernel_param_count", [&] { return hrt_kernel_param_count(vector_add_, nullptr); }},
      {"hrt_kernel_param_count", [&] { return hrt_kernel_param_count(bogus_kernel, &count); }},
      {"hrt_kernel_get_param", [&] { return hrt_kernel_get_param(nullptr, 0, &param); }},
      {"hrt_kernel_get_param", [&] { return hrt_kernel_get_param(vector_add_, 0, nullptr); }},
      {"hrt_kernel_get_param", [&] { return hrt_kernel_get_param(bogus_kernel, 0, &param); }},
      {"hrt_kernel_tunable_count", [&] { return hrt_kernel_tunable_count(nullptr, &count); }},
      {"hrt_kernel_tunable_count", [&] { return hrt_kernel_tunable_count(vector_add_, nullptr); }},
      {"hrt_kernel_get_tunable", [&] { return hrt_kernel_get_tunable(nullptr, 0, &tunable); }},
      {"hrt_kernel_get_tunable", [&] { return hrt_kernel_get_tunable(vector_add_, 0, nullptr); }},
      {"hrt_kernel_get_tunable",
       [&] { return hrt_kernel_get_tunable(module_as_kernel, 0, &tunable); }},
      {"hrt_kernel_dtype_param_count",
       [&] { return hrt_kernel_dtype_param_count(nullptr, &count); }},
      {"hrt_kernel_dtype_param_count",
       [&] { return hrt_kernel_dtype_param_count(vector_add_, nullptr); }},
      {"hrt_kernel_get_dtype_param",
       [&] { return hrt_kernel_get_dtype_param(nullptr, 0, &dparam); }},
      {"hrt_kernel_get_dtype_param",
       [&] { return hrt_kernel_get_dtype_param(vector_add_, 0, nullptr); }},
      {"hrt_kernel_get_dtype_param",
       [&] { return hrt_kernel_get_dtype_param(bogus_kernel, 0, &dparam); }},
      {"hrt_launch_params_init", [&] { return hrt_launch_params_init(nullptr); }},
      {"hrt_kernel_launch", [&] { return hrt_kernel_launch(nullptr, &launch); }},
      {"hrt_kernel_launch", [&] { return hrt_kernel_launch(vector_add_, nullptr); }},
      {"hrt_kernel_launch", [&] { return hrt_kernel_launch(module_as_kernel, &launch); }},
      {"hrt_module_write",
       [&] { return hrt_module_write(nullptr, HRT_MODULE_FORMAT_TEXT, buffer, 64, &size); }},
      {"hrt_module_write",
       [&] { return hrt_module_write(bogus_module, HRT_MODULE_FORMAT_TEXT, buffer, 64, &size); }},
      {"hrt_module_write",
       [&] {
         return hrt_module_write(module_, static_cast<hrt_module_format_t>(7), buffer, 64, &size);
       }},
      {"hrt_module_write",
       [&] { return hrt_module_write(module_, HRT_MODULE_FORMAT_TEXT, nullptr, 64, &size); }},
      {"hrt_kernel_cached_config_count",
       [&] { return hrt_kernel_cached_config_count(nullptr, &size); }},
      {"hrt_kernel_cached_config_count",
       [&] { return hrt_kernel_cached_config_count(vector_add_, nullptr); }},
      {"hrt_kernel_cached_config_count",
       [&] { return hrt_kernel_cached_config_count(bogus_kernel, &size); }},
  };
  for (const Case& c : cases) {
    ResetLastError();
    const hrt_status_t status = c.call();
    EXPECT_EQ(status, kInvalid) << c.function << ": " << hrt_last_error_message();
    const std::string message = hrt_last_error_message();
    EXPECT_EQ(message.rfind(std::string(c.function) + ": ", 0), 0u)
        << c.function << " left: " << message;
    EXPECT_GT(message.size(), std::strlen(c.function) + 2) << c.function;
  }
  // Handle out-parameters are cleared on failure.
  out_module = reinterpret_cast<hrt_module_t*>(zeros);
  EXPECT_NE(hrt_module_load(runtime_, "x", 0, &out_module), HRT_OK);
  EXPECT_EQ(out_module, nullptr);
  out_kernel = reinterpret_cast<hrt_kernel_t*>(zeros);
  EXPECT_NE(hrt_module_get_kernel(module_, "nope", &out_kernel), HRT_OK);
  EXPECT_EQ(out_kernel, nullptr);
  out_runtime = reinterpret_cast<hrt_runtime_t*>(zeros);
  hrt_runtime_options_t bad_options{};  // struct_size 0
  EXPECT_NE(hrt_runtime_create(&bad_options, &out_runtime), HRT_OK);
  EXPECT_EQ(out_runtime, nullptr);
}

TEST(CapiDestroy, NullIsANoOp) {
  EXPECT_EQ(hrt_runtime_destroy(nullptr), HRT_OK);
  EXPECT_EQ(hrt_module_destroy(nullptr), HRT_OK);
}

//===----------------------------------------------------------------------===//
// Runtime options, logging, allocator hooks
//===----------------------------------------------------------------------===//

TEST(CapiRuntime, OptionsInitSetsDefaults) {
  hrt_runtime_options_t options;
  std::memset(&options, 0xab, sizeof(options));
  ASSERT_OK(hrt_runtime_options_init(&options));
  EXPECT_EQ(options.struct_size, sizeof(options));
  EXPECT_EQ(options.log_callback, nullptr);
  EXPECT_EQ(options.log_user_data, nullptr);
  EXPECT_EQ(options.log_min_level, HRT_LOG_LEVEL_WARNING);
  EXPECT_EQ(options.allocator.self, nullptr);
  EXPECT_EQ(options.allocator.alloc, nullptr);
  EXPECT_EQ(options.allocator.free, nullptr);

  hrt_runtime_t* runtime = nullptr;
  ASSERT_OK(hrt_runtime_create(&options, &runtime));
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
  ASSERT_OK(hrt_runtime_create(nullptr, &runtime));
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
}

TEST(CapiRuntime, RejectsBadOptions) {
  hrt_runtime_t* runtime = nullptr;
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));

  options.struct_size = sizeof(options) - 1;
  EXPECT_API_ERROR(hrt_runtime_create(&options, &runtime), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_runtime_create");
  EXPECT_NE(LastError().find("struct_size"), std::string::npos) << LastError();

  ASSERT_OK(hrt_runtime_options_init(&options));
  options.log_min_level = static_cast<hrt_log_level_t>(9);
  EXPECT_API_ERROR(hrt_runtime_create(&options, &runtime), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_runtime_create");

  ASSERT_OK(hrt_runtime_options_init(&options));
  options.allocator.alloc = [](void*, size_t, size_t) -> void* { return nullptr; };
  EXPECT_API_ERROR(hrt_runtime_create(&options, &runtime), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_runtime_create");
  EXPECT_NE(LastError().find("allocator"), std::string::npos) << LastError();
  EXPECT_EQ(runtime, nullptr);
}

// A struct from a newer header (larger struct_size) is accepted when the
// fields this library does not know are zero, and refused otherwise.
TEST(CapiRuntime, LargerOptionsNeedAZeroTail) {
  struct NewerOptions {
    hrt_runtime_options_t known;
    uint64_t future_field;
  } newer{};
  ASSERT_OK(hrt_runtime_options_init(&newer.known));
  newer.known.struct_size = sizeof(newer);
  hrt_runtime_t* runtime = nullptr;
  ASSERT_OK(hrt_runtime_create(&newer.known, &runtime));
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);

  newer.future_field = 1;
  EXPECT_API_ERROR(hrt_runtime_create(&newer.known, &runtime), HRT_ERROR_UNSUPPORTED,
                   "hrt_runtime_create");
  EXPECT_EQ(runtime, nullptr);
}

struct LogSink {
  std::mutex mu;
  std::vector<std::pair<hrt_log_level_t, std::string>> lines;
  static void Callback(void* user, hrt_log_level_t level, const char* message) {
    auto* sink = static_cast<LogSink*>(user);
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->lines.emplace_back(level, message);
  }
  bool Contains(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& line : lines) {
      if (line.second.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST(CapiRuntime, LogsThroughTheCallbackAboveTheMinimumLevel) {
  LogSink sink;
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.log_callback = LogSink::Callback;
  options.log_user_data = &sink;
  options.log_min_level = HRT_LOG_LEVEL_INFO;
  hrt_runtime_t* runtime = nullptr;
  ASSERT_OK(hrt_runtime_create(&options, &runtime));
  EXPECT_TRUE(sink.Contains("created runtime")) << sink.lines.size();
  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load(runtime, kModuleText, sizeof(kModuleText) - 1, &module));
  EXPECT_TRUE(sink.Contains("loaded module: 2 kernels"));
  for (const auto& line : sink.lines) EXPECT_GE(line.first, HRT_LOG_LEVEL_INFO);
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);

  // At the default minimum (WARNING) the same calls log nothing.
  LogSink quiet;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.log_callback = LogSink::Callback;
  options.log_user_data = &quiet;
  ASSERT_OK(hrt_runtime_create(&options, &runtime));
  ASSERT_OK(hrt_module_load(runtime, kModuleText, sizeof(kModuleText) - 1, &module));
  EXPECT_TRUE(quiet.lines.empty());
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
}

// A C++ log callback that throws must not break (or leak from) the call.
TEST(CapiRuntime, ThrowingLogCallbackIsContained) {
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.log_callback = [](void*, hrt_log_level_t, const char*) {
    throw std::runtime_error("callback");
  };
  options.log_min_level = HRT_LOG_LEVEL_DEBUG;
  hrt_runtime_t* runtime = nullptr;
  ASSERT_OK(hrt_runtime_create(&options, &runtime));
  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load(runtime, kModuleText, sizeof(kModuleText) - 1, &module));
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
}

// Records allocations; frees are deferred to the end of the test so that a
// destroyed handle's memory (and its poisoned tag) stays readable.
struct RecordingAllocator {
  struct Block {
    void* ptr;
    size_t size;
    size_t alignment;
    bool freed;
  };
  std::mutex mu;
  std::vector<Block> blocks;

  static void* Alloc(void* self, size_t size, size_t alignment) {
    auto* a = static_cast<RecordingAllocator*>(self);
    void* p = ::operator new(size, std::align_val_t(alignment));
    std::lock_guard<std::mutex> lock(a->mu);
    a->blocks.push_back({p, size, alignment, false});
    return p;
  }
  static void Free(void* self, void* ptr) {
    auto* a = static_cast<RecordingAllocator*>(self);
    std::lock_guard<std::mutex> lock(a->mu);
    for (Block& b : a->blocks) {
      if (b.ptr == ptr) {
        EXPECT_FALSE(b.freed) << "double free";
        b.freed = true;
        return;
      }
    }
    ADD_FAILURE() << "free of a pointer this allocator did not return";
  }
  size_t Live() {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const Block& b : blocks) n += b.freed ? 0 : 1;
    return n;
  }
  ~RecordingAllocator() {
    for (const Block& b : blocks) ::operator delete(b.ptr, std::align_val_t(b.alignment));
  }
  hrt_allocator_t Hooks() { return hrt_allocator_t{this, Alloc, Free}; }
};

TEST(CapiRuntime, HandlesComeFromTheAllocatorHooks) {
  RecordingAllocator allocator;
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.allocator = allocator.Hooks();
  hrt_runtime_t* runtime = nullptr;
  ASSERT_OK(hrt_runtime_create(&options, &runtime));
  EXPECT_EQ(allocator.Live(), 1u);
  EXPECT_EQ(reinterpret_cast<void*>(runtime), allocator.blocks[0].ptr);

  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load(runtime, kModuleText, sizeof(kModuleText) - 1, &module));
  EXPECT_EQ(allocator.Live(), 1u + 1u + 2u);  // runtime, module, two kernels
  for (const auto& b : allocator.blocks) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.ptr) % b.alignment, 0u);
  }

  // The runtime refuses to go while a module lives.
  EXPECT_API_ERROR(hrt_runtime_destroy(runtime), HRT_ERROR_FAILED_PRECONDITION,
                   "hrt_runtime_destroy");
  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module, "vector_add", &kernel));
  ASSERT_OK(hrt_module_destroy(module));
  EXPECT_EQ(allocator.Live(), 1u);

  // The destroyed handles still hold their poisoned tags (the hooks did not
  // release the memory): each use is a clean INVALID_ARGUMENT.
  uint32_t count = 0;
  EXPECT_API_ERROR(hrt_module_kernel_count(module, &count), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_module_kernel_count");
  EXPECT_NE(LastError().find("destroyed"), std::string::npos) << LastError();
  EXPECT_API_ERROR(hrt_module_destroy(module), HRT_ERROR_INVALID_ARGUMENT, "hrt_module_destroy");
  EXPECT_API_ERROR(hrt_kernel_param_count(kernel, &count), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_kernel_param_count");

  ASSERT_OK(hrt_runtime_destroy(runtime));
  EXPECT_EQ(allocator.Live(), 0u);
  EXPECT_API_ERROR(hrt_device_count(runtime, &count), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_device_count");
  EXPECT_API_ERROR(hrt_runtime_destroy(runtime), HRT_ERROR_INVALID_ARGUMENT, "hrt_runtime_destroy");
}

TEST(CapiRuntime, FailingAllocatorIsOutOfMemory) {
  hrt_runtime_options_t options;
  ASSERT_OK(hrt_runtime_options_init(&options));
  options.allocator.alloc = [](void*, size_t, size_t) -> void* { return nullptr; };
  options.allocator.free = [](void*, void*) {};
  hrt_runtime_t* runtime = nullptr;
  EXPECT_API_ERROR(hrt_runtime_create(&options, &runtime), HRT_ERROR_OUT_OF_MEMORY,
                   "hrt_runtime_create");
  EXPECT_EQ(runtime, nullptr);
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

TEST_F(CapiTest, ReferenceDeviceIsDeviceZero) {
  uint32_t count = 0;
  ASSERT_OK(hrt_device_count(runtime_, &count));
  ASSERT_GE(count, 1u);

  hrt_device_properties_t props;
  std::memset(&props, 0xab, sizeof(props));
  props.struct_size = sizeof(props);
  ASSERT_OK(hrt_device_get_properties(runtime_, 0, &props));
  EXPECT_EQ(props.struct_size, sizeof(props));
  EXPECT_EQ(props.backend, HRT_BACKEND_CPU_REFERENCE);
  EXPECT_STREQ(props.name, "helionrt reference interpreter");
  EXPECT_STRNE(props.vendor, "");
  EXPECT_STRNE(props.arch, "");
  EXPECT_EQ(props.compute_units, 1u);
  EXPECT_EQ(props.subgroup_size, 1u);
  for (uint8_t byte : props.uuid) EXPECT_EQ(byte, 0);

  EXPECT_API_ERROR(hrt_device_get_properties(runtime_, count, &props), HRT_ERROR_OUT_OF_RANGE,
                   "hrt_device_get_properties");
  props.struct_size = 8;
  EXPECT_API_ERROR(hrt_device_get_properties(runtime_, 0, &props), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_device_get_properties");
}

// The library writes its own struct and nothing past it, even when the
// caller's (newer) struct is larger.
TEST_F(CapiTest, DevicePropertiesWriteNoBytePastTheStruct) {
  struct {
    hrt_device_properties_t props;
    unsigned char tail[32];
  } newer;
  std::memset(&newer, 0x5a, sizeof(newer));
  newer.props.struct_size = sizeof(newer);
  ASSERT_OK(hrt_device_get_properties(runtime_, 0, &newer.props));
  EXPECT_EQ(newer.props.struct_size, sizeof(newer));
  EXPECT_EQ(newer.props.backend, HRT_BACKEND_CPU_REFERENCE);
  for (unsigned char byte : newer.tail) EXPECT_EQ(byte, 0x5a);
}

TEST_F(CapiTest, FingerprintHasSnprintfSemantics) {
  const std::string fp = Fingerprint(runtime_, 0);
  hrt_device_properties_t props{};
  props.struct_size = sizeof(props);
  ASSERT_OK(hrt_device_get_properties(runtime_, 0, &props));
  EXPECT_EQ(fp, std::string("backend=cpu-reference;arch=") + props.arch + ";threads=1;interp=1");

  // Exactly enough room (length + NUL).
  std::vector<char> buffer(fp.size() + 1, 'x');
  size_t length = 0;
  ASSERT_OK(hrt_device_get_fingerprint(runtime_, 0, buffer.data(), buffer.size(), &length));
  EXPECT_EQ(length, fp.size());
  EXPECT_STREQ(buffer.data(), fp.c_str());

  // One byte short: truncated, NUL-terminated, full length reported.
  std::fill(buffer.begin(), buffer.end(), 'x');
  length = 0;
  EXPECT_API_ERROR(hrt_device_get_fingerprint(runtime_, 0, buffer.data(), fp.size(), &length),
                   HRT_ERROR_OUT_OF_RANGE, "hrt_device_get_fingerprint");
  EXPECT_EQ(length, fp.size());
  EXPECT_EQ(std::string(buffer.data()), fp.substr(0, fp.size() - 1));
  EXPECT_EQ(buffer[fp.size()], 'x');  // nothing written past the capacity

  char one = 'x';
  EXPECT_API_ERROR(hrt_device_get_fingerprint(runtime_, 0, &one, 1, &length),
                   HRT_ERROR_OUT_OF_RANGE, "hrt_device_get_fingerprint");
  EXPECT_EQ(one, '\0');

  // out_length is optional when a buffer is given.
  ASSERT_OK(hrt_device_get_fingerprint(runtime_, 0, buffer.data(), buffer.size(), nullptr));
  EXPECT_STREQ(buffer.data(), fp.c_str());

  uint32_t count = 0;
  ASSERT_OK(hrt_device_count(runtime_, &count));
  EXPECT_API_ERROR(hrt_device_get_fingerprint(runtime_, count, nullptr, 0, &length),
                   HRT_ERROR_OUT_OF_RANGE, "hrt_device_get_fingerprint");
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

TEST_F(CapiTest, ModuleListsItsKernels) {
  uint32_t count = 0;
  ASSERT_OK(hrt_module_kernel_count(module_, &count));
  ASSERT_EQ(count, 2u);
  const char* name = nullptr;
  ASSERT_OK(hrt_module_kernel_name(module_, 0, &name));
  EXPECT_STREQ(name, "vector_add");
  ASSERT_OK(hrt_module_kernel_name(module_, 1, &name));
  EXPECT_STREQ(name, "scale_shift");
  EXPECT_API_ERROR(hrt_module_kernel_name(module_, 2, &name), HRT_ERROR_OUT_OF_RANGE,
                   "hrt_module_kernel_name");

  ASSERT_OK(hrt_kernel_name(vector_add_, &name));
  EXPECT_STREQ(name, "vector_add");
  hrt_kernel_t* again = nullptr;
  ASSERT_OK(hrt_module_get_kernel(module_, "vector_add", &again));
  EXPECT_EQ(again, vector_add_);  // the module owns one handle per kernel
}

TEST_F(CapiTest, KernelLookupMissIsNotFound) {
  hrt_kernel_t* kernel = nullptr;
  EXPECT_API_ERROR(hrt_module_get_kernel(module_, "gemm", &kernel), HRT_ERROR_NOT_FOUND,
                   "hrt_module_get_kernel");
  EXPECT_EQ(kernel, nullptr);
  EXPECT_NE(LastError().find("'gemm'"), std::string::npos);
  EXPECT_NE(LastError().find("vector_add"), std::string::npos);  // lists what exists
  EXPECT_API_ERROR(hrt_module_get_kernel(module_, "", &kernel), HRT_ERROR_NOT_FOUND,
                   "hrt_module_get_kernel");
}

TEST_F(CapiTest, BadModuleBytesAreCleanErrors) {
  hrt_module_t* module = nullptr;
  const char bad_text[] = "kernel oops(";
  EXPECT_API_ERROR(hrt_module_load(runtime_, bad_text, sizeof(bad_text) - 1, &module),
                   HRT_ERROR_PARSE, "hrt_module_load");
  EXPECT_EQ(module, nullptr);

  std::vector<uint8_t> binary = WriteModule(module_, HRT_MODULE_FORMAT_BINARY);
  ASSERT_GT(binary.size(), 40u);
  binary[binary.size() / 2] ^= 0x10;  // the checksum catches it
  EXPECT_API_ERROR(hrt_module_load(runtime_, binary.data(), binary.size(), &module),
                   HRT_ERROR_CORRUPT_DATA, "hrt_module_load");
  binary.resize(20);  // truncated inside the header
  EXPECT_API_ERROR(hrt_module_load(runtime_, binary.data(), binary.size(), &module),
                   HRT_ERROR_CORRUPT_DATA, "hrt_module_load");
  EXPECT_EQ(module, nullptr);
}

TEST_F(CapiTest, LoadsFromAFile) {
  const std::filesystem::path dir = ::testing::TempDir();
  const std::filesystem::path path = dir / "capi_test_module.tile";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(kModuleText, 1, sizeof(kModuleText) - 1, f), sizeof(kModuleText) - 1);
    std::fclose(f);
  }
  hrt_module_t* module = nullptr;
  ASSERT_OK(hrt_module_load_file(runtime_, path.c_str(), &module));
  uint32_t count = 0;
  ASSERT_OK(hrt_module_kernel_count(module, &count));
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);

  // A parse error names the file.
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("kernel broken(", f);
    std::fclose(f);
  }
  EXPECT_API_ERROR(hrt_module_load_file(runtime_, path.c_str(), &module), HRT_ERROR_PARSE,
                   "hrt_module_load_file");
  EXPECT_NE(LastError().find(path.string()), std::string::npos) << LastError();
  std::filesystem::remove(path);

  EXPECT_API_ERROR(hrt_module_load_file(runtime_, path.c_str(), &module), HRT_ERROR_NOT_FOUND,
                   "hrt_module_load_file");
  EXPECT_API_ERROR(hrt_module_load_file(runtime_, dir.c_str(), &module), HRT_ERROR_IO,
                   "hrt_module_load_file");
  EXPECT_EQ(module, nullptr);
}

// Binary out of the API, back in, and out again: same bytes, same kernels,
// and the reloaded kernels run.
TEST_F(CapiTest, BinaryRoundTripThroughTheApi) {
  const std::vector<uint8_t> binary = WriteModule(module_, HRT_MODULE_FORMAT_BINARY);
  ASSERT_GE(binary.size(), 8u);
  EXPECT_EQ(std::memcmp(binary.data(), "HRTIR\0\r\n", 8), 0);

  hrt_module_t* reloaded = nullptr;
  ASSERT_OK(hrt_module_load(runtime_, binary.data(), binary.size(), &reloaded));
  EXPECT_EQ(WriteModule(reloaded, HRT_MODULE_FORMAT_BINARY), binary);
  uint32_t count = 0;
  ASSERT_OK(hrt_module_kernel_count(reloaded, &count));
  ASSERT_EQ(count, 2u);
  const char* name = nullptr;
  ASSERT_OK(hrt_module_kernel_name(reloaded, 1, &name));
  EXPECT_STREQ(name, "scale_shift");

  // The text form, printed and parsed back, gives the same binary too.
  const std::vector<uint8_t> text = WriteModule(module_, HRT_MODULE_FORMAT_TEXT);
  hrt_module_t* from_text = nullptr;
  ASSERT_OK(hrt_module_load(runtime_, text.data(), text.size(), &from_text));
  EXPECT_EQ(WriteModule(from_text, HRT_MODULE_FORMAT_BINARY), binary);
  EXPECT_EQ(hrt_module_destroy(from_text), HRT_OK);

  hrt_kernel_t* kernel = nullptr;
  ASSERT_OK(hrt_module_get_kernel(reloaded, "vector_add", &kernel));
  std::vector<float> x = {1, 2, 3}, y = {10, 20, 30}, out(3, 0);
  const std::vector<hrt_arg_t> args = {Tensor1D(x.data(), HRT_DTYPE_F32, 3),
                                       Tensor1D(y.data(), HRT_DTYPE_F32, 3),
                                       Tensor1D(out.data(), HRT_DTYPE_F32, 3)};
  const hrt_launch_params_t params = Params(args);
  ASSERT_OK(hrt_kernel_launch(kernel, &params));
  EXPECT_EQ(out, (std::vector<float>{11, 22, 33}));
  EXPECT_EQ(hrt_module_destroy(reloaded), HRT_OK);

  // A buffer one byte short (no room for the NUL) is OUT_OF_RANGE.
  std::vector<uint8_t> small(binary.size());
  size_t length = 0;
  EXPECT_API_ERROR(
      hrt_module_write(module_, HRT_MODULE_FORMAT_BINARY, small.data(), small.size(), &length),
      HRT_ERROR_OUT_OF_RANGE, "hrt_module_write");
  EXPECT_EQ(length, binary.size());
}

//===----------------------------------------------------------------------===//
// Kernel introspection
//===----------------------------------------------------------------------===//

TEST_F(CapiTest, DescribesParameters) {
  uint32_t count = 0;
  ASSERT_OK(hrt_kernel_param_count(vector_add_, &count));
  ASSERT_EQ(count, 3u);
  const char* names[] = {"x", "y", "out"};
  for (uint32_t i = 0; i < 3; ++i) {
    hrt_kernel_param_info_t info;
    std::memset(&info, 0xcd, sizeof(info));
    info.struct_size = sizeof(info);
    ASSERT_OK(hrt_kernel_get_param(vector_add_, i, &info));
    EXPECT_STREQ(info.name, names[i]);
    EXPECT_EQ(info.kind, HRT_PARAM_KIND_TENSOR);
    EXPECT_EQ(info.rank, 1u);
    EXPECT_EQ(info.dtype, -1);
    EXPECT_EQ(info.dtype_param, 0);
    EXPECT_STREQ(info.dims[0], "N");
    EXPECT_EQ(info.dims[1], nullptr);
  }
  hrt_kernel_param_info_t info{};
  info.struct_size = sizeof(info);
  EXPECT_API_ERROR(hrt_kernel_get_param(vector_add_, 3, &info), HRT_ERROR_OUT_OF_RANGE,
                   "hrt_kernel_get_param");
  info.struct_size = 0;
  EXPECT_API_ERROR(hrt_kernel_get_param(vector_add_, 0, &info), HRT_ERROR_INVALID_ARGUMENT,
                   "hrt_kernel_get_param");

  ASSERT_OK(hrt_kernel_param_count(scale_shift_, &count));
  ASSERT_EQ(count, 4u);
  info.struct_size = sizeof(info);
  ASSERT_OK(hrt_kernel_get_param(scale_shift_, 2, &info));
  EXPECT_STREQ(info.name, "alpha");
  EXPECT_EQ(info.kind, HRT_PARAM_KIND_SCALAR);
  EXPECT_EQ(info.rank, 0u);
  EXPECT_EQ(info.dtype, HRT_DTYPE_F32);
  EXPECT_EQ(info.dtype_param, -1);
  EXPECT_EQ(info.dims[0], nullptr);
  ASSERT_OK(hrt_kernel_get_param(scale_shift_, 3, &info));
  EXPECT_STREQ(info.name, "shift");
  EXPECT_EQ(info.dtype, HRT_DTYPE_I32);
  ASSERT_OK(hrt_kernel_get_param(scale_shift_, 0, &info));
  EXPECT_EQ(info.kind, HRT_PARAM_KIND_TENSOR);
  EXPECT_EQ(info.dtype, HRT_DTYPE_F32);
}

TEST_F(CapiTest, DescribesTunablesAndDTypeParameters) {
  uint32_t count = 0;
  ASSERT_OK(hrt_kernel_tunable_count(vector_add_, &count));
  ASSERT_EQ(count, 2u);
  hrt_kernel_tunable_info_t t{};
  t.struct_size = sizeof(t);
  ASSERT_OK(hrt_kernel_get_tunable(vector_add_, 0, &t));
  EXPECT_STREQ(t.name, "BLOCK");
  EXPECT_EQ(std::vector<int64_t>(t.candidates, t.candidates + t.candidate_count),
            (std::vector<int64_t>{128, 256, 512, 1024}));
  EXPECT_EQ(t.default_value, 256);
  ASSERT_OK(hrt_kernel_get_tunable(vector_add_, 1, &t));
  EXPECT_STREQ(t.name, "WARPS");
  EXPECT_EQ(t.candidate_count, 4u);
  EXPECT_EQ(t.default_value, 4);
  EXPECT_API_ERROR(hrt_kernel_get_tunable(vector_add_, 2, &t), HRT_ERROR_OUT_OF_RANGE,
                   "hrt_kernel_get_tunable");

  ASSERT_OK(hrt_kernel_dtype_param_count(vector_add_, &count));
  ASSERT_EQ(count, 1u);
  hrt_kernel_dtype_param_info_t d{};
  d.struct_size = sizeof(d);
  ASSERT_OK(hrt_kernel_get_dtype_param(vector_add_, 0, &d));
  EXPECT_STREQ(d.name, "T");
  EXPECT_EQ(std::vector<int32_t>(d.candidates, d.candidates + d.candidate_count),
            (std::vector<int32_t>{HRT_DTYPE_F16, HRT_DTYPE_BF16, HRT_DTYPE_F32}));
  EXPECT_API_ERROR(hrt_kernel_get_dtype_param(vector_add_, 1, &d), HRT_ERROR_OUT_OF_RANGE,
                   "hrt_kernel_get_dtype_param");
  ASSERT_OK(hrt_kernel_dtype_param_count(scale_shift_, &count));
  EXPECT_EQ(count, 0u);
}

//===----------------------------------------------------------------------===//
// Launch on the reference device
//===----------------------------------------------------------------------===//

TEST_F(CapiTest, VectorAddF32WithExplicitConfig) {
  // 1000 is not a multiple of the block: the last program is masked. The
  // buffers are longer than the tensors so writes past N would show.
  constexpr int64_t kN = 1000;
  constexpr float kSentinel = -12345.0f;
  std::vector<float> x(kN + 8), y(kN + 8), out(kN + 8, kSentinel);
  for (int64_t i = 0; i < kN + 8; ++i) {
    x[i] = static_cast<float>(i) * 0.5f - 100.0f;
    y[i] = 3.0f * static_cast<float>(i % 17) + 0.25f;
  }
  const std::vector<hrt_arg_t> args = {Tensor1D(x.data(), HRT_DTYPE_F32, kN),
                                       Tensor1D(y.data(), HRT_DTYPE_F32, kN),
                                       Tensor1D(out.data(), HRT_DTYPE_F32, kN)};
  const std::vector<hrt_config_entry_t> config = {
      {"BLOCK", 128}, {"WARPS", 2}, {"T", HRT_DTYPE_F32}};
  const hrt_launch_params_t params = Params(args, config);
  ASSERT_OK(hrt_kernel_launch(vector_add_, &params));
  for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  for (int64_t i = kN; i < kN + 8; ++i) EXPECT_EQ(out[i], kSentinel) << i;

  size_t cached = 0;
  ASSERT_OK(hrt_kernel_cached_config_count(vector_add_, &cached));
  EXPECT_EQ(cached, 1u);
  // Same config again: served from the cache.
  std::fill(out.begin(), out.end(), kSentinel);
  ASSERT_OK(hrt_kernel_launch(vector_add_, &params));
  EXPECT_EQ(out[kN - 1], x[kN - 1] + y[kN - 1]);
  ASSERT_OK(hrt_kernel_cached_config_count(vector_add_, &cached));
  EXPECT_EQ(cached, 1u);
}

// No config at all: T is inferred from the tensors (f16 here), the tunables
// take their defaults.
TEST_F(CapiTest, VectorAddF16WithInferredDType) {
  constexpr int64_t kN = 777;
  std::vector<uint16_t> x(kN), y(kN), out(kN, 0xffff);
  std::vector<float> expected(kN);
  for (int64_t i = 0; i < kN; ++i) {
    // Small multiples of 1/8: exact in f16, and so are their sums.
    const float a = static_cast<float>(i % 64) * 0.125f;
    const float b = static_cast<float>((i * 7) % 50) - 25.0f;
    x[i] = hrt::ir::FloatToHalf(a);
    y[i] = hrt::ir::FloatToHalf(b);
    expected[i] = a + b;
  }
  const std::vector<hrt_arg_t> args = {Tensor1D(x.data(), HRT_DTYPE_F16, kN),
                                       Tensor1D(y.data(), HRT_DTYPE_F16, kN),
                                       Tensor1D(out.data(), HRT_DTYPE_F16, kN)};
  const hrt_launch_params_t params = Params(args);
  ASSERT_OK(hrt_kernel_launch(vector_add_, &params));
  for (int64_t i = 0; i < kN; ++i) {
    ASSERT_EQ(hrt::ir::HalfToFloat(out[i]), expected[i]) << i;
  }

  // bf16 infers another binding: a second cache entry.
  std::vector<uint16_t> xb(kN), yb(kN), outb(kN, 0xffff);
  for (int64_t i = 0; i < kN; ++i) {
    xb[i] = hrt::ir::FloatToBF16(static_cast<float>(i % 32));
    yb[i] = hrt::ir::FloatToBF16(static_cast<float>(i % 5) * 0.5f);
  }
  const std::vector<hrt_arg_t> bargs = {Tensor1D(xb.data(), HRT_DTYPE_BF16, kN),
                                        Tensor1D(yb.data(), HRT_DTYPE_BF16, kN),
                                        Tensor1D(outb.data(), HRT_DTYPE_BF16, kN)};
  const hrt_launch_params_t bparams = Params(bargs);
  ASSERT_OK(hrt_kernel_launch(vector_add_, &bparams));
  for (int64_t i = 0; i < kN; ++i) {
    const float want = static_cast<float>(i % 32) + static_cast<float>(i % 5) * 0.5f;
    ASSERT_EQ(hrt::ir::BF16ToFloat(outb[i]), want) << i;
  }
  size_t cached = 0;
  ASSERT_OK(hrt_kernel_cached_config_count(vector_add_, &cached));
  EXPECT_EQ(cached, 2u);
}

TEST_F(CapiTest, ScalarArguments) {
  constexpr int64_t kN = 130;
  std::vector<float> x(kN), out(kN, 0);
  for (int64_t i = 0; i < kN; ++i) x[i] = static_cast<float>(i) * 0.25f;
  const std::vector<hrt_arg_t> args = {Tensor1D(x.data(), HRT_DTYPE_F32, kN),
                                       Tensor1D(out.data(), HRT_DTYPE_F32, kN), FloatArg(2.5),
                                       IntArg(-3)};
  const std::vector<hrt_config_entry_t> config = {{"BLOCK", 128}};
  const hrt_launch_params_t params = Params(args, config);
  ASSERT_OK(hrt_kernel_launch(scale_shift_, &params));
  for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(out[i], x[i] * 2.5f - 3.0f) << i;
}

// Several threads launch the same kernel with different configs at once.
TEST_F(CapiTest, ConcurrentLaunchesShareTheCache) {
  constexpr int kThreads = 4;
  constexpr int64_t kN = 300;
  const int64_t blocks[kThreads] = {128, 256, 512, 128};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> x(kN, static_cast<float>(t)), y(kN, 1.0f), out(kN, 0);
      const std::vector<hrt_arg_t> args = {Tensor1D(x.data(), HRT_DTYPE_F32, kN),
                                           Tensor1D(y.data(), HRT_DTYPE_F32, kN),
                                           Tensor1D(out.data(), HRT_DTYPE_F32, kN)};
      const std::vector<hrt_config_entry_t> config = {{"BLOCK", blocks[t]}};
      for (int round = 0; round < 5; ++round) {
        const hrt_launch_params_t params = Params(args, config);
        if (hrt_kernel_launch(vector_add_, &params) != HRT_OK) failures++;
        for (float v : out) {
          if (v != static_cast<float>(t) + 1.0f) failures++;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  size_t cached = 0;
  ASSERT_OK(hrt_kernel_cached_config_count(vector_add_, &cached));
  EXPECT_EQ(cached, 3u);  // three distinct BLOCK values
}

//===----------------------------------------------------------------------===//
// Launch errors
//===----------------------------------------------------------------------===//

class CapiLaunchErrorTest : public CapiTest {
 protected:
  static constexpr int64_t kN = 64;
  hrt_status_t Launch(hrt_kernel_t* kernel, const std::vector<hrt_arg_t>& args,
                      const std::vector<hrt_config_entry_t>& config = {}) {
    const hrt_launch_params_t params = Params(args, config);
    return hrt_kernel_launch(kernel, &params);
  }
  std::vector<hrt_arg_t> GoodAddArgs(hrt_dtype_t dtype = HRT_DTYPE_F32) {
    return {Tensor1D(x_.data(), dtype, kN), Tensor1D(y_.data(), dtype, kN),
            Tensor1D(out_.data(), dtype, kN)};
  }
  // Checks the launch failed, named the kernel, and wrote nothing.
  void ExpectFailed(hrt_status_t status, hrt_status_t expected, const std::string& needle) {
    EXPECT_EQ(status, expected) << hrt_last_error_message();
    const std::string message = hrt_last_error_message();
    EXPECT_EQ(message.rfind("hrt_kernel_launch: ", 0), 0u) << message;
    EXPECT_NE(message.find(needle), std::string::npos)
        << "message '" << message << "' lacks '" << needle << "'";
    for (float v : out_) ASSERT_EQ(v, -1.0f) << "a failed launch wrote output";
  }

  std::vector<float> x_ = std::vector<float>(kN, 1.0f);
  std::vector<float> y_ = std::vector<float>(kN, 2.0f);
  std::vector<float> out_ = std::vector<float>(kN, -1.0f);
};

TEST_F(CapiLaunchErrorTest, GoodArgumentsSucceed) {
  // The baseline the other cases perturb.
  ASSERT_OK(Launch(vector_add_, GoodAddArgs()));
  for (float v : out_) EXPECT_EQ(v, 3.0f);
}

TEST_F(CapiLaunchErrorTest, ParamsStruct) {
  hrt_launch_params_t params = Params(GoodAddArgs());
  params.struct_size = 0;
  ExpectFailed(hrt_kernel_launch(vector_add_, &params), HRT_ERROR_INVALID_ARGUMENT, "struct_size");
  params = Params({});
  params.arg_count = 3;  // args NULL
  ExpectFailed(hrt_kernel_launch(vector_add_, &params), HRT_ERROR_INVALID_ARGUMENT, "NULL");
  const std::vector<hrt_arg_t> args = GoodAddArgs();
  params = Params(args);
  params.config_count = 1;  // config NULL
  ExpectFailed(hrt_kernel_launch(vector_add_, &params), HRT_ERROR_INVALID_ARGUMENT, "config");
}

TEST_F(CapiLaunchErrorTest, WrongArgumentCount) {
  std::vector<hrt_arg_t> args = GoodAddArgs();
  args.pop_back();
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "expected 3 argument");
  args = GoodAddArgs();
  args.push_back(IntArg(1));
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "got 4");
}

TEST_F(CapiLaunchErrorTest, WrongKinds) {
  std::vector<hrt_arg_t> args = GoodAddArgs();
  args[1] = IntArg(5);
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "argument 1 ('y')");
  args = GoodAddArgs();
  args[0].kind = 77;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "argument 0 ('x')");

  const std::vector<hrt_arg_t> tensors = {Tensor1D(x_.data(), HRT_DTYPE_F32, kN),
                                          Tensor1D(out_.data(), HRT_DTYPE_F32, kN)};
  std::vector<hrt_arg_t> scalar_args = tensors;
  scalar_args.push_back(IntArg(2));  // alpha is f32: needs FLOAT
  scalar_args.push_back(IntArg(1));
  ExpectFailed(Launch(scale_shift_, scalar_args), HRT_ERROR_INVALID_ARGUMENT,
               "argument 2 ('alpha')");
  scalar_args[2] = FloatArg(2.0);
  scalar_args[3] = FloatArg(1.0);  // shift is i32: needs INT
  ExpectFailed(Launch(scale_shift_, scalar_args), HRT_ERROR_INVALID_ARGUMENT,
               "argument 3 ('shift')");
  scalar_args[3] = Tensor1D(x_.data(), HRT_DTYPE_F32, kN);
  ExpectFailed(Launch(scale_shift_, scalar_args), HRT_ERROR_INVALID_ARGUMENT,
               "argument 3 ('shift')");
  scalar_args[3] = IntArg(int64_t{1} << 40);  // not an i32
  ExpectFailed(Launch(scale_shift_, scalar_args), HRT_ERROR_INVALID_ARGUMENT, "range");
}

TEST_F(CapiLaunchErrorTest, DTypeMismatch) {
  // Two tensors that infer T differently: the second is named.
  std::vector<hrt_arg_t> args = GoodAddArgs();
  args[1].value.tensor.dtype = HRT_DTYPE_F16;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "argument 1 ('y')");
  // An explicit T that the tensors contradict: the first tensor is named.
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"T", HRT_DTYPE_F16}}),
               HRT_ERROR_INVALID_ARGUMENT, "argument 0 ('x')");
  // A dtype that is not a candidate of T.
  ExpectFailed(Launch(vector_add_, GoodAddArgs(HRT_DTYPE_I32)), HRT_ERROR_INVALID_ARGUMENT,
               "not a candidate");
  // A concrete parameter dtype.
  std::vector<hrt_arg_t> scalar_args = {Tensor1D(x_.data(), HRT_DTYPE_F32, kN),
                                        Tensor1D(out_.data(), HRT_DTYPE_F16, kN), FloatArg(1),
                                        IntArg(0)};
  ExpectFailed(Launch(scale_shift_, scalar_args), HRT_ERROR_INVALID_ARGUMENT, "argument 1 ('out')");
  // Not a dtype at all.
  args = GoodAddArgs();
  args[2].value.tensor.dtype = 99;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "argument 2 ('out')");
}

TEST_F(CapiLaunchErrorTest, BadConfig) {
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"BLOCKZ", 128}}), HRT_ERROR_INVALID_ARGUMENT,
               "'BLOCKZ'");
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"BLOCK", 100}}), HRT_ERROR_INVALID_ARGUMENT,
               "candidates");
  // WARPS * 32 <= BLOCK is violated.
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"BLOCK", 128}, {"WARPS", 8}}),
               HRT_ERROR_INVALID_ARGUMENT, "constraint");
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"BLOCK", 128}, {"BLOCK", 256}}),
               HRT_ERROR_INVALID_ARGUMENT, "both set 'BLOCK'");
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{nullptr, 128}}), HRT_ERROR_INVALID_ARGUMENT,
               "NULL name");
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), {{"T", 42}}), HRT_ERROR_INVALID_ARGUMENT, "T");
  const std::vector<hrt_config_entry_t> too_many(5, hrt_config_entry_t{"BLOCK", 128});
  ExpectFailed(Launch(vector_add_, GoodAddArgs(), too_many), HRT_ERROR_INVALID_ARGUMENT,
               "config entries");
  size_t cached = 0;
  ASSERT_OK(hrt_kernel_cached_config_count(vector_add_, &cached));
  EXPECT_EQ(cached, 0u);  // nothing bound for failed configs
}

TEST_F(CapiLaunchErrorTest, BadTensors) {
  std::vector<hrt_arg_t> args = GoodAddArgs();
  args[1].value.tensor.shape[0] = kN - 1;  // N disagrees with x
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "argument 1 ('y')");
  args = GoodAddArgs();
  args[0].value.tensor.rank = 2;
  args[0].value.tensor.shape[1] = 1;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "rank");
  args = GoodAddArgs();
  args[2].value.tensor.shape[0] = -1;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "negative");
  args = GoodAddArgs();
  args[0].value.tensor.address = 0;
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "address 0");
  args = GoodAddArgs();
  args[0].value.tensor.address += 2;  // not aligned to 4 bytes
  ExpectFailed(Launch(vector_add_, args), HRT_ERROR_INVALID_ARGUMENT, "aligned");
}

TEST_F(CapiLaunchErrorTest, DeviceAndStream) {
  const std::vector<hrt_arg_t> args = GoodAddArgs();
  hrt_launch_params_t params = Params(args);
  int fake_stream = 0;
  params.stream = &fake_stream;
  ExpectFailed(hrt_kernel_launch(vector_add_, &params), HRT_ERROR_INVALID_ARGUMENT, "stream");
  params.stream = nullptr;
  uint32_t count = 0;
  ASSERT_OK(hrt_device_count(runtime_, &count));
  params.device_index = count;
  ExpectFailed(hrt_kernel_launch(vector_add_, &params), HRT_ERROR_OUT_OF_RANGE, "device index");
}

// An empty tensor may have address 0 and launches no work that touches it.
TEST_F(CapiLaunchErrorTest, EmptyTensorsAreAccepted) {
  const std::vector<hrt_arg_t> args = {Tensor1D(nullptr, HRT_DTYPE_F32, 0),
                                       Tensor1D(nullptr, HRT_DTYPE_F32, 0),
                                       Tensor1D(nullptr, HRT_DTYPE_F32, 0)};
  ASSERT_OK(Launch(vector_add_, args));
}

}  // namespace
