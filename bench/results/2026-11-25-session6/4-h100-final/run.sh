#!/usr/bin/env bash
# Session 6, final device call: every GPU test, the demo, the kernel benchmark,
# then serving-time tuning (last: the longest).
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1; cat $OUT/device.txt
for t in capi_memory_test cuda_backend_test bundle_launch_test cuda_timer_test; do
  $B/$t --gtest_color=no > $OUT/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' $OUT/$t.log | head -2 | tr '\n' ' ')"
done
$B/helionrt demo > $OUT/demo.log 2>&1; echo "demo rc=$?"; tail -3 $OUT/demo.log
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --out $OUT/kb > $OUT/kb.log 2>&1; echo "kb rc=$?"; grep -E "gemm bf16 (1024|4096|8192)x|WRONG" $OUT/kb.log; tail -1 $OUT/kb.log
HRT_TUNING_RESULTS=$OUT/tuning.jsonl timeout 360 $B/cuda_tuning_test --gtest_color=no > $OUT/cuda_tuning_test.log 2>&1; echo "cuda_tuning_test rc=$?"; grep -E '^\[  (PASSED|FAILED)|^\[       OK|FAILED  \]' $OUT/cuda_tuning_test.log | tail -12
