import json,sys
# per shape: graph µs helionrt best vs triton, for each results dir given
dirs=sys.argv[1:]
data={d:{(r['op'],r['dtype'],r['rows'],r['hidden']):r for r in json.load(open(f'{d}/results.json'))['row_ops']} for d in dirs}
keys=list(data[dirs[0]].keys())
print("%-28s"%"shape"+"".join("%26s"%d for d in dirs))
for k in keys:
    line="%-28s"%("%s %s %dx%d"%k)
    for d in dirs:
        r=data[d].get(k)
        if not r: line+="%26s"%"-"; continue
        h=r['contenders']['helionrt_best']['graph_us']; t=r['contenders']['triton']['graph_us']
        line+="   %7.2f vs %7.2f %5.3f"%(h,t,t/h)
    print(line)
