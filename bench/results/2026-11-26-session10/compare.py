# Per shape, each results folder given: helionrt best graph us, Triton graph us,
# Triton/helionrt (above 1: helionrt faster) and helionrt best config
# (BLOCK/WARPS, +P: PRELOAD=2, +mbN: MIN_BLOCKS=N).
# usage: python3 compare.py DIR... (folders holding results.json from kernels_bench.py)
import json,sys
dirs=sys.argv[1:]
data={d:{(r['op'],r['dtype'],r['rows'],r['hidden']):r for r in json.load(open(f'{d}/results.json'))['row_ops']} for d in dirs}
print("%-26s %s"%("shape (ours tri ratio cfg)","   ".join("%-26s"%d for d in dirs)))
for k in data[dirs[0]]:
    line="%-26s"%("%s %s %dx%d"%k)
    for d in dirs:
        r=data[d][k]; h=r['contenders']['helionrt_best']; t=r['contenders']['triton']['graph_us']
        c=h['config']; cs="%s/%s"%(c.get('BLOCK_N',c.get('BLOCK_H')),c['WARPS'])
        if c.get('PRELOAD')==2: cs+="+P"
        if c.get('MIN_BLOCKS'): cs+="+mb%d"%c['MIN_BLOCKS']
        line+=" %7.2f %7.2f %5.3f %-8s"%(h['graph_us'],t,t/h['graph_us'],cs)
    print(line)
