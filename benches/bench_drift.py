"""Benchmark segwise.stability's drift tools against numpy / pandas / scipy, same run.

* ``psi`` on numeric features (N x d reference and current, decile bins) vs the same
  binning written with numpy (``np.quantile`` + ``np.unique`` + ``np.searchsorted`` +
  ``np.bincount`` per column). Default 1,000,000 x 20; ``--quick`` 100,000 x 5.
* ``migration_matrix`` on two Series indexed by customer id (New/Churned states) vs
  pandas (``reindex`` on the union of ids + ``pd.crosstab``). Default 1,000,000 customers,
  8 segments.
* the assignment solver vs ``scipy.optimize.linear_sum_assignment`` on a random
  n x n matrix (default 1,000; the alignment itself only ever uses k x k, k ~ 10).

Every row checks that both sides give the same answer (max abs difference).

Usage: ``python benches/bench_drift.py [--quick] [--repeat N]``
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import best_time, machine, parse_args, print_table
from segwise import _core
from segwise.stability import migration_matrix, psi


def numpy_psi(ref: np.ndarray, cur: np.ndarray, bins: int, eps: float) -> np.ndarray:
    out = np.empty(ref.shape[1])
    q = np.arange(1, bins) / bins
    for j in range(ref.shape[1]):
        r, c = ref[:, j], cur[:, j]
        edges = np.unique(np.quantile(r, q))
        edges = edges[edges < r.max()]
        rc = np.bincount(np.searchsorted(edges, r, side="left"), minlength=edges.size + 1)
        cc = np.bincount(np.searchsorted(edges, c, side="left"), minlength=edges.size + 1)
        e, a = rc / r.size, cc / c.size
        e, a = np.where(e == 0, eps, e), np.where(a == 0, eps, a)
        out[j] = np.sum((a - e) * np.log(a / e))
    return out


def pandas_migration(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    ids = before.index.union(after.index)
    b = before.reindex(ids).astype(object).fillna("New")
    a = after.reindex(ids).astype(object).fillna("Churned")
    return pd.crosstab(b, a)


def main() -> None:
    args = parse_args(__doc__ or "")
    n, d = (100_000, 5) if args.quick else (1_000_000, 20)
    n_cust = 100_000 if args.quick else 1_000_000
    n_lsa = 200 if args.quick else 1_000
    rng = np.random.default_rng(0)
    rows = []

    ref = np.ascontiguousarray(rng.lognormal(0.0, 1.0, size=(n, d)))
    cur = np.ascontiguousarray(rng.lognormal(0.1, 1.0, size=(n, d)))
    t_sw, res = best_time(lambda: psi(ref, cur, progress=False), args.repeat)
    t_np, want = best_time(lambda: numpy_psi(ref, cur, 10, 1e-4), args.repeat)
    rows.append(
        {
            "task": f"psi, {n:,} x {d} features",
            "segwise s": t_sw,
            "reference": "numpy",
            "reference s": t_np,
            "speed-up": t_np / t_sw,
            "max abs diff": float(np.max(np.abs(res.table["psi"].to_numpy() - want))),
        }
    )

    ids = np.arange(n_cust)
    before = pd.Series(rng.integers(0, 8, n_cust), index=ids)
    keep = rng.random(n_cust) < 0.9
    after_ids = np.concatenate([ids[keep], n_cust + np.arange(n_cust // 10)])
    after = pd.Series(rng.integers(0, 8, after_ids.size), index=after_ids)
    t_sw, mig = best_time(lambda: migration_matrix(before, after), args.repeat)
    t_pd, tab = best_time(lambda: pandas_migration(before, after), args.repeat)
    tab = tab.reindex(index=mig.counts.index, columns=mig.counts.columns, fill_value=0)
    rows.append(
        {
            "task": f"migration_matrix, {n_cust:,} customers (Series, New/Churned)",
            "segwise s": t_sw,
            "reference": "pandas crosstab",
            "reference s": t_pd,
            "speed-up": t_pd / t_sw,
            "max abs diff": float(np.max(np.abs(mig.counts.to_numpy() - tab.to_numpy()))),
        }
    )

    from scipy.optimize import linear_sum_assignment

    cost = rng.random((n_lsa, n_lsa))
    t_sw, (_, col) = best_time(
        lambda: _core._testing.linear_sum_assignment(cost, False), args.repeat
    )
    t_sp, (_, col_ref) = best_time(lambda: linear_sum_assignment(cost), args.repeat)
    rows.append(
        {
            "task": f"linear_sum_assignment, {n_lsa} x {n_lsa}",
            "segwise s": t_sw,
            "reference": "scipy",
            "reference s": t_sp,
            "speed-up": t_sp / t_sw,
            "max abs diff": float(np.max(np.abs(col - col_ref))),
        }
    )

    print(f"Machine: {machine()}")
    print_table(f"Drift tools (best of {args.repeat})", rows)


if __name__ == "__main__":
    main()
