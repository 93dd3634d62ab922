"""Benchmark segwise.cluster.KMeans against scikit-learn (and faiss / scikit-learn-intelex
when installed), measured in the same run.

Like for like: Gaussian blobs (n=1,000,000, d=12, k=8, float64), the SAME initial centres
passed as an array to every library (n_init=1), two threads everywhere (threadpoolctl for
scikit-learn's OpenMP/BLAS; this machine has two cores for rayon). Times are the best of
``--repeat`` runs. The reference is scikit-learn's ``KMeans(algorithm="lloyd")``; inertia
agreement is reported relative to it.

Run: ``python benches/bench_kmeans.py`` (``--quick`` for n=100,000).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from segwise.cluster import KMeans, MiniBatchKMeans
from sklearn.cluster import KMeans as SkKMeans
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits


def best_time(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def inertia_of(X, centers):
    """Exact inertia of X against centres (float64), for libraries that do not report it."""
    from segwise import _core

    _, inertia = _core.kmeans_labels_inertia(X, np.ascontiguousarray(centers, np.float64))
    return inertia


def long_run(X, init, k, repeat, max_iter=30):
    """A long run: ``max_iter`` iterations from the same start with ``tol=0`` (every
    iteration runs), segwise and scikit-learn timed alternately (so both see the same
    machine load), best of ``repeat`` each; the centres must agree within 1e-9."""
    times = {"segwise": np.inf, "scikit-learn": np.inf}
    fits = {}
    make = {
        "segwise": lambda: KMeans(k, init=init, n_init=1, max_iter=max_iter, tol=0),
        "scikit-learn": lambda: SkKMeans(k, init=init, n_init=1, max_iter=max_iter, tol=0),
    }
    with threadpool_limits(2), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached on purpose
        for _ in range(repeat):
            for name, new in make.items():
                model = new()
                t0 = time.perf_counter()
                model.fit(X)
                times[name] = min(times[name], time.perf_counter() - t0)
                fits[name] = model
    ours, ref = fits["segwise"], fits["scikit-learn"]
    centre_diff = float(np.max(np.abs(ours.cluster_centers_ - ref.cluster_centers_)))
    rel_inertia = abs(ours.inertia_ - ref.inertia_) / ref.inertia_
    same_labels = bool(np.array_equal(ours.labels_, ref.labels_))
    n, d = X.shape
    print(
        f"\nLong run: blobs n={n:,} d={d} k={k}, same initial centres, tol=0, "
        f"max_iter={max_iter}, 2 threads, alternating, best of {repeat}"
    )
    print(f"{'method':<14} {'time s':>8} {'ms/iter':>8} {'n_iter':>6} {'speedup':>8}")
    for name in ("scikit-learn", "segwise"):
        t, it = times[name], fits[name].n_iter_
        ratio = times["scikit-learn"] / t
        print(f"{name:<14} {t:8.3f} {1e3 * t / it:8.2f} {it:6d} {ratio:7.2f}x")
    print(
        f"max |centre difference| {centre_diff:.1e}, inertia rel. diff {rel_inertia:.1e}, "
        f"labels equal: {same_labels}"
    )
    if centre_diff > 1e-9 or not same_labels:
        raise SystemExit("segwise and scikit-learn disagree on the long run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n=100,000 instead of 1,000,000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--long-only", action="store_true", help="only the 30-iteration run (issue 12)"
    )
    args = parser.parse_args()

    n = 100_000 if args.quick else 1_000_000
    d, k = 12, 8
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, random_state=0)
    init = X[np.random.default_rng(0).choice(n, k, replace=False)].copy()
    long_run(X, init, k, max(args.repeat, 5))
    if args.long_only:
        return
    rows = []  # (name, seconds, n_iter, inertia)

    with threadpool_limits(2):
        t, ref = best_time(
            lambda: SkKMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X), args.repeat
        )
        rows.append(("scikit-learn lloyd (reference)", t, ref.n_iter_, ref.inertia_))
        t, sk_elkan = best_time(
            lambda: SkKMeans(k, init=init, n_init=1, algorithm="elkan").fit(X), args.repeat
        )
        rows.append(("scikit-learn elkan", t, sk_elkan.n_iter_, sk_elkan.inertia_))

    for algorithm in ("auto", "lloyd", "hamerly"):
        t, ours = best_time(
            lambda a=algorithm: KMeans(k, init=init, n_init=1, algorithm=a).fit(X), args.repeat
        )
        rows.append((f"segwise {algorithm}", t, ours.n_iter_, ours.inertia_))

    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sklearnex.cluster import KMeans as XKMeans

            t, xk = best_time(
                lambda: XKMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X), args.repeat
            )
        rows.append(("scikit-learn-intelex lloyd", t, xk.n_iter_, xk.inertia_))
    except ImportError as exc:
        notes.append(f"scikit-learn-intelex not installed ({exc}); pip install it to compare")

    try:
        import faiss

        faiss.omp_set_num_threads(2)
        X32 = X.astype(np.float32)
        init32 = init.astype(np.float32)

        def run_faiss():
            km = faiss.Kmeans(
                d,
                k,
                niter=ref.n_iter_,
                seed=0,
                verbose=False,
                min_points_per_centroid=1,
                max_points_per_centroid=10**9,
            )
            km.train(X32, init_centroids=init32)
            return km

        t, fk = best_time(run_faiss, args.repeat)
        rows.append(
            (
                f"faiss-cpu (float32, niter={ref.n_iter_})",
                t,
                ref.n_iter_,
                inertia_of(X, fk.centroids),
            )
        )
    except ImportError as exc:
        notes.append(f"faiss-cpu not installed ({exc}); pip install faiss-cpu to compare")

    ref_t = rows[0][1]
    print(
        f"KMeans.fit, blobs n={n:,} d={d} k={k} float64, same initial centres, 2 threads, "
        f"best of {args.repeat}"
    )
    print(
        f"{'method':<40} {'time s':>8} {'speedup':>8} {'n_iter':>6} {'inertia':>20} {'rel.diff':>9}"
    )
    for name, t, it, inertia in rows:
        rel = abs(inertia - ref.inertia_) / ref.inertia_
        print(f"{name:<40} {t:8.3f} {ref_t / t:7.2f}x {it:6d} {inertia:20.6f} {rel:9.1e}")
    for note in notes:
        print("note:", note)

    # k-means++ seeding end to end (different random streams: compare inertia loosely).
    with threadpool_limits(2):
        t_sk, sk_pp = best_time(lambda: SkKMeans(k, random_state=0).fit(X), args.repeat)
    t_sw, sw_pp = best_time(lambda: KMeans(k, random_state=0).fit(X), args.repeat)
    print(
        f"\nk-means++ init, n_init=1: scikit-learn {t_sk:.3f}s inertia {sk_pp.inertia_:.6g}; "
        f"segwise {t_sw:.3f}s inertia {sw_pp.inertia_:.6g} ({t_sk / t_sw:.2f}x)"
    )

    # MiniBatchKMeans, default parameters (different random batches: compare inertia loosely).
    with threadpool_limits(2):
        t_sk, sk_mb = best_time(lambda: SkMiniBatchKMeans(k, random_state=0).fit(X), args.repeat)
    t_sw, sw_mb = best_time(lambda: MiniBatchKMeans(k, random_state=0).fit(X), args.repeat)
    print(
        f"MiniBatchKMeans defaults: scikit-learn {t_sk:.3f}s inertia {sk_mb.inertia_:.6g} "
        f"({sk_mb.n_steps_} steps); segwise {t_sw:.3f}s inertia {sw_mb.inertia_:.6g} "
        f"({sw_mb.n_steps_} steps) ({t_sk / t_sw:.2f}x)"
    )

    # predict of one row from Python (per-call latency).
    fitted_sw = KMeans(k, init=init, n_init=1).fit(X[:10_000])
    fitted_sk = SkKMeans(k, init=init, n_init=1).fit(X[:10_000])
    row = np.ascontiguousarray(X[:1])
    calls = 2000
    lat = {}
    for name, est in (("segwise", fitted_sw), ("scikit-learn", fitted_sk)):
        est.predict(row)
        t0 = time.perf_counter()
        for _ in range(calls):
            est.predict(row)
        lat[name] = (time.perf_counter() - t0) / calls * 1e6
    print(
        f"predict(1 row): segwise {lat['segwise']:.1f} us/call, scikit-learn "
        f"{lat['scikit-learn']:.1f} us/call ({lat['scikit-learn'] / lat['segwise']:.1f}x)"
    )


if __name__ == "__main__":
    main()
