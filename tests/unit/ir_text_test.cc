// Tests of the tile-IR text form: parse -> print -> parse gives an identical
// module (field by field and byte for byte in the binary form), printing is
// stable, literals keep their bits, expressions keep their grouping, and
// malformed input is rejected with the position of the offending token.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/expr.h"
#include "codegen/ir/text.h"

namespace hrt::ir {
namespace {

//===----------------------------------------------------------------------===//
// Module comparison
//===----------------------------------------------------------------------===//
// Each returns "" when equal, else a description of the first difference.

std::string DiffDim(const Dim& a, const Dim& b) {
  // Raw fields, not Dim::operator== (which ignores value for tunables).
  if (a.value != b.value || a.tunable != b.tunable) {
    return "dim (" + std::to_string(a.value) + ", " + std::to_string(a.tunable) + ") vs (" +
           std::to_string(b.value) + ", " + std::to_string(b.tunable) + ")";
  }
  return "";
}

std::string DiffDims(const std::vector<Dim>& a, const std::vector<Dim>& b) {
  if (a.size() != b.size()) return "dim count differs";
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::string d = DiffDim(a[i], b[i]); !d.empty()) return d;
  }
  return "";
}

std::string DiffType(const Type& a, const Type& b) {
  if (a.elem != b.elem) return "elem differs";
  if (a.rank != b.rank) return "rank differs";
  return DiffDims(a.shape(), b.shape());
}

std::string DiffExpr(const Expr& a, const Expr& b) {
  if (a.nodes.size() != b.nodes.size()) return "expression node count differs";
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ExprNode& x = a.nodes[i];
    const ExprNode& y = b.nodes[i];
    if (x.op != y.op || x.value != y.value || x.lhs != y.lhs || x.rhs != y.rhs) {
      return "expression node " + std::to_string(i) + " differs";
    }
  }
  return "";
}

std::string DiffBlock(const Block& a, const Block& b, const std::string& where);

std::string DiffOp(const Op& a, const Op& b, const std::string& where) {
  if (a.code != b.code) return where + ": op code differs";
  if (a.operands != b.operands) return where + ": operands differ";
  if (a.results != b.results) return where + ": results differ";
  if (a.ints != b.ints) return where + ": ints differ";
  if (std::string d = DiffDims(a.shape, b.shape); !d.empty()) return where + ": shape " + d;
  if (std::bit_cast<uint64_t>(a.fval) != std::bit_cast<uint64_t>(b.fval)) {
    return where + ": fval bits differ";
  }
  if (a.elem != b.elem) return where + ": elem differs";
  if (a.regions.size() != b.regions.size()) return where + ": region count differs";
  for (size_t i = 0; i < a.regions.size(); ++i) {
    std::string d = DiffBlock(a.regions[i], b.regions[i], where + "/region" + std::to_string(i));
    if (!d.empty()) return d;
  }
  return "";
}

std::string DiffBlock(const Block& a, const Block& b, const std::string& where) {
  if (a.args != b.args) return where + ": block args differ";
  if (a.ops.size() != b.ops.size()) return where + ": op count differs";
  for (size_t i = 0; i < a.ops.size(); ++i) {
    std::string d = DiffOp(a.ops[i], b.ops[i], where + "/op" + std::to_string(i));
    if (!d.empty()) return d;
  }
  return "";
}

std::string DiffKernel(const Kernel& a, const Kernel& b) {
  const std::string k = "kernel " + a.name;
  if (a.name != b.name) return "kernel names differ: " + a.name + " vs " + b.name;
  if (a.params.size() != b.params.size()) return k + ": param count differs";
  for (size_t i = 0; i < a.params.size(); ++i) {
    const Param& x = a.params[i];
    const Param& y = b.params[i];
    if (x.name != y.name || x.kind != y.kind || x.elem != y.elem || x.rank != y.rank) {
      return k + ": param " + x.name + " differs";
    }
    for (uint32_t d = 0; d < x.rank; ++d) {
      if (x.dims[d] != y.dims[d]) return k + ": param " + x.name + " dims differ";
    }
  }
  if (a.shape_syms != b.shape_syms) return k + ": shape symbols differ";
  if (a.tunables.size() != b.tunables.size()) return k + ": tunable count differs";
  for (size_t i = 0; i < a.tunables.size(); ++i) {
    const Tunable& x = a.tunables[i];
    const Tunable& y = b.tunables[i];
    if (x.name != y.name || x.candidates != y.candidates || x.default_value != y.default_value) {
      return k + ": tunable " + x.name + " differs";
    }
  }
  if (a.dtype_params.size() != b.dtype_params.size()) return k + ": dtype param count differs";
  for (size_t i = 0; i < a.dtype_params.size(); ++i) {
    if (a.dtype_params[i].name != b.dtype_params[i].name ||
        a.dtype_params[i].candidates != b.dtype_params[i].candidates) {
      return k + ": dtype param " + a.dtype_params[i].name + " differs";
    }
  }
  if (a.constraints.size() != b.constraints.size()) return k + ": constraint count differs";
  for (size_t i = 0; i < a.constraints.size(); ++i) {
    if (std::string d = DiffExpr(a.constraints[i], b.constraints[i]); !d.empty()) {
      return k + ": constraint " + std::to_string(i) + ": " + d;
    }
  }
  if (a.grid.size() != b.grid.size()) return k + ": grid rank differs";
  for (size_t i = 0; i < a.grid.size(); ++i) {
    if (std::string d = DiffExpr(a.grid[i], b.grid[i]); !d.empty()) {
      return k + ": grid " + std::to_string(i) + ": " + d;
    }
  }
  if (a.values.size() != b.values.size()) return k + ": value count differs";
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i].name != b.values[i].name) return k + ": value " + std::to_string(i) + " name";
    if (std::string d = DiffType(a.values[i].type, b.values[i].type); !d.empty()) {
      return k + ": value " + std::to_string(i) + " type: " + d;
    }
  }
  return DiffBlock(a.body, b.body, k);
}

std::string DiffModule(const Module& a, const Module& b) {
  if (a.kernels.size() != b.kernels.size()) return "kernel count differs";
  for (size_t i = 0; i < a.kernels.size(); ++i) {
    if (std::string d = DiffKernel(a.kernels[i], b.kernels[i]); !d.empty()) return d;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Module MustParse(const std::string& text, const std::string& source = "test.tile") {
  Result<Module> m = ParseModule(text, source);
  EXPECT_TRUE(m.ok()) << m.status().message() << "\n--- input ---\n" << text;
  return m.ok() ? std::move(m.value()) : Module{};
}

// parse(print(m)) == m, field by field and in the binary form; printing the
// reparsed module gives the same text; the binary form read back prints the
// same text too.
void ExpectRoundTrip(const Module& m) {
  const std::string first = PrintModule(m);
  Result<Module> again = ParseModule(first, "printed.tile");
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n--- printed ---\n" << first;
  EXPECT_EQ(DiffModule(m, again.value()), "") << "--- printed ---\n" << first;
  EXPECT_EQ(WriteModuleBinary(m), WriteModuleBinary(again.value()));
  EXPECT_EQ(PrintModule(again.value()), first);

  const std::vector<uint8_t> blob = WriteModuleBinary(m);
  Result<Module> from_binary = ReadModuleBinary(blob);
  ASSERT_TRUE(from_binary.ok()) << from_binary.status().message();
  EXPECT_EQ(PrintModule(from_binary.value()), first);
}

const Kernel& KernelNamed(const Module& m, const std::string& name) {
  const Kernel* k = m.Find(name);
  EXPECT_NE(k, nullptr) << "no kernel " << name;
  static const Kernel kEmpty;
  return k ? *k : kEmpty;
}

// Visits every op, nested regions included.
template <typename F>
void ForEachOp(const Block& block, F&& f) {
  for (const Op& op : block.ops) {
    f(op);
    for (const Block& r : op.regions) ForEachOp(r, f);
  }
}

// The op defining value |name| (a result, not a block argument).
const Op* DefiningOp(const Kernel& k, const std::string& name) {
  const Op* found = nullptr;
  ForEachOp(k.body, [&](const Op& op) {
    for (ValueId r : op.results) {
      if (r < k.values.size() && k.values[r].name == name) found = &op;
    }
  });
  EXPECT_NE(found, nullptr) << "no op defines %" << name;
  return found;
}

uint64_t Bits(double d) {
  return std::bit_cast<uint64_t>(d);
}

//===----------------------------------------------------------------------===//
// Kernels covering every op code
//===----------------------------------------------------------------------===//

// Elementwise arithmetic, comparisons, logic, unary math, select, cast,
// memory ops and const literals of every spelling.
constexpr const char* kElementwise = R"(# every elementwise op
kernel elementwise<T in {f16, bf16, f32}, I in {i32, i64}>(x: tensor<T>[N], y: tensor<f32>[N], ints: tensor<i32>[N], acc: tensor<f32>[N], alpha: f32, n_scalar: i32, wide: I)
  tunable BLOCK in {64, 128, 256} = 128
  tunable WARPS in {1, 2, 4}
  constraint WARPS * 32 <= BLOCK && (BLOCK % 64 == 0 || BLOCK < 0)
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %n = sym N
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base : tile<i32>[BLOCK]
  %m = lt %offs, %n
  %xv = load x[%offs], mask %m, other -inf
  %xf = cast %xv to f32
  %yv = load y[%offs], mask %m, other 0.5
  %a = arg alpha
  %s0 = add %xf, %yv
  %s1 = sub %s0, %a
  %s2 = mul %s1, %a
  %s3 = div %s2, %a
  %s4 = max %s3, %xf
  %s5 = min %s4, %yv
  %u0 = neg %s5
  %u1 = abs %u0
  %u2 = exp %u1
  %u3 = exp2 %u2
  %u4 = log %u3
  %u5 = sqrt %u4
  %u6 = rsqrt %u5
  %u7 = tanh %u6
  %u8 = sigmoid %u7
  %u9 = erf %u8
  %c_eq = eq %u9, %xf
  %c_ne = ne %u9, %xf
  %c_le = le %u9, %xf
  %c_gt = gt %u9, %xf
  %c_ge = ge %u9, %xf
  %b0 = and %c_eq, %c_ne
  %b1 = or %b0, %c_le
  %b2 = xor %b1, %c_gt
  %b3 = not %b2
  %sel = select %b3, %u9, %s5
  %r = rem %s3, %a
  store acc[%offs], %sel, mask %m
  atomic_add acc[%offs], %r, mask %c_ge
  %iv = load ints[%offs]
  %ni = arg n_scalar
  %k7 = const -7 : i32
  %irem = rem %iv, %k7
  %idiv = div %irem, %ni
  %inot = not %idiv
  %ix = xor %inot, %iv
  store ints[%offs], %ix
  atomic_add ints[%offs], %ix
  %wv = arg wide
  %w2 = add %wv, %wv
  %neg_zero = const -0.0 : f32
  %small = const 1e-6 : f32
  %pinf = const inf : f32
  %ninf = const -inf : T
  %qnan = const nan : f32
  %nnan = const -nan : f32
  %denorm = const 5e-324 : f32
  %huge = const 1.7976931348623157e308 : f32
  %tenth = const 0.1 : T
  %three = const 3 : f32
  %three_f = const 3.0 : f32
  %neg_half = const -0.5 : bf16
  %i_min = const -9223372036854775808 : i64
  %i_max = const 9223372036854775807 : i64
  %i_big = const 9007199254740993 : i64
  %yes = const true : bool
  %no = const false : bool
  %byte = const 255 : u8
  %short = const -1 : i16
  %tiny = const -128 : i8
  %zero_i = const 0 : I
  %fill_nz = load y[%offs], other -0.0
  %fill_nan = load y[%offs], mask %m, other nan
  %fill_big = load y[%offs], other 1e+300
  %fill_int = load ints[%offs], mask %m, other -3
  store x[%offs], %xv, mask %m
  %half = cast %xf to f16 : tile<f16>[BLOCK]
}
)";

// Shape manipulation, dot and reductions; a 2-D grid.
constexpr const char* kShapes =
    R"(kernel shapes(a: tensor<f16>[M, K], b: tensor<f16>[K, N], c: tensor<f32>[M, N], r: tensor<f32>[M], q: tensor<i32>[P])
  tunable BM in {16, 32} = 32
  tunable BN in {16, 32} = 16
  tunable BK in {16} = 16
  grid [cdiv(M, BM), min(cdiv(N, BN), 65535)]
{
  %pm = program_id 0
  %pn = program_id 1
  %bm = sym BM
  %rm = iota BM
  %row0 = mul %pm, %bm
  %rows = add %rm, %row0
  %rk = iota BK
  %rows2 = expand_dims %rows, 1
  %ks2 = expand_dims %rk, 0
  %at = load a[%rows2, %ks2]
  %kcol = expand_dims %rk, 1
  %rn = iota BN
  %cols = expand_dims %rn, 0
  %bt = load b[%kcol, %cols]
  %p = dot %at, %bt : tile<f32>[BM, BN]
  %p2 = dot %at, %bt, %p
  %pt = transpose %p2, [1, 0]
  %ptt = transpose %pt, [1, 0] : tile<f32>[BM, BN]
  %s = sum %ptt, axis 1
  %mx = reduce_max %ptt, axis 0
  %mn = reduce_min %ptt, axis 1
  %d = add %s, %mn
  store r[%rows], %d
  %z = const 0 : f32
  %zb = broadcast %z to [BM, BN]
  %e = add %ptt, %zb
  store c[%rows2, %cols], %e
  %i8 = iota 8
  %r24 = reshape %i8 to [2, 4]
  %r412 = reshape %r24 to [4, 1, 2]
  %bc = broadcast %r412 to [3, 4, 5, 2] : tile<i32>[3, 4, 5, 2]
  %t4 = transpose %bc, [3, 1, 0, 2]
  %red = sum %t4, axis 3
  %red2 = reduce_min %red, axis 2
  %red3 = reduce_max %red2, axis 0
  %flat = reshape %red3 to [4]
  %qi = iota 4
  store q[%qi], %flat
}
)";

// Loops: several carried values, nesting, loops without carried values; a
// 3-D grid with cdiv/min/max, parentheses and negative literals.
constexpr const char* kLoops = R"(kernel loops(x: tensor<f32>[B, H, W], out: tensor<f32>[B, H])
  tunable BW in {32, 64} = 64
  tunable UNROLL in {1, 2, 4} = 4
  constraint (BW + 32) * -1 < 0 && max(UNROLL, 1) - -2 >= 3
  constraint cdiv(BW, UNROLL) % 2 == 0 || UNROLL == 1
  constraint BW - (UNROLL - 1) > -9223372036854775807 - 1
  grid [B, (H + 1) / 2, max(cdiv(W, BW), min(1, -3 * -1))]
{
  %b = program_id 0
  %hp = program_id 1
  %wp = program_id 2
  %two = const 2 : i32
  %h0 = mul %hp, %two
  %one = const 1 : i32
  %h1 = add %h0, %one
  %w = sym W
  %h = sym H
  %bw = sym BW
  %lane = iota BW
  %zero = const 0 : f32
  %c0 = const 0 : i32
  %sum0, %max0, %cnt0 = for %hh = %h0 to %h1 step %one iter(%s = %zero, %mx = %zero, %cnt = %c0) {
    %s_in, %mx_in = for %w0 = %c0 to %w step %bw iter(%si = %s, %mi = %mx) {
      %cols = add %lane, %w0
      %m = lt %cols, %w
      %v = load x[%b, %hh, %cols], mask %m, other 0
      %vs = sum %v, axis 0
      %vm = reduce_max %v, axis 0
      %si2 = add %si, %vs
      %mi2 = max %mi, %vm
      yield %si2, %mi2
    }
    %cnt2 = add %cnt, %one
    yield %s_in, %mx_in, %cnt2
  }
  for %i = %c0 to %one step %one {
    for %j = %c0 to %one step %one {
      %ij = add %i, %j
      yield
    }
    yield
  }
  %cf = cast %cnt0 to f32
  %avg = div %sum0, %cf
  %res = add %avg, %max0
  %hok = lt %h0, %h
  store out[%b, %h0], %res, mask %hok
}
)";

// Unnamed values (%<digits>), names with dots, comments, odd spacing.
constexpr const char* kUnnamed = R"(
# leading comment
kernel unnamed(x: tensor<i32>[N])   # trailing comment
  grid [N%2+N]
{
  %7 = program_id 0          # becomes %0
  %3 = load x[%7]
  %x.y_1 = add %3,%7
  %41 = const 1 : i32
  %40 = for %9 = %7 to %41 step %41 iter(%8 = %3) {
    %11 = add %8, %9
    yield %11
  }
  store x[%7],%40
}
)";

TEST(TextRoundTrip, CoversEveryOpCode) {
  const Module m = MustParse(std::string(kElementwise) + kShapes + kLoops + kUnnamed);
  ASSERT_EQ(m.kernels.size(), 4u);
  std::set<OpCode> seen;
  for (const Kernel& k : m.kernels) ForEachOp(k.body, [&](const Op& op) { seen.insert(op.code); });
  for (int i = 0; i < kNumOpCodes; ++i) {
    EXPECT_TRUE(seen.count(static_cast<OpCode>(i)))
        << "no test kernel uses " << OpName(static_cast<OpCode>(i));
  }
  ExpectRoundTrip(m);
}

TEST(TextRoundTrip, EachKernelAlone) {
  for (const char* text : {kElementwise, kShapes, kLoops, kUnnamed}) {
    const Module m = MustParse(text);
    ASSERT_EQ(m.kernels.size(), 1u);
    ExpectRoundTrip(m);
  }
}

TEST(TextRoundTrip, SignatureAndHeader) {
  const Module m = MustParse(kElementwise);
  const Kernel& k = KernelNamed(m, "elementwise");
  ASSERT_EQ(k.dtype_params.size(), 2u);
  EXPECT_EQ(k.dtype_params[0].name, "T");
  EXPECT_EQ(k.dtype_params[0].candidates,
            (std::vector<DType>{DType::kF16, DType::kBF16, DType::kF32}));
  EXPECT_EQ(k.dtype_params[1].candidates, (std::vector<DType>{DType::kI32, DType::kI64}));
  ASSERT_EQ(k.params.size(), 7u);
  EXPECT_EQ(k.params[0].elem, Elem::Param(0));
  EXPECT_EQ(k.params[4].kind, ParamKind::kScalar);
  EXPECT_EQ(k.params[6].elem, Elem::Param(1));
  EXPECT_EQ(k.shape_syms, std::vector<std::string>{"N"});
  ASSERT_EQ(k.tunables.size(), 2u);
  EXPECT_EQ(k.tunables[0].default_value, 128);
  EXPECT_EQ(k.tunables[1].default_value, 1);  // no '= V': the first candidate
  EXPECT_EQ(k.constraints.size(), 1u);
  EXPECT_EQ(k.grid.size(), 1u);
  // Defaults are always printed.
  const std::string text = PrintModule(m);
  EXPECT_NE(text.find("  tunable WARPS in {1, 2, 4} = 1\n"), std::string::npos) << text;
}

TEST(TextRoundTrip, LoopStructure) {
  const Module m = MustParse(kLoops);
  const Kernel& k = KernelNamed(m, "loops");
  const Op* outer = DefiningOp(k, "sum0");
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(outer->code, OpCode::kFor);
  ASSERT_EQ(outer->results.size(), 3u);
  EXPECT_EQ(k.values[outer->results[1]].name, "max0");
  EXPECT_EQ(k.values[outer->results[2]].type, Type::Scalar(Elem::Of(DType::kI32)));
  ASSERT_EQ(outer->regions.size(), 1u);
  const Block& body = outer->regions[0];
  ASSERT_EQ(body.args.size(), 4u);  // %hh, %s, %mx, %cnt
  EXPECT_EQ(k.values[body.args[0]].name, "hh");
  EXPECT_EQ(k.values[body.args[3]].name, "cnt");
  ASSERT_FALSE(body.ops.empty());
  EXPECT_EQ(body.ops.front().code, OpCode::kFor);  // the nested loop
  EXPECT_EQ(body.ops.back().code, OpCode::kYield);
  EXPECT_EQ(body.ops.back().operands.size(), 3u);
  EXPECT_EQ(k.grid.size(), 3u);

  // Nesting is printed with two spaces per level.
  const std::string text = PrintModule(m);
  EXPECT_NE(text.find("\n  %sum0, %max0, %cnt0 = for %hh = %h0 to %h1 step %one iter(%s = %zero, "
                      "%mx = %zero, %cnt = %c0) {\n    %s_in, %mx_in = for"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n      yield %si2, %mi2\n    }\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n      %ij = add %i, %j\n      yield\n    }\n    yield\n  }\n"),
            std::string::npos)
      << text;
}

TEST(TextRoundTrip, UnnamedValuesPrintAsIds) {
  const Module m = MustParse(kUnnamed);
  const Kernel& k = m.kernels.at(0);
  EXPECT_EQ(k.values[0].name, "");  // %7 in the source
  const std::string first = PrintModule(m);
  EXPECT_NE(first.find("  %0 = program_id 0\n  %1 = load x[%0]\n  %x.y_1 = add %1, %0\n"),
            std::string::npos)
      << first;
  // The loop's results follow its body's values, and the text keeps that.
  EXPECT_NE(first.find("= for %4 = %0 to %3 step %3 iter(%5 = %1) {\n    %6 = add %5, %4\n"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("  %7 = for"), std::string::npos) << first;
  ExpectRoundTrip(m);
}

TEST(TextRoundTrip, ConstLiteralsKeepTheirBits) {
  const Module m = MustParse(kElementwise);
  const Kernel& k = KernelNamed(m, "elementwise");
  struct Case {
    const char* name;
    int64_t ints0;
    double fval;
    const char* printed;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {"neg_zero", 0, -0.0, "const -0.0 : f32"},
      {"small", 0, 1e-6, "const 1e-06 : f32"},
      {"pinf", 0, inf, "const inf : f32"},
      {"ninf", 0, -inf, "const -inf : T"},
      {"denorm", 0, 5e-324, "const 5e-324 : f32"},
      {"huge", 0, 1.7976931348623157e308, "const 1.7976931348623157e+308 : f32"},
      {"tenth", 0, 0.1, "const 0.1 : T"},
      {"three", 3, 3.0, "const 3 : f32"},
      {"three_f", 0, 3.0, "const 3.0 : f32"},
      {"neg_half", 0, -0.5, "const -0.5 : bf16"},
      {"k7", -7, -7.0, "const -7 : i32"},
      {"i_min", std::numeric_limits<int64_t>::min(), -9223372036854775808.0,
       "const -9223372036854775808 : i64"},
      {"i_max", std::numeric_limits<int64_t>::max(), 9223372036854775807.0,
       "const 9223372036854775807 : i64"},
      {"i_big", 9007199254740993, 9007199254740992.0, "const 9007199254740993 : i64"},
      {"yes", 1, 1.0, "const true : bool"},
      {"no", 0, 0.0, "const false : bool"},
      {"byte", 255, 255.0, "const 255 : u8"},
  };
  const std::string text = PrintModule(m);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Op* op = DefiningOp(k, c.name);
    ASSERT_NE(op, nullptr);
    ASSERT_EQ(op->ints.size(), 1u);
    EXPECT_EQ(op->ints[0], c.ints0);
    EXPECT_EQ(Bits(op->fval), Bits(c.fval));
    EXPECT_NE(text.find("%" + std::string(c.name) + " = " + c.printed + "\n"), std::string::npos)
        << text;
  }
  const Op* qnan = DefiningOp(k, "qnan");
  const Op* nnan = DefiningOp(k, "nnan");
  ASSERT_TRUE(qnan && nnan);
  EXPECT_TRUE(std::isnan(qnan->fval) && !std::signbit(qnan->fval));
  EXPECT_TRUE(std::isnan(nnan->fval) && std::signbit(nnan->fval));
  EXPECT_NE(text.find("%nnan = const -nan : f32\n"), std::string::npos);
  ExpectRoundTrip(m);  // compares fval bit patterns
}

TEST(TextRoundTrip, LoadOtherPrintedWhenMaskedOrNonZero) {
  const Module m = MustParse(kElementwise);
  const Kernel& k = KernelNamed(m, "elementwise");
  const std::string text = PrintModule(m);
  // No mask, zero fill: no `other`.
  EXPECT_NE(text.find("%iv = load ints[%offs]\n"), std::string::npos) << text;
  // No mask but -0.0 differs from 0 bitwise.
  EXPECT_NE(text.find("%fill_nz = load y[%offs], other -0.0\n"), std::string::npos) << text;
  EXPECT_EQ(Bits(DefiningOp(k, "fill_nz")->fval), Bits(-0.0));
  EXPECT_NE(text.find("%fill_big = load y[%offs], other 1e+300\n"), std::string::npos) << text;
  // A mask always prints its fill.
  EXPECT_NE(text.find("%yv = load y[%offs], mask %m, other 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("%xv = load x[%offs], mask %m, other -inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("%fill_int = load ints[%offs], mask %m, other -3\n"), std::string::npos);
  EXPECT_NE(text.find("%fill_nan = load y[%offs], mask %m, other nan\n"), std::string::npos);
  EXPECT_EQ(DefiningOp(k, "fill_int")->ints, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(DefiningOp(k, "fill_nz")->ints, (std::vector<int64_t>{1, 0}));
  ExpectRoundTrip(m);
}

TEST(TextRoundTrip, TypeAnnotationsAreChecked) {
  const Module m = MustParse(kShapes);
  const Kernel& k = KernelNamed(m, "shapes");
  const Op* bc = DefiningOp(k, "bc");
  ASSERT_NE(bc, nullptr);
  const Type& t = k.values[bc->results[0]].type;
  EXPECT_EQ(TypeToString(k, t), "tile<i32>[3, 4, 5, 2]");
  const Op* p = DefiningOp(k, "p");
  EXPECT_EQ(TypeToString(k, k.values[p->results[0]].type), "tile<f32>[BM, BN]");
}

TEST(TextRoundTrip, CrlfTabsAndCommentsDoNotMatter) {
  std::string crlf;
  for (char c : std::string(kLoops)) {
    if (c == '\n') {
      crlf += "  # comment\r\n";
    } else if (c == ' ') {
      crlf += "\t";
    } else {
      crlf += c;
    }
  }
  const Module a = MustParse(kLoops);
  const Module b = MustParse(crlf);
  EXPECT_EQ(DiffModule(a, b), "");
}

TEST(TextRoundTrip, EmptyInputIsAnEmptyModule) {
  for (const char* text : {"", "   \n\t\n", "# only a comment\n# and another"}) {
    Result<Module> m = ParseModule(text);
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_TRUE(m->kernels.empty());
    EXPECT_EQ(PrintModule(m.value()), "");
  }
}

// The printer also handles modules that never were text: the builder's
// unnamed values and float constants.
TEST(TextRoundTrip, BuilderModule) {
  KernelBuilder b("built");
  const uint32_t t = b.AddDTypeParam("T", {DType::kF32, DType::kF16});
  b.AddTensorParam("x", Elem::Param(t), {"M", "N"});
  b.AddTensorParam("y", Elem::Of(DType::kF32), {"N"});
  b.AddScalarParam("eps", Elem::Of(DType::kF32));
  const int32_t block = b.AddTunable("BLOCK", {32, 64}, 64);
  Expr grid;
  grid.nodes = {ExprNode{ExprOp::kShapeSym, 0, 0, 0}, ExprNode{ExprOp::kConst, -2, 0, 0},
                ExprNode{ExprOp::kMax, 0, 0, 1}};
  b.SetGrid({grid});
  const ValueId row = b.ProgramId(0);
  const ValueId lane = b.Iota(Dim::Tunable(block));
  const ValueId xv = b.Load("x", {row, lane});
  const ValueId xf = b.Cast(xv, Elem::Of(DType::kF32));
  const ValueId eps = b.Arg("eps");
  const ValueId nz = b.ConstFloat(Elem::Of(DType::kF32), -0.0);
  const ValueId third = b.ConstFloat(Elem::Of(DType::kF32), 1.0 / 3.0);
  const ValueId two = b.ConstFloat(Elem::Of(DType::kF32), 2.0);
  const ValueId s = b.Binary(OpCode::kAdd, xf, eps);
  const ValueId s2 = b.Binary(OpCode::kMul, s, third);
  const ValueId s3 = b.Binary(OpCode::kSub, s2, nz);
  const ValueId s4 = b.Binary(OpCode::kDiv, s3, two);
  const ValueId m = b.Binary(OpCode::kLt, lane, row);
  b.Store("y", {lane}, s4, m);
  Result<Kernel> k = b.Finish();
  ASSERT_TRUE(k.ok()) << k.status().message();
  Module module;
  module.kernels.push_back(std::move(k.value()));
  const std::string text = PrintModule(module);
  EXPECT_NE(text.find("kernel built<T in {f32, f16}>(x: tensor<T>[M, N], y: tensor<f32>[N], "
                      "eps: f32)\n  tunable BLOCK in {32, 64} = 64\n  grid [max(M, -2)]\n{\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  %5 = const -0.0 : f32\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  %7 = const 2 : f32\n"), std::string::npos) << text;
  ExpectRoundTrip(module);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

// Each constraint is parsed, evaluated with B = 6 and compared with the same
// arithmetic done by C++ (floor division for '/' and '%'); then printed and
// reparsed into the same nodes.
TEST(TextExpr, PrecedenceAssociativityAndCalls) {
  struct Case {
    const char* text;
    int64_t want;
  };
  const int64_t B = 6;
  const Case cases[] = {
      {"1 + 2 * 3", 1 + 2 * 3},
      {"(1 + 2) * 3", (1 + 2) * 3},
      {"10 - 3 - 2", 10 - 3 - 2},
      {"10 - (3 - 2)", 10 - (3 - 2)},
      {"100 / 5 / 2", 100 / 5 / 2},
      {"100 / (5 / 2)", 100 / (5 / 2)},
      {"B * 7 % 4", B * 7 % 4},
      {"B * (7 % 4)", B * (7 % 4)},
      {"B%4", B % 4},
      {"B%4+1", B % 4 + 1},
      {"-7 / 2", -4},
      {"-7 % 2", 1},
      {"7 / -2", -4},
      {"cdiv(B, 4)", 2},
      {"cdiv(-7, 2)", -3},
      {"min(B, 3) + max(B, 3)", 3 + 6},
      {"max(cdiv(B, (2)), min(-1, 0 - B))", 3},
      {"1 || 0 && 0", 1},
      {"(1 || 0) && 0", 0},
      {"1 < 2 == 1", 1},
      {"2 + 3 < 6 && B >= 6", 1},
      {"B != 6 || B <= 5", 0},
      {"B > 5 == (1 == 1)", 1},
      {"B - -3", B + 3},
      {"-9223372036854775807 - 1 < B", 1},
      {"((((((((((B))))))))))", B},
  };
  std::string text = "kernel e(x: tensor<f32>[N])\n  tunable B in {6}\n";
  for (const Case& c : cases) text += "  constraint " + std::string(c.text) + "\n";
  text += "  grid [N]\n{\n}\n";
  const Module m = MustParse(text);
  ASSERT_EQ(m.kernels.size(), 1u);
  const Kernel& k = m.kernels[0];
  ASSERT_EQ(k.constraints.size(), std::size(cases));
  const int64_t tunables[] = {B};
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(cases[i].text);
    Result<int64_t> v = EvalExpr(k.constraints[i], ExprEnv{tunables, {}});
    ASSERT_TRUE(v.ok()) << v.status().message();
    EXPECT_EQ(v.value(), cases[i].want);
  }
  ExpectRoundTrip(m);
}

TEST(TextExpr, GridUsesShapeSymbols) {
  const Module m = MustParse(kLoops);
  const Kernel& k = KernelNamed(m, "loops");
  ASSERT_EQ(k.grid.size(), 3u);
  // Shape symbols B, H, W; tunables BW, UNROLL.
  const int64_t syms[] = {3, 7, 130};
  const int64_t tun[] = {64, 4};
  const ExprEnv env{tun, syms};
  EXPECT_EQ(EvalExpr(k.grid[0], env).value(), 3);
  EXPECT_EQ(EvalExpr(k.grid[1], env).value(), (7 + 1) / 2);
  EXPECT_EQ(EvalExpr(k.grid[2], env).value(), 3);  // max(cdiv(130, 64), min(1, 3))
  EXPECT_EQ(ExprToString(k, k.grid[2]), "max(cdiv(W, BW), min(1, -3 * -1))");
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// Body lines start at line 5 of this kernel.
std::string Body(const std::string& lines) {
  return "kernel k(x: tensor<f32>[N], xi: tensor<i32>[N], alpha: f32)\n"
         "  tunable B in {16, 32} = 16\n"
         "  grid [cdiv(N, B)]\n"
         "{\n" +
         lines + "}\n";
}

// Parses |text| expecting a kParseError whose message is
// "k.tile:<where>: <message...>" containing |what|.
void ExpectError(const std::string& text, const std::string& where, const std::string& what) {
  Result<Module> m = ParseModule(text, "k.tile");
  ASSERT_FALSE(m.ok()) << "accepted:\n" << text;
  const std::string& msg = m.status().message();
  EXPECT_EQ(m.status().code(), Code::kParseError) << msg;
  // A |where| ending in ':' names the line only.
  const std::string prefix = "k.tile:" + where + (where.back() == ':' ? "" : ": ");
  EXPECT_EQ(msg.substr(0, prefix.size()), prefix) << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << "want '" << what << "' in: " << msg;
}

TEST(TextErrors, UnknownOp) {
  ExpectError(Body("  %p = program_id 0\n  %a = addd %p, %p\n"), "6:8", "unknown op 'addd'");
  ExpectError(Body("  %p = program_id 0\n  %a = %p\n"), "6:8", "expected an op but found %p");
}

TEST(TextErrors, UnknownValue) {
  ExpectError(Body("  %p = program_id 0\n  %a = add %p, %foo\n"), "6:16", "unknown value %foo");
  ExpectError(Body("  %a = add %a, %a\n"), "5:12", "unknown value %a");  // not yet defined
}

TEST(TextErrors, WrongOperandCount) {
  ExpectError(Body("  %p = program_id 0\n  %a = add %p\n"), "6:8", "'add' takes 2 operands, got 1");
  ExpectError(Body("  %p = program_id 0\n  %a = neg %p, %p\n"), "6:8",
              "'neg' takes 1 operand, got 2");
  ExpectError(Body("  %p = program_id 0\n  %a = select %p, %p\n"), "6:8",
              "'select' takes 3 operands, got 2");
  ExpectError(Body("  %p = program_id 0\n  %a = dot %p\n"), "6:8",
              "'dot' takes 2 or 3 operands, got 1");
  // Memory ops: one index per tensor dimension, checked by type inference.
  ExpectError(Body("  %p = program_id 0\n  %a = load x[%p, %p]\n"), "6:8",
              "tensor 'x' has rank 1: expects 1 operand(s), has 2");
}

TEST(TextErrors, MissingBracket) {
  ExpectError(Body("  %p = program_id 0\n  %v = load x[%p\n  store x[%p], %v\n"), "7:3",
              "expected ']' but found 'store'");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [cdiv(N, 2)\n{\n}\n", "3:1",
              "expected ']' but found '{'");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [(N, 2)]\n{\n}\n", "2:11",
              "expected ')' but found ','");
  ExpectError("kernel k(x: tensor<f32>[N, M M])\n  grid [N]\n{\n}\n", "1:30",
              "expected ']' but found 'M'");
  ExpectError(Body("  %p = program_id 0\n  %t = transpose %p, [0, 1\n"), "7:1",
              "expected ']' but found '}'");
}

TEST(TextErrors, BadDType) {
  ExpectError("kernel k(x: tensor<f33>[N])\n  grid [N]\n{\n}\n", "1:20", "unknown dtype 'f33'");
  ExpectError("kernel k<T in {f16, f8}>(x: tensor<T>[N])\n  grid [N]\n{\n}\n", "1:21",
              "unknown dtype 'f8'");
  ExpectError(Body("  %p = program_id 0\n  %c = cast %p to f64\n"), "6:19", "unknown dtype 'f64'");
  ExpectError(Body("  %c = const 1 : float\n"), "5:18", "unknown dtype 'float'");
  ExpectError("kernel k<T in {}>(x: tensor<T>[N])\n  grid [N]\n{\n}\n", "1:10",
              "dtype parameter 'T' has no candidates");
  ExpectError("kernel k<T in {f16, f16}>(x: tensor<T>[N])\n  grid [N]\n{\n}\n", "1:21",
              "lists f16 twice");
}

TEST(TextErrors, DuplicateNames) {
  ExpectError(Body("  %p = program_id 0\n  %p = program_id 1\n"), "6:3",
              "value %p is defined twice");
  // Also across scopes: a loop-body name cannot be reused after the loop.
  ExpectError(Body("  %c = const 0 : i32\n"
                   "  for %i = %c to %c step %c {\n"
                   "    %t = add %i, %c\n"
                   "    yield\n"
                   "  }\n"
                   "  %t = add %c, %c\n"),
              "10:3", "value %t is defined twice");
  ExpectError(Body("  %c = const 0 : i32\n  %r, %r = for %i = %c to %c step %c iter(%a = %c, "
                   "%b = %c) {\n    yield %a, %b\n  }\n"),
              "6:7", "value %r is defined twice");
  ExpectError("kernel k(x: tensor<f32>[N], x: f32)\n  grid [N]\n{\n}\n", "1:29",
              "'x' is already declared as a parameter");
  ExpectError("kernel k(x: tensor<f32>[N])\n  tunable N in {1}\n  grid [N]\n{\n}\n", "2:11",
              "'N' is already declared as a shape symbol");
  ExpectError(
      "kernel k(x: tensor<f32>[N])\n  grid [N]\n{\n}\nkernel k(y: tensor<f32>[N])\n"
      "  grid [N]\n{\n}\n",
      "5:8", "kernel 'k' is defined twice");
}

TEST(TextErrors, LoopValuesAreScoped) {
  const std::string loop =
      "  %c0 = const 0 : i32\n"
      "  %c1 = const 1 : i32\n"
      "  for %i = %c0 to %c1 step %c1 {\n"
      "    %t = add %i, %c1\n"
      "    yield\n"
      "  }\n";
  ExpectError(Body(loop + "  %u = add %t, %c1\n"), "11:12",
              "value %t is defined inside a loop body and not visible here");
  ExpectError(Body(loop + "  %u = add %c1, %i\n"), "11:17",
              "value %i is defined inside a loop body and not visible here");
  // Loop results are visible after the loop but not inside it.
  ExpectError(Body("  %c = const 0 : i32\n  %r = for %i = %c to %c step %c iter(%a = %c) {\n"
                   "    %u = add %r, %a\n    yield %u\n  }\n"),
              "7:14", "unknown value %r");
}

TEST(TextErrors, LoopShape) {
  const std::string head = "  %c = const 0 : i32\n";
  ExpectError(Body(head + "  for %i = %c to %c step %c {\n    %u = add %i, %c\n  }\n"), "8:3",
              "loop body must end with 'yield'");
  ExpectError(Body(head + "  yield\n"), "6:3", "'yield' outside a loop body");
  ExpectError(Body(head + "  %r = for %i = %c to %c step %c iter(%a = %c) {\n    yield\n  }\n"),
              "7:5", "'yield' gives 0 value(s); the loop carries 1");
  ExpectError(Body(head + "  %f = const 1.5 : f32\n"
                          "  %r = for %i = %c to %c step %c iter(%a = %c) {\n    yield %f\n  }\n"),
              "8:5", "'yield' value 0 is f32; the loop carries i32");
  ExpectError(Body(head + "  %r, %s = for %i = %c to %c step %c iter(%a = %c) {\n    yield %a\n"
                          "  }\n"),
              "6:12", "the loop carries 1 value(s) but 2 result name(s) are given");
  ExpectError(
      Body(head + "  %f = const 1.5 : f32\n  for %i = %c to %c step %f {\n    yield\n  }\n"), "7:3",
      "lo, hi and step must be i32 scalars");
  ExpectError(Body(head + "  for %i = %c to %c step %c {\n    yield\n    %u = add %i, %c\n  }\n"),
              "8:5", "expected '}' but found %u");
}

TEST(TextErrors, UnterminatedKernel) {
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [N]\n{\n  %p = program_id 0\n", "5:1",
              "expected an op or '}' but found end of input");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [N]\n", "3:1",
              "expected 'tunable', 'constraint', 'grid' or '{' but found end of input");
  ExpectError("kernel k(x: tensor<f32>[N]", "1:27", "expected ')' but found end of input");
  ExpectError("kernel", "1:7", "expected a kernel name but found end of input");
}

TEST(TextErrors, GarbageBytes) {
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [N]\n{\n  %p = program_id 0 \xff\n}\n", "4:21",
              "unexpected character '\\xff'");
  const char kNul[] = "kernel k(x: tensor<f32>[N])\n  grid [N]\n{\n  %p = \0\n}\n";
  ExpectError(std::string(kNul, sizeof(kNul) - 1), "4:8", "unexpected character '\\x00'");
  ExpectError("kernel k(x: tensor<f32>[N]) $\n", "1:29", "unexpected character '$'");
  ExpectError("\x01\x02\x03", "1:1", "unexpected character '\\x01'");
  ExpectError("garbage", "1:1", "expected 'kernel' but found 'garbage'");
  ExpectError(Body("  %c = const 12abc : i32\n"), "5:14", "malformed number '12abc'");
  ExpectError(Body("  %c = const 1.5.2 : f32\n"), "5:14", "malformed number '1.5.2'");
  ExpectError(Body("  %c = const 1 : i32 & \n"), "5:22", "unexpected character '&'");
}

TEST(TextErrors, DeepNesting) {
  const int n = 100000;
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [" + std::string(n, '(') + "N" +
                  std::string(n, ')') + "]\n{\n}\n",
              "2:", "expression nested too deeply");
  // The column is that of a parenthesis near the limit.
  Result<Module> m =
      ParseModule("kernel k(x: tensor<f32>[N])\n  constraint " + std::string(n, '(') + "1" +
                  std::string(n, ')') + "\n  grid [N]\n{\n}\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("expression nested too deeply"), std::string::npos);
  // Long but flat expressions hit the node limit instead.
  std::string flat = "1";
  for (int i = 0; i < 200; ++i) flat += " + 1";
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [" + flat + "]\n{\n}\n",
              "2:", "expression has more than 256 nodes");
  // Loops: 16 levels are fine, the 17th is rejected at its 'for'.
  auto nest = [](int depth) {
    std::string s = "  %c = const 0 : i32\n";
    for (int i = 0; i < depth; ++i) s += "for %i" + std::to_string(i) + " = %c to %c step %c {\n";
    for (int i = 0; i < depth; ++i) s += "yield\n}\n";
    return Body(s);
  };
  EXPECT_TRUE(ParseModule(nest(16)).ok()) << ParseModule(nest(16)).status().message();
  ExpectError(nest(17), "22:1", "loops nested deeper than 16");
  ExpectError(nest(5000), "22:1", "loops nested deeper than 16");
}

TEST(TextErrors, TunablesAndExpressions) {
  ExpectError("kernel k(x: tensor<f32>[N])\n  tunable B in {}\n  grid [N]\n{\n}\n", "2:11",
              "tunable 'B' has no candidates");
  ExpectError("kernel k(x: tensor<f32>[N])\n  tunable B in {1, 2} = 3\n  grid [N]\n{\n}\n", "2:25",
              "default 3 of tunable 'B' is not one of its candidates");
  ExpectError("kernel k(x: tensor<f32>[N])\n  tunable B in {1, 2, 1}\n  grid [N]\n{\n}\n", "2:23",
              "tunable 'B' lists 1 twice");
  ExpectError("kernel k(x: tensor<f32>[N])\n  tunable B in {0}\n  grid [N]\n{\n}\n", "2:17",
              "outside 1..2^24");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [cdiv(N, Q)]\n{\n}\n", "2:17",
              "unknown name 'Q' in expression");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [foo(N, 2)]\n{\n}\n", "2:9",
              "unknown function 'foo'");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [-N]\n{\n}\n", "2:9",
              "unary minus applies to integer literals only");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [1.5]\n{\n}\n", "2:9",
              "expressions take integers only");
  ExpectError("kernel k(x: tensor<f32>[N])\n  constraint N > 1\n  grid [N]\n{\n}\n", "2:14",
              "constraints may use tunables and constants only");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [N]\n  grid [N]\n{\n}\n", "3:3",
              "the grid is given twice");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [N, N, N, N]\n{\n}\n", "2:18",
              "the grid has more than 3 dimensions");
  ExpectError("kernel k(x: tensor<f32>[N])\n{\n}\n", "2:1", "kernel has no 'grid [...]' header");
  ExpectError("kernel k(x: tensor<f32>[N])\n  grid [99999999999999999999]\n{\n}\n", "2:9",
              "integer literal out of range");
}

TEST(TextErrors, OperandsAndTypes) {
  // Type errors from inference carry the op's position.
  ExpectError(Body("  %p = program_id 0\n  %f = const 1.5 : f32\n  %a = add %p, %f\n"), "7:8",
              "'add': wrong dtype: operands are i32 and f32");
  ExpectError(Body("  %c = const 1.5 : i32\n"), "5:8", "non-integer constant for i32");
  ExpectError(Body("  %p = program_id 3\n"), "5:8", "axis 3 out of range");
  ExpectError(Body("  %p = program_id 0 : f32\n"), "5:21",
              "type annotation f32 does not match the inferred type i32");
  ExpectError(Body("  %i = iota B : tile<i32>[32]\n"), "5:15",
              "type annotation tile<i32>[32] does not match the inferred type tile<i32>[B]");
  ExpectError(Body("  %c = const 1\n}\n"), "6:1", "expected ':' but found '}'");
  ExpectError(Body("  %c = const 9223372036854775808 : i64\n"), "5:14",
              "integer literal out of range");
  ExpectError(Body("  %c = const -9223372036854775809 : i64\n"), "5:14",
              "integer literal out of range");
  ExpectError(Body("  %c = const 1e999 : f32\n"), "5:14", "float literal '1e999' out of range");
  ExpectError(Body("  %c = const -true : bool\n"), "5:15", "expected a number but found 'true'");
  ExpectError(Body("  %p = program_id 0\n  %v = load alpha[%p]\n"), "6:13",
              "'alpha' is a scalar parameter, not a tensor");
  ExpectError(Body("  %p = program_id 0\n  %v = load nope[%p]\n"), "6:13", "unknown tensor 'nope'");
  ExpectError(Body("  %a = arg x\n"), "5:12", "'x' is a tensor; 'arg' takes a scalar parameter");
  ExpectError(Body("  %s = sym Q\n"), "5:12", "unknown shape symbol or tunable 'Q'");
  ExpectError(Body("  %i = iota N\n"), "5:13", "shape symbol 'N' is not a tile dimension");
  ExpectError(Body("  %p = program_id 0\n  %v = load x[%p], other 1, mask %p\n"), "6:29",
              "expected end of op but found 'mask'");
  ExpectError(Body("  %p = program_id 0\n  store x[%p], %p, other 1\n"), "6:20",
              "expected 'mask' but found 'other'");
  ExpectError(Body("  %p = program_id 0\n  %s = store xi[%p], %p\n"), "6:3",
              "'store' has no results");
  ExpectError(Body("  %p = program_id 0\n  add %p, %p\n"), "6:3", "'add' has a result");
  ExpectError(Body("  %p = program_id 0\n  %a, %b = add %p, %p\n"), "6:7", "'add' has one result");
  ExpectError(Body("  %p = program_id 0\n  store xi[%p], %p, mask %p\n"), "6:3",
              "mask must be bool");
}

TEST(TextErrors, OversizedTileAtTheOp) {
  ExpectError(Body("  %a = iota 16777216\n  %b = expand_dims %a, 1\n  %c = iota 2\n"
                   "  %d = add %b, %c\n"),
              "8:8", "'add': tile tile<i32>[16777216, 2] has more than 2^24 elements");
}

// Hostile input: mutated copies of the test kernels must each be rejected with
// a parse or verification error, or else parse into a module that round-trips.
// Run under the sanitizers, this also checks that nothing reads out of bounds.
TEST(TextErrors, MutatedInputNeverCrashes) {
  const std::string seeds[] = {kElementwise, kShapes, kLoops, kUnnamed};
  const char* snippets[] = {
      "%",   "(",  ")", "[",   "]",   "{",    "}",  ",", ":", "=", "-",  "yield",
      "for", "%x", "0", "1e5", "inf", "\xff", "\n", "#", "<", ">", "%0", "99999999999999999999"};
  std::mt19937_64 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = seeds[rng() % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0: text.erase(pos, 1 + rng() % 8); break;
        case 1: text.insert(pos, snippets[rng() % std::size(snippets)]); break;
        case 2: text[pos] = static_cast<char>(rng()); break;
        default: text.resize(pos); break;
      }
    }
    Result<Module> m = ParseModule(text, "fuzz.tile");
    if (!m.ok()) {
      const Code c = m.status().code();
      ASSERT_TRUE(c == Code::kParseError || c == Code::kVerificationFailed) << m.status().message();
      continue;
    }
    ++accepted;
    const std::string printed = PrintModule(m.value());
    Result<Module> again = ParseModule(printed, "printed.tile");
    ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << printed;
    ASSERT_EQ(DiffModule(m.value(), again.value()), "") << printed;
  }
  // Some mutations (in comments, names, literals) leave valid kernels.
  EXPECT_GT(accepted, 0);
}

//===----------------------------------------------------------------------===//
// The standard kernels
//===----------------------------------------------------------------------===//

TEST(TextKernelFiles, EveryKernelFileRoundTrips) {
  const std::filesystem::path dir = std::filesystem::path(HRT_SOURCE_DIR) / "kernels";
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".tile") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Result<Module> m = ParseModule(ss.str(), path.string());
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_FALSE(m->kernels.empty());
    ExpectRoundTrip(m.value());
  }
}

}  // namespace
}  // namespace hrt::ir
