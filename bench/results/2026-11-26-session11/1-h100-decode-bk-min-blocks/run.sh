# Library: build/gpu/libhelionrt.so at 655f841 (MIN_BLOCKS=1 = the emitter's
# choice). Kernels: bench-only copies in .device-carry/v/ (not committed):
#   v/bk/gemm.tile: kernels/gemm.tile with BLOCK_K in {16, 32, 64, 128, 256}
#   v/mb/{layer_norm,rms_norm,softmax}.tile: the committed kernels plus
#     "tunable MIN_BLOCKS in {1, 2, 4} = 1" and "constraint MIN_BLOCKS * WARPS <= 64"
# kernels_bench.py as committed in 644981d (decode sweep rows, --gemm-m).
set -u
export LD_LIBRARY_PATH=$PWD/.device-carry/bin
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt 2>&1
kb() { name=$1; shift
  HELIONRT_CACHE_DIR=$(mktemp -d) timeout 280 python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so "$@" --out $OUT/$name > $OUT/$name.log 2>&1
  echo "$name rc=$? $(tail -1 $OUT/$name.log)"; }
kb gemm-bk --kernels .device-carry/v/bk --sections gemm --gemm-m 1,2,4,8,16 --budget-s 250
kb row-mb --kernels .device-carry/v/mb --sections row --ops layer_norm,rms_norm,softmax --rows 128,1024,4096,16384 --budget-s 250
