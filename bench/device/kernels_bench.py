#!/usr/bin/env python3
"""Side-by-side device benchmark of the standard kernels on one CUDA GPU.

Contenders, measured in one process with one timing method:
  * helionrt  - libhelionrt through its C API (ctypes), kernels/*.tile loaded as
                text; its default config and a small sweep of its tunables;
  * torch     - PyTorch eager (F.rms_norm, F.softmax, F.layer_norm,
                F.silu(a) * b, torch.matmul = cuBLAS);
  * triton    - tutorial-style Triton kernels written below (one row per
                program, BLOCK = next_pow2(hidden));
  * copy      - torch copy_ of a large buffer: the bandwidth ceiling every
                memory-bound number is compared with.

Usage (on the GPU machine):
  python3 bench/device/kernels_bench.py --lib build-rel/libhelionrt.so.0.1.0 \
      --kernels kernels --out bench/results/<date>-h100 [--quick]

Local checks that need no GPU (and no torch/triton):
  python3 bench/device/kernels_bench.py --help
  python3 bench/device/kernels_bench.py --lib LIB --kernels kernels --out DIR --dry-run
  python3 bench/device/kernels_bench.py --lib LIB --kernels kernels --selftest-cpu
bench/device/README.md describes the method and where results go.
"""

import time

_T_START = time.perf_counter()  # budgets count from process start, imports included

import argparse  # noqa: E402
import ctypes
import datetime
import itertools
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import traceback

# torch and triton are optional so that --help, --dry-run and --selftest-cpu
# run on machines without them.
try:
    import torch
    import torch.nn.functional as F
    TORCH_IMPORT_ERROR = None
except Exception as _e:  # noqa: BLE001 - any import failure means "absent"
    torch = None
    F = None
    TORCH_IMPORT_ERROR = repr(_e)

try:
    import triton
    import triton.language as tl
    TRITON_IMPORT_ERROR = None
except Exception as _e:  # noqa: BLE001
    triton = None
    tl = None
    TRITON_IMPORT_ERROR = repr(_e)

ROW_OPS = ("rms_norm", "softmax", "layer_norm", "silu_mul")
RMS_EPS = 1e-6
LN_EPS = 1e-5

# ---------------------------------------------------------------------------
# The C API, replicated from include/helionrt/helionrt.h
# ---------------------------------------------------------------------------

HRT_MAX_RANK = 4
HRT_BACKEND_CPU_REFERENCE = 0
HRT_BACKEND_CUDA = 1
HRT_PARAM_KIND_TENSOR = 0
HRT_PARAM_KIND_SCALAR = 1
HRT_ARG_KIND_TENSOR = 0
HRT_ARG_KIND_INT = 1
HRT_ARG_KIND_FLOAT = 2

# hrt_dtype_t codes and element sizes.
HRT_DTYPES = {"bool": 0, "i8": 1, "u8": 2, "i16": 3, "i32": 4, "i64": 5,
              "f16": 6, "bf16": 7, "f32": 8}
HRT_DTYPE_NAMES = {v: k for k, v in HRT_DTYPES.items()}
HRT_FLOAT_DTYPES = (HRT_DTYPES["f16"], HRT_DTYPES["bf16"], HRT_DTYPES["f32"])
BACKEND_NAMES = {0: "cpu-reference", 1: "cuda", 2: "hip", 3: "vulkan", 4: "level-zero"}

c_size_t = ctypes.c_size_t


class HrtDeviceProperties(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("backend", ctypes.c_int32),
        ("compute_units", ctypes.c_uint32),
        ("memory_bytes", ctypes.c_uint64),
        ("name", ctypes.c_char * 128),
        ("vendor", ctypes.c_char * 64),
        ("arch", ctypes.c_char * 64),
        ("uuid", ctypes.c_uint8 * 16),
        ("subgroup_size", ctypes.c_uint32),
    ]


class HrtKernelParamInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("name", ctypes.c_char_p),
        ("kind", ctypes.c_int32),
        ("rank", ctypes.c_uint32),
        ("dtype", ctypes.c_int32),
        ("dtype_param", ctypes.c_int32),
        ("dims", ctypes.c_char_p * HRT_MAX_RANK),
    ]


class HrtKernelTunableInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("name", ctypes.c_char_p),
        ("candidates", ctypes.POINTER(ctypes.c_int64)),
        ("candidate_count", c_size_t),
        ("default_value", ctypes.c_int64),
    ]


class HrtTensor(ctypes.Structure):
    _fields_ = [
        ("address", ctypes.c_uint64),
        ("dtype", ctypes.c_int32),
        ("rank", ctypes.c_uint32),
        ("shape", ctypes.c_int64 * HRT_MAX_RANK),
        ("strides", ctypes.c_int64 * HRT_MAX_RANK),
    ]


class HrtArgValue(ctypes.Union):
    _fields_ = [("tensor", HrtTensor), ("i", ctypes.c_int64), ("f", ctypes.c_double)]


class HrtArg(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("value", HrtArgValue)]


class HrtConfigEntry(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_int64)]


class HrtLaunchParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("device_index", ctypes.c_uint32),
        ("stream", ctypes.c_void_p),
        ("args", ctypes.POINTER(HrtArg)),
        ("arg_count", c_size_t),
        ("config", ctypes.POINTER(HrtConfigEntry)),
        ("config_count", c_size_t),
        # Triton-ABI kernels only; zero for tile-IR kernels (the runtime
        # computes their grid).
        ("grid", ctypes.c_uint32 * 3),
    ]


class HrtError(RuntimeError):
    """A helionrt call returned a status other than HRT_OK."""


def _declare(lib):
    """Sets argtypes/restype of every entry point the script calls."""
    vp = ctypes.c_void_p
    pvp = ctypes.POINTER(ctypes.c_void_p)
    pu32 = ctypes.POINTER(ctypes.c_uint32)
    st = ctypes.c_int  # hrt_status_t is an int-sized enum
    sigs = {
        "hrt_version_string": (ctypes.c_char_p, []),
        "hrt_status_string": (ctypes.c_char_p, [ctypes.c_int]),
        "hrt_last_error_message": (ctypes.c_char_p, []),
        "hrt_runtime_create": (st, [vp, pvp]),
        "hrt_runtime_destroy": (st, [vp]),
        "hrt_device_count": (st, [vp, pu32]),
        "hrt_device_get_properties": (st, [vp, ctypes.c_uint32,
                                           ctypes.POINTER(HrtDeviceProperties)]),
        "hrt_device_get_fingerprint": (st, [vp, ctypes.c_uint32, ctypes.c_char_p, c_size_t,
                                            ctypes.POINTER(c_size_t)]),
        "hrt_module_load_file": (st, [vp, ctypes.c_char_p, pvp]),
        "hrt_module_destroy": (st, [vp]),
        "hrt_module_get_kernel": (st, [vp, ctypes.c_char_p, pvp]),
        "hrt_kernel_param_count": (st, [vp, pu32]),
        "hrt_kernel_get_param": (st, [vp, ctypes.c_uint32, ctypes.POINTER(HrtKernelParamInfo)]),
        "hrt_kernel_tunable_count": (st, [vp, pu32]),
        "hrt_kernel_get_tunable": (st, [vp, ctypes.c_uint32,
                                        ctypes.POINTER(HrtKernelTunableInfo)]),
        "hrt_launch_params_init": (st, [ctypes.POINTER(HrtLaunchParams)]),
        "hrt_kernel_launch": (st, [vp, ctypes.POINTER(HrtLaunchParams)]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def load_library(path, preload=()):
    """dlopens libhelionrt. When a dependency (libxxhash, libzstd) is missing
    from the system, a copy placed next to the library (or named with
    --preload) is loaded first with RTLD_GLOBAL so the dynamic linker finds
    it by its SONAME."""
    for p in preload:
        ctypes.CDLL(os.path.abspath(p), mode=ctypes.RTLD_GLOBAL)
    here = os.path.dirname(os.path.abspath(path))
    tried = set()
    for _ in range(8):
        try:
            return ctypes.CDLL(os.path.abspath(path))
        except OSError as e:
            m = re.search(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file", str(e))
            if not m or m.group(1) == os.path.basename(path) or m.group(1) in tried:
                raise
            missing = m.group(1)
            tried.add(missing)
            cands = sorted(f for f in os.listdir(here) if f.startswith(missing))
            if not cands:
                raise OSError(f"{e} (put a copy of {missing} next to {path} or pass --preload)")
            ctypes.CDLL(os.path.join(here, cands[0]), mode=ctypes.RTLD_GLOBAL)
    raise OSError(f"could not load {path}")


class HostTensor:
    """A host buffer (for the CPU reference device): ctypes storage plus shape
    and strides in elements."""

    _CTYPES = {"f32": ctypes.c_float, "i32": ctypes.c_int32}

    def __init__(self, dtype, shape, values=None, strides=None):
        self.dtype = HRT_DTYPES[dtype]
        self.shape = list(shape)
        if strides is None:
            strides, acc = [], 1
            for s in reversed(self.shape):
                strides.insert(0, acc)
                acc *= s
        self.strides = list(strides)
        span = 1 + sum((s - 1) * abs(st) for s, st in zip(self.shape, self.strides)) \
            if all(s > 0 for s in self.shape) else 0
        self.storage = (self._CTYPES[dtype] * max(span, 1))()
        if values is not None:
            for i, v in enumerate(values):
                self.storage[i] = v
        self.address = ctypes.addressof(self.storage) if span else 0

    def at(self, *index):
        return self.storage[sum(i * s for i, s in zip(index, self.strides))]


def _tensor_struct(v):
    """hrt_tensor_t of a torch tensor or a HostTensor."""
    t = HrtTensor()
    if torch is not None and isinstance(v, torch.Tensor):
        dtype = TORCH_TO_HRT.get(v.dtype)
        if dtype is None:
            raise ValueError(f"dtype {v.dtype} has no helionrt equivalent")
        t.address = v.data_ptr() if v.numel() > 0 else 0
        t.dtype = dtype
        shape, strides = list(v.shape), list(v.stride())
    elif isinstance(v, HostTensor):
        t.address, t.dtype = v.address, v.dtype
        shape, strides = v.shape, v.strides
    else:
        raise TypeError(f"not a tensor: {type(v).__name__}")
    if not 1 <= len(shape) <= HRT_MAX_RANK:
        raise ValueError(f"rank {len(shape)} outside 1..{HRT_MAX_RANK}")
    t.rank = len(shape)
    for i, (s, st) in enumerate(zip(shape, strides)):
        t.shape[i] = s
        t.strides[i] = st
    return t


class HrtLauncher:
    """One prepared launch: the argument and config arrays are built once, so
    each call costs one ctypes call into hrt_kernel_launch."""

    def __init__(self, hrt, kernel, values, config, device_index, stream):
        self.kernel = kernel
        self.config = dict(config)
        names = [p["name"] for p in kernel.params]
        extra = sorted(set(values) - set(names))
        if extra:
            raise ValueError(f"{kernel.name}: unknown arguments {extra}; parameters are {names}")
        args = (HrtArg * max(len(names), 1))()
        self._keep = []
        for i, p in enumerate(kernel.params):
            if p["name"] not in values:
                raise ValueError(f"{kernel.name}: missing argument '{p['name']}' "
                                 f"(parameters in order: {names})")
            v = values[p["name"]]
            self._keep.append(v)
            if p["kind"] == HRT_PARAM_KIND_TENSOR:
                args[i].kind = HRT_ARG_KIND_TENSOR
                args[i].value.tensor = _tensor_struct(v)
            elif p["dtype"] in HRT_FLOAT_DTYPES or p["dtype"] < 0:
                args[i].kind = HRT_ARG_KIND_FLOAT
                args[i].value.f = float(v)
            else:
                args[i].kind = HRT_ARG_KIND_INT
                args[i].value.i = int(v)
        self._args = args
        self._cfg_names = [k.encode() for k in self.config]
        cfg = (HrtConfigEntry * max(len(self.config), 1))()
        for i, (k, v) in enumerate(self.config.items()):
            cfg[i].name = self._cfg_names[i]
            cfg[i].value = int(v)
        self._cfg = cfg
        params = HrtLaunchParams()
        hrt.check(hrt.lib.hrt_launch_params_init(ctypes.byref(params)), "hrt_launch_params_init")
        params.device_index = device_index
        params.stream = stream
        params.args = ctypes.cast(args, ctypes.POINTER(HrtArg))
        params.arg_count = len(names)
        params.config = ctypes.cast(cfg, ctypes.POINTER(HrtConfigEntry))
        params.config_count = len(self.config)
        self._params = params
        self._pref = ctypes.byref(params)
        self._fn = hrt.lib.hrt_kernel_launch
        self._handle = kernel.handle
        self._hrt = hrt

    def set_stream(self, stream):
        """The native stream (CUstream as an int; 0 or None = NULL)."""
        self._params.stream = stream or None

    def __call__(self):
        status = self._fn(self._handle, self._pref)
        if status:
            self._hrt.check(status, f"hrt_kernel_launch({self.kernel.name}, {self.config})")


class HrtKernel:
    """A kernel handle with its introspected signature and tunables."""

    def __init__(self, hrt, module, handle, name, path):
        self.hrt, self.module, self.handle, self.name, self.path = hrt, module, handle, name, path
        lib = hrt.lib
        count = ctypes.c_uint32()
        hrt.check(lib.hrt_kernel_param_count(handle, ctypes.byref(count)), "hrt_kernel_param_count")
        self.params = []
        for i in range(count.value):
            info = HrtKernelParamInfo()
            info.struct_size = ctypes.sizeof(HrtKernelParamInfo)
            hrt.check(lib.hrt_kernel_get_param(handle, i, ctypes.byref(info)), "hrt_kernel_get_param")
            self.params.append({
                "name": info.name.decode(), "kind": info.kind, "rank": info.rank,
                "dtype": info.dtype, "dtype_param": info.dtype_param,
                "dims": [info.dims[d].decode() for d in range(info.rank) if info.dims[d]],
            })
        hrt.check(lib.hrt_kernel_tunable_count(handle, ctypes.byref(count)), "hrt_kernel_tunable_count")
        self.tunables = {}
        for i in range(count.value):
            info = HrtKernelTunableInfo()
            info.struct_size = ctypes.sizeof(HrtKernelTunableInfo)
            hrt.check(lib.hrt_kernel_get_tunable(handle, i, ctypes.byref(info)), "hrt_kernel_get_tunable")
            self.tunables[info.name.decode()] = {
                "candidates": [info.candidates[j] for j in range(info.candidate_count)],
                "default": info.default_value,
            }
        try:
            with open(path, encoding="utf-8") as f:
                self.constraints = parse_constraints(f.read())
        except Exception:  # noqa: BLE001 - the library still checks them
            self.constraints = []

    def describe(self):
        return {"params": self.params, "tunables": self.tunables, "constraints": self.constraints}

    def default_config(self):
        return {k: v["default"] for k, v in self.tunables.items()}

    def config_ok(self, config):
        """Whether |config| (merged over the defaults) uses candidate values
        and satisfies the kernel file's constraints."""
        full = self.default_config()
        full.update(config)
        for k, v in config.items():
            if k not in self.tunables or v not in self.tunables[k]["candidates"]:
                return False
        return all(eval_constraint(c, full) for c in self.constraints)

    def launcher(self, values, config=None, device_index=0, stream=None):
        return HrtLauncher(self.hrt, self, values, config or {}, device_index, stream)


class Hrt:
    """A helionrt runtime opened through ctypes."""

    def __init__(self, lib_path, preload=()):
        self.lib = load_library(lib_path, preload)
        _declare(self.lib)
        self.version = self.lib.hrt_version_string().decode()
        self.rt = ctypes.c_void_p()
        self.check(self.lib.hrt_runtime_create(None, ctypes.byref(self.rt)), "hrt_runtime_create")
        self.modules = []

    def check(self, status, what):
        if status != 0:
            name = self.lib.hrt_status_string(status).decode()
            msg = self.lib.hrt_last_error_message().decode(errors="replace")
            raise HrtError(f"{what}: {name}: {msg}")

    def devices(self):
        count = ctypes.c_uint32()
        self.check(self.lib.hrt_device_count(self.rt, ctypes.byref(count)), "hrt_device_count")
        out = []
        for i in range(count.value):
            p = HrtDeviceProperties()
            p.struct_size = ctypes.sizeof(HrtDeviceProperties)
            self.check(self.lib.hrt_device_get_properties(self.rt, i, ctypes.byref(p)),
                       "hrt_device_get_properties")
            out.append({
                "index": i, "backend": p.backend,
                "backend_name": BACKEND_NAMES.get(p.backend, str(p.backend)),
                "name": p.name.decode(errors="replace"), "vendor": p.vendor.decode(errors="replace"),
                "arch": p.arch.decode(errors="replace"), "compute_units": p.compute_units,
                "memory_bytes": p.memory_bytes, "subgroup_size": p.subgroup_size,
                "fingerprint": self.fingerprint(i),
            })
        return out

    def fingerprint(self, index):
        n = c_size_t()
        self.check(self.lib.hrt_device_get_fingerprint(self.rt, index, None, 0, ctypes.byref(n)),
                   "hrt_device_get_fingerprint")
        buf = ctypes.create_string_buffer(n.value + 1)
        self.check(self.lib.hrt_device_get_fingerprint(self.rt, index, buf, n.value + 1,
                                                       ctypes.byref(n)), "hrt_device_get_fingerprint")
        return buf.value.decode(errors="replace")

    def load_kernel(self, kernels_dir, name):
        path = os.path.join(kernels_dir, name + ".tile")
        module = ctypes.c_void_p()
        self.check(self.lib.hrt_module_load_file(self.rt, path.encode(), ctypes.byref(module)),
                   f"hrt_module_load_file({path})")
        self.modules.append(module)
        handle = ctypes.c_void_p()
        self.check(self.lib.hrt_module_get_kernel(module, name.encode(), ctypes.byref(handle)),
                   f"hrt_module_get_kernel({name})")
        return HrtKernel(self, module, handle, name, path)

    def close(self):
        for m in self.modules:
            self.lib.hrt_module_destroy(m)
        self.modules = []
        if self.rt:
            self.lib.hrt_runtime_destroy(self.rt)
            self.rt = ctypes.c_void_p()


_CONSTRAINT_CHARS = re.compile(r"^[A-Za-z0-9_\s*+\-/%()<>=!,]+$")


def parse_constraints(tile_text):
    """The `constraint EXPR` lines of a .tile file (comments stripped)."""
    out = []
    for line in tile_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("constraint "):
            out.append(line[len("constraint "):].strip())
    return out


def eval_constraint(expr, values):
    """Evaluates one constraint over tunable values; True when it cannot be
    evaluated here (the library is the final judge)."""
    if not _CONSTRAINT_CHARS.match(expr):
        return True
    env = {"__builtins__": {}, "cdiv": lambda a, b: -(-a // b), "min": min, "max": max}
    env.update(values)
    try:
        return bool(eval(expr.replace("/", "//"), env))  # noqa: S307 - restricted charset
    except Exception:  # noqa: BLE001
        return True


# ---------------------------------------------------------------------------
# Triton contenders (tutorial style: one row per program, BLOCK = next_pow2)
# ---------------------------------------------------------------------------

if triton is not None:
    @triton.jit
    def _tri_rms_norm(x_ptr, w_ptr, y_ptr, stride_x, stride_y, n_cols, eps, BLOCK: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
        mean_sq = tl.sum(x * x, axis=0) / n_cols
        rstd = 1.0 / tl.sqrt(mean_sq + eps)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        y = x * rstd * w
        tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _tri_softmax(x_ptr, y_ptr, stride_x, stride_y, n_cols, BLOCK: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=-float("inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        y = e / tl.sum(e, axis=0)
        tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _tri_layer_norm(x_ptr, w_ptr, b_ptr, y_ptr, stride_x, stride_y, n_cols, eps,
                        BLOCK: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
        mean = tl.sum(x, axis=0) / n_cols
        d = tl.where(mask, x - mean, 0.0)
        rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=0) / n_cols + eps)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        y = d * rstd * w + b
        tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _tri_silu_mul(g_ptr, u_ptr, y_ptr, stride_g, stride_u, stride_y, n_cols,
                      BLOCK: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.arange(0, BLOCK)
        mask = cols < n_cols
        g = tl.load(g_ptr + row * stride_g + cols, mask=mask, other=0.0).to(tl.float32)
        u = tl.load(u_ptr + row * stride_u + cols, mask=mask, other=0.0).to(tl.float32)
        y = g / (1.0 + tl.exp(-g)) * u
        tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def next_pow2(n):
    return 1 << max(0, (int(n) - 1).bit_length())


def triton_warps(block):
    """Warps for a one-row-per-program kernel, as Triton's tutorials pick."""
    return 16 if block >= 4096 else 8 if block >= 2048 else 4


# ---------------------------------------------------------------------------
# Plan: shapes, sweeps, budgets
# ---------------------------------------------------------------------------

def row_shapes(quick, rows=None):
    """(dtype, rows, hidden) for the row-wise ops; |rows|, a comma list of row
    counts, keeps only those (--rows: a focused run spends less device time)."""
    if quick:
        shapes = [("bf16", 1, 4096), ("bf16", 1024, 4096)]
    else:
        shapes = [("bf16", m, n) for n in (4096, 8192) for m in (1, 16, 128, 1024, 4096, 16384)]
        shapes.append(("f16", 16384, 8192))
    if rows:
        keep = {int(r) for r in rows.split(",") if r.strip()}
        shapes = [s for s in shapes if s[1] in keep]
    return shapes


def gemm_shapes(quick, ms=()):
    """(M, N, K) for bf16 GEMM; the first entries are cubes, then decode.
    |ms|: keep only these M (empty: all)."""
    if quick:
        shapes = [(4096, 4096, 4096), (1, 4096, 4096)]
    else:
        cubes = [(s, s, s) for s in (1024, 4096, 8192)]
        decode = [(m, nk, nk) for nk in (4096, 8192) for m in (1, 2, 4, 8, 16)]
        shapes = cubes + decode
    return [s for s in shapes if not ms or s[0] in ms]


def row_sweep(kernel, hidden, quick):
    """Configs of a row kernel's block and warps tunables to try, besides its
    default: blocks from 1024 to next_pow2(hidden), warps 4/8/16, crossed
    with every candidate of the kernel's other small tunables (at most 4
    candidates: code-generation switches such as PRELOAD), filtered by the
    kernel's candidates and constraints."""
    block_name = next((k for k in kernel.tunables if k.startswith("BLOCK")), None)
    if block_name is None or "WARPS" not in kernel.tunables:
        return []
    limit = next_pow2(hidden)
    blocks = [b for b in kernel.tunables[block_name]["candidates"] if 1024 <= b <= limit]
    warps = [w for w in kernel.tunables["WARPS"]["candidates"] if w in (4, 8, 16)]
    switches = [(k, t["candidates"]) for k, t in kernel.tunables.items()
                if k not in (block_name, "WARPS") and len(t["candidates"]) <= 4]
    configs = []
    for b in blocks:
        for w in warps:
            for values in itertools.product(*[c for _, c in switches]):
                # Every tunable pinned (the others at their defaults): a
                # tunable left open would be tuned while the benchmark serves.
                cfg = {**kernel.default_config(), block_name: b, "WARPS": w}
                cfg.update({k: v for (k, _), v in zip(switches, values)})
                if cfg != kernel.default_config() and kernel.config_ok(cfg):
                    configs.append(cfg)
    if quick:
        big = [c for c in configs if c[block_name] == min(limit, 4096)]
        configs = big[:2] + [c for c in configs if c not in big][:1]
    return configs


# (BLOCK_M, BLOCK_N, BLOCK_K, WARPS, STAGES) tried for GEMM besides the default.
GEMM_SWEEP_LARGE = [(128, 128, 32, 8, 4), (128, 128, 64, 4, 3), (128, 128, 32, 4, 3),
                    (128, 64, 64, 4, 3), (64, 128, 64, 4, 3), (64, 64, 64, 4, 4),
                    (128, 128, 64, 8, 2), (128, 128, 64, 8, 4), (128, 256, 64, 8, 2),
                    (128, 256, 64, 8, 3), (128, 256, 64, 8, 4)]
# Decode streams B: narrow BLOCK_N spreads it over every multiprocessor, deep
# BLOCK_K keeps more of it in flight (entries the kernel's candidates lack are
# skipped by config_ok).
GEMM_SWEEP_DECODE = [(16, 64, 64, 2, 3), (16, 64, 64, 4, 4), (16, 128, 64, 4, 3),
                     (16, 128, 64, 8, 3), (16, 32, 64, 2, 4), (16, 128, 32, 4, 4),
                     (32, 64, 64, 4, 3), (16, 64, 32, 1, 4), (16, 16, 64, 1, 4),
                     (16, 16, 128, 1, 4), (16, 16, 256, 1, 4), (16, 32, 128, 2, 4),
                     (16, 32, 256, 2, 3), (16, 32, 256, 2, 4), (16, 32, 128, 1, 4),
                     (16, 64, 128, 4, 4), (16, 64, 256, 4, 3), (16, 16, 128, 2, 4),
                     (16, 32, 64, 4, 4), (16, 32, 128, 4, 3), (16, 32, 128, 4, 4),
                     (16, 64, 64, 8, 4), (16, 64, 128, 8, 3), (16, 64, 128, 8, 4)]


def gemm_sweep(kernel, m, quick):
    """Configs tried besides the default, every tunable pinned. A kernel with
    the reserved tunable WARP_ROLES (kernels/gemm.tile) gets each
    config with every one of its values, the default config's other values
    included: an A/B of the warp-specialized K loop in one process."""
    table = GEMM_SWEEP_DECODE if m <= 64 else GEMM_SWEEP_LARGE
    names = ("BLOCK_M", "BLOCK_N", "BLOCK_K", "WARPS", "STAGES")
    default = kernel.default_config()
    roles = kernel.tunables.get("WARP_ROLES", {}).get("candidates", [None])
    rows = [tuple(default[n] for n in names)] + [r for r in table if r != tuple(default[n] for n in names)]
    configs = []
    for row in rows:
        for role in roles:
            cfg = {**default, **dict(zip(names, row))}
            if role is not None:
                cfg["WARP_ROLES"] = role
                # Only the pipelined wgmma loop specializes (K = 64, one
                # warpgroup per 64 rows): elsewhere 2 would time 1 again.
                wgmma = (cfg["BLOCK_K"] == 64 and cfg["WARPS"] in (4, 8)
                         and cfg["BLOCK_M"] == 16 * cfg["WARPS"] and cfg["STAGES"] >= 2)
                if role != 1 and not wgmma:
                    continue
            if cfg != default and kernel.config_ok(cfg):
                configs.append(cfg)
    return configs[:2] if quick else configs


def bench_kernel_names(args):
    """The kernels the chosen sections run: a variant folder need only hold those."""
    names = [op for op in ROW_OPS if op in args.ops] if "row" in args.sections else []
    return names + (["gemm"] if "gemm" in args.sections else [])


def fmt_config(cfg):
    if not cfg:
        return "default"
    return " ".join(f"{k}={v}" for k, v in cfg.items())


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

class Timer:
    """CUDA events around N back-to-back launches on the current stream after
    warmup, median over repeats; optionally also a CUDA graph of the same N
    launches replayed (launch overhead removed). Same method for every
    contender."""

    def __init__(self, quick, graphs):
        self.warmup = 3
        self.repeats = 3 if quick else 5
        self.target_ms = 2.0 if quick else 5.0
        self.max_iters = 100
        self.graphs = graphs

    def measure(self, fn, graph=True):
        res = {}
        set_stream = getattr(fn, "set_stream", None)
        if set_stream:
            set_stream(torch.cuda.current_stream().cuda_stream)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        res["warm_call_ms"] = (time.perf_counter() - t0) * 1e3
        for _ in range(self.warmup - 1):
            fn()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(3):
            fn()
        end.record()
        end.synchronize()
        est_ms = max(start.elapsed_time(end) / 3, 1e-4)
        n = int(max(1, min(self.max_iters, self.target_ms / est_ms)))
        repeats = self.repeats if est_ms * n < 100 else 3
        times = []
        for _ in range(repeats):
            start.record()
            for _ in range(n):
                fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1e3 / n)
        res["iters"] = n
        res["loop_us"] = statistics.median(times)
        res["loop_samples_us"] = times
        if graph and self.graphs:
            try:
                res["graph_us"], res["graph_samples_us"] = self._graph(fn, n, repeats)
            except Exception as e:  # noqa: BLE001
                res["graph_error"] = short_error(e)
                try:
                    torch.cuda.synchronize()
                except Exception:  # noqa: BLE001
                    pass
            finally:
                if set_stream:
                    set_stream(torch.cuda.current_stream().cuda_stream)
        return res

    def _graph(self, fn, n, repeats):
        set_stream = getattr(fn, "set_stream", None)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            if set_stream:
                set_stream(side.cuda_stream)
            fn()
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g, stream=side, capture_error_mode="thread_local"):
            if set_stream:
                set_stream(torch.cuda.current_stream().cuda_stream)
            for _ in range(n):
                fn()
        if set_stream:
            set_stream(torch.cuda.current_stream().cuda_stream)
        g.replay()
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        times = []
        for _ in range(repeats):
            start.record()
            g.replay()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1e3 / n)
        del g
        return statistics.median(times), times


def short_error(e):
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= 600 else text[:600] + "..."


def rank_time(m):
    """The time a sweep is ranked by: graph replay when measured, else loop."""
    if not m:
        return None
    return m.get("graph_us") if m.get("graph_us") is not None else m.get("loop_us")


# ---------------------------------------------------------------------------
# Correctness
# ---------------------------------------------------------------------------

# (atol, rtol) against an f32 reference computed from the same inputs.
TOLERANCES = {"bf16": (2e-2, 2e-2), "f16": (2e-3, 4e-3), "f32": (1e-4, 1e-4)}
SOFTMAX_ATOL = 1e-6  # outputs are ~1/hidden: the absolute floor must be tiny
GEMM_TOL = {"bf16": (3e-2, 3e-2), "f16": (1e-2, 1e-2), "f32": (1e-3, 1e-3)}


def compare(out, ref, atol, rtol):
    """Max abs error and the count of elements outside atol + rtol * |ref|
    (non-finite outputs always count)."""
    o = out.float()
    finite = torch.isfinite(o)
    diff = (o - ref).abs()
    bad = (~finite) | (diff > atol + rtol * ref.abs())
    n_bad = int(bad.sum().item())
    max_err = float(torch.where(finite, diff, torch.zeros_like(diff)).max().item()) if o.numel() else 0.0
    return {"max_abs_err": max_err, "n_bad": n_bad, "n_nonfinite": int((~finite).sum().item()),
            "ok": n_bad == 0, "atol": atol, "rtol": rtol}


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.t0 = _T_START
        budget = args.budget_s or (50.0 if args.quick else 320.0)
        self.budget = budget
        self.row_deadline = self.t0 + 0.55 * budget
        self.gemm_deadline = self.t0 + 0.95 * budget
        self.timer = Timer(args.quick, not args.no_graphs)
        self.hrt = None
        self.hrt_device = None
        self.kernels = {}
        self.copy = {}
        self.dead = None  # set when the CUDA context is unusable
        self.results = {
            "schema": 1,
            "command": "python3 " + " ".join(shlex.quote(a) for a in sys.argv),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "quick": bool(args.quick),
            "budget_s": budget,
            "method": {
                "timer": "torch.cuda.Event around N back-to-back launches on the current stream",
                "warmup_launches": self.timer.warmup,
                "repeats": self.timer.repeats,
                "target_ms_per_repeat": self.timer.target_ms,
                "max_launches_per_repeat": self.timer.max_iters,
                "statistic": "median over repeats of (elapsed / N)",
                "graph": "same N launches captured in a CUDA graph, replayed; median per launch"
                         if self.timer.graphs else "off",
                "bytes": "ideal bytes: every input read once plus every output written once",
                "sweep_ranked_by": "graph_us when measured, else loop_us; wrong configs excluded",
            },
            "env": {}, "helionrt": {}, "copy": {}, "row_ops": [], "gemm": [], "errors": [],
        }

    # -- bookkeeping --------------------------------------------------------

    def log(self, msg):
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}", flush=True)

    def error(self, where, e):
        entry = {"where": where, "error": short_error(e),
                 "traceback": traceback.format_exc(limit=6)}
        self.results["errors"].append(entry)
        self.log(f"ERROR in {where}: {entry['error']}")
        self.check_context()

    def check_context(self):
        """A sticky CUDA error (illegal address...) poisons the context; then
        nothing else can run in this process."""
        if torch is None or self.dead:
            return
        try:
            torch.cuda.synchronize()
        except Exception as e:  # noqa: BLE001
            self.dead = short_error(e)
            self.log(f"CUDA context unusable, stopping GPU work: {self.dead}")

    def release_memory(self):
        """Returns the cached blocks of the finished shape (never raises)."""
        if self.dead:
            return
        try:
            torch.cuda.empty_cache()
        except Exception as e:  # noqa: BLE001
            self.error("empty_cache", e)

    def save(self):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        self.results["elapsed_s"] = round(time.perf_counter() - self.t0, 2)
        data = json.dumps(sanitize(self.results), indent=1, sort_keys=False)
        tmp = os.path.join(out, "results.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, "results.json"))
        md = render_md(sanitize(self.results))
        tmp = os.path.join(out, "results.md.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(md)
        os.replace(tmp, os.path.join(out, "results.md"))

    # -- sections -----------------------------------------------------------

    def env(self):
        env = self.results["env"]
        env["python"] = sys.version.split()[0]
        env["platform"] = platform.platform()
        env["hostname"] = platform.node()
        env["torch"] = getattr(torch, "__version__", None) if torch else TORCH_IMPORT_ERROR
        env["triton"] = getattr(triton, "__version__", None) if triton else TRITON_IMPORT_ERROR
        if torch is not None:
            env["torch_cuda"] = torch.version.cuda
            props = torch.cuda.get_device_properties(0)
            env["device"] = props.name
            env["sm_count"] = props.multi_processor_count
            env["memory_bytes"] = props.total_memory
            env["capability"] = f"{props.major}.{props.minor}"
            env["l2_bytes"] = getattr(props, "L2_cache_size", None)
        env["driver"] = driver_version()

    def load_helionrt(self):
        info = self.results["helionrt"]
        self.hrt = Hrt(self.args.lib, self.args.preload)
        info["version"] = self.hrt.version
        info["library"] = os.path.abspath(self.args.lib)
        devices = self.hrt.devices()
        info["devices"] = devices
        idx = self.args.device_index
        if idx >= len(devices):
            raise HrtError(f"helionrt has {len(devices)} devices, no index {idx}")
        if devices[idx]["backend"] != HRT_BACKEND_CUDA:
            raise HrtError(f"helionrt device {idx} is {devices[idx]['backend_name']} "
                           f"({devices[idx]['name']}), not CUDA: is libcuda.so.1 loadable?")
        self.hrt_device = idx
        info["device_index"] = idx
        self.log(f"helionrt {self.hrt.version}: device {idx} = {devices[idx]['name']} "
                 f"({devices[idx]['arch']}, {devices[idx]['compute_units']} units)")
        info["kernels"] = {}
        for name in bench_kernel_names(self.args):
            try:
                k = self.hrt.load_kernel(self.args.kernels, name)
                self.kernels[name] = k
                info["kernels"][name] = k.describe()
            except Exception as e:  # noqa: BLE001
                self.error(f"load kernel {name}", e)

    def copy_bandwidth(self):
        nbytes = (256 if self.args.quick else 1024) << 20
        src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        src.random_(0, 255)
        dst = torch.empty_like(src)
        m = self.timer.measure(lambda: dst.copy_(src))
        moved = 2 * nbytes
        res = {"buffer_bytes": nbytes, "bytes_moved": moved, **m,
               "loop_GBps": moved / (m["loop_us"] * 1e3)}
        if m.get("graph_us"):
            res["graph_GBps"] = moved / (m["graph_us"] * 1e3)
        self.results["copy"] = res
        self.copy = res
        self.log(f"copy bandwidth: {res['loop_GBps']:.0f} GB/s (loop)"
                 + (f", {res['graph_GBps']:.0f} GB/s (graph)" if "graph_GBps" in res else ""))

    # -- row ops ------------------------------------------------------------

    def row_inputs(self, op, dtype, m, n):
        tdt = TORCH_DTYPES[dtype]
        gen = torch.Generator(device="cuda")
        gen.manual_seed(1234 + m * 7 + n)

        def rnd(*shape, scale=1.0, shift=0.0):
            return (torch.randn(*shape, device="cuda", generator=gen) * scale + shift).to(tdt)

        if op == "rms_norm":
            t = {"x": rnd(m, n), "w": rnd(n, scale=0.1, shift=1.0)}
            xf, wf = t["x"].float(), t["w"].float()
            ref = xf * torch.rsqrt((xf * xf).mean(-1, keepdim=True) + RMS_EPS) * wf
            t["y"] = torch.empty_like(t["x"])
            bytes_ = 2 * m * n + n
        elif op == "softmax":
            t = {"x": rnd(m, n, scale=2.0)}
            ref = torch.softmax(t["x"].float(), dim=-1)
            t["y"] = torch.empty_like(t["x"])
            bytes_ = 2 * m * n
        elif op == "layer_norm":
            # A mean far from 0 checks the variance is computed stably.
            t = {"x": rnd(m, n, shift=3.0), "w": rnd(n, scale=0.1, shift=1.0),
                 "b": rnd(n, scale=0.1)}
            ref = F.layer_norm(t["x"].float(), (n,), t["w"].float(), t["b"].float(), LN_EPS)
            t["y"] = torch.empty_like(t["x"])
            bytes_ = 2 * m * n + 2 * n
        elif op == "silu_mul":
            t = {"gate": rnd(m, n), "up": rnd(m, n)}
            ref = F.silu(t["gate"].float()) * t["up"].float()
            t["out"] = torch.empty_like(t["gate"])
            bytes_ = 3 * m * n
        else:
            raise ValueError(op)
        return t, ref, bytes_ * DTYPE_BYTES[dtype]

    def torch_fn(self, op, t, n):
        if op == "rms_norm":
            if not hasattr(F, "rms_norm"):
                raise RuntimeError("torch.nn.functional.rms_norm missing (torch < 2.4)")
            return lambda: F.rms_norm(t["x"], (n,), t["w"], RMS_EPS)
        if op == "softmax":
            return lambda: F.softmax(t["x"], dim=-1)
        if op == "layer_norm":
            return lambda: F.layer_norm(t["x"], (n,), t["w"], t["b"], LN_EPS)
        return lambda: F.silu(t["gate"]) * t["up"]

    def triton_fn(self, op, t, m, n):
        if triton is None:
            raise RuntimeError(f"triton unavailable: {TRITON_IMPORT_ERROR}")
        block = next_pow2(n)
        warps = triton_warps(block)
        grid = (m,)
        if op == "rms_norm":
            x, w, y = t["x"], t["w"], t["tri_out"]
            sx, sy = x.stride(0), y.stride(0)
            fn = lambda: _tri_rms_norm[grid](x, w, y, sx, sy, n, RMS_EPS, BLOCK=block, num_warps=warps)
        elif op == "softmax":
            x, y = t["x"], t["tri_out"]
            sx, sy = x.stride(0), y.stride(0)
            fn = lambda: _tri_softmax[grid](x, y, sx, sy, n, BLOCK=block, num_warps=warps)
        elif op == "layer_norm":
            x, w, b, y = t["x"], t["w"], t["b"], t["tri_out"]
            sx, sy = x.stride(0), y.stride(0)
            fn = lambda: _tri_layer_norm[grid](x, w, b, y, sx, sy, n, LN_EPS, BLOCK=block,
                                               num_warps=warps)
        else:
            g, u, y = t["gate"], t["up"], t["tri_out"]
            sg, su, sy = g.stride(0), u.stride(0), y.stride(0)
            fn = lambda: _tri_silu_mul[grid](g, u, y, sg, su, sy, n, BLOCK=block, num_warps=warps)
        return fn, {"BLOCK": block, "num_warps": warps}

    def hrt_values(self, op, t):
        if op == "rms_norm":
            return {"x": t["x"], "w": t["w"], "y": t["y"], "eps": RMS_EPS}
        if op == "softmax":
            return {"x": t["x"], "y": t["y"]}
        if op == "layer_norm":
            return {"x": t["x"], "w": t["w"], "b": t["b"], "y": t["y"], "eps": LN_EPS}
        return {"gate": t["gate"], "up": t["up"], "out": t["out"]}

    def bandwidth(self, m, nbytes):
        """Adds GB/s and % of copy bandwidth (same method) to a measurement."""
        for kind in ("loop", "graph"):
            us = m.get(f"{kind}_us")
            if us:
                gbps = nbytes / (us * 1e3)
                m[f"{kind}_GBps"] = gbps
                ref = self.copy.get(f"{kind}_GBps")
                if ref:
                    m[f"{kind}_pct_copy"] = 100.0 * gbps / ref
        return m

    def run_checked(self, fn, out, ref, tol):
        """Runs |fn| once into |out| (poisoned with NaN first) and compares."""
        out.fill_(float("nan"))
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        r = fn()
        torch.cuda.synchronize()
        first_ms = (time.perf_counter() - t0) * 1e3
        res = compare(out if r is None or not isinstance(r, torch.Tensor) else r, ref, *tol)
        res["first_call_ms"] = first_ms  # includes the JIT compile of a new config
        return res

    def row_case(self, op, dtype, m, n):
        entry = {"op": op, "dtype": dtype, "rows": m, "hidden": n, "contenders": {}, "sweep": []}
        self.results["row_ops"].append(entry)
        t, ref, nbytes = self.row_inputs(op, dtype, m, n)
        entry["bytes"] = nbytes
        out_name = "out" if op == "silu_mul" else "y"
        t["tri_out"] = torch.empty_like(t[out_name])
        atol, rtol = TOLERANCES[dtype]
        if op == "softmax":
            atol = SOFTMAX_ATOL
        tol = (atol, rtol)
        c = entry["contenders"]

        # torch eager: its result tensor is what it returns.
        try:
            fn = self.torch_fn(op, t, n)
            res = compare(fn(), ref, *tol)
            torch.cuda.synchronize()
            c["torch"] = self.bandwidth({**res, **self.timer.measure(fn)}, nbytes)
        except Exception as e:  # noqa: BLE001
            c["torch"] = {"error": short_error(e)}
            self.error(f"{op} {dtype} {m}x{n} torch", e)
        if self.dead:
            return entry

        try:
            fn, cfg = self.triton_fn(op, t, m, n)
            res = self.run_checked(fn, t["tri_out"], ref, tol)
            c["triton"] = self.bandwidth({**res, "config": cfg, **self.timer.measure(fn)}, nbytes)
        except Exception as e:  # noqa: BLE001
            c["triton"] = {"error": short_error(e)}
            self.error(f"{op} {dtype} {m}x{n} triton", e)
        if self.dead:
            return entry

        kernel = self.kernels.get(op)
        if kernel is None:
            c["helionrt_default"] = {"error": "helionrt unavailable (see errors)"}
            return entry
        values = self.hrt_values(op, t)

        def hrt_measure(config):
            launcher = kernel.launcher(values, config, self.hrt_device,
                                       torch.cuda.current_stream().cuda_stream)
            res = self.run_checked(launcher, t[out_name], ref, tol)
            return self.bandwidth({**res, "config": dict(config),
                                   **self.timer.measure(launcher)}, nbytes)

        try:
            c["helionrt_default"] = hrt_measure(kernel.default_config())
            c["helionrt_default"]["config"] = kernel.default_config()
        except Exception as e:  # noqa: BLE001
            c["helionrt_default"] = {"error": short_error(e)}
            self.error(f"{op} {dtype} {m}x{n} helionrt default", e)
        if self.dead:
            return entry

        candidates = [c["helionrt_default"]] if "error" not in c["helionrt_default"] else []
        if not self.args.no_sweep:
            for cfg in row_sweep(kernel, n, self.args.quick):
                if time.perf_counter() > self.row_deadline:
                    entry["sweep_note"] = "sweep cut short: time budget"
                    break
                try:
                    r = hrt_measure(cfg)
                except Exception as e:  # noqa: BLE001
                    r = {"config": cfg, "error": short_error(e)}
                    self.error(f"{op} {dtype} {m}x{n} helionrt {fmt_config(cfg)}", e)
                entry["sweep"].append(r)
                if self.dead:
                    return entry
                if "error" not in r:
                    candidates.append(r)
        good = [r for r in candidates if r.get("ok") and rank_time(r)]
        if good:
            c["helionrt_best"] = min(good, key=rank_time)
        return entry

    def row_ops(self):
        ops = [o for o in ROW_OPS if o in self.args.ops]
        for op in ops:
            for dtype, m, n in row_shapes(self.args.quick, self.args.rows):
                if self.dead:
                    return
                if time.perf_counter() > self.row_deadline + 0.2 * self.budget:
                    self.results["row_ops"].append({"op": op, "dtype": dtype, "rows": m, "hidden": n,
                                                    "skipped": "time budget"})
                    continue
                try:
                    e = self.row_case(op, dtype, m, n)
                    self.log(summary_line(e))
                except Exception as ex:  # noqa: BLE001
                    self.error(f"{op} {dtype} {m}x{n}", ex)
                self.save()
                self.release_memory()

    # -- gemm ---------------------------------------------------------------

    def gemm_case(self, m, n, k, dtype="bf16"):
        entry = {"op": "gemm", "dtype": dtype, "M": m, "N": n, "K": k, "contenders": {}, "sweep": []}
        self.results["gemm"].append(entry)
        tdt = TORCH_DTYPES[dtype]
        gen = torch.Generator(device="cuda")
        gen.manual_seed(99 + m + n + k)
        a = torch.randn(m, k, device="cuda", generator=gen).to(tdt)
        b = (torch.randn(k, n, device="cuda", generator=gen) * (k ** -0.5)).to(tdt)
        c_out = torch.empty(m, n, device="cuda", dtype=tdt)
        bias = torch.empty(0, device="cuda", dtype=tdt)
        ref = a.float() @ b.float()
        flops = 2.0 * m * n * k
        nbytes = (m * k + k * n + m * n) * DTYPE_BYTES[dtype]
        entry["flops"], entry["bytes"] = flops, nbytes
        tol = GEMM_TOL[dtype]
        cs = entry["contenders"]

        def rates(r):
            for kind in ("loop", "graph"):
                us = r.get(f"{kind}_us")
                if us:
                    r[f"{kind}_TFLOPs"] = flops / (us * 1e-6) / 1e12
            return self.bandwidth(r, nbytes)

        try:
            fn = lambda: torch.matmul(a, b)
            res = compare(fn(), ref, *tol)
            torch.cuda.synchronize()
            cs["torch"] = rates({**res, **self.timer.measure(fn)})
        except Exception as e:  # noqa: BLE001
            cs["torch"] = {"error": short_error(e)}
            self.error(f"gemm {m}x{n}x{k} torch", e)
        if self.dead:
            return entry

        kernel = self.kernels.get("gemm")
        if kernel is None:
            cs["helionrt_default"] = {"error": "helionrt unavailable (see errors)"}
            return entry
        values = {"a": a, "b": b, "bias": bias, "c": c_out}

        def hrt_measure(config):
            launcher = kernel.launcher(values, config, self.hrt_device,
                                       torch.cuda.current_stream().cuda_stream)
            res = self.run_checked(launcher, c_out, ref, tol)
            return rates({**res, "config": dict(config), **self.timer.measure(launcher)})

        try:
            cs["helionrt_default"] = hrt_measure(kernel.default_config())
            cs["helionrt_default"]["config"] = kernel.default_config()
        except Exception as e:  # noqa: BLE001
            cs["helionrt_default"] = {"error": short_error(e)}
            self.error(f"gemm {m}x{n}x{k} helionrt default", e)
        if self.dead:
            return entry
        candidates = [cs["helionrt_default"]] if "error" not in cs["helionrt_default"] else []
        if not self.args.no_sweep:
            for cfg in gemm_sweep(kernel, m, self.args.quick):
                if time.perf_counter() > self.gemm_deadline:
                    entry["sweep_note"] = "sweep cut short: time budget"
                    break
                try:
                    r = hrt_measure(cfg)
                except Exception as e:  # noqa: BLE001
                    r = {"config": cfg, "error": short_error(e)}
                    self.error(f"gemm {m}x{n}x{k} helionrt {fmt_config(cfg)}", e)
                entry["sweep"].append(r)
                if self.dead:
                    return entry
                if "error" not in r:
                    candidates.append(r)
        good = [r for r in candidates if r.get("ok") and rank_time(r)]
        if good:
            cs["helionrt_best"] = min(good, key=rank_time)
        return entry

    def gemm(self):
        for m, n, k in gemm_shapes(self.args.quick, self.args.gemm_m):
            if self.dead:
                return
            if time.perf_counter() > self.t0 + self.budget:
                self.results["gemm"].append({"op": "gemm", "M": m, "N": n, "K": k,
                                             "skipped": "time budget"})
                continue
            try:
                e = self.gemm_case(m, n, k)
                self.log(gemm_summary_line(e))
            except Exception as ex:  # noqa: BLE001
                self.error(f"gemm {m}x{n}x{k}", ex)
            self.save()
            self.release_memory()

    def run(self):
        self.log(f"kernels_bench: out={self.args.out} quick={self.args.quick} "
                 f"budget={self.budget:.0f}s")
        if torch is None or not torch.cuda.is_available():
            raise SystemExit(f"torch with CUDA is required (import: {TORCH_IMPORT_ERROR}); "
                             "use --dry-run or --selftest-cpu without a GPU")
        # The f32 references must be real f32 products, not TF32.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        for name, step in (("env", self.env), ("helionrt", self.load_helionrt),
                           ("copy", self.copy_bandwidth)):
            try:
                step()
            except Exception as e:  # noqa: BLE001
                self.error(name, e)
            self.save()
        if "row" in self.args.sections:
            self.row_ops()
        if "gemm" in self.args.sections and not self.dead:
            self.gemm()
        if self.dead:
            self.results["context_lost"] = self.dead
        wrong = [f"{e['op']} {e.get('dtype')} {e.get('rows', e.get('M'))}x{e.get('hidden', e.get('N'))} "
                 f"{who} {fmt_config(r.get('config'))}"
                 for e in self.results["row_ops"] + self.results["gemm"]
                 for who, r in list(e.get("contenders", {}).items())
                 + [("helionrt_sweep", x) for x in e.get("sweep", [])]
                 if isinstance(r, dict) and r.get("ok") is False and who != "helionrt_best"]
        self.results["wrong_results"] = sorted(set(wrong))
        if wrong:
            self.log(f"{len(set(wrong))} WRONG results: " + "; ".join(sorted(set(wrong))[:10]))
        self.save()
        if self.hrt is not None and not self.dead:
            try:
                self.hrt.close()
            except Exception:  # noqa: BLE001
                pass
        self.log(f"wrote {os.path.join(self.args.out, 'results.json')} and results.md "
                 f"({len(self.results['errors'])} errors)")


TORCH_DTYPES = {}
TORCH_TO_HRT = {}
if torch is not None:
    TORCH_DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
    TORCH_TO_HRT = {torch.bfloat16: HRT_DTYPES["bf16"], torch.float16: HRT_DTYPES["f16"],
                    torch.float32: HRT_DTYPES["f32"], torch.int32: HRT_DTYPES["i32"],
                    torch.int64: HRT_DTYPES["i64"], torch.int16: HRT_DTYPES["i16"],
                    torch.int8: HRT_DTYPES["i8"], torch.uint8: HRT_DTYPES["u8"],
                    torch.bool: HRT_DTYPES["bool"]}
DTYPE_BYTES = {"bf16": 2, "f16": 2, "f32": 4}


def driver_version():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().splitlines()[0]
    except Exception:  # noqa: BLE001
        pass
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
        v = ctypes.c_int()
        if cuda.cuDriverGetVersion(ctypes.byref(v)) == 0:
            return f"CUDA driver API {v.value // 1000}.{(v.value % 1000) // 10}"
    except Exception:  # noqa: BLE001
        pass
    return None


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def sanitize(x):
    """JSON-safe copy: NaN/inf become None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): sanitize(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [sanitize(v) for v in x]
    return x


def _f(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def _ratio(num, den):
    return "-" if not num or not den else f"{num / den:.2f}x"


def summary_line(e):
    c = e.get("contenders", {})
    parts = [f"{e['op']} {e['dtype']} {e['rows']}x{e['hidden']}:"]
    for name, label in (("helionrt_default", "hrt"), ("helionrt_best", "hrt-best"),
                        ("torch", "torch"), ("triton", "triton")):
        r = c.get(name)
        if not r:
            continue
        if "error" in r:
            parts.append(f"{label} ERROR")
            continue
        t = f"{label} {_f(r.get('loop_us'))}us"
        if r.get("graph_us") is not None:
            t += f"/{_f(r.get('graph_us'))}g"
        if name == "helionrt_best":
            t += f" [{fmt_config(r.get('config'))}]"
        if r.get("ok") is False:
            t += " WRONG"
        parts.append(t)
    return " ".join(parts)


def gemm_summary_line(e):
    c = e.get("contenders", {})
    parts = [f"gemm {e['dtype']} {e['M']}x{e['N']}x{e['K']}:"]
    for name, label in (("helionrt_default", "hrt"), ("helionrt_best", "hrt-best"), ("torch", "cublas")):
        r = c.get(name)
        if not r:
            continue
        if "error" in r:
            parts.append(f"{label} ERROR")
            continue
        t = f"{label} {_f(r.get('loop_TFLOPs'))}TF"
        if name == "helionrt_best":
            t += f" [{fmt_config(r.get('config'))}]"
        if r.get("ok") is False:
            t += " WRONG"
        parts.append(t)
    return " ".join(parts)


def _check_cell(e):
    """'ok', or the contenders (and sweep configs) whose output was wrong."""
    wrong = [k for k, r in e.get("contenders", {}).items()
             if isinstance(r, dict) and r.get("ok") is False and k != "helionrt_best"]
    bad_sweep = [r for r in e.get("sweep", []) if r.get("ok") is False]
    errs = [k for k, r in e.get("contenders", {}).items() if isinstance(r, dict) and "error" in r]
    errs += ["sweep " + fmt_config(r.get("config")) for r in e.get("sweep", []) if "error" in r]
    cells = []
    if wrong:
        cells.append("**WRONG: " + ", ".join(wrong) + "**")
    if bad_sweep:
        cells.append(f"**WRONG: {len(bad_sweep)}/{len(e.get('sweep', []))} sweep configs**")
    if errs:
        cells.append(f"errors: {len(errs)}")
    return "; ".join(cells) if cells else "ok"


def _hrt_err(e):
    errs = [r.get("max_abs_err") for k, r in e.get("contenders", {}).items()
            if k.startswith("helionrt") and isinstance(r, dict) and r.get("max_abs_err") is not None]
    errs += [r.get("max_abs_err") for r in e.get("sweep", []) if r.get("max_abs_err") is not None]
    return f"{max(errs):.2e}" if errs else "-"


def render_md(r):
    env = r.get("env", {})
    hrt = r.get("helionrt", {})
    lines = ["# helionrt device benchmark", ""]
    lines.append(f"- date (UTC): {r.get('date_utc')}")
    lines.append(f"- command: `{r.get('command')}`")
    lines.append(f"- device: {env.get('device')} (cc {env.get('capability')}, {env.get('sm_count')} SMs), "
                 f"driver {env.get('driver')}")
    lines.append(f"- torch {env.get('torch')} (CUDA {env.get('torch_cuda')}), triton {env.get('triton')}, "
                 f"python {env.get('python')}")
    dev = None
    if hrt.get("devices") and hrt.get("device_index") is not None:
        dev = hrt["devices"][hrt["device_index"]]
    lines.append(f"- helionrt {hrt.get('version')}"
                 + (f", device {dev['index']}: {dev['name']} ({dev['arch']}); fingerprint "
                    f"`{dev['fingerprint']}`" if dev else ", no CUDA device (see errors)"))
    lines.append(f"- quick: {r.get('quick')}, elapsed {r.get('elapsed_s')} s"
                 + (f", **CUDA context lost: {r['context_lost']}**" if r.get("context_lost") else ""))
    m = r.get("method", {})
    lines += ["", "## Method", "",
              f"Each number is the median over {m.get('repeats')} repeats of (CUDA-event time of N "
              f"back-to-back launches on the current stream) / N, after {m.get('warmup_launches')} "
              f"warmup launches (the first helionrt launch of a config JIT-compiles it; its wall time "
              f"is `first_call_ms` in results.json). N is chosen so a repeat lasts about "
              f"{m.get('target_ms_per_repeat')} ms (at most {m.get('max_launches_per_repeat')} launches). "
              "`loop` numbers include each contender's host launch cost when it exceeds the kernel time; "
              "`graph` numbers replay the same N launches from a CUDA graph, which removes it. "
              "Inputs stay resident between launches (L2 is not flushed), the same for every contender. "
              "GB/s counts ideal bytes (each input read once, each output written once); % copy compares "
              "with a device-to-device `copy_` measured the same way in the same run. "
              "Every output is checked against an f32 PyTorch reference of the same inputs "
              "(outputs poisoned with NaN before the checked launch). helionrt best = fastest correct "
              "config among the default and the sweep, ranked by graph time when measured. "
              "`x` columns are (other contender's time) / (helionrt best time): above 1 means helionrt "
              "is faster.", ""]
    cp = r.get("copy") or {}
    lines += ["## Copy bandwidth", "", "| buffer | loop GB/s | graph GB/s |", "|---|---|---|",
              f"| {(cp.get('buffer_bytes') or 0) >> 20} MiB | {_f(cp.get('loop_GBps'), 0)} | "
              f"{_f(cp.get('graph_GBps'), 0)} |", ""]

    for op in ROW_OPS:
        rows = [e for e in r.get("row_ops", []) if e.get("op") == op]
        if not rows:
            continue
        for kind in ("loop", "graph"):
            if kind == "graph" and not any(
                    (e.get("contenders", {}).get(c) or {}).get("graph_us") is not None
                    for e in rows for c in ("helionrt_default", "helionrt_best", "torch", "triton")):
                continue
            lines += [f"## {op} ({kind})", "",
                      "| dtype | rows | hidden | hrt default µs | hrt best µs | best config | torch µs | "
                      "triton µs | hrt best GB/s | % copy | torch GB/s | triton GB/s | torch x | triton x "
                      "| hrt max err | check |",
                      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for e in rows:
                if e.get("skipped"):
                    lines.append(f"| {e['dtype']} | {e['rows']} | {e['hidden']} | skipped: {e['skipped']} "
                                 "| | | | | | | | | | | | |")
                    continue
                c = e.get("contenders", {})
                d, b, t, tr = (c.get(k) or {} for k in ("helionrt_default", "helionrt_best", "torch", "triton"))
                us = lambda x: x.get(f"{kind}_us")  # noqa: E731
                lines.append(
                    f"| {e['dtype']} | {e['rows']} | {e['hidden']} | {_f(us(d))} | {_f(us(b))} | "
                    f"{fmt_config(b.get('config')) if b else '-'} | {_f(us(t))} | {_f(us(tr))} | "
                    f"{_f(b.get(f'{kind}_GBps'), 0)} | {_f(b.get(f'{kind}_pct_copy'), 0)} | "
                    f"{_f(t.get(f'{kind}_GBps'), 0)} | {_f(tr.get(f'{kind}_GBps'), 0)} | "
                    f"{_ratio(us(t), us(b))} | {_ratio(us(tr), us(b))} | {_hrt_err(e)} | {_check_cell(e)} |")
            lines.append("")

    gemms = r.get("gemm", [])
    if gemms:
        for kind in ("loop", "graph"):
            if kind == "graph" and not any(
                    (e.get("contenders", {}).get(c) or {}).get("graph_us") is not None
                    for e in gemms for c in ("helionrt_default", "helionrt_best", "torch")):
                continue
            lines += [f"## gemm bf16 ({kind})", "",
                      "| M | N | K | hrt default TFLOP/s | hrt best TFLOP/s | best config | cuBLAS TFLOP/s | "
                      "hrt best / cuBLAS | hrt best µs | cuBLAS µs | hrt best GB/s | % copy | hrt max err | check |",
                      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for e in gemms:
                if e.get("skipped"):
                    lines.append(f"| {e['M']} | {e['N']} | {e['K']} | skipped: {e['skipped']} "
                                 "| | | | | | | | | | |")
                    continue
                c = e.get("contenders", {})
                d, b, t = (c.get(k) or {} for k in ("helionrt_default", "helionrt_best", "torch"))
                tf = lambda x: x.get(f"{kind}_TFLOPs")  # noqa: E731
                lines.append(
                    f"| {e['M']} | {e['N']} | {e['K']} | {_f(tf(d))} | {_f(tf(b))} | "
                    f"{fmt_config(b.get('config')) if b else '-'} | {_f(tf(t))} | {_ratio(tf(b), tf(t))} | "
                    f"{_f(b.get(f'{kind}_us'))} | {_f(t.get(f'{kind}_us'))} | {_f(b.get(f'{kind}_GBps'), 0)} | "
                    f"{_f(b.get(f'{kind}_pct_copy'), 0)} | {_hrt_err(e)} | {_check_cell(e)} |")
            lines.append("")

    errs = r.get("errors", [])
    lines += ["## Errors", ""]
    if not errs:
        lines.append("none")
    for x in errs:
        lines.append(f"- {x.get('where')}: `{(x.get('error') or '').replace('`', chr(39))}`")
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# No-GPU modes
# ---------------------------------------------------------------------------

def dry_run(args):
    """Prints the plan; loads the library and introspects the kernels when
    --lib exists (CPU only); writes a plan-only results.json/results.md."""
    print(f"torch: {getattr(torch, '__version__', TORCH_IMPORT_ERROR)}; "
          f"triton: {getattr(triton, '__version__', TRITON_IMPORT_ERROR)}")
    bench = Bench(args)
    r = bench.results
    r["dry_run"] = True
    kernels = {}
    if args.lib and os.path.exists(args.lib):
        hrt = Hrt(args.lib, args.preload)
        r["helionrt"]["version"] = hrt.version
        r["helionrt"]["devices"] = hrt.devices()
        print(f"helionrt {hrt.version}; devices: "
              + ", ".join(f"{d['index']}={d['backend_name']}:{d['name']}" for d in r["helionrt"]["devices"]))
        for name in bench_kernel_names(args):
            kernels[name] = hrt.load_kernel(args.kernels, name)
            k = kernels[name]
            print(f"  {name}({', '.join(p['name'] for p in k.params)}) tunables "
                  + ", ".join(f"{t}={v['candidates']} (default {v['default']})" for t, v in k.tunables.items()))
    else:
        print(f"--lib {args.lib!r} not found: skipping introspection")
    n_meas = 0
    for op in ROW_OPS:
        if op not in args.ops or "row" not in args.sections:
            continue
        for dtype, m, n in row_shapes(args.quick, args.rows):
            sweep = row_sweep(kernels[op], n, args.quick) if op in kernels and not args.no_sweep else []
            n_meas += 3 + len(sweep)
            r["row_ops"].append({"op": op, "dtype": dtype, "rows": m, "hidden": n, "contenders": {},
                                 "sweep": [{"config": c} for c in sweep]})
            print(f"  {op:10s} {dtype} {m:6d} x {n}: torch, triton(BLOCK={next_pow2(n)}, "
                  f"warps={triton_warps(next_pow2(n))}), hrt default + {len(sweep)} sweep configs")
    if "gemm" in args.sections:
        for m, n, k in gemm_shapes(args.quick, args.gemm_m):
            sweep = gemm_sweep(kernels["gemm"], m, args.quick) if "gemm" in kernels and not args.no_sweep else []
            n_meas += 2 + len(sweep)
            r["gemm"].append({"op": "gemm", "dtype": "bf16", "M": m, "N": n, "K": k, "contenders": {},
                              "sweep": [{"config": c} for c in sweep]})
            print(f"  gemm bf16 {m}x{n}x{k}: cuBLAS, hrt default + "
                  + (", ".join(fmt_config(c) for c in sweep) or "no sweep"))
    print(f"{n_meas} measurements planned; budget {bench.budget:.0f} s")
    if args.out:
        bench.save()
        print(f"wrote plan to {args.out}/results.json and results.md")


def selftest_cpu(args):
    """Launches every kernel through the same ctypes path on helionrt's CPU
    reference device with host buffers and checks the results against plain
    Python: proves the struct layouts, argument order and config entries."""
    hrt = Hrt(args.lib, args.preload)
    devices = hrt.devices()
    cpu = next(d["index"] for d in devices if d["backend"] == HRT_BACKEND_CPU_REFERENCE)
    failures = []

    def check(name, got, want, tol=1e-4):
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want))
               if not abs(g - w) <= tol * (1 + abs(w))]
        status = "ok" if not bad and len(got) == len(want) else f"FAIL {bad[:3]}"
        print(f"  {name}: {status}")
        if status != "ok":
            failures.append(name)

    def vals(n, seed):
        return [math.sin(seed * 0.37 + i * 0.91) * 2.0 for i in range(n)]

    def launch(kernel, values, config):
        kernel.launcher(values, config, device_index=cpu, stream=None)()

    ks = {n: hrt.load_kernel(args.kernels, n) for n in list(ROW_OPS) + ["gemm", "vector_add"]}
    print(f"helionrt {hrt.version}, CPU reference device {cpu}")

    n = 1000
    x, y = HostTensor("f32", [n], vals(n, 1)), HostTensor("f32", [n], vals(n, 2))
    out = HostTensor("f32", [n])
    launch(ks["vector_add"], {"x": x, "y": y, "out": out}, {"BLOCK": 256, "WARPS": 2})
    check("vector_add f32 n=1000 BLOCK=256", [out.at(i) for i in range(n)],
          [x.at(i) + y.at(i) for i in range(n)])

    m, h = 3, 200
    xs = HostTensor("f32", [m, h], vals(m * h, 3))
    w = HostTensor("f32", [h], vals(h, 4))
    ys = HostTensor("f32", [m, h])
    # A large eps makes a mis-passed float scalar visible in the output.
    eps = 0.75
    launch(ks["rms_norm"], {"x": xs, "w": w, "y": ys, "eps": eps}, {"BLOCK_N": 64, "WARPS": 2})
    want = []
    for r_ in range(m):
        row = [xs.at(r_, j) for j in range(h)]
        rs = 1.0 / math.sqrt(sum(v * v for v in row) / h + eps)
        want += [row[j] * rs * w.at(j) for j in range(h)]
    check("rms_norm f32 3x200 eps=0.75 (float scalar)", [ys.at(i, j) for i in range(m) for j in range(h)], want)

    launch(ks["softmax"], {"x": xs, "y": ys}, {})
    want = []
    for r_ in range(m):
        row = [xs.at(r_, j) for j in range(h)]
        mx = max(row)
        e = [math.exp(v - mx) for v in row]
        want += [v / sum(e) for v in e]
    check("softmax f32 3x200 default config", [ys.at(i, j) for i in range(m) for j in range(h)], want)

    b = HostTensor("f32", [h], vals(h, 5))
    launch(ks["layer_norm"], {"x": xs, "w": w, "b": b, "y": ys, "eps": eps}, {"BLOCK_N": 128, "WARPS": 4})
    want = []
    for r_ in range(m):
        row = [xs.at(r_, j) for j in range(h)]
        mu = sum(row) / h
        var = sum((v - mu) ** 2 for v in row) / h
        want += [(row[j] - mu) / math.sqrt(var + eps) * w.at(j) + b.at(j) for j in range(h)]
    check("layer_norm f32 3x200", [ys.at(i, j) for i in range(m) for j in range(h)], want)

    g2 = HostTensor("f32", [m, h], vals(m * h, 6))
    launch(ks["silu_mul"], {"gate": xs, "up": g2, "out": ys}, {"BLOCK_H": 64, "WARPS": 1})
    want = [xs.at(i, j) / (1 + math.exp(-xs.at(i, j))) * g2.at(i, j) for i in range(m) for j in range(h)]
    check("silu_mul f32 3x200", [ys.at(i, j) for i in range(m) for j in range(h)], want)

    # GEMM with B given as a transposed view (strides [1, K]) and no bias.
    mm, nn, kk = 5, 7, 19
    a = HostTensor("f32", [mm, kk], vals(mm * kk, 7))
    wt = HostTensor("f32", [kk, nn], vals(nn * kk, 8), strides=[1, kk])
    bias = HostTensor("f32", [0])
    c = HostTensor("f32", [mm, nn])
    launch(ks["gemm"], {"a": a, "b": wt, "bias": bias, "c": c},
           {"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 16, "WARPS": 1, "STAGES": 1})
    want = [sum(a.at(i, q) * wt.at(q, j) for q in range(kk)) for i in range(mm) for j in range(nn)]
    check("gemm f32 5x7x19, B strided [1,K], empty bias", [c.at(i, j) for i in range(mm) for j in range(nn)],
          want)

    # Error path: a wrong argument count must come back as an HrtError.
    try:
        ks["softmax"].launcher({"x": xs, "y": ys, "eps": 1.0}, {}, device_index=cpu)()
        failures.append("unknown argument accepted")
    except ValueError:
        print("  unknown argument rejected before the call: ok")
    try:
        launch(ks["softmax"], {"x": xs, "y": ys}, {"BLOCK_N": 3})
        failures.append("bad config accepted")
    except HrtError as e:
        print(f"  bad config rejected by the library: ok ({str(e)[:80]}...)")
    hrt.close()
    if failures:
        print(f"selftest-cpu FAILED: {failures}")
        return 1
    print("selftest-cpu passed")
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/device/README.md.")
    p.add_argument("--lib", default="build-rel/libhelionrt.so", help="path of libhelionrt.so")
    p.add_argument("--kernels", default="kernels", help="folder holding <name>.tile")
    p.add_argument("--out", help="output folder for results.json and results.md")
    p.add_argument("--quick", action="store_true", help="reduced set for a smoke run (< 1 min)")
    p.add_argument("--dry-run", action="store_true", help="print the plan; no GPU, torch or triton needed")
    p.add_argument("--selftest-cpu", action="store_true",
                   help="check the ctypes bindings on helionrt's CPU reference device; no GPU needed")
    p.add_argument("--render-only", action="store_true", help="rewrite OUT/results.md from OUT/results.json")
    p.add_argument("--ops", default=",".join(ROW_OPS), help="row ops to run (comma list)")
    p.add_argument("--rows", default="", help="row counts to run (comma list; default: all)")
    p.add_argument("--gemm-m", default="", help="GEMM M values to run (comma list; default: all)")
    p.add_argument("--sections", default="row,gemm", help="sections to run: row, gemm (comma list)")
    p.add_argument("--no-sweep", action="store_true", help="helionrt default config only")
    p.add_argument("--no-graphs", action="store_true", help="skip the CUDA-graph replay timings")
    p.add_argument("--device-index", type=int, default=0, help="helionrt device index (must be CUDA)")
    p.add_argument("--budget-s", type=float, default=0.0,
                   help="time budget in seconds (default 320, quick 50); sweeps are cut to fit")
    p.add_argument("--preload", action="append", default=[],
                   help="shared library to load first with RTLD_GLOBAL (e.g. a carried libxxhash.so.0)")
    args = p.parse_args(argv)
    args.ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    args.gemm_m = [int(m) for m in args.gemm_m.split(",") if m.strip()]
    unknown = [o for o in args.ops if o not in ROW_OPS]
    if unknown:
        p.error(f"unknown ops {unknown}; choose from {list(ROW_OPS)}")
    if any(s not in ("row", "gemm") for s in args.sections):
        p.error("--sections takes row and/or gemm")
    if not (args.selftest_cpu or args.dry_run) and not args.out:
        p.error("--out is required")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.selftest_cpu:
        return selftest_cpu(args)
    if args.render_only:
        with open(os.path.join(args.out, "results.json"), encoding="utf-8") as f:
            r = json.load(f)
        with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
            f.write(render_md(r))
        return 0
    if args.dry_run:
        dry_run(args)
        return 0
    bench = Bench(args)
    try:
        bench.run()
    except KeyboardInterrupt:
        bench.results["errors"].append({"where": "run", "error": "interrupted"})
        bench.save()
        return 130
    return 0 if not bench.dead else 2


if __name__ == "__main__":
    sys.exit(main())
