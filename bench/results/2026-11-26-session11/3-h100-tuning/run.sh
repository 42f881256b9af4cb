# cuda_tuning_test on the H100, three builds (scripts/gpu_tests.sh build):
#  before-merge-*:  2e7a4f2 (no merging by code), 9 cases, one call alone
#  merge-plain-exhaustive-* (and the other GPU tests' logs): c3c7f70 + the
#    layer_norm case, on a fresh machine; the exhaustive pass still walked the
#    unmerged space, so the serving runtime's gemm candidates were cold cubins
#  after-merge-*:   56be582 (the exhaustive pass walks the
#    serving tuner's space), 10 cases
set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels
R=$OUT/tests; mkdir -p $R
HELIONRT_CACHE_DIR=$(mktemp -d) HRT_TUNING_RESULTS=$R/tuning.jsonl timeout 560 stdbuf -oL .device-carry/tests/cuda_tuning_test --gtest_color=no > $R/cuda_tuning_test.log 2>&1
echo "rc=$?"
