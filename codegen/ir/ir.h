// The tile IR: in-memory form of kernels and modules.
//
// A kernel is one program instance per grid point working on whole tiles, as
// in Triton and Helion. Tile shapes are symbolic: each dimension is a constant
// or a tunable (BLOCK_N), and element types may be dtype parameters (T). A
// Config binds every tunable and dtype parameter (see bind.h); the bound kernel
// has only constants and is what the interpreter and the emitters consume.
//
// Values are SSA: every value is defined once (as an op result or a loop-body
// argument) before it is used, and a value defined inside a loop body is not
// visible after the loop. Op semantics are documented per OpCode below and in
// docs/tile-ir.md; the verifier (verifier.h) enforces them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/ir/dtype.h"

namespace hrt::ir {

inline constexpr uint32_t kMaxRank = 4;  // tiles and tensors
inline constexpr uint32_t kMaxGridRank = 3;
inline constexpr uint32_t kMaxDTypeParams = 8;

using ValueId = uint32_t;

// One dimension of a tile shape: a constant, or a tunable by index.
struct Dim {
  int64_t value = 1;     // the constant (when tunable < 0)
  int32_t tunable = -1;  // index into Kernel::tunables, or -1

  static Dim Const(int64_t v) { return Dim{v, -1}; }
  static Dim Tunable(int32_t i) { return Dim{0, i}; }
  bool is_const() const { return tunable < 0; }
  friend bool operator==(const Dim& a, const Dim& b) {
    return a.tunable == b.tunable && (a.tunable >= 0 || a.value == b.value);
  }
  friend bool operator!=(const Dim& a, const Dim& b) { return !(a == b); }
};

// The type of a value: a scalar (rank 0) or a tile of |rank| dimensions.
struct Type {
  Elem elem;
  uint32_t rank = 0;
  std::array<Dim, kMaxRank> dims{};

  static Type Scalar(Elem e) { return Type{e, 0, {}}; }
  static Type Tile(Elem e, const std::vector<Dim>& shape);
  bool is_scalar() const { return rank == 0; }
  std::vector<Dim> shape() const { return {dims.begin(), dims.begin() + rank}; }
  friend bool operator==(const Type& a, const Type& b);
  friend bool operator!=(const Type& a, const Type& b) { return !(a == b); }
};

// Integer expressions over constants, tunables and shape symbols: the launch
// grid and the tunables' constraints. Nodes are in post-order; each operand
// index is smaller than its node's index and the last node is the root.
enum class ExprOp : uint8_t {
  kConst = 0,     // value
  kTunable = 1,   // value = tunable index
  kShapeSym = 2,  // value = shape symbol index
  kAdd = 3,
  kSub = 4,
  kMul = 5,
  kDiv = 6,      // floor division; division by zero is an evaluation error
  kCeilDiv = 7,  // cdiv(a, b)
  kMod = 8,
  kMin = 9,
  kMax = 10,
  kLt = 11,
  kLe = 12,
  kGt = 13,
  kGe = 14,
  kEq = 15,
  kNe = 16,
  kAnd = 17,
  kOr = 18,
};
inline constexpr int kNumExprOps = 19;

struct ExprNode {
  ExprOp op = ExprOp::kConst;
  int64_t value = 0;  // kConst / kTunable / kShapeSym payload
  uint32_t lhs = 0;   // binary ops
  uint32_t rhs = 0;
};

struct Expr {
  std::vector<ExprNode> nodes;
};

// Op codes. Values are part of the binary IR format: append only.
// Attribute slots used by each op (see Op):
enum class OpCode : uint16_t {
  // Scalars and index tiles.
  kProgramId = 0,  // ints[0] = axis (0..2)                         -> i32
  kSym = 1,        // ints[0] = 0 shape symbol | 1 tunable, ints[1] = index -> i32
  kArg = 2,        // ints[0] = index of a scalar parameter          -> its elem
  kConst = 3,      // elem; ints[0] (integers, bool) or fval (floats) -> scalar elem
  kIota = 4,       // shape = [n]                                    -> tile<i32>[n] = 0..n-1
  // Shape manipulation.
  kBroadcast = 5,   // (x) shape = target; right-aligned, dims equal or 1
  kExpandDims = 6,  // (x) ints[0] = axis in 0..rank, inserts a 1
  kReshape = 7,     // (x) shape = target; same element count
  kTranspose = 8,   // (x) ints = permutation
  // Memory. ints[0] = tensor parameter index, ints[1] = 1 when a mask is given.
  // Indices (one per tensor dimension, scalars or i32/i64 tiles) broadcast
  // together with the value and mask; element (i0, i1, ...) lives at
  // base + sum(ik * stride_k). A masked-off element is not accessed.
  kLoad = 9,        // (idx..., [mask]) fval = fill for masked-off lanes
  kStore = 10,      // (idx..., value, [mask])
  kAtomicAdd = 11,  // (idx..., value, [mask]) atomic += , no result
  // Elementwise binary: same elem, shapes broadcast (right-aligned, 1 stretches).
  kAdd = 12,
  kSub = 13,
  kMul = 14,
  kDiv = 15,  // integers truncate toward zero; division by zero is an error
  kRem = 16,
  kMax = 17,
  kMin = 18,
  kAnd = 19,  // bool or integers (bitwise)
  kOr = 20,
  kXor = 21,
  // Comparisons -> bool.
  kEq = 22,
  kNe = 23,
  kLt = 24,
  kLe = 25,
  kGt = 26,
  kGe = 27,
  // Elementwise unary.
  kNeg = 28,
  kAbs = 29,
  kNot = 30,  // bool or integers (bitwise)
  kExp = 31,  // floats only from here to kErf
  kExp2 = 32,
  kLog = 33,
  kSqrt = 34,
  kRsqrt = 35,
  kTanh = 36,
  kSigmoid = 37,
  kErf = 38,
  kSelect = 39,  // (cond: bool, a, b) broadcast together
  kCast = 40,    // (x) elem = target type
  // Reductions along ints[0] = axis; the axis is removed. f16/bf16 sums
  // accumulate in at least f32; the order is unspecified.
  kSum = 41,
  kReduceMax = 42,
  kReduceMin = 43,
  // (a [M,K], b [K,N], [acc f32 [M,N]]) -> f32 [M,N]; a and b share an elem.
  kDot = 44,
  // Counted loop: (lo, hi, step: i32 scalars, init...) regions[0] body with
  // args (iv: i32, carried...) ending in kYield(carried...); results are the
  // carried values after the last iteration. step must be > 0.
  kFor = 45,
  kYield = 46,
};
inline constexpr int kNumOpCodes = 47;

struct Block;

struct Op {
  OpCode code = OpCode::kConst;
  std::vector<ValueId> operands;
  std::vector<ValueId> results;
  std::vector<int64_t> ints;  // integer attributes, meaning per OpCode
  std::vector<Dim> shape;     // shape attribute (iota, broadcast, reshape)
  double fval = 0.0;          // float attribute (const, load fill)
  Elem elem;                  // element type attribute (const, cast)
  std::vector<Block> regions;
};

struct Block {
  std::vector<ValueId> args;
  std::vector<Op> ops;
};

struct Value {
  Type type;
  std::string name;  // optional; the text form prints %name, else %<id>
};

enum class ParamKind : uint8_t { kTensor = 0, kScalar = 1 };

// A kernel argument. Tensors are passed as a device address with per-dim
// sizes and strides (in elements); each tensor dimension is a shape symbol,
// and one symbol used twice asserts equal sizes at launch.
struct Param {
  std::string name;
  ParamKind kind = ParamKind::kTensor;
  Elem elem;
  uint32_t rank = 0;                      // tensors only
  std::array<uint32_t, kMaxRank> dims{};  // shape symbol indices (tensors)
};

// A tunable integer: a block size, warp count, stage count, unroll factor...
struct Tunable {
  std::string name;
  std::vector<int64_t> candidates;  // non-empty, distinct
  int64_t default_value = 0;        // one of the candidates
};

// A dtype parameter (T): a config binds it to one of its candidates; the
// runtime infers it from the dtypes of the launch's tensors.
struct DTypeParam {
  std::string name;
  std::vector<DType> candidates;  // non-empty, distinct; the first is the default
};

struct Kernel {
  std::string name;
  std::vector<Param> params;
  std::vector<std::string> shape_syms;
  std::vector<Tunable> tunables;
  std::vector<DTypeParam> dtype_params;
  std::vector<Expr> constraints;  // each must evaluate non-zero under a config
  std::vector<Expr> grid;         // 1..3 program counts
  std::vector<Value> values;      // indexed by ValueId
  Block body;
};

struct Module {
  std::vector<Kernel> kernels;

  const Kernel* Find(const std::string& name) const;
};

// Static description of an op code, shared by the verifier, printer and parser.
enum class OpClass : uint8_t {
  kLeaf,     // program_id, sym, const, iota
  kShape,    // broadcast, expand_dims, reshape, transpose
  kMemory,   // load, store, atomic_add
  kBinary,   // elementwise binary arithmetic / logic
  kCompare,  // comparisons
  kUnary,    // elementwise unary
  kSelect,
  kCast,
  kReduce,
  kDot,
  kFor,
  kYield,
};

struct OpInfo {
  const char* name;  // text-form mnemonic
  OpClass cls;
  bool float_only;  // unary math that needs a float operand
};

// Returns nullptr for values outside the enum.
const OpInfo* GetOpInfo(OpCode code);
const char* OpName(OpCode code);

// Human-readable type, e.g. "tile<f32>[BLOCK_M, 64]" or "i32"; names come
// from |kernel| (tunables, dtype parameters).
std::string TypeToString(const Kernel& kernel, const Type& type);
std::string ElemToString(const Kernel& kernel, Elem elem);

}  // namespace hrt::ir
