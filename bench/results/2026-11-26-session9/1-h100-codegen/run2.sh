export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
timeout 200 .device-carry/bin/cuda_backend_test --gtest_color=no > $R/cuda_backend_test.txt 2>&1; echo "backend rc=$? $(( $(date +%s)-t0 ))s"; grep -E "^\[  PASSED|^\[  FAILED|Failure" $R/cuda_backend_test.txt | head
timeout 100 .device-carry/bin/bundle_launch_test --gtest_color=no > $R/bundle_launch_test.txt 2>&1; echo "bundle rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections row --out $R/kb-prev2 > $R/kb-prev2.log 2>&1; echo "prev rc=$? $(( $(date +%s)-t0 ))s"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --out $R/kb-new2 > $R/kb-new2.log 2>&1; echo "new rc=$? $(( $(date +%s)-t0 ))s"
HELIONRT_CACHE_DIR=$(mktemp -d) HRT_TUNING_RESULTS=$R/tuning.jsonl timeout 330 .device-carry/bin/cuda_tuning_test --gtest_color=no > $R/cuda_tuning_test.txt 2>&1; echo "tuning rc=$? $(( $(date +%s)-t0 ))s"; grep -E "ratio|PASSED|FAILED" $R/cuda_tuning_test.txt | cut -c1-250 | head -20
cd $OUT && tar czf c.tgz c && rm -rf c
