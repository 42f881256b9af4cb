// EmitKernel: checks the target and the config against the device limits,
// runs the analysis and the lowering, and assembles the module text.
#include <cctype>
#include <set>
#include <string>
#include <tuple>

#include "codegen/ir/verifier.h"
#include "codegen/ptx/analysis.h"
#include "codegen/ptx/lowering.h"
#include "codegen/ptx/ptx.h"

namespace hrt::ptx {
namespace {

// fmod on f32 (the interpreter's std::fmod, exact): the quotient's integer
// part is removed one bit at a time from the aligned significands, at most
// 277 steps (the exponent range), then the remainder is renormalized.
constexpr const char kFmodFunc[] = R"(.func (.reg .f32 %res) hrt_fmodf(.reg .f32 %x, .reg .f32 %y)
{
	.reg .pred 	%q<4>;
	.reg .b32 	%s<16>;
	mov.b32 	%s1, %x;
	mov.b32 	%s2, %y;
	and.b32 	%s3, %s1, 2147483647;
	and.b32 	%s4, %s2, 2147483647;
	and.b32 	%s5, %s1, -2147483648;
	setp.gt.u32 	%q1, %s3, 2139095039;
	setp.gt.u32 	%q2, %s4, 2139095040;
	or.pred 	%q1, %q1, %q2;
	setp.eq.u32 	%q2, %s4, 0;
	or.pred 	%q1, %q1, %q2;
	@%q1 bra 	NAN;
	setp.lt.u32 	%q2, %s3, %s4;
	@%q2 bra 	RETX;
	shr.u32 	%s6, %s3, 23;
	and.b32 	%s7, %s3, 8388607;
	shr.u32 	%s8, %s4, 23;
	and.b32 	%s9, %s4, 8388607;
	setp.eq.u32 	%q2, %s6, 0;
	@%q2 bra 	XSUB;
	or.b32 	%s7, %s7, 8388608;
	bra.uni 	XDONE;
XSUB:
	clz.b32 	%s10, %s7;
	sub.s32 	%s10, %s10, 8;
	shl.b32 	%s7, %s7, %s10;
	sub.s32 	%s6, 1, %s10;
XDONE:
	setp.eq.u32 	%q2, %s8, 0;
	@%q2 bra 	YSUB;
	or.b32 	%s9, %s9, 8388608;
	bra.uni 	LOOP;
YSUB:
	clz.b32 	%s10, %s9;
	sub.s32 	%s10, %s10, 8;
	shl.b32 	%s9, %s9, %s10;
	sub.s32 	%s8, 1, %s10;
LOOP:
	setp.le.s32 	%q2, %s6, %s8;
	@%q2 bra 	TAIL;
	setp.ge.u32 	%q3, %s7, %s9;
	@%q3 sub.s32 	%s7, %s7, %s9;
	shl.b32 	%s7, %s7, 1;
	sub.s32 	%s6, %s6, 1;
	bra.uni 	LOOP;
TAIL:
	setp.ge.u32 	%q3, %s7, %s9;
	@%q3 sub.s32 	%s7, %s7, %s9;
	setp.eq.u32 	%q2, %s7, 0;
	@%q2 bra 	ZERO;
	clz.b32 	%s10, %s7;
	sub.s32 	%s10, %s10, 8;
	shl.b32 	%s7, %s7, %s10;
	sub.s32 	%s8, %s8, %s10;
	setp.lt.s32 	%q2, %s8, 1;
	@%q2 bra 	SUBN;
	shl.b32 	%s11, %s8, 23;
	and.b32 	%s12, %s7, 8388607;
	or.b32 	%s11, %s11, %s12;
	or.b32 	%s11, %s11, %s5;
	mov.b32 	%res, %s11;
	ret;
SUBN:
	sub.s32 	%s10, 1, %s8;
	shr.u32 	%s11, %s7, %s10;
	or.b32 	%s11, %s11, %s5;
	mov.b32 	%res, %s11;
	ret;
ZERO:
	mov.b32 	%res, %s5;
	ret;
RETX:
	mov.b32 	%res, %s1;
	ret;
NAN:
	mov.b32 	%res, 2147483647;
	ret;
}
)";

constexpr const char kSmemDecl[] = ".extern .shared .align 16 .b8 hrt_smem[];\n";

bool IsPtxIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 1024) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

Status CheckBound(const ir::BoundKernel& k) {
  for (const ir::Value& v : k.kernel.values) {
    if (v.type.elem.is_param() || !v.type.elem.is_valid_concrete()) {
      return InvalidArgument("kernel is not bound: a value has a dtype parameter type");
    }
    for (uint32_t i = 0; i < v.type.rank && i < ir::kMaxRank; ++i) {
      if (!v.type.dims[i].is_const()) {
        return InvalidArgument("kernel is not bound: a tile dimension is a tunable");
      }
    }
  }
  for (const ir::Param& p : k.kernel.params) {
    if (p.elem.is_param() || !p.elem.is_valid_concrete()) {
      return InvalidArgument("kernel is not bound: parameter '" + p.name + "' has no dtype");
    }
  }
  return Status::Ok();
}

std::string VersionString(uint32_t v) {
  return std::to_string(v / 10) + "." + std::to_string(v % 10);
}

}  // namespace

Result<Target> ParseTarget(std::string_view arch, uint32_t ptx_version) {
  std::string_view s = arch;
  if (s.substr(0, 3) == "sm_") s.remove_prefix(3);
  Target t;
  t.ptx_version = ptx_version;
  if (!s.empty() && (s.back() == 'a')) {
    t.arch_specific = true;
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 4) return InvalidArgument("bad target '" + std::string(arch) + "'");
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgument("bad target '" + std::string(arch) + "'");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  t.sm = v;
  return t;
}

std::string TargetName(const Target& target) {
  return "sm_" + std::to_string(target.sm) + (target.arch_specific ? "a" : "");
}

uint32_t MinPtxVersion(const Target& t) {
  // The first PTX ISA that knows each target (CUDA release notes).
  if (t.sm >= 120) return 87;
  if (t.sm >= 100) return 86;
  if (t.sm >= 90) return t.arch_specific ? 80 : 78;
  if (t.sm >= 89) return 78;
  if (t.sm >= 87) return 74;
  if (t.sm >= 86) return 71;
  return 70;
}

Result<PtxKernel> EmitKernel(const ir::BoundKernel& kernel, const EmitOptions& options) {
  const Target& target = options.target;
  const std::string& name = kernel.kernel.name;
  if (target.sm < 80) {
    return Status(hrt::Code::kUnsupported,
                  "the PTX emitter targets sm_80 and newer, not " + TargetName(target));
  }
  if (target.ptx_version < MinPtxVersion(target) || target.ptx_version > 99) {
    return Status(hrt::Code::kUnsupported, "PTX ISA " + VersionString(target.ptx_version) +
                                               " cannot target " + TargetName(target) + " (needs " +
                                               VersionString(MinPtxVersion(target)) + " or newer)");
  }
  const std::string entry = options.entry_name.empty() ? name : options.entry_name;
  if (!IsPtxIdentifier(entry)) {
    return InvalidArgument("entry name '" + entry + "' is not a PTX identifier");
  }
  HRT_RETURN_IF_ERROR(ir::VerifyKernel(kernel.kernel));
  HRT_RETURN_IF_ERROR(CheckBound(kernel));
  if (kernel.tunable_values.size() != kernel.kernel.tunables.size()) {
    return InvalidArgument("bound kernel lacks tunable values");
  }

  const uint32_t threads = ThreadsPerBlock(kernel);
  const std::string cfg = kernel.config.ToString();
  if (threads == 0 || threads > 1024 || threads > options.limits.max_threads_per_block) {
    return Status(
        hrt::Code::kUnsupported,
        "kernel '" + name + "' config " + cfg + " needs " + std::to_string(threads) +
            " threads per block; the device allows " +
            std::to_string(std::min<uint32_t>(1024, options.limits.max_threads_per_block)));
  }
  // wgmma exists on sm_90a only (not sm_90, not the sm_100 family).
  const bool wgmma = target.sm == 90 && target.arch_specific;
  HRT_ASSIGN_OR_RETURN(Analysis an, Analyze(kernel, threads, wgmma, options.assume));
  if (an.estimated_registers > options.limits.max_registers_per_thread) {
    return Status(hrt::Code::kUnsupported,
                  "kernel '" + name + "' config " + cfg + " keeps about " +
                      std::to_string(an.estimated_registers) +
                      " registers per thread live; the device allows " +
                      std::to_string(options.limits.max_registers_per_thread) +
                      " (use more warps or smaller tiles)");
  }
  // Two-valued switches: 1 is off, 2 is on, nothing else means anything.
  const std::tuple<const char*, int64_t, const char*> switches[] = {
      {"WARP_ROLES", WarpRoles(kernel), "producer and consumers"},
      {"PRELOAD", Preload(kernel), "on"}};
  for (const auto& [tunable, value, on] : switches) {
    if (value > 2) {
      return Status(hrt::Code::kUnsupported, "kernel '" + name + "' config " + cfg + " sets " +
                                                 tunable + "=" + std::to_string(value) +
                                                 "; it takes 1 (off) or 2 (" + on + ")");
    }
  }
  const int64_t min_blocks = MinBlocksPerSm(kernel);
  if (min_blocks > 32 || min_blocks * threads > 2048) {
    return Status(hrt::Code::kUnsupported,
                  "kernel '" + name + "' config " + cfg +
                      " asks for MIN_BLOCKS=" + std::to_string(min_blocks) +
                      " resident blocks of " + std::to_string(threads) +
                      " threads; a multiprocessor holds at most 32 "
                      "blocks and 2048 threads");
  }
  const ParamLayout params = KernelParamLayout(kernel);
  Lowering lowering(kernel, &an, params, target.ptx_version);
  Status st = lowering.Run();
  if (!st.ok()) return st.Annotate("kernel '" + name + "' config " + cfg);
  // A warp-specialized loop adds a producer warpgroup to the block.
  const uint32_t block = threads + lowering.producer_threads();
  if (block > 1024 || block > options.limits.max_threads_per_block || min_blocks * block > 2048) {
    return Status(
        hrt::Code::kUnsupported,
        "kernel '" + name + "' config " + cfg + " needs " + std::to_string(block) +
            " threads per block with its producer warpgroup; the device allows " +
            std::to_string(std::min<uint32_t>(1024, options.limits.max_threads_per_block)) +
            (min_blocks > 1
                 ? " and " + std::to_string(min_blocks) + " resident blocks hold at most 2048"
                 : std::string()));
  }
  const uint32_t shared = lowering.shared_bytes();
  if (shared > options.limits.max_shared_bytes) {
    return Status(hrt::Code::kUnsupported, "kernel '" + name + "' config " + cfg + " needs " +
                                               std::to_string(shared) +
                                               " bytes of shared memory; the device allows " +
                                               std::to_string(options.limits.max_shared_bytes));
  }

  PtxKernel out;
  out.entry_name = entry;
  out.threads_per_block = block;
  out.shared_bytes = shared;
  out.estimated_registers = an.estimated_registers;
  out.params = params;
  const std::string assumed = AssumptionsText(kernel.kernel, options.assume);
  out.header =
      "//\n// Generated by helionrt codegen/ptx: kernel '" + name + "'" +
      (cfg.empty() ? "" : ", config " + cfg) +
      (assumed.empty() ? "" : "\n// Assumes aligned tensors / multiples of 16: " + assumed) +
      "\n//\n.version " + VersionString(target.ptx_version) + "\n.target " + TargetName(target) +
      "\n.address_size 64\n\n";
  if (shared > 0) out.globals += std::string(kSmemDecl) + "\n";
  if (lowering.uses_fmod()) out.globals += std::string(kFmodFunc) + "\n";

  std::string& e = out.entry;
  const Code& code = lowering.code();
  e.reserve(code.size() + 1024);
  e += ".visible .entry " + entry + "(";
  for (size_t i = 0; i < params.slots.size(); ++i) {
    e += i ? ",\n\t" : "\n\t";
    e += std::string(".param ") + params.slots[i].ptx_type + " " + ParamSlotName(params.slots[i]);
  }
  e += "\n)\n.maxntid " + std::to_string(block) + ", 1, 1\n";
  // Matmul kernels hide their latencies with a second resident block; ask
  // ptxas to budget registers for two when their shared memory allows it
  // (measured on H100: +20% for the default gemm config).
  // wgmma needs its whole accumulator in registers at once: it asks only
  // when the estimate fits the 64K-register file twice over.
  // Other kernels are memory-bound: they ask for at least 1024 resident
  // threads (registers capped at 64), the bytes in flight that keep HBM
  // busy. Measured on H100 (bench/results/2026-11-25-session6): two
  // resident 512-thread blocks instead of one made the row kernels at
  // 16384x8192 1.2-1.6x faster. A MIN_BLOCKS tunable of 2 or more says how
  // many instead (1: this policy), so the tuner can weigh residency against
  // registers per launch shape.
  int64_t blocks = 1;
  if (min_blocks > 1) {
    blocks = min_blocks;
  } else if (lowering.uses_mma()) {
    const uint32_t register_budget = lowering.uses_wgmma() ? 64 * 1024 : 80 * 1024;
    const bool two_fit = block <= 512 && 2 * shared <= options.limits.max_shared_bytes &&
                         an.estimated_registers * block * 2 <= register_budget;
    blocks = two_fit ? 2 : 1;
  } else {
    // ... unless that caps registers below the estimate: fewer blocks of
    // 128 or 256 threads then (32 elements a thread spilled under the
    // 64-register cap of four 256-thread blocks; layer_norm 16384x8192 went
    // from 252 to 226 us, H100). Blocks of 512 take three (1536 threads, 40
    // registers): at up to 16 elements a thread the row kernels fit, and at
    // 16384x8192 rms_norm's 512-thread config went from 187 to 179 us and
    // layer_norm's from 201 to 180 (bench/results/2026-11-26-session10).
    // Two had measured 1.2-1.6x faster than one (silu_mul lost 3% at one).
    blocks = block == 512 ? 3 : (1024 + block - 1) / block;
    const int64_t keep = block >= 512 ? blocks : 1;
    while (blocks > keep && int64_t{an.estimated_registers} * blocks * block > 65536) {
      --blocks;
    }
  }
  if (blocks > 1 || lowering.uses_setmaxnreg()) {
    e += ".minnctapersm " + std::to_string(blocks) + "\n";
  }
  e += "{\n";
  static constexpr const char* kDecl[kNumRegClasses][2] = {{".pred", "%p"}, {".b16", "%h"},
                                                           {".b32", "%r"},  {".f32", "%f"},
                                                           {".b64", "%rd"}, {".f64", "%fd"}};
  for (int c = 0; c < kNumRegClasses; ++c) {
    const uint32_t n = code.count(static_cast<RegClass>(c));
    if (n == 0) continue;
    e += std::string("\t.reg ") + kDecl[c][0] + " \t" + kDecl[c][1] + "<" + std::to_string(n + 1) +
         ">;\n";
  }
  e += "\n";
  e += code.prologue();
  e += code.body();
  e += "\tret;\n}\n";
  out.ptx.reserve(out.header.size() + out.globals.size() + out.entry.size());
  out.ptx += out.header;
  out.ptx += out.globals;
  out.ptx += out.entry;
  return out;
}

Result<std::string> LinkKernels(std::span<const PtxKernel> kernels) {
  if (kernels.empty()) return InvalidArgument("no kernels to link");
  // Headers differ only in their comment line; the directives must agree.
  auto directives = [](const std::string& header) {
    const size_t at = header.find(".version");
    return at == std::string::npos ? header : header.substr(at);
  };
  const std::string head = directives(kernels[0].header);
  std::set<std::string> names;
  bool smem = false, fmod = false;
  for (const PtxKernel& k : kernels) {
    if (directives(k.header) != head) {
      return InvalidArgument("kernel '" + k.entry_name + "' was emitted for another target");
    }
    if (!names.insert(k.entry_name).second) {
      return InvalidArgument("two kernels share the entry name '" + k.entry_name + "'");
    }
    smem = smem || k.globals.find("hrt_smem") != std::string::npos;
    fmod = fmod || k.globals.find("hrt_fmodf") != std::string::npos;
  }
  std::string out = "//\n// Generated by helionrt codegen/ptx: " + std::to_string(kernels.size()) +
                    " kernels\n//\n" + head;
  if (smem) out += std::string(kSmemDecl) + "\n";
  if (fmod) out += std::string(kFmodFunc) + "\n";
  for (const PtxKernel& k : kernels) out += k.entry + "\n";
  return out;
}

}  // namespace hrt::ptx
