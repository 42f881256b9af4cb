// The semantic rules a bundle's contents obey, shared by the writer (which
// rejects contents breaking them with kInvalidArgument) and the reader (which
// rejects files breaking them with kCorruptData), so that every file the
// writer produces is readable and every file the reader accepts can be
// written again. Each function returns "" when the rule holds, else what is
// wrong.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

// Names (kernels, tunables, config entries, shape symbols): non-empty, at
// most kMaxNameLength bytes, no NUL byte.
inline constexpr size_t kMaxNameLength = 4096;
std::string NameProblem(std::string_view name);

// A variant's target against its payload kind: the kind fits the backend,
// the arch is in range (major 1..99 for CUDA, minor 0..9), the minimum driver
// is >= 0, PTX payloads name their ISA version and other kinds leave it 0.
std::string TargetProblem(const Target& target, PayloadKind kind);

// min <= max.
std::string ShapeRuleProblem(int64_t min, int64_t max);

// Candidates non-empty and distinct, the default one of them.
std::string TunableProblem(std::span<const int64_t> candidates, int64_t default_value);

// PTX payloads end with a NUL byte (so the driver can take them as they are);
// every payload is non-empty.
std::string PayloadProblem(PayloadKind kind, std::span<const uint8_t> raw);

}  // namespace hrt::bundle
