// A structural check of a SPIR-V module from an untrusted source (a bundle's
// SPIR-V variant) before a driver sees it: Vulkan drivers need not validate
// what they are given, and a truncated or garbled module must be a clean
// error, not a crash inside the driver. The check walks the header and every
// instruction's length and finds the compute entry point; it does not
// validate semantics (the validation layer runs spirv-val when enabled).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"

namespace hrt::vulkan {

// OK when |bytes| is a little-endian SPIR-V 1.0..1.6 module whose
// instructions tile the words exactly, ending with OpFunctionEnd (a module
// cut at an instruction boundary fails), and that declares a GLCompute
// OpEntryPoint named |entry_name|. kCorruptData saying what is wrong
// ("not a SPIR-V module", "instruction at word N runs past the end", ...);
// kNotFound when the entry point is missing.
Status CheckSpirvModule(std::span<const uint8_t> bytes, std::string_view entry_name);

}  // namespace hrt::vulkan
