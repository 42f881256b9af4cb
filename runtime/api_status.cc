// Status names and the per-thread last-error message.
#include "runtime/api_status.h"

#include <string>

namespace hrt::runtime {
namespace {

// The message of the last failing call on this thread. |fallback| points at a
// static string when storing the formatted message failed (out of memory).
struct LastError {
  std::string message;
  const char* fallback = nullptr;
};

thread_local LastError t_last_error;

static_assert(static_cast<int>(Code::kOk) == HRT_OK);
static_assert(static_cast<int>(Code::kInvalidArgument) == HRT_ERROR_INVALID_ARGUMENT);
static_assert(static_cast<int>(Code::kNotFound) == HRT_ERROR_NOT_FOUND);
static_assert(static_cast<int>(Code::kOutOfMemory) == HRT_ERROR_OUT_OF_MEMORY);
static_assert(static_cast<int>(Code::kUnavailable) == HRT_ERROR_UNAVAILABLE);
static_assert(static_cast<int>(Code::kUnsupported) == HRT_ERROR_UNSUPPORTED);
static_assert(static_cast<int>(Code::kCorruptData) == HRT_ERROR_CORRUPT_DATA);
static_assert(static_cast<int>(Code::kVersionMismatch) == HRT_ERROR_VERSION_MISMATCH);
static_assert(static_cast<int>(Code::kVerificationFailed) == HRT_ERROR_VERIFICATION_FAILED);
static_assert(static_cast<int>(Code::kParseError) == HRT_ERROR_PARSE);
static_assert(static_cast<int>(Code::kIoError) == HRT_ERROR_IO);
static_assert(static_cast<int>(Code::kDeviceError) == HRT_ERROR_DEVICE);
static_assert(static_cast<int>(Code::kFailedPrecondition) == HRT_ERROR_FAILED_PRECONDITION);
static_assert(static_cast<int>(Code::kOutOfRange) == HRT_ERROR_OUT_OF_RANGE);
static_assert(static_cast<int>(Code::kInternal) == HRT_ERROR_INTERNAL);

hrt_status_t ToC(Code code) {
  return static_cast<hrt_status_t>(static_cast<int32_t>(code));
}

}  // namespace

hrt_status_t ToCStatus(const char* function, const Status& status) noexcept {
  if (status.ok()) return HRT_OK;
  LastError& last = t_last_error;
  try {
    last.message.assign(function);
    last.message.append(": ");
    last.message.append(status.message().empty() ? CodeName(status.code()) : status.message());
    last.fallback = nullptr;
  } catch (...) {
    last.fallback = "out of memory while recording the error message";
  }
  return ToC(status.code());
}

hrt_status_t FailStatic(const char* function, Code code, const char* message) noexcept {
  LastError& last = t_last_error;
  try {
    last.message.assign(function);
    last.message.append(": ");
    last.message.append(message);
    last.fallback = nullptr;
  } catch (...) {
    last.fallback = message;
  }
  return ToC(code);
}

}  // namespace hrt::runtime

extern "C" {

HRT_API const char* hrt_status_string(hrt_status_t status) {
  const auto value = static_cast<int32_t>(status);
  if (value < 0 || value > static_cast<int32_t>(hrt::Code::kInternal)) return "UNKNOWN";
  return hrt::CodeName(static_cast<hrt::Code>(value));
}

HRT_API const char* hrt_last_error_message(void) {
  const hrt::runtime::LastError& last = hrt::runtime::t_last_error;
  return last.fallback ? last.fallback : last.message.c_str();
}

}  // extern "C"
