// `helionrt bundle inspect`: a bundle's structure as text for people and as
// JSON for scripts. Both read only what BundleView::Open() validated (no blob
// is decompressed or checksummed; run BundleView::VerifyAll() for that).
#pragma once

#include <string>

#include "runtime/bundle/reader.h"

namespace hrt::bundle {

// Multi-line text: format version, sections, then each kernel with its
// tunables and variants (target, config, resources, shape rules, payload).
std::string InspectText(const BundleView& bundle);

// The same as one JSON object (documented in docs/bundle-format.md).
std::string InspectJson(const BundleView& bundle);

}  // namespace hrt::bundle
