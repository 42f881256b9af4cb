// Ops that build index tiles or rearrange lanes without computing: iota,
// expand_dims, reshape, transpose (broadcast is BroadcastTo in tile.h).
#pragma once

#include <cstdint>
#include <span>

#include "codegen/interp/tile.h"

namespace hrt::interp {

// i32 [n] holding 0 .. n-1.
Result<Tile> Iota(int64_t n);
// Inserts a dim of size 1 before dim |axis| (0..rank).
Result<Tile> ExpandDims(const Tile& x, int64_t axis);
// The same lanes in row-major order under a new shape of equal size.
Result<Tile> Reshape(const Tile& x, const Shape& shape);
// Result dim i is input dim perm[i].
Result<Tile> Transpose(const Tile& x, std::span<const int64_t> perm);

}  // namespace hrt::interp
