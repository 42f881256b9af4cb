#!/usr/bin/env bash
# Session 7, final code (d703ddc): every GPU test and the demo.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
mkdir -p $OUT/final-tests
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/final-tests/device.txt 2>&1; cat $OUT/final-tests/device.txt
for t in capi_memory_test cuda_backend_test bundle_launch_test cuda_timer_test; do
  timeout 200 $B/$t --gtest_color=no > $OUT/final-tests/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' $OUT/final-tests/$t.log | head -2 | tr '\n' ' ')"
done
$B/helionrt demo > $OUT/final-tests/demo.log 2>&1; echo "demo rc=$?"; tail -1 $OUT/final-tests/demo.log
HRT_TUNING_RESULTS=$OUT/final-tests/tuning.jsonl timeout 330 $B/cuda_tuning_test --gtest_color=no > $OUT/final-tests/cuda_tuning_test.log 2>&1; echo "cuda_tuning_test rc=$?"; grep -E '^\[  (PASSED|FAILED)|FAILED  \]' $OUT/final-tests/cuda_tuning_test.log | tail -6
cd $OUT && tar czf final-tests.tgz final-tests && rm -rf final-tests
