#!/usr/bin/env python3
"""Launch one row op a few times per contender, for a profiler to read.

Made to run under Nsight Compute, so the counters of helionrt's configs and of
the Triton tutorial kernel of kernels_bench.py come from the same tensors in
one process:

    ncu --clock-control none --section SpeedOfLight --section Occupancy \\
        --section LaunchStats --section WarpStateStats --csv \\
        python3 bench/device/row_profile.py --lib build/libhelionrt.so \\
            --kernels kernels --op layer_norm --rows 16384 --hidden 8192 \\
            --config BLOCK_N=8192,WARPS=16 --config BLOCK_N=2048,WARPS=4 \\
            --dump OUT/triton

Each contender is launched once to compile and check, then --launches times.
--dump writes the Triton kernel's PTX, SASS and register/spill counts, to
compare with `helionrt compile` output of the same op.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels_bench as kb  # noqa: E402


def parse_config(text):
    cfg = {}
    for part in text.split(","):
        k, _, v = part.partition("=")
        cfg[k.strip()] = int(v)
    return cfg


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lib", required=True)
    p.add_argument("--kernels", default="kernels")
    p.add_argument("--op", required=True, choices=("rms_norm", "softmax", "layer_norm", "silu_mul"))
    p.add_argument("--dtype", default="bf16")
    p.add_argument("--rows", type=int, default=16384)
    p.add_argument("--hidden", type=int, default=8192)
    p.add_argument("--config", action="append", default=[], help="k=v,... (repeatable)")
    p.add_argument("--launches", type=int, default=2)
    p.add_argument("--no-triton", action="store_true")
    p.add_argument("--dump", help="folder for the Triton kernel's PTX/SASS/metadata")
    args = p.parse_args()

    torch = kb.torch
    hrt = kb.Hrt(args.lib)
    kernel = hrt.load_kernel(args.kernels, args.op)
    t, ref, _ = kb.Bench.row_inputs(None, args.op, args.dtype, args.rows, args.hidden)
    out_name = "out" if args.op == "silu_mul" else "y"
    t["tri_out"] = torch.empty_like(t[out_name])
    atol, rtol = kb.TOLERANCES[args.dtype]
    if args.op == "softmax":
        atol = kb.SOFTMAX_ATOL

    def check(what, out):
        res = kb.compare(out, ref, atol, rtol)
        print(f"{what}: ok={res['ok']} max_abs_err={res['max_abs_err']:.3g}", flush=True)

    if not args.no_triton:
        fn, cfg = kb.Bench.triton_fn(None, args.op, t, args.rows, args.hidden)
        fn()
        torch.cuda.synchronize()
        check(f"triton {cfg}", t["tri_out"])
        for _ in range(args.launches):
            fn()
        torch.cuda.synchronize()
        if args.dump:
            dump_triton(args, t, cfg)

    values = kb.Bench.hrt_values(None, args.op, t)
    stream = torch.cuda.current_stream().cuda_stream
    for text in args.config or [kb.fmt_config(kernel.default_config()).replace(" ", ",")]:
        cfg = {**kernel.default_config(), **parse_config(text)}
        launch = kernel.launcher(values, cfg, 0, stream)
        launch()
        torch.cuda.synchronize()
        check(f"helionrt {text}", t[out_name])
        for _ in range(args.launches):
            launch()
        torch.cuda.synchronize()
    hrt.close()


def dump_triton(args, t, cfg):
    """Compile the Triton contender again (cache hit) to reach its artifacts."""
    os.makedirs(args.dump, exist_ok=True)
    fns = {"rms_norm": kb._tri_rms_norm, "softmax": kb._tri_softmax,
           "layer_norm": kb._tri_layer_norm, "silu_mul": kb._tri_silu_mul}
    jit = fns[args.op]
    cache = getattr(jit, "device_caches", None)
    compiled = []
    if cache:
        for dev_cache in cache.values():
            kernels = dev_cache[0] if isinstance(dev_cache, tuple) else dev_cache
            compiled.extend(kernels.values())
    meta = []
    for i, ck in enumerate(compiled):
        for kind, text in getattr(ck, "asm", {}).items():
            if isinstance(text, str):
                with open(os.path.join(args.dump, f"{args.op}-{i}.{kind}"), "w") as f:
                    f.write(text)
        meta.append({"n_regs": getattr(ck, "n_regs", None), "n_spills": getattr(ck, "n_spills", None),
                     "shared": getattr(ck, "shared", None), "config": cfg})
    with open(os.path.join(args.dump, f"{args.op}-meta.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    print(f"triton artifacts: {len(compiled)} kernel(s) -> {args.dump}: {meta}", flush=True)


if __name__ == "__main__":
    main()
