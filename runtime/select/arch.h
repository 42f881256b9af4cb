// GPU architectures, PTX ISA versions and CUDA's code-compatibility rules:
// the vocabulary shared by device fingerprints (fingerprint.h), bundle variant
// targets (runtime/bundle/bundle.h) and variant selection (selection.h).
//
// An architecture is written the CUDA way: compute capability major and minor
// plus a variant letter. "sm_90" is plain code for CC 9.0, "sm_90a" uses
// features specific to exactly CC 9.0, "sm_100f" uses features shared by the
// CC 10.x family. Backends other than CUDA use the same triple with exact
// matching (see CubinRunsOn).
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hrt::select {

// Ordered by what code of that variant may use: family features are a subset
// of arch-specific ones. On a device fingerprint the variant is the most
// specific kind of code the device accepts (a CC 9.0 GPU reports kSpecific).
enum class ArchVariant : uint8_t {
  kPlain = 0,     // no suffix
  kFamily = 1,    // 'f'
  kSpecific = 2,  // 'a'
};
inline constexpr uint8_t kNumArchVariants = 3;

// Largest major accepted by ParseArch; minors are single digits, as in every
// CUDA compute capability so far.
inline constexpr uint16_t kMaxArchMajor = 99;

struct Arch {
  uint16_t major = 0;
  uint16_t minor = 0;  // 0..9
  ArchVariant variant = ArchVariant::kPlain;

  // The compute capability as one number, e.g. 90 for 9.0 (variant ignored).
  uint32_t cc() const { return uint32_t{major} * 10u + minor; }
  friend bool operator==(const Arch&, const Arch&) = default;
};

// "90a", "100f", "86".
std::string ArchDigits(Arch arch);
// "sm_90a" (binaries) and "compute_90a" (PTX targets).
std::string SmName(Arch arch);
std::string ComputeName(Arch arch);
// '\0', 'f' or 'a'.
char ArchVariantLetter(ArchVariant variant);

// Parses "90a", "sm_90a", "compute_100f", "86": one or two major digits, one
// minor digit, an optional 'a' or 'f'. Errors: kParseError.
Result<Arch> ParseArch(std::string_view text);

// A PTX ISA version, the ".version" directive of a PTX file (e.g. 8.7).
struct PtxIsa {
  uint16_t major = 0;
  uint16_t minor = 0;

  bool known() const { return major != 0 || minor != 0; }
  friend auto operator<=>(const PtxIsa&, const PtxIsa&) = default;
};

// "8.7".
std::string PtxIsaString(PtxIsa isa);
// Parses "8.7" (minor one or two digits). Errors: kParseError.
Result<PtxIsa> ParsePtxIsa(std::string_view text);

// A CUDA release and the newest PTX ISA its driver JITs. Versions are in
// cuDriverGetVersion() form: 1000 * major + 10 * minor (12.8 is 12080).
struct DriverPtxEntry {
  int32_t driver_version;
  PtxIsa ptx_isa;
};

// The table behind PtxIsaForDriver(), oldest release first (CUDA 9.0 to
// 13.1, from NVIDIA's PTX ISA release history). Documented in
// docs/bundle-format.md.
std::span<const DriverPtxEntry> DriverPtxTable();

// The newest PTX ISA a driver of |driver_version| can JIT: the entry of the
// newest release not newer than the driver. A driver newer than every entry
// gets the newest known ISA; one older than CUDA 9.0 (or 0, unknown) gets
// {0, 0}, which no PTX satisfies.
PtxIsa PtxIsaForDriver(int32_t driver_version);

// The oldest driver version (cuDriverGetVersion form) that JITs |isa|, or 0
// when |isa| is newer than the table knows.
int32_t MinDriverForPtxIsa(PtxIsa isa);

// "12.8" for 12080; "unknown" for values <= 0.
std::string DriverVersionString(int32_t driver_version);

// CUDA's rules for a binary (cubin) compiled for |code| on a device whose
// most specific accepted target is |device|:
//   plain  sm_XY: same major, device minor >= Y;
//   family sm_XYf: same major, device minor >= Y, device variant 'f' or 'a';
//   arch   sm_XYa: the exact same CC, device variant 'a'.
bool CubinRunsOn(Arch code, Arch device);

// CUDA's rules for PTX compiled for |target| (JIT by the driver):
//   plain  compute_XY: any device with CC >= X.Y;
//   family compute_XYf: same major, device minor >= Y, device variant 'f' or 'a';
//   arch   compute_XYa: the exact same CC, device variant 'a'.
bool PtxRunsOn(Arch target, Arch device);

// How far |code| is below |device| when it runs there: 0 for the same arch
// and variant, growing with the CC gap (3 per CC step) and the variant gap.
// Selection prefers smaller distances within a tier (closer code is tuned
// for more of the device).
uint32_t ArchDistance(Arch code, Arch device);

}  // namespace hrt::select
