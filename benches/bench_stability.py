"""Benchmark segwise.stability.bootstrap_stability against the same procedure written as a
Python loop over scikit-learn's KMeans, measured in the same run.

Like for like: Gaussian blobs (n=100,000, d=12, k=8, float64), n_boot=100 bootstrap
replicates (n draws with replacement, duplicates dropped), one k-means++ start per fit
(n_init=1, scikit-learn's greedy k-means++), tol=1e-4, max_iter=300, no warm start; the
original partition is a fresh fit on all of X in both. The reference resamples with
numpy, gathers ``X[rows]``, fits ``sklearn.cluster.KMeans(algorithm="lloyd")`` and
computes the maximal Jaccard per segment from a numpy contingency table. Two threads
everywhere (threadpoolctl for scikit-learn's OpenMP; rayon has the machine's two cores).

Run: ``python benches/bench_stability.py`` (``--quick``: n=10,000, n_boot=20;
``--threads 1``: one thread for both, less sensitive to load from other processes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

# The thread count must be fixed before segwise starts rayon's pool.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=2)
THREADS = _pre.parse_known_args()[0].threads
os.environ.setdefault("RAYON_NUM_THREADS", str(THREADS))


sys.path.insert(0, os.path.dirname(__file__))
from _common import best_time, machine, print_table  # noqa: E402
from segwise.stability import bootstrap_stability  # noqa: E402


def reference_jaccard(original: np.ndarray, new: np.ndarray, k: int) -> np.ndarray:
    """Largest Jaccard of each original segment (restricted) with a new one (numpy)."""
    k_new = int(new.max()) + 1
    table = np.bincount(original * k_new + new, minlength=k * k_new).reshape(k, k_new)
    size_a = table.sum(axis=1, keepdims=True)
    size_b = table.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = (table / (size_a + size_b - table)).max(axis=1)
    return np.where(size_a[:, 0] > 0, jac, np.nan)


def reference(X: np.ndarray, k: int, n_boot: int, seed: int) -> np.ndarray:
    """clusterboot as a Python loop over scikit-learn's KMeans."""
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    labels = SkKMeans(k, n_init=1, random_state=seed).fit(X).labels_
    out = np.empty((n_boot, k))
    for b in range(n_boot):
        # distinct rows of n draws with replacement (a bincount mask: 13x faster than
        # np.unique on 100,000 draws)
        rows = np.flatnonzero(np.bincount(rng.integers(0, n, n), minlength=n))
        km = SkKMeans(
            k,
            init="k-means++",
            n_init=1,
            tol=1e-4,
            max_iter=300,
            algorithm="lloyd",
            random_state=int(rng.integers(0, 2**31)),
        ).fit(X[rows])
        out[b] = reference_jaccard(labels[rows], km.labels_, k)
    return out


def phases(X: np.ndarray, k: int, repeat: int) -> list[dict[str, object]]:
    """Where a replicate's time goes: seeding vs iterations, on one bootstrap resample."""
    from segwise import _core
    from sklearn.cluster import kmeans_plusplus

    n = X.shape[0]
    rows = np.flatnonzero(np.bincount(np.random.default_rng(1).integers(0, n, n), minlength=n))
    sub = X[rows]
    reps = max(repeat, 5)
    t_pp_sk, (centres, _) = best_time(lambda: kmeans_plusplus(sub, k, random_state=0), reps)
    t_fit_sk, _ = best_time(
        lambda: SkKMeans(k, init=centres, n_init=1, algorithm="lloyd").fit(sub), reps
    )
    t_all_sk, _ = best_time(lambda: SkKMeans(k, n_init=1, random_state=0).fit(sub), reps)
    given = centres[None].copy()
    settings = dict(
        sample_weight=None,
        n_clusters=k,
        init="k-means++",
        n_init=1,
        max_iter=300,
        tol=1e-4,
        algorithm="auto",
        seed=0,
    )
    t_all_sw, _ = best_time(lambda: _core.kmeans_fit(sub, init_centers=None, **settings), reps)
    t_fit_sw, _ = best_time(lambda: _core.kmeans_fit(sub, init_centers=given, **settings), reps)
    out = []
    for name, sk, sw in (
        ("k-means++ seeding (fit minus given-start fit)", t_all_sk - t_fit_sk, t_all_sw - t_fit_sw),
        ("k-means from given start", t_fit_sk, t_fit_sw),
        ("whole fit (k-means++, n_init=1)", t_all_sk, t_all_sw),
        ("scikit-learn kmeans_plusplus alone", t_pp_sk, float("nan")),
    ):
        out.append(
            {"phase": name, "scikit-learn ms": 1e3 * sk, "segwise ms": 1e3 * sw, "ratio": sk / sw}
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both (default 2)")
    args = parser.parse_args()
    n, n_boot = (10_000, 20) if args.quick else (100_000, 100)
    d, k = 12, 8
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, random_state=0)
    print(machine())
    print(f"load average before: {os.getloadavg()}")
    # Alternate the two (best of --repeat each) so that load from other processes hits
    # both alike.
    t_ref = t_sw = float("inf")
    with threadpool_limits(THREADS):
        for _ in range(max(args.repeat, 1)):
            t, ref = best_time(lambda: reference(X, k, n_boot, 0), 1)
            t_ref = min(t_ref, t)
            t, res = best_time(
                lambda: bootstrap_stability(X, k, n_boot, random_state=0, progress=False), 1
            )
            t_sw = min(t_sw, t)
    print(f"load average after: {os.getloadavg()}")
    ref_mean = np.nanmean(ref, axis=0)
    rows = [
        {
            "implementation": "scikit-learn KMeans loop (reference)",
            "seconds": t_ref,
            "per replicate ms": 1e3 * t_ref / n_boot,
            "mean Jaccard (min over segments)": float(np.min(ref_mean)),
            "speed-up": 1.0,
        },
        {
            "implementation": "segwise bootstrap_stability",
            "seconds": t_sw,
            "per replicate ms": 1e3 * t_sw / n_boot,
            "mean Jaccard (min over segments)": float(res.table["mean_jaccard"].min()),
            "speed-up": t_ref / t_sw,
        },
    ]
    print_table(
        f"bootstrap stability, n={n:,}, d={d}, k={k}, n_boot={n_boot} "
        f"{THREADS} thread(s) (best of {args.repeat}, {time.strftime('%Y-%m-%d')})",
        rows,
    )
    with threadpool_limits(THREADS):
        print_table(
            f"one k-means fit on a bootstrap resample ({int(0.632 * n):,} rows in index "
            "order, both threads inside the fit): where the time goes",
            phases(X, k, args.repeat),
        )


if __name__ == "__main__":
    main()
