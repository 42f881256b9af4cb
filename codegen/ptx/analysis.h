// Facts the lowering needs before it emits anything: how each value is
// represented, which layout each distributed value lives in, how index
// values move along each dim (for vectorized memory access), which loads can
// be copied straight into a dot's shared-memory staging, and a register
// estimate.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/assume.h"
#include "codegen/ptx/layout.h"

namespace hrt::ptx {

enum class ValueKind : uint8_t {
  // A scalar: every thread computes it redundantly, one register.
  kUniform,
  // A tile computed from scalars and iota only (indices, masks, constants):
  // recomputed in whatever layout a consumer needs, never moved.
  kPure,
  // broadcast/expand_dims/transpose/reshape of a distributed tile: a
  // coordinate map onto its source, resolved when a consumer reads it.
  kView,
  // A tile held in registers in one layout (loads, reductions, dots, loop
  // values, arithmetic on those).
  kTile,
};

inline constexpr int32_t kLinUnknown = std::numeric_limits<int32_t>::min();

struct ValueFacts {
  ValueKind kind = ValueKind::kUniform;
  // Per own dim: value(c + e_d) - value(c), when that is the same constant
  // for every coordinate, else kLinUnknown. An index whose last-dim entry is
  // 1 walks memory contiguously along that dim.
  std::array<int32_t, ir::kMaxRank> lin{};
  // kUniform integer values known at compile time (consts, tunable syms).
  bool is_const = false;
  int64_t const_value = 0;
  // Integer values: a power of two dividing value(c) - sum_d lin[d] * c[d]
  // at every coordinate c (for scalars: dividing the value). Meaningful only
  // where every lin is known; 1 when nothing is known. Proves that a
  // thread's run of elements starts on a multiple of its length
  // (GroupAligned), from iota, constants, loop counters and the shape
  // symbols the launch's Assumptions say are multiples of 16.
  int64_t align = 1;
  // kTile: the layout holding it.
  LayoutId layout = kNoLayout;
  // A load whose only use is a dot operand: copied from global memory into
  // the dot's shared-memory staging when the dot is lowered.
  bool staged_load = false;
  // The op defining the value (nullptr for loop-body arguments).
  const ir::Op* def = nullptr;
  // A float value that only reaches memory rounded to f16/bf16, so ~1e-6
  // relative error is invisible (precision.cc): exp takes a shorter sequence.
  bool coarse = false;
  // Every use of the value is as the value a store writes (never an index,
  // a mask, an operand or a loop value): a cast to f16/bf16 defining it can
  // leave the rounding to the stores, which round f32 the same way.
  bool only_stored = false;
};

struct Analysis {
  uint32_t threads = 0;
  // What the launch guarantees about its arguments (assume.h).
  Assumptions assume;
  // The target has wgmma (sm_90a): dots of WgmmaShape get its accumulator
  // layout, so that a pipelined one can run on wgmma (dot.cc).
  bool wgmma = false;
  std::vector<ValueFacts> values;
  LayoutTable layouts;
  // Preferred per-thread run (elements) along the last dim, per tile shape.
  std::vector<std::pair<Shape, int64_t>> vector_widths;
  uint32_t estimated_registers = 0;

  // The blocked layout every distributed tile of |shape| uses unless it is a
  // dot accumulator.
  LayoutId Canonical(const Shape& shape);
  // The layout of a dot result of |shape| with inputs of |dtype|: mma when
  // the shape fits (K is checked by |k_dim|), else canonical.
  LayoutId DotLayout(const Shape& shape, ir::DType dtype, int64_t k_dim);
};

// Shape of |type| with dims resolved (bound kernels have constant dims).
Shape ShapeOf(const ir::Type& type);
// Element dtype of a bound kernel's value type.
ir::DType DTypeOf(const ir::BoundKernel& kernel, ir::Elem elem);
// True when a dot of [M, K] x [K, N] with |dtype| inputs runs on mma.sync.
bool UsesMma(const Shape& acc_shape, ir::DType dtype, int64_t k_dim, uint32_t threads);
// True when such a dot fits wgmma.m64nNk16 with both operands in 128-byte
// swizzled shared memory: f16/bf16, one warpgroup per 64 rows (M = 16 *
// warps, warps a multiple of 4), K = 64 (one swizzle row of A) and N a
// multiple of 64 (whole swizzle rows of B) up to 256.
bool WgmmaShape(const Shape& acc_shape, ir::DType dtype, int64_t k_dim, uint32_t threads);

// Lin of value |v| along dim |d| of a tile of rank |rank| it is broadcast
// into (right-aligned): 0 for scalars and stretched dims.
int32_t LinAlong(const Analysis& an, const ir::Kernel& kernel, ir::ValueId v, uint32_t rank,
                 uint32_t d);

// True when |block| (or a loop nested in it) stores or updates memory.
bool HasMemoryWrites(const ir::Block& block);
// True when |op| stores or updates memory, or is a loop whose body does.
bool WritesMemory(const ir::Op& op);

// Per value: coarse in the sense of ValueFacts::coarse (precision.cc).
std::vector<bool> CoarseValues(const ir::BoundKernel& kernel);

// True when, at the first slot of every run of |group| consecutive slots of
// a blocked layout (runs start at multiples of |group| along the last dim),
// value |v| broadcast into a tile of rank |rank| is a multiple of |group|:
// every lin is known, those of the other dims are multiples of |group|, and
// so is its align.
bool GroupAligned(const Analysis& an, const ir::Kernel& kernel, ir::ValueId v, uint32_t rank,
                  int64_t group);

Result<Analysis> Analyze(const ir::BoundKernel& kernel, uint32_t threads, bool wgmma = false,
                         const Assumptions& assume = {});

}  // namespace hrt::ptx
