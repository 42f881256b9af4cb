#!/usr/bin/env bash
# GPU tests (CTest label `gpu`) for the lent device machine, which has a GPU
# and a driver but no build tools: build here, carry the binaries, run there.
#
#   scripts/gpu_tests.sh build   # Release, no sanitizers, no benchmarks, into
#                                # build/gpu; prints the paths to carry
#   scripts/gpu_tests.sh run     # on the device: runs every carried binary
#
# The binaries link helionrt statically (helionrt_static) and libstdc++/libgcc
# statically; libcuda is dlopen'ed at run time, never linked.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HRT_GPU_BUILD_DIR:-build/gpu}
# Every GPU test target (tests/gpu/<name>.cc), plus the device benchmarks and
# the shared library (bench/device/kernels_bench.py loads it through ctypes).
targets=()
for f in tests/gpu/*_test.cc; do targets+=("$(basename "$f" .cc)"); done
# The CLI (demo, info) and the Vulkan conformance suite (a CPU-labelled test
# that runs on lavapipe in CI and on the GPU's Vulkan driver here) come too;
# bench/device/session_run.sh runs them all.
bench_targets=(hrt_launch_bench hrt_first_launch hrt_warm_start hrt_backends_bench helionrt helionrt_cli
               vulkan_backend_test)

case "${1:-build}" in
  build)
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHRT_SANITIZE= -DHRT_BUILD_BENCH=ON \
      -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" \
      -DCMAKE_SHARED_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" "${bench_targets[@]}"
    echo "carry:"
    for t in "${targets[@]}"; do
      bin=$(find "$build" -type f -name "$t" -perm -u+x | head -n1)
      [[ -n "$bin" ]] || { echo "missing binary for $t" >&2; exit 1; }
      echo "  $bin"
      # Anything but the C library and the loader must exist on the device.
      ldd "$bin" | grep -vE 'linux-vdso|libc\.so|libm\.so|ld-linux|libpthread|libdl\.so|librt\.so' \
        | sed 's/^/    needs: /' || true
    done
    ;;
  run)
    status=0
    for t in "${targets[@]}"; do
      bin=$(find "$build" -type f -name "$t" -perm -u+x | head -n1)
      [[ -n "$bin" ]] || { echo "missing $t under $build (carry it)" >&2; status=1; continue; }
      HRT_KERNELS_DIR="$PWD/kernels" "$bin" --gtest_color=no || status=1
    done
    exit $status
    ;;
  *)
    echo "usage: $0 [build|run]" >&2
    exit 2
    ;;
esac
