#include "runtime/tuning/output_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "kernels/testing/reference_loops.h"

namespace hrt::tuning {

bool WritesParam(const ir::Block& block, uint32_t param) {
  for (const ir::Op& op : block.ops) {
    if ((op.code == ir::OpCode::kStore || op.code == ir::OpCode::kAtomicAdd) && !op.ints.empty() &&
        op.ints[0] == static_cast<int64_t>(param)) {
      return true;
    }
    for (const ir::Block& r : op.regions) {
      if (WritesParam(r, param)) return true;
    }
  }
  return false;
}

double ReadElement(ir::DType t, const uint8_t* p) {
  switch (t) {
    case ir::DType::kF16:
    case ir::DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return t == ir::DType::kF16 ? ir::HalfToFloat(h) : ir::BF16ToFloat(h);
    }
    case ir::DType::kF32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    default: {
      int64_t v = 0;
      std::memcpy(&v, p, ir::DTypeSize(t));
      const uint32_t bits = 8 * ir::DTypeSize(t);
      if (ir::IsSignedInt(t) && bits < 64 && (v >> (bits - 1)) & 1) v -= int64_t{1} << bits;
      return static_cast<double>(v);
    }
  }
}

bool DependsOnPriorContents(const ir::Block& block, uint32_t param) {
  for (const ir::Op& op : block.ops) {
    if ((op.code == ir::OpCode::kLoad || op.code == ir::OpCode::kAtomicAdd) && !op.ints.empty() &&
        op.ints[0] == static_cast<int64_t>(param)) {
      return true;
    }
    for (const ir::Block& r : op.regions) {
      if (DependsOnPriorContents(r, param)) return true;
    }
  }
  return false;
}

namespace {

// Float elements as f32 (exact for f16 and bf16), without ReadElement's
// per-element switch: checks compare whole outputs of tens of MB on the
// tuning worker, where this loop is most of a check's latency.
template <ir::DType T>
float LoadFloat(const uint8_t* p) {
  if constexpr (T == ir::DType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  } else {
    uint16_t h;
    std::memcpy(&h, p, 2);
    if constexpr (T == ir::DType::kBF16) {
      const uint32_t bits = uint32_t{h} << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    } else {
      return ir::HalfToFloat(h);
    }
  }
}

std::string Mismatch(size_t i, double got, double want) {
  char msg[128];
  std::snprintf(msg, sizeof(msg), "element %zu: %.9g, the reference gives %.9g", i, got, want);
  return msg;
}

template <ir::DType T>
std::string CompareFloats(std::span<const uint8_t> want, std::span<const uint8_t> got) {
  constexpr size_t es = T == ir::DType::kF32 ? 4 : 2;
  const size_t n = want.size() / es;
  double scale = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double v = std::fabs(static_cast<double>(LoadFloat<T>(want.data() + i * es)));
    if (std::isfinite(v)) scale = std::max(scale, v);
  }
  // Tolerance(t, w, scale) = RelTol * |w| + kF32ComputeTol * scale + AbsTol.
  const double fixed = ref::kF32ComputeTol * scale + ref::AbsTol(T);
  const double rel = ref::RelTol(T);
  for (size_t i = 0; i < n; ++i) {
    const double w = LoadFloat<T>(want.data() + i * es);
    const double g = LoadFloat<T>(got.data() + i * es);
    const bool ok = std::isfinite(w) ? std::fabs(g - w) <= 2.0 * (rel * std::fabs(w) + fixed)
                                     : (w == g || (std::isnan(w) && std::isnan(g)));
    if (!ok) return Mismatch(i, g, w);
  }
  return std::string();
}

}  // namespace

std::string CompareOutputs(ir::DType t, std::span<const uint8_t> want,
                           std::span<const uint8_t> got) {
  const uint32_t es = ir::DTypeSize(t);
  if (want.size() != got.size()) {
    return "sizes differ: " + std::to_string(got.size()) + " bytes, the reference has " +
           std::to_string(want.size());
  }
  switch (t) {
    case ir::DType::kF32: return CompareFloats<ir::DType::kF32>(want, got);
    case ir::DType::kF16: return CompareFloats<ir::DType::kF16>(want, got);
    case ir::DType::kBF16: return CompareFloats<ir::DType::kBF16>(want, got);
    default: break;
  }
  const size_t n = want.size() / es;
  double scale = 0.0;
  if (ir::IsFloat(t)) {
    for (size_t i = 0; i < n; ++i) {
      const double v = std::fabs(ReadElement(t, want.data() + i * es));
      if (std::isfinite(v)) scale = std::max(scale, v);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const double w = ReadElement(t, want.data() + i * es);
    const double g = ReadElement(t, got.data() + i * es);
    bool ok;
    if (!ir::IsFloat(t) || !std::isfinite(w)) {
      ok = w == g || (std::isnan(w) && std::isnan(g));
    } else {
      ok = std::fabs(g - w) <= 2.0 * ref::Tolerance(t, w, scale);
    }
    if (!ok) return Mismatch(i, g, w);
  }
  return std::string();
}

}  // namespace hrt::tuning
