// Little-endian byte writer and bounds-checked byte reader for the binary IR
// form (binary.cc). Internal to codegen/ir.
//
// The reader never reads past its span: every read first checks the bytes
// left and fails (returns false, position unchanged) when they are too few, so
// callers can report exactly what was missing and where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace hrt::ir {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}

  size_t size() const { return out_->size(); }

  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) { PutLE(v, 2); }
  void U32(uint32_t v) { PutLE(v, 4); }
  void U64(uint64_t v) { PutLE(v, 8); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bytes(std::span<const uint8_t> b) {
    // resize + memcpy rather than insert(): GCC 12 at -O3 reports a false
    // -Wstringop-overflow on the insert path.
    if (b.empty()) return;
    const size_t n = out_->size();
    out_->resize(n + b.size());
    std::memcpy(out_->data() + n, b.data(), b.size());
  }

  // Appends zero bytes up to the next multiple of |alignment| (a power of 2).
  void PadTo(size_t alignment) {
    while (out_->size() % alignment != 0) out_->push_back(0);
  }

  // Overwrites |width| bytes at |offset| (already written) with |v|.
  void PatchLE(size_t offset, uint64_t v, int width) {
    for (int i = 0; i < width; ++i) (*out_)[offset + i] = static_cast<uint8_t>(v >> (8 * i));
  }

 private:
  void PutLE(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  std::vector<uint8_t>* out_;
};

class ByteReader {
 public:
  // |base_offset| is the position of |data| within the enclosing blob; it
  // only affects offset(), so error messages can name absolute offsets.
  explicit ByteReader(std::span<const uint8_t> data, size_t base_offset = 0)
      : data_(data), base_(base_offset) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t offset() const { return base_ + pos_; }  // absolute
  bool at_end() const { return pos_ == data_.size(); }

  bool U8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool U16(uint16_t* v) { return GetLE(v); }
  bool U32(uint32_t* v) { return GetLE(v); }
  bool U64(uint64_t* v) { return GetLE(v); }
  bool I32(int32_t* v) {
    uint32_t u;
    if (!GetLE(&u)) return false;
    *v = static_cast<int32_t>(u);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!GetLE(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  // Returns a view of the next |n| bytes and advances past them.
  bool Bytes(size_t n, std::span<const uint8_t>* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool GetLE(T* v) {
    if (remaining() < sizeof(T)) return false;
    T r = 0;
    for (size_t i = 0; i < sizeof(T); ++i) r = static_cast<T>(r | (T{data_[pos_ + i]} << (8 * i)));
    pos_ += sizeof(T);
    *v = r;
    return true;
  }

  std::span<const uint8_t> data_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace hrt::ir
