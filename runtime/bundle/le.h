// Little-endian loads and stores for the bundle format. Callers check bounds
// first: these helpers read or write exactly the bytes they are given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hrt::bundle::le {

template <typename T>
T Load(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  return v;
}
inline uint16_t LoadU16(const uint8_t* p) {
  return Load<uint16_t>(p);
}
inline uint32_t LoadU32(const uint8_t* p) {
  return Load<uint32_t>(p);
}
inline uint64_t LoadU64(const uint8_t* p) {
  return Load<uint64_t>(p);
}
inline int32_t LoadI32(const uint8_t* p) {
  return static_cast<int32_t>(LoadU32(p));
}
inline int64_t LoadI64(const uint8_t* p) {
  return static_cast<int64_t>(LoadU64(p));
}

template <typename T>
void Store(uint8_t* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void StoreU16(uint8_t* p, uint16_t v) {
  Store(p, v);
}
inline void StoreU32(uint8_t* p, uint32_t v) {
  Store(p, v);
}
inline void StoreU64(uint8_t* p, uint64_t v) {
  Store(p, v);
}

// Appends |v| to |out|.
template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutU8(std::vector<uint8_t>* out, uint8_t v) {
  out->push_back(v);
}
inline void PutU16(std::vector<uint8_t>* out, uint16_t v) {
  Put(out, v);
}
inline void PutU32(std::vector<uint8_t>* out, uint32_t v) {
  Put(out, v);
}
inline void PutU64(std::vector<uint8_t>* out, uint64_t v) {
  Put(out, v);
}
inline void PutI32(std::vector<uint8_t>* out, int32_t v) {
  Put(out, static_cast<uint32_t>(v));
}
inline void PutI64(std::vector<uint8_t>* out, int64_t v) {
  Put(out, static_cast<uint64_t>(v));
}

}  // namespace hrt::bundle::le
