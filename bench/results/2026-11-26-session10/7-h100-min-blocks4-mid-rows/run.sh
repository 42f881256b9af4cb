set -u
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
run() { # name kernels
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/bin-pol HRT_KERNELS_DIR=$PWD/$2 python3 bench/device/kernels_bench.py --lib .device-carry/bin-pol/libhelionrt.so --kernels $2 --sections row --ops rms_norm,layer_norm,softmax,silu_mul --rows 1024,4096 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run pol-$i kernels
run mb4-$i .device-carry/kmb4
done
cd $OUT && tar czf c.tgz c && rm -rf c
