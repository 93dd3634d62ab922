"""Benchmark segwise.metrics.gower_distances against the `gower` package, in the same run.

A customer table of 5 numeric and 5 categorical columns (pandas 3 ``str`` dtype), a few
values missing. Prints the wall time of segwise (float64 and float32 output) and of
``gower.gower_matrix`` on the same rows, the ratio, segwise's nanoseconds per pair and the
largest absolute difference between the two matrices.

The ``gower`` package (0.1.2) is first called on the table as it is: on pandas 3 its
string columns make it fail (the row "gower on pandas 3 str columns" says how); it is then
timed on the same table with the string columns cast to ``object``, which it handles.
Missing values are excluded from the comparison of values (``gower`` does not skip them
the way daisy does), so the table compared has none; the timed tables are the same.

Targets of issue #11: <= 10 ns per pair on 2 cores, a 10,000-row matrix in <= 1 s.

Usage: ``python benches/bench_gower.py [--quick] [--repeat N]``
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, parse_args  # noqa: E402


def best_times(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (summed over threads) of ``repeat`` runs. On a
    busy machine the CPU time still says what an idle one would take: about CPU time /
    threads."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(max(repeat, 1)):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


def customers(n: int, seed: int = 0, missing: bool = True) -> pd.DataFrame:
    """5 numeric + 5 categorical columns (pandas ``str`` dtype), about 1 % missing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "recency": rng.integers(1, 13, n).astype(float),
            "history": rng.lognormal(5, 1, n),
            "orders": rng.poisson(4, n).astype(float),
            "age": rng.normal(45, 12, n),
            "tenure": rng.uniform(0, 10, n),
            "zip_code": rng.choice(["Urban", "Surburban", "Rural"], n),
            "channel": rng.choice(["Web", "Phone", "Multichannel"], n),
            "gender": rng.choice(["f", "m", "x"], n, p=[0.5, 0.45, 0.05]),
            "region": rng.choice([f"r{i}" for i in range(12)], n),
            "segment": rng.choice(["A", "B", "C", "D"], n),
        }
    )
    for col in ("zip_code", "channel", "gender", "region", "segment"):
        frame[col] = frame[col].astype("str")
    if missing:
        holes = rng.random((n, 2)) < 0.01
        frame.loc[holes[:, 0], "history"] = np.nan
        frame.loc[holes[:, 1], "region"] = None
    return frame


def _as_object(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: object for c in frame.columns if frame[c].dtype == "str"})


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    import gower
    from segwise.metrics import gower_distances

    n = 2_000 if args.quick else 10_000
    X = customers(n)
    gower_distances(X.iloc[:200])  # warm up the thread pool
    rows = []
    for dtype in ("float64", "float32"):
        t, cpu = best_times(partial(gower_distances, X, dtype=dtype), args.repeat)
        rows.append((f"segwise gower_distances {n:,} x 10, {dtype}", t, cpu))

    try:
        gower.gower_matrix(X.iloc[:50])
        crash = "runs"
    except Exception as exc:  # noqa: BLE001 - we report whatever it raises
        crash = f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
    start = time.perf_counter()
    theirs = gower.gower_matrix(_as_object(X))  # one run: about a minute at 10,000 rows
    t_theirs = time.perf_counter() - start
    del theirs

    # Values: on a table without missing values (gower does not skip them as daisy does).
    m = min(n, 2_000)
    clean = customers(m, seed=1, missing=False)
    diff = float(np.abs(gower_distances(clean) - gower.gower_matrix(_as_object(clean))).max())

    print(f"{machine()}\n")
    print(
        f"gower {gower.__version__ if hasattr(gower, '__version__') else '0.1.2'} on pandas "
        f"{pd.__version__} str columns: {crash}\n"
    )
    print("| task | time (s) | gower package (s) | speed-up | ns per pair | CPU ns per pair |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t, cpu in rows:
        print(
            f"| {name} | {t:.3f} | {t_theirs:.2f} | {t_theirs / t:.0f}x "
            f"| {t / (n * n) * 1e9:.2f} | {cpu / (n * n) * 1e9:.2f} |"
        )
    print(f"\nmax abs difference from gower.gower_matrix ({m:,} rows, float64): {diff:.1e}")
    print("target: <= 10 ns per pair, a 10,000-row matrix in <= 1 s (2 cores)")


if __name__ == "__main__":
    main()
