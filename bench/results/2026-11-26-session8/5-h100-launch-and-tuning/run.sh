export HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/lb; mkdir -p $R
for v in prev new prev new; do
  LD_LIBRARY_PATH=$PWD/.device-carry/lb/$v .device-carry/lb/$v/hrt_launch_bench --benchmark_filter='Interleaved' --benchmark_repetitions=3 >> $R/launch-$v.txt 2>&1; echo "launch $v rc=$?"; grep median $R/launch-$v.txt | tail -2
done
HRT_TUNING_INTERLEAVED=1 timeout 200 .device-carry/t1/cuda_tuning_test --gtest_color=no --gtest_filter='*rms_norm_1024_4096*:*softmax_1024_4096*' > $R/tuning-interleaved.txt 2>&1; echo "tuning rc=$?"
grep -E "interleaved|^rms_norm|^softmax" $R/tuning-interleaved.txt | cut -c1-160
cd $OUT && tar czf lb.tgz lb && rm -rf lb
