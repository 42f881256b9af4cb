#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything with
# AddressSanitizer + UBSan and warnings as errors, and runs every test.
# Tests labelled `gpu` skip with a reason when no device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hrt_ensure_deps
build=${HRT_TEST_BUILD_DIR:-build/test}
jobs=$(nproc)
# -O1 -g1: half the compile time of -O2 -g on CI's 2 cores, while keeping the
# optimizer-driven warnings and line numbers in sanitizer reports.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHRT_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DHRT_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"
status=0
out="$build/ctest-output.txt"
ctest --test-dir "$build" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$out" || status=$?
# Say why skipped tests (the gpu label without a device) did not run.
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ] && grep -q ": Skipped$" "$log"; then
  echo "Skip reasons:"
  grep -A1 ": Skipped$" "$log" | grep -v -e ": Skipped$" -e "^--$" | sort | uniq -c | sed 's/^/  /'
fi
# Keep ctest's summary as the closing line.
grep -E "tests passed|tests failed" "$out" | tail -n 1 || true
exit $status
