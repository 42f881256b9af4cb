set -x
export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/device.txt
mkdir -p $OUT/sass $OUT/ncu
for f in .device-carry/cubin/*.cubin; do b=$(basename $f .cubin); cuobjdump -sass $f > $OUT/sass/$b.sass 2>&1; done
run() { op=$1; shift
  timeout 150 ncu --clock-control none --kernel-name regex:'^(softmax|layer_norm|rms_norm)$|_tri_' \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats --section MemoryWorkloadAnalysis \
    --csv --page details python3 bench/device/row_profile.py --lib .device-carry/bin/libhelionrt.so --op $op --launches 0 --dump $OUT/triton "$@" > $OUT/ncu/$op.csv 2> $OUT/ncu/$op.err
  echo "$op rc=$?"; }
run softmax --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=4096,WARPS=8
run layer_norm --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=2048,WARPS=4
run rms_norm --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=4096,WARPS=4
cd $OUT && tar czf sass.tgz sass && rm -rf sass && tar czf triton.tgz triton && rm -rf triton
