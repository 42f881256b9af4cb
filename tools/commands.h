// Subcommands of the helionrt command-line tool. Each takes the arguments
// after its name and returns the process exit code: 0 success, 1 failure
// (one "helionrt: ..." line on stderr), 2 usage error (docs/cli.md).
#pragma once

#include <span>
#include <string_view>

namespace hrt::cli {

using Args = std::span<const std::string_view>;

int CmdVersion(Args args);
int CmdDemo(Args args);
int CmdIr(Args args);
int CmdInfo(Args args);
int CmdBundle(Args args);
int CmdExplain(Args args);
int CmdCompile(Args args);
int CmdTune(Args args);

}  // namespace hrt::cli
