// Host values of the reference interpreter. A Tile is a concrete dtype, a
// constant shape and one flat row-major array. Integers and bool live in
// int64_t (already wrapped to their width), floats in double (already rounded
// to their dtype): every op rounds or wraps its results, which is how
// "computing in bf16" is modelled. Scalars are tiles of rank 0.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/infer.h"
#include "codegen/ir/ir.h"

namespace hrt::interp {

struct Shape {
  uint32_t rank = 0;
  std::array<int64_t, ir::kMaxRank> dims{};

  // Product of the dims; only meaningful for shapes MakeTile accepted.
  int64_t NumElements() const;
  friend bool operator==(const Shape& a, const Shape& b);
};

// "[4, 8]"; a scalar is "[]".
std::string ShapeToString(const Shape& shape);
// "[4, 8]" from an index list (used for lane and tensor indices).
std::string IndexToString(const int64_t* index, uint32_t rank);

struct Tile {
  ir::DType dtype = ir::DType::kI32;
  Shape shape;
  std::vector<int64_t> ints;   // integer and bool dtypes
  std::vector<double> floats;  // f16, bf16, f32

  bool is_float() const { return ir::IsFloat(dtype); }
  size_t size() const { return is_float() ? floats.size() : ints.size(); }
};

// A zero-filled tile. Fails when a dim is < 1 or the tile would hold more
// than ir::kMaxTileElements lanes (the verifier's limit on any value type;
// checked again here because broadcasts inside loads and stores form shapes
// no value carries).
Result<Tile> MakeTile(ir::DType dtype, const Shape& shape);
// Scalars; the value is stored as given (callers wrap or round first).
Tile ScalarInt(ir::DType dtype, int64_t v);
Tile ScalarFloat(ir::DType dtype, double v);

// Right-aligned broadcast of two shapes: each pair of dims is equal or one
// of them is 1. The error names both shapes.
Result<Shape> BroadcastShapes(const Shape& a, const Shape& b);
// |x| stretched to |shape| (which BroadcastShapes(x.shape, shape) == shape).
Result<Tile> BroadcastTo(const Tile& x, const Shape& shape);

// Splits the flat row-major index |flat| of |shape| into per-dim indices.
void Unflatten(const Shape& shape, int64_t flat, int64_t* index);

}  // namespace hrt::interp
