// helionrt explain: which variant of a bundle kernel a device would run, and
// why each other variant was passed over.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ptx/ptx.h"
#include "runtime/bundle/reader.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/select/explain.h"
#include "runtime/select/fingerprint.h"
#include "runtime/select/selection.h"
#include "runtime/vulkan/vulkan_device_info.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt explain BUNDLE KERNEL [--shape SYM=N ...] [--config k=v,...]\n"
    "                        [--device N | --fingerprint \"key=value;...\"] [--json]\n"
    "\n"
    "  --shape SYM=N[,SYM=N]  launch shape values the variants' shape rules test\n"
    "  --config k=v[,k=v]     config values the launch fixes, e.g. T=bf16: variants\n"
    "                         compiled for other values are rejected\n"
    "  --device N             the CUDA device (ordinal) to explain for (default 0)\n"
    "  --fingerprint FP       a described device instead, e.g.\n"
    "                         \"backend=cuda;sm=90a;driver=13000\" (keys: docs/bundle-format.md)\n"
    "  --json                 print the decision chain as JSON\n";

// Launch shape values by symbol, in command-line order.
Result<std::vector<std::pair<std::string, int64_t>>> ParseShapes(
    const std::vector<std::string>& flags) {
  std::vector<std::pair<std::string, int64_t>> pairs;
  for (const std::string& flag : flags) {
    for (std::string_view item : Split(flag, ',')) {
      const size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return InvalidArgument("--shape '" + std::string(item) + "': expected SYM=N");
      }
      const std::string name(item.substr(0, eq));
      HRT_ASSIGN_OR_RETURN(const int64_t value,
                           ParseInt(item.substr(eq + 1), "--shape " + name, INT64_MIN, INT64_MAX));
      if (std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == name; })) {
        return InvalidArgument("--shape gives '" + name + "' more than once");
      }
      pairs.emplace_back(name, value);
    }
  }
  return pairs;
}

// The device to explain for: the described one, else CUDA device |ordinal|.
Result<select::Fingerprint> ChooseDevice(const ParsedArgs& args) {
  if (std::optional<std::string> fp = args.Value("--fingerprint")) {
    Result<select::Fingerprint> parsed = select::ParseFingerprint(*fp);
    if (!parsed.ok()) return parsed.take_status().Annotate("--fingerprint");
    return parsed;
  }
  int64_t ordinal = 0;
  if (std::optional<std::string> d = args.Value("--device")) {
    HRT_ASSIGN_OR_RETURN(ordinal, ParseInt(*d, "--device", 0, INT32_MAX));
  }
  const cuda::Probe& probe = cuda::SharedProbe();
  if (probe.devices.empty()) {
    return Status(
        Code::kUnavailable,
        "no CUDA device is present (" +
            (probe.unavailable_reason.empty() ? std::string("none found")
                                              : probe.unavailable_reason) +
            "); describe one with --fingerprint, e.g. --fingerprint \"backend=cuda;sm=90a;"
            "driver=13000\"");
  }
  if (static_cast<size_t>(ordinal) >= probe.devices.size()) {
    return OutOfRange("--device " + std::to_string(ordinal) + ": there are " +
                      std::to_string(probe.devices.size()) + " CUDA device(s)");
  }
  return probe.devices[static_cast<size_t>(ordinal)].fingerprint;
}

// Whether code generation could serve |device| when no variant fits: the
// PTX emitter needs a CUDA device of sm_80 or newer whose driver JITs the
// PTX ISA the emitter writes for it (the rule of CudaDevice::EmitOptions);
// the reference backend interprets the IR.
Status CodegenProbe(void* /*user_data*/, const select::Fingerprint& device) {
  if (device.backend == HRT_BACKEND_CPU_REFERENCE) return Status::Ok();
  // The SPIR-V emitter needs what vulkan::CheckSupported names (Vulkan 1.2,
  // bufferDeviceAddress, shaderInt64).
  if (device.backend == HRT_BACKEND_VULKAN) return vulkan::CheckSupported(device);
  if (device.backend != HRT_BACKEND_CUDA) {
    return Unsupported(std::string("no code generator for ") + select::BackendName(device.backend) +
                       " yet");
  }
  if (device.arch.cc() < 80) {
    return Unsupported("the PTX emitter needs sm_80 or newer; the device is " +
                       select::SmName(device.arch));
  }
  ptx::Target target;
  target.sm = device.arch.cc();
  const uint32_t need = std::max<uint32_t>(80, ptx::MinPtxVersion(target));
  const select::PtxIsa need_isa{static_cast<uint16_t>(need / 10), static_cast<uint16_t>(need % 10)};
  if (device.ptx_isa_max < need_isa) {
    return Unsupported("generated PTX for " + select::SmName(device.arch) + " needs PTX ISA " +
                       select::PtxIsaString(need_isa) + "; driver " +
                       select::DriverVersionString(device.driver_version) + " JITs up to " +
                       select::PtxIsaString(device.ptx_isa_max));
  }
  return Status::Ok();
}

}  // namespace

int CmdExplain(Args args) {
  if (WantsHelp(args)) return PrintHelp(kUsage);
  static constexpr FlagSpec kFlags[] = {
      {"--shape", true, true},        {"--config", true, false}, {"--device", true, false},
      {"--fingerprint", true, false}, {"--json", false, false},
  };
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  if (parsed->positionals.size() != 2) {
    return UsageError("explain takes a BUNDLE and a KERNEL", kUsage);
  }
  if (parsed->Has("--device") && parsed->Has("--fingerprint")) {
    return UsageError("give --device or --fingerprint, not both", kUsage);
  }
  Result<std::vector<std::pair<std::string, int64_t>>> shape_values =
      ParseShapes(parsed->Values("--shape"));
  if (!shape_values.ok()) return Fail(shape_values.status());
  std::vector<select::ShapeValue> shapes;
  for (const auto& [name, value] : *shape_values) shapes.push_back({name, value});
  Result<ir::Config> pin_values = ir::ParseConfig(parsed->Value("--config").value_or(""));
  if (!pin_values.ok()) return Fail(pin_values.take_status().Annotate("--config"));
  std::vector<select::ConfigPin> pins;
  for (const auto& [name, value] : pin_values->entries) pins.push_back({name, value});

  const std::string& path = parsed->positionals[0];
  const std::string& kernel = parsed->positionals[1];
  Result<std::vector<uint8_t>> data = ReadFile(path);
  if (!data.ok()) return Fail(data.status());
  Result<bundle::BundleView> view = bundle::BundleView::Open(*data);
  if (!view.ok()) return Fail("'" + path + "' is not a valid bundle: " + view.status().message());
  const std::optional<uint32_t> index = view->FindKernel(kernel);
  if (!index) {
    std::string names;
    for (uint32_t k = 0; k < view->kernel_count() && k < 20; ++k) {
      names += (k == 0 ? "" : ", ") + std::string(view->kernel(k).name);
    }
    if (view->kernel_count() > 20) names += ", ...";
    return Fail("'" + path + "' has no kernel '" + kernel +
                "' (it has: " + (names.empty() ? std::string("none") : names) + ")");
  }
  Result<select::Fingerprint> device = ChooseDevice(*parsed);
  if (!device.ok()) return Fail(device.status());

  select::SelectOptions options;
  options.codegen_probe = CodegenProbe;
  options.pins = pins;
  Result<select::Selection> selection = select::Explain(*view, *index, *device, shapes, options);
  if (!selection.ok()) return Fail(selection.status());
  const std::string out = parsed->Has("--json")
                              ? select::ExplainJson(*view, *device, shapes, *selection)
                              : select::ExplainText(*view, *device, shapes, *selection);
  std::fputs(out.c_str(), stdout);
  if (!out.empty() && out.back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace hrt::cli
