export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
for i in 1 2 3; do
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --ops layer_norm,rms_norm --out $R/kb-$i > $R/kb-$i.log 2>&1; echo "run$i rc=$? $(( $(date +%s)-t0 ))s"
done
python3 bench/results/2026-11-26-session9/triton_ratio.py $R/kb-1 $R/kb-2 $R/kb-3 | grep -E "shape|16384"
cd $OUT && tar czf c.tgz c && rm -rf c
