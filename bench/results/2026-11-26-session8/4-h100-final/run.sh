export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/f; mkdir -p $R/tests
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/device.txt
for t in cuda_backend_test capi_memory_test bundle_launch_test cuda_timer_test cuda_tuning_test; do
  timeout 300 .device-carry/bin/$t --gtest_color=no > $R/tests/$t.txt 2>&1; echo "$t rc=$?"; grep -E "^\[  PASSED|^\[  FAILED|Failure|ratio" $R/tests/$t.txt | cut -c1-200 | head -14
done
.device-carry/bin/helionrt demo > $R/demo.txt 2>&1; echo "demo rc=$?"; tail -2 $R/demo.txt
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections gemm --out $R/kb-prev > $R/kb-prev.log 2>&1; echo "prev rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections gemm --out $R/kb-new > $R/kb-new.log 2>&1; echo "new rc=$?"

cd $OUT && tar czf f.tgz f && rm -rf f
