// Small integer helpers shared by the binary formats (tile-IR blobs,
// bundles): alignment and hexadecimal rendering for error messages.
#pragma once

#include <cstdint>
#include <string>

namespace hrt {

// Rounds |v| up to a multiple of |alignment|, a power of two.
constexpr uint64_t AlignUp(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) & ~(alignment - 1);
}

// "0x" followed by |v| in lower-case hex, zero-padded to |min_digits|.
inline std::string HexString(uint64_t v, int min_digits = 1) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  if (static_cast<int>(s.size()) < min_digits) {
    s.insert(s.begin(), static_cast<size_t>(min_digits) - s.size(), '0');
  }
  return "0x" + s;
}

}  // namespace hrt
