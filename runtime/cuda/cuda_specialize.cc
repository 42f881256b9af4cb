#include "runtime/cuda/cuda_specialize.h"

#include "codegen/ptx/analysis.h"

namespace hrt::cuda {

ptx::Assumptions ArgumentFacts(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args) {
  ptx::Assumptions facts;
  const auto& params = kernel.kernel.params;
  const size_t syms = kernel.kernel.shape_syms.size();
  uint64_t seen = 0;  // shape symbols already decided
  for (size_t p = 0; p < params.size() && p < args.size() && p < 64; ++p) {
    if (params[p].kind != ir::ParamKind::kTensor || args[p].kind != HRT_ARG_KIND_TENSOR) continue;
    const hrt_tensor_t& t = args[p].value.tensor;
    const uint32_t rank = params[p].rank;
    if (rank == 0 || t.rank != rank) continue;
    for (uint32_t d = 0; d < rank; ++d) {
      const uint32_t s = params[p].dims[d];
      if (s >= syms || s >= 64 || ((seen >> s) & 1) != 0) continue;
      seen |= uint64_t{1} << s;
      if (t.shape[d] % 16 == 0) facts.div16_syms |= uint64_t{1} << s;
      if (s < kernel.one_trip_limits.size() && t.shape[d] >= 1 &&
          t.shape[d] <= kernel.one_trip_limits[s]) {
        facts.one_trip_syms |= uint64_t{1} << s;
      }
    }
    const int64_t esz = ir::DTypeSize(ptx::DTypeOf(kernel, params[p].elem));
    bool aligned = t.address % 16 == 0 && t.strides[rank - 1] == 1;
    for (uint32_t d = 0; aligned && d + 1 < rank; ++d) aligned = (t.strides[d] * esz) % 16 == 0;
    if (aligned) facts.aligned_params |= uint64_t{1} << p;
  }
  return facts;
}

}  // namespace hrt::cuda
