// Renderings of a Selection (selection.h): the reasons as sentences, the whole
// decision chain as text for people and as JSON for scripts. The CLI's
// `helionrt explain` prints these; Select() uses SelectionFailureMessage() for
// its error.
#pragma once

#include <span>
#include <string>

#include "runtime/bundle/reader.h"
#include "runtime/select/fingerprint.h"
#include "runtime/select/selection.h"

namespace hrt::select {

// "cuda sm_90a 'NVIDIA H100', driver 13.0 (13000), PTX ISA 9.0".
std::string DeviceSummary(const Fingerprint& device);

// "cubin sm_90a", "ptx compute_90 (PTX ISA 8.5)", "spirv for vulkan".
std::string VariantSummary(const bundle::BundleView& bundle, uint32_t variant);

// Why |c| was accepted or rejected, as one sentence, e.g. "PTX ISA 8.7 needs
// a CUDA 12.8+ driver; driver 12.4 (12040) JITs up to PTX ISA 8.4".
std::string CandidateReason(const bundle::BundleView& bundle, const Fingerprint& device,
                            const Candidate& c);

// Why no variant of the selection's kernel runs: the kernel, the device, the
// shapes and each variant with its reason (or "the kernel has no variants").
// For selections of kind kCodegen or kNone.
std::string NoVariantReason(const bundle::BundleView& bundle, const Fingerprint& device,
                            std::span<const ShapeValue> shapes, const Selection& selection);

// The message of Select()'s error for a selection of kind kNone: the kernel,
// the device, each variant with its reason, and why code generation was not
// possible.
std::string SelectionFailureMessage(const bundle::BundleView& bundle, const Fingerprint& device,
                                    std::span<const ShapeValue> shapes, const Selection& selection);

// Multi-line text: kernel, device, shapes, one line per candidate (chosen,
// accepted or rejected, with its reason) and the decision.
std::string ExplainText(const bundle::BundleView& bundle, const Fingerprint& device,
                        std::span<const ShapeValue> shapes, const Selection& selection);

// One JSON object (documented in docs/bundle-format.md, "Explain output").
std::string ExplainJson(const bundle::BundleView& bundle, const Fingerprint& device,
                        std::span<const ShapeValue> shapes, const Selection& selection);

}  // namespace hrt::select
