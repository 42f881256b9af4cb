import json,sys
d=sys.argv[1]; tags=sys.argv[2:]
R={t:json.load(open(f'{d}/{t}/results.json')) for t in tags}
def key(e): return (e['op'],e['dtype'],e['rows'],e['hidden'])
def gt(x): return (x or {}).get('graph_us') or (x or {}).get('loop_us')
base=R[tags[0]]
print('copy loop GB/s', round(base['copy']['loop_GBps']))
idx={t:{key(e):e for e in R[t]['row_ops']} for t in tags}
for e in base['row_ops']:
    if e['rows']<1024: continue
    out=f"{e['op']:10s} {e['dtype']} {e['rows']:6d}x{e['hidden']}:"
    for t in tags:
        x=idx[t].get(key(e))
        if not x: continue
        c=x['contenders']
        cands=[(gt(c.get('helionrt_default')) or 1e9, c.get('helionrt_default',{}).get('config'))]+[(gt(s) or 1e9, s.get('config')) for s in x['sweep'] if 'error' not in s and s.get('ok',True) is not False]
        b=min(cands,key=lambda z:z[0])
        cfg=' '.join(f"{v}" for k,v in (b[1] or {}).items() if k in ('BLOCK_N','BLOCK_H','WARPS'))
        out+=f" {t} {b[0]:6.1f} [{cfg}]"
    c=e['contenders']
    out+=f" | triton {gt(c.get('triton')):6.1f} torch {gt(c.get('torch')):6.1f}"
    print(out)
