// helionrt compile: binds one kernel of a tile-IR file (or of a bundle's IR)
// to a config and writes the PTX the emitter generates for a CUDA target, or
// the SPIR-V module for Vulkan.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ptx/ptx.h"
#include "codegen/spirv/spirv.h"
#include "runtime/bundle/json_writer.h"
#include "runtime/bundle/reader.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt compile FILE --kernel NAME --target ARCH -o OUT [options]\n"
    "\n"
    "FILE is a tile-IR file (text or binary) or a bundle whose kernel has IR.\n"
    "  --kernel NAME        the kernel (optional when FILE holds exactly one)\n"
    "  --target ARCH        CUDA target: sm_80, sm_86, sm_90a, ... (default sm_80), or\n"
    "                       vulkan: a SPIR-V 1.5 GLCompute module (Vulkan 1.2 with\n"
    "                       bufferDeviceAddress; limits: --max-threads, --max-smem,\n"
    "                       default 1024 invocations and 16 KiB, Vulkan's minimums)\n"
    "  --ptx-isa X.Y        PTX ISA to write (default 8.0, or the oldest naming ARCH)\n"
    "  --config k=v,...     tunables and dtype parameters; the rest take defaults\n"
    "  --max-threads N      threads per block allowed (default: ARCH's limit)\n"
    "  --max-smem BYTES     shared memory per block allowed (default: ARCH's opt-in limit)\n"
    "  --entry NAME         the PTX entry name (default: the kernel's name)\n"
    "  --assume NAMES       specialize PTX to arguments the CUDA backend finds them to\n"
    "                       have: tensors named aligned (16-byte base, stride 1 last,\n"
    "                       rows 16-byte aligned), shape symbols named multiples of 16;\n"
    "                       'all' for every one (default: none, code for any arguments)\n"
    "  -o OUT               where to write the PTX or SPIR-V ('-': stdout, PTX only)\n"
    "  --json               print the summary as JSON (not with -o -)\n";

// Whether |target| names a CUDA architecture (as opposed to "vulkan").
bool IsCudaTarget(std::string_view target) {
  return target.starts_with("sm_") || target.starts_with("compute_") ||
         (!target.empty() && target[0] >= '0' && target[0] <= '9');
}

std::string KernelList(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

// The kernel to compile from |path|: a tile-IR module's kernel, or the IR a
// bundle stores for it.
Result<ir::Kernel> LoadKernel(const std::string& path, std::optional<std::string> name) {
  HRT_ASSIGN_OR_RETURN(const std::vector<uint8_t> data, ReadFile(path));
  std::vector<std::string> names;
  if (bundle::LooksLikeBundle(data)) {
    Result<bundle::BundleView> view = bundle::BundleView::Open(data);
    if (!view.ok()) {
      return Status(view.status().code(),
                    "'" + path + "' is not a valid bundle: " + view.status().message());
    }
    for (uint32_t k = 0; k < view->kernel_count(); ++k) {
      names.emplace_back(view->kernel(k).name);
    }
    if (!name && names.size() == 1) name = names[0];
    if (!name) {
      return InvalidArgument("'" + path + "' holds " + std::to_string(names.size()) +
                             " kernels; choose one with --kernel (" + KernelList(names) + ")");
    }
    const std::optional<uint32_t> index = view->FindKernel(*name);
    if (!index) {
      return NotFound("'" + path + "' has no kernel '" + *name + "' (it has: " + KernelList(names) +
                      ")");
    }
    if (!view->kernel(*index).has_ir()) {
      return NotFound("kernel '" + *name + "' in '" + path +
                      "' has no IR (only precompiled variants), so it cannot be compiled");
    }
    Result<ir::Module> module = view->LoadKernelIr(*index);
    if (!module.ok()) {
      return module.take_status().Annotate("'" + path + "': IR of kernel '" + *name + "'");
    }
    return std::move(module->kernels[0]);
  }
  HRT_ASSIGN_OR_RETURN(ir::Module module, ParseIrFile(path, data));
  for (const ir::Kernel& k : module.kernels) names.push_back(k.name);
  if (!name && names.size() == 1) name = names[0];
  if (!name) {
    return InvalidArgument("'" + path + "' holds " + std::to_string(names.size()) +
                           " kernels; choose one with --kernel (" + KernelList(names) + ")");
  }
  for (ir::Kernel& k : module.kernels) {
    if (k.name == *name) return std::move(k);
  }
  return NotFound("'" + path + "' has no kernel '" + *name + "' (it has: " + KernelList(names) +
                  ")");
}

// Reads --max-threads / --max-smem over the target's defaults.
Status ApplyLimits(const ParsedArgs& args, ptx::DeviceLimits* limits) {
  if (std::optional<std::string> v = args.Value("--max-threads")) {
    HRT_ASSIGN_OR_RETURN(const int64_t n, ParseInt(*v, "--max-threads", 1, 1 << 20));
    limits->max_threads_per_block = static_cast<uint32_t>(n);
  }
  if (std::optional<std::string> v = args.Value("--max-smem")) {
    HRT_ASSIGN_OR_RETURN(const int64_t n, ParseInt(*v, "--max-smem", 0, UINT32_MAX));
    limits->max_shared_bytes = static_cast<uint32_t>(n);
  }
  return Status::Ok();
}

void PrintSummary(const ParsedArgs& args, const std::string& out, const ir::BoundKernel& bound,
                  const ptx::EmitOptions& options, const ptx::PtxKernel& k) {
  const std::string isa = std::to_string(options.target.ptx_version / 10) + "." +
                          std::to_string(options.target.ptx_version % 10);
  if (!args.Has("--json")) {
    std::printf(
        "%s: kernel '%s' [%s] for %s, PTX ISA %s: entry %s, %u threads/block, %u bytes dynamic "
        "shared memory, ~%u registers/thread (estimate), %zu bytes\n",
        out.c_str(), bound.kernel.name.c_str(), ConfigLabel(bound.kernel, bound.config).c_str(),
        ptx::TargetName(options.target).c_str(), isa.c_str(), k.entry_name.c_str(),
        k.threads_per_block, k.shared_bytes, k.estimated_registers, k.ptx.size());
    return;
  }
  bundle::JsonWriter j;
  j.BeginObject();
  j.Field("output", out);
  j.Field("kernel", bound.kernel.name);
  j.Field("config", ConfigLabel(bound.kernel, bound.config));
  j.Field("target", ptx::TargetName(options.target));
  j.Field("ptx_isa", isa);
  j.Field("entry", k.entry_name);
  j.Field("threads_per_block", k.threads_per_block);
  j.Field("shared_bytes", k.shared_bytes);
  j.Field("estimated_registers", k.estimated_registers);
  j.Field("bytes", uint64_t{k.ptx.size()});
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
}

// --target vulkan: the SPIR-V module for a device with the options' limits.
int CompileSpirv(const ParsedArgs& args, const std::string& out) {
  if (out == "-") return Fail("SPIR-V is binary: write it to a file with -o");
  spirv::SpirvOptions options;
  if (std::optional<std::string> v = args.Value("--max-threads")) {
    Result<int64_t> n = ParseInt(*v, "--max-threads", 1, 1 << 20);
    if (!n.ok()) return Fail(n.status());
    options.max_workgroup_invocations = static_cast<uint32_t>(*n);
  }
  if (std::optional<std::string> v = args.Value("--max-smem")) {
    Result<int64_t> n = ParseInt(*v, "--max-smem", 0, UINT32_MAX);
    if (!n.ok()) return Fail(n.status());
    options.max_shared_bytes = static_cast<uint32_t>(*n);
  }
  if (std::optional<std::string> entry = args.Value("--entry")) options.entry_name = *entry;
  Result<ir::Kernel> kernel = LoadKernel(args.positionals[0], args.Value("--kernel"));
  if (!kernel.ok()) return Fail(kernel.status());
  Result<ir::Config> given = ir::ParseConfig(args.Value("--config").value_or(""));
  if (!given.ok()) return Fail(given.take_status().Annotate("--config"));
  const ir::Config config = CompleteConfig(*kernel, *given);
  Result<ir::BoundKernel> bound = ir::Bind(*kernel, config);
  if (!bound.ok()) {
    return Fail(bound.take_status().Annotate("kernel '" + kernel->name + "': config '" +
                                             ConfigLabel(*kernel, config) + "' rejected"));
  }
  Result<spirv::SpirvKernel> emitted = spirv::EmitSpirv(*bound, options);
  if (!emitted.ok()) {
    return Fail(emitted.take_status().Annotate("kernel '" + kernel->name + "' [" +
                                               ConfigLabel(*kernel, config) + "] for vulkan"));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(emitted->words.data());
  const size_t size = emitted->words.size() * sizeof(uint32_t);
  if (Status s = WriteFile(out, std::span(bytes, size)); !s.ok()) return Fail(s);
  const uint32_t push_bytes = emitted->args.in_buffer ? 8u : emitted->args.push_constant_bytes;
  if (!args.Has("--json")) {
    std::printf(
        "%s: kernel '%s' [%s] for vulkan, SPIR-V 1.5: entry %s, %u invocations/workgroup, %u "
        "bytes workgroup memory, %u bytes of push constants%s, %zu bytes\n",
        out.c_str(), bound->kernel.name.c_str(), ConfigLabel(bound->kernel, bound->config).c_str(),
        emitted->entry_name.c_str(), emitted->local_size[0], emitted->workgroup_bytes, push_bytes,
        emitted->args.in_buffer ? " (arguments in a buffer)" : "", size);
    return kExitOk;
  }
  bundle::JsonWriter j;
  j.BeginObject();
  j.Field("output", out);
  j.Field("kernel", bound->kernel.name);
  j.Field("config", ConfigLabel(bound->kernel, bound->config));
  j.Field("target", std::string("vulkan"));
  j.Field("entry", emitted->entry_name);
  j.Field("workgroup_size", emitted->local_size[0]);
  j.Field("workgroup_bytes", emitted->workgroup_bytes);
  j.Field("push_constant_bytes", push_bytes);
  j.Field("args_in_buffer", emitted->args.in_buffer);
  j.Field("bytes", uint64_t{size});
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
  return kExitOk;
}

}  // namespace

int CmdCompile(Args args) {
  if (WantsHelp(args)) return PrintHelp(kUsage);
  static constexpr FlagSpec kFlags[] = {
      {"--kernel", true, false},      {"--target", true, false},
      {"--ptx-isa", true, false},     {"--config", true, false},
      {"--max-threads", true, false}, {"--max-smem", true, false},
      {"--entry", true, false},       {"-o", true, false},
      {"--json", false, false},       {"--assume", true, false},
  };
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  if (parsed->positionals.size() != 1) return UsageError("compile takes one FILE", kUsage);
  const std::optional<std::string> out = parsed->Value("-o");
  if (!out || out->empty()) return UsageError("compile needs -o OUT ('-' for stdout)", kUsage);
  if (*out == "-" && parsed->Has("--json")) {
    return UsageError("--json prints to stdout; write the PTX to a file with -o", kUsage);
  }

  const std::string target = parsed->Value("--target").value_or("sm_80");
  if (target == "vulkan") {
    if (parsed->Has("--ptx-isa")) return UsageError("--ptx-isa is for CUDA targets", kUsage);
    if (parsed->Has("--assume")) return UsageError("--assume is for CUDA targets", kUsage);
    return CompileSpirv(*parsed, *out);
  }
  if (!IsCudaTarget(target)) {
    return Fail("unsupported target '" + target +
                "': compile generates PTX for CUDA targets (sm_80 and newer, e.g. sm_90a) and "
                "SPIR-V for vulkan");
  }
  uint32_t isa = 0;
  if (std::optional<std::string> v = parsed->Value("--ptx-isa")) {
    Result<uint32_t> r = ParsePtxIsaFlag(*v);
    if (!r.ok()) return Fail(r.status());
    isa = *r;
  }
  Result<ptx::EmitOptions> options = EmitOptionsFor(target, isa);
  if (!options.ok()) return Fail(options.status());
  if (Status s = ApplyLimits(*parsed, &options->limits); !s.ok()) return Fail(s);
  if (std::optional<std::string> entry = parsed->Value("--entry")) options->entry_name = *entry;

  Result<ir::Kernel> kernel = LoadKernel(parsed->positionals[0], parsed->Value("--kernel"));
  if (!kernel.ok()) return Fail(kernel.status());
  Result<ir::Config> given = ir::ParseConfig(parsed->Value("--config").value_or(""));
  if (!given.ok()) return Fail(given.take_status().Annotate("--config"));
  const ir::Config config = CompleteConfig(*kernel, *given);
  Result<ir::BoundKernel> bound = ir::Bind(*kernel, config);
  if (!bound.ok()) {
    return Fail(bound.take_status().Annotate("kernel '" + kernel->name + "': config '" +
                                             ConfigLabel(*kernel, config) + "' rejected"));
  }
  if (std::optional<std::string> assume = parsed->Value("--assume")) {
    Result<ptx::Assumptions> a = ptx::ParseAssumptions(*kernel, *assume);
    if (!a.ok()) return Fail(a.take_status().Annotate("--assume"));
    options->assume = *a;
  }
  Result<ptx::PtxKernel> emitted = ptx::EmitKernel(*bound, *options);
  if (!emitted.ok()) {
    return Fail(emitted.take_status().Annotate("kernel '" + kernel->name + "' [" +
                                               ConfigLabel(*kernel, config) + "] for " +
                                               ptx::TargetName(options->target)));
  }
  if (Status s = WriteFile(*out, emitted->ptx); !s.ok()) return Fail(s);
  if (*out != "-") PrintSummary(*parsed, *out, *bound, *options, *emitted);
  return kExitOk;
}

}  // namespace hrt::cli
