#include "codegen/interp/reduce.h"

#include <vector>

#include "codegen/interp/elementwise.h"

namespace hrt::interp {

Result<Tile> Reduce(ir::OpCode code, const Tile& x, int64_t axis) {
  const uint32_t rank = x.shape.rank;
  if (axis < 0 || axis >= rank) {
    return Internal("reduction axis " + std::to_string(axis) + " invalid for rank " +
                    std::to_string(rank));
  }
  if (code != ir::OpCode::kSum && code != ir::OpCode::kReduceMax &&
      code != ir::OpCode::kReduceMin) {
    return Internal(std::string("'") + ir::OpName(code) + "' is not a reduction");
  }
  const auto a = static_cast<uint32_t>(axis);
  Shape shape;
  shape.rank = rank - 1;
  int64_t outer = 1, inner = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    if (i < a) outer *= x.shape.dims[i];
    if (i > a) inner *= x.shape.dims[i];
    if (i != a) shape.dims[i < a ? i : i - 1] = x.shape.dims[i];
  }
  const int64_t n = x.shape.dims[a];
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(x.dtype, shape));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const auto dst = static_cast<size_t>(o * inner + i);
      auto src = [&](int64_t k) { return static_cast<size_t>((o * n + k) * inner + i); };
      if (x.is_float()) {
        double r = x.floats[src(0)];
        for (int64_t k = 1; k < n; ++k) {
          const double v = x.floats[src(k)];
          r = code == ir::OpCode::kSum         ? r + v
              : code == ir::OpCode::kReduceMax ? FloatMax(r, v)
                                               : FloatMin(r, v);
        }
        out.floats[dst] = ir::RoundToFloat(x.dtype, r);
      } else {
        // Unsigned accumulation: wrapping once at the end equals wrapping
        // after every step, and stays defined for i64.
        uint64_t s = static_cast<uint64_t>(x.ints[src(0)]);
        int64_t m = x.ints[src(0)];
        for (int64_t k = 1; k < n; ++k) {
          const int64_t v = x.ints[src(k)];
          s += static_cast<uint64_t>(v);
          if (code == ir::OpCode::kReduceMax ? v > m : v < m) m = v;
        }
        out.ints[dst] =
            code == ir::OpCode::kSum ? ir::WrapToInt(x.dtype, static_cast<int64_t>(s)) : m;
      }
    }
  }
  return out;
}

Result<Tile> Dot(const Tile& a, const Tile& b, const Tile* acc) {
  if (!a.is_float() || a.dtype != b.dtype || a.shape.rank != 2 || b.shape.rank != 2 ||
      a.shape.dims[1] != b.shape.dims[0]) {
    return Internal("dot needs float a [M, K] and b [K, N] of one dtype; got " +
                    std::string(ir::DTypeName(a.dtype)) + " " + ShapeToString(a.shape) + " and " +
                    ir::DTypeName(b.dtype) + " " + ShapeToString(b.shape));
  }
  const int64_t m_size = a.shape.dims[0], k_size = a.shape.dims[1], n_size = b.shape.dims[1];
  Shape shape;
  shape.rank = 2;
  shape.dims[0] = m_size;
  shape.dims[1] = n_size;
  if (acc && (acc->dtype != ir::DType::kF32 || !(acc->shape == shape))) {
    return Internal("dot accumulator must be f32 " + ShapeToString(shape));
  }
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(ir::DType::kF32, shape));
  // Inputs as float (exact: they are f16/bf16/f32 values); b transposed so
  // the inner loop reads both operands contiguously.
  std::vector<float> fa(a.floats.begin(), a.floats.end());
  std::vector<float> fbt(b.floats.size());
  for (int64_t k = 0; k < k_size; ++k) {
    for (int64_t n = 0; n < n_size; ++n) {
      fbt[static_cast<size_t>(n * k_size + k)] =
          static_cast<float>(b.floats[static_cast<size_t>(k * n_size + n)]);
    }
  }
  for (int64_t m = 0; m < m_size; ++m) {
    const float* row = fa.data() + m * k_size;
    for (int64_t n = 0; n < n_size; ++n) {
      const float* col = fbt.data() + n * k_size;
      const auto dst = static_cast<size_t>(m * n_size + n);
      float s = acc ? static_cast<float>(acc->floats[dst]) : 0.0f;
      for (int64_t k = 0; k < k_size; ++k) {
        // Each product and sum is formed exactly in double and rounded to
        // f32 explicitly, so no compiler contraction into an FMA can creep
        // in: the result is bit-identical to the plain f32 loop.
        const auto p = static_cast<float>(static_cast<double>(row[k]) * col[k]);
        s = static_cast<float>(static_cast<double>(s) + p);
      }
      out.floats[dst] = s;
    }
  }
  return out;
}

}  // namespace hrt::interp
