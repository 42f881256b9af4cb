#include "codegen/interp/shape_ops.h"

namespace hrt::interp {

Result<Tile> Iota(int64_t n) {
  if (n > INT32_MAX) return OutOfRange("iota of " + std::to_string(n) + " lanes overflows i32");
  Shape shape;
  shape.rank = 1;
  shape.dims[0] = n;
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(ir::DType::kI32, shape));
  for (size_t i = 0; i < out.ints.size(); ++i) out.ints[i] = static_cast<int64_t>(i);
  return out;
}

Result<Tile> ExpandDims(const Tile& x, int64_t axis) {
  if (axis < 0 || axis > x.shape.rank || x.shape.rank >= ir::kMaxRank) {
    return Internal("expand_dims axis " + std::to_string(axis) + " invalid for rank " +
                    std::to_string(x.shape.rank));
  }
  Tile out = x;
  const auto a = static_cast<uint32_t>(axis);
  for (uint32_t i = x.shape.rank; i > a; --i) out.shape.dims[i] = x.shape.dims[i - 1];
  out.shape.dims[a] = 1;
  out.shape.rank = x.shape.rank + 1;
  return out;
}

Result<Tile> Reshape(const Tile& x, const Shape& shape) {
  // MakeTile validates |shape| before its element count is compared.
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(x.dtype, shape));
  if (out.size() != x.size()) {
    return Internal("reshape of " + ShapeToString(x.shape) + " to " + ShapeToString(shape) +
                    " changes the element count");
  }
  out.ints = x.ints;
  out.floats = x.floats;
  return out;
}

Result<Tile> Transpose(const Tile& x, std::span<const int64_t> perm) {
  const uint32_t rank = x.shape.rank;
  bool seen[ir::kMaxRank] = {};
  bool valid = perm.size() == rank;
  for (size_t i = 0; valid && i < perm.size(); ++i) {
    valid = perm[i] >= 0 && perm[i] < rank && !seen[perm[i]];
    if (valid) seen[perm[i]] = true;
  }
  if (!valid) return Internal("transpose permutation is not a permutation of the tile's dims");
  Shape shape;
  shape.rank = rank;
  for (uint32_t i = 0; i < rank; ++i) shape.dims[i] = x.shape.dims[perm[i]];
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(x.dtype, shape));
  // Row-major strides of the input, permuted to walk the output in order.
  int64_t in_stride[ir::kMaxRank] = {};
  int64_t stride = 1;
  for (uint32_t i = rank; i-- > 0;) {
    in_stride[i] = stride;
    stride *= x.shape.dims[i];
  }
  int64_t index[ir::kMaxRank] = {};
  const int64_t n = shape.NumElements();
  for (int64_t flat = 0; flat < n; ++flat) {
    Unflatten(shape, flat, index);
    int64_t src = 0;
    for (uint32_t i = 0; i < rank; ++i) src += index[i] * in_stride[perm[i]];
    if (out.is_float()) {
      out.floats[static_cast<size_t>(flat)] = x.floats[static_cast<size_t>(src)];
    } else {
      out.ints[static_cast<size_t>(flat)] = x.ints[static_cast<size_t>(src)];
    }
  }
  return out;
}

}  // namespace hrt::interp
