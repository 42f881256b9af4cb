#!/usr/bin/env bash
# Session 7, last call on the final code: the kernel benchmark (row + gemm,
# standard kernels) and serving-time tuning.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
mkdir -p $OUT/final
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/final/device.txt 2>&1; cat $OUT/final/device.txt
timeout 200 python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --out $OUT/final/kb > $OUT/final/kb.log 2>&1; echo "kb rc=$?"; grep -E "WRONG" $OUT/final/kb.log | head
grep -A8 "^## gemm bf16 (loop)" $OUT/final/kb/results.md | tail -5 | cut -d'|' -f2-10
HRT_TUNING_RESULTS=$OUT/final/tuning.jsonl timeout 330 $B/cuda_tuning_test --gtest_color=no > $OUT/final/cuda_tuning_test.log 2>&1; echo "cuda_tuning_test rc=$?"; grep -E '^\[  (PASSED|FAILED)|FAILED  \]' $OUT/final/cuda_tuning_test.log | tail -12
cd $OUT && tar czf final.tgz final && rm -rf final
