#include <cstdio>

#include "helionrt/helionrt.h"
#include "tools/commands.h"

namespace hrt::cli {

int CmdVersion(Args args) {
  if (!args.empty()) {
    std::fprintf(stderr, "usage: helionrt version\n");
    return 2;
  }
  const uint32_t ir = hrt_ir_format_version();
  std::printf("helionrt %s (header %s)\n", hrt_version_string(), HRT_VERSION_STRING);
  std::printf("tile-IR binary format %u.%u\n", ir >> 16, ir & 0xffffu);
  return hrt_version_number() == HRT_VERSION_NUMBER ? 0 : 1;
}

}  // namespace hrt::cli
