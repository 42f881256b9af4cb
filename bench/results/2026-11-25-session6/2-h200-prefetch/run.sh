#!/usr/bin/env bash
# Session 6, device call 2: conformance + benchmarks with reuse, prefetch and
# automatic .minnctapersm; A/B: the row kernels with STAGES=1 (no prefetch).
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1
$B/cuda_backend_test --gtest_color=no > $OUT/cuda_backend_test.log 2>&1; echo "cuda_backend_test rc=$?"; tail -2 $OUT/cuda_backend_test.log
grep -E "^\[  FAILED|Failure" $OUT/cuda_backend_test.log | head -20
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --sections ${SECTIONS:-row,gemm} --out $OUT/kb > $OUT/kb.log 2>&1; echo "kb rc=$?"; tail -2 $OUT/kb.log
mkdir -p /tmp/ks1; cp kernels/*.tile /tmp/ks1/
for k in rms_norm softmax layer_norm silu_mul; do sed -i '/^  tunable WARPS/a\  tunable STAGES in {1, 2} = 1' /tmp/ks1/$k.tile; done
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels /tmp/ks1 --sections row --out $OUT/kb-s1 > $OUT/kb-s1.log 2>&1; echo "kb-s1 rc=$?"; tail -2 $OUT/kb-s1.log
