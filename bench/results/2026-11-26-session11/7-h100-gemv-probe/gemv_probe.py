import itertools, os, sys
sys.path.insert(0, "bench/device")
import kernels_bench as kb
torch = kb.torch
hrt = kb.Hrt(sys.argv[1])
kernel = hrt.load_kernel(".device-carry/gv", "gemv")
timer = kb.Timer(False, True)
dev = 0
for n in (4096, 8192):
    k = n
    g = torch.Generator(device="cuda"); g.manual_seed(5 + n)
    a = torch.randn(1, k, device="cuda", generator=g).to(torch.bfloat16)
    b = (torch.randn(k, n, device="cuda", generator=g) * k ** -0.5).to(torch.bfloat16)
    ref = a.float() @ b.float()
    y = torch.empty(n, device="cuda", dtype=torch.bfloat16)
    t = timer.measure(lambda: torch.matmul(a, b))
    print(f"{n}: cuBLAS graph {t['graph_us']:.2f} loop {t['loop_us']:.2f}", flush=True)
    rows = []
    for bn, bk, w in itertools.product((16, 32, 64, 128), (32, 64, 128, 256), (1, 2, 4, 8)):
        cfg = {"BLOCK_N": bn, "BLOCK_K": bk, "WARPS": w}
        if not kernel.config_ok(cfg):
            continue
        try:
            l = kernel.launcher({"x": a[0], "w": b, "y": y}, cfg, dev, torch.cuda.current_stream().cuda_stream)
            y.fill_(float("nan")); l(); torch.cuda.synchronize()
            err = (y.float() - ref[0]).abs().max().item()
            r = timer.measure(l)
            rows.append((r["graph_us"], bn, bk, w, err))
        except Exception as e:
            print("  err", cfg, kb.short_error(e))
    rows.sort()
    for r in rows[:8]:
        print("  %.2f us  BN=%d BK=%d W=%d  maxerr %.2e" % r, flush=True)
