// The config a launch runs with: the caller's entries over the kernel's
// defaults, with dtype parameters inferred from the tensors' dtypes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "runtime/c_api.h"

namespace hrt::runtime {

struct LaunchConfig {
  ir::Config config;
  // Identifies the config in the bound-kernel cache: the tunables' values,
  // then the dtype parameters' values, in kernel order.
  std::vector<int64_t> key;
};

// Resolves the launch config of |kernel|:
//  1. every entry must name a tunable or dtype parameter of the kernel, once;
//  2. a dtype parameter used by tensor parameters takes the dtype of those
//     tensors, which must agree with each other, with an explicit entry if
//     there is one, and be one of its candidates (else kInvalidArgument
//     naming the tensor);
//  3. everything else keeps its default (tunable default, first dtype
//     candidate).
// Candidate and constraint checks of the values themselves are left to
// ir::Bind. |args| must have passed CheckArgs().
Result<LaunchConfig> ResolveLaunchConfig(const ir::Kernel& kernel,
                                         std::span<const hrt_config_entry_t> entries,
                                         std::span<const hrt_arg_t> args);

// LaunchConfig::key of |config| (defaults for what it leaves out).
std::vector<int64_t> ConfigCacheKey(const ir::Kernel& kernel, const ir::Config& config);

}  // namespace hrt::runtime
