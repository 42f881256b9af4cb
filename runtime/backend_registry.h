// The list of backends compiled into the library, in device-index order.
#pragma once

#include <span>

#include "runtime/backend.h"

namespace hrt::runtime {

// Every registered backend factory, best first: GPU backends in order of
// preference, then the CPU reference backend, which is always last so that
// device 0 is the best device present and the reference device the last.
std::span<const BackendFactory* const> RegisteredBackends();

}  // namespace hrt::runtime
