# Library: .device-carry/bin/libhelionrt.so built at 56be582. Kernels:
#   base: kernels/ at 54f120d (gemm: WARPS * 256 <= BLOCK_M * BLOCK_N)
#   w:    a bench-only copy (.device-carry/v/w/gemm.tile) with that constraint
#         relaxed to WARPS * 128 <= BLOCK_M * BLOCK_N (one m16n8 tile per warp)
# kernels_bench.py with the decode rows added in the next commit.
set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt 2>&1
for k in w base; do
  kd=.device-carry/v/w; [ $k = base ] && kd=kernels
  HELIONRT_CACHE_DIR=$(mktemp -d) timeout 250 python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels $kd --sections gemm --gemm-m 1,2,4,8,16 --budget-s 230 --out $OUT/$k > $OUT/$k.log 2>&1
  echo "$k rc=$?"; grep "gemm bf16" $OUT/$k.log | cut -c1-200
done
