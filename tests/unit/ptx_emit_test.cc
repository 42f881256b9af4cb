// The PTX emitter (codegen/ptx), without a GPU: every standard kernel over a
// spread of its tuning space, and hand-written kernels using every op code
// with every dtype, are emitted and assembled by ptxas for sm_80 and sm_90a
// (skipped, with the reason, when /usr/local/cuda/bin/ptxas is absent);
// plus the launch ABI, the layouts' ownership, the limit checks and the
// shape of the generated code (vector accesses, mma, shuffles). Numerical
// agreement with the interpreter is checked on a GPU through the CUDA
// backend (tests/gpu).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/abi.h"
#include "codegen/ptx/layout.h"
#include "codegen/ptx/ptx.h"

namespace hrt {
namespace {

// Kernels using every op code, each with every dtype it accepts. The GPU
// harness runs the same corpus against the interpreter.
constexpr const char kOpKernels[] = R"tile(
kernel arith<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N])
  tunable BLOCK in {32, 64, 128, 256} = 128
  tunable WARPS in {1, 2, 4} = 2
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

kernel bits<T in {bool, i8, u8, i16, i32, i64}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N])
  tunable BLOCK in {32, 64, 128, 256} = 64
  tunable WARPS in {1, 2, 4} = 1
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
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
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
}

kernel cmp<T in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<bool>[R, N])
  tunable BLOCK in {32, 64, 128, 256} = 128
  tunable WARPS in {1, 2, 4} = 4
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %y = load b[%offs], mask %m
  %r0 = eq %x, %y
  %r1 = ne %x, %y
  %r2 = lt %x, %y
  %r3 = le %x, %y
  %r4 = gt %x, %y
  %r5 = ge %x, %y
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
}

kernel sel<T in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(c: tensor<bool>[N], a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[N])
  tunable BLOCK in {32, 64, 128, 256} = 256
  tunable WARPS in {1, 2, 4} = 2
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %cv = load c[%offs], mask %m
  %x = load a[%offs], mask %m
  %y = load b[%offs], mask %m
  %r = select %cv, %x, %y
  store out[%offs], %r, mask %m
}

kernel math<T in {f16, bf16, f32}>(a: tensor<T>[N], out: tensor<T>[R, N])
  tunable BLOCK in {32, 64, 128, 256} = 128
  tunable WARPS in {1, 2, 4} = 4
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
  %r0 = exp %x
  %r1 = exp2 %x
  %r2 = log %x
  %r3 = sqrt %x
  %r4 = rsqrt %x
  %r5 = tanh %x
  %r6 = sigmoid %x
  %r7 = erf %x
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  %k7 = const 7 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %r6, mask %m
  store out[%k7, %offs], %r7, mask %m
}

kernel cast<S in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}, D in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<S>[N], out: tensor<D>[N])
  tunable BLOCK in {32, 64, 128, 256} = 64
  tunable WARPS in {1, 2, 4} = 2
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %r = cast %x to D
  store out[%offs], %r, mask %m
}

kernel reduce<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], s0: tensor<T>[N], s1: tensor<T>[M], x0: tensor<T>[N], x1: tensor<T>[M], n0: tensor<T>[N], n1: tensor<T>[M], tot: tensor<T>[K])
  tunable WARPS in {1, 2, 4} = 2
  grid [1]
{
  %r = iota 8
  %c = iota 32
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %t = load x[%r2, %c2]
  %a0 = sum %t, axis 0
  %a1 = sum %t, axis 1
  %b0 = reduce_max %t, axis 0
  %b1 = reduce_max %t, axis 1
  %d0 = reduce_min %t, axis 0
  %d1 = reduce_min %t, axis 1
  store s0[%c], %a0
  store s1[%r], %a1
  store x0[%c], %b0
  store x1[%r], %b1
  store n0[%c], %d0
  store n1[%r], %d1
  %flat = reshape %t to [256]
  %ts = sum %flat, axis 0
  %tm = reduce_max %flat, axis 0
  %tn = reduce_min %flat, axis 0
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  store tot[%k0], %ts
  store tot[%k1], %tm
  store tot[%k2], %tn
}

kernel reduce_bool(x: tensor<bool>[M, N], any0: tensor<bool>[N], all1: tensor<bool>[M], flags: tensor<bool>[K])
  tunable WARPS in {1, 2, 4} = 4
  grid [1]
{
  %r = iota 4
  %c = iota 64
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %t = load x[%r2, %c2]
  %a = reduce_max %t, axis 0
  %b = reduce_min %t, axis 1
  store any0[%c], %a
  store all1[%r], %b
  %row = load x[%r, %r]
  %any = reduce_max %row, axis 0
  %all = reduce_min %row, axis 0
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  store flags[%k0], %any
  store flags[%k1], %all
}

kernel shapes<T in {i8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], tr: tensor<T>[N, M], fl: tensor<T>[K], bc: tensor<T>[M, N], ex: tensor<T>[M, N])
  tunable WARPS in {1, 2, 4} = 1
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
  store ex[%r2, %c2], %s2
}

kernel atomics<T in {i32, i64, f32}>(x: tensor<T>[N], out: tensor<T>[K], count: tensor<T>[C])
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

kernel gather<T in {i8, f16, f32, i64}>(x: tensor<T>[N], idx: tensor<i32>[M], out: tensor<T>[M])
  tunable BLOCK in {32, 64, 128} = 64
  tunable WARPS in {1, 2} = 1
  grid [cdiv(M, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %m = sym M
  %ok = lt %offs, %m
  %i = load idx[%offs], mask %ok
  %v = load x[%i], mask %ok, other 7
  store out[%offs], %v, mask %ok
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
  %l = load oi32[%k1]
  %s = add %l, %a4
  store oi32[%k1], %s
  %nb = not %a0
  store ob[%k1], %nb
  %h = mul %a6, %a6
  store of16[%k1], %h
}

kernel dots<T in {f16, bf16, f32}>(a: tensor<T>[M, K], b: tensor<T>[K, N], c: tensor<f32>[M, N], d: tensor<f32>[M, N])
  tunable BM in {16, 32, 64} = 32
  tunable BN in {8, 16, 32, 64} = 32
  tunable BK in {8, 16, 32} = 16
  tunable WARPS in {1, 2, 4} = 2
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

kernel odd<T in {i16, f32, bf16}>(x: tensor<T>[M, N], y: tensor<T>[M, N], s: tensor<T>[M])
  tunable WARPS in {1, 3} = 3
  grid [cdiv(M, 5)]
{
  %pid = program_id 0
  %five = const 5 : i32
  %r0 = mul %pid, %five
  %ri = iota 5
  %rows = add %ri, %r0
  %cols = iota 7
  %r2 = expand_dims %rows, 1
  %c2 = expand_dims %cols, 0
  %m = sym M
  %n = sym N
  %rok = lt %r2, %m
  %cok = lt %c2, %n
  %mask = and %rok, %cok
  %v = load x[%r2, %c2], mask %mask, other 2
  %t = transpose %v, [1, 0]
  %tf = reshape %t to [35]
  %back = reshape %tf to [7, 5]
  %u = transpose %back, [1, 0]
  %w = add %u, %v
  store y[%r2, %c2], %w, mask %mask
  %rs = sum %w, axis 1
  %rok1 = lt %rows, %m
  store s[%rows], %rs, mask %rok1
}

kernel rank3<T in {i32, f16}>(x: tensor<T>[A, B, C], y: tensor<T>[A, C, B], z: tensor<T>[A, B])
  tunable WARPS in {1, 2} = 2
  grid [A]
{
  %a = program_id 0
  %ib = iota 4
  %ic = iota 8
  %b2 = expand_dims %ib, 1
  %c2 = expand_dims %ic, 0
  %a64 = cast %a to i64
  %b64 = cast %b2 to i64
  %v = load x[%a64, %b64, %c2]
  %vt = transpose %v, [1, 0]
  %c3 = expand_dims %ic, 1
  %b3 = expand_dims %ib, 0
  store y[%a, %c3, %b3], %vt
  %e = expand_dims %v, 0
  %mx = reduce_max %e, axis 2
  %r = reshape %mx to [4]
  store z[%a, %ib], %r
}

kernel scalars<T in {i32, f32, i64}>(x: tensor<T>[N], y: tensor<T>[N], flag: i32)
  grid [1]
{
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %f = arg flag
  %on = ne %f, %k0
  %a = load x[%k0]
  %b = load x[%k1], mask %on, other 5
  %c = add %a, %b
  store y[%k0], %c
  store y[%k1], %b, mask %on
  %n = sym N
  %nm1 = sub %n, %k1
  %last = load x[%nm1]
  %d = mul %last, %c
  store y[%k2], %d
}
)tile";

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string PtxasPath() {
  if (const char* env = std::getenv("HRT_PTXAS")) return env;
  return "/usr/local/cuda/bin/ptxas";
}

bool HavePtxas() {
  return ::access(PtxasPath().c_str(), X_OK) == 0;
}

struct PtxasResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Assembles |ptx| for |arch| through a temporary file; |flags| are passed
// on (e.g. "-v" for the register and spill report).
PtxasResult RunPtxas(const std::string& ptx, const std::string& arch,
                     const std::string& flags = "") {
  PtxasResult r;
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string in = dir + "/hrt_ptx_XXXXXX";
  std::vector<char> name(in.begin(), in.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    r.output = "mkstemp failed";
    return r;
  }
  const std::string path(name.data());
  const bool wrote = ::write(fd, ptx.data(), ptx.size()) == static_cast<ssize_t>(ptx.size());
  ::close(fd);
  if (!wrote) {
    ::unlink(path.c_str());
    r.output = "short write";
    return r;
  }
  const std::string cmd =
      PtxasPath() + " -arch=" + arch + " " + flags + " " + path + " -o /dev/null 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  ::unlink(path.c_str());
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string KernelsDir() {
  return std::string(HRT_SOURCE_DIR) + "/kernels";
}

ptx::EmitOptions Options(const std::string& arch, uint32_t ptx_version = 80) {
  ptx::EmitOptions o;
  o.target = ptx::ParseTarget(arch, ptx_version).value();
  o.limits.max_shared_bytes = 227 * 1024;  // H100's opt-in maximum
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

// |n| configs spread evenly over |all| (all of them when there are fewer).
std::vector<const ir::BoundKernel*> Spread(const std::vector<ir::BoundKernel>& all, size_t n) {
  std::vector<const ir::BoundKernel*> out;
  if (all.size() <= n) {
    for (const auto& b : all) out.push_back(&b);
    return out;
  }
  for (size_t i = 0; i < n; ++i) out.push_back(&all[i * all.size() / n]);
  return out;
}

// Emits each kernel under a unique entry name, links them into one module
// per arch and assembles it. Returns the number of configs emitted;
// rejections must be kUnsupported with a reason.
// Every tensor aligned, every shape symbol a multiple of 16 (assume.h);
// with |one_trip|, every loop over a shape symbol also runs one trip.
ptx::Assumptions AllFacts(bool one_trip = false) {
  return ptx::Assumptions{~uint64_t{0}, ~uint64_t{0}, one_trip ? ~uint64_t{0} : 0};
}

size_t EmitAndAssemble(const std::vector<const ir::BoundKernel*>& kernels, const std::string& tag,
                       const std::string& arch, const ptx::Assumptions& assume = {}) {
  std::vector<ptx::PtxKernel> emitted;
  for (size_t i = 0; i < kernels.size(); ++i) {
    ptx::EmitOptions o = Options(arch);
    o.assume = assume;
    o.entry_name = tag + "_" + std::to_string(i);
    auto k = ptx::EmitKernel(*kernels[i], o);
    if (!k.ok()) {
      EXPECT_EQ(k.status().code(), Code::kUnsupported)
          << tag << " " << kernels[i]->config.ToString() << ": " << k.status().message();
      EXPECT_FALSE(k.status().message().empty());
      continue;
    }
    emitted.push_back(std::move(k.value()));
  }
  if (emitted.empty()) return 0;
  auto module = ptx::LinkKernels(emitted);
  EXPECT_TRUE(module.ok()) << module.status().message();
  if (!module.ok()) return 0;
  const PtxasResult r = RunPtxas(*module, arch);
  EXPECT_EQ(r.status, 0) << tag << " " << arch << ":\n" << r.output.substr(0, 4000);
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output.substr(0, 4000);
  return emitted.size();
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

Result<ir::BoundKernel> BindStandard(const std::string& name, const std::string& config) {
  return BindText(ReadFile(KernelsDir() + "/" + name + ".tile"), name, config);
}

std::string MustEmit(const ir::BoundKernel& k, const std::string& arch = "sm_90a") {
  auto p = ptx::EmitKernel(k, Options(arch));
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? p->ptx : std::string();
}

// A 1-D kernel |signature| ("name<...>(params)") over N elements, one warp
// and 256 elements per program: |body| (IR lines) follows the element index
// %idx and its bounds mask %mask.
std::string OneDimKernel(const std::string& signature, const std::string& body) {
  return "kernel " + signature +
         "\n  tunable BLOCK in {256} = 256\n  tunable WARPS in {1} = 1\n"
         "  grid [cdiv(N, BLOCK)]\n{\n  %pid = program_id 0\n  %bs = sym BLOCK\n"
         "  %base = mul %pid, %bs\n  %lane = iota BLOCK\n  %idx = add %lane, %base\n"
         "  %n = sym N\n  %mask = lt %idx, %n\n" +
         body + "}\n";
}

bool Contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// Occurrences of |what| in |s|.
size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

//===----------------------------------------------------------------------===//
// Assembly of the standard kernels and the op corpus
//===----------------------------------------------------------------------===//

TEST(PtxEmit, StandardKernelsAssembleForSm80AndSm90a) {
  if (!HavePtxas()) GTEST_SKIP() << "ptxas not found at " << PtxasPath() << " (set HRT_PTXAS)";
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(KernelsDir())) {
    if (e.path().extension() != ".tile") continue;
    ++files;
    auto m = ir::ParseModule(ReadFile(e.path().string()), e.path().string());
    ASSERT_TRUE(m.ok()) << m.status().message();
    for (const ir::Kernel& k : m->kernels) {
      const std::vector<ir::BoundKernel> space = TuningSpace(k);
      ASSERT_FALSE(space.empty()) << k.name;
      // The same number of picks for every dtype (a single spread over the
      // space can land on one dtype: it is the fastest-changing axis).
      std::vector<const ir::BoundKernel*> picks;
      if (k.dtype_params.empty()) {
        picks = Spread(space, 24);
      } else {
        const ir::DTypeParam& d = k.dtype_params[0];
        const size_t per = (24 + d.candidates.size() - 1) / d.candidates.size();
        for (ir::DType t : d.candidates) {
          std::vector<const ir::BoundKernel*> of_t;
          for (const ir::BoundKernel& b : space) {
            if (b.config.Get(d.name) == static_cast<int64_t>(t)) of_t.push_back(&b);
          }
          for (size_t i = 0; i < std::min(per, of_t.size()); ++i) {
            picks.push_back(of_t[i * of_t.size() / std::min(per, of_t.size())]);
          }
        }
      }
      // Every dtype candidate is among the picks.
      for (const ir::DTypeParam& d : k.dtype_params) {
        for (ir::DType t : d.candidates) {
          bool seen = false;
          for (const ir::BoundKernel* b : picks) {
            seen = seen || b->config.Get(d.name) == static_cast<int64_t>(t);
          }
          EXPECT_TRUE(seen) << k.name << " never picks " << d.name << "=" << ir::DTypeName(t);
        }
      }
      for (const char* arch : {"sm_80", "sm_90a"}) {
        const size_t n = EmitAndAssemble(picks, k.name, arch);
        EXPECT_GE(n, std::min<size_t>(20, picks.size())) << k.name << " on " << arch;
        // The same picks specialized to aligned tensors and sizes that are
        // multiples of 16, as the CUDA backend compiles them for such
        // launches: rows of several chunks on sm_90a, of one on sm_80 (one
        // pass each keeps the test's time).
        const bool one_trip = std::string(arch) == "sm_80";
        const size_t s = EmitAndAssemble(picks, k.name + "_facts", arch, AllFacts(one_trip));
        EXPECT_EQ(s, n) << k.name << " on " << arch << " with every fact assumed";
      }
    }
  }
  EXPECT_GE(files, 6u);
}

// All dtype bindings of every corpus kernel, default tunables.
std::vector<ir::BoundKernel> CorpusBindings() {
  std::vector<ir::BoundKernel> out;
  auto m = ir::ParseModule(kOpKernels, "corpus");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return out;
  for (const ir::Kernel& k : m->kernels) {
    std::vector<size_t> at(k.dtype_params.size(), 0);
    while (true) {
      ir::Config c = ir::DefaultConfig(k);
      for (size_t i = 0; i < at.size(); ++i) {
        c.Set(k.dtype_params[i].name, static_cast<int64_t>(k.dtype_params[i].candidates[at[i]]));
      }
      auto b = ir::Bind(k, c);
      EXPECT_TRUE(b.ok()) << k.name << ": " << b.status().message();
      if (b.ok()) out.push_back(std::move(b.value()));
      size_t i = 0;
      while (i < at.size() && ++at[i] == k.dtype_params[i].candidates.size()) at[i++] = 0;
      if (i == at.size()) break;
    }
  }
  return out;
}

void CollectOps(const ir::Block& b, std::set<ir::OpCode>* ops) {
  for (const ir::Op& op : b.ops) {
    ops->insert(op.code);
    for (const ir::Block& r : op.regions) CollectOps(r, ops);
  }
}

TEST(PtxEmit, CorpusUsesEveryOpCodeAndDType) {
  auto m = ir::ParseModule(kOpKernels, "corpus");
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::set<ir::OpCode> ops;
  for (const ir::Kernel& k : m->kernels) CollectOps(k.body, &ops);
  for (int c = 0; c < ir::kNumOpCodes; ++c) {
    EXPECT_TRUE(ops.count(static_cast<ir::OpCode>(c))) << ir::OpName(static_cast<ir::OpCode>(c));
  }
  // Every dtype flows through a load, a store and a cast in each direction.
  std::set<ir::DType> cast_from, cast_to;
  for (const ir::BoundKernel& b : CorpusBindings()) {
    if (b.kernel.name != "cast") continue;
    cast_from.insert(b.dtype_values[0]);
    cast_to.insert(b.dtype_values[1]);
  }
  EXPECT_EQ(cast_from.size(), static_cast<size_t>(ir::kNumDTypes));
  EXPECT_EQ(cast_to.size(), static_cast<size_t>(ir::kNumDTypes));
}

TEST(PtxEmit, CorpusAssemblesForSm80AndSm90a) {
  if (!HavePtxas()) GTEST_SKIP() << "ptxas not found at " << PtxasPath() << " (set HRT_PTXAS)";
  const std::vector<ir::BoundKernel> all = CorpusBindings();
  ASSERT_GT(all.size(), 150u);
  std::vector<const ir::BoundKernel*> picks;
  for (const auto& b : all) picks.push_back(&b);
  for (const char* arch : {"sm_80", "sm_90a"}) {
    EXPECT_EQ(EmitAndAssemble(picks, "corpus", arch), all.size()) << arch;
  }
}

TEST(PtxEmit, CorpusTunablesAssemble) {
  if (!HavePtxas()) GTEST_SKIP() << "ptxas not found at " << PtxasPath() << " (set HRT_PTXAS)";
  // Whole tuning spaces of the corpus kernels with one dtype each (block
  // sizes below and above the thread count, 1..4 warps, odd warp counts).
  auto m = ir::ParseModule(kOpKernels, "corpus");
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<ir::BoundKernel> keep;
  for (const ir::Kernel& k : m->kernels) {
    std::vector<ir::BoundKernel> space = TuningSpace(k);
    const auto picks = Spread(space, 6);
    for (const ir::BoundKernel* b : picks) keep.push_back(*b);
  }
  std::vector<const ir::BoundKernel*> ptrs;
  for (const auto& b : keep) ptrs.push_back(&b);
  EXPECT_EQ(EmitAndAssemble(ptrs, "space", "sm_80"), keep.size());
}

//===----------------------------------------------------------------------===//
// Shape of the generated code
//===----------------------------------------------------------------------===//

TEST(PtxEmit, HeaderEntryAndParameters) {
  auto b = BindStandard("vector_add", "T=bf16,BLOCK=2048,WARPS=8");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto p = ptx::EmitKernel(*b, Options("sm_90a", 83));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(Contains(p->ptx, ".version 8.3\n"));
  EXPECT_TRUE(Contains(p->ptx, ".target sm_90a\n"));
  EXPECT_TRUE(Contains(p->ptx, ".address_size 64\n"));
  EXPECT_TRUE(Contains(p->ptx, ".visible .entry vector_add("));
  EXPECT_TRUE(Contains(p->ptx, ".maxntid 256, 1, 1"));
  EXPECT_EQ(p->threads_per_block, 256u);
  EXPECT_EQ(p->entry_name, "vector_add");
  EXPECT_EQ(p->shared_bytes, 0u);
  // Parameters in ABI order.
  size_t at = 0;
  for (const ptx::ParamSlot& s : p->params.slots) {
    const std::string decl = std::string(".param ") + s.ptx_type + " " + ptx::ParamSlotName(s);
    const size_t pos = p->ptx.find(decl, at);
    ASSERT_NE(pos, std::string::npos) << decl;
    at = pos;
  }
  EXPECT_EQ(p->ptx, p->header + p->globals + p->entry);
  // Deterministic.
  auto again = ptx::EmitKernel(*b, Options("sm_90a", 83));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ptx, p->ptx);
}

TEST(PtxEmit, ContiguousAccessesAreVectorized) {
  for (const char* t : {"f16", "bf16"}) {
    auto b = BindStandard("vector_add", std::string("T=") + t + ",BLOCK=1024,WARPS=4");
    ASSERT_TRUE(b.ok());
    const std::string ptx = MustEmit(*b);
    // 8 elements per thread: one 16-byte load per input, one store, with a
    // scalar fallback for misaligned, strided or partly masked runs.
    EXPECT_TRUE(Contains(ptx, "ld.global.v4.b32")) << t;
    EXPECT_TRUE(Contains(ptx, "st.global.v4.b32")) << t;
    EXPECT_TRUE(Contains(ptx, "ld.global.b16")) << t;
    EXPECT_TRUE(Contains(ptx, "setp.eq.s64")) << t;  // the unit-stride check
  }
  auto b = BindStandard("vector_add", "T=f32,BLOCK=512,WARPS=4");
  ASSERT_TRUE(b.ok());
  const std::string ptx = MustEmit(*b);
  EXPECT_TRUE(Contains(ptx, "ld.global.v4.f32"));
  EXPECT_TRUE(Contains(ptx, "st.global.v4.f32"));
}

TEST(PtxEmit, MonotoneMasksAreTestedOncePerVector) {
  // silu_mul's mask is `cols < H` with cols stepping by one: each 16-byte
  // group is tested by its last lane plus a no-wrap check, not lane by lane.
  auto b = BindStandard("silu_mul", "T=bf16,BLOCK_H=1024,WARPS=4");
  ASSERT_TRUE(b.ok());
  const std::string ptx = MustEmit(*b);
  EXPECT_TRUE(Contains(ptx, "setp.ge.s32"));
  // Three accesses (two loads, a store) of one 8-lane group each: 3 per
  // access (alignment and stride, last lane, no wrap) instead of 10.
  EXPECT_LE(Count(ptx, "and.pred"), 9u) << ptx;
}

TEST(PtxEmit, AssumedFactsDropTheRunTimeTestsAndFallbacks) {
  auto b = BindStandard("rms_norm", "T=bf16,BLOCK_N=1024,WARPS=4");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const std::string generic = MustEmit(*b);
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = AllFacts();
  auto p = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const std::string& ptx = p->ptx;
  EXPECT_TRUE(Contains(ptx, "// Assumes aligned tensors / multiples of 16: x,w,y,M,N\n")) << ptx;
  // Whole 16-byte runs, predicated on their first element's compare.
  EXPECT_TRUE(Contains(ptx, "ld.global.v4.b32"));
  EXPECT_TRUE(Contains(ptx, "st.global.v4.b32"));
  // No scalar fallback, no stride or alignment test, no per-run branch.
  EXPECT_FALSE(Contains(ptx, "ld.global.b16")) << ptx;
  EXPECT_FALSE(Contains(ptx, "st.global.b16")) << ptx;
  EXPECT_FALSE(Contains(ptx, "setp.eq.s64")) << ptx;
  EXPECT_FALSE(Contains(ptx, "and.b64")) << ptx;
  EXPECT_LT(ptx.size(), generic.size() / 2);
  EXPECT_TRUE(Contains(generic, "ld.global.b16"));

  // Alignment alone proves nothing for masked runs (the bound may cut one):
  // the tests and the scalar fallback stay. It does prove the last dim's
  // stride is 1, so no address multiplies by it.
  o.assume = ptx::Assumptions{~uint64_t{0}, 0};
  auto aligned_only = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(aligned_only.ok()) << aligned_only.status().message();
  const std::string& body = aligned_only->ptx;
  EXPECT_TRUE(Contains(body, "ld.global.b16") && Contains(body, "and.b64")) << body;
  EXPECT_LT(Count(body, "mad.lo.s64"), Count(generic, "mad.lo.s64"));
}

TEST(PtxEmit, AssumedFactsNeedRunsThatStartOnAMultipleOfTheirLength) {
  // The index is one past the lane: no run starts on a multiple of 8, so
  // the facts prove nothing and the fallback stays.
  const std::string text = R"(
kernel shifted<T in {bf16}>(x: tensor<T>[M, N], y: tensor<T>[M, N])
  tunable BLOCK_N in {256} = 256
  tunable WARPS in {1} = 1
  grid [M]
{
  %row = program_id 0
  %n = sym N
  %lane = iota BLOCK_N
  %c1 = const 1 : i32
  %cols = add %lane, %c1
  %mask = lt %cols, %n
  %xv = load x[%row, %cols], mask %mask, other 0
  store y[%row, %cols], %xv, mask %mask
}
)";
  auto b = BindText(text, "shifted", "");
  ASSERT_TRUE(b.ok()) << b.status().message();
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = AllFacts();
  auto p = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(Contains(p->ptx, "ld.global.b16")) << p->ptx;
  EXPECT_TRUE(Contains(p->ptx, "st.global.b16")) << p->ptx;
  EXPECT_TRUE(Contains(MustEmit(*b), "ld.global.b16"));
}

TEST(PtxEmit, MaskedOffRunsReadTheFillValue) {
  // softmax's loads fill -inf... through a select; a load with a fill of its
  // own: masked-off runs set their registers to it before the load.
  const std::string text = OneDimKernel("fill<T in {bf16, f32}>(x: tensor<T>[N], y: tensor<T>[N])",
                                        "  %xv = load x[%idx], mask %mask, other -2\n"
                                        "  store y[%idx], %xv, mask %mask\n");
  for (const char* t : {"bf16", "f32"}) {
    auto b = BindText(text, "fill", std::string("T=") + t);
    ASSERT_TRUE(b.ok()) << b.status().message();
    ptx::EmitOptions o = Options("sm_90a");
    o.assume = AllFacts();
    auto p = ptx::EmitKernel(*b, o);
    ASSERT_TRUE(p.ok()) << p.status().message();
    // -2 is 0xC000 in bf16 (0xC000C000 = 3221274624 per word), 0fC0000000 in f32.
    EXPECT_TRUE(
        Contains(p->ptx, std::string(t) == "bf16" ? "mov.b32 \t%r7, 3221274624;" : "0fC0000000"))
        << p->ptx;
    EXPECT_FALSE(Contains(p->ptx, "ld.global.b16")) << p->ptx;
  }
}

TEST(PtxEmit, OneTripLoopsAreStraightLine) {
  auto b = BindStandard("softmax", "T=bf16,BLOCK_N=2048,WARPS=8");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->one_trip_limits, (std::vector<int64_t>{0, 2048}));  // M: no loop; N: step 2048
  // Both walks over the row are listed with N (symbol 1), by induction var.
  ASSERT_EQ(b->one_trip_loops.size(), 2u);
  for (const auto& [iv, sym] : b->one_trip_loops) {
    EXPECT_EQ(sym, 1u);
    EXPECT_EQ(b->OneTripSymbol(iv), std::optional<uint32_t>(1));
  }
  // %row (program_id, the first op) is no loop's variable.
  EXPECT_EQ(b->OneTripSymbol(b->kernel.body.ops[0].results[0]), std::nullopt);
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = *ptx::ParseAssumptions(b->kernel, "x,y,N");
  auto loops = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(loops.ok()) << loops.status().message();
  o.assume = *ptx::ParseAssumptions(b->kernel, "x,y,N,N<=BLOCK");
  EXPECT_EQ(ptx::AssumptionsText(b->kernel, o.assume), "x,y,N,N<=BLOCK");
  auto one = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(one.ok()) << one.status().message();
  // Both walks of the row are one trip each: no loop, no run-time choice
  // between a single-trip and a looping copy, one load of x (the second
  // walk takes the first's registers) and one exp per element.
  EXPECT_EQ(Count(one->ptx, "// one trip"), 2u) << one->ptx;
  EXPECT_FALSE(Contains(one->ptx, "single-trip copy")) << one->ptx;
  EXPECT_TRUE(Contains(loops->ptx, "single-trip copy"));
  EXPECT_EQ(Count(one->ptx, "ld.global.v4.b32"), 1u) << one->ptx;
  EXPECT_EQ(Count(one->ptx, "ex2.approx"), 8u + 1u) << one->ptx;  // 8 a thread, 1 rescale
  EXPECT_LT(one->ptx.size(), loops->ptx.size() * 3 / 4);
  auto bad = ptx::ParseAssumptions(b->kernel, "K<=BLOCK");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().message(), "'K'")) << bad.status().message();
}

TEST(PtxEmit, CastsOnlyStoresReadLeaveTheRoundingToTheStores) {
  // rms_norm's `cast %yf to T` only feeds the store, whose cvt.rn rounds
  // f32 to bf16 the same way: 8 elements a thread, 4 packing cvts, none to
  // round first.
  auto b = BindStandard("rms_norm", "T=bf16,BLOCK_N=1024,WARPS=4");
  ASSERT_TRUE(b.ok()) << b.status().message();
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = AllFacts(true);
  auto p = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(Count(p->ptx, "cvt.rn.bf16x2.f32"), 4u) << p->ptx;
  // A cast whose result is also computed with keeps its rounding.
  const std::string text =
      OneDimKernel("twice<T in {bf16}>(x: tensor<f32>[N], y: tensor<T>[N], z: tensor<f32>[N])",
                   "  %xv = load x[%idx], mask %mask, other 0\n"
                   "  %h = cast %xv to T\n"
                   "  store y[%idx], %h, mask %mask\n"
                   "  %back = cast %h to f32\n"
                   "  store z[%idx], %back, mask %mask\n");
  auto t = BindText(text, "twice", "");
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto q = ptx::EmitKernel(*t, o);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_TRUE(Contains(q->ptx, "0xFFFF0000")) << q->ptx;  // rounded to bf16 in f32 registers
}

TEST(PtxEmit, ParseAssumptionsByName) {
  auto b = BindStandard("rms_norm", "T=bf16");
  ASSERT_TRUE(b.ok());
  auto a = ptx::ParseAssumptions(b->kernel, "x, N");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->aligned_params, 1u);  // x is parameter 0
  EXPECT_EQ(a->div16_syms, 2u);      // N is the second shape symbol
  EXPECT_EQ(ptx::AssumptionsText(b->kernel, *a), "x,N");
  auto all = ptx::ParseAssumptions(b->kernel, "all");
  ASSERT_TRUE(all.ok());
  // Not eps (a scalar); every symbol also with its one-trip fact.
  EXPECT_EQ(ptx::AssumptionsText(b->kernel, *all), "x,w,y,M,N,M<=BLOCK,N<=BLOCK");
  EXPECT_EQ(ptx::ParseAssumptions(b->kernel, "")->any(), false);
  auto bad = ptx::ParseAssumptions(b->kernel, "x,eps");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Contains(bad.status().message(), "'eps'")) << bad.status().message();
}

TEST(PtxEmit, GatherStaysScalar) {
  auto b = BindText(kOpKernels, "gather", "T=i64");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const std::string ptx = MustEmit(*b);
  // The gathered i64 values cannot be loaded as vectors; the contiguous i32
  // index tile and the output can.
  EXPECT_FALSE(Contains(ptx, "ld.global.v2.b64"));
  EXPECT_TRUE(Contains(ptx, "ld.global.b64"));
  EXPECT_TRUE(Contains(ptx, "st.global.v2.b64"));
}

TEST(PtxEmit, RowReductionsUseWarpShuffles) {
  auto b = BindStandard("softmax", "T=f16,BLOCK_N=1024,WARPS=4");
  ASSERT_TRUE(b.ok());
  auto p = ptx::EmitKernel(*b, Options("sm_80"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(Contains(p->ptx, "shfl.sync.bfly.b32"));
  EXPECT_TRUE(Contains(p->ptx, "bar.sync"));
  EXPECT_TRUE(Contains(p->ptx, "ex2.approx.ftz.f32"));
  // Two per-warp partial areas of 4 warps x 8 bytes, 16-byte aligned.
  EXPECT_EQ(p->shared_bytes, 64u);
  EXPECT_TRUE(Contains(p->globals, ".extern .shared .align 16 .b8 hrt_smem[]"));
}

// exp of x: %e1 only reaches y through f16/bf16 roundings (arithmetic, a
// reduction, a loop carry); %e2 also decides a select; %e3 is stored to an
// f32 tensor.
constexpr const char* kExpUses = R"tile(
kernel exps<T in {bf16, f16, f32}>(x: tensor<T>[N], y: tensor<T>[N], z: tensor<f32>[N])
  grid [1]
{
  %i = iota 128
  %n = sym N
  %m = lt %i, %n
  %xv = load x[%i], mask %m, other 0
  %xf = cast %xv to f32
  %c0 = const 0 : i32
  %c1 = const 1 : i32
  %zero = const 0 : f32
  %total = for %k = %c0 to %c1 step %c1 iter(%acc = %zero) {
    EXP1
    %s = sum %e1, axis 0
    %acc2 = add %acc, %s
    yield %acc2
  }
  EXP2
  %one = const 1 : f32
  %big = gt %e2, %one
  %w = select %big, %xf, %one
  %o = mul %w, %total
  %ot = cast %o to T
  store y[%i], %ot, mask %m
  EXP3
  store z[%i], %e3, mask %m
}
)tile";

TEST(PtxEmit, ExpIsShortOnlyWhereTheResultIsRoundedTo16Bits) {
  // One of the three is an exp at a time; the others are abs.
  auto ptx_with = [](const std::string& which, const std::string& t) {
    std::string text = kExpUses;
    for (const char* e : {"EXP1", "EXP2", "EXP3"}) {
      const std::string op = which == e ? " = exp %xf" : " = abs %xf";
      text.replace(text.find(e), 4, std::string("%e") + e[3] + op);
    }
    auto b = BindText(text, "exps", "T=" + t);
    EXPECT_TRUE(b.ok()) << b.status().message();
    return b.ok() ? MustEmit(*b) : std::string();
  };
  // The short sequence: one ex2.approx.ftz and no error-term fma.
  EXPECT_TRUE(Contains(ptx_with("EXP1", "bf16"), "ex2.approx.ftz.f32"));
  EXPECT_TRUE(Contains(ptx_with("EXP1", "f16"), "ex2.approx.ftz.f32"));
  EXPECT_FALSE(Contains(ptx_with("EXP1", "f32"), "ex2.approx.ftz.f32"));
  EXPECT_FALSE(Contains(ptx_with("EXP2", "bf16"), "ex2.approx.ftz.f32"));
  EXPECT_FALSE(Contains(ptx_with("EXP3", "bf16"), "ex2.approx.ftz.f32"));
  // The standard kernels: softmax and silu_mul in bf16 never take the long
  // sequence; in f32 they always do.
  for (const char* name : {"softmax", "silu_mul"}) {
    auto half = BindStandard(name, "T=bf16");
    auto full = BindStandard(name, "T=f32");
    ASSERT_TRUE(half.ok() && full.ok()) << name;
    EXPECT_FALSE(Contains(MustEmit(*half), "ex2.approx.f32")) << name;
    EXPECT_FALSE(Contains(MustEmit(*full), "ex2.approx.ftz.f32")) << name;
  }
  // Coarse arithmetic may be contracted into fma (no .rn); exact may not.
  auto ln_half = BindStandard("layer_norm", "T=bf16");
  auto ln_full = BindStandard("layer_norm", "T=f32");
  ASSERT_TRUE(ln_half.ok() && ln_full.ok());
  EXPECT_TRUE(Contains(MustEmit(*ln_half), "\tmul.f32 \t"));
  const std::string full = MustEmit(*ln_full);
  EXPECT_FALSE(Contains(full, "\tmul.f32 \t") || Contains(full, "\tadd.f32 \t"));
}

TEST(PtxEmit, CoarseQuotientsAndRootsTakeTheOneInstructionForms) {
  // layer_norm in bf16: mean, variance and rstd only reach memory rounded
  // to 16 bits, so div.full and rsqrt.approx (no slow-path branches) serve;
  // in f32 the correctly rounded sequences stay. softmax's division by its
  // row sum is a reciprocal and a multiply per element: rcp.approx when
  // coarse, rcp.rn otherwise.
  auto ln_half = BindStandard("layer_norm", "T=bf16");
  auto ln_full = BindStandard("layer_norm", "T=f32");
  auto sm_half = BindStandard("softmax", "T=bf16");
  auto sm_full = BindStandard("softmax", "T=f32");
  ASSERT_TRUE(ln_half.ok() && ln_full.ok() && sm_half.ok() && sm_full.ok());
  const std::string half = MustEmit(*ln_half), full = MustEmit(*ln_full);
  EXPECT_TRUE(Contains(half, "div.full.f32"));
  EXPECT_TRUE(Contains(half, "rsqrt.approx.f32"));
  EXPECT_FALSE(Contains(half, "div.rn.f32") || Contains(half, "sqrt.rn.f32"));
  EXPECT_TRUE(Contains(full, "div.rn.f32"));
  EXPECT_TRUE(Contains(full, "sqrt.rn.f32") && Contains(full, "rcp.rn.f32"));
  EXPECT_FALSE(Contains(full, "div.full.f32") || Contains(full, "rsqrt.approx.f32"));
  EXPECT_TRUE(Contains(MustEmit(*sm_half), "rcp.approx.f32"));
  EXPECT_TRUE(Contains(MustEmit(*sm_full), "rcp.rn.f32"));
  EXPECT_FALSE(Contains(MustEmit(*sm_full), "rcp.approx.f32"));
}

TEST(PtxEmit, CoarseSumsStartFromTheirFirstTermAndFuseProducts) {
  // layer_norm's walks are one trip each at 8192 columns: every element is
  // added to its accumulator's +0 init. In bf16 the sums are coarse, so
  // that add is dropped and the in-thread chain goes without .rn: the sum
  // of squares can contract to one fma per element. In f32 each accumulator
  // keeps its +0 (a register a slot per walk) and every sum add keeps .rn.
  auto half = BindStandard("layer_norm", "T=bf16,BLOCK_N=8192,WARPS=16");
  auto full = BindStandard("layer_norm", "T=f32,BLOCK_N=8192,WARPS=16");
  ASSERT_TRUE(half.ok() && full.ok());
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = AllFacts(/*one_trip=*/true);
  auto h = ptx::EmitKernel(*half, o);
  auto f = ptx::EmitKernel(*full, o);
  ASSERT_TRUE(h.ok() && f.ok());
  // 16 elements a thread, two summing walks.
  EXPECT_EQ(Count(h->ptx, ", 0f00000000;"), 0u) << h->ptx;
  // f32: the x, w and b loads preset their 16 registers each (predicated
  // loads), and the two summing walks set 16 accumulators each.
  EXPECT_EQ(Count(f->ptx, ", 0f00000000;"), 3u * 16u + 2u * 16u) << f->ptx;
  EXPECT_EQ(Count(h->ptx, "add.rn.f32"), 0u) << h->ptx;
  EXPECT_GE(Count(f->ptx, "add.rn.f32"), 2u * 16u) << f->ptx;
  // Each walk's chain: 15 adds a thread, plus 5 for the warp's butterfly
  // and 15 for the 16 warps' partials, and the third walk's 16 adds of b.
  EXPECT_EQ(Count(h->ptx, "add.f32"), 2u * (15u + 5u + 15u) + 16u + 1u) << h->ptx;
}

TEST(PtxEmit, ProvenMasksAreComparedOncePerRun) {
  // layer_norm's second walk selects with `cols < n`. With aligned tensors,
  // N a multiple of 16 and one trip, each 8-element run (16 bytes of bf16)
  // lies wholly inside or outside the row: one setp per run serves its
  // eight selects. Without the facts every element is compared.
  auto b = BindStandard("layer_norm", "T=bf16,BLOCK_N=8192,WARPS=16");
  ASSERT_TRUE(b.ok()) << b.status().message();
  ptx::EmitOptions o = Options("sm_90a");
  o.assume = AllFacts(/*one_trip=*/true);
  auto p = ptx::EmitKernel(*b, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  // 16 elements a thread: 2 runs. The x, w and b loads and the y store
  // test once per run (8), and so does the select's mask (2).
  EXPECT_EQ(Count(p->ptx, "selp.f32"), 16u) << p->ptx;
  EXPECT_EQ(Count(p->ptx, "setp.lt.s32"), 10u) << p->ptx;
  const std::string generic = MustEmit(*b);
  EXPECT_GE(Count(generic, "setp.lt.s32"), 16u);
}

TEST(PtxEmit, GemmUsesMmaForHalfTypesAndFmaForF32) {
  for (const char* t : {"f16", "bf16"}) {
    auto b = BindStandard("gemm", std::string("T=") + t);
    ASSERT_TRUE(b.ok());
    auto p = ptx::EmitKernel(*b, Options("sm_80"));
    ASSERT_TRUE(p.ok()) << p.status().message();
    EXPECT_TRUE(Contains(
        p->ptx, std::string("mma.sync.aligned.m16n8k16.row.col.f32.") + t + "." + t + ".f32"));
    EXPECT_TRUE(Contains(p->ptx, "ldmatrix.sync.aligned.m8n8.x4.shared.b16"));
    EXPECT_TRUE(Contains(p->ptx, "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16"));
    // STAGES = 3 buffers of a 128x64 A and a 64x128 B tile (rows padded by
    // 16 bytes), filled by cp.async two iterations ahead.
    const uint32_t stage = 128u * (64 + 8) * 2 + 64u * (128 + 8) * 2;
    // Plus 512 bytes to move the f32 bias row into the accumulator layout.
    EXPECT_EQ(p->shared_bytes, 3 * stage + 128 * 4);
    EXPECT_TRUE(Contains(p->ptx, "cp.async.cg.shared.global"));
    EXPECT_TRUE(Contains(p->ptx, "cp.async.wait_group \t1;"));
    EXPECT_EQ(p->threads_per_block, 256u);
    // STAGES = 1: one synchronous staging buffer, no cp.async.
    auto one = BindStandard("gemm", std::string("T=") + t + ",STAGES=1");
    ASSERT_TRUE(one.ok());
    auto q = ptx::EmitKernel(*one, Options("sm_80"));
    ASSERT_TRUE(q.ok()) << q.status().message();
    EXPECT_EQ(q->shared_bytes, stage);  // the bias reuses the staging area
    EXPECT_FALSE(Contains(q->ptx, "cp.async"));
    EXPECT_TRUE(Contains(q->ptx, "mma.sync.aligned.m16n8k16"));
  }
  auto b = BindStandard("gemm", "T=f32,BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4");
  ASSERT_TRUE(b.ok());
  const std::string ptx = MustEmit(*b);
  EXPECT_FALSE(Contains(ptx, "mma.sync"));
  EXPECT_TRUE(Contains(ptx, "mul.rn.f32"));
}

TEST(PtxEmit, GemmUsesWgmmaOnSm90a) {
  // The plain pipelined loop (WARP_ROLES=1; 2 is tested below).
  for (const char* t : {"f16", "bf16"}) {
    auto b = BindStandard("gemm", std::string("T=") + t + ",WARP_ROLES=1");
    ASSERT_TRUE(b.ok());
    auto p = ptx::EmitKernel(*b, Options("sm_90a"));
    ASSERT_TRUE(p.ok()) << p.status().message();
    const std::string& ptx = p->ptx;
    // BLOCK_K = 64: four k16 steps, one m64n128 per warpgroup each.
    EXPECT_EQ(
        Count(ptx, std::string("wgmma.mma_async.sync.aligned.m64n128k16.f32.") + t + "." + t + " "),
        4u);
    EXPECT_FALSE(Contains(ptx, "mma.sync"));
    EXPECT_FALSE(Contains(ptx, "ldmatrix"));
    EXPECT_TRUE(Contains(ptx, "wgmma.fence.sync.aligned;"));
    EXPECT_TRUE(Contains(ptx, "wgmma.commit_group.sync.aligned;"));
    // STAGES = 3: one group in flight past each dot, none after the loop.
    EXPECT_TRUE(Contains(ptx, "wgmma.wait_group.sync.aligned \t1;"));
    EXPECT_TRUE(Contains(ptx, "wgmma.wait_group.sync.aligned \t0;"));
    EXPECT_TRUE(Contains(ptx, "fence.proxy.async.shared::cta;"));
    // Descriptor constants: high word SBO 1024 >> 4 | 128-byte swizzle;
    // low word LBO 1 (A) and 8192 >> 4 (B).
    EXPECT_TRUE(Contains(ptx, "0x40000040"));
    EXPECT_TRUE(Contains(ptx, ", 65536;"));
    EXPECT_TRUE(Contains(ptx, ", 33554432;"));
    // Interior tiles: unpredicated 16-byte copies.
    EXPECT_TRUE(Contains(ptx, "\n\tcp.async.cg.shared.global \t["));
    // Three unpadded 32 KiB stages, 1 KiB to align them, the bias row.
    EXPECT_EQ(p->shared_bytes, 3 * 32768u + 1024 + 128 * 4);
    EXPECT_TRUE(Contains(ptx, ".minnctapersm 2"));

    // sm_80, STAGES = 1 and BLOCK_K = 32 keep mma.sync.
    auto a80 = ptx::EmitKernel(*b, Options("sm_80"));
    ASSERT_TRUE(a80.ok());
    EXPECT_FALSE(Contains(a80->ptx, "wgmma"));
    for (const char* cfg : {",STAGES=1", ",BLOCK_K=32"}) {
      auto c = BindStandard("gemm", std::string("T=") + t + cfg + ",WARP_ROLES=1");
      ASSERT_TRUE(c.ok());
      const std::string q = MustEmit(*c);
      EXPECT_FALSE(Contains(q, "wgmma")) << cfg;
      EXPECT_TRUE(Contains(q, "mma.sync.aligned.m16n8k16")) << cfg;
    }
    // STAGES = 2: every group completes within its iteration.
    auto two = BindStandard("gemm", std::string("T=") + t + ",STAGES=2,WARP_ROLES=1");
    ASSERT_TRUE(two.ok());
    const std::string q = MustEmit(*two);
    EXPECT_TRUE(Contains(q, "wgmma.mma_async"));
    EXPECT_FALSE(Contains(q, "wgmma.wait_group.sync.aligned \t1;"));
    // 128x256: m64n256, no second block (its accumulator alone is 128
    // registers a thread).
    auto wide = BindStandard("gemm", std::string("T=") + t + ",BLOCK_N=256,STAGES=2,WARP_ROLES=1");
    ASSERT_TRUE(wide.ok());
    auto w = ptx::EmitKernel(*wide, Options("sm_90a"));
    ASSERT_TRUE(w.ok()) << w.status().message();
    EXPECT_EQ(Count(w->ptx, "wgmma.mma_async.sync.aligned.m64n256k16"), 4u);
    EXPECT_FALSE(Contains(w->ptx, ".minnctapersm"));
  }
}

TEST(PtxEmit, TransposeGoesThroughSharedMemory) {
  auto b = BindText(kOpKernels, "shapes", "T=f32");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto p = ptx::EmitKernel(*b, Options("sm_80"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(Contains(p->ptx, "st.shared"));
  EXPECT_TRUE(Contains(p->ptx, "ld.shared"));
  EXPECT_GE(p->shared_bytes, 8u * 16 * 4);
}

TEST(PtxEmit, FmodHelperOnlyWhenUsed) {
  auto f = BindText(kOpKernels, "arith", "T=f32");
  ASSERT_TRUE(f.ok());
  auto pf = ptx::EmitKernel(*f, Options("sm_80"));
  ASSERT_TRUE(pf.ok());
  EXPECT_TRUE(Contains(pf->globals, ".func (.reg .f32 %res) hrt_fmodf"));
  EXPECT_TRUE(Contains(pf->entry, "call.uni"));
  EXPECT_TRUE(Contains(pf->entry, "hrt_fmodf, (%f"));
  auto i = BindText(kOpKernels, "arith", "T=i32");
  ASSERT_TRUE(i.ok());
  auto pi = ptx::EmitKernel(*i, Options("sm_80"));
  ASSERT_TRUE(pi.ok());
  EXPECT_FALSE(Contains(pi->ptx, "hrt_fmodf"));
  EXPECT_TRUE(Contains(pi->ptx, "rem.s32"));
}

TEST(PtxEmit, UniformStoresComeFromOneThread) {
  auto b = BindText(kOpKernels, "scalars", "T=i32");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const std::string ptx = MustEmit(*b);
  EXPECT_TRUE(Contains(ptx, "setp.eq.u32"));  // thread 0
  EXPECT_TRUE(Contains(ptx, "st.global.b32"));
  EXPECT_FALSE(Contains(ptx, "bar.sync"));
}

// Two loops over one range loading the same elements; BETWEEN and the
// second loop's load are replaced to break the reuse in different ways.
constexpr const char kTwoWalks[] = R"tile(
kernel walks<T in {f32, bf16}>(x: tensor<T>[N], y: tensor<T>[N])
  tunable BLOCK in {64, 128} = 64
  grid [1]
{
  %n = sym N
  %bs = sym BLOCK
  %lane = iota BLOCK
  %c0 = const 0 : i32
  %zero = const 0 : f32
  %acc0 = broadcast %zero to [BLOCK]
  %acc = for %off = %c0 to %n step %bs iter(%a = %acc0) {
    %cols = add %lane, %off
    %mask = lt %cols, %n
    %xv = load x[%cols], mask %mask, other 0
    %xf = cast %xv to f32
    %a_new = add %a, %xf
    yield %a_new
  }
  %s = sum %acc, axis 0
  BETWEEN
  for %off2 = %c0 to %n step %bs {
    %cols2 = add %lane, %off2
    %mask2 = lt %cols2, %n
    %xv2 = SECOND_LOAD
    %xf2 = cast %xv2 to f32
    %o = add %xf2, %s
    %ot = cast %o to T
    store y[%cols2], %ot, mask %mask2
    yield
  }
}
)tile";

std::string TwoWalks(const std::string& between, const std::string& second_load) {
  std::string text = kTwoWalks;
  text.replace(text.find("BETWEEN"), 7, between);
  text.replace(text.find("SECOND_LOAD"), 11, second_load);
  return text;
}

TEST(PtxEmit, RowKernelsReuseTheFirstWalksRegisters) {
  // The second (and third) walk over the row gets a single-trip copy that
  // takes the first walk's registers instead of loading x again.
  const std::pair<const char*, int> kernels[] = {
      {"rms_norm", 1}, {"softmax", 1}, {"layer_norm", 2}};
  for (const auto& [name, loops] : kernels) {
    auto b = BindStandard(name, "T=bf16,BLOCK_N=1024,WARPS=4");
    ASSERT_TRUE(b.ok()) << b.status().message();
    const std::string ptx = MustEmit(*b);
    EXPECT_EQ(Count(ptx, "single-trip copy: 1 load(s)"), static_cast<size_t>(loops)) << name;
    // The copy still loads what the first walk did not (w, b).
    const size_t copy = ptx.find("single-trip copy");
    ASSERT_NE(copy, std::string::npos) << name;
    const std::string body = ptx.substr(copy, ptx.find("st.global", copy) - copy);
    if (std::string(name) != "softmax") {
      EXPECT_TRUE(Contains(body, "ld.global")) << name;
    } else {
      // Its exp(x - max) too: the copy computes none.
      EXPECT_EQ(Count(ptx, "single-trip copy: 1 load(s) and 1 other value(s)"), 1u);
      EXPECT_FALSE(Contains(body, "ex2.approx")) << body;
    }
  }
  const std::string same = "load x[%cols2], mask %mask2, other 0";
  auto reused = BindText(TwoWalks("", same), "walks", "T=bf16");
  ASSERT_TRUE(reused.ok()) << reused.status().message();
  EXPECT_TRUE(Contains(MustEmit(*reused), "single-trip copy: 1 load(s)"));
}

TEST(PtxEmit, LoadsAreNotReusedAcrossWritesOrDifferentAccesses) {
  const std::string same = "load x[%cols2], mask %mask2, other 0";
  const std::pair<std::string, std::string> variants[] = {
      // A store between the walks may change x (y may alias it).
      {"%st = cast %s to T\n  store y[%c0], %st", same},
      // Another fill value, another mask, other indices.
      {"", "load x[%cols2], mask %mask2, other 1"},
      {"", "load x[%cols2]"},
      {"", "load x[%lane], mask %mask2, other 0"},
  };
  for (const auto& [between, second] : variants) {
    auto b = BindText(TwoWalks(between, second), "walks", "T=f32");
    ASSERT_TRUE(b.ok()) << b.status().message() << " " << between << " / " << second;
    EXPECT_FALSE(Contains(MustEmit(*b), "single-trip copy")) << between << " / " << second;
  }
  // The gemm K loop is pipelined, never duplicated.
  auto g = BindStandard("gemm", "T=bf16");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(Contains(MustEmit(*g), "single-trip copy"));
}

// Binds |text|'s kernel |name| with |config| and expects the emitter to
// refuse it as unsupported, naming |what|.
void ExpectUnsupported(const std::string& text, const std::string& name, const std::string& config,
                       const std::string& what) {
  auto b = BindText(text, name, config);
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto p = ptx::EmitKernel(*b, Options("sm_90a"));
  ASSERT_FALSE(p.ok()) << config;
  EXPECT_EQ(p.status().code(), hrt::Code::kUnsupported);
  EXPECT_TRUE(Contains(p.status().message(), what)) << p.status().message();
}

TEST(PtxEmit, PreloadIssuesTheLastWalksLoadsBeforeTheReduction) {
  // With every walk a single trip, PRELOAD=2 issues rms_norm's w loads (and
  // layer_norm's w and b) at the end of the first walk, before the
  // reduction's barrier; PRELOAD=1 leaves them after it. The loads are the
  // same instructions, moved.
  const std::pair<const char*, size_t> kernels[] = {{"rms_norm", 1}, {"layer_norm", 2}};
  for (const auto& [name, early] : kernels) {
    std::string code[2];
    for (int p = 1; p <= 2; ++p) {
      auto b = BindStandard(name, "T=bf16,BLOCK_N=4096,WARPS=8,PRELOAD=" + std::to_string(p));
      ASSERT_TRUE(b.ok()) << b.status().message();
      ptx::EmitOptions o = Options("sm_90a");
      o.assume = AllFacts(/*one_trip=*/true);
      auto e = ptx::EmitKernel(*b, o);
      ASSERT_TRUE(e.ok()) << e.status().message();
      code[p - 1] = e->ptx;
      // Without the one-trip fact the walks are loops: nothing moves.
      auto generic = ptx::EmitKernel(*b, Options("sm_90a"));
      ASSERT_TRUE(generic.ok());
      EXPECT_FALSE(Contains(generic->ptx, "preloaded")) << name;
    }
    const std::string before1 = code[0].substr(0, code[0].find("bar.sync"));
    const std::string before2 = code[1].substr(0, code[1].find("bar.sync"));
    EXPECT_EQ(Count(code[0], "preloaded for a later walk"), 0u) << name;
    EXPECT_EQ(Count(code[1], "preloaded for a later walk"), early) << name;
    // 4096 bf16 over 256 threads: two 16-byte runs a thread per tensor.
    EXPECT_EQ(Count(before1, "ld.global.v4.b32"), 2u) << name;
    EXPECT_EQ(Count(before2, "ld.global.v4.b32"), 2u + 2u * early) << name;
    EXPECT_EQ(Count(code[0], "ld.global.v4.b32"), Count(code[1], "ld.global.v4.b32")) << name;
  }
  // A store between the walks may change what the later load reads (y may
  // alias x): that load stays where it is.
  const std::string other = "load x[%lane], mask %mask2, other 0";
  for (const char* between : {"", "%st = cast %s to T\n  store y[%c0], %st"}) {
    std::string text = TwoWalks(between, other);
    text.replace(text.find("  grid [1]"), 0, "  tunable PRELOAD in {1, 2} = 1\n");
    auto b = BindText(text, "walks", "T=f32,PRELOAD=2");
    ASSERT_TRUE(b.ok()) << b.status().message();
    ptx::EmitOptions o = Options("sm_90a");
    o.assume = AllFacts(/*one_trip=*/true);
    auto e = ptx::EmitKernel(*b, o);
    ASSERT_TRUE(e.ok()) << e.status().message();
    EXPECT_EQ(Contains(e->ptx, "preloaded for a later walk"), std::string(between).empty())
        << between << "\n"
        << e->ptx;
  }
  std::string text = TwoWalks("", other);
  text.replace(text.find("  grid [1]"), 0, "  tunable PRELOAD in {1, 2, 3} = 1\n");
  ExpectUnsupported(text, "walks", "T=f32,PRELOAD=3", "PRELOAD=3");
}

// The text between the first |from| and the first |to| after it.
std::string Between(const std::string& s, const std::string& from, const std::string& to) {
  const size_t a = s.find(from);
  if (a == std::string::npos) return std::string();
  const size_t b = s.find(to, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(PtxEmit, MinBlocksTunableAsksPtxasForResidentBlocks) {
  std::string text = TwoWalks("", "load x[%cols2], mask %mask2, other 0");
  text.replace(text.find("  grid [1]"), 0,
               "  tunable MIN_BLOCKS in {1, 2, 3} = 1\n  tunable WARPS in {4, 32} = 4\n");
  // Without the tunable a kernel with no matmul asks for 1024 resident
  // threads: 8 blocks of 128. MIN_BLOCKS=1 leaves that choice to the emitter.
  auto plain = BindText(TwoWalks("", "load x[%cols2], mask %mask2, other 0"), "walks", "T=f32");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  const std::string policy = MustEmit(*plain);
  EXPECT_TRUE(Contains(policy, ".maxntid 128, 1, 1\n.minnctapersm 8\n"));
  auto one = BindText(text, "walks", "T=f32");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(Between(MustEmit(*one), ".visible", "{"), Between(policy, ".visible", "{"));
  // Fewer blocks of 128 or 256 threads when 1024 threads would cap
  // registers below the estimate (32 elements a thread); blocks of 512 take
  // three, whatever the estimate.
  const std::pair<const char*, const char*> floors[] = {
      {"T=bf16,BLOCK_N=4096,WARPS=8", ".maxntid 256, 1, 1\n.minnctapersm 4\n"},
      {"T=bf16,BLOCK_N=8192,WARPS=8", ".maxntid 256, 1, 1\n.minnctapersm 2\n"},
      {"T=bf16,BLOCK_N=8192,WARPS=16", ".maxntid 512, 1, 1\n.minnctapersm 3\n"},
      {"T=f32,BLOCK_N=8192,WARPS=16", ".maxntid 512, 1, 1\n.minnctapersm 3\n"}};
  for (const auto& [cfg, want] : floors) {
    auto rms = BindStandard("rms_norm", cfg);
    ASSERT_TRUE(rms.ok()) << rms.status().message();
    EXPECT_TRUE(Contains(MustEmit(*rms), want)) << cfg;
  }
  // 2 or more: exactly that many, fewer than the emitter's choice too.
  auto three = BindText(text, "walks", "T=f32,MIN_BLOCKS=3");
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_TRUE(Contains(MustEmit(*three), ".maxntid 128, 1, 1\n.minnctapersm 3\n"));
  auto two = BindText(text, "walks", "T=f32,MIN_BLOCKS=2,WARPS=32");
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_TRUE(Contains(MustEmit(*two), ".maxntid 1024, 1, 1\n.minnctapersm 2\n"));
  // Two blocks of 1024 threads fit a multiprocessor; three would not.
  auto big = BindText(text, "walks", "T=f32,MIN_BLOCKS=3,WARPS=32");
  ASSERT_TRUE(big.ok()) << big.status().message();
  auto p = ptx::EmitKernel(*big, Options("sm_90a"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), hrt::Code::kUnsupported);
  EXPECT_TRUE(Contains(p.status().message(), "MIN_BLOCKS=3")) << p.status().message();
}

TEST(PtxEmit, WarpSpecializedGemmHandsStagesOverThroughMbarriers) {
  const std::string text = ReadFile(KernelsDir() + "/gemm.tile");
  for (const char* t : {"f16", "bf16"}) {
    SCOPED_TRACE(t);
    // The default: 128x128x64, 8 consumer warps, STAGES = 3.
    auto b = BindText(text, "gemm", std::string("T=") + t);
    ASSERT_TRUE(b.ok()) << b.status().message();
    auto p = ptx::EmitKernel(*b, Options("sm_90a"));
    ASSERT_TRUE(p.ok()) << p.status().message();
    const std::string& ptx = p->ptx;
    EXPECT_EQ(p->threads_per_block, 256u + 128u);
    EXPECT_TRUE(Contains(ptx, ".maxntid 384, 1, 1\n"));
    // Full barriers: 128 asynchronous arrivals and 4 warps'; empty: 8 warps.
    EXPECT_EQ(Count(ptx, "mbarrier.init.shared::cta.b64"), 6u);
    EXPECT_TRUE(Contains(ptx, "mbarrier.init.shared::cta.b64 \t[%r"));
    EXPECT_TRUE(Contains(ptx, "], 132;"));
    EXPECT_TRUE(Contains(ptx, "], 8;"));
    // Every thread waits once for the initialization, then the roles split.
    EXPECT_EQ(Count(ptx, "bar.sync \t0;"), 1u);
    const std::string producer = Between(ptx, "// producer warpgroup", "exit;");
    const std::string consumer =
        Between(ptx, "// consumer warpgroups", "wgmma.wait_group.sync.aligned \t0;");
    ASSERT_FALSE(producer.empty());
    ASSERT_FALSE(consumer.empty());
    EXPECT_TRUE(Contains(producer, "mbarrier.try_wait.parity.shared::cta.b64"));
    EXPECT_TRUE(Contains(producer, "\tcp.async.cg.shared.global \t["));
    EXPECT_TRUE(Contains(producer, "cp.async.mbarrier.arrive.noinc.shared::cta.b64"));
    EXPECT_TRUE(Contains(producer, "bar.warp.sync"));
    EXPECT_TRUE(Contains(producer, "mbarrier.arrive.shared::cta.b64 \t_, ["));
    EXPECT_FALSE(Contains(producer, "wgmma"));
    EXPECT_FALSE(Contains(producer, "cp.async.commit_group"));
    // The K loop: wait for the stage, fence, wgmma, release; no barrier and
    // no copy.
    EXPECT_TRUE(Contains(consumer, "mbarrier.try_wait.parity.shared::cta.b64"));
    EXPECT_TRUE(Contains(consumer, "fence.proxy.async.shared::cta;"));
    EXPECT_EQ(Count(consumer, "wgmma.mma_async.sync.aligned.m64n128k16"), 4u);
    EXPECT_TRUE(Contains(consumer, "wgmma.wait_group.sync.aligned \t1;"));
    EXPECT_TRUE(Contains(consumer, "mbarrier.arrive.shared::cta.b64 \t_, ["));
    EXPECT_FALSE(Contains(consumer, "bar.sync"));
    EXPECT_FALSE(Contains(consumer, "cp.async"));
    // After the loop the barriers name the 256 consumer threads.
    EXPECT_TRUE(Contains(ptx, "bar.sync \t1, 256;"));
    // The consumers' accumulator fits the launch's registers: no setmaxnreg.
    EXPECT_FALSE(Contains(ptx, "setmaxnreg"));

    // WARP_ROLES=1 is the plain pipelined wgmma loop: no producer.
    for (const char* cfg : {"", ",BLOCK_N=256,STAGES=2", ",BLOCK_M=64,WARPS=4"}) {
      auto off = BindText(text, "gemm", std::string("T=") + t + cfg + ",WARP_ROLES=1");
      ASSERT_TRUE(off.ok()) << cfg;
      auto q = ptx::EmitKernel(*off, Options("sm_90a"));
      ASSERT_TRUE(q.ok()) << cfg;
      EXPECT_FALSE(Contains(q->ptx, "mbarrier")) << cfg;
      EXPECT_TRUE(Contains(q->ptx, "wgmma.mma_async")) << cfg;
      EXPECT_EQ(q->threads_per_block, *off->config.Get("WARPS") * 32) << cfg;
    }

    // 128x256: two consumer warpgroups hold 128 accumulator registers a
    // thread; the producer gives registers to them.
    auto wide = BindText(text, "gemm", std::string("T=") + t + ",BLOCK_N=256,STAGES=4");
    ASSERT_TRUE(wide.ok()) << wide.status().message();
    auto w = ptx::EmitKernel(*wide, Options("sm_90a"));
    ASSERT_TRUE(w.ok()) << w.status().message();
    EXPECT_TRUE(Contains(w->ptx, "setmaxnreg.dec.sync.aligned.u32 \t72;"));
    EXPECT_TRUE(Contains(w->ptx, "setmaxnreg.inc.sync.aligned.u32 \t216;"));
    // The register cap of one resident block that setmaxnreg needs.
    EXPECT_TRUE(Contains(w->ptx, ".maxntid 384, 1, 1\n.minnctapersm 1\n"));
    EXPECT_EQ(Count(w->ptx, "wgmma.mma_async.sync.aligned.m64n256k16"), 4u);
    EXPECT_EQ(Count(w->ptx, "], 132;"), 4u);  // four stages
    // 4 x 48 KiB stages, 1 KiB to align them, 8 barriers, the bias row.
    EXPECT_EQ(w->shared_bytes, 4 * 49152u + 1024 + 64 + 256 * 4);
    if (HavePtxas()) {
      // ptxas gives the block 168 registers a thread at launch (the pool
      // setmaxnreg redistributes: 72 x 128 + 216 x 256 = 168 x 384), and
      // nothing spills.
      const PtxasResult r = RunPtxas(w->ptx, "sm_90a", "-v");
      EXPECT_EQ(r.status, 0) << r.output;
      EXPECT_TRUE(Contains(r.output, "Used 168 registers")) << r.output;
      EXPECT_TRUE(Contains(r.output, " 0 bytes spill stores, 0 bytes spill loads")) << r.output;
    }

    // Elsewhere the tunable changes nothing: sm_80, f32, BLOCK_K = 32.
    auto a80 = ptx::EmitKernel(*b, Options("sm_80"));
    ASSERT_TRUE(a80.ok()) << a80.status().message();
    EXPECT_FALSE(Contains(a80->ptx, "mbarrier"));
    EXPECT_EQ(a80->threads_per_block, 256u);
    for (const std::string& cfg : {std::string("T=f32,BLOCK_M=64,BLOCK_N=64,BLOCK_K=32,WARPS=4"),
                                   std::string("T=") + t + ",BLOCK_K=32"}) {
      auto c = BindText(text, "gemm", cfg);
      ASSERT_TRUE(c.ok()) << cfg;
      const std::string q = MustEmit(*c);
      EXPECT_FALSE(Contains(q, "mbarrier")) << cfg;
    }
  }
  // Values past 2 are refused before any text.
  std::string three = text;
  three.replace(three.find("WARP_ROLES in {1, 2}"), 20, "WARP_ROLES in {1, 2, 3}");
  ExpectUnsupported(three, "gemm", "T=bf16,WARP_ROLES=3", "WARP_ROLES=3");
}

TEST(PtxEmit, WarpSpecializedGemmSpaceAssemblesForSm90a) {
  if (!HavePtxas()) GTEST_SKIP() << "ptxas not found at " << PtxasPath() << " (set HRT_PTXAS)";
  // Every WARP_ROLES=2 config of the gemm's space that takes the
  // warp-specialized wgmma path (f16/bf16, BLOCK_K = 64, STAGES >= 2, one
  // warpgroup per 64 rows).
  auto m = ir::ParseModule(ReadFile(KernelsDir() + "/gemm.tile"), "gemm");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const ir::Kernel* k = m->Find("gemm");
  ASSERT_NE(k, nullptr);
  std::vector<ir::BoundKernel> ws;
  for (ir::BoundKernel& b : TuningSpace(*k)) {
    if (b.config.Get("WARP_ROLES") != 2) continue;
    auto p = ptx::EmitKernel(b, Options("sm_90a"));
    if (p.ok() && Contains(p->ptx, "mbarrier.try_wait")) ws.push_back(std::move(b));
  }
  // {f16, bf16} x {64 rows on 4 warps, 128 on 8} x BLOCK_N {64, 128, 256}
  // x STAGES {2, 3, 4}.
  EXPECT_EQ(ws.size(), 36u);
  for (const char* t : {"f16", "bf16"}) {
    std::vector<const ir::BoundKernel*> picks;
    for (const auto& b : ws) {
      if (b.config.Get("T") == static_cast<int64_t>(ir::ParseDType(t).value())) picks.push_back(&b);
    }
    EXPECT_EQ(EmitAndAssemble(picks, std::string("ws_") + t, "sm_90a"), picks.size()) << t;
  }
}

//===----------------------------------------------------------------------===//
// Targets and limits
//===----------------------------------------------------------------------===//

TEST(PtxEmit, ParseTarget) {
  auto t = ptx::ParseTarget("sm_90a", 90);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->sm, 90u);
  EXPECT_TRUE(t->arch_specific);
  EXPECT_EQ(t->ptx_version, 90u);
  EXPECT_EQ(ptx::TargetName(*t), "sm_90a");
  auto u = ptx::ParseTarget("86");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(ptx::TargetName(*u), "sm_86");
  EXPECT_EQ(ptx::ParseTarget("sm_120")->sm, 120u);
  for (const char* bad : {"", "sm_", "sm_9x", "compute_80", "sm_123456", "a"}) {
    EXPECT_EQ(ptx::ParseTarget(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ptx::MinPtxVersion(*ptx::ParseTarget("sm_80")), 70u);
  EXPECT_EQ(ptx::MinPtxVersion(*ptx::ParseTarget("sm_90a")), 80u);
  EXPECT_EQ(ptx::MinPtxVersion(*ptx::ParseTarget("sm_100")), 86u);
}

TEST(PtxEmit, RejectsTargetsAndConfigsBeyondTheDevice) {
  auto b = BindStandard("gemm", "T=f16");
  ASSERT_TRUE(b.ok());
  ptx::EmitOptions o = Options("sm_75");
  EXPECT_EQ(ptx::EmitKernel(*b, o).status().code(), Code::kUnsupported);
  o = Options("sm_90a", 78);  // sm_90a needs PTX 8.0
  auto old = ptx::EmitKernel(*b, o);
  EXPECT_EQ(old.status().code(), Code::kUnsupported);
  EXPECT_TRUE(Contains(old.status().message(), "8.0")) << old.status().message();
  o = Options("sm_80");
  o.limits.max_shared_bytes = 16 * 1024;
  auto smem = ptx::EmitKernel(*b, o);
  EXPECT_EQ(smem.status().code(), Code::kUnsupported);
  EXPECT_TRUE(Contains(smem.status().message(), "shared memory")) << smem.status().message();
  o = Options("sm_80");
  o.limits.max_threads_per_block = 128;  // the config wants 256
  auto threads = ptx::EmitKernel(*b, o);
  EXPECT_EQ(threads.status().code(), Code::kUnsupported);
  EXPECT_TRUE(Contains(threads.status().message(), "256 threads")) << threads.status().message();
  o = Options("sm_80");
  o.limits.max_registers_per_thread = 64;  // 128 accumulators per thread
  auto regs = ptx::EmitKernel(*b, o);
  EXPECT_EQ(regs.status().code(), Code::kUnsupported);
  EXPECT_TRUE(Contains(regs.status().message(), "registers")) << regs.status().message();
  o = Options("sm_80");
  o.entry_name = "not an identifier";
  EXPECT_EQ(ptx::EmitKernel(*b, o).status().code(), Code::kInvalidArgument);
}

TEST(PtxEmit, HugeTilesAreRejectedNotEmitted) {
  // 2^20 elements for 32 threads: far beyond any register file.
  const std::string text = R"(
kernel big(x: tensor<f32>[N], y: tensor<f32>[N])
  tunable WARPS in {1} = 1
  grid [1]
{
  %i = iota 1048576
  %v = load x[%i]
  %w = exp %v
  store y[%i], %w
})";
  auto b = BindText(text, "big", "");
  ASSERT_TRUE(b.ok()) << b.status().message();
  auto p = ptx::EmitKernel(*b, Options("sm_80"));
  EXPECT_EQ(p.status().code(), Code::kUnsupported);
}

TEST(PtxEmit, RejectsUnboundKernels) {
  auto m = ir::ParseModule(ReadFile(KernelsDir() + "/vector_add.tile"), "vector_add");
  ASSERT_TRUE(m.ok());
  ir::BoundKernel unbound;
  unbound.kernel = m->kernels[0];  // T and BLOCK still symbolic
  auto p = ptx::EmitKernel(unbound, Options("sm_80"));
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << p.status().message();
}

TEST(PtxEmit, LinkKernelsChecksNamesAndTargets) {
  auto b = BindStandard("vector_add", "T=f32");
  ASSERT_TRUE(b.ok());
  auto a80 = ptx::EmitKernel(*b, Options("sm_80"));
  auto a90 = ptx::EmitKernel(*b, Options("sm_90a"));
  ASSERT_TRUE(a80.ok() && a90.ok());
  std::vector<ptx::PtxKernel> same = {*a80, *a80};
  EXPECT_EQ(ptx::LinkKernels(same).status().code(), Code::kInvalidArgument);
  std::vector<ptx::PtxKernel> mixed = {*a80, *a90};
  mixed[1].entry_name = "other";
  EXPECT_EQ(ptx::LinkKernels(mixed).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ptx::LinkKernels({}).status().code(), Code::kInvalidArgument);
}

//===----------------------------------------------------------------------===//
// Launch ABI
//===----------------------------------------------------------------------===//

TEST(PtxAbi, SlotsFollowTheParameterOrderWithNaturalAlignment) {
  const std::string text = R"(
kernel abi<T in {f16, bf16}>(flag: bool, x: tensor<T>[N, M], h: T, n: i32, y: tensor<f32>[N], s: i16, w: i64, f: f32)
  grid [1]
{
  %k = const 0 : i32
  %v = load y[%k]
  store y[%k], %v
})";
  auto b = BindText(text, "abi", "T=bf16");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const ptx::ParamLayout l = ptx::KernelParamLayout(*b);
  struct Want {
    uint32_t param;
    ptx::ParamRole role;
    uint32_t dim, offset, size;
    const char* type;
  };
  const Want want[] = {
      {0, ptx::ParamRole::kScalar, 0, 0, 1, ".u8"},
      {1, ptx::ParamRole::kBase, 0, 8, 8, ".u64"},
      {1, ptx::ParamRole::kSize, 0, 16, 8, ".s64"},
      {1, ptx::ParamRole::kSize, 1, 24, 8, ".s64"},
      {1, ptx::ParamRole::kStride, 0, 32, 8, ".s64"},
      {1, ptx::ParamRole::kStride, 1, 40, 8, ".s64"},
      {2, ptx::ParamRole::kScalar, 0, 48, 2, ".b16"},
      {3, ptx::ParamRole::kScalar, 0, 52, 4, ".s32"},
      {4, ptx::ParamRole::kBase, 0, 56, 8, ".u64"},
      {4, ptx::ParamRole::kSize, 0, 64, 8, ".s64"},
      {4, ptx::ParamRole::kStride, 0, 72, 8, ".s64"},
      {5, ptx::ParamRole::kScalar, 0, 80, 2, ".s16"},
      {6, ptx::ParamRole::kScalar, 0, 88, 8, ".s64"},
      {7, ptx::ParamRole::kScalar, 0, 96, 4, ".f32"},
  };
  ASSERT_EQ(l.slots.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    const ptx::ParamSlot& s = l.slots[i];
    EXPECT_EQ(s.param, want[i].param) << i;
    EXPECT_EQ(s.role, want[i].role) << i;
    EXPECT_EQ(s.dim, want[i].dim) << i;
    EXPECT_EQ(s.offset, want[i].offset) << i;
    EXPECT_EQ(s.size, want[i].size) << i;
    EXPECT_EQ(s.align, want[i].size) << i;
    EXPECT_STREQ(s.ptx_type, want[i].type) << i;
  }
  EXPECT_EQ(l.total_size, 100u);
  EXPECT_EQ(l.first_slot, (std::vector<uint32_t>{0, 1, 6, 7, 8, 11, 12, 13}));
  EXPECT_EQ(ptx::ParamSlotName(l.slots[3]), "hrt_p1_size1");
  EXPECT_EQ(ptx::ParamSlotName(l.slots[5]), "hrt_p1_stride1");

  std::vector<uint8_t> buf(l.total_size, 0xAA);
  const int64_t sizes[2] = {3, 5}, strides[2] = {-5, 1};
  ASSERT_TRUE(ptx::WriteTensorParam(l, 1, 0x1000, 2, sizes, strides, buf).ok());
  uint64_t addr = 0;
  int64_t v = 0;
  std::memcpy(&addr, &buf[8], 8);
  EXPECT_EQ(addr, 0x1000u);
  std::memcpy(&v, &buf[24], 8);
  EXPECT_EQ(v, 5);
  std::memcpy(&v, &buf[32], 8);
  EXPECT_EQ(v, -5);
  ASSERT_TRUE(ptx::WriteScalarParam(l, 0, 7, 0, buf).ok());  // bool: != 0
  EXPECT_EQ(buf[0], 1);
  ASSERT_TRUE(ptx::WriteScalarParam(l, 2, 0, -2.75, buf).ok());  // bf16
  EXPECT_EQ(buf[48] | (buf[49] << 8), 0xC030);
  ASSERT_TRUE(ptx::WriteScalarParam(l, 5, 70000, 0, buf).ok());  // i16 wraps
  int16_t s16 = 0;
  std::memcpy(&s16, &buf[80], 2);
  EXPECT_EQ(s16, static_cast<int16_t>(70000));
  ASSERT_TRUE(ptx::WriteScalarParam(l, 7, 0, 0.1, buf).ok());
  float f = 0;
  std::memcpy(&f, &buf[96], 4);
  EXPECT_EQ(f, 0.1f);
  // Wrong kind, wrong rank, short buffer, missing parameter.
  EXPECT_FALSE(ptx::WriteScalarParam(l, 1, 0, 0, buf).ok());
  EXPECT_FALSE(ptx::WriteTensorParam(l, 0, 0, 0, sizes, strides, buf).ok());
  EXPECT_FALSE(ptx::WriteTensorParam(l, 1, 0, 1, sizes, strides, buf).ok());
  std::vector<uint8_t> small(8);
  EXPECT_FALSE(ptx::WriteScalarParam(l, 7, 0, 1, small).ok());
  EXPECT_FALSE(ptx::WriteScalarParam(l, 99, 0, 1, buf).ok());

  // f16 binding: the same slot carries IEEE half bits.
  auto h = BindText(text, "abi", "T=f16");
  ASSERT_TRUE(h.ok());
  const ptx::ParamLayout lh = ptx::KernelParamLayout(*h);
  ASSERT_TRUE(ptx::WriteScalarParam(lh, 2, 0, 1.5, buf).ok());
  EXPECT_EQ(buf[48] | (buf[49] << 8), 0x3E00);
}

TEST(PtxAbi, ThreadsPerBlockFollowsWarps) {
  auto b = BindStandard("softmax", "T=f32,WARPS=16,BLOCK_N=4096");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ptx::ThreadsPerBlock(*b), 512u);
  auto c = BindText(kOpKernels, "scalars", "T=f32");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ptx::ThreadsPerBlock(*c), ptx::kDefaultThreadsPerBlock);
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

// Every element of the tile is held by exactly one (thread, slot) whose
// coordinates lie inside the tile, slots marked always-valid are valid for
// every thread, and Owner() inverts the coordinates.
void CheckOwnership(const ptx::Layout& l) {
  const int64_t n = l.shape.numel();
  std::vector<int> hits(static_cast<size_t>(n), 0);
  const auto strides = ptx::RowMajorStrides(l.shape);
  for (int64_t t = 0; t < l.threads; ++t) {
    for (int64_t s = 0; s < l.slots; ++s) {
      int64_t c[4] = {};
      bool inside = true;
      int64_t flat = 0;
      for (uint32_t d = 0; d < l.shape.rank; ++d) {
        c[d] = l.ThreadBase(t, d) + l.SlotOffset(s, d);
        inside = inside && c[d] >= 0 && c[d] < l.shape.dims[d];
        flat += c[d] * strides[d];
      }
      if (l.SlotAlwaysValid(s)) {
        ASSERT_TRUE(inside) << ptx::ShapeString(l.shape) << " t" << t << " s" << s;
      }
      if (!inside) continue;
      ++hits[static_cast<size_t>(flat)];
      int64_t ot = -1, os = -1;
      l.Owner(c, &ot, &os);
      ASSERT_EQ(ot, t) << ptx::ShapeString(l.shape);
      ASSERT_EQ(os, s) << ptx::ShapeString(l.shape);
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(hits[static_cast<size_t>(i)], 1) << ptx::ShapeString(l.shape) << " element " << i;
  }
  // Groups are runs along the last dim.
  for (int64_t g = 0; g + l.group <= l.slots; g += l.group) {
    for (int64_t j = 1; j < l.group; ++j) {
      EXPECT_EQ(l.SlotOffset(g + j, l.shape.rank - 1), l.SlotOffset(g, l.shape.rank - 1) + j);
    }
  }
}

ptx::Shape S(std::initializer_list<int64_t> dims) {
  ptx::Shape s;
  for (int64_t d : dims) s.dims[s.rank++] = d;
  return s;
}

TEST(PtxLayout, BlockedLayoutsOwnEveryElementOnce) {
  const std::vector<ptx::Shape> shapes = {S({1024}),    S({64}),     S({3}),        S({8, 32}),
                                          S({5, 7}),    S({1, 256}), S({4, 8, 16}), S({2, 3, 4, 5}),
                                          S({128, 64}), S({8192})};
  for (const ptx::Shape& s : shapes) {
    for (uint32_t threads : {32u, 96u, 128u, 512u}) {
      for (int64_t vec : {1, 4, 8}) CheckOwnership(ptx::MakeBlocked(s, threads, vec));
    }
  }
  // 16-byte runs when the tile allows them.
  const ptx::Layout l = ptx::MakeBlocked(S({1024}), 128, 8);
  EXPECT_EQ(l.group, 8);
  EXPECT_EQ(l.slots, 8);
  EXPECT_TRUE(l.AllSlotsValid());
  const ptx::Layout small = ptx::MakeBlocked(S({64}), 128, 8);
  EXPECT_FALSE(small.AllSlotsValid());
}

TEST(PtxLayout, MmaLayoutsOwnEveryElementOnce) {
  for (uint32_t warps : {1u, 2u, 4u, 8u}) {
    for (int64_t m : {16, 32, 64, 128}) {
      for (int64_t n : {8, 16, 32, 64, 128}) {
        auto l = ptx::MakeMma(S({m, n}), warps * 32);
        if (!l) {
          // Only when the warps cannot tile the block.
          bool fits = false;
          for (uint32_t wm = 1; wm <= warps; ++wm) {
            fits = fits || (warps % wm == 0 && m % (16 * wm) == 0 && n % (8 * (warps / wm)) == 0);
          }
          EXPECT_FALSE(fits) << m << "x" << n << " warps " << warps;
          continue;
        }
        EXPECT_EQ(l->warps_m * l->warps_n, warps);
        EXPECT_EQ(l->slots * warps * 32, m * n);
        CheckOwnership(*l);
      }
    }
  }
  EXPECT_FALSE(ptx::MakeMma(S({16, 16, 16}), 128).has_value());
}

// The wgmma.m64nNk16 f32 accumulator (PTX ISA "Matrix fragments for
// wgmma.mma_async"; CUTLASS's CLayout_64xN): warp w of a warpgroup, lane l,
// register i hold row 16w + l/4 + 8 * ((i >> 1) & 1), column 2 * (l % 4) +
// (i & 1) + 8 * (i >> 2). The mma layout with every warp along M must be
// exactly that, warpgroup g owning rows 64g .. 64g + 63.
TEST(PtxLayout, WgmmaAccumulatorIsTheMmaLayoutWithWarpsAlongM) {
  for (uint32_t warps : {4u, 8u}) {
    for (int64_t n : {64, 128, 256}) {
      const int64_t m = 16 * warps;
      auto l = ptx::MakeMma(S({m, n}), warps * 32, warps);
      ASSERT_TRUE(l.has_value());
      EXPECT_EQ(l->warps_m, warps);
      EXPECT_EQ(l->warps_n, 1);
      EXPECT_EQ(l->tiles_m, 1);
      EXPECT_EQ(l->slots, n / 2);
      for (int64_t t = 0; t < warps * 32; ++t) {
        const int64_t g = t / 128, w = (t / 32) % 4, lane = t % 32;
        for (int64_t i = 0; i < l->slots; ++i) {
          const int64_t row = 64 * g + 16 * w + lane / 4 + 8 * ((i >> 1) & 1);
          const int64_t col = 2 * (lane % 4) + (i & 1) + 8 * (i >> 2);
          ASSERT_EQ(l->ThreadBase(t, 0) + l->SlotOffset(i, 0), row) << t << " " << i;
          ASSERT_EQ(l->ThreadBase(t, 1) + l->SlotOffset(i, 1), col) << t << " " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace hrt
