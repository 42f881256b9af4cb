set -x
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
mkdir -p $OUT/r/tests $OUT/r/ncu
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/r/device.txt
for t in cuda_backend_test capi_memory_test bundle_launch_test cuda_timer_test; do
  timeout 300 .device-carry/bin/$t --gtest_color=no > $OUT/r/tests/$t.txt 2>&1; echo "$t rc=$?"; grep -E "^\[  PASSED|^\[  FAILED|Failure" $OUT/r/tests/$t.txt | head -12
done
.device-carry/bin/helionrt demo > $OUT/r/demo.txt 2>&1; echo "demo rc=$?"; tail -4 $OUT/r/demo.txt
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections row --out $OUT/r/kb-prev > $OUT/r/kb-prev.log 2>&1; echo "prev rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --out $OUT/r/kb-new > $OUT/r/kb-new.log 2>&1; echo "new rc=$?"
python3 bench/results/2026-11-25-session6/compare.py $OUT/r kb-prev kb-new > $OUT/r/compare.txt 2>&1; cat $OUT/r/compare.txt
for op in softmax layer_norm rms_norm; do
  timeout 120 ncu --clock-control none --kernel-name regex:'^(softmax|layer_norm|rms_norm)$|_tri_' \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --csv --page details python3 bench/device/row_profile.py --lib .device-carry/bin/libhelionrt.so --op $op --launches 0 \
    --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=4096,WARPS=8 --config BLOCK_N=8192,WARPS=8 > $OUT/r/ncu/$op.csv 2> $OUT/r/ncu/$op.err; echo "ncu $op rc=$?"
done
timeout 200 .device-carry/bin/cuda_tuning_test --gtest_color=no > $OUT/r/tests/cuda_tuning_test.txt 2>&1; echo "tuning rc=$?"; grep -E "^\[  PASSED|^\[  FAILED" $OUT/r/tests/cuda_tuning_test.txt
cd $OUT && tar czf r.tgz r && rm -rf r
