export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
timeout 60 .device-carry/bin/cuda_timer_test --gtest_color=no > $R/cuda_timer_test.txt 2>&1; echo "timer rc=$?"; grep -E "^\[  PASSED|^\[  FAILED|Failure|gated|SKIP" $R/cuda_timer_test.txt | head
timeout 60 .device-carry/bin/capi_memory_test --gtest_color=no > $R/capi_memory_test.txt 2>&1; echo "capi rc=$?"
for i in 1 2; do HRT_TUNING_SHOW_SERVING=1 HELIONRT_CACHE_DIR=$(mktemp -d) HRT_TUNING_RESULTS=$R/tuning$i.jsonl timeout 240 .device-carry/bin/cuda_tuning_test --gtest_color=no > $R/cuda_tuning_test$i.txt 2>&1; echo "tuning$i rc=$? $(( $(date +%s)-t0 ))s"; grep -E "ratio|PASSED|FAILED" $R/cuda_tuning_test$i.txt | cut -c1-240 | head -12; done
timeout 200 .device-carry/bin/cuda_backend_test --gtest_color=no > $R/cuda_backend_test.txt 2>&1; echo "backend rc=$? $(( $(date +%s)-t0 ))s"; grep -E "^\[  PASSED|^\[  FAILED" $R/cuda_backend_test.txt
cd $OUT && tar czf c.tgz c && rm -rf c
