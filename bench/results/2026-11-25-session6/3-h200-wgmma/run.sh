#!/usr/bin/env bash
# Session 6, device call 3: conformance (wgmma merged) + benchmarks; A/B: row
# kernels with MIN_BLOCKS=1 (no .minnctapersm) against the automatic floor.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1
$B/cuda_backend_test --gtest_color=no > $OUT/cuda_backend_test.log 2>&1; echo "cuda_backend_test rc=$?"; tail -2 $OUT/cuda_backend_test.log
grep -E "^\[  FAILED|Failure" $OUT/cuda_backend_test.log | head -10
grep -B2 -A8 "Failure" $OUT/cuda_backend_test.log | grep -E "element|trace|cuda_backend_test.cc:[0-9]+: [A-Z]" | head -30
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --out $OUT/kb > $OUT/kb.log 2>&1; echo "kb rc=$?"; grep -E "gemm bf16 (1024|4096|8192)x" $OUT/kb.log; tail -1 $OUT/kb.log
mkdir -p /tmp/km1; cp kernels/*.tile /tmp/km1/
for k in rms_norm softmax layer_norm silu_mul; do sed -i '/^  tunable WARPS/a\  tunable MIN_BLOCKS in {1, 2} = 1' /tmp/km1/$k.tile; done
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels /tmp/km1 --sections row --out $OUT/kb-m1 > $OUT/kb-m1.log 2>&1; echo "kb-m1 rc=$?"; tail -1 $OUT/kb-m1.log
