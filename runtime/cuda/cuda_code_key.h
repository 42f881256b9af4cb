// Persistent-cache keys and entries for the cubins of generated code.
//
// A warm process must find a kernel's cubin without running the PTX emitter,
// so the key names what determines the PTX rather than hashing the PTX: the
// bound kernel (its IR in binary form, its binding), the emitter options,
// the emitter's own version (a hash of its sources, made at build time),
// the runtime version, and the device's hard key (arch, driver version).
// The entry carries what the launch would otherwise learn from the emitter
// (KernelImage) in a small checksummed header in front of the cubin.
// docs/cache.md ("Generated code") describes both.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cache/key.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/ptx.h"

namespace hrt::cuda {

// Where and how a kernel's code enters the device.
struct KernelImage {
  std::string entry_name;
  uint32_t threads_per_block = 0;
  uint32_t shared_bytes = 0;
};

// The emitter's version: "ptx-src-" and a hash of every source file under
// codegen/ir and codegen/ptx of this build (cmake/codegen_version.cmake).
std::string_view CodegenVersion();

// Everything but the bound kernel that decides the PTX, hence the cubin.
struct GeneratedCodeContext {
  std::string arch;             // select::SmName of the device: "sm_90"
  uint32_t driver_version = 0;  // cuDriverGetVersion: 12040
  ptx::EmitOptions emit;        // what CudaDevice::EmitOptions() gives
  std::string codegen_version;  // CodegenVersion() outside tests
  std::string runtime_version;  // HRT_VERSION_STRING outside tests
};

// A canonical encoding of |kernel|: ir::WriteModuleBinary of a module holding
// just its kernel (deterministic), then its binding (tunable values, dtype
// values, config text), each length-prefixed. Equal encodings emit equal PTX.
std::vector<uint8_t> EncodeBoundKernel(const ir::BoundKernel& kernel);

// A canonical text of the emitter options:
// "target=sm_90,ptx=80,threads=1024,smem=232448,regs=255,entry=NAME", then
// ",assume=ALIGNED/DIV16/ONE_TRIP" (the Assumptions' bit masks, decimal) for code
// specialized to argument facts.
std::string EncodeEmitOptions(const ptx::EmitOptions& options);

// The key of |kernel|'s cubin under |context|: backend "cuda", artifact
// "cubin+image", the device's arch and driver version, the runtime and
// codegen versions, IrHash = XXH3-128 of EncodeBoundKernel, Kernel = the IR
// kernel's name, Config = the bound config text and EncodeEmitOptions.
cache::Key GeneratedCubinKey(const ir::BoundKernel& kernel, const GeneratedCodeContext& context);

// The entry value: a header, then the cubin.
//   bytes  0..8   magic "HRTCUIMG"
//          8..12  u32 version (1)
//         12..16  u32 threads per block (> 0)
//         16..20  u32 dynamic shared bytes
//         20..24  u32 entry name length (1..kMaxEntryName)
//         24..32  u64 cubin length (> 0)
//         32..40  u64 XXH3-64 of bytes 0..32 and everything after byte 40
//         40..    the entry name, then the cubin
// Integers little-endian; nothing may follow the cubin.
inline constexpr uint32_t kCodeEntryVersion = 1;
inline constexpr size_t kCodeEntryHeaderSize = 40;
inline constexpr uint32_t kMaxEntryName = 1024;

// |image| and |cubin| as one entry value. |image| must be valid (DecodeCodeEntry
// accepts the result): a PTX identifier of 1..kMaxEntryName bytes, threads > 0.
std::vector<uint8_t> EncodeCodeEntry(const KernelImage& image, std::span<const uint8_t> cubin);

struct CodeEntry {
  KernelImage image;
  std::span<const uint8_t> cubin;  // points into the decoded bytes
};

// The inverse of EncodeCodeEntry. kCorruptData for anything else: too short,
// another magic, a checksum that does not match, lengths that do not add up
// to the size, an entry name that is not a PTX identifier, zero threads or an
// empty cubin; kVersionMismatch for another version.
Result<CodeEntry> DecodeCodeEntry(std::span<const uint8_t> entry);

}  // namespace hrt::cuda
