#include "runtime/select/selection.h"

#include <tuple>

#include "runtime/select/explain.h"

namespace hrt::select {
namespace {

using bundle::BundleView;
using bundle::PayloadKind;
using bundle::RuleView;
using bundle::VariantView;

uint64_t PtxIsaNumber(PtxIsa isa) {
  return uint64_t{isa.major} * 100 + isa.minor;
}

// The device's per-block shared memory ceiling: the opt-in maximum, else the
// default limit; 0 when neither is known.
uint64_t SmemCeiling(const Fingerprint& device) {
  return device.smem_per_block_optin != 0 ? device.smem_per_block_optin : device.smem_per_block;
}

uint64_t SmemNeed(const VariantView& v) {
  return uint64_t{v.resources.static_smem_bytes} + v.resources.dynamic_smem_bytes;
}

// Sets the tier (and distance) of |c|, or returns false when the code does
// not run on the device's arch.
bool JudgeArch(const VariantView& v, const Fingerprint& device, Candidate* c) {
  const Arch code = v.target.arch;
  switch (v.payload_kind) {
    case PayloadKind::kCubin:
      if (code == device.arch) {
        c->tier = Tier::kExactBinary;
      } else if (CubinRunsOn(code, device.arch)) {
        c->tier = Tier::kCompatibleBinary;
      } else {
        return false;
      }
      break;
    case PayloadKind::kHipCodeObject:
      if (code != device.arch) return false;
      c->tier = Tier::kExactBinary;
      break;
    case PayloadKind::kPtx:
      if (!PtxRunsOn(code, device.arch)) return false;
      c->tier = Tier::kPortable;
      break;
    case PayloadKind::kSpirv: c->tier = Tier::kPortable; return true;  // no arch to compare
  }
  c->distance = ArchDistance(code, device.arch);
  return true;
}

const ShapeValue* FindShape(std::span<const ShapeValue> shapes, std::string_view symbol) {
  for (const ShapeValue& s : shapes) {
    if (s.symbol == symbol) return &s;
  }
  return nullptr;
}

// Runs the decision over every variant of |kernel|, calling |on_candidate|
// for each judged one; returns the index (into the bundle's variants) of the
// best accepted variant, or -1.
template <typename OnCandidate>
int64_t ChooseVariant(const BundleView& bundle, const bundle::KernelView& kernel,
                      const Fingerprint& device, std::span<const ShapeValue> shapes,
                      std::span<const ConfigPin> pins, OnCandidate on_candidate) {
  Candidate best;
  bool have_best = false;
  for (uint32_t i = 0; i < kernel.variant_count; ++i) {
    const Candidate c = JudgeVariant(bundle, kernel.first_variant + i, device, shapes, pins);
    on_candidate(c);
    if (c.accepted() && (!have_best || RanksBefore(c, best))) {
      best = c;
      have_best = true;
    }
  }
  return have_best ? int64_t{best.variant} : -1;
}

// Whether code generation may serve the kernel: it needs IR and the probe's
// consent.
Status CodegenStatus(const bundle::KernelView& kernel, const Fingerprint& device,
                     const SelectOptions& options) {
  if (!kernel.has_ir()) {
    return Unsupported("no code generation fallback: the kernel has no IR");
  }
  if (options.codegen_probe != nullptr) {
    Status s = options.codegen_probe(options.codegen_user_data, device);
    if (!s.ok()) return s.Annotate("no code generation fallback");
  }
  return Status::Ok();
}

Status CheckKernelIndex(const BundleView& bundle, uint32_t kernel) {
  if (kernel >= bundle.kernel_count()) {
    return OutOfRange("kernel index " + std::to_string(kernel) + " out of range (bundle has " +
                      std::to_string(bundle.kernel_count()) + " kernels)");
  }
  return Status::Ok();
}

bool NeedsSmemOptIn(const VariantView& v, const Fingerprint& device) {
  return device.smem_per_block != 0 && SmemNeed(v) > device.smem_per_block;
}

}  // namespace

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kExactBinary: return "exact-arch binary";
    case Tier::kCompatibleBinary: return "compatible binary";
    case Tier::kPortable: return "portable code";
    case Tier::kNone: return "none";
  }
  return "none";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAccepted: return "accepted";
    case Verdict::kWrongBackend: return "wrong-backend";
    case Verdict::kArchMismatch: return "arch-mismatch";
    case Verdict::kDriverTooOld: return "driver-too-old";
    case Verdict::kPtxIsaTooNew: return "ptx-isa-too-new";
    case Verdict::kMissingFeatures: return "missing-features";
    case Verdict::kTooManyThreads: return "too-many-threads";
    case Verdict::kTooMuchSharedMemory: return "too-much-shared-memory";
    case Verdict::kTooManyRegisters: return "too-many-registers";
    case Verdict::kShapeSymbolMissing: return "shape-symbol-missing";
    case Verdict::kShapeOutOfRange: return "shape-out-of-range";
    case Verdict::kConfigMismatch: return "config-mismatch";
  }
  return "unknown";
}

const char* DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kVariant: return "variant";
    case DecisionKind::kCodegen: return "codegen";
    case DecisionKind::kNone: return "none";
  }
  return "none";
}

Candidate JudgeVariant(const BundleView& bundle, uint32_t variant, const Fingerprint& device,
                       std::span<const ShapeValue> shapes, std::span<const ConfigPin> pins) {
  const VariantView& v = bundle.variant(variant);
  Candidate c;
  c.variant = variant;
  c.shape_specific = v.rule_count > 0;
  auto reject = [&](Verdict verdict, uint64_t need, uint64_t have) {
    c.verdict = verdict;
    c.need = need;
    c.have = have;
    return c;
  };

  if (v.target.backend != device.backend) {
    return reject(Verdict::kWrongBackend, static_cast<uint64_t>(v.target.backend),
                  static_cast<uint64_t>(device.backend));
  }
  if (!JudgeArch(v, device, &c)) return reject(Verdict::kArchMismatch, 0, 0);
  if (v.target.min_driver_version > device.driver_version) {
    return reject(Verdict::kDriverTooOld, static_cast<uint64_t>(v.target.min_driver_version),
                  static_cast<uint64_t>(device.driver_version));
  }
  if (v.payload_kind == PayloadKind::kPtx && v.target.min_ptx_isa > device.ptx_isa_max) {
    return reject(Verdict::kPtxIsaTooNew, PtxIsaNumber(v.target.min_ptx_isa),
                  PtxIsaNumber(device.ptx_isa_max));
  }
  const uint64_t missing = v.target.required_features & ~device.features;
  if (missing != 0) return reject(Verdict::kMissingFeatures, missing, device.features);

  const bundle::Resources& r = v.resources;
  if (r.threads_per_block != 0 && device.max_threads_per_block != 0 &&
      r.threads_per_block > device.max_threads_per_block) {
    return reject(Verdict::kTooManyThreads, r.threads_per_block, device.max_threads_per_block);
  }
  const uint64_t smem_ceiling = SmemCeiling(device);
  if (smem_ceiling != 0 && SmemNeed(v) > smem_ceiling) {
    return reject(Verdict::kTooMuchSharedMemory, SmemNeed(v), smem_ceiling);
  }
  if (r.regs_per_thread != 0 && r.threads_per_block != 0 && device.regs_per_block != 0) {
    // Registers are allocated to whole warps.
    const uint64_t warp = device.warp_size != 0 ? device.warp_size : 1;
    const uint64_t threads = (uint64_t{r.threads_per_block} + warp - 1) / warp * warp;
    const uint64_t regs = uint64_t{r.regs_per_thread} * threads;
    if (regs > device.regs_per_block) {
      return reject(Verdict::kTooManyRegisters, regs, device.regs_per_block);
    }
  }

  const std::span<const RuleView> rules = bundle.rules_of(v);
  for (uint32_t i = 0; i < rules.size(); ++i) {
    c.rule = i;
    const ShapeValue* shape = FindShape(shapes, rules[i].symbol);
    if (shape == nullptr) return reject(Verdict::kShapeSymbolMissing, 0, 0);
    c.shape_value = shape->value;
    if (shape->value < rules[i].min || shape->value > rules[i].max) {
      return reject(Verdict::kShapeOutOfRange, 0, 0);
    }
  }
  c.rule = 0;
  c.shape_value = 0;

  const std::span<const bundle::ConfigView> config = bundle.config_of(v);
  for (const ConfigPin& pin : pins) {
    for (uint32_t i = 0; i < config.size(); ++i) {
      if (config[i].name == pin.name && config[i].value != pin.value) {
        c.rule = i;
        return reject(Verdict::kConfigMismatch, static_cast<uint64_t>(pin.value),
                      static_cast<uint64_t>(config[i].value));
      }
    }
  }
  return c;
}

bool RanksBefore(const Candidate& a, const Candidate& b) {
  return std::make_tuple(a.tier, a.distance, !a.shape_specific, a.variant) <
         std::make_tuple(b.tier, b.distance, !b.shape_specific, b.variant);
}

Result<Selection> Explain(const BundleView& bundle, uint32_t kernel, const Fingerprint& device,
                          std::span<const ShapeValue> shapes, const SelectOptions& options) {
  HRT_RETURN_IF_ERROR(CheckKernelIndex(bundle, kernel));
  const bundle::KernelView& k = bundle.kernel(kernel);
  Selection s;
  s.kernel = kernel;
  s.candidates.reserve(k.variant_count);
  const int64_t best = ChooseVariant(bundle, k, device, shapes, options.pins,
                                     [&](const Candidate& c) { s.candidates.push_back(c); });
  if (best >= 0) {
    s.kind = DecisionKind::kVariant;
    s.variant = static_cast<uint32_t>(best);
    s.needs_smem_opt_in = NeedsSmemOptIn(bundle.variant(s.variant), device);
    return s;
  }
  s.codegen_status = CodegenStatus(k, device, options);
  s.kind = s.codegen_status.ok() ? DecisionKind::kCodegen : DecisionKind::kNone;
  return s;
}

Result<Choice> Select(const BundleView& bundle, uint32_t kernel, const Fingerprint& device,
                      std::span<const ShapeValue> shapes, const SelectOptions& options) {
  HRT_RETURN_IF_ERROR(CheckKernelIndex(bundle, kernel));
  const bundle::KernelView& k = bundle.kernel(kernel);
  const int64_t best =
      ChooseVariant(bundle, k, device, shapes, options.pins, [](const Candidate&) {});
  Choice choice;
  if (best >= 0) {
    choice.variant = static_cast<uint32_t>(best);
    choice.needs_smem_opt_in = NeedsSmemOptIn(bundle.variant(choice.variant), device);
    return choice;
  }
  // Slow path: judge everything again, keeping the reasons for the message.
  HRT_ASSIGN_OR_RETURN(const Selection selection, Explain(bundle, kernel, device, shapes, options));
  if (selection.kind == DecisionKind::kCodegen) {
    choice.kind = DecisionKind::kCodegen;
    choice.codegen_reason = NoVariantReason(bundle, device, shapes, selection);
    return choice;
  }
  return Unsupported(SelectionFailureMessage(bundle, device, shapes, selection));
}

}  // namespace hrt::select
