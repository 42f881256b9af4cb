// Subcommands of the helionrt command-line tool. Each takes the arguments
// after its name and returns the process exit code.
#pragma once

#include <span>
#include <string_view>

namespace hrt::cli {

using Args = std::span<const std::string_view>;

int CmdVersion(Args args);
int CmdDemo(Args args);
int CmdIr(Args args);

}  // namespace hrt::cli
