set -u
R=$OUT/c; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1

t0=$(date +%s)
run() { # name lib kernels
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/$2 HRT_KERNELS_DIR=$PWD/${3:-kernels} python3 bench/device/kernels_bench.py --lib .device-carry/$2/libhelionrt.so --kernels ${3:-kernels} --sections row --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run head-$i bin-head .device-carry/kernels-head
run pre-$i bin-pre
done
cd $OUT && tar czf c.tgz c && rm -rf c
