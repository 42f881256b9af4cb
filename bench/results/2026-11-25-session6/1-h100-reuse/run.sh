#!/usr/bin/env bash
# Session 6, device call 1: conformance + row-kernel benchmarks (reuse), A/B MIN_BLOCKS.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1
$B/cuda_backend_test --gtest_color=no > $OUT/cuda_backend_test.log 2>&1; echo "cuda_backend_test rc=$?"; tail -3 $OUT/cuda_backend_test.log
grep -E "^\[  FAILED|Failure" $OUT/cuda_backend_test.log | head -20
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --out $OUT/kb > $OUT/kb.log 2>&1; echo "kb rc=$?"; tail -3 $OUT/kb.log
mkdir -p /tmp/kmb; cp kernels/*.tile /tmp/kmb/
for k in rms_norm softmax layer_norm silu_mul; do sed -i '/^  tunable WARPS/a\  tunable MIN_BLOCKS in {1, 2} = 2' /tmp/kmb/$k.tile; done
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels /tmp/kmb --sections row --out $OUT/kb-mb > $OUT/kb-mb.log 2>&1; echo "kb-mb rc=$?"; tail -3 $OUT/kb-mb.log
