// The configs a tuner may try for one kernel on one device (docs/tuning.md).
//
// The space is the cross product of the kernel's tunables' candidates, with
// the caller's pins (dtype parameters, tunables the caller fixes) applied,
// minus every config that ir::Bind rejects (a constraint, or a bound kernel
// that does not verify) and every config the device cannot run (the caller's
// FitsDevice check, e.g. one that calls ptx::EmitKernel with the device's
// ptx::DeviceLimits). Validity is decided by those existing checks only; this
// file never re-evaluates constraints itself. With a CodeIdentity, configs
// that would run the same code as an earlier one are dropped too.
//
//   tuning::SearchSpaceOptions opts;
//   opts.pins = ir::ParseConfig("T=f16").value();
//   opts.fits_device = [&](const ir::BoundKernel& b) { return EmitKernel(b, emit).status(); };
//   Result<tuning::SearchSpace> space = tuning::BuildSearchSpace(kernel, opts);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/ir.h"

namespace hrt::tuning {

// Returns OK when the device can run |kernel|, else why not (too many
// threads per block, too much shared memory, ...). Must be deterministic.
using FitsDevice = std::function<Status(const ir::BoundKernel& kernel)>;

// The identity of the code the device would run for |kernel| on the launches
// being tuned (CUDA: a hash of the PTX generated for their argument facts):
// equal values mean the same code. Must be deterministic; an error rejects
// the config like a FitsDevice error.
using CodeIdentity = std::function<Result<uint64_t>(const ir::BoundKernel& kernel)>;

// Default caps; see SearchSpaceOptions.
inline constexpr size_t kDefaultMaxConfigs = 256;
inline constexpr uint64_t kDefaultMaxEnumerated = 4096;

struct SearchSpaceOptions {
  // Entries every config carries as given: every dtype parameter must be
  // pinned (a tuner tunes one dtype instantiation; the launch's tensors fix
  // it), and any tunable may be. A pin must name a tunable or dtype
  // parameter of the kernel, and a tunable pin must be one of its candidates.
  ir::Config pins;
  // The device-limit check; empty: every config that binds fits.
  FitsDevice fits_device;
  // Of configs whose code is the same, only the first in order is kept (a
  // tunable that changes nothing for these launches: PRELOAD on rows that
  // take several trips, WARP_ROLES on loops without wgmma). Empty: configs
  // are never merged.
  CodeIdentity code_identity;
  // Tunables whose value the device's code generator ignores (PRELOAD where
  // there is no PTX emitter): each that the kernel has and the pins leave
  // free takes its default, so the space holds no two configs that run the
  // same code. Names the kernel lacks are skipped.
  std::vector<std::string> inert;
  // At most this many configs are kept (the sampling rule is on SearchSpace).
  size_t max_configs = kDefaultMaxConfigs;
  // At most this many points of the cross product are bound and checked.
  uint64_t max_enumerated = kDefaultMaxEnumerated;
};

// The valid configs of one kernel under one set of pins and device limits.
//
// Order: the cross product in lexicographic order of candidate indices, the
// kernel's first tunable varying slowest and its last fastest (candidates in
// the order the kernel lists them). Sampling, applied only when needed:
//  1. When the cross product has more than |max_enumerated| points, only
//     points 0, s, 2s, ... (s = floor(product / max_enumerated)) of that
//     order are checked, plus the default config.
//  2. When more than |max_configs| configs are valid, the heuristic config
//     is kept and |max_configs| - 1 others are taken evenly spaced over the
//     valid list in order (positions floor(k * n / (max_configs - 1)) of the
//     n valid configs other than the heuristic).
// The result keeps the enumeration order either way, so it is deterministic.
struct SearchSpace {
  std::vector<ir::Config> configs;  // each binds and fits; canonical order
  // Per config, the index of each tunable's value in that tunable's
  // candidate list (kernel order): the coordinates the tuner measures
  // distances with.
  std::vector<std::vector<uint32_t>> coords;
  // Per config, its canonical text (ir::Config::ToString), for Find.
  std::vector<std::string> texts;
  // The config served before anything is measured: the kernel's default
  // config (with the pins) when it is valid (or the config kept for its
  // code), else the valid config nearest to it (smallest sum of coordinate
  // distances; the first in order on ties).
  size_t heuristic = 0;

  // Accounting, for logs and tests.
  uint64_t cross_product = 0;  // points in the pinned cross product
  uint64_t enumerated = 0;     // points bound and checked
  uint64_t bind_rejected = 0;  // rejected by ir::Bind (constraints, verification)
  uint64_t device_rejected = 0;
  uint64_t duplicates = 0;  // valid, but the same code as a config kept
  uint64_t valid = 0;       // valid points among those checked, duplicates excluded
  bool sampled = false;     // a sampling rule dropped points

  size_t size() const { return configs.size(); }
  // Index of |config| (entries in any order), or npos.
  size_t Find(const ir::Config& config) const;
  static constexpr size_t npos = static_cast<size_t>(-1);
};

// Builds the space of |kernel| (which must be verified). Errors:
// kInvalidArgument for a pin that names nothing in the kernel or holds a
// value outside the candidates, or an unpinned dtype parameter;
// kOutOfRange when no config is valid (the message gives the first
// rejection's reason) or the cross product overflows 64 bits.
Result<SearchSpace> BuildSearchSpace(const ir::Kernel& kernel, const SearchSpaceOptions& options);

}  // namespace hrt::tuning
