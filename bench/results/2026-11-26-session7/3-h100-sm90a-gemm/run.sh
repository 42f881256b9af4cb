#!/usr/bin/env bash
# Session 7: the runtime now emits sm_90a (wgmma) on an H100. GPU
# conformance, then gemm: 7b51745's library (sm_90: mma.sync) vs this one
# (sm_90a: wgmma), then the warp-specialized K loop, WARP_ROLES=1 vs 2.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1; cat $OUT/device.txt
timeout 300 $B/cuda_backend_test --gtest_color=no > $OUT/cuda_backend_test.log 2>&1; echo "cuda_backend_test rc=$? $(grep -E '^\[  (PASSED|FAILED)' $OUT/cuda_backend_test.log | head -2 | tr '\n' ' ')"
grep -E "FAILED|Failure" -A4 $OUT/cuda_backend_test.log | head -24
timeout 150 python3 bench/device/kernels_bench.py --lib $PWD/.device-carry/prev/libhelionrt.so --kernels kernels --sections gemm --out $OUT/kg-prev > $OUT/kg-prev.log 2>&1; echo "kg-prev rc=$?"
timeout 150 python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --sections gemm --out $OUT/kg-new > $OUT/kg-new.log 2>&1; echo "kg-new rc=$?"
timeout 150 python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels .device-carry/ws/gemm_ws --sections gemm --out $OUT/kg-ws > $OUT/kg-ws.log 2>&1; echo "kg-ws rc=$?"
for t in kg-prev kg-new kg-ws; do echo "== $t"; grep -A8 "^## gemm bf16 (loop)" $OUT/$t/results.md | tail -5; done
cd $OUT && tar czf kg.tgz kg-prev kg-new kg-ws && rm -rf kg-prev kg-new kg-ws
