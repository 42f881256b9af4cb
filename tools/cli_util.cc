#include "tools/cli_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "codegen/ir/binary.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/text.h"
#include "runtime/select/fingerprint.h"

extern char** environ;

namespace hrt::cli {

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool ParsedArgs::Has(std::string_view name) const {
  return std::any_of(flags.begin(), flags.end(), [&](const auto& f) { return f.first == name; });
}

std::optional<std::string> ParsedArgs::Value(std::string_view name) const {
  for (const auto& [n, v] : flags) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> ParsedArgs::Values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : flags) {
    if (n == name) out.push_back(v);
  }
  return out;
}

Result<ParsedArgs> ParseArgs(Args args, std::span<const FlagSpec> specs) {
  ParsedArgs parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (const size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
    if (spec == specs.end()) return InvalidArgument("unknown option '" + std::string(name) + "'");
    if (!spec->repeatable && parsed.Has(name)) {
      return InvalidArgument("option '" + std::string(name) + "' given more than once");
    }
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return InvalidArgument("option '" + std::string(name) + "' needs a value");
      }
    } else if (inline_value) {
      return InvalidArgument("option '" + std::string(name) + "' takes no value");
    }
    parsed.flags.emplace_back(std::string(name), std::move(value));
  }
  return parsed;
}

bool WantsHelp(Args args) {
  for (std::string_view a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int PrintHelp(std::string_view usage) {
  std::fwrite(usage.data(), 1, usage.size(), stdout);
  return kExitOk;
}

Result<int64_t> ParseInt(std::string_view text, std::string_view what, int64_t min, int64_t max) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgument(std::string(what) + ": '" + std::string(text) +
                           "' is not a decimal integer");
  }
  if (v < min || v > max) {
    return InvalidArgument(std::string(what) + ": " + std::to_string(v) + " is outside [" +
                           std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

namespace {

// One line: line breaks (and the blanks around them) become "; ".
std::string OneLine(std::string_view message) {
  std::string out;
  for (std::string_view line : Split(message, '\n')) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

}  // namespace

int Fail(const Status& status) {
  return Fail(status.message().empty() ? std::string(CodeName(status.code())) : status.message());
}

int Fail(std::string_view message) {
  std::fprintf(stderr, "helionrt: %s\n", OneLine(message).c_str());
  return kExitFailure;
}

int UsageError(std::string_view message, std::string_view usage) {
  std::fprintf(stderr, "helionrt: %s\n\n%.*s", OneLine(message).c_str(),
               static_cast<int>(usage.size()), usage.data());
  return kExitUsage;
}

void Warn(std::string_view message) {
  std::fprintf(stderr, "helionrt: warning: %s\n", OneLine(message).c_str());
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

}  // namespace

Result<std::vector<uint8_t>> ReadFile(const std::string& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open '" + path + "': " + ErrnoText(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat '" + path + "': " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return IoError("'" + path + "' is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return IoError("'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read '" + path + "': " + ErrnoText(errno));
    if (n == 0) break;  // shrank while reading: keep what is there
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

Status WriteFile(const std::string& path, std::span<const uint8_t> bytes) {
  if (path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() ||
        std::fflush(stdout) != 0) {
      return IoError("cannot write to stdout");
    }
    return Status::Ok();
  }
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return IoError("cannot create '" + tmp + "': " + ErrnoText(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !written) {
    ::unlink(tmp.c_str());
    return IoError("cannot write '" + tmp + "': " + ErrnoText(written ? errno : err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "': " + ErrnoText(rename_err));
  }
  return Status::Ok();
}

Status WriteFile(const std::string& path, std::string_view text) {
  return WriteFile(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<TempDir> TempDir::Create() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/helionrt-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return IoError("cannot create a temporary directory from '" + pattern +
                   "': " + ErrnoText(errno));
  }
  return TempDir(std::move(pattern));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

Result<ir::Module> ParseIrFile(const std::string& path, std::span<const uint8_t> data) {
  if (!ir::LooksLikeBinaryModule(data)) {
    // Text parse errors already start with "<path>:line:column:".
    return ir::ParseModule(
        std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), path);
  }
  Result<ir::Module> m = ir::ReadModuleBinary(data);
  if (!m.ok()) return m.take_status().Annotate(path);
  return m;
}

ir::Config CompleteConfig(const ir::Kernel& kernel, const ir::Config& given) {
  ir::Config out = given;
  const ir::Config defaults = ir::DefaultConfig(kernel);
  for (const auto& [name, value] : defaults.entries) {
    if (!out.Get(name)) out.Set(name, value);
  }
  return out;
}

std::string ConfigLabel(const ir::Kernel& kernel, const ir::Config& config) {
  std::string s;
  std::vector<std::string_view> named;
  const auto add = [&](std::string_view name, const std::string& value) {
    s += (s.empty() ? "" : ",") + std::string(name) + "=" + value;
    named.push_back(name);
  };
  for (const ir::Tunable& t : kernel.tunables) {
    if (std::optional<int64_t> v = config.Get(t.name)) add(t.name, std::to_string(*v));
  }
  for (const ir::DTypeParam& d : kernel.dtype_params) {
    const std::optional<int64_t> v = config.Get(d.name);
    if (!v) continue;
    const bool known =
        *v >= 0 && *v <= 255 && std::string_view(ir::DTypeName(static_cast<ir::DType>(*v))) != "?";
    add(d.name, known ? ir::DTypeName(static_cast<ir::DType>(*v)) : std::to_string(*v));
  }
  for (const auto& [name, value] : config.entries) {
    if (std::find(named.begin(), named.end(), name) == named.end()) {
      s += (s.empty() ? "" : ",") + name + "=" + std::to_string(value);
    }
  }
  return s;
}

Result<uint32_t> ParsePtxIsaFlag(std::string_view text) {
  Result<select::PtxIsa> isa = select::ParsePtxIsa(text);
  if (!isa.ok() || isa->minor > 9 || isa->major < 1 || isa->major > 99) {
    return InvalidArgument("bad PTX ISA version '" + std::string(text) + "' (expected e.g. 8.5)");
  }
  return uint32_t{isa->major} * 10u + isa->minor;
}

Result<ptx::EmitOptions> EmitOptionsFor(std::string_view arch, uint32_t ptx_isa) {
  Result<ptx::Target> target = ptx::ParseTarget(arch);
  Result<select::Arch> parsed = select::ParseArch(arch);
  if (!target.ok() || !parsed.ok() || arch.substr(0, 8) == "compute_") {
    return InvalidArgument("bad CUDA target '" + std::string(arch) +
                           "' (expected sm_XY or sm_XYa, e.g. sm_80 or sm_90a)");
  }
  if (target->sm < 80) {
    return Unsupported("the PTX emitter generates code for sm_80 and newer, not " +
                       ptx::TargetName(*target));
  }
  const uint32_t min_isa = ptx::MinPtxVersion(*target);
  if (ptx_isa == 0) {
    ptx_isa = std::max<uint32_t>(80, min_isa);
  } else if (ptx_isa < min_isa) {
    return Unsupported("PTX ISA " + std::to_string(ptx_isa / 10) + "." +
                       std::to_string(ptx_isa % 10) + " cannot name " + ptx::TargetName(*target) +
                       "; it needs " + std::to_string(min_isa / 10) + "." +
                       std::to_string(min_isa % 10) + " or newer");
  }
  target->ptx_version = ptx_isa;
  const select::CudaArchDefaults defaults = select::CudaDefaultsFor(*parsed);
  ptx::EmitOptions options;
  options.target = *target;
  options.limits.max_threads_per_block = defaults.max_threads_per_block;
  options.limits.max_shared_bytes = defaults.smem_per_block_optin;
  return options;
}

//===----------------------------------------------------------------------===//
// External tools
//===----------------------------------------------------------------------===//

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("empty command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return IoError("pipe: " + ErrnoText(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears FD_CLOEXEC on the copies, so only stdout and stderr reach
  // the child.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return IoError("cannot run '" + argv[0] + "': " + ErrnoText(err));
  }
  ProcessResult result;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return IoError("waitpid: " + ErrnoText(errno));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<std::string> FindPtxas() {
  if (const char* env = std::getenv("HRT_PTXAS"); env != nullptr && *env != '\0') return env;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (std::string_view dir : Split(path, ':')) {
      if (dir.empty()) continue;
      std::string candidate = std::string(dir) + "/ptxas";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  const char* fallback = "/usr/local/cuda/bin/ptxas";
  if (::access(fallback, X_OK) == 0) return std::string(fallback);
  return std::nullopt;
}

}  // namespace hrt::cli
