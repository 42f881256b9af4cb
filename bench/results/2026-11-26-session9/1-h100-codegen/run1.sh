export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/device.txt
t0=$(date +%s)
timeout 200 .device-carry/bin/cuda_backend_test --gtest_color=no > $R/cuda_backend_test.txt 2>&1; echo "backend rc=$? $(( $(date +%s)-t0 ))s"; grep -E "^\[  PASSED|^\[  FAILED|Failure" $R/cuda_backend_test.txt | head
timeout 100 .device-carry/bin/bundle_launch_test --gtest_color=no > $R/bundle_launch_test.txt 2>&1; echo "bundle rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections row --out $R/kb-prev > $R/kb-prev.log 2>&1; echo "prev rc=$? $(( $(date +%s)-t0 ))s"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --out $R/kb-new > $R/kb-new.log 2>&1; echo "new rc=$? $(( $(date +%s)-t0 ))s"
python3 bench/results/2026-11-25-session6/compare.py $R kb-prev kb-new > $R/compare.txt 2>&1; cat $R/compare.txt | head -60
HELIONRT_CACHE_DIR=$(mktemp -d) timeout 150 .device-carry/bin/cuda_tuning_test --gtest_color=no > $R/cuda_tuning_test.txt 2>&1; echo "tuning rc=$? $(( $(date +%s)-t0 ))s"; grep -E "ratio|PASSED|FAILED" $R/cuda_tuning_test.txt | head -20
cd $OUT && tar czf c.tgz c && rm -rf c
