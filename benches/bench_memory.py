"""Peak extra memory of ``KMeans.fit`` against scikit-learn's, on the same data.

Each case runs in its own fresh process: build the input (float64 or float32 array, or a
pandas DataFrame), note the resident set size, reset the kernel's high-water mark
(``/proc/self/clear_refs``), fit, and read the high-water mark again. The difference is
the fit's peak extra memory (Rust, numpy and Python allocations alike), printed as a
multiple of the input's size. Linux only.

Run: ``python benches/bench_memory.py`` (5,000,000 x 12, k=8, as in issue 12) or
``--quick`` (500,000 x 12).
"""

from __future__ import annotations

import json
import subprocess
import sys

from _common import machine, parse_args, print_table

CHILD = r"""
import json, sys, warnings
import numpy as np

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)

lib, kind, n, n_init, max_iter = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
d, k = 12, 8
rng = np.random.default_rng(0)
centres = rng.normal(scale=8.0, size=(k, d))
X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
if kind == "float32":
    X = X.astype(np.float32)
nbytes = X.nbytes
if kind == "DataFrame":
    import pandas as pd
    X = pd.DataFrame(X, columns=[f"f{j}" for j in range(d)])
if lib == "segwise":
    from segwise.cluster import KMeans
else:
    from sklearn.cluster import KMeans
model = KMeans(k, n_init=n_init, max_iter=max_iter, random_state=0)
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM to the current RSS
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X)
print(json.dumps({"extra": status("VmHWM") - before, "input": nbytes}))
"""


def measure(lib: str, kind: str, n: int, n_init: int, max_iter: int) -> dict:
    args = [sys.executable, "-c", CHILD, lib, kind, str(n), str(n_init), str(max_iter)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 500_000 if args.quick else 5_000_000
    print(machine())
    rows = []
    for kind, n_init in (("float64", 1), ("float64", 10), ("DataFrame", 10), ("float32", 10)):
        cells: dict = {"input": f"{kind}, n_init={n_init}"}
        for lib in ("segwise", "scikit-learn"):
            r = measure(lib, kind, n, n_init, max_iter=20)
            cells["input MiB"] = round(r["input"] / 2**20, 1)
            cells[f"{lib} extra MiB"] = round(r["extra"] / 2**20, 1)
            cells[f"{lib} x input"] = round(r["extra"] / r["input"], 2)
        rows.append(cells)
    print_table(f"Peak extra memory of KMeans(8).fit, {n:,} x 12", rows)


if __name__ == "__main__":
    main()
