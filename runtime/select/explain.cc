#include "runtime/select/explain.h"

#include "runtime/bundle/json_writer.h"

namespace hrt::select {
namespace {

using bundle::BundleView;
using bundle::JsonWriter;
using bundle::PayloadKind;
using bundle::VariantView;

std::string Num(uint64_t v) {
  return std::to_string(v);
}

std::string Driver(int32_t version) {
  return DriverVersionString(version) + " (" + std::to_string(version) + ")";
}

std::string PtxIsaFromNumber(uint64_t n) {
  return PtxIsaString(PtxIsa{static_cast<uint16_t>(n / 100), static_cast<uint16_t>(n % 100)});
}

std::string CodeName(const VariantView& v) {
  return v.payload_kind == PayloadKind::kPtx ? ComputeName(v.target.arch) : SmName(v.target.arch);
}

std::string ArchMismatchReason(const VariantView& v, const Fingerprint& device) {
  const Arch a = v.target.arch;
  const std::string code = CodeName(v);
  const std::string on = ", device is " + SmName(device.arch);
  if (v.payload_kind == PayloadKind::kHipCodeObject) {
    return "code objects run only on their exact arch " + ArchDigits(a) + on;
  }
  switch (a.variant) {
    case ArchVariant::kSpecific: return code + " code runs only on " + SmName(a) + " devices" + on;
    case ArchVariant::kFamily:
      return code + " code needs a CC " + std::to_string(a.major) +
             ".x device with minor >= " + std::to_string(a.minor) + " and family-specific support" +
             on;
    case ArchVariant::kPlain: break;
  }
  if (v.payload_kind == PayloadKind::kPtx) {
    return code + " PTX needs a device of CC >= " + std::to_string(a.major) + "." +
           std::to_string(a.minor) + on;
  }
  return code + " binaries run on CC " + std::to_string(a.major) +
         ".x devices with minor >= " + std::to_string(a.minor) + on;
}

std::string AcceptedReason(const BundleView& bundle, const VariantView& v,
                           const Fingerprint& device, const Candidate& c) {
  std::string s;
  switch (c.tier) {
    case Tier::kExactBinary: s = "exact-arch binary for " + SmName(device.arch); break;
    case Tier::kCompatibleBinary:
      s = "compatible binary: " + CodeName(v) + " code runs on " + SmName(device.arch);
      break;
    case Tier::kPortable:
      if (v.payload_kind == PayloadKind::kPtx) {
        s = "PTX JIT: " + CodeName(v) + " runs on " + SmName(device.arch) + ", PTX ISA " +
            PtxIsaString(v.target.min_ptx_isa) + " <= " + PtxIsaString(device.ptx_isa_max);
      } else {
        s = "portable SPIR-V";
      }
      break;
    case Tier::kNone: s = "accepted"; break;
  }
  if (c.shape_specific) {
    s += "; shape rules hold (";
    bool first = true;
    for (const bundle::RuleView& r : bundle.rules_of(v)) {
      if (!first) s += ", ";
      first = false;
      s += std::to_string(r.min) + " <= " + std::string(r.symbol) + " <= " + std::to_string(r.max);
    }
    s += ")";
  }
  return s;
}

std::string ShapesString(std::span<const ShapeValue> shapes) {
  if (shapes.empty()) return "none";
  std::string s;
  for (const ShapeValue& v : shapes) {
    if (!s.empty()) s += ", ";
    s += std::string(v.symbol) + "=" + std::to_string(v.value);
  }
  return s;
}

std::string RankString(const Candidate& c) {
  return "rank (tier " + std::to_string(static_cast<int>(c.tier)) + ", distance " +
         std::to_string(c.distance) + (c.shape_specific ? ", shape-specific)" : ")");
}

std::string DecisionString(const BundleView& bundle, const Selection& s) {
  switch (s.kind) {
    case DecisionKind::kVariant:
      return "variant " + std::to_string(s.variant) + " (" + VariantSummary(bundle, s.variant) +
             ")" + (s.needs_smem_opt_in ? "; needs the shared memory opt-in" : "");
    case DecisionKind::kCodegen: return "generate code from the kernel's IR (no variant fits)";
    case DecisionKind::kNone: return "none: " + s.codegen_status.message();
  }
  return "none";
}

}  // namespace

std::string DeviceSummary(const Fingerprint& device) {
  std::string s = BackendName(device.backend);
  if (device.backend == HRT_BACKEND_CUDA || device.arch.major != 0) s += " " + SmName(device.arch);
  if (!device.name.empty()) s += " '" + device.name + "'";
  if (device.backend == HRT_BACKEND_CUDA) {
    s += ", driver " + Driver(device.driver_version) + ", PTX ISA " +
         PtxIsaString(device.ptx_isa_max);
  }
  return s;
}

std::string VariantSummary(const BundleView& bundle, uint32_t variant) {
  const VariantView& v = bundle.variant(variant);
  switch (v.payload_kind) {
    case PayloadKind::kCubin: return "cubin " + SmName(v.target.arch);
    case PayloadKind::kPtx:
      return "ptx " + ComputeName(v.target.arch) + " (PTX ISA " +
             PtxIsaString(v.target.min_ptx_isa) + ")";
    case PayloadKind::kHipCodeObject: return "hip-code-object " + ArchDigits(v.target.arch);
    case PayloadKind::kSpirv: return std::string("spirv for ") + BackendName(v.target.backend);
  }
  return "unknown";
}

std::string CandidateReason(const BundleView& bundle, const Fingerprint& device,
                            const Candidate& c) {
  const VariantView& v = bundle.variant(c.variant);
  const bundle::Resources& r = v.resources;
  switch (c.verdict) {
    case Verdict::kAccepted: return AcceptedReason(bundle, v, device, c);
    case Verdict::kWrongBackend:
      return std::string("built for ") + BackendName(v.target.backend) + ", device is " +
             BackendName(device.backend);
    case Verdict::kArchMismatch: return ArchMismatchReason(v, device);
    case Verdict::kDriverTooOld:
      return "needs driver >= " + Driver(v.target.min_driver_version) + ", device has " +
             Driver(device.driver_version);
    case Verdict::kPtxIsaTooNew: {
      const int32_t min_driver = MinDriverForPtxIsa(v.target.min_ptx_isa);
      const std::string needs = min_driver != 0
                                    ? "a CUDA " + DriverVersionString(min_driver) + "+ driver"
                                    : "a driver newer than this library knows";
      return "PTX ISA " + PtxIsaFromNumber(c.need) + " needs " + needs + "; driver " +
             Driver(device.driver_version) + " JITs up to PTX ISA " + PtxIsaFromNumber(c.have);
    }
    case Verdict::kMissingFeatures:
      return "needs features the device lacks: " + FeaturesString(c.need);
    case Verdict::kTooManyThreads:
      return "needs " + Num(c.need) + " threads per block, device allows " + Num(c.have);
    case Verdict::kTooMuchSharedMemory:
      return "needs " + Num(c.need) + " bytes of shared memory per block (static " +
             Num(r.static_smem_bytes) + " + dynamic " + Num(r.dynamic_smem_bytes) +
             "), device allows " + Num(c.have);
    case Verdict::kTooManyRegisters:
      return "needs " + Num(c.need) + " registers per block (" + Num(r.regs_per_thread) +
             " per thread x " + Num(r.threads_per_block) + " threads in whole warps), device has " +
             Num(c.have);
    case Verdict::kShapeSymbolMissing: {
      const std::string sym(bundle.rules_of(v)[c.rule].symbol);
      return "shape rule on '" + sym + "' but the launch gives no value for " + sym;
    }
    case Verdict::kShapeOutOfRange: {
      const bundle::RuleView& rule = bundle.rules_of(v)[c.rule];
      const std::string sym(rule.symbol);
      return "shape rule " + std::to_string(rule.min) + " <= " + sym +
             " <= " + std::to_string(rule.max) + " does not hold: " + sym + " = " +
             std::to_string(c.shape_value);
    }
    case Verdict::kConfigMismatch: {
      const bundle::ConfigView& entry = bundle.config_of(v)[c.rule];
      return "compiled for " + std::string(entry.name) + " = " + std::to_string(entry.value) +
             ", the launch needs " + std::to_string(static_cast<int64_t>(c.need));
    }
  }
  return "unknown verdict";
}

std::string NoVariantReason(const BundleView& bundle, const Fingerprint& device,
                            std::span<const ShapeValue> shapes, const Selection& selection) {
  const bundle::KernelView& k = bundle.kernel(selection.kernel);
  std::string s = "kernel '" + std::string(k.name) + "': nothing runs on " + DeviceSummary(device) +
                  " with shapes " + ShapesString(shapes) + ": ";
  if (selection.candidates.empty()) {
    s += "the kernel has no variants";
  }
  for (size_t i = 0; i < selection.candidates.size(); ++i) {
    const Candidate& c = selection.candidates[i];
    if (i > 0) s += "; ";
    s += "variant " + std::to_string(c.variant) + " (" + VariantSummary(bundle, c.variant) +
         "): " + CandidateReason(bundle, device, c);
  }
  return s;
}

std::string SelectionFailureMessage(const BundleView& bundle, const Fingerprint& device,
                                    std::span<const ShapeValue> shapes,
                                    const Selection& selection) {
  return NoVariantReason(bundle, device, shapes, selection) + "; " +
         selection.codegen_status.message();
}

std::string ExplainText(const BundleView& bundle, const Fingerprint& device,
                        std::span<const ShapeValue> shapes, const Selection& selection) {
  const bundle::KernelView& k = bundle.kernel(selection.kernel);
  std::string s = "kernel '" + std::string(k.name) + "' (index " +
                  std::to_string(selection.kernel) + ", " + std::to_string(k.variant_count) +
                  " variants, " + (k.has_ir() ? "has IR" : "no IR") + ")\n";
  s += "device: " + DeviceSummary(device) + "\n";
  s += "shapes: " + ShapesString(shapes) + "\n";
  for (const Candidate& c : selection.candidates) {
    const bool chosen = selection.kind == DecisionKind::kVariant && c.variant == selection.variant;
    s += chosen ? "  [chosen]   " : c.accepted() ? "  [accepted] " : "  [rejected] ";
    s += "variant " + std::to_string(c.variant) + " " + VariantSummary(bundle, c.variant) + ": ";
    if (!c.accepted()) s += std::string(VerdictName(c.verdict)) + ": ";
    s += CandidateReason(bundle, device, c);
    if (c.accepted()) s += "; " + RankString(c);
    s += "\n";
  }
  s += "decision: " + DecisionString(bundle, selection) + "\n";
  return s;
}

std::string ExplainJson(const BundleView& bundle, const Fingerprint& device,
                        std::span<const ShapeValue> shapes, const Selection& selection) {
  const bundle::KernelView& k = bundle.kernel(selection.kernel);
  JsonWriter j;
  j.BeginObject();
  j.Field("kernel", k.name);
  j.Field("kernel_index", selection.kernel);
  j.Field("has_ir", k.has_ir());
  j.Key("device");
  j.BeginObject();
  j.Field("summary", DeviceSummary(device));
  j.Field("fingerprint", FingerprintToString(device));
  j.Field("hard_key", HardKeyOf(device).ToString());
  j.EndObject();
  j.Key("shapes");
  j.BeginObject();
  for (const ShapeValue& v : shapes) j.Field(v.symbol, v.value);
  j.EndObject();
  j.Key("candidates");
  j.BeginArray();
  for (const Candidate& c : selection.candidates) {
    const bool chosen = selection.kind == DecisionKind::kVariant && c.variant == selection.variant;
    j.BeginObject();
    j.Field("variant", c.variant);
    j.Field("target", VariantSummary(bundle, c.variant));
    j.Field("payload", bundle::PayloadKindName(bundle.variant(c.variant).payload_kind));
    j.Field("accepted", c.accepted());
    j.Field("chosen", chosen);
    j.Field("verdict", VerdictName(c.verdict));
    j.Field("tier", TierName(c.tier));
    j.Key("distance");
    if (c.tier == Tier::kNone) {
      j.Null();
    } else {
      j.Uint(c.distance);
    }
    j.Field("shape_specific", c.shape_specific);
    j.Field("reason", CandidateReason(bundle, device, c));
    j.EndObject();
  }
  j.EndArray();
  j.Key("decision");
  j.BeginObject();
  j.Field("kind", DecisionKindName(selection.kind));
  j.Key("variant");
  if (selection.kind == DecisionKind::kVariant) {
    j.Uint(selection.variant);
  } else {
    j.Null();
  }
  j.Field("needs_smem_opt_in", selection.needs_smem_opt_in);
  j.Field("summary", DecisionString(bundle, selection));
  j.EndObject();
  j.EndObject();
  return j.str() + "\n";
}

}  // namespace hrt::select
