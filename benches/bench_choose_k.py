"""Benchmark segwise.stability.choose_k, measured against scikit-learn in the same run.

* choose_k over k = 2..10 with every criterion on n x 12 blobs (default n = 50,000):
  total time, and the time of each criterion run alone (each includes the k-means fits
  on all rows, which the "inertia" row measures by itself).
* For context, the gap statistic (k = 1..10, B reference sets, W_k = inertia / 2) and the
  prediction strength (k = 2..10, M splits) written as a plain Python loop over
  scikit-learn's ``KMeans(n_init=1)``, against segwise's ``gap_statistic`` and
  ``prediction_strength`` with the same B, M and one k-means++ restart per fit.

segwise uses both cores (rayon over k and replicates). The scikit-learn loop runs with one
OpenMP thread per fit (threadpoolctl): on this shared 2-core machine under load, a
scikit-learn KMeans fit of 5,000 x 12 took 30-50x longer with its default two OpenMP
threads than with one. The loop's replicates are independent, so a user could spread them
over the 2 cores with joblib; the "ideal 2-core" column halves the loop's time for that.

Usage: ``python benches/bench_choose_k.py [--quick]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_time, machine, parse_args, print_table  # noqa: E402


def make_data(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (k, d))
    labels = rng.integers(0, k, n)
    return np.ascontiguousarray(centres[labels] + rng.normal(size=(n, d)))


def sklearn_gap(X: np.ndarray, k_max: int, B: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)

    def log_w(Z: np.ndarray, k: int) -> float:
        if k == 1:
            return float(np.log(0.5 * ((Z - Z.mean(0)) ** 2).sum()))
        return float(np.log(0.5 * KMeans(k, n_init=1, random_state=seed).fit(Z).inertia_))

    centre = X.mean(0)
    xs = X - centre
    v = np.linalg.svd(xs, full_matrices=False)[2].T
    rot = xs @ v
    lo, hi = rot.min(0), rot.max(0)
    data = np.array([log_w(X, k) for k in range(1, k_max + 1)])
    ref = np.empty((B, k_max))
    for b in range(B):
        Z = rng.uniform(lo, hi, size=rot.shape) @ v.T + centre
        ref[b] = [log_w(Z, k) for k in range(1, k_max + 1)]
    return ref.mean(0) - data


def sklearn_prediction_strength(X: np.ndarray, ks: list[int], M: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    n = len(X)
    half = n // 2
    out = np.empty((M, len(ks)))
    for m in range(M):
        perm = rng.permutation(n)
        parts = [X[perm[:half]], X[perm[half:]]]
        for j, k in enumerate(ks):
            fits = [KMeans(k, n_init=1, random_state=seed).fit(p) for p in parts]
            worst = 1.0
            for i in range(2):
                own, other = fits[i].labels_, fits[1 - i].predict(parts[i])
                table = np.zeros((k, k))
                np.add.at(table, (own, other), 1)
                nk = table.sum(1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    s = np.where(nk > 1, ((table**2).sum(1) - nk) / (nk * (nk - 1)), 1.0)
                worst = min(worst, float(s.min()))
            out[m, j] = worst
    return out.mean(0)


def timed(fn):  # type: ignore[no-untyped-def]
    """Wall and process CPU seconds (all threads) of one call, and its result. CPU time is
    less sensitive than wall time to other processes competing for the two cores."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n, d, true_k = (5_000, 12, 6) if args.quick else (50_000, 12, 6)
    B = M = R = 5 if args.quick else 20
    repeat = 1 if not args.quick else args.repeat
    ks = list(range(2, 11))
    X = make_data(n, d, true_k)
    from segwise.stability import choose_k, gap_statistic, prediction_strength

    print(f"Machine: {machine()}")
    print("Wall times on a shared machine: other jobs can slow any row by 2-4x.")
    print(f"Data: {n} x {d} blobs ({true_k} centres); k = 2..10; B = M = n_boot = {B}")

    rows = []
    t_all, res = best_time(
        lambda: choose_k(X, ks, n_refs=B, n_splits=M, n_boot=R, random_state=0, progress=False),
        repeat,
    )
    rows.append({"step": "choose_k, every criterion", "segwise s": t_all})
    for crit in (
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "gap",
        "prediction_strength",
        "bootstrap_ari",
    ):
        t, _ = best_time(
            lambda crit=crit: choose_k(
                X,
                ks,
                criteria=[crit],
                n_refs=B,
                n_splits=M,
                n_boot=R,
                random_state=0,
                progress=False,
            ),
            repeat,
        )
        rows.append({"step": f"  {crit} alone (incl. base fits)", "segwise s": t})
    print_table("choose_k (segwise)", rows)
    print(f"\nrecommended k = {res.recommended_k}: {res.reason}")

    t_gap, c_gap, gap = timed(
        lambda: gap_statistic(X, 10, n_refs=B, random_state=0, progress=False)
    )
    t_ps, c_ps, ps = timed(
        lambda: prediction_strength(X, ks, n_splits=M, random_state=0, progress=False)
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        t_sk_gap, c_sk_gap, sk_gap = timed(lambda: sklearn_gap(X, 10, B, 0))
        t_sk_ps, c_sk_ps, sk_ps = timed(lambda: sklearn_prediction_strength(X, ks, M, 0))
    rows = [
        {
            "criterion": f"gap statistic (k=1..10, B={B})",
            "segwise s": t_gap,
            "sklearn loop s (1 thread)": t_sk_gap,
            "speed-up": t_sk_gap / t_gap,
            "speed-up vs ideal 2-core loop": t_sk_gap / 2 / t_gap,
            "CPU s segwise / sklearn": f"{c_gap:.3g} / {c_sk_gap:.3g}",
            "max |gap diff|": float(np.abs(gap.table["gap"].to_numpy() - sk_gap).max()),
        },
        {
            "criterion": f"prediction strength (k=2..10, M={M})",
            "segwise s": t_ps,
            "sklearn loop s (1 thread)": t_sk_ps,
            "speed-up": t_sk_ps / t_ps,
            "speed-up vs ideal 2-core loop": t_sk_ps / 2 / t_ps,
            "CPU s segwise / sklearn": f"{c_ps:.3g} / {c_sk_ps:.3g}",
            "max |ps diff|": float(np.abs(ps.table.loc[ks, "mean"].to_numpy() - sk_ps).max()),
        },
        {
            "criterion": "both",
            "segwise s": t_gap + t_ps,
            "sklearn loop s (1 thread)": t_sk_gap + t_sk_ps,
            "speed-up": (t_sk_gap + t_sk_ps) / (t_gap + t_ps),
            "speed-up vs ideal 2-core loop": (t_sk_gap + t_sk_ps) / 2 / (t_gap + t_ps),
            "CPU s segwise / sklearn": f"{c_gap + c_ps:.3g} / {c_sk_gap + c_sk_ps:.3g}",
        },
    ]
    for r in rows:
        r.setdefault("max |gap diff|", "")
        r.setdefault("max |ps diff|", "")
    print_table("gap + prediction strength: segwise vs a Python loop over scikit-learn", rows)
    print(
        "\n(differences are Monte Carlo: different random reference sets, splits and "
        "k-means++ draws)"
    )


if __name__ == "__main__":
    main()
