// The CPU reference interpreter against plain C++ loops. Kernels are built
// with KernelBuilder; every expected value is computed independently here.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codegen/interp/interpreter.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/builder.h"

namespace hrt::interp {
namespace {

using ir::DType;
using ir::Elem;
using ir::OpCode;
using ir::ValueId;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// --- Expressions -------------------------------------------------------------

ir::Expr Leaf(ir::ExprOp op, int64_t v) {
  ir::Expr e;
  e.nodes.push_back({op, v, 0, 0});
  return e;
}
ir::Expr Num(int64_t v) {
  return Leaf(ir::ExprOp::kConst, v);
}
ir::Expr SymE(ir::KernelBuilder& b, const std::string& name) {
  return Leaf(ir::ExprOp::kShapeSym, b.FindShapeSym(name));
}
ir::Expr TunE(ir::KernelBuilder& b, const std::string& name) {
  return Leaf(ir::ExprOp::kTunable, b.FindTunable(name));
}
ir::Expr Bin(ir::ExprOp op, const ir::Expr& a, const ir::Expr& b) {
  ir::Expr e = a;
  const auto offset = static_cast<uint32_t>(a.nodes.size());
  for (ir::ExprNode n : b.nodes) {
    if (n.op != ir::ExprOp::kConst && n.op != ir::ExprOp::kTunable &&
        n.op != ir::ExprOp::kShapeSym) {
      n.lhs += offset;
      n.rhs += offset;
    }
    e.nodes.push_back(n);
  }
  e.nodes.push_back({op, 0, offset - 1, static_cast<uint32_t>(e.nodes.size() - 1)});
  return e;
}
ir::Expr CDiv(const ir::Expr& a, const ir::Expr& b) {
  return Bin(ir::ExprOp::kCeilDiv, a, b);
}

// --- Host tensors ------------------------------------------------------------

// A contiguous tensor in its memory dtype, accessed by flat index.
struct HostTensor {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;

  HostTensor(DType t, std::vector<int64_t> dims) : dtype(t), shape(std::move(dims)) {
    bytes.assign(static_cast<size_t>(numel()) * ir::DTypeSize(t), 0);
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  unsigned char* at(int64_t i) { return bytes.data() + i * ir::DTypeSize(dtype); }

  void Set(int64_t i, double v) {
    switch (dtype) {
      case DType::kF32: {
        const auto f = static_cast<float>(v);
        std::memcpy(at(i), &f, 4);
        break;
      }
      case DType::kF16: {
        const uint16_t h = ir::FloatToHalf(static_cast<float>(v));
        std::memcpy(at(i), &h, 2);
        break;
      }
      case DType::kBF16: {
        const uint16_t h = ir::FloatToBF16(static_cast<float>(v));
        std::memcpy(at(i), &h, 2);
        break;
      }
      default: SetInt(i, static_cast<int64_t>(v)); break;
    }
  }
  double Get(int64_t i) {
    uint16_t h = 0;
    float f = 0;
    switch (dtype) {
      case DType::kF32: std::memcpy(&f, at(i), 4); return f;
      case DType::kF16: std::memcpy(&h, at(i), 2); return ir::HalfToFloat(h);
      case DType::kBF16: std::memcpy(&h, at(i), 2); return ir::BF16ToFloat(h);
      default: return static_cast<double>(GetInt(i));
    }
  }
  void SetInt(int64_t i, int64_t v) {
    const int64_t w = ir::WrapToInt(dtype, v);
    std::memcpy(at(i), &w, ir::DTypeSize(dtype));  // little-endian: low bytes first
  }
  int64_t GetInt(int64_t i) {
    int64_t v = 0;
    std::memcpy(&v, at(i), ir::DTypeSize(dtype));
    const uint32_t bits = 8 * ir::DTypeSize(dtype);
    if (ir::IsSignedInt(dtype) && bits < 64 && (v >> (bits - 1)) & 1) v -= int64_t{1} << bits;
    return v;
  }

  Arg arg() {
    Arg a;
    a.data = bytes.empty() ? nullptr : bytes.data();
    a.rank = static_cast<uint32_t>(shape.size());
    int64_t stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      a.shape[d] = shape[d];
      a.strides[d] = stride;
      stride *= shape[d];
    }
    return a;
  }
};

Arg IntArg(int64_t v) {
  Arg a;
  a.i = v;
  return a;
}

bool SameValue(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

ir::Config MakeConfig(std::initializer_list<std::pair<const char*, int64_t>> entries) {
  ir::Config c;
  for (const auto& [k, v] : entries) c.Set(k, v);
  return c;
}
int64_t DCode(DType t) {
  return static_cast<int64_t>(t);
}

Result<ir::BoundKernel> Finish(ir::KernelBuilder& b, const ir::Config& config) {
  Result<ir::Kernel> k = b.Finish();
  if (!k.ok()) return k.take_status();
  ir::Config full = ir::DefaultConfig(*k);  // |config| overrides the defaults
  for (const auto& [name, value] : config.entries) full.Set(name, value);
  return ir::Bind(*k, full);
}

#define ASSERT_OK(expr)                   \
  do {                                    \
    const ::hrt::Status s_ = (expr);      \
    ASSERT_TRUE(s_.ok()) << s_.message(); \
  } while (0)

// offs = program_id(0) * BLOCK + iota(BLOCK) and offs < N, the 1-D prologue.
struct Lanes {
  ValueId offs;
  ValueId mask;
};
Lanes BlockLanes(ir::KernelBuilder& b, const std::string& n_sym) {
  const ValueId pid = b.ProgramId(0);
  const ValueId base = b.Binary(OpCode::kMul, pid, b.Sym("BLOCK"));
  const ValueId offs =
      b.Binary(OpCode::kAdd, b.Iota(ir::Dim::Tunable(b.FindTunable("BLOCK"))), base);
  return {offs, b.Binary(OpCode::kLt, offs, b.Sym(n_sym))};
}

// kernel vector_add<T>(x, y, out: tensor<T>[N]), grid [cdiv(N, BLOCK)].
Result<ir::BoundKernel> VectorAdd(DType t, int64_t block, bool masked) {
  ir::KernelBuilder b("vector_add");
  const Elem T =
      Elem::Param(b.AddDTypeParam("T", {DType::kF16, DType::kBF16, DType::kF32, DType::kI32}));
  b.AddTensorParam("x", T, {"N"});
  b.AddTensorParam("y", T, {"N"});
  b.AddTensorParam("out", T, {"N"});
  b.AddTunable("BLOCK", {block}, block);
  b.SetGrid({CDiv(SymE(b, "N"), TunE(b, "BLOCK"))});
  const Lanes l = BlockLanes(b, "N");
  const ValueId m = masked ? l.mask : ir::kInvalidValue;
  const ValueId xv = b.Load("x", {l.offs}, m);  // x first: the out-of-bounds test expects it
  const ValueId yv = b.Load("y", {l.offs}, m);
  const ValueId sum = b.Binary(OpCode::kAdd, xv, yv);
  b.Store("out", {l.offs}, sum, m);
  return Finish(b, MakeConfig({{"T", DCode(t)}, {"BLOCK", block}}));
}

// --- Elementwise and memory ----------------------------------------------------

TEST(InterpTest, VectorAddWithRaggedTail) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kI32}) {
    SCOPED_TRACE(ir::DTypeName(t));
    auto k = VectorAdd(t, 128, /*masked=*/true);
    ASSERT_TRUE(k.ok()) << k.status().message();
    const int64_t n = 1000;  // 7 full blocks and a tail of 104
    HostTensor x(t, {n}), y(t, {n}), out(t, {n});
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> dist(-100.0, 100.0);
    for (int64_t i = 0; i < n; ++i) {
      if (t == DType::kI32) {
        // Near the top of the range so some sums wrap.
        x.SetInt(i, INT32_MAX - static_cast<int64_t>(rng() % 2000));
        y.SetInt(i, static_cast<int64_t>(rng() % 2000) - 1000);
      } else {
        x.Set(i, dist(rng));
        y.Set(i, dist(rng));
      }
      out.Set(i, -1);
    }
    const Arg args[] = {x.arg(), y.arg(), out.arg()};
    ASSERT_OK(interp::Run(*k, args));
    for (int64_t i = 0; i < n; ++i) {
      if (t == DType::kI32) {
        const auto expect = static_cast<int32_t>(static_cast<uint32_t>(x.GetInt(i)) +
                                                 static_cast<uint32_t>(y.GetInt(i)));
        ASSERT_EQ(out.GetInt(i), expect) << "at " << i;
      } else {
        // One rounding of the exact sum to the dtype.
        ASSERT_EQ(out.Get(i), ir::RoundToFloat(t, x.Get(i) + y.Get(i))) << "at " << i;
      }
    }
  }
}

// kernel reduce_rows<T>(x: tensor<T>[M, N], s, mx, mn: tensor<T>[M]).
Result<ir::BoundKernel> RowReduce(DType t) {
  ir::KernelBuilder b("reduce_rows");
  const Elem T =
      Elem::Param(b.AddDTypeParam("T", {DType::kF32, DType::kBF16, DType::kF16, DType::kI32}));
  b.AddTensorParam("x", T, {"M", "N"});
  b.AddTensorParam("s", T, {"M"});
  b.AddTensorParam("mx", T, {"M"});
  b.AddTensorParam("mn", T, {"M"});
  const int32_t bm = b.AddTunable("BM", {4}, 4);
  const int32_t bn = b.AddTunable("BN", {16}, 16);
  b.SetGrid({CDiv(SymE(b, "M"), TunE(b, "BM"))});
  const ValueId rows = b.Binary(OpCode::kAdd, b.Iota(ir::Dim::Tunable(bm)),
                                b.Binary(OpCode::kMul, b.ProgramId(0), b.Sym("BM")));
  const std::vector<ir::Dim> tile = {ir::Dim::Tunable(bm), ir::Dim::Tunable(bn)};
  const ValueId r2 = b.Broadcast(b.ExpandDims(rows, 1), tile);
  const ValueId c2 = b.Broadcast(b.ExpandDims(b.Iota(ir::Dim::Tunable(bn)), 0), tile);
  const ValueId mask = b.Binary(OpCode::kAnd, b.Binary(OpCode::kLt, r2, b.Sym("M")),
                                b.Binary(OpCode::kLt, c2, b.Sym("N")));
  const ValueId row_mask = b.Binary(OpCode::kLt, rows, b.Sym("M"));
  b.Store("s", {rows}, b.Reduce(OpCode::kSum, b.Load("x", {r2, c2}, mask, 0.0), 1), row_mask);
  b.Store("mx", {rows}, b.Reduce(OpCode::kReduceMax, b.Load("x", {r2, c2}, mask, -kInf), 1),
          row_mask);
  b.Store("mn", {rows}, b.Reduce(OpCode::kReduceMin, b.Load("x", {r2, c2}, mask, kInf), 1),
          row_mask);
  return Finish(b, MakeConfig({{"T", DCode(t)}, {"BM", 4}, {"BN", 16}}));
}

TEST(InterpTest, RowReductions) {
  for (DType t : {DType::kF32, DType::kBF16, DType::kF16, DType::kI32}) {
    SCOPED_TRACE(ir::DTypeName(t));
    auto k = RowReduce(t);
    ASSERT_TRUE(k.ok()) << k.status().message();
    const int64_t m = 7, n = 13;  // ragged in both dims
    HostTensor x(t, {m, n}), s(t, {m}), mx(t, {m}), mn(t, {m});
    std::mt19937 rng(11);
    for (int64_t i = 0; i < m * n; ++i) {
      const int64_t r = i / n;
      if (t == DType::kI32) {
        // Row 0 large enough to wrap the sum; row 1 all negative (a wrong
        // fill for the masked tail would show up as max 0).
        const int64_t big = INT32_MAX / 4 + static_cast<int64_t>(rng() % 1000);
        x.SetInt(i, r == 0   ? big
                    : r == 1 ? -1 - static_cast<int64_t>(rng() % 500)
                             : static_cast<int64_t>(rng() % 2001) - 1000);
      } else {
        const double v = std::ldexp(static_cast<double>(rng() % 4096), -6) - 40.0;
        x.Set(i, r == 1 ? -std::fabs(v) - 1.0 : r == 2 ? std::fabs(v) + 1.0 : v);
      }
    }
    const bool is_float = ir::IsFloat(t);
    if (is_float) x.Set(3 * n + 5, kNaN);  // row 3 propagates NaN
    const Arg args[] = {x.arg(), s.arg(), mx.arg(), mn.arg()};
    ASSERT_OK(interp::Run(*k, args));
    for (int64_t r = 0; r < m; ++r) {
      if (is_float) {
        double sum = 0, hi = -kInf, lo = kInf;
        bool nan = false;
        for (int64_t c = 0; c < n; ++c) {
          const double v = x.Get(r * n + c);
          nan = nan || std::isnan(v);
          sum += v;
          hi = std::max(hi, v);
          lo = std::min(lo, v);
        }
        EXPECT_TRUE(SameValue(s.Get(r), ir::RoundToFloat(t, sum))) << "row " << r;
        EXPECT_TRUE(SameValue(mx.Get(r), nan ? kNaN : hi)) << "row " << r;
        EXPECT_TRUE(SameValue(mn.Get(r), nan ? kNaN : lo)) << "row " << r;
      } else {
        int64_t sum = 0, hi = INT64_MIN, lo = INT64_MAX;
        for (int64_t c = 0; c < n; ++c) {
          const int64_t v = x.GetInt(r * n + c);
          sum += v;
          hi = std::max(hi, v);
          lo = std::min(lo, v);
        }
        EXPECT_EQ(s.GetInt(r), static_cast<int32_t>(sum)) << "row " << r;
        EXPECT_EQ(mx.GetInt(r), hi) << "row " << r;
        EXPECT_EQ(mn.GetInt(r), lo) << "row " << r;
      }
    }
  }
}

TEST(InterpTest, TransposeAndReshape) {
  // x [4, 6] -> out_t [6, 4] = x^T; x reshaped to [2, 3, 4] and permuted by
  // [2, 0, 1] -> out_p [4, 2, 3]; x reshaped to [3, 8] -> out_r.
  ir::KernelBuilder b("shapes");
  const Elem i32 = Elem::Of(DType::kI32);
  b.AddTensorParam("x", i32, {"A", "B"});
  b.AddTensorParam("out_t", i32, {"B", "A"});
  b.AddTensorParam("out_p", i32, {"P", "Q", "R"});
  b.AddTensorParam("out_r", i32, {"U", "V"});
  b.SetGrid({Num(1)});
  auto c = [](int64_t v) { return ir::Dim::Const(v); };
  auto idx = [&](int64_t n, int axis, int rank) {
    ValueId v = b.Iota(c(n));
    for (int d = 0; d < rank; ++d) {
      if (d != axis) v = b.ExpandDims(v, d);
    }
    return v;
  };
  const ValueId tile = b.Load("x", {idx(4, 0, 2), idx(6, 1, 2)});
  b.Store("out_t", {idx(6, 0, 2), idx(4, 1, 2)}, b.Transpose(tile, {1, 0}));
  const ValueId p = b.Transpose(b.Reshape(tile, {c(2), c(3), c(4)}), {2, 0, 1});
  b.Store("out_p", {idx(4, 0, 3), idx(2, 1, 3), idx(3, 2, 3)}, p);
  b.Store("out_r", {idx(3, 0, 2), idx(8, 1, 2)}, b.Reshape(tile, {c(3), c(8)}));
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();

  HostTensor x(DType::kI32, {4, 6}), t(DType::kI32, {6, 4}), pr(DType::kI32, {4, 2, 3}),
      r(DType::kI32, {3, 8});
  for (int64_t i = 0; i < 24; ++i) x.SetInt(i, 100 + i * 7);
  const Arg args[] = {x.arg(), t.arg(), pr.arg(), r.arg()};
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(t.GetInt(j * 4 + i), x.GetInt(i * 6 + j));
  }
  // Reshape keeps row-major order: element (a, b, c) of [2, 3, 4] is flat
  // a*12 + b*4 + c, and the permuted result holds it at (c, a, b).
  for (int64_t a = 0; a < 2; ++a) {
    for (int64_t bb = 0; bb < 3; ++bb) {
      for (int64_t cc = 0; cc < 4; ++cc) {
        EXPECT_EQ(pr.GetInt(cc * 6 + a * 3 + bb), x.GetInt(a * 12 + bb * 4 + cc));
      }
    }
  }
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(r.GetInt(i), x.GetInt(i));
}

TEST(InterpTest, SelectCompareAndFloatCasts) {
  ir::KernelBuilder b("casts");
  const Elem f32 = Elem::Of(DType::kF32);
  b.AddTensorParam("x", f32, {"N"});
  const std::vector<std::pair<const char*, DType>> outs = {
      {"to_i8", DType::kI8},     {"to_u8", DType::kU8},     {"to_i32", DType::kI32},
      {"to_i64", DType::kI64},   {"to_bool", DType::kBool}, {"to_f16", DType::kF16},
      {"to_bf16", DType::kBF16}, {"sel", DType::kF32}};
  for (const auto& [name, dt] : outs) b.AddTensorParam(name, Elem::Of(dt), {"N"});
  b.AddTensorParam("cmp", Elem::Of(DType::kBool), {"C", "N"});
  b.AddTensorParam("fill", Elem::Of(DType::kF16), {"F"});
  b.AddTunable("BLOCK", {8}, 8);
  b.SetGrid({CDiv(SymE(b, "N"), TunE(b, "BLOCK"))});
  const Lanes l = BlockLanes(b, "N");
  const ValueId xv = b.Load("x", {l.offs}, l.mask);
  for (size_t i = 0; i + 1 < outs.size(); ++i) {
    b.Store(outs[i].first, {l.offs}, b.Cast(xv, Elem::Of(outs[i].second)), l.mask);
  }
  const ValueId zero = b.ConstFloat(f32, 0.0);
  const ValueId pos = b.Binary(OpCode::kGt, xv, zero);
  b.Store("sel", {l.offs}, b.Select(pos, xv, b.Binary(OpCode::kSub, zero, xv)), l.mask);
  const ValueId half = b.ConstFloat(f32, 0.5);
  const OpCode cmps[] = {OpCode::kEq, OpCode::kNe, OpCode::kLt,
                         OpCode::kLe, OpCode::kGt, OpCode::kGe};
  for (int i = 0; i < 6; ++i) {
    b.Store("cmp", {b.ConstInt(Elem::Of(DType::kI32), i), l.offs}, b.Binary(cmps[i], xv, half),
            l.mask);
  }
  // A fully masked-off load yields the fill, rounded to f16.
  const ValueId none = b.Binary(OpCode::kLt, l.offs, b.ConstInt(Elem::Of(DType::kI32), 0));
  b.Store("fill", {l.offs}, b.Load("fill", {l.offs}, none, 0.1), l.mask);
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();

  const std::vector<double> xs = {-1e10,   -129.7,  -128.5, -1.5,  -0.5, 0.0,    0.5,    1.99,
                                  127.9,   128.0,   255.5,  300.0, 1e10, kNaN,   kInf,   -kInf,
                                  65519.0, 65520.0, 1e-8,   -3e9,  3e9,  2.5e19, -2.5e19};
  const auto n = static_cast<int64_t>(xs.size());
  HostTensor x(DType::kF32, {n}), cmp(DType::kBool, {6, n}), fill(DType::kF16, {n});
  std::vector<HostTensor> out;
  for (const auto& o : outs) out.emplace_back(o.second, std::vector<int64_t>{n});
  for (int64_t i = 0; i < n; ++i) x.Set(i, xs[static_cast<size_t>(i)]);
  std::vector<Arg> args = {x.arg()};
  for (HostTensor& o : out) args.push_back(o.arg());
  args.push_back(cmp.arg());
  args.push_back(fill.arg());
  ASSERT_OK(interp::Run(*k, args));

  // Truncate toward zero, saturate, NaN -> 0: written out per target.
  auto saturate = [](double v, double lo, double hi) -> int64_t {
    if (std::isnan(v)) return 0;
    const double t = std::trunc(v);
    if (t <= lo) return static_cast<int64_t>(lo);
    if (t >= hi) return hi >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(hi);
    return static_cast<int64_t>(t);
  };
  for (int64_t i = 0; i < n; ++i) {
    const double v = x.Get(i);  // the f32 value actually stored
    SCOPED_TRACE("x = " + std::to_string(v));
    EXPECT_EQ(out[0].GetInt(i), saturate(v, -128, 127));
    EXPECT_EQ(out[1].GetInt(i), saturate(v, 0, 255));
    EXPECT_EQ(out[2].GetInt(i), saturate(v, INT32_MIN, INT32_MAX));
    EXPECT_EQ(out[3].GetInt(i), saturate(v, -9223372036854775808.0, 9223372036854775807.0));
    EXPECT_EQ(out[4].GetInt(i), v != 0.0 ? 1 : 0);  // NaN != 0 is true
    EXPECT_TRUE(SameValue(out[5].Get(i), ir::HalfToFloat(ir::FloatToHalf(static_cast<float>(v)))));
    EXPECT_TRUE(SameValue(out[6].Get(i), ir::BF16ToFloat(ir::FloatToBF16(static_cast<float>(v)))));
    EXPECT_TRUE(SameValue(out[7].Get(i), v > 0 ? v : 0.0 - v));
    const bool expect_cmp[] = {v == 0.5, v != 0.5, v<0.5, v <= 0.5, v> 0.5, v >= 0.5};
    for (int c = 0; c < 6; ++c) EXPECT_EQ(cmp.GetInt(c * n + i), expect_cmp[c] ? 1 : 0) << c;
    EXPECT_EQ(fill.Get(i), ir::HalfToFloat(ir::FloatToHalf(0.1f)));
  }
  EXPECT_EQ(out[4].GetInt(13), 1);          // NaN -> bool
  EXPECT_EQ(out[2].GetInt(13), 0);          // NaN -> i32
  EXPECT_TRUE(std::isinf(out[5].Get(17)));  // 65520 rounds to inf in f16
  EXPECT_EQ(out[5].Get(16), 65504.0);
}

// The float nearest to |v| among the finite non-negative bit patterns
// [0, max_bits] of a 16-bit format, ties to an even pattern; inf beyond
// |overflow|. Independent of the interpreter's integer rounding.
double NearestBrute(int64_t v, uint16_t max_bits, float (*decode)(uint16_t), long double overflow) {
  const long double mag = std::fabs(static_cast<long double>(v));
  if (mag >= overflow) return v < 0 ? -kInf : kInf;
  uint16_t best = 0;
  long double best_err = mag;
  for (uint32_t bits = 1; bits <= max_bits; ++bits) {
    const long double err = std::fabs(decode(static_cast<uint16_t>(bits)) - mag);
    if (err < best_err || (err == best_err && (bits & 1u) == 0)) {
      best = static_cast<uint16_t>(bits);
      best_err = err;
    }
  }
  const double r = decode(best);
  return v < 0 ? -r : r;
}

TEST(InterpTest, IntegerCasts) {
  ir::KernelBuilder b("int_casts");
  b.AddTensorParam("x", Elem::Of(DType::kI64), {"N"});
  const DType targets[] = {DType::kBF16, DType::kF16, DType::kF32,
                           DType::kI8,   DType::kU8,  DType::kBool};
  const char* names[] = {"bf", "h", "f", "i8", "u8", "bl"};
  for (int i = 0; i < 6; ++i) b.AddTensorParam(names[i], Elem::Of(targets[i]), {"N"});
  b.SetGrid({Num(1)});
  const ValueId offs = b.Iota(ir::Dim::Const(16));
  const ValueId xv = b.Load("x", {offs});
  for (int i = 0; i < 6; ++i) b.Store(names[i], {offs}, b.Cast(xv, Elem::Of(targets[i])));
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();

  // 2^24 + 2^16 + 1 rounds up in bf16 (above the halfway point) but rounding
  // through f32 first would land exactly on the tie and round down.
  const int64_t xs[16] = {0,
                          1,
                          -1,
                          255,
                          256,
                          -129,
                          65519,
                          65520,
                          (1 << 24) + (1 << 16) + 1,
                          -(1LL << 40) - 3,
                          INT64_MAX,
                          INT64_MIN,
                          16777217,
                          33554435,
                          -1000001,
                          (1LL << 53) + 1};
  HostTensor x(DType::kI64, {16});
  std::vector<HostTensor> out;
  for (DType t : targets) out.emplace_back(t, std::vector<int64_t>{16});
  for (int64_t i = 0; i < 16; ++i) x.SetInt(i, xs[i]);
  std::vector<Arg> args = {x.arg()};
  for (HostTensor& o : out) args.push_back(o.arg());
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t i = 0; i < 16; ++i) {
    const int64_t v = xs[i];
    SCOPED_TRACE("x = " + std::to_string(v));
    EXPECT_EQ(out[0].Get(i), NearestBrute(v, 0x7f7f, ir::BF16ToFloat, 1e300L));
    EXPECT_EQ(out[1].Get(i), NearestBrute(v, 0x7bff, ir::HalfToFloat, 65520.0L));
    EXPECT_EQ(out[2].Get(i), static_cast<double>(static_cast<float>(v)));
    EXPECT_EQ(out[3].GetInt(i), static_cast<int8_t>(v));
    EXPECT_EQ(out[4].GetInt(i), static_cast<uint8_t>(v));
    EXPECT_EQ(out[5].GetInt(i), v != 0 ? 1 : 0);
  }
}

double UnaryRef(OpCode code, double x) {
  switch (code) {
    case OpCode::kNeg: return -x;
    case OpCode::kAbs: return std::fabs(x);
    case OpCode::kExp: return std::exp(x);
    case OpCode::kExp2: return std::exp2(x);
    case OpCode::kLog: return std::log(x);
    case OpCode::kSqrt: return std::sqrt(x);
    case OpCode::kRsqrt: return 1.0 / std::sqrt(x);
    case OpCode::kTanh: return std::tanh(x);
    case OpCode::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    default: return std::erf(x);
  }
}

TEST(InterpTest, UnaryAndMinMaxOps) {
  // out[u, i] = op_u(x[i]) for the float unary ops, then max/min with y.
  const OpCode ops[] = {OpCode::kNeg,     OpCode::kAbs,  OpCode::kExp,   OpCode::kExp2,
                        OpCode::kLog,     OpCode::kSqrt, OpCode::kRsqrt, OpCode::kTanh,
                        OpCode::kSigmoid, OpCode::kErf};
  for (DType t : {DType::kF32, DType::kBF16}) {
    SCOPED_TRACE(ir::DTypeName(t));
    ir::KernelBuilder b("unary");
    const Elem T = Elem::Param(b.AddDTypeParam("T", {DType::kF32, DType::kBF16}));
    b.AddTensorParam("x", T, {"N"});
    b.AddTensorParam("y", T, {"N"});
    b.AddTensorParam("out", T, {"U", "N"});
    b.SetGrid({Num(1)});
    const ValueId offs = b.Iota(ir::Dim::Const(8));
    const ValueId x = b.Load("x", {offs});
    const ValueId y = b.Load("y", {offs});
    const Elem i32 = Elem::Of(DType::kI32);
    for (int u = 0; u < 10; ++u) b.Store("out", {b.ConstInt(i32, u), offs}, b.Unary(ops[u], x));
    b.Store("out", {b.ConstInt(i32, 10), offs}, b.Binary(OpCode::kMax, x, y));
    b.Store("out", {b.ConstInt(i32, 11), offs}, b.Binary(OpCode::kMin, x, y));
    auto k = Finish(b, MakeConfig({{"T", DCode(t)}}));
    ASSERT_TRUE(k.ok()) << k.status().message();
    const double xs[8] = {-2.75, -0.0, 0.0, 0.3, 1.0, 3.7, 80.0, kNaN};
    const double ys[8] = {1.0, 0.0, -0.0, kNaN, 1.0, -5.0, 100.0, 2.0};
    HostTensor xt(t, {8}), yt(t, {8}), out(t, {12, 8});
    for (int64_t i = 0; i < 8; ++i) {
      xt.Set(i, xs[i]);
      yt.Set(i, ys[i]);
    }
    const Arg args[] = {xt.arg(), yt.arg(), out.arg()};
    ASSERT_OK(interp::Run(*k, args));
    for (int64_t i = 0; i < 8; ++i) {
      const double v = xt.Get(i), w = yt.Get(i);
      SCOPED_TRACE("x = " + std::to_string(v) + ", y = " + std::to_string(w));
      for (int u = 0; u < 10; ++u) {
        EXPECT_TRUE(SameValue(out.Get(u * 8 + i), ir::RoundToFloat(t, UnaryRef(ops[u], v))))
            << ir::OpName(ops[u]) << " gave " << out.Get(u * 8 + i);
      }
      // NaN propagates; +0 counts as larger than -0.
      const bool nan = std::isnan(v) || std::isnan(w);
      const double hi = v == w ? (std::signbit(v) ? w : v) : std::max(v, w);
      const double lo = v == w ? (std::signbit(v) ? v : w) : std::min(v, w);
      EXPECT_TRUE(SameValue(out.Get(10 * 8 + i), nan ? kNaN : hi));
      EXPECT_TRUE(SameValue(out.Get(11 * 8 + i), nan ? kNaN : lo));
      if (!nan && v == 0.0 && w == 0.0) {
        EXPECT_FALSE(std::signbit(out.Get(10 * 8 + i)));
        EXPECT_TRUE(std::signbit(out.Get(11 * 8 + i)));
      }
    }
  }
}

TEST(InterpTest, IntegerUnaryAndBitwiseOpsWrap) {
  // i8: neg, abs, not, and/or/xor with y, and bool not.
  ir::KernelBuilder b("int_unary");
  const Elem i8 = Elem::Of(DType::kI8);
  b.AddTensorParam("x", i8, {"N"});
  b.AddTensorParam("y", i8, {"N"});
  b.AddTensorParam("out", i8, {"U", "N"});
  b.AddTensorParam("flag", Elem::Of(DType::kBool), {"N"});
  b.AddTensorParam("nflag", Elem::Of(DType::kBool), {"N"});
  b.SetGrid({Num(1)});
  const ValueId offs = b.Iota(ir::Dim::Const(6));
  const ValueId x = b.Load("x", {offs});
  const ValueId y = b.Load("y", {offs});
  const Elem i32 = Elem::Of(DType::kI32);
  const ValueId rows[] = {b.Unary(OpCode::kNeg, x),     b.Unary(OpCode::kAbs, x),
                          b.Unary(OpCode::kNot, x),     b.Binary(OpCode::kAnd, x, y),
                          b.Binary(OpCode::kOr, x, y),  b.Binary(OpCode::kXor, x, y),
                          b.Binary(OpCode::kMul, x, y), b.Binary(OpCode::kSub, x, y)};
  for (int u = 0; u < 8; ++u) b.Store("out", {b.ConstInt(i32, u), offs}, rows[u]);
  b.Store("nflag", {offs}, b.Unary(OpCode::kNot, b.Load("flag", {offs})));
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();
  const int64_t xs[6] = {-128, 127, -1, 0, 37, -100};
  const int64_t ys[6] = {3, -128, 127, 5, -2, 100};
  HostTensor xt(DType::kI8, {6}), yt(DType::kI8, {6}), out(DType::kI8, {8, 6}),
      flag(DType::kBool, {6}), nflag(DType::kBool, {6});
  for (int64_t i = 0; i < 6; ++i) {
    xt.SetInt(i, xs[i]);
    yt.SetInt(i, ys[i]);
    flag.bytes[static_cast<size_t>(i)] = static_cast<unsigned char>(i % 3);  // 0, 1, 2 (= true)
  }
  const Arg args[] = {xt.arg(), yt.arg(), out.arg(), flag.arg(), nflag.arg()};
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t i = 0; i < 6; ++i) {
    const int64_t v = xs[i], w = ys[i];
    const int64_t expect[8] = {-v, v < 0 ? -v : v, ~v, v & w, v | w, v ^ w, v * w, v - w};
    for (int u = 0; u < 8; ++u) {
      EXPECT_EQ(out.GetInt(u * 6 + i), static_cast<int8_t>(expect[u])) << "row " << u << " x " << v;
    }
    EXPECT_EQ(nflag.GetInt(i), i % 3 == 0 ? 1 : 0);
  }
}

// kernel divrem(x, y, q, r: tensor<i32>[N]) over one block of 8.
Result<ir::BoundKernel> DivRem() {
  ir::KernelBuilder b("divrem");
  const Elem i32 = Elem::Of(DType::kI32);
  for (const char* name : {"x", "y", "q", "r"}) b.AddTensorParam(name, i32, {"N"});
  b.SetGrid({Num(1)});
  const ValueId offs = b.Iota(ir::Dim::Const(8));
  const ValueId x = b.Load("x", {offs});
  const ValueId y = b.Load("y", {offs});
  b.Store("q", {offs}, b.Binary(OpCode::kDiv, x, y));
  b.Store("r", {offs}, b.Binary(OpCode::kRem, x, y));
  return Finish(b, {});
}

TEST(InterpTest, IntegerDivisionTruncatesAndWraps) {
  auto k = DivRem();
  ASSERT_TRUE(k.ok()) << k.status().message();
  const int64_t xs[8] = {7, -7, 7, -7, INT32_MIN, INT32_MIN, 0, 5};
  const int64_t ys[8] = {2, 2, -2, -2, -1, 1, 3, 7};
  HostTensor x(DType::kI32, {8}), y(DType::kI32, {8}), q(DType::kI32, {8}), r(DType::kI32, {8});
  for (int64_t i = 0; i < 8; ++i) {
    x.SetInt(i, xs[i]);
    y.SetInt(i, ys[i]);
  }
  const Arg args[] = {x.arg(), y.arg(), q.arg(), r.arg()};
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t i = 0; i < 8; ++i) {
    // Exact in int64, then wrapped to i32: INT32_MIN / -1 becomes INT32_MIN.
    EXPECT_EQ(q.GetInt(i), static_cast<int32_t>(xs[i] / ys[i])) << i;
    EXPECT_EQ(r.GetInt(i), static_cast<int32_t>(xs[i] % ys[i])) << i;
  }
}

// --- Loops, dot, atomics ---------------------------------------------------------

// Sums x with a loop carrying a per-lane f32 partial sum and an i32 count.
Result<ir::BoundKernel> LoopSum() {
  ir::KernelBuilder b("loop_sum");
  b.AddTensorParam("x", Elem::Of(DType::kF32), {"N"});
  b.AddTensorParam("total", Elem::Of(DType::kF32), {"ONE"});
  b.AddTensorParam("count", Elem::Of(DType::kI32), {"ONE"});
  const int32_t blk = b.AddTunable("BLOCK", {16}, 16);
  b.SetGrid({Num(1)});
  const Elem i32 = Elem::Of(DType::kI32);
  const std::vector<ir::Dim> shape = {ir::Dim::Tunable(blk)};
  const ValueId lane = b.Iota(shape[0]);
  const ValueId acc0 = b.Broadcast(b.ConstFloat(Elem::Of(DType::kF32), 0.0), shape);
  const ValueId cnt0 = b.ConstInt(i32, 0);
  std::vector<ValueId> body =
      b.BeginFor(b.ConstInt(i32, 0), b.Sym("N"), b.Sym("BLOCK"), {acc0, cnt0}, "k");
  const ValueId offs = b.Binary(OpCode::kAdd, lane, body[0]);
  const ValueId m = b.Binary(OpCode::kLt, offs, b.Sym("N"));
  const ValueId acc = b.Binary(OpCode::kAdd, body[1], b.Load("x", {offs}, m));
  const ValueId cnt = b.Binary(OpCode::kAdd, body[2], b.Reduce(OpCode::kSum, b.Cast(m, i32), 0));
  const std::vector<ValueId> res = b.EndFor({acc, cnt});
  const ValueId zero = b.ConstInt(i32, 0);
  b.Store("total", {zero}, b.Reduce(OpCode::kSum, res[0], 0));
  b.Store("count", {zero}, res[1]);
  return Finish(b, {});
}

TEST(InterpTest, LoopCarriesTwoValues) {
  auto k = LoopSum();
  ASSERT_TRUE(k.ok()) << k.status().message();
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{16}, int64_t{1000}}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    HostTensor x(DType::kF32, {n}), total(DType::kF32, {1}), count(DType::kI32, {1});
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = 0; i < n; ++i) x.Set(i, dist(rng));
    total.Set(0, -7);
    count.SetInt(0, -7);
    const Arg args[] = {x.arg(), total.arg(), count.arg()};  // N = 0: x has null data
    ASSERT_OK(interp::Run(*k, args));
    // Lane j accumulates x[j], x[j+16], ... in f32; the final sum is exact
    // in double, rounded once.
    float lanes[16] = {};
    for (int64_t i = 0; i < n; ++i) lanes[i % 16] += static_cast<float>(x.Get(i));
    double sum = 0;
    for (float v : lanes) sum += v;
    EXPECT_EQ(total.Get(0), static_cast<double>(static_cast<float>(sum)));
    EXPECT_EQ(count.GetInt(0), n);
  }
}

// kernel gemm<T>(a: [M, K], b: [K, N], c: f32 [M, N]) with BMxBN tiles and a
// loop over K in steps of BK.
Result<ir::BoundKernel> Gemm(DType t, int64_t bm, int64_t bn, int64_t bk) {
  ir::KernelBuilder b("gemm");
  const Elem T = Elem::Param(b.AddDTypeParam("T", {DType::kF32, DType::kF16, DType::kBF16}));
  b.AddTensorParam("a", T, {"M", "K"});
  b.AddTensorParam("b", T, {"K", "N"});
  b.AddTensorParam("c", Elem::Of(DType::kF32), {"M", "N"});
  const ir::Dim BM = ir::Dim::Tunable(b.AddTunable("BM", {bm}, bm));
  const ir::Dim BN = ir::Dim::Tunable(b.AddTunable("BN", {bn}, bn));
  const ir::Dim BK = ir::Dim::Tunable(b.AddTunable("BK", {bk}, bk));
  b.SetGrid({CDiv(SymE(b, "M"), TunE(b, "BM")), CDiv(SymE(b, "N"), TunE(b, "BN"))});
  const Elem i32 = Elem::Of(DType::kI32);
  const ValueId rm =
      b.Binary(OpCode::kAdd, b.Iota(BM), b.Binary(OpCode::kMul, b.ProgramId(0), b.Sym("BM")));
  const ValueId rn =
      b.Binary(OpCode::kAdd, b.Iota(BN), b.Binary(OpCode::kMul, b.ProgramId(1), b.Sym("BN")));
  const ValueId rm2 = b.ExpandDims(rm, 1);  // [BM, 1]
  const ValueId rn2 = b.ExpandDims(rn, 0);  // [1, BN]
  const ValueId m_in = b.Binary(OpCode::kLt, rm2, b.Sym("M"));
  const ValueId n_in = b.Binary(OpCode::kLt, rn2, b.Sym("N"));
  const ValueId acc0 = b.Broadcast(b.ConstFloat(Elem::Of(DType::kF32), 0.0), {BM, BN});
  const ValueId rk = b.Iota(BK);
  std::vector<ValueId> body =
      b.BeginFor(b.ConstInt(i32, 0), b.Sym("K"), b.Sym("BK"), {acc0}, "k0", {"acc"});
  const ValueId kk = b.Binary(OpCode::kAdd, rk, body[0]);
  const ValueId k_row = b.ExpandDims(kk, 0);  // [1, BK]
  const ValueId k_col = b.ExpandDims(kk, 1);  // [BK, 1]
  const ValueId ma = b.Binary(OpCode::kAnd, m_in, b.Binary(OpCode::kLt, k_row, b.Sym("K")));
  const ValueId mb = b.Binary(OpCode::kAnd, b.Binary(OpCode::kLt, k_col, b.Sym("K")), n_in);
  const ValueId at = b.Load("a", {rm2, k_row}, ma);
  const ValueId bt = b.Load("b", {k_col, rn2}, mb);
  const std::vector<ValueId> res = b.EndFor({b.Dot(at, bt, body[1])});
  b.Store("c", {rm2, rn2}, res[0], b.Binary(OpCode::kAnd, m_in, n_in));
  return Finish(b, MakeConfig({{"T", DCode(t)}, {"BM", bm}, {"BN", bn}, {"BK", bk}}));
}

// Runs gemm on random inputs and compares with a sequential f32 loop;
// returns the interpreter's run time in milliseconds.
double CheckGemm(DType t, int64_t m, int64_t n, int64_t kk, int64_t bm, int64_t bn, int64_t bk) {
  auto k = Gemm(t, bm, bn, bk);
  EXPECT_TRUE(k.ok()) << k.status().message();
  if (!k.ok()) return 0;
  HostTensor a(t, {m, kk}), bt(t, {kk, n}), c(DType::kF32, {m, n});
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (int64_t i = 0; i < m * kk; ++i) a.Set(i, dist(rng));
  for (int64_t i = 0; i < kk * n; ++i) bt.Set(i, dist(rng));
  const Arg args[] = {a.arg(), bt.arg(), c.arg()};
  const auto start = std::chrono::steady_clock::now();
  const Status s = interp::Run(*k, args);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<float> fa(static_cast<size_t>(m * kk)), fb(static_cast<size_t>(kk * n));
  for (int64_t i = 0; i < m * kk; ++i) fa[static_cast<size_t>(i)] = static_cast<float>(a.Get(i));
  for (int64_t i = 0; i < kk * n; ++i) fb[static_cast<size_t>(i)] = static_cast<float>(bt.Get(i));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;  // sequential f32 loop over k
      for (int64_t p = 0; p < kk; ++p) {
        acc += fa[static_cast<size_t>(i * kk + p)] * fb[static_cast<size_t>(p * n + j)];
      }
      if (c.Get(i * n + j) != acc) {
        ADD_FAILURE() << "c[" << i << ", " << j << "] = " << c.Get(i * n + j) << ", expected "
                      << acc;
        return ms;
      }
    }
  }
  return ms;
}

TEST(InterpTest, DotOfRaggedTilesMatchesLoopGemm) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
    SCOPED_TRACE(ir::DTypeName(t));
    CheckGemm(t, 37, 45, 53, 16, 16, 16);  // ragged in M, N and K
  }
}

TEST(InterpTest, Gemm256IsFast) {
  const double ms = CheckGemm(DType::kF16, 256, 256, 256, 64, 64, 32);
  RecordProperty("gemm256_ms", std::to_string(ms));
  std::printf("256^3 GEMM with 64x64x32 tiles: %.1f ms in the interpreter\n", ms);
}

TEST(InterpTest, AtomicAddAccumulates) {
  // Every program adds its block of x into bins[0..BLOCK) and counts its
  // active lanes into count[0] (one address hit by every lane).
  ir::KernelBuilder b("atomics");
  b.AddTensorParam("x", Elem::Of(DType::kF32), {"N"});
  b.AddTensorParam("bins", Elem::Of(DType::kF32), {"B"});
  b.AddTensorParam("count", Elem::Of(DType::kI32), {"ONE"});
  const int32_t blk = b.AddTunable("BLOCK", {8}, 8);
  b.SetGrid({CDiv(SymE(b, "N"), TunE(b, "BLOCK"))});
  const Lanes l = BlockLanes(b, "N");
  const Elem i32 = Elem::Of(DType::kI32);
  b.AtomicAdd("bins", {b.Iota(ir::Dim::Tunable(blk))}, b.Load("x", {l.offs}, l.mask), l.mask);
  b.AtomicAdd("count", {b.ConstInt(i32, 0)}, b.ConstInt(i32, 1), l.mask);
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();

  const int64_t n = 61;
  HostTensor x(DType::kF32, {n}), bins(DType::kF32, {8}), count(DType::kI32, {1});
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  for (int64_t i = 0; i < n; ++i) x.Set(i, dist(rng));
  float expect[8];
  for (int64_t j = 0; j < 8; ++j) {
    bins.Set(j, 0.25 * static_cast<double>(j));
    expect[j] = 0.25f * static_cast<float>(j);
  }
  count.SetInt(0, 100);
  for (int64_t i = 0; i < n; ++i) expect[i % 8] += static_cast<float>(x.Get(i));  // program order
  const Arg args[] = {x.arg(), bins.arg(), count.arg()};
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(bins.Get(j), expect[j]) << j;
  EXPECT_EQ(count.GetInt(0), 100 + n);
}

TEST(InterpTest, ProgramsRunXFastest) {
  // Each program appends pid_x + 10 * pid_y to a log through a counter it
  // loads and stores: the log records the visiting order.
  ir::KernelBuilder b("order");
  const Elem i32 = Elem::Of(DType::kI32);
  b.AddTensorParam("counter", i32, {"ONE"});
  b.AddTensorParam("log", i32, {"L"});
  b.SetGrid({Num(3), Num(2), Num(2)});
  const ValueId zero = b.ConstInt(i32, 0);
  const ValueId c = b.Load("counter", {zero});
  const ValueId id = b.Binary(OpCode::kAdd,
                              b.Binary(OpCode::kAdd, b.ProgramId(0),
                                       b.Binary(OpCode::kMul, b.ProgramId(1), b.ConstInt(i32, 10))),
                              b.Binary(OpCode::kMul, b.ProgramId(2), b.ConstInt(i32, 100)));
  b.Store("log", {c}, id);
  b.Store("counter", {zero}, b.Binary(OpCode::kAdd, c, b.ConstInt(i32, 1)));
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();
  HostTensor counter(DType::kI32, {1}), log(DType::kI32, {12});
  const Arg args[] = {counter.arg(), log.arg()};
  ASSERT_OK(interp::Run(*k, args));
  int64_t i = 0;
  for (int64_t z = 0; z < 2; ++z) {
    for (int64_t y = 0; y < 2; ++y) {
      for (int64_t x = 0; x < 3; ++x) EXPECT_EQ(log.GetInt(i++), x + 10 * y + 100 * z);
    }
  }
  EXPECT_EQ(counter.GetInt(0), 12);
}

TEST(InterpTest, NonContiguousAndNegativeStrides) {
  // out[i, j] = 2 * x[i, j] for x [R, C] given as a transposed view of a
  // [C, R] buffer and out stored with negative strides (reversed rows and
  // columns).
  ir::KernelBuilder b("scale2d");
  const Elem f32 = Elem::Of(DType::kF32);
  b.AddTensorParam("x", f32, {"R", "C"});
  b.AddTensorParam("out", f32, {"R", "C"});
  b.SetGrid({Num(1)});
  const ValueId ri = b.ExpandDims(b.Iota(ir::Dim::Const(8)), 1);
  const ValueId ci = b.ExpandDims(b.Iota(ir::Dim::Const(8)), 0);
  const ValueId m = b.Binary(OpCode::kAnd, b.Binary(OpCode::kLt, ri, b.Sym("R")),
                             b.Binary(OpCode::kLt, ci, b.Sym("C")));
  const ValueId v = b.Load("x", {ri, ci}, m);
  b.Store("out", {ri, ci}, b.Binary(OpCode::kMul, v, b.ConstFloat(f32, 2.0)), m);
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();

  const int64_t rows = 5, cols = 7;
  std::vector<float> xt(rows * cols), out(rows * cols, -1.0f);  // xt[j * rows + i] = x[i, j]
  for (size_t i = 0; i < xt.size(); ++i) xt[i] = static_cast<float>(i) * 1.5f - 9.0f;
  Arg xa, oa;
  xa.data = xt.data();
  xa.rank = oa.rank = 2;
  xa.shape[0] = oa.shape[0] = rows;
  xa.shape[1] = oa.shape[1] = cols;
  xa.strides[0] = 1;
  xa.strides[1] = rows;
  oa.data = out.data() + (rows * cols - 1);  // element [0, 0] is the buffer's last
  oa.strides[0] = -cols;
  oa.strides[1] = -1;
  const Arg args[] = {xa, oa};
  ASSERT_OK(interp::Run(*k, args));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      EXPECT_EQ(out[static_cast<size_t>((rows - 1 - i) * cols + (cols - 1 - j))],
                2.0f * xt[static_cast<size_t>(j * rows + i)]);
    }
  }
}

// --- Errors ------------------------------------------------------------------------

void ExpectError(const Status& s, Code code, std::initializer_list<const char*> parts) {
  EXPECT_EQ(s.code(), code) << CodeName(s.code()) << ": " << s.message();
  for (const char* p : parts) {
    EXPECT_NE(s.message().find(p), std::string::npos) << "'" << p << "' not in: " << s.message();
  }
}

TEST(InterpTest, OutOfBoundsUnmaskedLoadIsAnError) {
  auto k = VectorAdd(DType::kF32, 64, /*masked=*/false);
  ASSERT_TRUE(k.ok()) << k.status().message();
  HostTensor x(DType::kF32, {100}), y(DType::kF32, {100}), out(DType::kF32, {100});
  for (int64_t i = 0; i < 100; ++i) out.Set(i, 5.0);
  const Arg args[] = {x.arg(), y.arg(), out.arg()};
  ExpectError(interp::Run(*k, args), Code::kOutOfRange,
              {"kernel 'vector_add'", "program (1, 0, 0)", "tensor 'x'", "index [100]",
               "shape [100]", "(load)"});
  // Program 0 ran in full before program 1 failed; program 1 stored nothing.
  EXPECT_EQ(out.Get(0), 0.0);
  EXPECT_EQ(out.Get(64), 5.0);
}

TEST(InterpTest, ArgumentsAreCheckedAgainstTheSignature) {
  auto k = VectorAdd(DType::kF32, 64, /*masked=*/true);
  ASSERT_TRUE(k.ok()) << k.status().message();
  HostTensor x(DType::kF32, {100}), y(DType::kF32, {99}), out(DType::kF32, {100});
  {
    const Arg args[] = {x.arg(), y.arg(), out.arg()};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument,
                {"kernel 'vector_add'", "shape symbol 'N'", "100", "99", "'y'"});
  }
  {
    const Arg args[] = {x.arg(), out.arg()};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"expected 3 arguments, got 2"});
  }
  {
    HostTensor x2(DType::kF32, {10, 10});
    const Arg args[] = {x2.arg(), out.arg(), out.arg()};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"'x'", "rank 2", "rank 1"});
  }
  {
    Arg bad = out.arg();
    bad.shape[0] = -1;
    const Arg args[] = {x.arg(), x.arg(), bad};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"'out'", "negative size"});
  }
  {
    Arg null = out.arg();
    null.data = nullptr;
    const Arg args[] = {x.arg(), x.arg(), null};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"'out'", "null data"});
  }
  {
    Arg wild = out.arg();
    wild.strides[0] = INT64_MAX / 8;
    const Arg args[] = {x.arg(), x.arg(), wild};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"'out'", "strides overflow"});
  }
}

TEST(InterpTest, IntegerDivisionByZeroIsAnError) {
  auto k = DivRem();
  ASSERT_TRUE(k.ok()) << k.status().message();
  HostTensor x(DType::kI32, {8}), y(DType::kI32, {8}), q(DType::kI32, {8}), r(DType::kI32, {8});
  for (int64_t i = 0; i < 8; ++i) {
    x.SetInt(i, 10 + i);
    y.SetInt(i, i == 5 ? 0 : 3);
  }
  const Arg args[] = {x.arg(), y.arg(), q.arg(), r.arg()};
  ExpectError(interp::Run(*k, args), Code::kOutOfRange,
              {"kernel 'divrem'", "div by zero", "lane [5]", "15 / 0"});
}

TEST(InterpTest, LoopStepMustBePositive) {
  ir::KernelBuilder b("stepper");
  const Elem i32 = Elem::Of(DType::kI32);
  b.AddTensorParam("out", i32, {"N"});
  b.AddScalarParam("s", i32);
  b.SetGrid({Num(1)});
  std::vector<ValueId> body =
      b.BeginFor(b.ConstInt(i32, 0), b.Sym("N"), b.Arg("s"), {b.ConstInt(i32, 0)});
  const std::vector<ValueId> res = b.EndFor({b.Binary(OpCode::kAdd, body[1], b.ConstInt(i32, 1))});
  b.Store("out", {b.ConstInt(i32, 0)}, res[0]);
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();
  HostTensor out(DType::kI32, {10});
  {
    const Arg args[] = {out.arg(), IntArg(3)};
    ASSERT_OK(interp::Run(*k, args));
    EXPECT_EQ(out.GetInt(0), 4);  // iv = 0, 3, 6, 9
  }
  for (int64_t step : {int64_t{0}, int64_t{-2}}) {
    const Arg args[] = {out.arg(), IntArg(step)};
    ExpectError(
        interp::Run(*k, args), Code::kOutOfRange,
        {"kernel 'stepper'", "(for)", "step must be positive", std::to_string(step).c_str()});
  }
  {
    const Arg args[] = {out.arg(), IntArg(int64_t{1} << 40)};
    ExpectError(interp::Run(*k, args), Code::kInvalidArgument, {"'s'", "does not fit in i32"});
  }
}

TEST(InterpTest, AbsurdGridsAreRefused) {
  ir::KernelBuilder b("big_grid");
  b.AddTensorParam("x", Elem::Of(DType::kF32), {"N"});
  b.AddTensorParam("y", Elem::Of(DType::kF32), {"M"});
  b.SetGrid({SymE(b, "N"), CDiv(SymE(b, "N"), SymE(b, "M"))});
  b.Store("x", {b.ProgramId(0)}, b.ConstFloat(Elem::Of(DType::kF32), 1.0));
  auto k = Finish(b, {});
  ASSERT_TRUE(k.ok()) << k.status().message();
  float dummy[2] = {};
  Arg x, y;
  x.data = y.data = dummy;  // never accessed: the grid is refused first
  x.rank = y.rank = 1;
  x.strides[0] = y.strides[0] = 1;
  x.shape[0] = 100000;
  y.shape[0] = 1;  // grid 100000 x 100000
  {
    const Arg args[] = {x, y};
    ExpectError(interp::Run(*k, args), Code::kOutOfRange,
                {"kernel 'big_grid'", "100000 x 100000", "limit"});
  }
  y.shape[0] = 0;  // cdiv(N, 0)
  {
    const Arg args[] = {x, y};
    ExpectError(interp::Run(*k, args), Code::kOutOfRange, {"grid dim 1", "division by zero"});
  }
}

}  // namespace
}  // namespace hrt::interp
