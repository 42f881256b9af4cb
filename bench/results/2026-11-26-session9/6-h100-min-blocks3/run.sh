export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/c; mkdir -p $R
t0=$(date +%s)
for i in 1 2; do
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --ops layer_norm,rms_norm --out $R/default-$i > $R/default-$i.log 2>&1; echo "default$i rc=$? $(( $(date +%s)-t0 ))s"
python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels .device-carry/kmb3 --sections row --ops layer_norm,rms_norm --out $R/mb3-$i > $R/mb3-$i.log 2>&1; echo "mb3$i rc=$? $(( $(date +%s)-t0 ))s"
done
python3 bench/results/2026-11-26-session9/triton_ratio.py $R/default-1 $R/mb3-1 $R/default-2 $R/mb3-2 | grep -E "shape|16384|4096x8192|1024x8192"
cd $OUT && tar czf c.tgz c && rm -rf c
