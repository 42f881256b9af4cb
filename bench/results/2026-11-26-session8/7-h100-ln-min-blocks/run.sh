export LD_LIBRARY_PATH=$PWD/.device-carry/bin HRT_KERNELS_DIR=$PWD/kernels HELIONRT_CACHE_DIR=$(mktemp -d)
R=$OUT/ln; mkdir -p $R
for i in 1 2; do
  python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels kernels --sections row --ops layer_norm --out $R/default-$i > $R/default-$i.log 2>&1; echo "default $i rc=$?"
  python3 bench/device/kernels_bench.py --lib .device-carry/bin/libhelionrt.so --kernels .device-carry/kexp4 --sections row --ops layer_norm --out $R/mb4-$i > $R/mb4-$i.log 2>&1; echo "mb4 $i rc=$?"
done
python3 - <<'PY'
import json,os
R=os.environ['OUT']+'/ln'
for tag in ('default-1','mb4-1','default-2','mb4-2'):
    d=json.load(open(f'{R}/{tag}/results.json'))
    for e in d['row_ops']:
        if e['rows'] in (4096,16384) and e['hidden']==8192:
            c=e['contenders']; b=c['helionrt_best']; t=c['triton']
            print(tag, e['dtype'], e['rows'], 'hrt', round(b['graph_us'],1), b['config'], 'triton', round(t['graph_us'],1), 'x', round(t['graph_us']/b['graph_us'],3))
PY
cd $OUT && tar czf ln.tgz ln && rm -rf ln
