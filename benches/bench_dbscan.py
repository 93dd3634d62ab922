"""Benchmark segwise's DBSCAN (linfa-clustering on the patched linfa-nn KD-tree) against
scikit-learn, measured alternately in the same run on the same data.

Gaussian blobs, n x 4, 8 centres in [-10, 10]^4 with standard deviation 1.5, at the default
``eps=0.5`` and at ``eps=3`` (thousands of neighbours per point: the case that was 12x
slower than scikit-learn before the KD-tree's range query was patched, see
src/vendor/README.md). Labels and core samples must be identical to scikit-learn's; the
table says so.

Usage: ``python benches/bench_dbscan.py [--quick] [--repeat N]``
"""

from __future__ import annotations

import time

import numpy as np
from _common import machine, parse_args, print_table


def make_data(n: int, d: int = 4, k: int = 8, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    X = centres[rng.integers(0, k, size=n)] + rng.normal(scale=1.5, size=(n, d))
    return np.ascontiguousarray(X)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    from segwise.cluster import DBSCAN
    from sklearn.cluster import DBSCAN as SkDBSCAN

    n = 5_000 if args.quick else 20_000
    X = make_data(n)
    DBSCAN().fit(X[:500])  # warm up the thread pool
    rows = []
    for eps in (0.5, 3.0):
        ours_t, theirs_t = float("inf"), float("inf")
        for _ in range(max(args.repeat, 1)):  # alternate, best of each
            t = time.perf_counter()
            ours = DBSCAN(eps=eps, min_samples=5).fit(X)
            ours_t = min(ours_t, time.perf_counter() - t)
            t = time.perf_counter()
            theirs = SkDBSCAN(eps=eps, min_samples=5).fit(X)
            theirs_t = min(theirs_t, time.perf_counter() - t)
        same = np.array_equal(ours.labels_, theirs.labels_) and np.array_equal(
            ours.core_sample_indices_, theirs.core_sample_indices_
        )
        rows.append(
            {
                "case": f"DBSCAN(eps={eps}, min_samples=5) {n:,} x 4",
                "clusters": int(ours.labels_.max()) + 1,
                "segwise (s)": ours_t,
                "scikit-learn (s)": theirs_t,
                "speed-up": f"{theirs_t / ours_t:.2f}x",
                "identical labels": "yes" if same else "NO",
            }
        )
    print(machine())
    print_table("DBSCAN vs scikit-learn", rows)


if __name__ == "__main__":
    main()
