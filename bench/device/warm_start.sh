#!/usr/bin/env bash
# Warm start with a 50-kernel working set on the CUDA device (issue 6): time
# from process start until 50 distinct compiled kernels (kernel x config x
# dtype from kernels/*.tile and their tuning spaces) have each been launched
# once, in a fresh process per measurement. Builds nothing: run from the
# repository root on the device machine with hrt_warm_start (built by
# `scripts/gpu_tests.sh build`) somewhere under BIN (default build/gpu):
#   BIN=.device-carry/bin bash bench/device/warm_start.sh [OUTDIR]
# Writes OUTDIR/warm_start/ (OUTDIR default $OUT):
#   runs.jsonl    one line per process (bench/warm_start.cc lists the fields)
#   summary.txt   medians per phase and mode, and the headline below
#   summary.json  the same numbers
#   make.txt      the working set and the bundle's size
#
# Steps: `hrt_warm_start make` (the working set, a bundle of cubin variants
# built by ptxas for the device's arch, and the tile-IR inputs), then N
# (WARM_START_N, default 10) rounds of three fresh processes:
#   cold    tile IR, empty helionrt cache: codegen + driver JIT (+ cache put)
#   cache   tile IR, the cache the round's cold run just filled: the cubin
#           from the helionrt cache (no codegen, no JIT)
#   bundle  the bundle's precompiled cubin variants
# The driver's JIT cache is off (CUDA_CACHE_DISABLE=1) in every run.
#
# What "adds" means. adds_ms of one process = all_launched_ms - (setup_ms +
# context_ms + runtime_create_ms): the wall time from the moment
# hrt_runtime_create returned (the CUDA context already existed) until all 50
# kernels have been launched once and hrt_device_synchronize returned. It
# covers allocating and filling the launches' tensors (4 x 256 KiB, where the
# runtime creates its device), loading the modules, the 50 first launches
# (selection, codegen, cache lookup or payload load, cuModuleLoadData,
# launch) and the final synchronize. It excludes CUDA context creation and
# hrt_runtime_create, which are reported apart. "cache hit adds X ms over
# context+runtime" is the median of adds_ms over the N cache-mode processes.
# It is NOT the 50 launches' time compared with relaunching already-loaded
# kernels in the same process. Target (issue 6): X <= 20 ms.
#
# ptxas: HRT_PTXAS, else ptxas on the PATH, /usr/local/cuda/bin/ptxas,
# $BIN/ptxas or Triton's bundled copy. Without one, make the bundle on a
# machine that has ptxas (`hrt_warm_start make DIR PTXAS sm_90a` needs no
# GPU), carry DIR and pass it as WARM_START_DIR.
set -uo pipefail
root=${1:-${OUT:?set OUT or pass OUTDIR}}
out=$root/warm_start
bin=${BIN:-build/gpu}
n=${WARM_START_N:-10}
mkdir -p "$out"
exe=$(find "$bin" -type f -name hrt_warm_start -perm -u+x | head -n1)
if [ -z "$exe" ]; then
  echo "no hrt_warm_start under $bin (build it with scripts/gpu_tests.sh build and carry it)" >&2
  exit 1
fi
export CUDA_CACHE_DISABLE=1
export HRT_KERNELS_DIR=$PWD/kernels
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/device.txt" 2>&1

if [ -n "${WARM_START_DIR:-}" ]; then
  dir=$WARM_START_DIR
  echo "prebuilt working set from $dir" >"$out/make.txt"
  cat "$dir/working_set.txt" >>"$out/make.txt" || exit 1
else
  ptxas=${HRT_PTXAS:-}
  if [ -z "$ptxas" ]; then
    for c in "$(command -v ptxas)" /usr/local/cuda/bin/ptxas "$bin/ptxas" \
      "$(python3 -c 'import os, triton; print(os.path.join(os.path.dirname(triton.__file__), "backends/nvidia/bin/ptxas"))' 2>/dev/null)"; do
      if [ -n "$c" ] && [ -x "$c" ]; then ptxas=$c; break; fi
    done
  fi
  if [ -z "$ptxas" ]; then
    echo "no ptxas: set HRT_PTXAS, or pass a prebuilt WARM_START_DIR" | tee "$out/make.txt" >&2
    exit 1
  fi
  dir=$work/set
  echo "ptxas: $ptxas ($("$ptxas" --version | tail -n1))" >"$out/make.txt"
  "$exe" make "$dir" "$ptxas" >>"$out/make.txt" 2>&1 || { tail -n 5 "$out/make.txt" >&2; exit 1; }
fi
tail -n 1 "$out/make.txt"

: >"$out/runs.jsonl"
failures=0
one() {  # mode, cache dir
  if ! HELIONRT_CACHE_DIR=$2 "$exe" run "$1" "$dir" >>"$out/runs.jsonl" 2>>"$out/errors.txt"; then
    echo "   $1 run failed: $(tail -n 1 "$out/errors.txt")" >&2
    failures=$((failures + 1))
    return 1
  fi
}
for i in $(seq "$n"); do
  cache=$work/cache-$i
  fresh=$work/empty-$i
  mkdir -p "$fresh"
  one cold "$cache" && one cache "$cache"
  one bundle "$fresh"
  rm -rf "$cache" "$fresh"
done

python3 - "$out" "$n" "$dir/working_set.txt" <<'PY'
import json, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
members = [l.rstrip("\n").replace("\t", " ") for l in open(sys.argv[3]) if l.strip()]
rows = [json.loads(l) for l in open(f"{out}/runs.jsonl") if l.strip()]
keys = ["context_ms", "runtime_create_ms", "tensors_ms", "module_load_ms", "launches_ms",
        "sync_ms", "all_launched_ms", "adds_ms"]
summary = {"rounds": n, "kernels": rows[0]["kernels"] if rows else 0,
           "device": rows[0]["device"] if rows else "", "members": members, "modes": {}}
lines = [f"warm start, {summary['kernels']} kernels, {summary['device']}; medians of fresh "
         "processes (ms; adds = after runtime create until all launched, see warm_start.sh)", "",
         "| mode | runs | " + " | ".join(k[:-3] for k in keys) + " | adds min | adds max |",
         "|---" * (len(keys) + 4) + "|"]
for mode in ("cold", "cache", "bundle"):
    rs = [r for r in rows if r["mode"] == mode]
    if not rs:
        lines.append(f"| {mode} | 0 |" + " |" * (len(keys) + 2))
        continue
    med = {k: statistics.median(r[k] for r in rs) for k in keys}
    adds = [r["adds_ms"] for r in rs]
    # Each member's first launch, median over the runs.
    per = [statistics.median(r["launch_ms"][i] for r in rs) for i in range(len(rs[0]["launch_ms"]))]
    summary["modes"][mode] = {"runs": len(rs), "median": med, "adds_min": min(adds),
                              "adds_max": max(adds), "launch_ms_median": per}
    lines.append(f"| {mode} | {len(rs)} | " + " | ".join(f"{med[k]:.2f}" for k in keys) +
                 f" | {min(adds):.2f} | {max(adds):.2f} |")
lines.append("")
for mode, m in summary["modes"].items():
    per = m["launch_ms_median"]
    top = sorted(range(len(per)), key=lambda i: -per[i])[:5]
    lines.append(f"{mode}: slowest first launches (median ms): " +
                 "; ".join(f"{members[i] if i < len(members) else i} {per[i]:.2f}" for i in top))
lines.append("")
cache = summary["modes"].get("cache")
if cache:
    x = cache["median"]["adds_ms"]
    ctx = cache["median"]["context_ms"] + cache["median"]["runtime_create_ms"]
    verdict = "met" if x <= 20 else "NOT met"
    lines.append(f"cache hit adds {x:.2f} ms over context+runtime ({ctx:.2f} ms); "
                 f"target <= 20 ms for {summary['kernels']} kernels: {verdict}")
    summary["cache_hit_adds_ms"] = x
    summary["target_met"] = x <= 20
for mode in ("bundle", "cold"):
    m = summary["modes"].get(mode)
    if m:
        lines.append(f"{mode} adds {m['median']['adds_ms']:.2f} ms over context+runtime")
text = "\n".join(lines) + "\n"
open(f"{out}/summary.txt", "w").write(text)
json.dump(summary, open(f"{out}/summary.json", "w"), indent=1)
print(text, end="")
PY
status=$?
[ "$failures" -eq 0 ] || { echo "$failures run(s) failed: $out/errors.txt" >&2; exit 1; }
exit $status
