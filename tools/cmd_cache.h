// helionrt cache: inspect and maintain the persistent kernel cache
// (docs/cache.md).
#pragma once

#include "tools/commands.h"

namespace hrt::cli {

// `helionrt cache ls|stats|verify|prune|clear [--dir D] [--json]
// [--max-bytes N] [--max-age T]`. Returns 0 on success, 1 when the cache
// cannot be used (the message says why), 2 for a usage error.
int CmdCache(Args args);

}  // namespace hrt::cli
