// Launching a loaded kernel: the argument marshalling follows the PTX
// emitter's ABI (codegen/ptx/abi.h), the grid is the kernel's grid
// expressions evaluated on the launch's shape-symbol values, the block
// ThreadsPerBlock() threads.
//
// Everything that can be decided once per kernel is decided by
// PrepareLaunch(); Launch() then writes the arguments into a buffer on its own
// stack (so launches of one kernel from several threads need no lock), never
// allocates on success, never synchronizes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/abi.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_driver.h"

namespace hrt::cuda {

// Bounds of what Launch() keeps on its stack; PrepareLaunch() rejects
// kernels beyond them. 4 KiB is also the kernel-parameter limit of every
// CUDA architecture before Volta's 32 KiB extension.
inline constexpr uint32_t kMaxParamBytes = 4096;
inline constexpr uint32_t kMaxParamSlots = 512;
inline constexpr uint32_t kMaxShapeSyms = 64;
// CUDA's grid limits: 2^31 - 1 blocks on x, 65535 on y and z.
inline constexpr int64_t kMaxGridX = 0x7fffffff;
inline constexpr int64_t kMaxGridYZ = 65535;

// Where one tensor parameter's values go in the parameter buffer, found in
// the layout once so a launch writes them without searching it.
struct TensorPlacement {
  uint32_t rank = 0;
  uint32_t base = 0;  // byte offset of the address
  std::array<uint32_t, ir::kMaxRank> size{};
  std::array<uint32_t, ir::kMaxRank> stride{};
};

struct LaunchPlan {
  CUfunction function = nullptr;
  CUcontext context = nullptr;
  const ir::BoundKernel* kernel = nullptr;  // must outlive the plan
  ptx::ParamLayout layout;
  std::vector<TensorPlacement> tensors;  // per parameter; scalars' entries unused
  std::vector<uint32_t> slot_offsets;    // layout.slots[i].offset, packed
  // Shape symbols: each takes the size of the first tensor dimension naming
  // it (|sym_first|); every later dimension naming it must agree
  // (|sym_checks|). Found once, so a launch reads the sizes directly.
  struct DimRef {
    uint32_t param = 0;
    uint32_t dim = 0;
    uint32_t sym = 0;
  };
  std::vector<DimRef> sym_first;  // indexed by symbol; param UINT32_MAX: unused
  std::vector<DimRef> sym_checks;
  // Each grid axis in a form that needs no expression evaluation when it has
  // one: a constant (no shape symbol), or cdiv(symbol, constant) (the usual
  // grid); kGeneral axes are evaluated with ir::EvalExpr.
  struct GridAxis {
    enum Kind : uint8_t { kConstant, kCeilDivSym, kGeneral } kind = kGeneral;
    uint32_t sym = 0;
    int64_t value = 1;  // the constant, or the divisor (> 0)
    DimRef size;        // kCeilDivSym: the tensor dimension giving |sym|
  };
  std::array<GridAxis, 3> grid_axes{};
  uint32_t grid_rank = 0;  // axes the kernel uses (the rest are 1)
  // Every used axis is kConstant, or kCeilDivSym with a tensor dimension
  // naming its symbol: Launch() then reads the sizes straight from the
  // arguments, which passed ValidateArgs (so dimensions sharing a symbol
  // agree), instead of collecting every symbol first (LaunchGrid).
  bool direct_grid = false;
  uint32_t threads_per_block = 0;
  uint32_t shared_bytes = 0;  // dynamic shared memory per block
  // Triton-compiled code (runtime::LaunchCode): bare pointers and scalar
  // values, then |scratch_params| NULL pointers; the grid is the launch's.
  bool triton_abi = false;
  uint32_t scratch_params = 0;
};

// Checks the kernel fits Launch()'s bounds and opts |function| into
// |shared_bytes| of dynamic shared memory when that is above 48 KiB (up to
// |shared_limit|, the device's opt-in maximum).
Result<LaunchPlan> PrepareLaunch(const Driver& driver, CUcontext context, CUfunction function,
                                 const ir::BoundKernel& kernel, uint32_t threads_per_block,
                                 uint32_t shared_bytes, uint32_t shared_limit);

// |args| passed runtime::ValidateArgs (backend.h).
// The grid of |plan|'s kernel for |args|: each shape symbol takes the size of
// the tensor dimensions it names (which must agree), then EvalExpr on each
// grid expression. Axes the kernel does not use are 1.
using Grid = std::array<int64_t, 3>;
Result<Grid> LaunchGrid(const LaunchPlan& plan, std::span<const hrt_arg_t> args);

// Marshals |args| and enqueues the kernel on |stream| (NULL: the context's
// default stream). A grid with a zero axis launches nothing.
// |grid| (3 values, may be NULL) replaces the kernel's grid; Triton-ABI plans
// require it, tile-IR plans refuse it.
Status Launch(const Driver& driver, const LaunchPlan& plan, std::span<const hrt_arg_t> args,
              CUstream stream, const uint32_t* grid = nullptr);

}  // namespace hrt::cuda
