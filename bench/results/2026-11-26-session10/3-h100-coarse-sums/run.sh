set -u
export HRT_KERNELS_DIR=$PWD/kernels
R=$OUT/c; mkdir -p $R/sass
for f in .device-carry/sass-new/*.cubin; do /usr/local/cuda/bin/cuobjdump -sass $f > $R/sass/$(basename $f .cubin).sass 2>&1; done
t0=$(date +%s)
run() { # name lib ld st
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env LD_LIBRARY_PATH=$PWD/.device-carry/$2 HRT_EXP_LD="$3" HRT_EXP_ST="$4" python3 bench/device/kernels_bench.py --lib .device-carry/$2/libhelionrt.so --kernels kernels --sections row --ops layer_norm,rms_norm --rows 16384 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2 3; do
run base-$i bin "" ""
run new-$i bin-new "" ""
run newcs-$i bin-new ".cs" ".cs"
done
cd $OUT && tar czf c.tgz c && rm -rf c
