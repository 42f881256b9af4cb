set -u
R=$OUT/c; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
export HRT_KERNELS_DIR=$PWD/kernels
for t in cuda_backend_test bundle_launch_test; do
  HELIONRT_CACHE_DIR=$(mktemp -d) stdbuf -oL .device-carry/tests/$t --gtest_color=no > $R/$t.log 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)|tests ran' $R/$t.log | tr '\n' ' ')"
done
t0=$(date +%s)
run() { # name lib
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/$2 python3 bench/device/kernels_bench.py --lib .device-carry/$2/libhelionrt.so --kernels kernels --sections row --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run head-$i bin-head
run cur-$i bin-cur
done
cd $OUT && tar czf c.tgz c && rm -rf c
