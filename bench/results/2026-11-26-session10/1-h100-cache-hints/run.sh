set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels
R=$OUT/c; mkdir -p $R/sass
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > $R/gpu.txt 2>&1
python3 .device-carry/triton_sass.py $R/sass > $R/sass/triton.log 2>&1; echo "triton rc=$?"; cat $R/sass/triton.log | tail -5
OBJ=$(command -v cuobjdump || ls /usr/local/cuda*/bin/cuobjdump 2>/dev/null | head -1); echo "cuobjdump=$OBJ"
for f in $R/sass/*.cubin .device-carry/sass/*.cubin; do [ -n "$OBJ" ] && $OBJ -sass $f > $R/sass/$(basename $f .cubin).sass 2>&1; done
t0=$(date +%s)
run() { # name ld st nozero
  export HELIONRT_CACHE_DIR=$(mktemp -d)
  env HRT_EXP_LD="$2" HRT_EXP_ST="$3" ${4:+HRT_EXP_NOZERO=1} python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --ops layer_norm,rms_norm --rows 16384 --out $R/$1 > $R/$1.log 2>&1
  echo "$1 rc=$? $(( $(date +%s)-t0 ))s"
}
for i in 1 2; do
run base-$i "" "" ""
run nozero-$i "" "" 1
run cs-$i ".cs" ".cs" ""
run l2pf-$i ".L2::256B" "" ""
run noalloc-$i ".L1::no_allocate" ".L1::no_allocate" ""
run nc-$i ".nc.L1::no_allocate.L2::256B" "" ""
run lu-$i ".lu" ".cs" ""
done
python3 bench/results/2026-11-26-session9/triton_ratio.py $R/base-1 $R/nozero-1 $R/cs-1 $R/l2pf-1 $R/noalloc-1 $R/nc-1 $R/lu-1 $R/base-2 $R/nozero-2 $R/cs-2 $R/l2pf-2 $R/noalloc-2 $R/nc-2 $R/lu-2 2>&1 | tail -20
cd $OUT && tar czf c.tgz c && rm -rf c
