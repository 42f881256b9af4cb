#include "runtime/select/arch.h"

namespace hrt::select {
namespace {

// NVIDIA's PTX ISA release history: the first CUDA release of each PTX ISA
// version. CUDA 12.6 kept PTX ISA 8.5 and 12.7 brought 8.6, so the minor
// numbers stop lining up from there on.
constexpr DriverPtxEntry kDriverPtx[] = {
    {9000, {6, 0}},  {9010, {6, 1}},  {9020, {6, 2}},  {10000, {6, 3}}, {10010, {6, 4}},
    {10020, {6, 5}}, {11000, {7, 0}}, {11010, {7, 1}}, {11020, {7, 2}}, {11030, {7, 3}},
    {11040, {7, 4}}, {11050, {7, 5}}, {11060, {7, 6}}, {11070, {7, 7}}, {11080, {7, 8}},
    {12000, {8, 0}}, {12010, {8, 1}}, {12020, {8, 2}}, {12030, {8, 3}}, {12040, {8, 4}},
    {12050, {8, 5}}, {12060, {8, 5}}, {12070, {8, 6}}, {12080, {8, 7}}, {12090, {8, 8}},
    {13000, {9, 0}}, {13010, {9, 1}},
};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

char ArchVariantLetter(ArchVariant variant) {
  switch (variant) {
    case ArchVariant::kPlain: return '\0';
    case ArchVariant::kFamily: return 'f';
    case ArchVariant::kSpecific: return 'a';
  }
  return '?';
}

std::string ArchDigits(Arch arch) {
  std::string s = std::to_string(arch.major) + std::to_string(arch.minor);
  const char letter = ArchVariantLetter(arch.variant);
  if (letter != '\0') s += letter;
  return s;
}

std::string SmName(Arch arch) {
  return "sm_" + ArchDigits(arch);
}

std::string ComputeName(Arch arch) {
  return "compute_" + ArchDigits(arch);
}

Result<Arch> ParseArch(std::string_view text) {
  const std::string_view original = text;
  for (std::string_view prefix : {"sm_", "compute_"}) {
    if (text.starts_with(prefix)) {
      text.remove_prefix(prefix.size());
      break;
    }
  }
  Arch arch;
  if (!text.empty() && (text.back() == 'a' || text.back() == 'f')) {
    arch.variant = text.back() == 'a' ? ArchVariant::kSpecific : ArchVariant::kFamily;
    text.remove_suffix(1);
  }
  // Two or three digits: major (one or two digits), then the minor digit.
  if (text.size() < 2 || text.size() > 3) {
    return ParseError("bad architecture '" + std::string(original) +
                      "': expected e.g. 90a, sm_86 or compute_100f");
  }
  for (char c : text) {
    if (!IsDigit(c)) {
      return ParseError("bad architecture '" + std::string(original) + "': not a number");
    }
  }
  uint16_t major = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    major = static_cast<uint16_t>(major * 10 + (text[i] - '0'));
  }
  if (major == 0) {
    return ParseError("bad architecture '" + std::string(original) + "': major version 0");
  }
  arch.major = major;
  arch.minor = static_cast<uint16_t>(text.back() - '0');
  return arch;
}

std::string PtxIsaString(PtxIsa isa) {
  return std::to_string(isa.major) + "." + std::to_string(isa.minor);
}

Result<PtxIsa> ParsePtxIsa(std::string_view text) {
  const size_t dot = text.find('.');
  auto bad = [&] {
    return ParseError("bad PTX ISA version '" + std::string(text) + "': expected e.g. 8.7");
  };
  if (dot == std::string_view::npos || dot == 0 || dot > 2 || text.size() - dot - 1 < 1 ||
      text.size() - dot - 1 > 2) {
    return bad();
  }
  PtxIsa isa;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == dot) continue;
    if (!IsDigit(text[i])) return bad();
    uint16_t& part = i < dot ? isa.major : isa.minor;
    part = static_cast<uint16_t>(part * 10 + (text[i] - '0'));
  }
  return isa;
}

std::span<const DriverPtxEntry> DriverPtxTable() {
  return kDriverPtx;
}

PtxIsa PtxIsaForDriver(int32_t driver_version) {
  PtxIsa isa;
  for (const DriverPtxEntry& e : kDriverPtx) {
    if (e.driver_version > driver_version) break;
    isa = e.ptx_isa;
  }
  return isa;
}

int32_t MinDriverForPtxIsa(PtxIsa isa) {
  for (const DriverPtxEntry& e : kDriverPtx) {
    if (e.ptx_isa >= isa) return e.driver_version;
  }
  return 0;
}

std::string DriverVersionString(int32_t driver_version) {
  if (driver_version <= 0) return "unknown";
  return std::to_string(driver_version / 1000) + "." + std::to_string(driver_version % 1000 / 10);
}

bool CubinRunsOn(Arch code, Arch device) {
  if (code.major != device.major) return false;
  switch (code.variant) {
    case ArchVariant::kPlain: return device.minor >= code.minor;
    case ArchVariant::kFamily:
      return device.minor >= code.minor && device.variant >= ArchVariant::kFamily;
    case ArchVariant::kSpecific:
      return device.minor == code.minor && device.variant == ArchVariant::kSpecific;
  }
  return false;
}

bool PtxRunsOn(Arch target, Arch device) {
  switch (target.variant) {
    case ArchVariant::kPlain: return target.cc() <= device.cc();
    case ArchVariant::kFamily:
    case ArchVariant::kSpecific: return CubinRunsOn(target, device);
  }
  return false;
}

uint32_t ArchDistance(Arch code, Arch device) {
  const uint32_t cc_gap = device.cc() > code.cc() ? device.cc() - code.cc() : 0;
  const uint32_t variant_gap =
      device.variant > code.variant
          ? static_cast<uint32_t>(device.variant) - static_cast<uint32_t>(code.variant)
          : 0;
  return cc_gap * kNumArchVariants + variant_gap;
}

}  // namespace hrt::select
