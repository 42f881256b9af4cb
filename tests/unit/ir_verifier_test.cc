// The verifier and the binder reject malformed kernels, each with a message
// that names the problem. Kernels here are assembled by hand (bypassing the
// builder's inference) so that the verifier itself is what must catch them.
#include <gtest/gtest.h>

#include <string>

#include "codegen/ir/bind.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {
namespace {

const Elem kF32 = Elem::Of(DType::kF32);
const Elem kI32 = Elem::Of(DType::kI32);

// A kernel "k(x: tensor<f32>[N])" with tunables BLOCK_M {16, 32} and
// BLOCK_N {16, 64}, grid [N], and an empty body; tests append values/ops.
Kernel BaseKernel() {
  Kernel k;
  k.name = "k";
  k.shape_syms = {"N"};
  Param x;
  x.name = "x";
  x.kind = ParamKind::kTensor;
  x.elem = kF32;
  x.rank = 1;
  x.dims[0] = 0;
  k.params = {x};
  k.tunables = {{"BLOCK_M", {16, 32}, 16}, {"BLOCK_N", {16, 64}, 16}};
  k.grid = {Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}};
  return k;
}

ValueId AddValue(Kernel& k, Type t, const std::string& name = "") {
  k.values.push_back(Value{t, name});
  return static_cast<ValueId>(k.values.size() - 1);
}

Op MakeOp(OpCode code, std::vector<ValueId> operands, std::vector<ValueId> results,
          std::vector<int64_t> ints = {}) {
  Op op;
  op.code = code;
  op.operands = std::move(operands);
  op.results = std::move(results);
  op.ints = std::move(ints);
  return op;
}

Op ConstOp(Elem e, ValueId result, int64_t v = 0) {
  Op op = MakeOp(OpCode::kConst, {}, {result}, {v});
  op.elem = e;
  op.fval = static_cast<double>(v);
  return op;
}

Op IotaOp(Dim d, ValueId result) {
  Op op = MakeOp(OpCode::kIota, {}, {result});
  op.shape = {d};
  return op;
}

void ExpectRejected(const Kernel& k, const std::string& needle) {
  Status s = VerifyKernel(k);
  ASSERT_FALSE(s.ok()) << "expected rejection mentioning: " << needle;
  EXPECT_EQ(s.code(), Code::kVerificationFailed);
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("kernel 'k'"), std::string::npos) << s.message();
}

TEST(Verifier, AcceptsBaseKernel) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32));
  k.body.ops.push_back(ConstOp(kF32, a));
  EXPECT_TRUE(VerifyKernel(k).ok()) << VerifyKernel(k).message();
}

TEST(Verifier, RejectsWrongDType) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32));
  const ValueId b = AddValue(k, Type::Scalar(kI32));
  const ValueId c = AddValue(k, Type::Scalar(kF32));
  k.body.ops.push_back(ConstOp(kF32, a));
  k.body.ops.push_back(ConstOp(kI32, b));
  k.body.ops.push_back(MakeOp(OpCode::kAdd, {a, b}, {c}));
  ExpectRejected(k, "wrong dtype: operands are f32 and i32");
}

TEST(Verifier, RejectsShapeMismatch) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  const ValueId b = AddValue(k, Type::Tile(kI32, {Dim::Tunable(1)}));
  const ValueId c = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  k.body.ops.push_back(IotaOp(Dim::Tunable(0), a));
  k.body.ops.push_back(IotaOp(Dim::Tunable(1), b));
  k.body.ops.push_back(MakeOp(OpCode::kAdd, {a, b}, {c}));
  // Symbolic shapes: BLOCK_M and BLOCK_N differ even though a config could
  // bind both to 16.
  ExpectRejected(k, "shape mismatch: [BLOCK_M] vs [BLOCK_N]");
}

TEST(Verifier, RejectsStoredTypeThatDisagreesWithInference) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  const ValueId b = AddValue(k, Type::Tile(kF32, {Dim::Tunable(0)}));
  k.body.ops.push_back(IotaOp(Dim::Tunable(0), a));
  k.body.ops.push_back(MakeOp(OpCode::kNeg, {a}, {b}));
  ExpectRejected(k, "is recorded as tile<f32>[BLOCK_M] but the op yields tile<i32>[BLOCK_M]");
}

TEST(Verifier, RejectsUseBeforeDefinition) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32), "a");
  const ValueId b = AddValue(k, Type::Scalar(kF32), "b");
  k.body.ops.push_back(MakeOp(OpCode::kNeg, {a}, {b}));
  k.body.ops.push_back(ConstOp(kF32, a));
  ExpectRejected(k, "use before definition of %a");
}

TEST(Verifier, RejectsUseOfLoopValueAfterLoop) {
  KernelBuilder b("k");
  b.AddTensorParam("x", kF32, {"N"});
  b.SetGrid({Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}});
  const ValueId zero = b.ConstInt(kI32, 0);
  const ValueId one = b.ConstInt(kI32, 1);
  const auto args = b.BeginFor(zero, one, one, {}, "i");
  const ValueId inner = b.Binary(OpCode::kAdd, args[0], one);
  b.EndFor({});
  b.Binary(OpCode::kAdd, inner, one);  // inner is out of scope here
  Result<Kernel> k = b.Finish();
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("use outside its scope"), std::string::npos)
      << k.status().message();
}

TEST(Verifier, RejectsValueDefinedTwice) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32), "a");
  k.body.ops.push_back(ConstOp(kF32, a));
  k.body.ops.push_back(ConstOp(kF32, a));
  ExpectRejected(k, "value %a defined twice");
}

TEST(Verifier, RejectsReductionAxisOutOfRange) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  const ValueId b = AddValue(k, Type::Scalar(kI32));
  k.body.ops.push_back(IotaOp(Dim::Tunable(0), a));
  k.body.ops.push_back(MakeOp(OpCode::kSum, {a}, {b}, {1}));
  ExpectRejected(k, "axis 1 out of range 0..0");
}

TEST(Verifier, RejectsExpandDimsAxisOutOfRange) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  const ValueId b = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0), Dim::Const(1)}));
  k.body.ops.push_back(IotaOp(Dim::Tunable(0), a));
  k.body.ops.push_back(MakeOp(OpCode::kExpandDims, {a}, {b}, {3}));
  ExpectRejected(k, "axis 3 out of range 0..1");
}

TEST(Verifier, RejectsProgramIdAxisOutOfRange) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kI32));
  k.body.ops.push_back(MakeOp(OpCode::kProgramId, {}, {a}, {3}));
  ExpectRejected(k, "axis 3 out of range 0..2");
}

TEST(Verifier, RejectsBadTransposePermutation) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0)}));
  const ValueId b = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0), Dim::Const(1)}));
  const ValueId c = AddValue(k, Type::Tile(kI32, {Dim::Tunable(0), Dim::Const(1)}));
  k.body.ops.push_back(IotaOp(Dim::Tunable(0), a));
  k.body.ops.push_back(MakeOp(OpCode::kExpandDims, {a}, {b}, {1}));
  k.body.ops.push_back(MakeOp(OpCode::kTranspose, {b}, {c}, {0, 0}));
  ExpectRejected(k, "repeated in permutation");
}

TEST(Verifier, RejectsDotShapeMismatch) {
  KernelBuilder b("k");
  b.AddTensorParam("x", kF32, {"N"});
  b.SetGrid({Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}});
  const ValueId z = b.ConstFloat(kF32, 0);
  const ValueId a = b.Broadcast(z, {Dim::Const(16), Dim::Const(8)});
  const ValueId c = b.Broadcast(z, {Dim::Const(16), Dim::Const(8)});
  EXPECT_EQ(b.Dot(a, c), kInvalidValue);
  Result<Kernel> k = b.Finish();
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("shape mismatch: [16, 8] @ [16, 8]"), std::string::npos)
      << k.status().message();
}

TEST(Verifier, RejectsLoopBodyWithoutYield) {
  Kernel k = BaseKernel();
  const ValueId zero = AddValue(k, Type::Scalar(kI32));
  const ValueId iv = AddValue(k, Type::Scalar(kI32));
  k.body.ops.push_back(ConstOp(kI32, zero));
  Op loop = MakeOp(OpCode::kFor, {zero, zero, zero}, {});
  loop.regions.resize(1);
  loop.regions[0].args = {iv};
  k.body.ops.push_back(loop);
  ExpectRejected(k, "loop body must end with 'yield'");
}

TEST(Verifier, RejectsYieldOfWrongType) {
  KernelBuilder b("k");
  b.AddTensorParam("x", kF32, {"N"});
  b.SetGrid({Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}});
  const ValueId zero = b.ConstInt(kI32, 0);
  const ValueId f = b.ConstFloat(kF32, 1.5);
  b.BeginFor(zero, zero, zero, {f});
  b.EndFor({zero});  // carries f32, yields i32
  Result<Kernel> k = b.Finish();
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("'yield' value 0 is i32; the loop carries f32"),
            std::string::npos)
      << k.status().message();
}

TEST(Verifier, RejectsDuplicateNames) {
  Kernel k = BaseKernel();
  k.tunables[1].name = "BLOCK_M";
  ExpectRejected(k, "name 'BLOCK_M' is declared twice");
  Kernel k2 = BaseKernel();
  k2.tunables[0].name = "x";  // clashes with the parameter
  ExpectRejected(k2, "name 'x' is declared twice");
}

TEST(Verifier, RejectsBadTunables) {
  Kernel k = BaseKernel();
  k.tunables[0].candidates.clear();
  ExpectRejected(k, "tunable 'BLOCK_M' has no candidates");
  k = BaseKernel();
  k.tunables[0].default_value = 64;
  ExpectRejected(k, "tunable 'BLOCK_M' default 64 is not a candidate");
  k = BaseKernel();
  k.tunables[0].candidates = {16, 16};
  ExpectRejected(k, "lists 16 twice");
}

TEST(Verifier, RejectsBadGrid) {
  Kernel k = BaseKernel();
  k.grid.clear();
  ExpectRejected(k, "grid must have 1..3 dimensions");
  k = BaseKernel();
  k.grid[0].nodes[0].value = 7;  // shape symbol #7
  ExpectRejected(k, "shape symbol #7");
  k = BaseKernel();
  // Shared operand: node 1 = node0 + node0 is a DAG, not a tree.
  k.grid[0].nodes.push_back(ExprNode{ExprOp::kAdd, 0, 0, 0});
  ExpectRejected(k, "expressions must be trees");
}

TEST(Verifier, RejectsConstraintOnShapeSymbols) {
  Kernel k = BaseKernel();
  k.constraints.push_back(Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}});
  ExpectRejected(k, "constraints may use tunables and constants only");
}

TEST(Verifier, RejectsOutOfRangeIds) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32));
  k.body.ops.push_back(MakeOp(OpCode::kNeg, {a + 100}, {a}));
  ExpectRejected(k, "operand value id 100 out of range");
  k = BaseKernel();
  k.body.ops.push_back(ConstOp(kF32, 5));
  ExpectRejected(k, "value id 5 out of range");
  k = BaseKernel();
  const ValueId v = AddValue(k, Type::Scalar(kF32));
  Op op = ConstOp(kF32, v);
  op.code = static_cast<OpCode>(999);
  k.body.ops.push_back(op);
  ExpectRejected(k, "unknown op code 999");
}

TEST(Verifier, RejectsStrayAttributes) {
  Kernel k = BaseKernel();
  const ValueId a = AddValue(k, Type::Scalar(kF32));
  const ValueId b = AddValue(k, Type::Scalar(kF32));
  k.body.ops.push_back(ConstOp(kF32, a));
  Op neg = MakeOp(OpCode::kNeg, {a}, {b});
  neg.fval = 2.0;
  k.body.ops.push_back(neg);
  ExpectRejected(k, "takes no float attribute");
}

TEST(Verifier, RejectsMemoryOpErrors) {
  Kernel k = BaseKernel();
  const ValueId idx = AddValue(k, Type::Scalar(kF32));
  const ValueId out = AddValue(k, Type::Scalar(kF32));
  k.body.ops.push_back(ConstOp(kF32, idx));
  k.body.ops.push_back(MakeOp(OpCode::kLoad, {idx}, {out}, {0, 0}));
  ExpectRejected(k, "index 0 of 'x' must be an integer, not f32");

  k = BaseKernel();
  const ValueId i = AddValue(k, Type::Scalar(kI32));
  const ValueId v = AddValue(k, Type::Scalar(kI32));
  k.body.ops.push_back(ConstOp(kI32, i));
  k.body.ops.push_back(ConstOp(kI32, v));
  k.body.ops.push_back(MakeOp(OpCode::kStore, {i, v}, {}, {0, 0}));
  ExpectRejected(k, "wrong dtype: value is i32 but tensor 'x' holds f32");
}

// --- Binding -----------------------------------------------------------------

Kernel BindableKernel() {
  KernelBuilder b("k");
  const uint32_t t = b.AddDTypeParam("T", {DType::kF16, DType::kF32});
  b.AddTensorParam("x", Elem::Param(t), {"N"});
  const int32_t block = b.AddTunable("BLOCK", {16, 32, 64}, 32);
  b.AddTunable("WARPS", {1, 2, 4}, 1);
  // constraint WARPS * 16 <= BLOCK
  b.AddConstraint(Expr{{ExprNode{ExprOp::kTunable, 1, 0, 0}, ExprNode{ExprOp::kConst, 16, 0, 0},
                        ExprNode{ExprOp::kMul, 0, 0, 1}, ExprNode{ExprOp::kTunable, 0, 0, 0},
                        ExprNode{ExprOp::kLe, 0, 2, 3}}});
  b.SetGrid({Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}});
  const ValueId lanes = b.Iota(Dim::Tunable(block));
  const ValueId m = b.Binary(OpCode::kLt, lanes, b.Sym("N"));
  const ValueId v = b.Load("x", {lanes}, m);
  b.Store("x", {lanes}, v, m);
  Result<Kernel> k = b.Finish();
  EXPECT_TRUE(k.ok()) << k.status().message();
  return k.value();
}

TEST(Bind, BindsEveryTunableAndDType) {
  Kernel k = BindableKernel();
  Result<Config> c = ParseConfig("T=f16, BLOCK=64,WARPS=4");
  ASSERT_TRUE(c.ok());
  Result<BoundKernel> b = Bind(k, *c);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->tunable_values, (std::vector<int64_t>{64, 4}));
  EXPECT_EQ(b->dtype_values, std::vector<DType>{DType::kF16});
  EXPECT_EQ(b->kernel.params[0].elem, Elem::Of(DType::kF16));
  for (const Value& v : b->kernel.values) {
    EXPECT_FALSE(v.type.elem.is_param());
    for (uint32_t i = 0; i < v.type.rank; ++i) EXPECT_TRUE(v.type.dims[i].is_const());
  }
  EXPECT_EQ(b->kernel.values[0].type.dims[0].value, 64);
}

TEST(Bind, DefaultConfigBinds) {
  Kernel k = BindableKernel();
  Result<BoundKernel> b = Bind(k, DefaultConfig(k));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->config.ToString(), "BLOCK=32,T=6,WARPS=1");
}

void ExpectBindError(const Kernel& k, const std::string& config, const std::string& needle) {
  Result<Config> c = ParseConfig(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  Result<BoundKernel> b = Bind(k, *c);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find(needle), std::string::npos) << b.status().message();
}

TEST(Bind, RejectsUnboundTunable) {
  ExpectBindError(BindableKernel(), "T=f32,WARPS=1", "unbound tunable 'BLOCK'");
}

TEST(Bind, RejectsUnboundDTypeParameter) {
  ExpectBindError(BindableKernel(), "BLOCK=16,WARPS=1", "unbound dtype parameter 'T'");
}

TEST(Bind, RejectsValueOutsideCandidates) {
  ExpectBindError(BindableKernel(), "T=f32,BLOCK=48,WARPS=1",
                  "config value BLOCK=48 is not one of its candidates {16, 32, 64}");
  ExpectBindError(BindableKernel(), "T=bf16,BLOCK=16,WARPS=1",
                  "config value T=bf16 is not one of its candidates {f16, f32}");
}

TEST(Bind, RejectsUnknownName) {
  ExpectBindError(BindableKernel(), "T=f32,BLOCK=16,WARPS=1,STAGES=2",
                  "config names 'STAGES', which is neither a tunable nor a dtype parameter");
}

TEST(Bind, RejectsViolatedConstraint) {
  ExpectBindError(BindableKernel(), "T=f32,BLOCK=16,WARPS=2",
                  "violates constraint 'WARPS * 16 <= BLOCK'");
}

TEST(Bind, BoundVerificationCatchesReshapeSizes) {
  KernelBuilder b("k");
  b.AddTensorParam("x", kF32, {"N"});
  const int32_t t = b.AddTunable("B", {4, 8}, 4);
  b.SetGrid({Expr{{ExprNode{ExprOp::kShapeSym, 0, 0, 0}}}});
  const ValueId lanes = b.Iota(Dim::Tunable(t));
  b.Reshape(lanes, {Dim::Const(2), Dim::Const(4)});  // fits only B = 8
  Result<Kernel> k = b.Finish();
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_TRUE(Bind(*k, *ParseConfig("B=8")).ok());
  Result<BoundKernel> bad = Bind(*k, *ParseConfig("B=4"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot reshape [4] (4 elements) to [2, 4]"),
            std::string::npos)
      << bad.status().message();
}

TEST(Config, ParsesAndRejects) {
  Result<Config> c = ParseConfig(" A = 1 , T=bf16,B=-3 ");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->Get("A"), 1);
  EXPECT_EQ(c->Get("B"), -3);
  EXPECT_EQ(c->Get("T"), static_cast<int64_t>(DType::kBF16));
  EXPECT_TRUE(ParseConfig("").ok());
  EXPECT_FALSE(ParseConfig("A").ok());
  EXPECT_FALSE(ParseConfig("A=").ok());
  EXPECT_FALSE(ParseConfig("A=1,A=2").ok());
  EXPECT_FALSE(ParseConfig("A=x").ok());
  EXPECT_FALSE(ParseConfig("A=99999999999999999999999").ok());
}

}  // namespace
}  // namespace hrt::ir
