# gemm 4096^3, the library of a308db1 (session 8's final code, built Release
# in a worktree) against 2e7a4f2's, alternated twice in one call. Only the
# logs of the old runs came back (the device returns a limited number of
# files per call).
set -u
for i in 1 2; do
for v in old new; do
  lib=.device-carry/bin/libhelionrt.so; [ $v = old ] && lib=.device-carry/old/libhelionrt.so
  LD_LIBRARY_PATH=$(dirname $lib) HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d) timeout 120 python3 bench/device/kernels_bench.py --lib $lib --kernels kernels --sections gemm --gemm-m 4096 --out $OUT/$v-$i > $OUT/$v-$i.log 2>&1
  echo "$v-$i rc=$? $(grep 'gemm bf16 4096' $OUT/$v-$i.log | tail -1)"
done; done
