// The target description at the top of a PTX file, so a bundle builder (or
// the Triton importer) can fill a PTX variant's target from the PTX itself.
#pragma once

#include <string_view>

#include "base/status.h"
#include "runtime/select/arch.h"

namespace hrt::bundle {

struct PtxHeader {
  select::PtxIsa version;  // ".version 8.7"
  select::Arch target;     // ".target sm_90a" (the first target listed)
};

// Reads the ".version" and ".target" directives, which PTX requires before
// any other statement; comments and blank lines may come first. Stops at the
// first other statement.
// Errors: kParseError when either directive is missing or malformed.
Result<PtxHeader> ScanPtxHeader(std::string_view ptx);

}  // namespace hrt::bundle
