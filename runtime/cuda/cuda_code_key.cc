#include "runtime/cuda/cuda_code_key.h"

#include <xxhash.h>

#include <cstring>

#include "codegen/ir/binary.h"
#include "hrt_codegen_version.h"  // generated: runtime/CMakeLists.txt

namespace hrt::cuda {
namespace {

constexpr char kMagic[8] = {'H', 'R', 'T', 'C', 'U', 'I', 'M', 'G'};
constexpr size_t kChecksumOffset = 32;

void PutLE(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetLE(std::span<const uint8_t> in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{in[at + static_cast<size_t>(i)]} << (8 * i);
  return v;
}

void PutBytes(std::vector<uint8_t>& out, std::string_view bytes) {
  PutLE(out, bytes.size(), 8);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// XXH3-64 of the header's first 32 bytes and everything after its checksum.
uint64_t EntryChecksum(std::span<const uint8_t> entry) {
  const uint64_t head = XXH3_64bits(entry.data(), kChecksumOffset);
  return XXH3_64bits_withSeed(entry.data() + kCodeEntryHeaderSize,
                              entry.size() - kCodeEntryHeaderSize, head);
}

// PTX: [a-zA-Z][a-zA-Z0-9_$]* or [_$%][a-zA-Z0-9_$]+.
bool IsPtxIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto follows = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
  };
  const char first = s[0];
  const bool letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
  if (!letter && !((first == '_' || first == '$' || first == '%') && s.size() > 1)) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (!follows(s[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view CodegenVersion() {
  return HRT_PTX_CODEGEN_VERSION;
}

std::vector<uint8_t> EncodeBoundKernel(const ir::BoundKernel& kernel) {
  ir::Module module;
  module.kernels.push_back(kernel.kernel);
  std::vector<uint8_t> out;
  const std::vector<uint8_t> ir = ir::WriteModuleBinary(module);
  PutBytes(out, std::string_view(reinterpret_cast<const char*>(ir.data()), ir.size()));
  PutLE(out, kernel.tunable_values.size(), 8);
  for (int64_t v : kernel.tunable_values) PutLE(out, static_cast<uint64_t>(v), 8);
  PutLE(out, kernel.dtype_values.size(), 8);
  for (ir::DType t : kernel.dtype_values) PutLE(out, static_cast<uint64_t>(t), 8);
  PutBytes(out, kernel.config.ToString());
  return out;
}

std::string EncodeEmitOptions(const ptx::EmitOptions& options) {
  return "target=" + ptx::TargetName(options.target) +
         ",ptx=" + std::to_string(options.target.ptx_version) +
         ",threads=" + std::to_string(options.limits.max_threads_per_block) +
         ",smem=" + std::to_string(options.limits.max_shared_bytes) +
         ",regs=" + std::to_string(options.limits.max_registers_per_thread) +
         ",entry=" + options.entry_name +
         // Only code specialized to argument facts says so: generic code keeps
         // the keys it had before specialization existed.
         (options.assume.any() ? ",assume=" + std::to_string(options.assume.aligned_params) + "/" +
                                     std::to_string(options.assume.div16_syms) + "/" +
                                     std::to_string(options.assume.one_trip_syms)
                               : std::string());
}

cache::Key GeneratedCubinKey(const ir::BoundKernel& kernel, const GeneratedCodeContext& context) {
  const std::vector<uint8_t> encoded = EncodeBoundKernel(kernel);
  const XXH128_hash_t h = XXH3_128bits(encoded.data(), encoded.size());
  std::vector<uint8_t> ir_hash;
  PutLE(ir_hash, h.low64, 8);
  PutLE(ir_hash, h.high64, 8);
  return cache::KeyBuilder()
      .Backend("cuda")
      .Arch(context.arch)
      .DriverVersion(std::to_string(context.driver_version))
      .RuntimeVersion(context.runtime_version)
      .CodegenVersion(context.codegen_version)
      .Artifact("cubin+image")
      .IrHash(ir_hash)
      .Kernel(kernel.kernel.name)
      .Config(kernel.config.ToString() + ";" + EncodeEmitOptions(context.emit))
      .Build();
}

std::vector<uint8_t> EncodeCodeEntry(const KernelImage& image, std::span<const uint8_t> cubin) {
  std::vector<uint8_t> out;
  out.reserve(kCodeEntryHeaderSize + image.entry_name.size() + cubin.size());
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  PutLE(out, kCodeEntryVersion, 4);
  PutLE(out, image.threads_per_block, 4);
  PutLE(out, image.shared_bytes, 4);
  PutLE(out, image.entry_name.size(), 4);
  PutLE(out, cubin.size(), 8);
  PutLE(out, 0, 8);  // the checksum, set below
  out.insert(out.end(), image.entry_name.begin(), image.entry_name.end());
  out.insert(out.end(), cubin.begin(), cubin.end());
  const uint64_t sum = EntryChecksum(out);
  for (int i = 0; i < 8; ++i)
    out[kChecksumOffset + static_cast<size_t>(i)] = static_cast<uint8_t>(sum >> (8 * i));
  return out;
}

Result<CodeEntry> DecodeCodeEntry(std::span<const uint8_t> entry) {
  const std::string what = "cached cubin entry: ";
  if (entry.size() < kCodeEntryHeaderSize) return CorruptData(what + "shorter than its header");
  if (std::memcmp(entry.data(), kMagic, sizeof(kMagic)) != 0)
    return CorruptData(what + "bad magic");
  const uint64_t version = GetLE(entry, 8, 4);
  if (version != kCodeEntryVersion) {
    return Status(Code::kVersionMismatch, what + "version " + std::to_string(version) +
                                              ", this runtime reads " +
                                              std::to_string(kCodeEntryVersion));
  }
  if (GetLE(entry, kChecksumOffset, 8) != EntryChecksum(entry)) {
    return CorruptData(what + "checksum mismatch");
  }
  CodeEntry out;
  out.image.threads_per_block = static_cast<uint32_t>(GetLE(entry, 12, 4));
  out.image.shared_bytes = static_cast<uint32_t>(GetLE(entry, 16, 4));
  const uint64_t name_size = GetLE(entry, 20, 4);
  const uint64_t cubin_size = GetLE(entry, 24, 8);
  const uint64_t rest = entry.size() - kCodeEntryHeaderSize;
  if (name_size == 0 || name_size > kMaxEntryName || cubin_size == 0 || name_size > rest ||
      cubin_size != rest - name_size) {
    return CorruptData(what + "lengths do not match its size");
  }
  if (out.image.threads_per_block == 0) return CorruptData(what + "zero threads per block");
  out.image.entry_name.assign(reinterpret_cast<const char*>(entry.data() + kCodeEntryHeaderSize),
                              name_size);
  if (!IsPtxIdentifier(out.image.entry_name)) {
    return CorruptData(what + "the entry name is not a PTX identifier");
  }
  out.cubin = entry.subspan(kCodeEntryHeaderSize + name_size);
  return out;
}

}  // namespace hrt::cuda
