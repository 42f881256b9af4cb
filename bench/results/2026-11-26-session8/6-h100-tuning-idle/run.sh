export HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/t7; mkdir -p $R
HRT_TUNING_INTERLEAVED=1 timeout 200 .device-carry/t1/cuda_tuning_test --gtest_color=no --gtest_filter='*rms_norm_1024_4096*' > $R/tuning-idle.txt 2>&1; echo "tuning rc=$?"
grep -E "interleaved|^rms_norm" $R/tuning-idle.txt | cut -c1-190
grep -E "samples" $R/tuning-idle.txt | cut -c1-200 | head -40
