export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
timeout 60 .device-carry/bin/cuda_timer_test --gtest_color=no > $R/cuda_timer_test.txt 2>&1; echo "timer rc=$?"; grep -E "^\[  PASSED|^\[  FAILED|Failure|gated|SKIP|Expected|Which|actual" $R/cuda_timer_test.txt | head
if grep -q "PASSED  \] 3" $R/cuda_timer_test.txt; then
HRT_TUNING_SHOW_SERVING=1 HELIONRT_CACHE_DIR=$(mktemp -d) HRT_TUNING_RESULTS=$R/tuning1.jsonl timeout 300 stdbuf -oL .device-carry/bin/cuda_tuning_test --gtest_color=no > $R/cuda_tuning_test1.txt 2>&1; echo "tuning1 rc=$? $(( $(date +%s)-t0 ))s"; grep -E "ratio|PASSED|FAILED" $R/cuda_tuning_test1.txt | cut -c1-240 | head -12
timeout 120 .device-carry/bin/cuda_backend_test --gtest_color=no > $R/cuda_backend_test.txt 2>&1; echo "backend rc=$? $(( $(date +%s)-t0 ))s"; grep -E "^\[  PASSED|^\[  FAILED" $R/cuda_backend_test.txt
fi
cd $OUT && tar czf c.tgz c && rm -rf c
