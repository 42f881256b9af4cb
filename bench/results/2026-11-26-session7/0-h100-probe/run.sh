set -x
cd "$(dirname "$0")"
which nvcc cuobjdump nvdisasm; nvidia-smi --query-gpu=name,driver_version --format=csv
nvcc -arch=sm_90a -o zeros zeros.cu && ./zeros > $OUT/zeros.txt; cat $OUT/zeros.txt
for f in *.cubin; do cuobjdump -sass $f > $OUT/${f%.cubin}.sass 2>&1 || nvdisasm $f > $OUT/${f%.cubin}.sass; done
cd $OUT && tar czf sass.tgz *.sass && rm *.sass
