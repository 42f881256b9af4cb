// The persistent-cache key and entry of generated CUDA code
// (runtime/cuda/cuda_code_key.h): the key follows everything that decides
// the PTX (IR, binding, emitter options, emitter sources, runtime, device,
// driver) and nothing else; the entry's header round-trips and any damage
// to it is rejected. No device needed.
#include "runtime/cuda/cuda_code_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/dtype.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/cuda/cuda_emit_options.h"

namespace hrt::cuda {
namespace {

using ir::DType;
using testing::LoadAndBind;

ir::BoundKernel MustBind(const std::string& name, DType dtype, const std::string& config) {
  Result<ir::BoundKernel> bound = LoadAndBind(name, dtype, config);
  EXPECT_TRUE(bound.ok()) << bound.status().message();
  return bound.ok() ? std::move(*bound) : ir::BoundKernel{};
}

GeneratedCodeContext H100Context() {
  GeneratedCodeContext c;
  c.arch = "sm_90";
  c.driver_version = 12040;
  c.emit.target.sm = 90;
  c.emit.target.ptx_version = 80;
  c.emit.limits.max_threads_per_block = 1024;
  c.emit.limits.max_shared_bytes = 232448;
  c.codegen_version = std::string(CodegenVersion());
  c.runtime_version = "0.1.0";
  return c;
}

TEST(CudaCodeKey, CodegenVersionIsTheGeneratedSourceHash) {
  const std::string v(CodegenVersion());
  ASSERT_EQ(v.size(), 8u + 32u) << v;
  EXPECT_EQ(v.rfind("ptx-src-", 0), 0u) << v;
  for (char c : v.substr(8)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << v;
}

TEST(CudaCodeKey, StableAcrossTwoEncodingsOfTheSameKernel) {
  const ir::BoundKernel a = MustBind("vector_add", DType::kF32, "BLOCK=128,WARPS=2");
  const ir::BoundKernel b = MustBind("vector_add", DType::kF32, "BLOCK=128,WARPS=2");
  ASSERT_FALSE(a.kernel.name.empty());
  EXPECT_NE(a.uid, b.uid);  // two separate binds, not one object
  EXPECT_EQ(EncodeBoundKernel(a), EncodeBoundKernel(b));
  EXPECT_EQ(GeneratedCubinKey(a, H100Context()), GeneratedCubinKey(b, H100Context()));

  // The same kernel read back from its binary form (as a bundle carries it)
  // and bound again keys the same.
  ir::Module module;
  module.kernels.push_back(a.kernel);
  Result<ir::Module> read = ir::ReadModuleBinary(ir::WriteModuleBinary(module));
  ASSERT_TRUE(read.ok()) << read.status().message();
  Result<ir::Module> source = testing::LoadKernelModule("vector_add");
  ASSERT_TRUE(source.ok());
  ir::Module unbound;
  unbound.kernels.push_back(*source->Find("vector_add"));
  Result<ir::Module> unbound_read = ir::ReadModuleBinary(ir::WriteModuleBinary(unbound));
  ASSERT_TRUE(unbound_read.ok()) << unbound_read.status().message();
  Result<ir::BoundKernel> c = ir::Bind(unbound_read->kernels[0], a.config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(GeneratedCubinKey(*c, H100Context()), GeneratedCubinKey(a, H100Context()));
}

TEST(CudaCodeKey, ChangesWithTheIr) {
  const ir::BoundKernel a = MustBind("vector_add", DType::kF32, "");
  const cache::Key base = GeneratedCubinKey(a, H100Context());
  ir::BoundKernel renamed_param = a;
  renamed_param.kernel.params[0].name += "_";
  EXPECT_NE(GeneratedCubinKey(renamed_param, H100Context()), base);
  ir::BoundKernel renamed_kernel = a;
  renamed_kernel.kernel.name += "_";
  EXPECT_NE(GeneratedCubinKey(renamed_kernel, H100Context()), base);
  ir::BoundKernel extra_op = a;
  ASSERT_FALSE(extra_op.kernel.body.ops.empty());
  extra_op.kernel.body.ops.push_back(extra_op.kernel.body.ops.front());
  EXPECT_NE(GeneratedCubinKey(extra_op, H100Context()), base);
  const ir::BoundKernel other = MustBind("silu_mul", DType::kF32, "");
  EXPECT_NE(GeneratedCubinKey(other, H100Context()), base);
}

TEST(CudaCodeKey, ChangesWithTheConfig) {
  const ir::BoundKernel a = MustBind("vector_add", DType::kF32, "BLOCK=128,WARPS=2");
  const cache::Key base = GeneratedCubinKey(a, H100Context());
  EXPECT_NE(
      GeneratedCubinKey(MustBind("vector_add", DType::kF32, "BLOCK=256,WARPS=2"), H100Context()),
      base);
  EXPECT_NE(
      GeneratedCubinKey(MustBind("vector_add", DType::kF32, "BLOCK=128,WARPS=4"), H100Context()),
      base);
  EXPECT_NE(
      GeneratedCubinKey(MustBind("vector_add", DType::kF16, "BLOCK=128,WARPS=2"), H100Context()),
      base);
  // The binding alone (the IR and the config text kept) still counts.
  ir::BoundKernel value = a;
  ASSERT_FALSE(value.tunable_values.empty());
  value.tunable_values[0] += 1;
  EXPECT_NE(GeneratedCubinKey(value, H100Context()), base);
}

TEST(CudaCodeKey, ChangesWithEmitOptionsDeviceDriverAndVersions) {
  const ir::BoundKernel a = MustBind("vector_add", DType::kF32, "");
  const cache::Key base = GeneratedCubinKey(a, H100Context());
  auto changed = [&](auto mutate) {
    GeneratedCodeContext c = H100Context();
    mutate(c);
    return GeneratedCubinKey(a, c);
  };
  EXPECT_NE(changed([](auto& c) { c.emit.target.sm = 89; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.target.arch_specific = true; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.target.ptx_version = 83; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.limits.max_threads_per_block = 512; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.limits.max_shared_bytes = 101376; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.limits.max_registers_per_thread = 128; }), base);
  EXPECT_NE(changed([](auto& c) { c.emit.entry_name = "other"; }), base);
  EXPECT_NE(changed([](auto& c) { c.arch = "sm_89"; }), base);
  EXPECT_NE(changed([](auto& c) { c.driver_version = 12050; }), base);
  EXPECT_NE(changed([](auto& c) { c.codegen_version = "ptx-src-0"; }), base);
  EXPECT_NE(changed([](auto& c) { c.runtime_version = "0.1.1"; }), base);
  EXPECT_EQ(changed([](auto&) {}), base);
}

TEST(CudaCodeKey, EmitOptionsTextNamesEveryOption) {
  ptx::EmitOptions o;
  o.target.sm = 90;
  o.target.arch_specific = true;
  o.target.ptx_version = 83;
  o.limits.max_threads_per_block = 1024;
  o.limits.max_shared_bytes = 232448;
  o.limits.max_registers_per_thread = 255;
  o.entry_name = "k";
  EXPECT_EQ(EncodeEmitOptions(o), "target=sm_90a,ptx=83,threads=1024,smem=232448,regs=255,entry=k");
}

TEST(CudaEmitOptions, Sm90aDevicesGetArchSpecificCode) {
  using select::Arch;
  using select::ArchVariant;
  auto options = [](Arch arch) {
    Result<ptx::EmitOptions> o = EmitOptionsFor(select::MakeCudaFingerprint(arch, 13000));
    EXPECT_TRUE(o.ok()) << o.status().message();
    return o.ok() ? *o : ptx::EmitOptions{};
  };
  const ptx::EmitOptions h100 = options(Arch{9, 0, ArchVariant::kSpecific});
  EXPECT_EQ(h100.target.sm, 90u);
  EXPECT_TRUE(h100.target.arch_specific);  // wgmma
  EXPECT_FALSE(options(Arch{8, 0, ArchVariant::kPlain}).target.arch_specific);
  EXPECT_FALSE(options(Arch{9, 0, ArchVariant::kPlain}).target.arch_specific);
  EXPECT_FALSE(options(Arch{10, 0, ArchVariant::kSpecific}).target.arch_specific);
}

std::vector<uint8_t> FakeCubin(size_t n) {
  std::vector<uint8_t> cubin(n);
  for (size_t i = 0; i < n; ++i) cubin[i] = static_cast<uint8_t>(i * 37 + 11);
  return cubin;
}

TEST(CudaCodeEntry, RoundTrips) {
  const KernelImage image{"vector_add", 128, 4096};
  const std::vector<uint8_t> cubin = FakeCubin(300);
  const std::vector<uint8_t> entry = EncodeCodeEntry(image, cubin);
  EXPECT_EQ(entry.size(), kCodeEntryHeaderSize + image.entry_name.size() + cubin.size());
  Result<CodeEntry> decoded = DecodeCodeEntry(entry);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->image.entry_name, "vector_add");
  EXPECT_EQ(decoded->image.threads_per_block, 128u);
  EXPECT_EQ(decoded->image.shared_bytes, 4096u);
  EXPECT_EQ(std::vector<uint8_t>(decoded->cubin.begin(), decoded->cubin.end()), cubin);
}

TEST(CudaCodeEntry, RejectsEveryTruncationAndAppendedByte) {
  const std::vector<uint8_t> entry = EncodeCodeEntry({"k_1", 64, 0}, FakeCubin(64));
  for (size_t n = 0; n < entry.size(); ++n) {
    const Result<CodeEntry> r = DecodeCodeEntry(std::span(entry.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Code::kCorruptData) << n;
  }
  std::vector<uint8_t> longer = entry;
  longer.push_back(0);
  EXPECT_FALSE(DecodeCodeEntry(longer).ok());
}

TEST(CudaCodeEntry, RejectsEveryBitFlip) {
  const std::vector<uint8_t> entry = EncodeCodeEntry({"k_1", 64, 512}, FakeCubin(48));
  for (size_t bit = 0; bit < entry.size() * 8; ++bit) {
    std::vector<uint8_t> bad = entry;
    bad[bit / 8] = static_cast<uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(DecodeCodeEntry(bad).ok()) << "bit " << bit;
  }
}

TEST(CudaCodeEntry, RejectsAnotherVersionAndInvalidImages) {
  std::vector<uint8_t> entry = EncodeCodeEntry({"k", 32, 0}, FakeCubin(16));
  entry[8] = 2;  // version 2
  const Result<CodeEntry> r = DecodeCodeEntry(entry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kVersionMismatch);
  // Well-formed, checksummed entries that no emitter could have produced.
  EXPECT_FALSE(DecodeCodeEntry(EncodeCodeEntry({"k", 0, 0}, FakeCubin(16))).ok());
  EXPECT_FALSE(DecodeCodeEntry(EncodeCodeEntry({"k", 32, 0}, {})).ok());
  EXPECT_FALSE(DecodeCodeEntry(EncodeCodeEntry({"", 32, 0}, FakeCubin(16))).ok());
  EXPECT_FALSE(DecodeCodeEntry(EncodeCodeEntry({"a b", 32, 0}, FakeCubin(16))).ok());
  EXPECT_FALSE(DecodeCodeEntry(EncodeCodeEntry({"9k", 32, 0}, FakeCubin(16))).ok());
  EXPECT_FALSE(
      DecodeCodeEntry(EncodeCodeEntry({std::string(kMaxEntryName + 1, 'k'), 32, 0}, FakeCubin(16)))
          .ok());
  EXPECT_TRUE(DecodeCodeEntry(EncodeCodeEntry({"_k$1", 32, 0}, FakeCubin(16))).ok());
}

}  // namespace
}  // namespace hrt::cuda
