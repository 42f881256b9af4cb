// helionrt bundle build|inspect: makes kernel bundles from tile-IR files
// (PTX from the emitter, cubins from ptxas, precompiled payloads) and shows
// what a bundle holds.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/bundle/bundle.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/inspect.h"
#include "runtime/bundle/json_writer.h"
#include "runtime/bundle/ptx_header.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/triton_import.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/arch.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt bundle build -o OUT [options] FILE.tile ...\n"
    "       helionrt bundle inspect FILE [--json] [--verify]\n"
    "       helionrt bundle import-triton -o OUT DIR ...\n"
    "\n"
    "build options:\n"
    "  -o OUT                       the bundle to write\n"
    "  --arch sm_80,sm_90a,...      also compile a cubin per arch with ptxas\n"
    "                               ($HRT_PTXAS, else PATH, else /usr/local/cuda/bin)\n"
    "  --ptx-target ARCH|none       the PTX variant's target (default sm_80)\n"
    "  --vulkan                     also a SPIR-V variant per config for Vulkan, for\n"
    "                               Vulkan's minimum limits (16 KiB workgroup memory)\n"
    "  --config KERNEL:k=v,k=v      a config to build for KERNEL (repeatable);\n"
    "                               default: the kernel's default config\n"
    "  --payload KERNEL:KIND:ARCH:FILE  add a precompiled cubin or ptx (repeatable)\n"
    "  --json                       print the summary as JSON\n"
    "\n"
    "Dtype parameters a config leaves unbound get one variant per candidate.\n"
    "\n"
    "import-triton: each DIR holds a Triton-compiled kernel (triton_metadata.json,\n"
    "signature.json, kernel.ptx, kernel.cubin; tests/fixtures/triton/README.md).\n"
    "Launch imported kernels with hrt_launch_params_t.grid set.\n";

//===----------------------------------------------------------------------===//
// bundle build
//===----------------------------------------------------------------------===//

struct PayloadSpec {
  std::string kernel;
  bundle::PayloadKind kind = bundle::PayloadKind::kCubin;
  std::string arch;
  std::string path;
};

struct BuildPlan {
  std::string output;
  std::vector<std::string> inputs;
  std::vector<std::string> archs;                          // cubin targets
  std::optional<std::string> ptx_target;                   // nullopt: no PTX variants
  bool vulkan = false;                                     // SPIR-V variants too
  std::map<std::string, std::vector<ir::Config>> configs;  // by kernel
  std::vector<PayloadSpec> payloads;
  std::optional<std::string> ptxas;
  bool json = false;
};

// A variant the build left out because its config exceeds a target's limits.
struct Skipped {
  std::string kernel;
  std::string config;
  std::string target;
  std::string reason;
};

struct BuildResult {
  bundle::Contents contents;
  std::vector<std::string> sources;  // per kernel: the file it came from ("" for none)
  std::vector<Skipped> skipped;
  size_t ptx_variants = 0;
  size_t cubin_variants = 0;
  size_t spirv_variants = 0;
  size_t payload_variants = 0;
};

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Result<PayloadSpec> ParsePayloadSpec(std::string_view text) {
  // KERNEL:KIND:ARCH:FILE; FILE may itself contain ':'.
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t at = text.find(':', start);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  if (parts.size() != 3 || start >= text.size()) {
    return InvalidArgument("--payload '" + std::string(text) + "': expected KERNEL:KIND:ARCH:FILE");
  }
  PayloadSpec spec;
  spec.kernel = std::string(parts[0]);
  spec.arch = std::string(parts[2]);
  spec.path = std::string(text.substr(start));
  if (parts[1] == "cubin") {
    spec.kind = bundle::PayloadKind::kCubin;
  } else if (parts[1] == "ptx") {
    spec.kind = bundle::PayloadKind::kPtx;
  } else {
    return InvalidArgument("--payload '" + std::string(text) + "': kind '" + std::string(parts[1]) +
                           "' is not cubin or ptx");
  }
  if (spec.kernel.empty())
    return InvalidArgument("--payload '" + std::string(text) + "': no kernel");
  return spec;
}

// Turns the parsed command line into a plan. An error is a usage error
// (missing -o or inputs) when *|usage| is set on return, else a failure.
Result<BuildPlan> MakePlan(const ParsedArgs& args, bool* usage) {
  *usage = true;
  BuildPlan plan;
  std::optional<std::string> out = args.Value("-o");
  if (!out || out->empty()) return InvalidArgument("bundle build needs -o OUT");
  plan.output = *out;
  plan.inputs = args.positionals;
  plan.json = args.Has("--json");
  if (plan.inputs.empty() && !args.Has("--payload")) {
    return InvalidArgument("bundle build needs at least one .tile file or --payload");
  }
  *usage = false;
  for (const std::string& spec : args.Values("--payload")) {
    HRT_ASSIGN_OR_RETURN(PayloadSpec p, ParsePayloadSpec(spec));
    plan.payloads.push_back(std::move(p));
  }
  for (const std::string& list : args.Values("--arch")) {
    for (std::string_view a : Split(list, ',')) {
      std::string arch = Trim(a);
      if (arch.empty()) continue;
      HRT_RETURN_IF_ERROR(EmitOptionsFor(arch).status());
      if (std::find(plan.archs.begin(), plan.archs.end(), arch) == plan.archs.end()) {
        plan.archs.push_back(std::move(arch));
      }
    }
  }
  plan.vulkan = args.Has("--vulkan");
  const std::string ptx_target = args.Value("--ptx-target").value_or("sm_80");
  if (ptx_target != "none") {
    HRT_RETURN_IF_ERROR(EmitOptionsFor(ptx_target).status());
    plan.ptx_target = ptx_target;
  }
  for (const std::string& spec : args.Values("--config")) {
    const size_t colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgument("--config '" + spec + "': expected KERNEL:k=v,k=v");
    }
    Result<ir::Config> config = ir::ParseConfig(std::string_view(spec).substr(colon + 1));
    if (!config.ok()) return config.take_status().Annotate("--config '" + spec + "'");
    plan.configs[spec.substr(0, colon)].push_back(std::move(*config));
  }
  if (!plan.archs.empty()) {
    plan.ptxas = FindPtxas();
    if (!plan.ptxas) {
      return Unsupported(
          "--arch needs ptxas to compile cubins, and none was found ($HRT_PTXAS, PATH, "
          "/usr/local/cuda/bin/ptxas); install the CUDA toolkit or set HRT_PTXAS, or leave "
          "out --arch to build PTX only");
    }
    if (::access(plan.ptxas->c_str(), X_OK) != 0) {
      return Unsupported("ptxas '" + *plan.ptxas + "' (from $HRT_PTXAS) is not an executable file");
    }
  }
  return plan;
}

// Every config to build for |kernel|: |given| (or the default config when
// empty) with each unbound dtype parameter expanded over its candidates and
// each unbound tunable at its default.
std::vector<ir::Config> ExpandConfigs(const ir::Kernel& kernel, std::vector<ir::Config> given) {
  if (given.empty()) given.emplace_back();
  std::vector<ir::Config> out;
  for (const ir::Config& base : given) {
    std::vector<ir::Config> expanded = {base};
    for (const ir::DTypeParam& d : kernel.dtype_params) {
      if (base.Get(d.name)) continue;
      std::vector<ir::Config> next;
      for (const ir::Config& c : expanded) {
        for (ir::DType t : d.candidates) {
          ir::Config with = c;
          with.Set(d.name, static_cast<int64_t>(t));
          next.push_back(std::move(with));
        }
      }
      expanded = std::move(next);
    }
    for (const ir::Config& c : expanded) out.push_back(CompleteConfig(kernel, c));
  }
  return out;
}

// The decimal number right before the first |unit| in ptxas -v output
// (12 in "Used 12 registers" for unit " registers"); nullopt when absent.
std::optional<uint32_t> NumberBefore(std::string_view text, std::string_view unit) {
  size_t at = text.find(unit);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  size_t begin = at;
  while (begin > 0 && text[begin - 1] >= '0' && text[begin - 1] <= '9') --begin;
  if (begin == at || at - begin > 9) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = begin; i < at; ++i) v = v * 10 + static_cast<uint32_t>(text[i] - '0');
  return v;
}

// Compiles |ptx| for |arch| with ptxas -v into a cubin, filling the
// registers and static shared memory ptxas reports.
Result<std::vector<uint8_t>> RunPtxas(const std::string& ptxas, const std::string& ptx,
                                      const std::string& arch, bundle::Resources* resources) {
  HRT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string in = dir.path() + "/kernel.ptx";
  const std::string out = dir.path() + "/kernel.cubin";
  HRT_RETURN_IF_ERROR(WriteFile(in, ptx));
  HRT_ASSIGN_OR_RETURN(ProcessResult run,
                       RunProcess({ptxas, "-arch=" + arch, "-v", in, "-o", out}));
  if (run.exit_code != 0) {
    return Internal("ptxas (" + ptxas + ") failed for " + arch + " with exit code " +
                    std::to_string(run.exit_code) + ": " + run.output);
  }
  const std::optional<uint32_t> regs = NumberBefore(run.output, " registers");
  if (!regs) {
    return Internal("cannot find the register count in the output of " + ptxas +
                    " -v: " + run.output);
  }
  resources->regs_per_thread = *regs;
  // "N bytes smem" only appears when the kernel has static shared memory.
  resources->static_smem_bytes = NumberBefore(run.output, " bytes smem").value_or(0);
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> cubin, ReadFile(out));
  if (cubin.empty()) return Internal("ptxas wrote an empty cubin for " + arch);
  return cubin;
}

// Emits |b| for |arch|. Returns nullopt (and records why in |skipped|) when
// the config exceeds the target's limits.
Result<std::optional<ptx::PtxKernel>> EmitFor(const ir::BoundKernel& b, const std::string& arch,
                                              std::vector<Skipped>* skipped) {
  HRT_ASSIGN_OR_RETURN(const ptx::EmitOptions options, EmitOptionsFor(arch));
  Result<ptx::PtxKernel> emitted = ptx::EmitKernel(b, options);
  if (emitted.ok()) return std::optional<ptx::PtxKernel>(std::move(*emitted));
  if (emitted.status().code() != Code::kUnsupported) {
    return emitted.take_status().Annotate("kernel '" + b.kernel.name + "' [" +
                                          ConfigLabel(b.kernel, b.config) + "] for " + arch);
  }
  skipped->push_back(
      {b.kernel.name, ConfigLabel(b.kernel, b.config), arch, emitted.status().message()});
  return std::optional<ptx::PtxKernel>();
}

// Adds the PTX variant and the cubin variants of one bound config.
Status AddGeneratedVariants(const BuildPlan& plan, const ir::BoundKernel& b,
                            bundle::KernelEntry* entry, BuildResult* result) {
  if (plan.ptx_target) {
    HRT_ASSIGN_OR_RETURN(std::optional<ptx::PtxKernel> k,
                         EmitFor(b, *plan.ptx_target, &result->skipped));
    if (k) {
      HRT_ASSIGN_OR_RETURN(bundle::VariantEntry v, bundle::PtxVariantOf(b, *k));
      entry->variants.push_back(std::move(v));
      ++result->ptx_variants;
    }
  }
  if (plan.vulkan) {
    Result<bundle::VariantEntry> v = bundle::SpirvVariantOf(b, spirv::SpirvOptions{});
    if (v.ok()) {
      entry->variants.push_back(std::move(*v));
      ++result->spirv_variants;
    } else if (v.status().code() == Code::kUnsupported) {
      result->skipped.push_back(
          {b.kernel.name, ConfigLabel(b.kernel, b.config), "vulkan", v.status().message()});
    } else {
      return v.take_status().Annotate("kernel '" + b.kernel.name + "' [" +
                                      ConfigLabel(b.kernel, b.config) + "] for vulkan");
    }
  }
  for (const std::string& arch : plan.archs) {
    HRT_ASSIGN_OR_RETURN(std::optional<ptx::PtxKernel> k, EmitFor(b, arch, &result->skipped));
    if (!k) continue;
    HRT_ASSIGN_OR_RETURN(const select::Arch parsed, select::ParseArch(arch));
    HRT_ASSIGN_OR_RETURN(const bundle::VariantEntry ptx_variant, bundle::PtxVariantOf(b, *k));
    bundle::Resources reported;
    Result<std::vector<uint8_t>> cubin =
        RunPtxas(*plan.ptxas, k->ptx, select::SmName(parsed), &reported);
    if (!cubin.ok()) {
      return cubin.take_status().Annotate("kernel '" + b.kernel.name + "' [" +
                                          ConfigLabel(b.kernel, b.config) + "]");
    }
    entry->variants.push_back(bundle::CubinVariantFromPtx(
        ptx_variant, parsed, *cubin, reported.regs_per_thread, reported.static_smem_bytes));
    ++result->cubin_variants;
  }
  return Status::Ok();
}

// A precompiled payload as a variant; resources unknown (0), no config.
Result<bundle::VariantEntry> PayloadVariant(const PayloadSpec& spec) {
  const std::string what = "--payload " + spec.kernel + ":" + bundle::PayloadKindName(spec.kind) +
                           ":" + spec.arch + ":" + spec.path;
  Result<select::Arch> arch = select::ParseArch(spec.arch);
  if (!arch.ok()) return arch.take_status().Annotate(what);
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> data, ReadFile(spec.path));
  if (data.empty()) return InvalidArgument(what + ": the file is empty");
  bundle::VariantEntry v;
  v.target.backend = HRT_BACKEND_CUDA;
  v.target.arch = *arch;
  v.payload_kind = spec.kind;
  if (spec.kind == bundle::PayloadKind::kCubin) {
    static constexpr uint8_t kElf[4] = {0x7f, 'E', 'L', 'F'};
    if (data.size() < 4 || !std::equal(kElf, kElf + 4, data.begin())) {
      return InvalidArgument(what + ": not a cubin (no ELF header)");
    }
  } else {
    while (!data.empty() && data.back() == 0) data.pop_back();
    if (std::find(data.begin(), data.end(), uint8_t{0}) != data.end()) {
      return InvalidArgument(what + ": PTX text must not contain NUL bytes");
    }
    Result<bundle::PtxHeader> header = bundle::ScanPtxHeader(
        std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    if (!header.ok()) return header.take_status().Annotate(what);
    if (header->target.cc() != arch->cc() || header->target.variant != arch->variant) {
      return InvalidArgument(what + ": the PTX's .target is " + select::SmName(header->target) +
                             ", not " + spec.arch);
    }
    v.target.arch = header->target;
    v.target.min_ptx_isa = header->version;
  }
  v.payload = std::move(data);
  return v;
}

Result<BuildResult> Build(const BuildPlan& plan) {
  BuildResult result;
  std::map<std::string, size_t> index;  // kernel name -> entry
  for (const std::string& path : plan.inputs) {
    HRT_ASSIGN_OR_RETURN(const std::vector<uint8_t> data, ReadFile(path));
    if (bundle::LooksLikeBundle(data)) {
      return InvalidArgument("'" + path + "' is a bundle; bundle build takes tile-IR files");
    }
    HRT_ASSIGN_OR_RETURN(const ir::Module module, ParseIrFile(path, data));
    for (const ir::Kernel& kernel : module.kernels) {
      if (auto it = index.find(kernel.name); it != index.end()) {
        return InvalidArgument("kernel '" + kernel.name + "' is defined in both '" +
                               result.sources[it->second] + "' and '" + path + "'");
      }
      std::vector<ir::Config> given;
      if (auto it = plan.configs.find(kernel.name); it != plan.configs.end()) given = it->second;
      bundle::KernelEntry entry = bundle::KernelEntryFromIr(kernel);
      for (const ir::Config& config : ExpandConfigs(kernel, given)) {
        Result<ir::BoundKernel> bound = ir::Bind(kernel, config);
        if (!bound.ok()) {
          return bound.take_status().Annotate("kernel '" + kernel.name + "', config '" +
                                              ConfigLabel(kernel, config) + "'");
        }
        HRT_RETURN_IF_ERROR(AddGeneratedVariants(plan, *bound, &entry, &result));
      }
      index[kernel.name] = result.contents.kernels.size();
      result.contents.kernels.push_back(std::move(entry));
      result.sources.push_back(path);
    }
  }
  for (const auto& [name, configs] : plan.configs) {
    if (!index.contains(name)) {
      return InvalidArgument("--config names kernel '" + name + "', which no input file defines");
    }
  }
  for (const PayloadSpec& spec : plan.payloads) {
    HRT_ASSIGN_OR_RETURN(bundle::VariantEntry v, PayloadVariant(spec));
    auto it = index.find(spec.kernel);
    if (it == index.end()) {
      // A kernel known only by its precompiled code (no IR, no tunables).
      bundle::KernelEntry entry;
      entry.name = spec.kernel;
      it = index.emplace(spec.kernel, result.contents.kernels.size()).first;
      result.contents.kernels.push_back(std::move(entry));
      result.sources.emplace_back();
    }
    result.contents.kernels[it->second].variants.push_back(std::move(v));
    ++result.payload_variants;
  }
  return result;
}

void PrintBuildSummary(const BuildPlan& plan, const BuildResult& r, size_t bytes) {
  size_t variants = 0;
  for (const bundle::KernelEntry& k : r.contents.kernels) variants += k.variants.size();
  if (!plan.json) {
    std::printf("%s: %zu kernels, %zu variants (%zu ptx, %zu cubin, %zu precompiled), %zu bytes",
                plan.output.c_str(), r.contents.kernels.size(), variants, r.ptx_variants,
                r.cubin_variants, r.payload_variants, bytes);
    if (r.spirv_variants != 0) std::printf(", %zu spirv", r.spirv_variants);
    if (!r.skipped.empty()) std::printf(", %zu skipped (see warnings)", r.skipped.size());
    std::printf("\n");
    return;
  }
  bundle::JsonWriter j;
  j.BeginObject();
  j.Field("output", plan.output);
  j.Field("bytes", uint64_t{bytes});
  j.Field("kernel_count", uint64_t{r.contents.kernels.size()});
  j.Field("variant_count", uint64_t{variants});
  j.Field("ptx_variants", uint64_t{r.ptx_variants});
  j.Field("cubin_variants", uint64_t{r.cubin_variants});
  j.Field("spirv_variants", uint64_t{r.spirv_variants});
  j.Field("precompiled_variants", uint64_t{r.payload_variants});
  j.Key("ptxas");
  if (plan.ptxas) {
    j.String(*plan.ptxas);
  } else {
    j.Null();
  }
  j.Key("kernels");
  j.BeginArray();
  for (size_t i = 0; i < r.contents.kernels.size(); ++i) {
    const bundle::KernelEntry& k = r.contents.kernels[i];
    j.BeginObject();
    j.Field("name", k.name);
    j.Key("source");
    if (r.sources[i].empty()) {
      j.Null();
    } else {
      j.String(r.sources[i]);
    }
    j.Field("has_ir", !k.ir.empty());
    j.Field("variants", uint64_t{k.variants.size()});
    j.EndObject();
  }
  j.EndArray();
  j.Key("skipped");
  j.BeginArray();
  for (const Skipped& s : r.skipped) {
    j.BeginObject();
    j.Field("kernel", s.kernel);
    j.Field("config", s.config);
    j.Field("target", s.target);
    j.Field("reason", s.reason);
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
}

int BundleBuild(Args args) {
  static constexpr FlagSpec kFlags[] = {
      {"-o", true, false},        {"--arch", true, true},   {"--ptx-target", true, false},
      {"--vulkan", false, false}, {"--config", true, true}, {"--payload", true, true},
      {"--json", false, false},
  };
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  bool usage = false;
  Result<BuildPlan> plan = MakePlan(*parsed, &usage);
  if (!plan.ok()) return usage ? UsageError(plan.status().message(), kUsage) : Fail(plan.status());
  Result<BuildResult> built = Build(*plan);
  if (!built.ok()) return Fail(built.status());
  for (const Skipped& s : built->skipped) {
    Warn("kernel '" + s.kernel + "' [" + s.config + "] not built for " + s.target + ": " +
         s.reason);
  }
  Result<std::vector<uint8_t>> bytes = bundle::WriteBundle(built->contents);
  if (!bytes.ok()) return Fail(bytes.take_status().Annotate("bundle"));
  if (Status s = WriteFile(plan->output, *bytes); !s.ok()) return Fail(s);
  if (plan->output != "-") PrintBuildSummary(*plan, *built, bytes->size());
  return kExitOk;
}

//===----------------------------------------------------------------------===//
// bundle inspect
//===----------------------------------------------------------------------===//

int BundleInspect(Args args) {
  static constexpr FlagSpec kFlags[] = {{"--json", false, false}, {"--verify", false, false}};
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  if (parsed->positionals.size() != 1) {
    return UsageError("bundle inspect takes exactly one FILE", kUsage);
  }
  const std::string& path = parsed->positionals[0];
  Result<std::vector<uint8_t>> data = ReadFile(path);
  if (!data.ok()) return Fail(data.status());
  Result<bundle::BundleView> view = bundle::BundleView::Open(*data);
  if (!view.ok()) {
    return Fail("'" + path + "' is not a valid bundle: " + view.status().message());
  }
  const bool verify = parsed->Has("--verify");
  if (verify) {
    if (Status s = view->VerifyAll(); !s.ok()) {
      return Fail("'" + path + "' failed verification: " + s.message());
    }
  }
  if (parsed->Has("--json")) {
    std::string json = bundle::InspectJson(*view);
    // One more member at the end of InspectJson's object.
    while (!json.empty() && json.back() != '}') json.pop_back();
    if (json.empty()) return Fail("internal error: inspect produced no JSON object");
    json.pop_back();
    json += verify ? ",\"verified\":true}\n" : ",\"verified\":false}\n";
    std::fputs(json.c_str(), stdout);
    return kExitOk;
  }
  std::fputs(bundle::InspectText(*view).c_str(), stdout);
  if (verify) std::printf("verified: every blob, payload and IR module checks out\n");
  return kExitOk;
}

//===----------------------------------------------------------------------===//
// bundle import-triton
//===----------------------------------------------------------------------===//

int BundleImportTriton(Args args) {
  static constexpr FlagSpec kFlags[] = {{"-o", true, false}};
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  const std::optional<std::string> output = parsed->Value("-o");
  if (!output) return UsageError("bundle import-triton needs -o OUT", kUsage);
  if (parsed->positionals.empty()) {
    return UsageError("bundle import-triton needs at least one DIR", kUsage);
  }
  bundle::Contents contents;
  size_t variants = 0;
  for (const std::string& dir : parsed->positionals) {
    Result<bundle::KernelEntry> kernel = bundle::ImportTritonKernel(dir);
    if (!kernel.ok()) return Fail(kernel.take_status().Annotate("import '" + dir + "'"));
    variants += kernel->variants.size();
    contents.kernels.push_back(std::move(*kernel));
  }
  Result<std::vector<uint8_t>> bytes = bundle::WriteBundle(contents);
  if (!bytes.ok()) return Fail(bytes.take_status().Annotate("bundle"));
  if (Status s = WriteFile(*output, *bytes); !s.ok()) return Fail(s);
  if (*output != "-") {
    std::printf("imported %zu Triton kernel(s), %zu variant(s) into %s (%zu bytes)\n",
                contents.kernels.size(), variants, output->c_str(), bytes->size());
  }
  return kExitOk;
}

}  // namespace

int CmdBundle(Args args) {
  if (args.empty()) return UsageError("bundle needs a subcommand (build or inspect)", kUsage);
  if (WantsHelp(args) || args[0] == "help") return PrintHelp(kUsage);
  if (args[0] == "build") return BundleBuild(args.subspan(1));
  if (args[0] == "inspect") return BundleInspect(args.subspan(1));
  if (args[0] == "import-triton") return BundleImportTriton(args.subspan(1));
  return UsageError("unknown bundle subcommand '" + std::string(args[0]) + "'", kUsage);
}

}  // namespace hrt::cli
