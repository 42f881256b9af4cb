// Internal error vocabulary shared by every part of helionrt.
//
// A Status is a code plus a message. Each hop that passes an error upward may
// prepend context with Annotate(), so the message a user finally reads names
// the whole path ("load module: kernel 'gemm': op 12 (dot): shape mismatch").
// The numeric codes are the public hrt_status_t values, so the C API converts
// without a table.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace hrt {

// Mirrors hrt_status_t in include/helionrt/helionrt.h; values are ABI.
enum class Code : int32_t {
  kOk = 0,
  kInvalidArgument = 1,
  kNotFound = 2,
  kOutOfMemory = 3,
  kUnavailable = 4,
  kUnsupported = 5,
  kCorruptData = 6,
  kVersionMismatch = 7,
  kVerificationFailed = 8,
  kParseError = 9,
  kIoError = 10,
  kDeviceError = 11,
  kFailedPrecondition = 12,
  kOutOfRange = 13,
  kInternal = 14,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prepends "context: " to the message; a no-op on OK statuses.
  Status& Annotate(const std::string& context) {
    if (!ok()) message_ = context + ": " + message_;
    return *this;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  Status take_status() { return ok() ? Status() : std::move(std::get<Status>(v_)); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

inline Status InvalidArgument(std::string m) {
  return {Code::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {Code::kNotFound, std::move(m)};
}
inline Status CorruptData(std::string m) {
  return {Code::kCorruptData, std::move(m)};
}
inline Status VerificationFailed(std::string m) {
  return {Code::kVerificationFailed, std::move(m)};
}
inline Status ParseError(std::string m) {
  return {Code::kParseError, std::move(m)};
}
inline Status Unsupported(std::string m) {
  return {Code::kUnsupported, std::move(m)};
}
inline Status Internal(std::string m) {
  return {Code::kInternal, std::move(m)};
}
inline Status IoError(std::string m) {
  return {Code::kIoError, std::move(m)};
}
inline Status OutOfRange(std::string m) {
  return {Code::kOutOfRange, std::move(m)};
}

// Human-readable name of a code ("INVALID_ARGUMENT"); never null.
const char* CodeName(Code code);

}  // namespace hrt

#define HRT_CONCAT_INNER_(a, b) a##b
#define HRT_CONCAT_(a, b) HRT_CONCAT_INNER_(a, b)

// Returns the Status of |expr| from the enclosing function if it is an error.
#define HRT_RETURN_IF_ERROR(expr)                      \
  do {                                                 \
    ::hrt::Status hrt_status_tmp_ = (expr);            \
    if (!hrt_status_tmp_.ok()) return hrt_status_tmp_; \
  } while (0)

// Evaluates a Result<T> expression; on error returns its Status, else moves the
// value into |lhs| (which may be a declaration: `auto x`).
#define HRT_ASSIGN_OR_RETURN(lhs, expr) \
  HRT_ASSIGN_OR_RETURN_IMPL_(HRT_CONCAT_(hrt_result_, __LINE__), lhs, expr)
#define HRT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.take_status();         \
  lhs = std::move(tmp.value())
