#!/usr/bin/env bash
# Session 7: cross-warp reduction through one load and a shuffle tree vs d703ddc.
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1; cat $OUT/device.txt
timeout 200 $B/cuda_backend_test --gtest_color=no > $OUT/cuda_backend_test.log 2>&1; echo "cuda_backend_test rc=$? $(grep -E '^\[  (PASSED|FAILED)' $OUT/cuda_backend_test.log | head -2 | tr '\n' ' ')"
grep -E "Failure" -A5 $OUT/cuda_backend_test.log | head -20
python3 bench/device/kernels_bench.py --lib $PWD/.device-carry/prev5/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-prev > $OUT/kb-prev.log 2>&1; echo "kb-prev rc=$?"
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-new > $OUT/kb-new.log 2>&1; echo "kb-new rc=$?"; grep WRONG $OUT/kb-new.log | head
python3 bench/results/2026-11-25-session6/compare.py $OUT kb-prev kb-new > $OUT/compare.txt 2>&1; cat $OUT/compare.txt | head -60
cd $OUT && tar czf kb.tgz kb-prev kb-new *.log && rm -rf kb-prev kb-new *.log
