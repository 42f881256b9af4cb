// The launch path's steps, shared by hrt_kernel_launch (launch.cc) and
// prepared launches (prepared_launch.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "runtime/c_api.h"
#include "runtime/launch_memo.h"
#include "runtime/module.h"

namespace hrt::runtime {

// A launch's parameters, checked: the struct read (size and unknown tail),
// pointer/count pairs consistent, the grid given exactly for Triton-ABI
// kernels. Arguments and the device index are checked later.
struct CheckedLaunch {
  hrt_launch_params_t params;
  std::span<const hrt_arg_t> args;
  std::span<const hrt_config_entry_t> entries;
};
Result<CheckedLaunch> CheckLaunch(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in);

// The decision for |checked| (device index and arguments checked, config
// resolved, variant selected, kernel bound, tuning slot found), remembered
// in the kernel's memo when it can be.
struct DecidedLaunch {
  MemoEntry entry;
  // Set when the bound-kernel cache was full: |entry.bound| points into it,
  // so it lives as long as |entry| is used.
  std::unique_ptr<ir::BoundKernel> uncached;
  std::string config_text;  // the config, for messages
  bool remembered = false;  // in the memo (only then can it have a tuning slot)
};
Result<DecidedLaunch> DecideLaunch(hrt_kernel_t* kernel, const CheckedLaunch& checked);

// Checks |args| against |decision| (|unbound|: the kernel before binding,
// for CheckArgs's messages) and hands the launch to the device (or to the
// decision's tuning slot). |grid|: Triton-ABI kernels' grid, else NULL.
Status RunDecision(const MemoEntry& decision, const ir::Kernel& unbound,
                   std::span<const hrt_arg_t> args, void* stream, const uint32_t* grid);

}  // namespace hrt::runtime
