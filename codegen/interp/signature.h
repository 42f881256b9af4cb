// Launch preparation: checks the arguments against a bound kernel's
// signature and computes everything that is fixed for the whole launch
// (shape-symbol sizes, tensor views, scalar values, grid).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "codegen/interp/interpreter.h"
#include "codegen/interp/memory.h"
#include "codegen/interp/tile.h"
#include "codegen/ir/bind.h"

namespace hrt::interp {

// Grids with more program instances than this are refused: even an empty
// kernel would run for minutes, and no backend launches more.
inline constexpr int64_t kMaxPrograms = int64_t{1} << 31;

struct Launch {
  std::vector<int64_t> shape_syms;  // by shape-symbol index
  std::vector<TensorView> tensors;  // by parameter index (scalars: unused)
  std::vector<Tile> scalars;        // by parameter index (tensors: unused)
  std::array<int64_t, ir::kMaxGridRank> grid{1, 1, 1};
};

// Errors (kInvalidArgument): wrong argument count; a tensor rank different
// from its parameter's; a negative size; one shape symbol with two sizes; a
// shape symbol no tensor provides; a null pointer for a non-empty tensor;
// strides whose extent overflows; an integer scalar outside its dtype.
// Grid errors (kOutOfRange): an expression that fails to evaluate, a
// negative count, or more than kMaxPrograms programs.
Result<Launch> PrepareLaunch(const ir::BoundKernel& bk, std::span<const Arg> args);

}  // namespace hrt::interp
