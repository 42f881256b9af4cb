set -u
R=$OUT/c; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
export HRT_KERNELS_DIR=$PWD/kernels
for t in cuda_backend_test bundle_launch_test capi_memory_test cuda_tuning_test; do
  HELIONRT_CACHE_DIR=$(mktemp -d) stdbuf -oL .device-carry/tests/$t --gtest_color=no > $R/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)|tests ran' $R/$t.log | tr '\n' ' ')"
done
cd $OUT && tar czf c.tgz c && rm -rf c
