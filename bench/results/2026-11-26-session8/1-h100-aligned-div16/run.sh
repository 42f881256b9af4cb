set -x
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/device.txt
mkdir -p $OUT/tests $OUT/ncu
for t in cuda_backend_test capi_memory_test bundle_launch_test cuda_timer_test; do
  timeout 300 .device-carry/bin/$t --gtest_color=no > $OUT/tests/$t.txt 2>&1; echo "$t rc=$?"; grep -E "PASSED|FAILED|Failure" $OUT/tests/$t.txt | head -20
done
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-prev > $OUT/kb-prev.log 2>&1; echo "prev rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --out $OUT/kb-new > $OUT/kb-new.log 2>&1; echo "new rc=$?"
python3 bench/results/2026-11-25-session6/compare.py $OUT kb-prev kb-new > $OUT/compare.txt 2>&1; cat $OUT/compare.txt | head -60
for op in softmax layer_norm rms_norm; do
  timeout 120 ncu --clock-control none --kernel-name regex:'^(softmax|layer_norm|rms_norm)$|_tri_' \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --csv --page details python3 bench/device/row_profile.py --lib .device-carry/bin/libhelionrt.so --op $op --launches 0 \
    --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=4096,WARPS=8 --config BLOCK_N=2048,WARPS=4 > $OUT/ncu/$op.csv 2> $OUT/ncu/$op.err; echo "ncu $op rc=$?"
done
timeout 200 .device-carry/bin/cuda_tuning_test --gtest_color=no > $OUT/tests/cuda_tuning_test.txt 2>&1; echo "tuning rc=$?"; grep -E "PASSED|FAILED" $OUT/tests/cuda_tuning_test.txt
