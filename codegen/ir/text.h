// Text form of a tile-IR module; grammar in docs/tile-ir.md.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

// Prints a module in the text form. Printing a parsed module and parsing the
// result yields an identical module (and identical binary form).
std::string PrintModule(const Module& module);
std::string PrintKernel(const Kernel& kernel);

// Parses and verifies a module. Errors are kParseError with a
// "<source>:line:column: message" prefix, or kVerificationFailed.
Result<Module> ParseModule(std::string_view text, std::string_view source_name = "<input>");

}  // namespace hrt::ir
