// helionrt: command-line front end to libhelionrt.
#include <cstdio>
#include <string_view>
#include <vector>

#include "tools/cmd_cache.h"
#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(hrt::cli::Args);
};

constexpr Command kCommands[] = {
    {"version", "print the library, IR-format and CLI versions", hrt::cli::CmdVersion},
    {"demo", "run the standard kernels on the best device and check them", hrt::cli::CmdDemo},
    {"info", "list the backends and their devices (or why they have none)", hrt::cli::CmdInfo},
    {"bundle", "build a kernel bundle from tile-IR files, or inspect one", hrt::cli::CmdBundle},
    {"explain", "show which variant of a bundle kernel a device runs, and why",
     hrt::cli::CmdExplain},
    {"compile", "generate PTX for one kernel and config", hrt::cli::CmdCompile},
    {"tune", "tune kernels at given shapes on a device and write a bundle", hrt::cli::CmdTune},
    {"cache", "inspect and maintain the persistent kernel cache", hrt::cli::CmdCache},
    {"ir", "check, print or assemble tile-IR files (run 'helionrt ir' for usage)", hrt::cli::CmdIr},
};

int Usage(FILE* out) {
  std::fprintf(out, "usage: helionrt <command> [args]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'helionrt <command> --help' for a command's options (docs/cli.md).\n");
  return out == stdout ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(stderr);
  const std::string_view name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") return Usage(stdout);
  std::vector<std::string_view> args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(args);
  }
  std::fprintf(stderr, "helionrt: unknown command '%s'\n\n", argv[1]);
  return Usage(stderr);
}
