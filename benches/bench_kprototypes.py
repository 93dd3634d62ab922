"""Benchmark segwise.cluster.KPrototypes against kmodes' KPrototypes (0.12), measured in the
same run on the same data.

Like for like: n = 50,000 customers x (5 numeric + 5 categorical columns of 3..7 levels), k = 8,
the SAME initial prototypes passed to both (n_init=1), kmodes with n_jobs=1 (its restarts are
its only parallelism, and there is one). ``algorithm="huang"`` must give kmodes' labels and
cost; the default ``algorithm="lloyd"`` (batch updates, parallel over rows) starts from the
same prototypes and converges to its own fixed point: its cost and its agreement (ARI) with
kmodes' labels are printed. kmodes is timed once at full size (about a minute per fit);
segwise is the best of ``--repeat`` runs.

Run: ``python benches/bench_kprototypes.py`` (``--quick`` for n = 5,000).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_time, machine, parse_args, print_table  # noqa: E402


def make_table(n: int, p: int, q: int, k: int, seed: int = 0) -> pd.DataFrame:
    """``p`` numeric columns around ``k`` groups and ``q`` string columns ("L0", "L1", ...:
    sorted, so kmodes' codes are the level order)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, k, n)
    data = {}
    shift = rng.normal(size=p) * 1.5
    for j in range(p):
        data[f"n{j}"] = rng.normal(size=n) + group * shift[j]
    for j in range(q):
        levels = 3 + j % 5
        codes = np.where(rng.random(n) < 0.6, (group + j) % levels, rng.integers(0, levels, n))
        data[f"c{j}"] = np.array([f"L{c}" for c in range(levels)])[codes]
    return pd.DataFrame(data)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    from kmodes.kprototypes import KPrototypes as RefKPrototypes
    from segwise.cluster import KPrototypes
    from sklearn.metrics import adjusted_rand_score

    n = 5_000 if args.quick else 50_000
    p, q, k = 5, 5, 8
    X = make_table(n, p, q, k)
    rows = np.random.default_rng(1).choice(n, k, replace=False)
    cat_pos = list(range(p, p + q))
    arr = X.to_numpy(dtype=object)
    codes = np.column_stack([np.unique(arr[:, j], return_inverse=True)[1] for j in cat_pos])
    init_num = arr[rows][:, :p].astype(float)
    init_cat = codes[rows].astype(np.uint16)

    print(f"# KPrototypes, n = {n:,}, {p} numeric + {q} categorical columns, k = {k}")
    print(f"# {machine()}")

    def run_kmodes():
        # fresh copies: kmodes writes into the arrays passed as init
        init = [init_num.copy(), init_cat.copy()]
        return RefKPrototypes(n_clusters=k, init=init, n_init=1, max_iter=100, n_jobs=1).fit(
            arr, categorical=cat_pos
        )

    start = time.perf_counter()
    ref = run_kmodes()
    t_ref = time.perf_counter() - start
    out = [
        {
            "implementation": "kmodes 0.12 KPrototypes (reference)",
            "seconds": t_ref,
            "speedup": 1.0,
            "n_iter": int(ref.n_iter_),
            "cost": float(ref.cost_),
            "same labels": "-",
            "ARI vs kmodes": 1.0,
        }
    ]
    init = X.iloc[rows]
    for name, kw in (
        ('segwise algorithm="huang"', {"algorithm": "huang"}),
        ('segwise algorithm="lloyd" (default)', {"algorithm": "lloyd"}),
    ):
        t, model = best_time(lambda kw=kw: KPrototypes(k, init=init, **kw).fit(X), args.repeat)
        out.append(
            {
                "implementation": name,
                "seconds": t,
                "speedup": t_ref / t,
                "n_iter": int(model.n_iter_),
                "cost": float(model.cost_),
                "same labels": bool(np.array_equal(model.labels_, ref.labels_)),
                "ARI vs kmodes": float(adjusted_rand_score(ref.labels_, model.labels_)),
            }
        )
    t, model = best_time(lambda: KPrototypes(k, random_state=0).fit(X), args.repeat)
    out.append(
        {
            "implementation": 'segwise defaults (lloyd, "k-prototypes++", n_init=10)',
            "seconds": t,
            "speedup": t_ref / t,
            "n_iter": int(model.n_iter_),
            "cost": float(model.cost_),
            "same labels": "-",
            "ARI vs kmodes": float(adjusted_rand_score(ref.labels_, model.labels_)),
        }
    )
    print_table("k-prototypes from the same initial prototypes (n_init=1)", out)
    huang = out[1]
    rel = abs(huang["cost"] - out[0]["cost"]) / out[0]["cost"]
    print(f"\nhuang vs kmodes: same labels = {huang['same labels']}, cost rel. diff = {rel:.2e}")


if __name__ == "__main__":
    main()
