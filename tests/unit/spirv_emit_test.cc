// The SPIR-V emitter (codegen/spirv), without a Vulkan device: every standard
// kernel over a spread of its tuning space with every dtype, and hand-written
// kernels using every op code, are emitted and checked by
// `spirv-val --target-env vulkan1.2` (skipped, with the reason, when
// /usr/bin/spirv-val is absent; $HRT_SPIRV_VAL overrides the path); plus the
// module builder (header, id bound, deduplication, encoding), the argument
// layout, the layouts' ownership, the device-limit checks and the shape of
// the generated code. Execution against the interpreter is
// tests/unit/spirv_lavapipe_test.cc.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"
#include "codegen/spirv/abi.h"
#include "codegen/spirv/builder.h"
#include "codegen/spirv/layout.h"
#include "codegen/spirv/spec.h"
#include "codegen/spirv/spirv.h"
#include "kernels/testing/load_kernel.h"

namespace hrt {
namespace {

using spirv::Id;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string SpirvValPath() {
  if (const char* env = std::getenv("HRT_SPIRV_VAL")) return env;
  return "/usr/bin/spirv-val";
}

bool HaveSpirvVal() {
  return ::access(SpirvValPath().c_str(), X_OK) == 0;
}

struct ValResult {
  int status = -1;
  std::string output;
};

// Runs spirv-val on |words| through a temporary file.
ValResult RunSpirvVal(const std::vector<uint32_t>& words, const std::string& env) {
  ValResult r;
  const std::string tmpl = std::filesystem::temp_directory_path().string() + "/hrt_spv_XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    r.output = "mkstemp failed";
    return r;
  }
  const std::string path(name.data());
  const size_t bytes = words.size() * 4;
  const bool wrote = ::write(fd, words.data(), bytes) == static_cast<ssize_t>(bytes);
  ::close(fd);
  if (!wrote) {
    ::unlink(path.c_str());
    r.output = "short write";
    return r;
  }
  const std::string cmd = SpirvValPath() + " --target-env " + env + " " + path + " 2>&1";
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  ::unlink(path.c_str());
  return r;
}

// A desktop-class device: large enough for every standard config that a
// real GPU would take.
spirv::SpirvOptions BigDevice() {
  spirv::SpirvOptions o;
  o.max_shared_bytes = 96 * 1024;
  o.max_push_constant_bytes = 256;
  o.subgroup_size = 32;
  return o;
}

// Every config of |kernel|'s tuning space that binds (constraints hold).
std::vector<ir::BoundKernel> TuningSpace(const ir::Kernel& kernel) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> axes;
  for (const ir::DTypeParam& d : kernel.dtype_params) {
    std::vector<int64_t> v;
    for (ir::DType t : d.candidates) v.push_back(static_cast<int64_t>(t));
    axes.emplace_back(d.name, v);
  }
  for (const ir::Tunable& t : kernel.tunables) axes.emplace_back(t.name, t.candidates);
  std::vector<ir::BoundKernel> out;
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    ir::Config c;
    for (size_t i = 0; i < axes.size(); ++i) c.Set(axes[i].first, axes[i].second[at[i]]);
    auto b = ir::Bind(kernel, c);
    if (b.ok()) out.push_back(std::move(b.value()));
    size_t i = 0;
    while (i < axes.size() && ++at[i] == axes[i].second.size()) at[i++] = 0;
    if (i == axes.size()) break;
  }
  return out;
}

// |n| configs per dtype spread evenly over that dtype's part of |all|.
std::vector<const ir::BoundKernel*> SpreadPerDType(const std::vector<ir::BoundKernel>& all,
                                                   const ir::Kernel& kernel, size_t n) {
  std::vector<const ir::BoundKernel*> out;
  std::vector<std::vector<const ir::BoundKernel*>> groups;
  if (kernel.dtype_params.empty()) {
    groups.emplace_back();
    for (const auto& b : all) groups.back().push_back(&b);
  } else {
    const std::string& name = kernel.dtype_params[0].name;
    for (ir::DType t : kernel.dtype_params[0].candidates) {
      groups.emplace_back();
      for (const auto& b : all) {
        if (b.config.Get(name) == static_cast<int64_t>(t)) groups.back().push_back(&b);
      }
    }
  }
  for (const auto& g : groups) {
    if (g.size() <= n) {
      out.insert(out.end(), g.begin(), g.end());
      continue;
    }
    for (size_t i = 0; i < n; ++i) out.push_back(g[i * g.size() / n]);
  }
  return out;
}

Result<ir::BoundKernel> BindText(const std::string& text, const std::string& name,
                                 const std::string& config) {
  HRT_ASSIGN_OR_RETURN(ir::Module m, ir::ParseModule(text, "test"));
  const ir::Kernel* k = m.Find(name);
  if (!k) return NotFound(name);
  ir::Config c = ir::DefaultConfig(*k);
  HRT_ASSIGN_OR_RETURN(ir::Config over, ir::ParseConfig(config));
  for (const auto& [key, v] : over.entries) c.Set(key, v);
  return ir::Bind(*k, c);
}

// Instructions of a module as (opcode, operands).
struct Inst {
  uint32_t op;
  std::vector<uint32_t> operands;
};
std::vector<Inst> Decode(const std::vector<uint32_t>& words) {
  std::vector<Inst> out;
  for (size_t i = 5; i < words.size();) {
    const uint32_t count = words[i] >> 16;
    if (count == 0 || i + count > words.size()) break;
    out.push_back(Inst{words[i] & 0xffffu,
                       {words.begin() + static_cast<ptrdiff_t>(i) + 1,
                        words.begin() + static_cast<ptrdiff_t>(i + count)}});
    i += count;
  }
  return out;
}
size_t CountOp(const std::vector<uint32_t>& words, uint32_t op) {
  size_t n = 0;
  for (const Inst& i : Decode(words)) n += i.op == op;
  return n;
}
bool HasCapability(const spirv::SpirvKernel& k, uint32_t cap) {
  return std::find(k.capabilities.begin(), k.capabilities.end(), cap) != k.capabilities.end();
}

// Emits |kernels| and validates each; returns how many were emitted.
// Rejections must be kUnsupported with a reason.
size_t EmitAndValidate(const std::vector<const ir::BoundKernel*>& kernels,
                       const spirv::SpirvOptions& options, const std::string& tag) {
  size_t emitted = 0;
  for (const ir::BoundKernel* b : kernels) {
    const std::string what = tag + " " + b->config.ToString();
    auto k = spirv::EmitSpirv(*b, options);
    if (!k.ok()) {
      EXPECT_EQ(k.status().code(), Code::kUnsupported) << what << ": " << k.status().message();
      EXPECT_FALSE(k.status().message().empty());
      continue;
    }
    ++emitted;
    if (const char* dir = std::getenv("HRT_SPIRV_DUMP_DIR")) {  // for debugging the emitter
      std::string file = std::string(dir) + "/" + tag + "_" + std::to_string(emitted) + ".spv";
      std::replace(file.begin() + static_cast<ptrdiff_t>(std::strlen(dir)) + 1, file.end(), ' ',
                   '_');
      if (FILE* f = std::fopen(file.c_str(), "wb")) {
        std::fwrite(k->words.data(), 4, k->words.size(), f);
        std::fclose(f);
      }
    }
    const ValResult r = RunSpirvVal(k->words, "vulkan1.2");
    EXPECT_EQ(r.status, 0) << what << ":\n" << r.output.substr(0, 4000);
  }
  return emitted;
}

//===----------------------------------------------------------------------===//
// Standard kernels
//===----------------------------------------------------------------------===//

TEST(SpirvEmit, StandardKernelsValidateForVulkan12) {
  if (!HaveSpirvVal()) GTEST_SKIP() << "spirv-val not found at " << SpirvValPath();
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(testing::KernelsDir())) {
    if (e.path().extension() != ".tile") continue;
    ++files;
    auto m = testing::LoadKernelModule(e.path().stem().string());
    ASSERT_TRUE(m.ok()) << m.status().message();
    for (const ir::Kernel& k : m->kernels) {
      const std::vector<ir::BoundKernel> space = TuningSpace(k);
      ASSERT_FALSE(space.empty()) << k.name;
      // 16 picks per dtype: gemm's larger tiles (BLOCK_N 256) do not all fit
      // the device's shared memory with f32 elements.
      const auto picks = SpreadPerDType(space, k, 16);
      const size_t emitted = EmitAndValidate(picks, BigDevice(), k.name);
      // At least 8 configs per dtype (or all of a smaller space) fit the device.
      const size_t dtypes = k.dtype_params.empty() ? 1 : k.dtype_params[0].candidates.size();
      EXPECT_GE(emitted, std::min(picks.size(), 8 * dtypes)) << k.name;
    }
  }
  EXPECT_GE(files, 6u);
}

TEST(SpirvEmit, WorkgroupMemoryReductionsValidate) {
  // Devices without subgroup arithmetic reduce through a workgroup-memory tree.
  if (!HaveSpirvVal()) GTEST_SKIP() << "spirv-val not found at " << SpirvValPath();
  spirv::SpirvOptions o = BigDevice();
  o.subgroup_arithmetic = false;
  for (const char* name : {"rms_norm", "softmax", "layer_norm"}) {
    for (const char* config :
         {"BLOCK_N=64,WARPS=1", "BLOCK_N=1024,WARPS=4", "BLOCK_N=512,WARPS=16"}) {
      auto b = testing::LoadAndBind(name, ir::DType::kBF16, config);
      ASSERT_TRUE(b.ok()) << b.status().message();
      auto k = spirv::EmitSpirv(*b, o);
      ASSERT_TRUE(k.ok()) << name << " " << config << ": " << k.status().message();
      EXPECT_EQ(CountOp(k->words, spirv::spv::OpGroupNonUniformFAdd), 0u);
      EXPECT_FALSE(HasCapability(*k, spirv::spv::CapabilityGroupNonUniformArithmetic));
      const ValResult r = RunSpirvVal(k->words, "vulkan1.2");
      EXPECT_EQ(r.status, 0) << name << " " << config << ":\n" << r.output.substr(0, 4000);
    }
  }
}

TEST(SpirvEmit, ArgumentsInABufferValidate) {
  // A device with the minimum 128 bytes of push constants: gemm's four
  // tensors (144 bytes) move to an argument buffer.
  if (!HaveSpirvVal()) GTEST_SKIP() << "spirv-val not found at " << SpirvValPath();
  spirv::SpirvOptions o = BigDevice();
  o.max_push_constant_bytes = 128;
  auto b = testing::LoadAndBind("gemm", ir::DType::kF16,
                                "BLOCK_M=32,BLOCK_N=32,BLOCK_K=16,WARPS=2,STAGES=1");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto k = spirv::EmitSpirv(*b, o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_TRUE(k->args.in_buffer);
  EXPECT_EQ(k->args.push_constant_bytes, 8u);
  EXPECT_EQ(k->args.size, 144u);
  const ValResult r = RunSpirvVal(k->words, "vulkan1.2");
  EXPECT_EQ(r.status, 0) << r.output.substr(0, 4000);
}

//===----------------------------------------------------------------------===//
// Every op code and dtype
//===----------------------------------------------------------------------===//

constexpr const char kOps[] = R"tile(
kernel arith<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N])
  tunable BLOCK in {32, 64, 128} = 64
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m, other 1
  %y = load b[%offs], mask %m, other 1
  %r0 = add %x, %y
  %r1 = sub %x, %y
  %r2 = mul %x, %y
  %r3 = div %x, %y
  %r4 = rem %x, %y
  %r5 = max %x, %y
  %r6 = min %x, %y
  %r7 = neg %x
  %r8 = abs %x
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  %k7 = const 7 : i32
  %k8 = const 8 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %r6, mask %m
  store out[%k7, %offs], %r7, mask %m
  store out[%k8, %offs], %r8, mask %m
}

kernel bits<T in {bool, i8, u8, i16, i32, i64}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N], c: tensor<bool>[R, N])
  tunable WARPS in {1, 2} = 1
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %y = load b[%offs], mask %m
  %r0 = and %x, %y
  %r1 = or %x, %y
  %r2 = xor %x, %y
  %r3 = not %x
  %r4 = max %x, %y
  %r5 = min %x, %y
  %c0 = eq %x, %y
  %c1 = ne %x, %y
  %c2 = lt %x, %y
  %c3 = le %x, %y
  %c4 = gt %x, %y
  %c5 = ge %x, %y
  %s = select %c2, %x, %y
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %s, mask %m
  store c[%k0, %offs], %c0, mask %m
  store c[%k1, %offs], %c1, mask %m
  store c[%k2, %offs], %c2, mask %m
  store c[%k3, %offs], %c3, mask %m
  store c[%k4, %offs], %c4, mask %m
  store c[%k5, %offs], %c5, mask %m
}

kernel math<T in {f16, bf16, f32}>(a: tensor<T>[N], out: tensor<T>[R, N], c: tensor<bool>[N])
  tunable WARPS in {1, 4} = 4
  grid [cdiv(N, 128)]
{
  %pid = program_id 0
  %bs = const 128 : i32
  %base = mul %pid, %bs
  %lane = iota 128
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m, other 1
  %r0 = exp %x
  %r1 = exp2 %x
  %r2 = log %x
  %r3 = sqrt %x
  %r4 = rsqrt %x
  %r5 = tanh %x
  %r6 = sigmoid %x
  %r7 = erf %x
  %h = const 0.5 : T
  %c0 = gt %x, %h
  %r8 = select %c0, %r0, %r1
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  %k7 = const 7 : i32
  %k8 = const 8 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %r6, mask %m
  store out[%k7, %offs], %r7, mask %m
  store out[%k8, %offs], %r8, mask %m
  store c[%offs], %c0, mask %m
}

kernel cast<S in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}, D in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<S>[N], out: tensor<D>[N])
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %r = cast %x to D
  store out[%offs], %r, mask %m
}

kernel reduce<T in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], s0: tensor<T>[N], s1: tensor<T>[M], t: tensor<T>[K])
  tunable WARPS in {1, 2, 4} = 2
  grid [1]
{
  %r = iota 8
  %c = iota 32
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %v = load x[%r2, %c2]
  %b0 = reduce_max %v, axis 0
  %b1 = reduce_min %v, axis 1
  store s0[%c], %b0
  store s1[%r], %b1
  %flat = reshape %v to [256]
  %tm = reduce_max %flat, axis 0
  %tn = reduce_min %flat, axis 0
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  store t[%k0], %tm
  store t[%k1], %tn
}

kernel sums<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], s0: tensor<T>[N], s1: tensor<T>[M], t: tensor<T>[K])
  tunable WARPS in {1, 2, 4} = 4
  grid [1]
{
  %r = iota 8
  %c = iota 32
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %v = load x[%r2, %c2]
  %a0 = sum %v, axis 0
  %a1 = sum %v, axis 1
  store s0[%c], %a0
  store s1[%r], %a1
  %flat = reshape %v to [256]
  %ts = sum %flat, axis 0
  %k0 = const 0 : i32
  store t[%k0], %ts
}

kernel shapes<T in {i8, i32, i64, f16, f32}>(x: tensor<T>[M, N], tr: tensor<T>[N, M], fl: tensor<T>[K], bc: tensor<T>[M, N], ex: tensor<T>[M, N], pc: tensor<T>[M], pr: tensor<T>[N])
  tunable WARPS in {1, 3} = 1
  grid [1]
{
  %r = iota 8
  %c = iota 16
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %x = load x[%r2, %c2]
  %xt = transpose %x, [1, 0]
  %ci = expand_dims %c, 1
  %ri = expand_dims %r, 0
  store tr[%ci, %ri], %xt
  %xf = reshape %x to [128]
  %f = iota 128
  store fl[%f], %xf
  %k0 = const 0 : i32
  %row = load x[%k0, %c]
  %rb = broadcast %row to [8, 16]
  %s1 = add %x, %rb
  store bc[%r2, %c2], %s1
  %col = load x[%r, %k0]
  %ce = expand_dims %col, 1
  %s2 = sub %x, %ce
  %pr = reshape %r2 to [8]
  %pt = transpose %c2, [1, 0]
  %pf = reshape %pt to [16]
  %ps = add %pr, %k0
  store ex[%r2, %c2], %s2
  store pc[%ps], %col
  store pr[%pf], %row
}

kernel atomics<T in {i32, i64, f32}>(x: tensor<T>[N], out: tensor<T>[K], count: tensor<T>[C])
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %v = load x[%offs], mask %m
  %eight = const 8 : i32
  %idx = rem %offs, %eight
  atomic_add out[%idx], %v, mask %m
  %k0 = const 0 : i32
  %one = const 1 : T
  atomic_add count[%k0], %one
}

kernel loops<T in {i32, f32}>(x: tensor<T>[M, N], out: tensor<T>[M, W], cnt: tensor<i32>[M, C])
  tunable B in {16, 32, 64} = 32
  tunable WARPS in {1, 2} = 1
  grid [M]
{
  %row = program_id 0
  %n = sym N
  %bs = sym B
  %lane = iota B
  %c0 = const 0 : i32
  %c1 = const 1 : i32
  %c3 = const 3 : i32
  %zero = const 0 : T
  %acc0 = broadcast %zero to [B]
  %acc, %cnt, %p, %q = for %off = %c0 to %n step %bs iter(%a = %acc0, %k = %c0, %u = %c0, %w = %c1) {
    %cols = add %lane, %off
    %mask = lt %cols, %n
    %v = load x[%row, %cols], mask %mask, other 0
    %inner = for %j = %c0 to %c3 step %c1 iter(%ai = %a) {
      %a2 = add %ai, %v
      yield %a2
    }
    %k2 = add %k, %c1
    yield %inner, %k2, %w, %u
  }
  store out[%row, %lane], %acc
  store cnt[%row, %c0], %cnt
  store cnt[%row, %c1], %p
  %c2 = const 2 : i32
  store cnt[%row, %c2], %q
}

kernel args(b: bool, i8v: i8, u8v: u8, i16v: i16, i32v: i32, i64v: i64, f16v: f16, bf16v: bf16, f32v: f32, ob: tensor<bool>[K], oi8: tensor<i8>[K], ou8: tensor<u8>[K], oi16: tensor<i16>[K], oi32: tensor<i32>[K], oi64: tensor<i64>[K], of16: tensor<f16>[K], obf16: tensor<bf16>[K], of32: tensor<f32>[K])
  grid [1]
{
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %a0 = arg b
  %a1 = arg i8v
  %a2 = arg u8v
  %a3 = arg i16v
  %a4 = arg i32v
  %a5 = arg i64v
  %a6 = arg f16v
  %a7 = arg bf16v
  %a8 = arg f32v
  store ob[%k0], %a0
  store oi8[%k0], %a1
  store ou8[%k0], %a2
  store oi16[%k0], %a3
  store oi32[%k0], %a4
  store oi64[%k0], %a5
  store of16[%k0], %a6
  store obf16[%k0], %a7
  store of32[%k0], %a8
  %l = load oi32[%k1], mask %a0, other 3
  %s = add %l, %a4
  store oi32[%k1], %s
}

kernel dots<T in {f16, bf16, f32}>(a: tensor<T>[M, K], b: tensor<T>[K, N], c: tensor<f32>[M, N], d: tensor<f32>[M, N])
  tunable BM in {16, 32} = 32
  tunable BN in {8, 16, 32} = 16
  tunable BK in {8, 16} = 16
  tunable WARPS in {1, 2} = 2
  grid [cdiv(M, BM), cdiv(N, BN)]
{
  %pm = program_id 0
  %pn = program_id 1
  %bm = sym BM
  %bn = sym BN
  %m = sym M
  %n = sym N
  %k = sym K
  %r0 = mul %pm, %bm
  %c0 = mul %pn, %bn
  %ri = iota BM
  %rows = add %ri, %r0
  %ci = iota BN
  %cols = add %ci, %c0
  %ki = iota BK
  %rows2 = expand_dims %rows, 1
  %cols2 = expand_dims %cols, 0
  %ka = expand_dims %ki, 0
  %kb = expand_dims %ki, 1
  %rok = lt %rows2, %m
  %cok = lt %cols2, %n
  %kaok = lt %ka, %k
  %kbok = lt %kb, %k
  %am = and %rok, %kaok
  %bmk = and %kbok, %cok
  %at = load a[%rows2, %ka], mask %am, other 0
  %bt = load b[%kb, %cols2], mask %bmk, other 0
  %p = dot %at, %bt
  %two = const 2 : T
  %a2 = mul %at, %two
  %q = dot %a2, %bt, %p
  %cm = and %rok, %cok
  store c[%rows2, %cols2], %p, mask %cm
  store d[%rows2, %cols2], %q, mask %cm
}
)tile";

TEST(SpirvEmit, EveryOpCodeAndDTypeValidates) {
  if (!HaveSpirvVal()) GTEST_SKIP() << "spirv-val not found at " << SpirvValPath();
  auto m = ir::ParseModule(kOps, "ops");
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::set<ir::OpCode> used;
  const auto walk = [&](const auto& self, const ir::Block& b) -> void {
    for (const ir::Op& op : b.ops) {
      used.insert(op.code);
      for (const ir::Block& r : op.regions) self(self, r);
    }
  };
  spirv::SpirvOptions full = BigDevice();
  full.int64_atomics = true;
  spirv::SpirvOptions no_subgroups = full;
  no_subgroups.subgroup_arithmetic = false;
  spirv::SpirvOptions extended = full;
  extended.subgroup_extended_types = true;
  extended.atomic_float32_add = true;
  extended.rounding_mode_rte_f32 = true;
  extended.denorm_preserve_f32 = true;
  extended.signed_zero_inf_nan_preserve_f32 = true;
  for (const ir::Kernel& k : m->kernels) {
    walk(walk, k.body);
    const std::vector<ir::BoundKernel> space = TuningSpace(k);
    ASSERT_FALSE(space.empty()) << k.name;
    std::vector<const ir::BoundKernel*> all;
    for (const auto& b : space) all.push_back(&b);
    EXPECT_EQ(EmitAndValidate(all, full, k.name), all.size()) << k.name;
    const std::vector<const ir::BoundKernel*> few(all.begin(),
                                                  all.begin() + std::min<ptrdiff_t>(6, all.size()));
    EXPECT_EQ(EmitAndValidate(few, no_subgroups, k.name + " (no subgroups)"), few.size());
    EXPECT_EQ(EmitAndValidate(few, extended, k.name + " (extended)"), few.size());
  }
  EXPECT_EQ(used.size(), static_cast<size_t>(ir::kNumOpCodes)) << "the corpus misses an op code";
}

//===----------------------------------------------------------------------===//
// Shape of the generated code
//===----------------------------------------------------------------------===//

TEST(SpirvEmit, ModuleDeclaresComputeEntryAndPushConstants) {
  auto b = testing::LoadAndBind("rms_norm", ir::DType::kF16, "BLOCK_N=256,WARPS=2");
  ASSERT_TRUE(b.ok()) << b.status().message();
  spirv::SpirvOptions o = BigDevice();
  o.entry_name = "rms_f16";
  auto k = spirv::EmitSpirv(*b, o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->entry_name, "rms_f16");
  EXPECT_EQ(k->local_size, (std::array<uint32_t, 3>{64, 1, 1}));
  EXPECT_FALSE(k->args.in_buffer);
  // x [M, N]: 8 + 16 + 16; w [N]: 8 + 8 + 8; y [M, N]: 40; eps: 4 -> 108, padded to 112.
  EXPECT_EQ(k->args.size, 112u);
  EXPECT_EQ(k->args.push_constant_bytes, 112u);
  EXPECT_TRUE(HasCapability(*k, spirv::spv::CapabilityPhysicalStorageBufferAddresses));
  EXPECT_TRUE(HasCapability(*k, spirv::spv::CapabilityInt64));
  EXPECT_TRUE(HasCapability(*k, spirv::spv::CapabilityStorageBuffer16BitAccess));
  EXPECT_TRUE(HasCapability(*k, spirv::spv::CapabilityGroupNonUniformArithmetic));
  // f16 is computed in f32: no Float16 arithmetic, no 8-bit storage.
  EXPECT_FALSE(HasCapability(*k, spirv::spv::CapabilityFloat16));
  EXPECT_FALSE(HasCapability(*k, spirv::spv::CapabilityStorageBuffer8BitAccess));
  bool entry = false, local_size = false, memory_model = false;
  for (const Inst& i : Decode(k->words)) {
    if (i.op == spirv::spv::OpEntryPoint) {
      entry = i.operands[0] == spirv::spv::ExecutionModelGLCompute;
    }
    if (i.op == spirv::spv::OpExecutionMode &&
        i.operands[1] == spirv::spv::ExecutionModeLocalSize) {
      local_size = i.operands[2] == 64 && i.operands[3] == 1 && i.operands[4] == 1;
    }
    if (i.op == spirv::spv::OpMemoryModel) {
      memory_model = i.operands[0] == spirv::spv::AddressingModelPhysicalStorageBuffer64 &&
                     i.operands[1] == spirv::spv::MemoryModelGLSL450;
    }
  }
  EXPECT_TRUE(entry);
  EXPECT_TRUE(local_size);
  EXPECT_TRUE(memory_model);
  EXPECT_EQ(k->words[0], spirv::spv::kMagicNumber);
  EXPECT_EQ(k->words[1], spirv::spv::kVersion1_5);
  // Row reductions: one subgroup sum per reduction, partials in workgroup memory.
  EXPECT_EQ(CountOp(k->words, spirv::spv::OpGroupNonUniformFAdd), 1u);
  EXPECT_GT(k->workgroup_bytes, 0u);
}

TEST(SpirvEmit, DotIsARegisterTileOfUncontractedMultiplyAdds) {
  auto b = testing::LoadAndBind("gemm", ir::DType::kF32,
                                "BLOCK_M=64,BLOCK_N=64,BLOCK_K=16,WARPS=4,STAGES=1");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto k = spirv::EmitSpirv(*b, BigDevice());
  ASSERT_TRUE(k.ok()) << k.status().message();
  // 64x64 over 128 invocations: a 4x8 register tile per invocation, so the
  // k loop holds 32 multiplies and 32 adds (plus the bias add outside).
  size_t no_contraction = 0;
  for (const Inst& i : Decode(k->words)) {
    if (i.op == spirv::spv::OpDecorate && i.operands[1] == spirv::spv::DecorationNoContraction) {
      ++no_contraction;
    }
  }
  EXPECT_GE(no_contraction, 64u);
  EXPECT_EQ(CountOp(k->words, spirv::spv::OpFMul) >= 32, true);
  // A and B staged as f32 words: (64*16 + 16*64 + 128 dump) * 4 bytes. The
  // bias add and the store work in the accumulator's layout (no move).
  EXPECT_EQ(k->workgroup_bytes, (64 * 16 + 16 * 64 + 128) * 4u);
}

TEST(SpirvEmit, MaskedLoadsBranchAroundTheAccess) {
  auto b = testing::LoadAndBind("vector_add", ir::DType::kF32, "BLOCK=256,WARPS=2");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto k = spirv::EmitSpirv(*b, BigDevice());
  ASSERT_TRUE(k.ok()) << k.status().message();
  // 256 elements over 64 invocations: 4 slots; two loads and a store each.
  EXPECT_EQ(CountOp(k->words, spirv::spv::OpSelectionMerge), 12u);
  EXPECT_EQ(CountOp(k->words, spirv::spv::OpLoad) >= 8, true);
  EXPECT_EQ(k->workgroup_bytes, 0u);  // no reductions, no conversions
}

//===----------------------------------------------------------------------===//
// Limits and malformed input
//===----------------------------------------------------------------------===//

TEST(SpirvEmit, RejectsConfigsBeyondTheDevice) {
  auto big = testing::LoadAndBind("softmax", ir::DType::kF32, "BLOCK_N=8192,WARPS=16");
  ASSERT_TRUE(big.ok()) << big.status().message();
  spirv::SpirvOptions o = BigDevice();
  o.max_workgroup_invocations = 256;
  auto k = spirv::EmitSpirv(*big, o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUnsupported);
  EXPECT_NE(k.status().message().find("512 invocations"), std::string::npos)
      << k.status().message();

  auto gemm = testing::LoadAndBind("gemm", ir::DType::kBF16,
                                   "BLOCK_M=128,BLOCK_N=128,BLOCK_K=64,WARPS=8,STAGES=1");
  ASSERT_TRUE(gemm.ok()) << gemm.status().message();
  o = BigDevice();
  o.max_shared_bytes = 48 * 1024;
  k = spirv::EmitSpirv(*gemm, o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUnsupported);
  EXPECT_NE(k.status().message().find("workgroup memory"), std::string::npos)
      << k.status().message();

  auto half = testing::LoadAndBind("vector_add", ir::DType::kF16, "");
  ASSERT_TRUE(half.ok());
  o = BigDevice();
  o.storage_buffer_16bit = false;
  k = spirv::EmitSpirv(*half, o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUnsupported);
  EXPECT_NE(k.status().message().find("storageBuffer16BitAccess"), std::string::npos);

  o = BigDevice();
  o.shader_int64 = false;
  k = spirv::EmitSpirv(*half, o);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("shaderInt64"), std::string::npos);

  auto bits = BindText(kOps, "bits", "T=u8");
  ASSERT_TRUE(bits.ok()) << bits.status().message();
  o = BigDevice();
  o.storage_buffer_8bit = false;
  k = spirv::EmitSpirv(*bits, o);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("storageBuffer8BitAccess"), std::string::npos);

  auto atom = BindText(kOps, "atomics", "T=i64");
  ASSERT_TRUE(atom.ok()) << atom.status().message();
  k = spirv::EmitSpirv(*atom, BigDevice());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("shaderBufferInt64Atomics"), std::string::npos);
}

TEST(SpirvEmit, HugeTilesAreRejectedNotEmitted) {
  constexpr const char kHuge[] = R"tile(
kernel huge(x: tensor<f32>[N], y: tensor<f32>[N])
  tunable WARPS in {1} = 1
  grid [1]
{
  %i = iota 65536
  %v = load x[%i]
  %w = exp %v
  store y[%i], %w
}
)tile";
  auto b = BindText(kHuge, "huge", "");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto k = spirv::EmitSpirv(*b, BigDevice());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUnsupported);
  EXPECT_NE(k.status().message().find("2048 values per invocation"), std::string::npos)
      << k.status().message();
}

TEST(SpirvEmit, RejectsUnboundKernelsAndBadEntryNames) {
  auto m = testing::LoadKernelModule("vector_add");
  ASSERT_TRUE(m.ok());
  ir::BoundKernel unbound;
  unbound.kernel = m->kernels[0];  // no tunable or dtype values
  auto k = spirv::EmitSpirv(unbound, BigDevice());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kInvalidArgument);

  auto b = testing::LoadAndBind("vector_add", ir::DType::kF32, "");
  ASSERT_TRUE(b.ok());
  spirv::SpirvOptions o = BigDevice();
  for (const char* bad : {"1abc", "a-b", "a b"}) {
    o.entry_name = bad;
    k = spirv::EmitSpirv(*b, o);
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
  }
}

//===----------------------------------------------------------------------===//
// The module builder
//===----------------------------------------------------------------------===//

TEST(SpirvBuilder, HeaderWordsAndIdBound) {
  spirv::ModuleBuilder m(spirv::spv::kVersion1_3);
  const Id a = m.NewId();
  const Id b = m.NewId();
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  m.TypeInt(32, false);
  const std::vector<uint32_t> words = m.Finish();
  ASSERT_GE(words.size(), 5u);
  EXPECT_EQ(words[0], 0x07230203u);
  EXPECT_EQ(words[1], 0x00010300u);
  EXPECT_EQ(words[2], 0u);  // generator
  EXPECT_EQ(words[3], m.id_bound());
  EXPECT_EQ(words[3], 4u);  // ids 1..3 used
  EXPECT_EQ(words[4], 0u);  // schema
  // The one instruction: OpTypeInt %3 32 0.
  ASSERT_EQ(words.size(), 9u);
  EXPECT_EQ(words[5], (4u << 16) | spirv::spv::OpTypeInt);
  EXPECT_EQ(words[6], 3u);
  EXPECT_EQ(words[7], 32u);
  EXPECT_EQ(words[8], 0u);
}

TEST(SpirvBuilder, TypesAndConstantsAreDeduplicated) {
  spirv::ModuleBuilder m(spirv::spv::kVersion1_5);
  const Id i32 = m.TypeInt(32, true);
  EXPECT_EQ(m.TypeInt(32, true), i32);
  EXPECT_NE(m.TypeInt(32, false), i32);
  EXPECT_NE(m.TypeInt(64, true), i32);
  const Id f32 = m.TypeFloat(32);
  EXPECT_EQ(m.TypeFloat(32), f32);
  EXPECT_EQ(m.TypeVector(f32, 4), m.TypeVector(f32, 4));
  EXPECT_NE(m.TypeVector(f32, 4), m.TypeVector(f32, 2));
  const Id ptr = m.TypePointer(spirv::spv::StorageClassPhysicalStorageBuffer, f32);
  EXPECT_EQ(m.TypePointer(spirv::spv::StorageClassPhysicalStorageBuffer, f32), ptr);
  EXPECT_NE(m.TypePointer(spirv::spv::StorageClassWorkgroup, f32), ptr);
  // Arrays differ by stride (a decoration), structs are never merged.
  EXPECT_EQ(m.TypeArray(f32, 4, 4), m.TypeArray(f32, 4, 4));
  EXPECT_NE(m.TypeArray(f32, 4, 4), m.TypeArray(f32, 4, 0));
  const Id members[2] = {f32, i32};
  EXPECT_NE(m.TypeStruct(members), m.TypeStruct(members));

  const Id five = m.Constant(i32, 5);
  EXPECT_EQ(m.Constant(i32, 5), five);
  EXPECT_NE(m.Constant(i32, 6), five);
  EXPECT_NE(m.Constant(m.TypeInt(32, false), 5), five);
  EXPECT_EQ(m.ConstantBool(true), m.ConstantBool(true));
  EXPECT_NE(m.ConstantBool(true), m.ConstantBool(false));
  Id type = 0;
  uint64_t bits = 0;
  ASSERT_TRUE(m.LookupConstant(five, &type, &bits));
  EXPECT_EQ(type, i32);
  EXPECT_EQ(bits, 5u);
  EXPECT_FALSE(m.LookupConstant(f32, &type, &bits));
  // 64-bit constants take two words, low first.
  const Id i64 = m.TypeInt(64, true);
  const Id big = m.Constant(i64, 0x123456789abcdef0ull);
  bool seen = false;
  for (const Inst& i : Decode(m.Finish())) {
    if (i.op == spirv::spv::OpConstant && i.operands[1] == big) {
      seen = true;
      ASSERT_EQ(i.operands.size(), 4u);
      EXPECT_EQ(i.operands[2], 0x9abcdef0u);
      EXPECT_EQ(i.operands[3], 0x12345678u);
    }
  }
  EXPECT_TRUE(seen);
  // Each capability and extension once, in first-use order.
  m.AddCapability(spirv::spv::CapabilityShader);
  m.AddCapability(spirv::spv::CapabilityInt64);
  m.AddCapability(spirv::spv::CapabilityShader);
  EXPECT_EQ(m.capabilities(),
            (std::vector<uint32_t>{spirv::spv::CapabilityShader, spirv::spv::CapabilityInt64}));
  m.AddExtension("SPV_X");
  m.AddExtension("SPV_X");
  EXPECT_EQ(m.extensions().size(), 1u);
  EXPECT_EQ(m.ImportExtInst("GLSL.std.450"), m.ImportExtInst("GLSL.std.450"));
}

TEST(SpirvBuilder, LiteralStringsAreNulTerminatedAndPadded) {
  std::vector<uint32_t> w;
  spirv::AppendLiteralString(&w, "main");
  EXPECT_EQ(w, (std::vector<uint32_t>{0x6e69616du, 0u}));
  w.clear();
  spirv::AppendLiteralString(&w, "abc");
  EXPECT_EQ(w, (std::vector<uint32_t>{0x00636261u}));
  w.clear();
  spirv::AppendLiteralString(&w, "");
  EXPECT_EQ(w, (std::vector<uint32_t>{0u}));
  w.clear();
  spirv::EncodeInstruction(&w, spirv::spv::OpCapability, std::vector<uint32_t>{1});
  EXPECT_EQ(w, (std::vector<uint32_t>{(2u << 16) | 17u, 1u}));
}

// The builder knows nothing of Vulkan: the same calls make a valid OpenCL
// kernel (Kernel execution model, Physical64 addressing, arguments as
// function parameters): out[get_global_id(0)] = 1.0f.
TEST(SpirvBuilder, BuildsAValidOpenClKernelToo) {
  if (!HaveSpirvVal()) GTEST_SKIP() << "spirv-val not found at " << SpirvValPath();
  namespace spv = spirv::spv;
  spirv::ModuleBuilder m(spv::kVersion1_0);
  m.AddCapability(spv::CapabilityAddresses);
  m.AddCapability(spv::CapabilityKernel);
  m.AddCapability(spv::CapabilityInt64);
  m.SetMemoryModel(spv::AddressingModelPhysical64, spv::MemoryModelOpenCL);
  const Id void_t = m.TypeVoid();
  const Id f32 = m.TypeFloat(32);
  const Id u64 = m.TypeInt(64, false);
  const Id v3 = m.TypeVector(u64, 3);
  const Id global_ptr = m.TypePointer(spv::StorageClassCrossWorkgroup, f32);
  const Id gid = m.Variable(m.TypePointer(spv::StorageClassInput, v3), spv::StorageClassInput);
  m.Decorate(gid, spv::DecorationBuiltIn, {spv::BuiltInGlobalInvocationId});
  m.Decorate(gid, spv::DecorationConstant);
  const Id params[1] = {global_ptr};
  spirv::Function* k = m.AddFunction(void_t, m.TypeFunction(void_t, params));
  const Id out = k->AddParameter(global_ptr);
  k->BeginBlock(m.NewId());
  const Id ids = k->Emit(spv::OpLoad, v3, {gid, spv::MemoryAccessAligned, 32});
  const Id x = k->Emit(spv::OpCompositeExtract, u64, {ids, 0});
  const Id elem = k->Emit(spv::OpInBoundsPtrAccessChain, global_ptr, {out, x});
  k->EmitVoid(spv::OpStore,
              {elem, m.Constant(f32, std::bit_cast<uint32_t>(1.0f)), spv::MemoryAccessAligned, 4});
  k->EmitVoid(spv::OpReturn, {});
  const Id interface[1] = {gid};
  m.AddEntryPoint(spv::ExecutionModelKernel, k->id(), "fill", interface);
  const ValResult r = RunSpirvVal(m.Finish(), "opencl2.2");
  EXPECT_EQ(r.status, 0) << r.output;
}

//===----------------------------------------------------------------------===//
// Argument layout and layouts
//===----------------------------------------------------------------------===//

TEST(SpirvAbi, FieldsFollowTheParameterOrderWithNaturalAlignment) {
  auto b = BindText(kOps, "args", "");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const spirv::ArgLayout l = spirv::MakeArgLayout(*b, 128);
  ASSERT_EQ(l.params.size(), 18u);
  // Scalars: 4 bytes each except i64 (8-aligned): b i8 u8 i16 i32 at 0..16,
  // i64 at 24, f16 bf16 f32 at 32, 36, 40; tensors from 48, 24 bytes each.
  const uint32_t want[9] = {0, 4, 8, 12, 16, 24, 32, 36, 40};
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(l.params[static_cast<size_t>(i)].scalar_offset, want[i]) << i;
  }
  EXPECT_EQ(l.params[5].scalar_size, 8u);
  EXPECT_EQ(l.params[9].address_offset, 48u);
  EXPECT_EQ(l.params[9].size_offsets[0], 56u);
  EXPECT_EQ(l.params[9].stride_offsets[0], 64u);
  EXPECT_EQ(l.params[17].address_offset, 48u + 8 * 24);
  EXPECT_EQ(l.size, 48u + 9 * 24);
  EXPECT_TRUE(l.in_buffer);  // 264 > 128
  EXPECT_EQ(l.push_constant_bytes, 8u);
  EXPECT_FALSE(spirv::MakeArgLayout(*b, 512).in_buffer);

  std::vector<uint8_t> block(l.size, 0);
  const int64_t sizes[1] = {7}, strides[1] = {-1};
  ASSERT_TRUE(spirv::WriteTensorArg(l, 9, 0x1000, sizes, strides, block).ok());
  uint64_t addr = 0;
  int64_t size = 0, stride = 0;
  std::memcpy(&addr, &block[48], 8);
  std::memcpy(&size, &block[56], 8);
  std::memcpy(&stride, &block[64], 8);
  EXPECT_EQ(addr, 0x1000u);
  EXPECT_EQ(size, 7);
  EXPECT_EQ(stride, -1);
  ASSERT_TRUE(spirv::WriteScalarArg(l, 6, 0, 1.0, block).ok());  // f16 1.0
  uint32_t half = 0;
  std::memcpy(&half, &block[32], 4);
  EXPECT_EQ(half, 0x3c00u);
  ASSERT_TRUE(spirv::WriteScalarArg(l, 1, -3, 0, block).ok());  // i8 -3
  int32_t i8 = 0;
  std::memcpy(&i8, &block[4], 4);
  EXPECT_EQ(i8, -3);
  EXPECT_FALSE(spirv::WriteScalarArg(l, 9, 0, 0, block).ok());               // a tensor
  EXPECT_FALSE(spirv::WriteTensorArg(l, 0, 0, sizes, strides, block).ok());  // a scalar
  EXPECT_FALSE(spirv::WriteTensorArg(l, 9, 0, {}, {}, block).ok());          // rank
  std::vector<uint8_t> small(8);
  EXPECT_FALSE(spirv::WriteTensorArg(l, 9, 0, sizes, strides, small).ok());
}

TEST(SpirvLayout, EveryElementHasExactlyOneOwner) {
  const int64_t shapes[][2] = {{1, 64}, {8, 32}, {5, 7}, {128, 128}, {16, 8}, {3, 1024}};
  for (const auto& dims : shapes) {
    for (uint32_t threads : {32u, 64u, 96u, 256u}) {
      spirv::Shape s;
      s.rank = 2;
      s.dims[0] = dims[0];
      s.dims[1] = dims[1];
      std::vector<spirv::Layout> layouts = {spirv::MakeBlocked(s, threads, 1),
                                            spirv::MakeBlocked(s, threads, 4),
                                            spirv::MakeTiled(s, threads, {2, 4, 1, 1})};
      for (const spirv::Layout& l : layouts) {
        std::vector<int> seen(static_cast<size_t>(s.numel()), 0);
        for (int64_t t = 0; t < threads; ++t) {
          for (int64_t slot = 0; slot < l.slots; ++slot) {
            if (!l.SlotValidFor(t, slot)) continue;
            const int64_t r = l.ThreadBase(t, 0) + l.SlotOffset(slot, 0);
            const int64_t c = l.ThreadBase(t, 1) + l.SlotOffset(slot, 1);
            ++seen[static_cast<size_t>(r * dims[1] + c)];
            const int64_t coords[2] = {r, c};
            int64_t owner = -1, owner_slot = -1;
            l.Owner(coords, &owner, &owner_slot);
            EXPECT_EQ(owner, t);
            EXPECT_EQ(owner_slot, slot);
          }
        }
        for (int n : seen) ASSERT_EQ(n, 1) << dims[0] << "x" << dims[1] << " over " << threads;
      }
    }
  }
}

}  // namespace
}  // namespace hrt
