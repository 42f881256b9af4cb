// Importing a Triton-compiled kernel as a bundle kernel (`helionrt bundle
// import-triton`, tests).
#pragma once

#include <string>

#include "base/status.h"
#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

// Reads DIR as tests/fixtures/triton/README.md describes it: Triton's own
// metadata (triton_metadata.json: name, num_warps, shared, target, scratch
// sizes), signature.json (the parameters' Triton types, the trailing scratch
// pointer count), kernel.cubin and/or kernel.ptx. Returns a Triton-ABI kernel
// entry: a signature-only IR declaration (tensors for pointer params, each
// with its own size symbol; i32, i64 and fp32 scalars), a cubin variant for
// the PTX's target and a PTX variant, with threads = num_warps x 32 and the
// metadata's shared memory. Errors: kInvalidArgument / kParseError naming
// the file and field; kUnsupported for what the runtime cannot launch
// (non-zero scratch sizes, clusters, cooperative launch, other scalar types).
Result<KernelEntry> ImportTritonKernel(const std::string& dir);

// The tile-IR text of the signature declaration ImportTritonKernel() builds
// (exposed for tests).
Result<std::string> TritonSignatureIr(const std::string& kernel_name,
                                      const std::string& signature_json);

}  // namespace hrt::bundle
