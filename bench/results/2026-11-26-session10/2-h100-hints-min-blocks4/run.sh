set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
run() { # name kernels ld st
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env HRT_KERNELS_DIR=$PWD/$2 HRT_EXP_LD="$3" HRT_EXP_ST="$4" python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels $2 --sections row --ops layer_norm,rms_norm --rows 16384 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run base-$i kernels "" ""
run mb4-$i .device-carry/kmb4 "" ""
run cs-$i kernels ".cs" ".cs"
run csmb4-$i .device-carry/kmb4 ".cs" ".cs"
run lu-$i kernels ".lu" ".cs"
run lumb4-$i .device-carry/kmb4 ".lu" ".cs"
done
cd $OUT && tar czf c.tgz c && rm -rf c
