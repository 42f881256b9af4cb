#!/usr/bin/env bash
# Everything a session checks on the lent GPU machine, in one call, written
# under OUTDIR (default $OUT). Run from the repository root there, with the
# binaries of `scripts/gpu_tests.sh build` carried in BIN (default
# build/gpu) and, for Vulkan, the Debian packages the device README names in
# .gl/ (the loader) and .gl-extra/ (the Khronos validation layer):
#   bash bench/device/session_run.sh [OUTDIR]
# Produces: *_test.log (GPU tests; tuning.jsonl: serving-time tuning vs
# exhaustive search per kernel and shape; the Vulkan conformance suite on the
# NVIDIA driver with the validation layer on), launch_bench.*, backends.*
# (the same kernels through CUDA and Vulkan on one GPU), demo.txt.
set -uo pipefail
out=${1:-${OUT:?set OUT or pass OUTDIR}}
bin=${BIN:-build/gpu}
mkdir -p "$out"
export HRT_KERNELS_DIR=$PWD/kernels
export HELIONRT_CACHE_DIR=$(mktemp -d)

# Vulkan: the loader from .gl (unpacked over /, as the device README says),
# the validation layer unpacked aside, the NVIDIA ICD named explicitly.
if ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if ls .gl-extra/*.deb >/dev/null 2>&1; then
  vvl=$(mktemp -d)
  for f in .gl-extra/*.deb; do dpkg -x "$f" "$vvl"; done
  export VK_ADD_LAYER_PATH=$vvl/usr/share/vulkan/explicit_layer.d
  export LD_LIBRARY_PATH=$vvl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
# The driver's own manifest names libGLX_nvidia, which needs a display; the
# same ICD through libEGL_nvidia runs headless (docs/vulkan-backend.md).
icd=$(mktemp --suffix=.json)
echo '{"file_format_version":"1.0.1","ICD":{"library_path":"libEGL_nvidia.so.0","api_version":"1.4.312"}}' >"$icd"
export VK_DRIVER_FILES=$icd
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/device.txt" 2>&1

status=0
run() {  # name, command...
  local name=$1
  shift
  echo "== $name"
  "$@" >"$out/$name.log" 2>&1 || { echo "   FAILED ($?)"; status=1; }
  tail -n 3 "$out/$name.log"
}

find_bin() { find "$bin" -type f -name "$1" -perm -u+x | head -n1; }

for t in capi_memory_test cuda_backend_test bundle_launch_test cuda_timer_test; do
  b=$(find_bin $t)
  [ -n "$b" ] && run "$t" "$b" --gtest_color=no
done
b=$(find_bin cuda_tuning_test)
[ -n "$b" ] && run cuda_tuning_test env HRT_TUNING_RESULTS="$out/tuning.jsonl" "$b" --gtest_color=no
b=$(find_bin vulkan_backend_test)
[ -n "$b" ] && run vulkan_backend_test env HELIONRT_VULKAN_VALIDATION=1 "$b" --gtest_color=no

b=$(find_bin hrt_launch_bench)
[ -n "$b" ] && run launch_bench "$b" --benchmark_out="$out/launch_bench.json" \
  --benchmark_out_format=json
b=$(find_bin hrt_backends_bench)
[ -n "$b" ] && run backends env HELIONRT_BACKENDS=cuda,vulkan "$b" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/backends.json" \
  --benchmark_out_format=json
[ -n "$(find_bin hrt_warm_start)" ] && run warm_start bash bench/device/warm_start.sh "$out"
b=$(find_bin helionrt)
if [ -n "$b" ]; then
  run demo "$b" demo
  run demo_vulkan env HELIONRT_BACKENDS=vulkan "$b" demo
  run info "$b" info
fi
exit $status
