#include "cache/key.h"

#include <xxhash.h>

#include "base/bits.h"

namespace hrt::cache {
namespace {

void PutLe(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not canonical: file names must be unique
}

}  // namespace

std::string Key::Hex() const {
  return HexString(hi, 16).substr(2) + HexString(lo, 16).substr(2);
}

std::optional<Key> Key::FromHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Key k;
  for (size_t i = 0; i < 32; ++i) {
    const int d = HexDigit(hex[i]);
    if (d < 0) return std::nullopt;
    uint64_t& half = i < 16 ? k.hi : k.lo;
    half = (half << 4) | static_cast<uint64_t>(d);
  }
  return k;
}

KeyBuilder& KeyBuilder::IrHash(std::span<const uint8_t> bytes) {
  return Set(KeyField::kIrHash,
             std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

KeyBuilder& KeyBuilder::Set(KeyField field, std::string_view value) {
  fields_[static_cast<size_t>(field) - 1] = std::string(value);
  return *this;
}

KeyBuilder& KeyBuilder::Clear(KeyField field) {
  fields_[static_cast<size_t>(field) - 1].reset();
  return *this;
}

std::vector<uint8_t> KeyBuilder::Encode() const {
  std::vector<uint8_t> out;
  PutLe(out, kKeyEncodingVersion, 4);
  PutLe(out, kKeyFieldCount, 4);
  for (size_t i = 0; i < kKeyFieldCount; ++i) {
    const std::optional<std::string>& f = fields_[i];
    out.push_back(static_cast<uint8_t>(i + 1));
    out.push_back(f ? 1 : 0);
    PutLe(out, f ? f->size() : 0, 8);
    if (f) out.insert(out.end(), f->begin(), f->end());
  }
  return out;
}

Key KeyBuilder::Build() const {
  const std::vector<uint8_t> bytes = Encode();
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return Key{h.high64, h.low64};
}

}  // namespace hrt::cache
