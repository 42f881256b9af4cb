#include "runtime/vulkan/spirv_check.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace hrt::vulkan {
namespace {

constexpr uint32_t kMagic = 0x07230203;
constexpr uint32_t kOpEntryPoint = 15;
constexpr uint32_t kOpFunctionEnd = 56;
constexpr uint32_t kExecutionModelGLCompute = 5;
constexpr size_t kHeaderWords = 5;

std::string Hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

}  // namespace

Status CheckSpirvModule(std::span<const uint8_t> bytes, std::string_view entry_name) {
  uint32_t magic = 0;
  if (bytes.size() >= 4) std::memcpy(&magic, bytes.data(), 4);
  if (bytes.size() < kHeaderWords * 4 || bytes.size() % 4 != 0 || magic != kMagic) {
    return Status(Code::kCorruptData, "not a SPIR-V module (" + std::to_string(bytes.size()) +
                                          " bytes, magic " + Hex(magic) + ")");
  }
  std::vector<uint32_t> words(bytes.size() / 4);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  const uint32_t version = words[1];
  if ((version & 0xff0000ffu) != 0 || (version >> 16) != 1 || ((version >> 8) & 0xff) > 6) {
    return Status(Code::kCorruptData, "SPIR-V version word " + Hex(version) + " is not 1.0 to 1.6");
  }
  if (words[3] == 0) return Status(Code::kCorruptData, "SPIR-V id bound is 0");
  if (words[4] != 0) return Status(Code::kCorruptData, "SPIR-V schema word is not 0");
  bool found = false;
  uint32_t last_opcode = 0;
  for (size_t i = kHeaderWords; i < words.size();) {
    const uint32_t count = words[i] >> 16;
    const uint32_t opcode = words[i] & 0xffff;
    if (count == 0 || count > words.size() - i) {
      return Status(Code::kCorruptData, "SPIR-V instruction at word " + std::to_string(i) +
                                            " has length " + std::to_string(count) +
                                            (count == 0 ? "" : " and runs past the end"));
    }
    if (opcode == kOpEntryPoint && count >= 4 && words[i + 1] == kExecutionModelGLCompute) {
      // The name: a NUL-terminated literal from word i + 3, within the
      // instruction.
      const char* name = reinterpret_cast<const char*>(&words[i + 3]);
      const size_t max = (count - 3) * 4;
      const size_t len = strnlen(name, max);
      if (len < max && std::string_view(name, len) == entry_name) found = true;
    }
    last_opcode = opcode;
    i += count;
  }
  // Function bodies come last in a module: anything else at the end means
  // it was cut short.
  if (last_opcode != kOpFunctionEnd) {
    return Status(Code::kCorruptData,
                  "the SPIR-V module does not end with OpFunctionEnd "
                  "(truncated?)");
  }
  if (!found) {
    return Status(Code::kNotFound, "the SPIR-V module has no GLCompute entry point '" +
                                       std::string(entry_name) + "'");
  }
  return Status::Ok();
}

}  // namespace hrt::vulkan
