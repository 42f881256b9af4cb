# scripts/gpu_tests.sh build with gemm.tile relaxed to WARPS * 128 <= BLOCK_M * BLOCK_N
# (the working tree of the commit after 54f120d); lib and tests stripped into .device-carry/.
set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels
R=$OUT/tests; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
for t in cuda_backend_test cuda_tuning_test; do
  HELIONRT_CACHE_DIR=$(mktemp -d) HRT_TUNING_RESULTS=$R/tuning.jsonl timeout 480 stdbuf -oL .device-carry/tests/$t --gtest_color=no > $R/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' $R/$t.log | tr '\n' ' ' | cut -c1-300)"
done
grep -E "space .*ratio" $R/cuda_tuning_test.log | cut -c1-330
cd $OUT && tar czf tests.tgz tests && rm -rf tests
