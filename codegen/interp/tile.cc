#include "codegen/interp/tile.h"

namespace hrt::interp {

int64_t Shape::NumElements() const {
  int64_t n = 1;
  for (uint32_t i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank != b.rank) return false;
  for (uint32_t i = 0; i < a.rank; ++i) {
    if (a.dims[i] != b.dims[i]) return false;
  }
  return true;
}

std::string IndexToString(const int64_t* index, uint32_t rank) {
  std::string s = "[";
  for (uint32_t i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(index[i]);
  }
  return s + "]";
}

std::string ShapeToString(const Shape& shape) {
  return IndexToString(shape.dims.data(), shape.rank);
}

Result<Tile> MakeTile(ir::DType dtype, const Shape& shape) {
  if (shape.rank > ir::kMaxRank) return Internal("tile rank above the maximum");
  int64_t n = 1;
  for (uint32_t i = 0; i < shape.rank; ++i) {
    const int64_t d = shape.dims[i];
    if (d < 1 || d > ir::kMaxTileElements || (n *= d) > ir::kMaxTileElements) {
      return OutOfRange("tile of shape " + ShapeToString(shape) + " exceeds the interpreter's " +
                        std::to_string(ir::kMaxTileElements) +
                        "-element limit or has an empty dim");
    }
  }
  Tile t;
  t.dtype = dtype;
  t.shape = shape;
  if (t.is_float()) {
    t.floats.assign(static_cast<size_t>(n), 0.0);
  } else {
    t.ints.assign(static_cast<size_t>(n), 0);
  }
  return t;
}

Tile ScalarInt(ir::DType dtype, int64_t v) {
  Tile t;
  t.dtype = dtype;
  t.ints = {v};
  return t;
}

Tile ScalarFloat(ir::DType dtype, double v) {
  Tile t;
  t.dtype = dtype;
  t.floats = {v};
  return t;
}

Result<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  Shape out;
  out.rank = a.rank > b.rank ? a.rank : b.rank;
  for (uint32_t i = 0; i < out.rank; ++i) {
    // Right-aligned: dim i of the result pairs with the dims that many places
    // from the right of each operand; a missing dim counts as 1.
    const uint32_t from_right = out.rank - 1 - i;
    const int64_t da = from_right < a.rank ? a.dims[a.rank - 1 - from_right] : 1;
    const int64_t db = from_right < b.rank ? b.dims[b.rank - 1 - from_right] : 1;
    if (da != db && da != 1 && db != 1) {
      return InvalidArgument("shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                             " do not broadcast");
    }
    out.dims[i] = da == 1 ? db : da;
  }
  return out;
}

void Unflatten(const Shape& shape, int64_t flat, int64_t* index) {
  for (uint32_t i = shape.rank; i-- > 0;) {
    index[i] = flat % shape.dims[i];
    flat /= shape.dims[i];
  }
}

Result<Tile> BroadcastTo(const Tile& x, const Shape& shape) {
  HRT_ASSIGN_OR_RETURN(Shape joined, BroadcastShapes(x.shape, shape));
  if (!(joined == shape)) {
    return InvalidArgument("cannot broadcast " + ShapeToString(x.shape) + " to " +
                           ShapeToString(shape));
  }
  if (x.shape == shape) return x;
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(x.dtype, shape));
  // Source strides, 0 along stretched (or missing) dims.
  std::array<int64_t, ir::kMaxRank> src_stride{};
  int64_t stride = 1;
  const uint32_t lead = shape.rank - x.shape.rank;
  for (uint32_t i = x.shape.rank; i-- > 0;) {
    src_stride[lead + i] = x.shape.dims[i] == 1 ? 0 : stride;
    stride *= x.shape.dims[i];
  }
  // Walk the output in row-major order with an odometer over its index,
  // keeping the matching source offset up to date.
  const int64_t n = shape.NumElements();
  std::array<int64_t, ir::kMaxRank> index{};
  int64_t src = 0;
  for (int64_t flat = 0; flat < n; ++flat) {
    if (out.is_float()) {
      out.floats[static_cast<size_t>(flat)] = x.floats[static_cast<size_t>(src)];
    } else {
      out.ints[static_cast<size_t>(flat)] = x.ints[static_cast<size_t>(src)];
    }
    for (uint32_t d = shape.rank; d-- > 0;) {
      src += src_stride[d];
      if (++index[d] < shape.dims[d]) break;
      src -= src_stride[d] * shape.dims[d];
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace hrt::interp
