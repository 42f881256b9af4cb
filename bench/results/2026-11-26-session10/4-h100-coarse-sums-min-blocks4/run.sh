set -u
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
run() { # name lib kernels ld st
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/$2 HRT_KERNELS_DIR=$PWD/$3 HRT_EXP_LD="$4" HRT_EXP_ST="$5" python3 bench/device/kernels_bench.py --lib .device-carry/$2/libhelionrt.so --kernels $3 --sections row --ops layer_norm,rms_norm --rows 16384 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2 3; do
run new-$i bin-new kernels "" ""
run newmb4-$i bin-new .device-carry/kmb4 "" ""
run newcs-$i bin-new kernels ".cs" ".cs"
run newcsmb4-$i bin-new .device-carry/kmb4 ".cs" ".cs"
done
cd $OUT && tar czf c.tgz c && rm -rf c
