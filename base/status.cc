#include "base/status.h"

namespace hrt {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kOutOfMemory: return "OUT_OF_MEMORY";
    case Code::kUnavailable: return "UNAVAILABLE";
    case Code::kUnsupported: return "UNSUPPORTED";
    case Code::kCorruptData: return "CORRUPT_DATA";
    case Code::kVersionMismatch: return "VERSION_MISMATCH";
    case Code::kVerificationFailed: return "VERIFICATION_FAILED";
    case Code::kParseError: return "PARSE_ERROR";
    case Code::kIoError: return "IO_ERROR";
    case Code::kDeviceError: return "DEVICE_ERROR";
    case Code::kFailedPrecondition: return "FAILED_PRECONDITION";
    case Code::kOutOfRange: return "OUT_OF_RANGE";
    case Code::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

}  // namespace hrt
