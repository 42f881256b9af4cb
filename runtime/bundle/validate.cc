#include "runtime/bundle/validate.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/select/fingerprint.h"

namespace hrt::bundle {

std::string NameProblem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.size() > kMaxNameLength) {
    return "name of " + std::to_string(name.size()) + " bytes (limit " +
           std::to_string(kMaxNameLength) + ")";
  }
  if (name.find('\0') != std::string_view::npos) return "name holds a NUL byte";
  return "";
}

std::string TargetProblem(const Target& target, PayloadKind kind) {
  const auto raw_kind = static_cast<uint8_t>(kind);
  if (raw_kind < kMinPayloadKind || raw_kind > kMaxPayloadKind) {
    return "unknown payload kind " + std::to_string(raw_kind);
  }
  if (!PayloadKindFitsBackend(kind, target.backend)) {
    return std::string(PayloadKindName(kind)) + " payload for backend " +
           select::BackendName(target.backend);
  }
  const select::Arch& a = target.arch;
  if (static_cast<uint8_t>(a.variant) >= select::kNumArchVariants) {
    return "unknown arch variant " + std::to_string(static_cast<int>(a.variant));
  }
  if (a.minor > 9 || a.major > select::kMaxArchMajor) {
    return "arch " + std::to_string(a.major) + "." + std::to_string(a.minor) + " out of range";
  }
  if (target.backend == HRT_BACKEND_CUDA && a.major == 0) return "CUDA target without an arch";
  if (target.min_driver_version < 0) return "negative minimum driver version";
  if (kind == PayloadKind::kPtx && !target.min_ptx_isa.known()) {
    return "PTX payload without its PTX ISA version";
  }
  if (kind != PayloadKind::kPtx && target.min_ptx_isa.known()) {
    return std::string("PTX ISA version on a ") + PayloadKindName(kind) + " payload";
  }
  return "";
}

std::string ShapeRuleProblem(int64_t min, int64_t max) {
  if (min > max)
    return "shape rule with min " + std::to_string(min) + " > max " + std::to_string(max);
  return "";
}

std::string TunableProblem(std::span<const int64_t> candidates, int64_t default_value) {
  if (candidates.empty()) return "tunable without candidates";
  std::vector<int64_t> sorted(candidates.begin(), candidates.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return "tunable with repeated candidates";
  }
  if (!std::binary_search(sorted.begin(), sorted.end(), default_value)) {
    return "tunable default " + std::to_string(default_value) + " is not a candidate";
  }
  return "";
}

std::string PayloadProblem(PayloadKind kind, std::span<const uint8_t> raw) {
  if (raw.empty()) return "empty payload";
  if (kind == PayloadKind::kPtx && raw.back() != 0) return "PTX payload not NUL-terminated";
  return "";
}

}  // namespace hrt::bundle
