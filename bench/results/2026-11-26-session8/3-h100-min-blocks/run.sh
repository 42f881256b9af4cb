export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
mkdir -p $OUT/mb
prof() { op=$1; shift; args=(); for c in "$@"; do args+=(--config "$c"); done
  timeout 150 ncu --clock-control none --kernel-name regex:'^(softmax|layer_norm|rms_norm)$|_tri_' \
    --section SpeedOfLight --section Occupancy --section LaunchStats \
    --csv --page details python3 bench/device/row_profile.py --lib .device-carry/bin/libhelionrt.so --kernels .device-carry/kexp --op $op --launches 0 "${args[@]}" > $OUT/mb/$op.csv 2> $OUT/mb/$op.err; echo "ncu $op rc=$?"; grep -E "ok=" $OUT/mb/$op.err | head -20; }
prof softmax BLOCK_N=8192,WARPS=16,MIN_BLOCKS=2 BLOCK_N=8192,WARPS=16,MIN_BLOCKS=3 BLOCK_N=8192,WARPS=16,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=5 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=6
prof layer_norm BLOCK_N=8192,WARPS=16,MIN_BLOCKS=2 BLOCK_N=8192,WARPS=16,MIN_BLOCKS=3 BLOCK_N=8192,WARPS=16,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=3 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=5
prof rms_norm BLOCK_N=8192,WARPS=16,MIN_BLOCKS=2 BLOCK_N=8192,WARPS=16,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=4 BLOCK_N=8192,WARPS=8,MIN_BLOCKS=5
python3 bench/device/ncu_summary.py $OUT/mb/*.csv
