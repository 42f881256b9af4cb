// The launch ABI of generated kernels, shared by the PTX emitter (which
// declares the entry's parameters) and the backends (which marshal arguments
// for cuLaunchKernel and friends). Independent of any driver API.
//
// For each kernel parameter, in order:
//   tensor of rank R -> .u64 base address, then R x .s64 sizes, then
//                       R x .s64 strides (in elements, may be negative);
//   scalar           -> one parameter of its type: bool/u8 .u8, i8 .s8,
//                       i16 .s16, i32 .s32, i64 .s64, f16/bf16 .b16 (the
//                       IEEE half / bfloat16 bits), f32 .f32.
// Offsets follow the kernelParams buffer convention: each slot aligned to its
// natural size, packed in order. Pass &buffer[slot.offset] for each slot as
// the kernelParams array, or the whole buffer through CU_LAUNCH_PARAM_*.
//
// Launch geometry: the grid is the kernel's grid expressions evaluated at
// launch (ir::EvalExpr) on x, y, z; the block is ThreadsPerBlock() threads
// on x; dynamic shared memory is PtxKernel::shared_bytes (opt in above 48 KiB).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"

namespace hrt::ptx {

enum class ParamRole : uint8_t { kBase = 0, kSize = 1, kStride = 2, kScalar = 3 };

struct ParamSlot {
  uint32_t param = 0;  // index into Kernel::params
  ParamRole role = ParamRole::kScalar;
  uint32_t dim = 0;  // kSize / kStride: the tensor dim
  uint32_t offset = 0;
  uint32_t size = 0;
  uint32_t align = 0;
  const char* ptx_type = "";          // ".u64", ".s64", ".s32", ...
  ir::DType dtype = ir::DType::kI64;  // scalars: the bound dtype
};

struct ParamLayout {
  std::vector<ParamSlot> slots;
  // Bytes up to the end of the last slot: the size to pass as
  // CU_LAUNCH_PARAM_BUFFER_SIZE (the driver wants it exact).
  uint32_t total_size = 0;
  // Index of each parameter's first slot in |slots|.
  std::vector<uint32_t> first_slot;
};

// The parameter slots of |kernel| (bound: scalar dtypes concrete).
ParamLayout KernelParamLayout(const ir::BoundKernel& kernel);

// Threads per block: 32 * WARPS when the kernel has a tunable named WARPS,
// else 128.
uint32_t ThreadsPerBlock(const ir::BoundKernel& kernel);
inline constexpr uint32_t kDefaultThreadsPerBlock = 128;
// The value of the tunable named MIN_BLOCKS, or 0 when the kernel has none.
// 2 or more: the blocks per multiprocessor ptxas must leave registers for
// (.minnctapersm); memory-bound kernels trade a few spills for residency.
// 1 (or none): the emitter's own choice (emit.cc).
int64_t MinBlocksPerSm(const ir::BoundKernel& kernel);
// The value of the tunable named WARP_ROLES, or 0 when the kernel has none.
// 2: pipelined wgmma loops (sm_90a) are warp-specialized: a producer
// warpgroup copies and the 32 * WARPS consumer threads multiply, handing
// stages over through mbarriers (pipeline.cc); the block gets 128 more
// threads. 1 (every warp does both) is the same code as no tunable; other
// loops and targets ignore it. Values above 2 are rejected. (Tunable values
// start at 1, so 1 is the emitter's default, as with MIN_BLOCKS.)
int64_t WarpRoles(const ir::BoundKernel& kernel);
// The value of the tunable named PRELOAD, or 0 when the kernel has none.
// 2: when the launch's facts make a kernel's walks single trips, a later
// walk's loads that nothing written before them can change are issued at
// the end of the first walk (preload.cc). 1 is the same code as no tunable;
// values above 2 are rejected.
int64_t Preload(const ir::BoundKernel& kernel);

// The PTX name of a slot: "hrt_p<param>", "_size<d>" / "_stride<d>" suffixes.
std::string ParamSlotName(const ParamSlot& slot);

// Writes tensor parameter |param|'s base, sizes and strides into |buffer|
// (at least total_size bytes). Errors when |param| is not a tensor or |rank|
// differs from its rank.
Status WriteTensorParam(const ParamLayout& layout, uint32_t param, uint64_t address, uint32_t rank,
                        const int64_t* sizes, const int64_t* strides, std::span<uint8_t> buffer);
// Writes scalar parameter |param|: integers and bool from |i| (wrapped to the
// dtype), floats from |f| (rounded to the dtype, nearest-even).
Status WriteScalarParam(const ParamLayout& layout, uint32_t param, int64_t i, double f,
                        std::span<uint8_t> buffer);

}  // namespace hrt::ptx
