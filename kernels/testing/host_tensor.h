// Host tensors for checking kernels: strided views over f16, bf16 or f32
// storage, with sentinel-filled padding so a check can tell that a kernel
// wrote nothing outside its output. Used by the kernel tests and by
// `helionrt demo`.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <vector>

#include "codegen/interp/interpreter.h"
#include "codegen/ir/dtype.h"
#include "helionrt/helionrt.h"

namespace hrt::testing {

using ir::DType;

// Marks storage that a kernel must not touch; exactly representable in every
// float dtype and far from any expected output.
constexpr double kSentinel = -77.0;

// Deterministic across platforms, unlike the <random> distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1p-53;
  }

 private:
  uint64_t state_;
};

inline double ReadElem(DType t, const uint8_t* p) {
  switch (t) {
    case DType::kF16:
    case DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, p, sizeof(h));
      return t == DType::kF16 ? ir::HalfToFloat(h) : ir::BF16ToFloat(h);
    }
    default: {
      float f;
      std::memcpy(&f, p, sizeof(f));
      return f;
    }
  }
}

inline void WriteElem(DType t, uint8_t* p, double v) {
  const float f = static_cast<float>(v);
  switch (t) {
    case DType::kF16:
    case DType::kBF16: {
      const uint16_t h = t == DType::kF16 ? ir::FloatToHalf(f) : ir::FloatToBF16(f);
      std::memcpy(p, &h, sizeof(h));
      return;
    }
    default: std::memcpy(p, &f, sizeof(f));
  }
}

// A strided view over host storage of f16, bf16 or f32 elements. Storage the
// view does not cover (row padding, a tail) holds kSentinel, so a test can
// tell that a kernel wrote nothing outside its output.
class HostTensor {
 public:
  HostTensor(DType dtype, std::vector<int64_t> shape, std::vector<int64_t> strides, int64_t tail)
      : dtype_(dtype),
        shape_(std::move(shape)),
        strides_(std::move(strides)),
        elem_size_(ir::DTypeSize(dtype)) {
    int64_t extent = 0;  // an empty view has no storage at all
    if (numel() > 0) {
      extent = 1 + tail;
      for (size_t d = 0; d < shape_.size(); ++d) extent += (shape_[d] - 1) * strides_[d];
    }
    storage_.resize(static_cast<size_t>(extent) * elem_size_);
    for (int64_t i = 0; i < extent; ++i) WriteElem(dtype_, &storage_[i * elem_size_], kSentinel);
  }

  // Row-major; |pad| extra elements after each row (rank 2) and at the end.
  static HostTensor RowMajor(DType dtype, std::vector<int64_t> shape, int64_t pad = 0) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) {
      strides[d - 1] = strides[d] * shape[d] + (d == shape.size() - 1 ? pad : 0);
    }
    return HostTensor(dtype, std::move(shape), std::move(strides), pad);
  }

  int64_t numel() const {
    return std::accumulate(shape_.begin(), shape_.end(), int64_t{1}, std::multiplies<>());
  }

  // Element |i| in row-major order of the view.
  double Get(int64_t i) const { return ReadElem(dtype_, &storage_[Offset(i) * elem_size_]); }
  void Set(int64_t i, double v) { WriteElem(dtype_, &storage_[Offset(i) * elem_size_], v); }

  std::vector<double> Values() const {
    std::vector<double> v(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i) v[i] = Get(i);
    return v;
  }

  // Fills the view with uniform values rounded to the dtype and returns them
  // as stored, which is what the reference must see.
  std::vector<double> FillUniform(Rng& rng, double lo, double hi) {
    for (int64_t i = 0; i < numel(); ++i) Set(i, rng.Uniform(lo, hi));
    return Values();
  }

  // Storage elements outside the view that no longer hold the sentinel.
  int64_t ClobberedPadding() const {
    std::vector<bool> in_view(storage_.size() / elem_size_, false);
    for (int64_t i = 0; i < numel(); ++i) in_view[Offset(i)] = true;
    int64_t clobbered = 0;
    for (size_t e = 0; e < in_view.size(); ++e) {
      if (!in_view[e] && ReadElem(dtype_, &storage_[e * elem_size_]) != kSentinel) ++clobbered;
    }
    return clobbered;
  }

  // The storage the view lives in (padding and sentinels included): what a
  // copy to device memory transfers.
  uint8_t* bytes() { return storage_.data(); }
  size_t byte_size() const { return storage_.size(); }

  // The view as a C API launch argument (host address: reference device).
  hrt_arg_t ToApiArg() {
    return ToApiArgAt(storage_.empty() ? 0 : reinterpret_cast<uint64_t>(storage_.data()));
  }

  // The view as a launch argument for a copy of the storage at |address|
  // (device memory holding byte_size() bytes).
  hrt_arg_t ToApiArgAt(uint64_t address) {
    hrt_arg_t a{};
    a.kind = HRT_ARG_KIND_TENSOR;
    hrt_tensor_t& t = a.value.tensor;
    t.address = address;
    t.dtype = static_cast<int32_t>(dtype_);
    t.rank = static_cast<uint32_t>(shape_.size());
    for (size_t d = 0; d < shape_.size(); ++d) {
      t.shape[d] = shape_[d];
      t.strides[d] = strides_[d];
    }
    return a;
  }

  interp::Arg ToArg() {
    interp::Arg a;
    a.data = storage_.empty() ? nullptr : storage_.data();
    a.rank = static_cast<uint32_t>(shape_.size());
    for (size_t d = 0; d < shape_.size(); ++d) {
      a.shape[d] = shape_[d];
      a.strides[d] = strides_[d];
    }
    return a;
  }

 private:
  int64_t Offset(int64_t i) const {
    int64_t off = 0;
    for (size_t d = shape_.size(); d-- > 0;) {
      off += (i % shape_[d]) * strides_[d];
      i /= shape_[d];
    }
    return off;
  }

  DType dtype_;
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
  size_t elem_size_;
  std::vector<uint8_t> storage_;
};

}  // namespace hrt::testing
