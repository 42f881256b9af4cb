// The launch fast path's argument check (ArgsPass over an ArgCheckPlan) must
// accept exactly what ValidateArgs accepts: a remembered decision skips
// ValidateArgs whenever ArgsPass says yes. Checked on every kernel in
// kernels/ and on a kernel with scalars of every integer dtype, with valid
// arguments and thousands of seeded mutations of them.
#include "runtime/launch_args.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/text.h"
#include "kernels/testing/load_kernel.h"

namespace hrt::runtime {
namespace {

// Valid arguments for |bound|: each shape symbol gets a size from |rng|
// (1..6), tensors are row-major at distinct aligned addresses, scalars are 1.
std::vector<hrt_arg_t> ValidArgs(const ir::BoundKernel& bound, std::mt19937& rng) {
  const ir::Kernel& k = bound.kernel;
  std::vector<int64_t> sym(k.shape_syms.size());
  for (int64_t& s : sym) s = std::uniform_int_distribution<int64_t>(1, 6)(rng);
  std::vector<hrt_arg_t> args(k.params.size(), hrt_arg_t{});
  for (size_t i = 0; i < k.params.size(); ++i) {
    const ir::Param& p = k.params[i];
    const ir::DType dtype = p.elem.dtype();
    hrt_arg_t& a = args[i];
    if (p.kind == ir::ParamKind::kScalar) {
      a.kind = ir::IsFloat(dtype) ? HRT_ARG_KIND_FLOAT : HRT_ARG_KIND_INT;
      if (a.kind == HRT_ARG_KIND_FLOAT) {
        a.value.f = 1.0;
      } else {
        a.value.i = 1;
      }
      continue;
    }
    a.kind = HRT_ARG_KIND_TENSOR;
    hrt_tensor_t& t = a.value.tensor;
    t.address = 0x10000 * (i + 1);
    t.dtype = static_cast<int32_t>(dtype);
    t.rank = p.rank;
    int64_t stride = 1;
    for (uint32_t d = p.rank; d-- > 0;) {
      t.shape[d] = sym[p.dims[d]];
      t.strides[d] = stride;
      stride *= t.shape[d];
    }
  }
  return args;
}

// One random change to |args|: a field of one argument set to a value that
// is sometimes valid and often not.
void Mutate(std::vector<hrt_arg_t>& args, std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  if (args.empty() || pick(0, 40) == 0) {
    // The count.
    if (!args.empty() && pick(0, 1) == 0) {
      args.pop_back();
    } else {
      args.push_back(args.empty() ? hrt_arg_t{} : args.front());
    }
    return;
  }
  hrt_arg_t& a = args[static_cast<size_t>(pick(0, static_cast<int64_t>(args.size()) - 1))];
  hrt_tensor_t& t = a.value.tensor;
  const uint32_t d = static_cast<uint32_t>(pick(0, HRT_MAX_RANK - 1));
  switch (pick(0, 9)) {
    case 0: a.kind = static_cast<int32_t>(pick(-1, 3)); break;
    case 1: t.dtype = static_cast<int32_t>(pick(-1, ir::kNumDTypes)); break;
    case 2: t.rank = static_cast<uint32_t>(pick(0, HRT_MAX_RANK + 1)); break;
    case 3: t.shape[d] = pick(-2, 7); break;
    case 4: t.shape[d] = 0; break;
    case 5:
      t.address = static_cast<uint64_t>(pick(0, 3)) * 0x10000 + static_cast<uint64_t>(pick(0, 3));
      break;
    case 6: t.address = 0; break;
    case 7: a.value.i = pick(-300, 300); break;
    case 8: {
      static const int64_t kEdges[] = {INT64_MIN, INT32_MIN, -129,      -128,     -1,  0,
                                       1,         2,         127,       128,      255, 256,
                                       INT16_MAX, 32768,     INT32_MAX, INT64_MAX};
      a.value.i = kEdges[pick(0, std::size(kEdges) - 1)];
      break;
    }
    default: t.strides[d] = pick(-3, 3); break;  // strides are free: never an error
  }
}

void CheckAgreement(const ir::BoundKernel& bound, uint32_t seed, int rounds) {
  const ArgCheckPlan plan = MakeArgCheckPlan(bound);
  ASSERT_TRUE(plan.usable);
  std::mt19937 rng(seed);
  int accepted = 0, rejected = 0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<hrt_arg_t> args = ValidArgs(bound, rng);
    // Unchanged, the arguments pass both.
    ASSERT_TRUE(ValidateArgs(bound, args).ok()) << ValidateArgs(bound, args).message();
    ASSERT_TRUE(ArgsPass(plan, args));
    const int mutations = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int m = 0; m < mutations; ++m) Mutate(args, rng);
    const Status slow = ValidateArgs(bound, args);
    const bool fast = ArgsPass(plan, args);
    ASSERT_EQ(fast, slow.ok()) << bound.kernel.name << " round " << round << ": ValidateArgs says "
                               << (slow.ok() ? "ok" : slow.message());
    (fast ? accepted : rejected)++;
  }
  // The mutations reach both outcomes, so the agreement means something.
  EXPECT_GT(accepted, rounds / 20) << bound.kernel.name;
  EXPECT_GT(rejected, rounds / 4) << bound.kernel.name;
}

TEST(LaunchArgs, FastCheckAgreesWithValidateArgsOnEveryKernel) {
  const char* kKernels[] = {"vector_add", "rms_norm", "softmax", "layer_norm", "silu_mul", "gemm"};
  uint32_t seed = 1;
  for (const char* name : kKernels) {
    for (ir::DType dtype : {ir::DType::kF16, ir::DType::kF32}) {
      auto bound = testing::LoadAndBind(name, dtype, "");
      ASSERT_TRUE(bound.ok()) << name << ": " << bound.status().message();
      CheckAgreement(*bound, seed++, 3000);
    }
  }
}

constexpr const char* kScalarKernel = R"(
kernel scalars(x: tensor<f32>[M, N], y: tensor<f32>[N], a: i8, b: u8, c: i16, d: i32, e: i64, f: bool, g: f16)
  grid [M]
{
  %pid = program_id 0
}
)";

TEST(LaunchArgs, FastCheckAgreesOnIntegerScalarRanges) {
  auto module = ir::ParseModule(kScalarKernel, "scalars.tile");
  ASSERT_TRUE(module.ok()) << module.status().message();
  auto bound = ir::Bind(module->kernels[0], ir::Config{});
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  CheckAgreement(*bound, 99, 20000);

  // The edges of each dtype, explicitly.
  const ArgCheckPlan plan = MakeArgCheckPlan(*bound);
  std::mt19937 rng(7);
  const std::vector<hrt_arg_t> valid = ValidArgs(*bound, rng);
  struct Edge {
    size_t param;
    int64_t value;
    bool ok;
  };
  const Edge kEdges[] = {{2, -128, true},
                         {2, 127, true},
                         {2, 128, false},
                         {3, 0, true},
                         {3, 255, true},
                         {3, -1, false},
                         {4, -32768, true},
                         {4, 32768, false},
                         {5, INT32_MIN, true},
                         {5, INT32_MAX, true},
                         {5, int64_t{INT32_MAX} + 1, false},
                         {6, INT64_MIN, true},
                         {6, INT64_MAX, true},
                         {7, 1, true},
                         {7, 2, false},
                         {7, -1, false}};
  for (const Edge& e : kEdges) {
    std::vector<hrt_arg_t> args = valid;
    args[e.param].value.i = e.value;
    EXPECT_EQ(ArgsPass(plan, args), e.ok) << "param " << e.param << " = " << e.value;
    EXPECT_EQ(ValidateArgs(*bound, args).ok(), e.ok) << "param " << e.param << " = " << e.value;
  }
}

TEST(LaunchArgs, PlanIsUnusableBeyondItsShapeSymbolLimit) {
  std::string params;
  for (size_t i = 0; i <= kMaxPlannedShapeSyms; ++i) {
    params += (i ? ", " : "") + std::string("t") + std::to_string(i) + ": tensor<f32>[S" +
              std::to_string(i) + "]";
  }
  const std::string text = "kernel many(" + params + ")\n  grid [1]\n{\n  %pid = program_id 0\n}\n";
  auto module = ir::ParseModule(text, "many.tile");
  ASSERT_TRUE(module.ok()) << module.status().message();
  auto bound = ir::Bind(module->kernels[0], ir::Config{});
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  const ArgCheckPlan plan = MakeArgCheckPlan(*bound);
  EXPECT_FALSE(plan.usable);
  std::mt19937 rng(3);
  const std::vector<hrt_arg_t> args = ValidArgs(*bound, rng);
  // Not usable: the fast check says no and ValidateArgs decides.
  EXPECT_FALSE(ArgsPass(plan, args));
  EXPECT_TRUE(ValidateArgs(*bound, args).ok());
}

}  // namespace
}  // namespace hrt::runtime
