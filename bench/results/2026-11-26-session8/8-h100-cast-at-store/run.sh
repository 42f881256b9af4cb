export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
timeout 200 .device-carry/bin/cuda_backend_test --gtest_color=no > $R/cuda_backend_test.txt 2>&1; echo "backend rc=$?"; grep -E "^\[  PASSED|^\[  FAILED|Failure" $R/cuda_backend_test.txt | head
python3 bench/device/kernels_bench.py --lib .device-carry/prev/libhelionrt.so --kernels kernels --sections row --out $R/kb-prev > $R/kb-prev.log 2>&1; echo "prev rc=$?"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --out $R/kb-new > $R/kb-new.log 2>&1; echo "new rc=$?"
python3 bench/results/2026-11-25-session6/compare.py $R kb-prev kb-new > $R/compare.txt 2>&1; cat $R/compare.txt
cd $OUT && tar czf c.tgz c && rm -rf c
