#include "runtime/select/fingerprint.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace hrt::select {
namespace {

constexpr const char* kFeatureNames[kNumNamedFeatures] = {
    "coop_launch",
    "bf16",
    "cp_async",
    "fp8",
    "clusters",
    "tma",
    "wgmma",
    "tcgen05",
    "fp4",
    "vk_fp16",
    "vk_int8",
    "vk_storage16",
    "vk_storage8",
    "vk_subgroup_arith",
    "vk_int64_atomics",
    "vk_coop_matrix",
    "vk_bf16",
    "vk_bda",
    "vk_int64",
    "vk_f32_atomic_add",
    "vk_subgroup_ext_types",
};

constexpr uint32_t kNvidiaVendorId = 0x10de;
constexpr uint64_t kNamedFeatureMask = (uint64_t{1} << kNumNamedFeatures) - 1;

constexpr const char* kHex = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Hex(uint64_t v) {
  std::string s;
  do {
    s.insert(s.begin(), kHex[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

// Decimal or 0x hex, no sign, no spaces, at most |max|.
bool ParseUnsigned(std::string_view text, uint64_t max, uint64_t* out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > max) return false;
  *out = v;
  return true;
}

std::string EscapeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '%' || c == ';' || c == '=') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

bool UnescapeName(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      *out += text[i];
      continue;
    }
    if (text.size() - i < 3) return false;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string UuidString(const std::array<uint8_t, 16>& uuid) {
  std::string s;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[uuid[i] >> 4];
    s += kHex[uuid[i] & 0xf];
  }
  return s;
}

bool ParseUuid(std::string_view text, std::array<uint8_t, 16>* out) {
  std::array<uint8_t, 16> uuid{};
  size_t nibbles = 0;
  for (char c : text) {
    if (c == '-') continue;
    const int v = HexValue(c);
    if (v < 0 || nibbles >= 32) return false;
    uuid[nibbles / 2] = static_cast<uint8_t>(uuid[nibbles / 2] | (v << (nibbles % 2 ? 0 : 4)));
    ++nibbles;
  }
  if (nibbles != 32) return false;
  *out = uuid;
  return true;
}

// The keys of the string form, in canonical order.
enum Key : int {
  kKeyBackend,
  kKeyVendor,
  kKeyName,
  kKeyUuid,
  kKeySm,
  kKeySms,
  kKeyMaxThreads,
  kKeySmem,
  kKeySmemOptin,
  kKeyRegs,
  kKeyWarp,
  kKeyDriver,
  kKeyPtx,
  kKeyMemory,
  kKeyFeatures,
  // Vulkan only, from here on.
  kKeyVkDevice,
  kKeyVkType,
  kKeyVkDriverId,
  kKeyVkDriver,
  kKeyVkApi,
  kKeyVkCacheUuid,
  kKeyVkSubgroupMin,
  kKeyVkSubgroupMax,
  kKeyVkSubgroupOps,
  kKeyVkWgSize,
  kKeyVkPush,
  kNumKeys,
};
constexpr int kFirstVulkanKey = kKeyVkDevice;

constexpr const char* kKeyNames[kNumKeys] = {
    "backend",
    "vendor",
    "name",
    "uuid",
    "sm",
    "sms",
    "max_threads",
    "smem",
    "smem_optin",
    "regs",
    "warp",
    "driver",
    "ptx",
    "memory",
    "features",
    "vk_device",
    "vk_type",
    "vk_driver_id",
    "vk_driver",
    "vk_api",
    "vk_cache_uuid",
    "vk_subgroup_min",
    "vk_subgroup_max",
    "vk_subgroup_ops",
    "vk_wg_size",
    "vk_push",
};

// VkPhysicalDeviceType values 0..4, by name.
constexpr const char* kVkTypeNames[] = {"other", "integrated", "discrete", "virtual", "cpu"};
constexpr uint32_t kNumVkTypes = 5;

// "1024,1024,64".
std::string WorkgroupSizeString(const std::array<uint32_t, 3>& size) {
  return std::to_string(size[0]) + "," + std::to_string(size[1]) + "," + std::to_string(size[2]);
}

bool ParseWorkgroupSize(std::string_view text, std::array<uint32_t, 3>* out) {
  std::array<uint32_t, 3> size{};
  for (size_t i = 0; i < 3; ++i) {
    const size_t comma = i < 2 ? text.find(',') : text.size();
    if (comma == std::string_view::npos) return false;
    uint64_t v = 0;
    if (!ParseUnsigned(text.substr(0, comma), std::numeric_limits<uint32_t>::max(), &v)) {
      return false;
    }
    size[i] = static_cast<uint32_t>(v);
    text.remove_prefix(i < 2 ? comma + 1 : comma);
  }
  *out = size;
  return true;
}

// The sm= value: "90a", or "none" for a device without an arch.
std::string ArchField(Arch arch) {
  return arch == Arch{} ? std::string("none") : ArchDigits(arch);
}

int FindKey(std::string_view name) {
  for (int i = 0; i < kNumKeys; ++i) {
    if (name == kKeyNames[i]) return i;
  }
  return -1;
}

}  // namespace

std::string VulkanApiVersionString(uint32_t version) {
  return std::to_string((version >> 22) & 0x7f) + "." + std::to_string((version >> 12) & 0x3ff) +
         "." + std::to_string(version & 0xfff);
}

Result<uint32_t> ParseVulkanApiVersion(std::string_view text) {
  const std::string what = "bad Vulkan version '" + std::string(text) + "'";
  uint64_t parts[3] = {0, 0, 0};
  constexpr uint64_t kMax[3] = {0x7f, 0x3ff, 0xfff};
  size_t count = 0;
  while (count < 3) {
    const size_t dot = std::min(text.find('.'), text.size());
    if (!ParseUnsigned(text.substr(0, dot), kMax[count], &parts[count])) return ParseError(what);
    ++count;
    if (dot == text.size()) break;
    text.remove_prefix(dot + 1);
    if (count == 3) return ParseError(what);
  }
  if (count < 2) return ParseError(what + " (expected major.minor[.patch])");
  return static_cast<uint32_t>((parts[0] << 22) | (parts[1] << 12) | parts[2]);
}

const char* FeatureName(int bit) {
  return bit >= 0 && bit < kNumNamedFeatures ? kFeatureNames[bit] : nullptr;
}

std::string FeaturesString(uint64_t features) {
  if (features == 0) return "none";
  std::string s;
  for (int bit = 0; bit < kNumNamedFeatures; ++bit) {
    if ((features >> bit) & 1) {
      if (!s.empty()) s += ',';
      s += kFeatureNames[bit];
    }
  }
  const uint64_t unnamed = features & ~kNamedFeatureMask;
  if (unnamed != 0) {
    if (!s.empty()) s += ',';
    s += Hex(unnamed);
  }
  return s;
}

Result<uint64_t> ParseFeatures(std::string_view text) {
  if (text == "none") return uint64_t{0};
  uint64_t features = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view token = text.substr(start, comma - start);
    uint64_t bits = 0;
    if (token.starts_with("0x") || token.starts_with("0X")) {
      if (!ParseUnsigned(token, std::numeric_limits<uint64_t>::max(), &bits)) {
        return ParseError("bad feature mask '" + std::string(token) + "'");
      }
    } else {
      int bit = 0;
      while (bit < kNumNamedFeatures && token != kFeatureNames[bit]) ++bit;
      if (bit == kNumNamedFeatures) {
        return ParseError("unknown feature '" + std::string(token) + "'");
      }
      bits = uint64_t{1} << bit;
    }
    features |= bits;
    start = comma + 1;
  }
  return features;
}

CudaArchDefaults CudaDefaultsFor(Arch arch) {
  CudaArchDefaults d;
  const uint32_t cc = arch.cc();
  // Opt-in shared memory per block, CUDA programming guide (compute
  // capabilities table).
  switch (cc) {
    case 70:
    case 72: d.smem_per_block_optin = 96 * 1024; break;
    case 75: d.smem_per_block_optin = 64 * 1024; break;
    case 80:
    case 87: d.smem_per_block_optin = 163 * 1024; break;
    case 86:
    case 89:
    case 120:
    case 121: d.smem_per_block_optin = 99 * 1024; break;
    case 90:
    case 100:
    case 101:
    case 103:
    case 110: d.smem_per_block_optin = 227 * 1024; break;
    default: break;
  }
  if (cc >= 60) d.features |= kFeatureCooperativeLaunch;
  if (cc >= 80) d.features |= kFeatureBf16 | kFeatureAsyncCopy;
  if (cc >= 89) d.features |= kFeatureFp8;
  if (cc >= 90) d.features |= kFeatureClusters | kFeatureTma;
  if (arch.major == 9 && arch.variant == ArchVariant::kSpecific) d.features |= kFeatureWgmma;
  if ((arch.major == 10 || arch.major == 11) && arch.variant != ArchVariant::kPlain) {
    d.features |= kFeatureTcgen05;
  }
  if (cc >= 100) d.features |= kFeatureFp4;
  return d;
}

Fingerprint MakeCudaFingerprint(Arch arch, int32_t driver_version) {
  const CudaArchDefaults d = CudaDefaultsFor(arch);
  Fingerprint fp;
  fp.backend = HRT_BACKEND_CUDA;
  fp.vendor_id = kNvidiaVendorId;
  fp.arch = arch;
  fp.max_threads_per_block = d.max_threads_per_block;
  fp.smem_per_block = d.smem_per_block;
  fp.smem_per_block_optin = d.smem_per_block_optin;
  fp.regs_per_block = d.regs_per_block;
  fp.warp_size = d.warp_size;
  fp.driver_version = driver_version;
  fp.ptx_isa_max = PtxIsaForDriver(driver_version);
  fp.features = d.features;
  return fp;
}

const char* BackendName(hrt_backend_t backend) {
  switch (backend) {
    case HRT_BACKEND_CPU_REFERENCE: return "cpu-reference";
    case HRT_BACKEND_CUDA: return "cuda";
    case HRT_BACKEND_HIP: return "hip";
    case HRT_BACKEND_VULKAN: return "vulkan";
    case HRT_BACKEND_LEVEL_ZERO: return "level-zero";
    default: return "unknown";
  }
}

Result<hrt_backend_t> ParseBackendName(std::string_view name) {
  for (hrt_backend_t b : {HRT_BACKEND_CPU_REFERENCE, HRT_BACKEND_CUDA, HRT_BACKEND_HIP,
                          HRT_BACKEND_VULKAN, HRT_BACKEND_LEVEL_ZERO}) {
    if (name == BackendName(b)) return b;
  }
  return ParseError("unknown backend '" + std::string(name) +
                    "' (known: cpu-reference, cuda, hip, vulkan, level-zero)");
}

std::string FingerprintToString(const Fingerprint& fp) {
  std::string s;
  auto add = [&](Key key, const std::string& value) {
    if (!s.empty()) s += ';';
    s += kKeyNames[key];
    s += '=';
    s += value;
  };
  add(kKeyBackend, BackendName(fp.backend));
  add(kKeyVendor, Hex(fp.vendor_id));
  add(kKeyName, EscapeName(fp.name));
  add(kKeyUuid, UuidString(fp.uuid));
  add(kKeySm, ArchField(fp.arch));
  add(kKeySms, std::to_string(fp.sm_count));
  add(kKeyMaxThreads, std::to_string(fp.max_threads_per_block));
  add(kKeySmem, std::to_string(fp.smem_per_block));
  add(kKeySmemOptin, std::to_string(fp.smem_per_block_optin));
  add(kKeyRegs, std::to_string(fp.regs_per_block));
  add(kKeyWarp, std::to_string(fp.warp_size));
  add(kKeyDriver, std::to_string(fp.driver_version));
  add(kKeyPtx, PtxIsaString(fp.ptx_isa_max));
  add(kKeyMemory, std::to_string(fp.memory_bytes));
  add(kKeyFeatures, FeaturesString(fp.features));
  if (fp.backend == HRT_BACKEND_VULKAN) {
    const VulkanFacts& vk = fp.vk;
    add(kKeyVkDevice, Hex(vk.device_id));
    add(kKeyVkType, vk.device_type < kNumVkTypes ? kVkTypeNames[vk.device_type]
                                                 : std::to_string(vk.device_type));
    add(kKeyVkDriverId, std::to_string(vk.driver_id));
    add(kKeyVkDriver, Hex(vk.driver_version));
    add(kKeyVkApi, VulkanApiVersionString(vk.api_version));
    add(kKeyVkCacheUuid, UuidString(vk.pipeline_cache_uuid));
    add(kKeyVkSubgroupMin, std::to_string(vk.subgroup_min));
    add(kKeyVkSubgroupMax, std::to_string(vk.subgroup_max));
    add(kKeyVkSubgroupOps, Hex(vk.subgroup_ops));
    add(kKeyVkWgSize, WorkgroupSizeString(vk.max_workgroup_size));
    add(kKeyVkPush, std::to_string(vk.max_push_constants));
  }
  return s;
}

Result<Fingerprint> ParseFingerprint(std::string_view text) {
  std::array<bool, kNumKeys> seen{};
  std::array<std::string_view, kNumKeys> values{};
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const std::string_view item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return ParseError("fingerprint: '" + std::string(item) + "' is not key=value");
    }
    const std::string_view name = item.substr(0, eq);
    const int key = FindKey(name);
    if (key < 0) return ParseError("fingerprint: unknown key '" + std::string(name) + "'");
    if (seen[key]) return ParseError("fingerprint: key '" + std::string(name) + "' repeated");
    seen[key] = true;
    values[key] = item.substr(eq + 1);
  }
  if (!seen[kKeyBackend]) return ParseError("fingerprint: missing key 'backend'");

  auto bad = [&](Key key, const std::string& why) {
    return ParseError("fingerprint: " + std::string(kKeyNames[key]) + "='" +
                      std::string(values[key]) + "': " + why);
  };
  auto parse_u32 = [&](Key key, uint32_t* field) -> Status {
    if (!seen[key]) return Status::Ok();
    uint64_t v = 0;
    if (!ParseUnsigned(values[key], std::numeric_limits<uint32_t>::max(), &v)) {
      return bad(key, "not an unsigned 32-bit number");
    }
    *field = static_cast<uint32_t>(v);
    return Status::Ok();
  };

  Fingerprint fp;
  Result<hrt_backend_t> backend = ParseBackendName(values[kKeyBackend]);
  if (!backend.ok()) return bad(kKeyBackend, backend.status().message());
  fp.backend = *backend;
  if (seen[kKeySm] && values[kKeySm] == "none") {
    if (fp.backend == HRT_BACKEND_CUDA) return bad(kKeySm, "a CUDA device needs an arch");
  } else if (seen[kKeySm]) {
    Result<Arch> arch = ParseArch(values[kKeySm]);
    if (!arch.ok()) return bad(kKeySm, arch.status().message());
    fp.arch = *arch;
  } else if (fp.backend == HRT_BACKEND_CUDA) {
    return ParseError("fingerprint: backend=cuda needs key 'sm'");
  }
  if (seen[kKeyDriver]) {
    uint64_t v = 0;
    if (!ParseUnsigned(values[kKeyDriver], std::numeric_limits<int32_t>::max(), &v)) {
      return bad(kKeyDriver, "not a driver version such as 13000");
    }
    fp.driver_version = static_cast<int32_t>(v);
  }
  if (fp.backend == HRT_BACKEND_CUDA) {
    // Start from the architecture's defaults; explicit keys override below.
    fp = MakeCudaFingerprint(fp.arch, fp.driver_version);
  }

  HRT_RETURN_IF_ERROR(parse_u32(kKeyVendor, &fp.vendor_id));
  if (seen[kKeyName] && !UnescapeName(values[kKeyName], &fp.name)) {
    return bad(kKeyName, "bad %XX escape");
  }
  if (seen[kKeyUuid] && !ParseUuid(values[kKeyUuid], &fp.uuid)) {
    return bad(kKeyUuid, "expected 32 hex digits");
  }
  HRT_RETURN_IF_ERROR(parse_u32(kKeySms, &fp.sm_count));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyMaxThreads, &fp.max_threads_per_block));
  HRT_RETURN_IF_ERROR(parse_u32(kKeySmem, &fp.smem_per_block));
  HRT_RETURN_IF_ERROR(parse_u32(kKeySmemOptin, &fp.smem_per_block_optin));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyRegs, &fp.regs_per_block));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyWarp, &fp.warp_size));
  if (seen[kKeyPtx]) {
    Result<PtxIsa> isa = ParsePtxIsa(values[kKeyPtx]);
    if (!isa.ok()) return bad(kKeyPtx, isa.status().message());
    fp.ptx_isa_max = *isa;
  } else {
    fp.ptx_isa_max = PtxIsaForDriver(fp.driver_version);
  }
  if (seen[kKeyMemory] &&
      !ParseUnsigned(values[kKeyMemory], std::numeric_limits<uint64_t>::max(), &fp.memory_bytes)) {
    return bad(kKeyMemory, "not an unsigned 64-bit number");
  }
  if (seen[kKeyFeatures]) {
    Result<uint64_t> features = ParseFeatures(values[kKeyFeatures]);
    if (!features.ok()) return bad(kKeyFeatures, features.status().message());
    fp.features = *features;
  }
  for (int key = kFirstVulkanKey; key < kNumKeys; ++key) {
    if (seen[key] && fp.backend != HRT_BACKEND_VULKAN) {
      return bad(static_cast<Key>(key), "only Vulkan fingerprints have this key");
    }
  }
  VulkanFacts& vk = fp.vk;
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkDevice, &vk.device_id));
  if (seen[kKeyVkType]) {
    uint32_t type = 0;
    while (type < kNumVkTypes && values[kKeyVkType] != kVkTypeNames[type]) ++type;
    if (type == kNumVkTypes) {
      HRT_RETURN_IF_ERROR(parse_u32(kKeyVkType, &type));
      if (type < kNumVkTypes) return bad(kKeyVkType, "write the type by name");
    }
    vk.device_type = type;
  }
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkDriverId, &vk.driver_id));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkDriver, &vk.driver_version));
  if (seen[kKeyVkApi]) {
    Result<uint32_t> api = ParseVulkanApiVersion(values[kKeyVkApi]);
    if (!api.ok()) return bad(kKeyVkApi, api.status().message());
    vk.api_version = *api;
  }
  if (seen[kKeyVkCacheUuid] && !ParseUuid(values[kKeyVkCacheUuid], &vk.pipeline_cache_uuid)) {
    return bad(kKeyVkCacheUuid, "expected 32 hex digits");
  }
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkSubgroupMin, &vk.subgroup_min));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkSubgroupMax, &vk.subgroup_max));
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkSubgroupOps, &vk.subgroup_ops));
  if (seen[kKeyVkWgSize] && !ParseWorkgroupSize(values[kKeyVkWgSize], &vk.max_workgroup_size)) {
    return bad(kKeyVkWgSize, "expected three unsigned 32-bit numbers x,y,z");
  }
  HRT_RETURN_IF_ERROR(parse_u32(kKeyVkPush, &vk.max_push_constants));
  return fp;
}

std::string HardKey::ToString() const {
  if (backend == HRT_BACKEND_VULKAN) {
    auto hex4 = [](uint32_t v) {
      std::string h = Hex(v).substr(2);
      return std::string(h.size() < 4 ? 4 - h.size() : 0, '0') + h;
    };
    return std::string("backend=vulkan;device=") + hex4(vendor_id) + ":" + hex4(device_id) +
           ";driver=" + Hex(vk_driver_version);
  }
  return std::string("backend=") + BackendName(backend) + ";sm=" + ArchField(arch) +
         ";driver=" + std::to_string(driver_version);
}

uint64_t HardKey::Hash() const {
  const std::string s = ToString();
  return XXH3_64bits(s.data(), s.size());
}

HardKey HardKeyOf(const Fingerprint& fp) {
  HardKey key{fp.backend, fp.arch, fp.driver_version};
  if (fp.backend == HRT_BACKEND_VULKAN) {
    key.vendor_id = fp.vendor_id;
    key.device_id = fp.vk.device_id;
    key.vk_driver_version = fp.vk.driver_version;
  }
  return key;
}

}  // namespace hrt::select
