# Library and GPU tests: scripts/gpu_tests.sh build at 2e7a4f2 (layer_norm
# MIN_BLOCKS, gemm BLOCK_K 128), stripped into .device-carry/. The commits
# after it change the tuner only (configs merged by code), not the code of a
# pinned config: the benchmark pins every config.
set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt 2>&1
R=$OUT/tests; mkdir -p $R
for t in cuda_backend_test bundle_launch_test capi_memory_test cuda_tuning_test cuda_timer_test; do
  HELIONRT_CACHE_DIR=$(mktemp -d) timeout 240 stdbuf -oL .device-carry/tests/$t --gtest_color=no > $R/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)|tests ran' $R/$t.log | tr '\n' ' ')"
done
HELIONRT_CACHE_DIR=$(mktemp -d) timeout 330 python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --out $OUT/kb > $OUT/kb.log 2>&1
echo "kb rc=$? $(tail -1 $OUT/kb.log)"
