#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds a release build
# and runs `helionrt demo`, which loads the standard kernels, runs each on the
# best device present and reports the path every kernel took.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hrt_ensure_deps
build=${HRT_DEMO_BUILD_DIR:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHRT_BUILD_TESTS=OFF -DHRT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target helionrt_cli
"$build/tools/helionrt" demo "$@"
