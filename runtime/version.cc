// Version queries of the loaded library.
#include "codegen/ir/binary.h"
#include "runtime/c_api.h"

extern "C" {

HRT_API uint32_t hrt_version_number(void) {
  return HRT_VERSION_NUMBER;
}

HRT_API const char* hrt_version_string(void) {
  return HRT_VERSION_STRING;
}

HRT_API uint32_t hrt_ir_format_version(void) {
  return (static_cast<uint32_t>(hrt::ir::kIrFormatMajor) << 16) | hrt::ir::kIrFormatMinor;
}

}  // extern "C"
