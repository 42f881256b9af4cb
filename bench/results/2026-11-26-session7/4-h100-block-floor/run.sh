#!/usr/bin/env bash
# Session 7: GPU tests on the final code, then the row kernels, 3150d5a's
# library vs this one (resident-block floor that follows the register
# estimate for 128/256-thread blocks).
set -uo pipefail
B=$PWD/.device-carry/bin
export LD_LIBRARY_PATH=$B HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/device.txt 2>&1; cat $OUT/device.txt
for t in capi_memory_test cuda_backend_test bundle_launch_test cuda_timer_test; do
  timeout 200 $B/$t --gtest_color=no > $OUT/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' $OUT/$t.log | head -2 | tr '\n' ' ')"
done
grep -h -E "Failure" -A4 $OUT/*_test.log | head -20
$B/helionrt demo > $OUT/demo.log 2>&1; echo "demo rc=$?"; tail -3 $OUT/demo.log
python3 bench/device/kernels_bench.py --lib $PWD/.device-carry/prev2/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-prev > $OUT/kb-prev.log 2>&1; echo "kb-prev rc=$?"
python3 bench/device/kernels_bench.py --lib $B/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-new > $OUT/kb-new.log 2>&1; echo "kb-new rc=$?"; grep WRONG $OUT/kb-new.log | head
python3 bench/results/2026-11-25-session6/compare.py $OUT kb-prev kb-new > $OUT/compare.txt 2>&1; cat $OUT/compare.txt | head -60
cd $OUT && tar czf kb.tgz kb-prev kb-new && rm -rf kb-prev kb-new
