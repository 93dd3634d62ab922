"""Per-call overhead of the Rust calls, this build against another segwise build.

Two costs that the work itself does not explain: the one-row ``KMeans.predict`` latency
(fitted-state check, GIL release, the thread the work runs on) and the fixed cost of a
k-means fit of a bootstrap resample (6,320 x 12 blobs, k = 8, n_init = 1; the fits that
``bootstrap_stability`` runs by the hundred), from a given start and with k-means++.

Each measurement runs in a fresh process of either build, the two builds alternating
``--rounds`` times so that load from other processes hits both alike; the table shows the
best round of each.

Run: ``python benches/compare_overhead.py --against /path/to/other/venv/bin/python`` (this
build is the ``segwise`` importable here, e.g. with ``PYTHONPATH=python``; the other one
is imported by the given interpreter with ``PYTHONPATH`` unset).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# One measurement in the process of one build: prints a JSON dict of microseconds.
_PROBE = r"""
import json, os, time
import numpy as np
from segwise import _core
from segwise.cluster import KMeans
from sklearn.datasets import make_blobs

X, _ = make_blobs(n_samples=10_000, n_features=12, centers=8, random_state=0)
km = KMeans(8, n_init=1, random_state=0).fit(X)
row = np.ascontiguousarray(X[:1])
out = {}
for name, call in (("predict", km.predict), ("transform", km.transform)):
    call(row)
    per = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(5_000):
            call(row)
        per.append((time.perf_counter() - t0) / 5_000 * 1e6)
    out[name] = min(per)

rows = np.flatnonzero(np.bincount(np.random.default_rng(1).integers(0, 10_000, 10_000),
                                  minlength=10_000))
sub = X[rows]
start = sub[np.random.default_rng(2).choice(len(sub), 8, replace=False)][None].copy()
settings = dict(sample_weight=None, n_clusters=8, init="k-means++", n_init=1, max_iter=300,
                tol=1e-4, algorithm="auto", seed=0)
# older builds had one binding per dtype
fit = getattr(_core, "kmeans_fit", None) or _core.kmeans_fit_f64
for name, given in (("fit from given start", start), ("fit with k-means++", None)):
    fit(sub, init_centers=given, **settings)
    per = []
    for _ in range(30):
        t0 = time.perf_counter()
        fit(sub, init_centers=given, **settings)
        per.append((time.perf_counter() - t0) * 1e6)
    out[name] = min(per)
print(json.dumps(out))
"""


def probe(python: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [python, "-c", _PROBE], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the other build's python")
    parser.add_argument("--rounds", type=int, default=4, help="alternations (default 4)")
    args = parser.parse_args()
    this_env = dict(os.environ, RAYON_NUM_THREADS="2")
    other_env = {k: v for k, v in this_env.items() if k != "PYTHONPATH"}
    best: dict[str, dict[str, float]] = {"other": {}, "this": {}}
    print(f"load average before: {os.getloadavg()}")
    for _ in range(args.rounds):
        for build, python, env in (
            ("other", args.against, other_env),
            ("this", sys.executable, this_env),
        ):
            for key, value in probe(python, env).items():
                best[build][key] = min(best[build].get(key, float("inf")), value)
    print(f"load average after: {os.getloadavg()}")
    print(f"\n### per-call overhead, best of {args.rounds} rounds ({time.strftime('%Y-%m-%d')})\n")
    print("| what | other build us | this build us | this / other |")
    print("|---|---:|---:|---:|")
    for key, old in best["other"].items():
        new = best["this"][key]
        print(f"| {key} | {old:.2f} | {new:.2f} | {new / old:.2f} |")


if __name__ == "__main__":
    main()
