"""Benchmark segwise.metrics against scikit-learn, measured in the same run.

Prints one table: wall time of segwise and scikit-learn, the ratio, segwise's peak RSS
(its call runs in a child process so the peak is its own) and the largest absolute
difference between the two results.

* silhouette_score, exact, on n x 12 blobs with 8 clusters (default n = 50,000).
  scikit-learn's ``silhouette_score`` without ``sample_size`` is literally
  ``np.mean(silhouette_samples(...))``; we time ``silhouette_samples`` once so the
  per-sample values can be compared too, and report it as silhouette_score's time.
* calinski_harabasz_score and davies_bouldin_score on 1,000,000 x 12.
* DBSCAN (linfa-clustering) on 100,000 x 4, for reference (bench_dbscan.py has the
  large-eps case).

Both libraries use both cores (segwise's rayon pool; scikit-learn's BLAS threads).

Usage: ``python benches/bench_silhouette.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench_dir!r})
from bench_silhouette import make_data, peak_rss_kb
X, y = make_data({n}, {d}, {k})
base = peak_rss_kb()
import segwise.metrics as m
t = time.perf_counter()
s = m.silhouette_samples(X, y)
score = float(np.mean(s))
elapsed = time.perf_counter() - t
np.save({out!r}, s)
peak = peak_rss_kb()
print(json.dumps({{"time": elapsed, "score": score, "base_kb": base, "peak_kb": peak}}))
"""


def peak_rss_kb() -> int:
    """This process's peak resident set size (VmHWM), in KiB.

    Read from /proc rather than ``getrusage``: Linux carries ``ru_maxrss`` over from the
    parent across fork + exec, which would report the benchmark driver's size.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs (numpy only, so the child process stays small)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    y = rng.integers(0, k, size=n)
    X = centres[y] + rng.normal(scale=1.5, size=(n, d))
    return np.ascontiguousarray(X), y.astype(np.int64)


def _silhouette(n: int, d: int, k: int) -> dict[str, object]:
    import os
    import tempfile

    from sklearn.metrics import silhouette_samples

    bench_dir = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.npy")
        code = CHILD.format(bench_dir=bench_dir, n=n, d=d, k=k, out=out)
        # segwise runs in a child process so that the peak RSS is its own.
        res = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        child = json.loads(res.stdout.strip().splitlines()[-1])
        ours_samples = np.load(out)
    X, y = make_data(n, d, k)
    t = time.perf_counter()
    theirs_samples = silhouette_samples(X, y)
    theirs_score = float(np.mean(theirs_samples))
    t_sk = time.perf_counter() - t
    return {
        "metric": f"silhouette_score exact {n:,} x {d}, k={k}",
        "ours": child["time"],
        "sklearn": t_sk,
        "rss": f"{child['peak_kb'] / 1024:.0f} MB (before call {child['base_kb'] / 1024:.0f})",
        "diff": max(
            abs(child["score"] - theirs_score),
            float(np.abs(ours_samples - theirs_samples).max()),
        ),
    }


def _centroid_indices(n: int, d: int, k: int) -> list[dict[str, object]]:
    import segwise.metrics as m
    from sklearn import metrics as skm

    X, y = make_data(n, d, k, seed=1)
    rows = []
    for name in ("calinski_harabasz_score", "davies_bouldin_score"):
        ours_fn, theirs_fn = getattr(m, name), getattr(skm, name)
        ours_fn(X[:1000], y[:1000])  # warm up the thread pool
        t = time.perf_counter()
        ours = ours_fn(X, y)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        theirs = theirs_fn(X, y)
        t_sk = time.perf_counter() - t
        rows.append(
            {
                "metric": f"{name} {n:,} x {d}, k={k}",
                "ours": t_ours,
                "sklearn": t_sk,
                "rss": "-",
                "diff": abs(ours - theirs),
            }
        )
    return rows


def _dbscan(n: int) -> dict[str, object]:
    from segwise.cluster import DBSCAN
    from sklearn.cluster import DBSCAN as SkDBSCAN
    from sklearn.metrics import adjusted_rand_score

    X, _ = make_data(n, 4, 8, seed=2)
    t = time.perf_counter()
    ours = DBSCAN(eps=0.4, min_samples=10).fit(X).labels_
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = SkDBSCAN(eps=0.4, min_samples=10).fit(X).labels_
    t_sk = time.perf_counter() - t
    return {
        "metric": f"DBSCAN(eps=0.4, min_samples=10) {n:,} x 4 (diff = 1 - ARI)",
        "ours": t_ours,
        "sklearn": t_sk,
        "rss": "-",
        "diff": 1.0 - adjusted_rand_score(ours, theirs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = parser.parse_args()
    n_sil, n_idx = (5_000, 100_000) if args.quick else (50_000, 1_000_000)

    import segwise

    rows = [
        _silhouette(n_sil, 12, 8),
        *_centroid_indices(n_idx, 12, 8),
        _dbscan(n_idx // 10),
    ]
    print(f"segwise {segwise.__version__}, {segwise.current_num_threads()} rayon threads\n")
    print(
        "| metric | segwise (s) | scikit-learn (s) | speed-up | segwise peak RSS | max abs diff |"
    )
    print("|---|---:|---:|---:|---|---:|")
    for r in rows:
        ratio = r["sklearn"] / r["ours"]  # type: ignore[operator]
        print(
            f"| {r['metric']} | {r['ours']:.3f} | {r['sklearn']:.3f} | {ratio:.1f}x "
            f"| {r['rss']} | {r['diff']:.2e} |"
        )


if __name__ == "__main__":
    main()
