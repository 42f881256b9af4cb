// Helpers shared by the helionrt subcommands: argument parsing, file I/O,
// error reporting, loading kernels, and running external tools (ptxas).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/ir.h"
#include "codegen/ptx/ptx.h"
#include "tools/commands.h"

namespace hrt::cli {

// Exit codes of every command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

// One flag a command accepts. Flags are written "--name VALUE" or
// "--name=VALUE" (short flags such as "-o" only "-o VALUE").
struct FlagSpec {
  std::string_view name;  // with its dashes: "--json", "-o"
  bool takes_value = false;
  bool repeatable = false;
};

// A command line split into flags and positional arguments.
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> flags;  // name, value ("" for switches)
  std::vector<std::string> positionals;

  bool Has(std::string_view name) const;
  // The value of a non-repeatable flag, if given.
  std::optional<std::string> Value(std::string_view name) const;
  // Every value of a repeatable flag, in command-line order.
  std::vector<std::string> Values(std::string_view name) const;
};

// Splits |args| by |specs|. "--" ends the flags; a lone "-" is a positional.
// Errors (kInvalidArgument, a usage error): an unknown flag, a missing value,
// a value given to a switch, a non-repeatable flag given twice.
Result<ParsedArgs> ParseArgs(Args args, std::span<const FlagSpec> specs);

// True when |args| ask for help ("--help" or "-h" before any "--"); the
// command then prints its usage to stdout and exits 0 (PrintHelp).
bool WantsHelp(Args args);
int PrintHelp(std::string_view usage);

// Parses a decimal integer in [min, max] (the whole string). |what| names the
// value in the error. Errors: kInvalidArgument.
Result<int64_t> ParseInt(std::string_view text, std::string_view what, int64_t min, int64_t max);

// Splits |text| at every |sep|; empty pieces are kept.
std::vector<std::string_view> Split(std::string_view text, char sep);

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

// Prints "helionrt: <message>" on one line to stderr (line breaks in the
// message become "; ") and returns kExitFailure.
int Fail(const Status& status);
int Fail(std::string_view message);
// Prints "helionrt: <message>" and then |usage| to stderr; returns kExitUsage.
int UsageError(std::string_view message, std::string_view usage);
// Prints "helionrt: warning: <message>" to stderr.
void Warn(std::string_view message);

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

// Reads a whole regular file. Errors: kIoError naming the path (missing,
// unreadable, a directory or other non-regular file, larger than
// |max_bytes|).
Result<std::vector<uint8_t>> ReadFile(const std::string& path, uint64_t max_bytes = 1ull << 32);

// Writes |bytes| to |path| ("-": stdout). A file is written as "<path>.tmp"
// and renamed over |path|, so readers never see half a file.
// Errors: kIoError naming the path.
Status WriteFile(const std::string& path, std::span<const uint8_t> bytes);
Status WriteFile(const std::string& path, std::string_view text);

// A fresh private directory under $TMPDIR (else /tmp), removed with its
// files by the destructor.
class TempDir {
 public:
  static Result<TempDir> Create();
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

// Parses a tile-IR module file, text or binary (told apart by the binary
// magic); |path| names the source in parse errors.
Result<ir::Module> ParseIrFile(const std::string& path, std::span<const uint8_t> data);

// |given| plus every tunable it leaves out at its default and every dtype
// parameter it leaves out at its first candidate. Names |given| binds that
// the kernel lacks stay, so Bind() reports them.
ir::Config CompleteConfig(const ir::Kernel& kernel, const ir::Config& given);

// |config| as "k=v,..." in |kernel|'s declaration order (tunables, then
// dtype parameters by name, e.g. "T=bf16"), then any names the kernel lacks.
// Config::ToString() cannot name dtypes: it does not know which entries are.
std::string ConfigLabel(const ir::Kernel& kernel, const ir::Config& config);

// The emitter's options for CUDA architecture |arch| ("sm_90a", "80"): the
// target, PTX ISA |ptx_isa| (0: 8.0, or the oldest ISA naming the target if
// newer), and the per-block limits of that architecture's CUDA defaults
// (select::CudaDefaultsFor: max threads, opt-in shared memory).
// Errors: kInvalidArgument (not an sm_XY[a] architecture the emitter knows),
// kUnsupported (below sm_80, or an ISA too old for the target).
Result<ptx::EmitOptions> EmitOptionsFor(std::string_view arch, uint32_t ptx_isa = 0);

// "8.5" -> 85 (the emitter's major * 10 + minor). Errors: kInvalidArgument.
Result<uint32_t> ParsePtxIsaFlag(std::string_view text);

//===----------------------------------------------------------------------===//
// External tools
//===----------------------------------------------------------------------===//

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr interleaved
};

// Runs |argv| (argv[0] a path, no shell) and collects its output.
// Errors: kIoError when it cannot be started.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv);

// The ptxas to run: $HRT_PTXAS if set (even when it is not executable, so a
// wrong setting is reported rather than ignored), else the first executable
// "ptxas" on $PATH, else /usr/local/cuda/bin/ptxas if executable; nullopt
// when there is none.
std::optional<std::string> FindPtxas();

}  // namespace hrt::cli
