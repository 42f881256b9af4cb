// Variant selection: which of a bundle kernel's variants a device runs for a
// launch, and why (the decision chain as data, for explain).
//
// Each variant is judged on its own, checks in this order, the first failing
// one giving the reason it is rejected:
//   1. backend      the variant's backend is the device's
//   2. arch         the code runs on the device's arch, which fixes its tier:
//                     exact binary       cubin for exactly the device's arch
//                                        and variant (sm_90a on sm_90a);
//                                        HIP code objects only come exact
//                     compatible binary  cubin by CUDA's rules (arch.h:
//                                        CubinRunsOn)
//                     portable           PTX by PtxRunsOn(), SPIR-V
//   3. driver       device driver >= the variant's minimum
//   4. PTX ISA      PTX only: its ISA <= the newest the driver JITs
//   5. features     the device has every required feature bit
//   6. resources    threads <= max threads per block; static + dynamic shared
//                   memory <= the opt-in maximum; registers per thread x
//                   threads (rounded up to whole warps) <= registers per
//                   block. A device limit of 0 (unknown) is not checked,
//                   nor is a variant need of 0 (unknown).
//   7. shape rules  every rule's symbol has a value in the launch, within
//                   [min, max]
//   8. config       every pin (SelectOptions: the launch's dtypes and any
//                   tunable the caller fixed) that names an entry of the
//                   variant's config has that entry's value
// Among accepted variants the best is the smallest (tier, arch distance
// (arch.h: ArchDistance), shape rules ? 0 : 1, file order): better tier
// first, then code closer to the device, then variants whose shape rules
// matched (more specific) over those without rules, then the earlier one.
//
// When no variant is accepted, a kernel with IR falls back to code generation
// if the codegen probe (SelectOptions) allows it; otherwise selection fails
// with an error listing every variant and why it was rejected.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/bundle/reader.h"
#include "runtime/select/fingerprint.h"

namespace hrt::select {

// The value of one shape symbol at launch ("M" = 4096).
struct ShapeValue {
  std::string_view symbol;
  int64_t value = 0;
};

// A config value the launch fixes: a dtype parameter inferred from the
// tensors ("T" = HRT_DTYPE_BF16) or a tunable the caller passed. Variants
// compiled for another value cannot serve the launch.
struct ConfigPin {
  std::string_view name;
  int64_t value = 0;
};

enum class Tier : uint8_t {
  kExactBinary = 0,
  kCompatibleBinary = 1,
  kPortable = 2,  // PTX (JIT by the driver), SPIR-V
  kNone = 3,      // rejected before the arch check passed
};
// "exact-arch binary", "compatible binary", "portable code", "none".
const char* TierName(Tier tier);

// Why a variant was accepted or rejected. The Candidate's numbers say more.
enum class Verdict : uint8_t {
  kAccepted = 0,
  kWrongBackend,         // need = variant backend, have = device backend
  kArchMismatch,         // the code does not run on the device's arch
  kDriverTooOld,         // need = minimum driver, have = device driver
  kPtxIsaTooNew,         // need/have = PTX ISA (major * 100 + minor)
  kMissingFeatures,      // need = the missing feature bits
  kTooManyThreads,       // need = threads per block, have = device maximum
  kTooMuchSharedMemory,  // need = static + dynamic bytes, have = opt-in maximum
  kTooManyRegisters,     // need = registers per block, have = device registers per block
  kShapeSymbolMissing,   // rule = the rule whose symbol has no launch value
  kShapeOutOfRange,      // rule = the failing rule, shape_value = the launch's value
  kConfigMismatch,       // rule = the variant's config entry, need = pinned value, have = its value
};
// "accepted", "wrong-backend", "arch-mismatch", ... (stable, for JSON).
const char* VerdictName(Verdict verdict);

struct Candidate {
  uint32_t variant = 0;  // index into the bundle's variants
  Verdict verdict = Verdict::kAccepted;
  Tier tier = Tier::kNone;
  uint32_t distance = 0;        // ArchDistance(code, device); valid when tier != kNone
  bool shape_specific = false;  // the variant has shape rules
  uint64_t need = 0;
  uint64_t have = 0;
  uint32_t rule = 0;  // index within the variant's rules
  int64_t shape_value = 0;

  bool accepted() const { return verdict == Verdict::kAccepted; }
};

enum class DecisionKind : uint8_t {
  kVariant = 0,  // run Selection::variant
  kCodegen = 1,  // no variant fits; compile the kernel's IR for the device
  kNone = 2,     // nothing can run the kernel on this device
};
// "variant", "codegen", "none".
const char* DecisionKindName(DecisionKind kind);

struct Selection {
  uint32_t kernel = 0;
  DecisionKind kind = DecisionKind::kNone;
  uint32_t variant = 0;  // when kind == kVariant
  // The chosen variant needs more shared memory than the device's default
  // per-block limit: the launcher must opt in (CUDA:
  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES).
  bool needs_smem_opt_in = false;
  // Every variant of the kernel, in file order.
  std::vector<Candidate> candidates;
  // Why code generation was not chosen when kind == kNone (no IR, or the
  // probe's refusal); OK otherwise.
  Status codegen_status;
};

struct SelectOptions {
  // Config values the launch fixes (step 8); empty: any config serves.
  std::span<const ConfigPin> pins;
  // Asked when no variant fits and the kernel has IR: OK if code generation
  // serves |device|, else why not. NULL: code generation is always possible.
  // May be called more than once per selection; must not have side effects.
  Status (*codegen_probe)(void* user_data, const Fingerprint& device) = nullptr;
  void* codegen_user_data = nullptr;
};

// Judges one variant (steps 1-8 above) without allocating.
Candidate JudgeVariant(const bundle::BundleView& bundle, uint32_t variant,
                       const Fingerprint& device, std::span<const ShapeValue> shapes,
                       std::span<const ConfigPin> pins = {});

// True when |a| ranks before |b| (both accepted).
bool RanksBefore(const Candidate& a, const Candidate& b);

// The full decision for |kernel| with every candidate judged. Never fails for
// a valid kernel index; a kernel nothing can run has kind kNone.
// Errors: kOutOfRange (kernel index).
Result<Selection> Explain(const bundle::BundleView& bundle, uint32_t kernel,
                          const Fingerprint& device, std::span<const ShapeValue> shapes,
                          const SelectOptions& options = {});

// What to run.
struct Choice {
  DecisionKind kind = DecisionKind::kVariant;  // kVariant or kCodegen
  uint32_t variant = 0;                        // when kind == kVariant
  bool needs_smem_opt_in = false;
  // When kind == kCodegen: why no variant fit (NoVariantReason() in
  // explain.h), for logs. Empty otherwise.
  std::string codegen_reason;
};

// The decision of Explain() without keeping the candidates; the launch-time
// entry point. Does not allocate when a variant is chosen (codegen and
// failures take the slow path that explains).
// Errors: kOutOfRange (kernel index); kUnsupported when nothing can run the
// kernel, with a message naming the device and, per variant, why it was
// rejected, and why code generation was not possible.
Result<Choice> Select(const bundle::BundleView& bundle, uint32_t kernel, const Fingerprint& device,
                      std::span<const ShapeValue> shapes, const SelectOptions& options = {});

}  // namespace hrt::select
