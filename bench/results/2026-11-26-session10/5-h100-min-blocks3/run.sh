set -u
R=$OUT/c; mkdir -p $R/sass
python3 .device-carry/triton_sass16.py $R/sass > $R/sass/triton.log 2>&1; cat $R/sass/triton.log | tail -4
for f in $R/sass/*.cubin .device-carry/sass16/*.cubin; do /usr/local/cuda/bin/cuobjdump -sass $f > $R/sass/$(basename $f .cubin).sass 2>&1; done
t0=$(date +%s)
run() { # name lib kernels ld st
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/$2 HRT_KERNELS_DIR=$PWD/$3 HRT_EXP_LD="$4" HRT_EXP_ST="$5" python3 bench/device/kernels_bench.py --lib .device-carry/$2/libhelionrt.so --kernels $3 --sections row --ops layer_norm,rms_norm --rows 16384 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run new-$i bin-new kernels "" ""
run mb3-$i bin-new .device-carry/kmb3 "" ""
run cs-$i bin-new kernels ".cs" ".cs"
run csmb3-$i bin-new .device-carry/kmb3 ".cs" ".cs"
done
cd $OUT && tar czf c.tgz c && rm -rf c
