#!/usr/bin/env python3
"""One line per profiled kernel from Nsight Compute's CSV (--csv --page details).

    python3 bench/device/ncu_summary.py OUT/ncu/layer_norm.csv [...]

Prints duration, DRAM throughput, registers, occupancy and issue statistics,
the figures the row-kernel comparisons in bench/results quote. The CSV comes
from running bench/device/row_profile.py under ncu (its docstring has the
command).
"""

import csv
import sys

WANT = [
    ("Duration", "ns"), ("DRAM Throughput", "%"), ("Registers Per Thread", "regs"),
    ("Theoretical Occupancy", "% theor. occ."), ("Achieved Occupancy", "% achieved occ."),
    ("Warp Cycles Per Issued Instruction", "cycles/issue"),
    ("Compute (SM) Throughput", "% SM"),
]


def summarize(path):
    rows = [r for r in csv.reader(open(path, newline="")) if len(r) > 5]
    if not rows:
        return [f"{path}: no kernels profiled"]
    hdr, rows = rows[0], rows[1:]
    col = {name: hdr.index(name) for name in
           ("ID", "Kernel Name", "Block Size", "Metric Name", "Metric Value")}
    order, metrics = [], {}
    for r in rows:
        key = (r[col["ID"]], r[col["Kernel Name"]], r[col["Block Size"]])
        if key not in metrics:
            order.append(key)
            metrics[key] = {}
        metrics[key][r[col["Metric Name"]]] = r[col["Metric Value"]]
    out = []
    for key in order:
        m = metrics[key]
        parts = [f"{m[name]} {unit}" for name, unit in WANT if name in m]
        out.append(f"#{key[0]} {key[1]} block {key[2]}: " + ", ".join(parts))
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip())
        return 2
    for path in sys.argv[1:]:
        print(f"== {path}")
        for line in summarize(path):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
