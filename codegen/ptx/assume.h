// Facts about a launch's arguments that the emitter may rely on, so that one
// kernel can be compiled for the common case (aligned, contiguous tensors
// whose sizes are multiples of 16) without the run-time tests and scalar
// fallbacks that other arguments need. Like Triton's specialization on
// pointer alignment and divisibility by 16, but decided per launch by the
// caller (the CUDA backend, runtime/cuda/cuda_specialize.h), which must run
// code emitted under facts only on arguments that have them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ptx {

struct Assumptions {
  // Bit p: tensor parameter p has a 16-byte aligned base address, stride 1
  // along its last dim, and every other dim's stride times the element size
  // a multiple of 16 bytes (so every row starts 16-byte aligned). Bits of
  // scalar parameters and of parameters past 63 are ignored.
  uint64_t aligned_params = 0;
  // Bit s: shape symbol s (the kernel's shape_syms order) is a multiple of 16.
  uint64_t div16_syms = 0;
  // Bit s: 1 <= shape symbol s <= the bound kernel's one_trip_limits[s], so
  // every loop `for iv = 0 to s step K` runs exactly one trip (a row that
  // fits one chunk) and is lowered as straight-line code.
  uint64_t one_trip_syms = 0;

  bool any() const { return aligned_params != 0 || div16_syms != 0 || one_trip_syms != 0; }
  friend bool operator==(const Assumptions& a, const Assumptions& b) {
    return a.aligned_params == b.aligned_params && a.div16_syms == b.div16_syms &&
           a.one_trip_syms == b.one_trip_syms;
  }
};

inline bool AssumedAligned(const Assumptions& a, uint32_t param) {
  return param < 64 && ((a.aligned_params >> param) & 1) != 0;
}
inline bool AssumedDiv16(const Assumptions& a, uint32_t sym) {
  return sym < 64 && ((a.div16_syms >> sym) & 1) != 0;
}
inline bool AssumedOneTrip(const Assumptions& a, uint32_t sym) {
  return sym < 64 && ((a.one_trip_syms >> sym) & 1) != 0;
}

// "x,w,y,N,N<=BLOCK": the tensor parameters assumed aligned, the shape
// symbols assumed multiples of 16, and ("SYM<=BLOCK") those whose loops are
// assumed to run one trip, by name ("all": every one of each; "": none).
// kInvalidArgument for a name that is none of these.
Result<Assumptions> ParseAssumptions(const ir::Kernel& kernel, std::string_view text);
// The inverse, names in parameter then symbol order; "" for none.
std::string AssumptionsText(const ir::Kernel& kernel, const Assumptions& assume);

}  // namespace hrt::ptx
