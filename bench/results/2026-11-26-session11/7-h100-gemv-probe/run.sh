# Library: 1621442 (build/gpu). gemv.tile (kept here as gemv.tile.txt) lived in .device-carry/gv/.
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
timeout 300 python3 .device-carry/gemv_probe.py .device-carry/bin/libhelionrt.so 2>&1 | tee $OUT/gemv.txt | tail -30
