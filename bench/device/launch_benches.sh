#!/usr/bin/env bash
# Launch overhead and time to first launch on the CUDA device, written to
# OUTDIR (default $OUT). Run from the repository root on the device machine
# with the binaries of `scripts/gpu_tests.sh build` in BIN (default
# build/gpu/bench):
#   bash bench/device/launch_benches.sh [OUTDIR]
# launch_bench.{txt,json}: Google Benchmark output (median_ns counters);
# first_launch.jsonl: one line per fresh process, 15 per kind: bundle cubin
# variant, bundle PTX variant, tile IR with an empty persistent cache (codegen
# + JIT) and with a warm one (the cached cubin); the driver's own JIT cache
# is disabled so PTX pays its JIT every time;
# first_launch.md: medians per phase.
set -uo pipefail
out=${1:-${OUT:?set OUT or pass OUTDIR}}
bin=${BIN:-build/gpu/bench}
ptxas=${HRT_PTXAS:-$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)}
export HRT_KERNELS_DIR=$PWD/kernels
mkdir -p "$out"

"$bin/hrt_launch_bench" --benchmark_out="$out/launch_bench.json" --benchmark_out_format=json \
  >"$out/launch_bench.txt" 2>&1
tail -n 8 "$out/launch_bench.txt"

dir=$(mktemp -d)
"$bin/hrt_first_launch" make "$dir" "$ptxas" || exit 1
: >"$out/first_launch.jsonl"
export CUDA_CACHE_DISABLE=1
warm="$dir/warm-cache"
HELIONRT_CACHE_DIR=$warm "$bin/hrt_first_launch" run kernels/vector_add.tile warmup >/dev/null
for _ in $(seq 15); do
  for kind in cubin ptx; do
    # A fresh cache each time: the PTX variant's JIT result is cached too.
    fresh=$(mktemp -d)
    HELIONRT_CACHE_DIR=$fresh "$bin/hrt_first_launch" run "$dir/$kind.hrtb" "bundle-$kind" \
      >>"$out/first_launch.jsonl"
    rm -rf "$fresh"
  done
  cold=$(mktemp -d)
  HELIONRT_CACHE_DIR=$cold "$bin/hrt_first_launch" run kernels/vector_add.tile ir-cold-cache \
    >>"$out/first_launch.jsonl"
  rm -rf "$cold"
  HELIONRT_CACHE_DIR=$warm "$bin/hrt_first_launch" run kernels/vector_add.tile ir-cache-hit \
    >>"$out/first_launch.jsonl"
done
python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/first_launch.jsonl")]
keys = ["context_ms", "runtime_create_ms", "module_load_ms", "first_launch_ms", "total_ms"]
lines = ["| path | runs | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
for kind in ("bundle-cubin", "bundle-ptx", "ir-cold-cache", "ir-cache-hit"):
    rs = [r for r in rows if r["label"] == kind]
    med = [statistics.median(r[k] for r in rs) for k in keys]
    lines.append(f"| {kind} | {len(rs)} | " + " | ".join(f"{m:.2f}" for m in med) + " |")
open(f"{out}/first_launch.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
