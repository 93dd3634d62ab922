"""Benchmark segwise on sparse basket / one-hot input against scikit-learn, same run.

A realistic basket matrix (``rows x 2,000`` products, density 0.5 %, small integer counts)
as scipy CSR. Per task: the best-of-``--repeat`` wall time of segwise and scikit-learn on
the same matrix, their ratio (scikit-learn / segwise) and the largest relative difference
of the results. Neither densifies the matrix.

* ``MaxAbsScaler`` and ``StandardScaler(with_mean=False)``: fit + transform.
* ``silhouette_score`` (exact, O(n^2)) on the first ``--silhouette-rows`` rows.
* ``KMeans`` fit (Lloyd, ``--clusters`` centres, the same initial rows for both, one run)
  and predict on the whole matrix; the difference column is that of the centres.
* ``MiniBatchKMeans`` fit (same initial rows, batch 1,024, 3 passes, no early stop) and
  predict. The two libraries draw different batches (their own random streams), so the
  difference column is the relative difference of the final inertia, not of the centres.

    python benches/bench_sparse.py            # 200,000 x 2,000; silhouette on 20,000 rows
    python benches/bench_sparse.py --quick    # 20,000 x 2,000; silhouette on 3,000 rows
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp
import segwise.cluster as swc
import segwise.metrics as swm
import segwise.preprocessing as swp
import sklearn.cluster as skc
import sklearn.metrics as skm
import sklearn.preprocessing as skp
from _common import best_time, machine, print_table


def basket(n: int, d: int, density: float, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=rng)
    X.data = np.ceil(X.data * 3.0)  # 1, 2 or 3 of a product
    return X


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--cols", type=int, default=2_000)
    parser.add_argument("--density", type=float, default=0.005)
    parser.add_argument("--silhouette-rows", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clusters", type=int, default=8)
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 200_000)
    n_sil = args.silhouette_rows or (3_000 if args.quick else 20_000)
    X = basket(n, args.cols, args.density)
    print(f"{machine()}\nbasket: {n:,} x {args.cols:,}, nnz {X.nnz:,} (CSR)")

    rows = []
    for name, ours, theirs in (
        ("MaxAbsScaler", swp.MaxAbsScaler, skp.MaxAbsScaler),
        (
            "StandardScaler(with_mean=False)",
            lambda: swp.StandardScaler(with_mean=False),
            lambda: skp.StandardScaler(with_mean=False),
        ),
    ):
        t_ours, out = best_time(lambda f=ours: f().fit_transform(X), args.repeat)
        t_ref, ref = best_time(lambda f=theirs: f().fit_transform(X), args.repeat)
        rows.append(
            {
                "task": f"{name} fit + transform",
                "size": f"{n:,} x {args.cols:,}",
                "segwise s": t_ours,
                "scikit-learn s": t_ref,
                "speed-up": t_ref / t_ours,
                "max rel diff": _max_rel(out.data, ref.data),
            }
        )

    S = X[:n_sil]
    labels = np.random.default_rng(1).integers(0, 8, n_sil)
    t_ours, s_ours = best_time(lambda: swm.silhouette_score(S, labels), 1)
    t_ref, s_ref = best_time(lambda: skm.silhouette_score(S, labels), 1)
    rows.append(
        {
            "task": "silhouette_score (exact)",
            "size": f"{n_sil:,} x {args.cols:,}",
            "segwise s": t_ours,
            "scikit-learn s": t_ref,
            "speed-up": t_ref / t_ours,
            "max rel diff": abs(s_ours - s_ref) / abs(s_ref),
        }
    )
    rows.extend(kmeans_rows(X, args.clusters, args.repeat))
    print_table("Sparse (CSR) input against scikit-learn", rows)


def kmeans_rows(X: sp.csr_matrix, k: int, repeat: int) -> list[dict[str, object]]:
    """KMeans fit and predict, both libraries from the same initial centres."""
    n, d = X.shape
    init = X[np.random.default_rng(2).choice(n, k, replace=False)].toarray()
    kw = {"n_clusters": k, "init": init, "n_init": 1, "max_iter": 50}
    t_ours, ours = best_time(lambda: swc.KMeans(**kw).fit(X), repeat)
    t_ref, ref = best_time(lambda: skc.KMeans(algorithm="lloyd", **kw).fit(X), repeat)
    size = f"{n:,} x {d:,}, k={k}"
    rows: list[dict[str, object]] = [
        {
            "task": f"KMeans fit (Lloyd, {ours.n_iter_}/{ref.n_iter_} iterations)",
            "size": size,
            "segwise s": t_ours,
            "scikit-learn s": t_ref,
            "speed-up": t_ref / t_ours,
            "max rel diff": _max_rel(ours.cluster_centers_, ref.cluster_centers_),
        }
    ]
    rows.append(predict_row("KMeans predict", ours, ref, X, size, repeat))
    mb = {
        "n_clusters": k,
        "init": init,
        "n_init": 1,
        "batch_size": 1024,
        "max_iter": 3,
        "max_no_improvement": None,
        "tol": 0.0,
        "random_state": 0,
    }
    t_ours, ours = best_time(lambda: swc.MiniBatchKMeans(**mb).fit(X), repeat)
    t_ref, ref = best_time(lambda: skc.MiniBatchKMeans(**mb).fit(X), repeat)
    rows.append(
        {
            "task": f"MiniBatchKMeans fit ({ours.n_steps_}/{ref.n_steps_} batches)",
            "size": size,
            "segwise s": t_ours,
            "scikit-learn s": t_ref,
            "speed-up": t_ref / t_ours,
            "max rel diff": abs(ours.inertia_ - ref.inertia_) / ref.inertia_,
        }
    )
    rows.append(predict_row("MiniBatchKMeans predict", ours, ref, X, size, repeat))
    return rows


def predict_row(task: str, ours: object, ref: object, X: sp.csr_matrix, size: str, repeat: int):
    """Timing of ``predict`` on ``X``; the difference column is the share of labels that
    differ between the libraries' predictions with their own centres."""
    t_ours, labels = best_time(lambda: ours.predict(X), repeat)  # type: ignore[attr-defined]
    t_ref, labels_ref = best_time(lambda: ref.predict(X), repeat)  # type: ignore[attr-defined]
    return {
        "task": task,
        "size": size,
        "segwise s": t_ours,
        "scikit-learn s": t_ref,
        "speed-up": t_ref / t_ours,
        "max rel diff": float(np.mean(labels != labels_ref)),
    }


if __name__ == "__main__":
    main()
