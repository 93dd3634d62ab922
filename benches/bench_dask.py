"""Benchmark segwise.dask against dask-ml (KMeans) and against segwise's in-memory API,
measured in the same run on the same data.

1. KMeans on Gaussian blobs, n=2,000,000, d=8, k=8 (``--quick``: 200,000), float64, in
   a ``LocalCluster(n_workers=2, threads_per_worker=1)``, data as a dask Array of
   ``--chunks`` rows persisted on the workers. Per Lloyd iteration: both libraries start
   from the SAME given centres, ``tol=0`` and a fixed ``max_iter``, time / iterations.
   Whole fit: each library's default seeding (segwise: k-means|| with 2 rounds as Spark;
   dask-ml: k-means|| with its default rounds), ``max_iter=300``, ``tol=1e-4``.
2. The overhead of the dask path on data that fits in memory: the in-memory
   ``segwise.cluster.KMeans`` / ``StandardScaler`` vs ``segwise.dask`` on the same data
   (one partition per ``--chunks`` rows), with dask's local threaded scheduler.
3. The mixed-type estimators: ``segwise.dask.KPrototypes`` / ``KModes`` (batch
   iteration) and ``profile_segments`` with categorical features against the in-memory
   ``segwise.cluster`` / ``segwise.profile`` on the same table (n rows, 4 numeric and 3
   categorical columns, k = 8): from the same given prototypes (the same iterations, so
   the ratio is the overhead), and with each one's default seeding; with dask's local
   threaded scheduler and on the 2-worker cluster.
4. ``--scale`` (minutes, ~2 GB of disk): 20,000,000 x 12 float64 written to Parquet, two
   workers with a 4 GiB memory limit each; fit KMeans, transform (written back to
   Parquet), and a segment_lift over 100,000,000 synthetic experiment rows; prints time
   and the peak memory of each worker (sampled every 0.5 s).

Run: ``pip install "segwise[dask,bench]"`` then ``python benches/bench_dask.py``
(``--quick`` for small sizes, ``--mixed-only`` for part 3 alone).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import warnings

import numpy as np


def blobs(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 8, (k, d))
    return centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def kmeans_vs_dask_ml(client, n, chunks, iters):
    import dask.array as da
    from dask_ml.cluster import KMeans as DmlKMeans
    from segwise.dask import KMeans

    d, k = 8, 8
    X = da.from_array(blobs(n, d, k), chunks=(chunks, d)).persist()
    init = X[:k].compute() + 0.5
    print(f"\n== KMeans, n={n:,} d={d} k={k}, {X.numblocks[0]} partitions, 2 workers x 1 thread")
    rows = []
    # Warm both (imports, worker-side first calls).
    KMeans(k, init=init, max_iter=1).fit(X)
    DmlKMeans(k, init=init, max_iter=1, tol=0.0).fit(X)
    t_sw, sw = timed(lambda: KMeans(k, init=init, max_iter=iters, tol=0.0).fit(X))
    t_dm, dm = timed(lambda: DmlKMeans(k, init=init, max_iter=iters, tol=0.0).fit(X))
    it_sw, it_dm = t_sw / sw.n_iter_, t_dm / dm.n_iter_
    rows.append(("per Lloyd iteration", it_dm, it_sw))
    t_sw_fit, sw_fit = timed(lambda: KMeans(k, random_state=0).fit(X))
    t_dm_fit, dm_fit = timed(lambda: DmlKMeans(k, random_state=0).fit(X))
    rows.append(("whole fit (seeding included)", t_dm_fit, t_sw_fit))
    print(f"{'':34s}{'dask-ml':>10s}{'segwise':>10s}{'ratio':>9s}")
    for name, ref, ours in rows:
        print(f"{name:34s}{ref:9.3f}s{ours:9.3f}s{ref / ours:8.1f}x")
    # dask-ml's inertia_ is a sum of plain distances when max_iter stops it; recompute.
    exact = KMeans(k, init=dm_fit.cluster_centers_, max_iter=1).fit(X)
    print(
        f"whole-fit iterations: dask-ml {dm_fit.n_iter_}, segwise {sw_fit.n_iter_}; inertia "
        f"dask-ml {exact.score(X) * -1:.6g} (recomputed), segwise {sw_fit.inertia_:.6g}"
    )
    return rows


def overhead(n, chunks):
    import dask
    import dask.array as da
    import dask.dataframe as dd
    import pandas as pd
    from segwise import dask as sd
    from segwise.cluster import KMeans, MiniBatchKMeans
    from segwise.preprocessing import StandardScaler
    from segwise.profile import profile_segments

    d, k = 8, 8
    x = blobs(n, d, k, seed=1)
    init = x[:k] + 0.5
    X = da.from_array(x, chunks=(chunks, d))
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(d)])
    frame["segment"] = KMeans(k, init=init, max_iter=1).fit(x).labels_
    dframe = dd.from_pandas(frame, npartitions=max(1, n // chunks))
    print(f"\n== overhead of the dask path, n={n:,} d={d}, local threaded scheduler")
    print(f"{'':34s}{'in-memory':>10s}{'dask':>10s}{'ratio':>9s}")
    with dask.config.set(scheduler="threads"):
        X = X.persist()
        dframe = dframe.persist()
        for name, mem, dsk in [
            (
                "KMeans (given init, lloyd)",
                lambda: KMeans(k, init=init, algorithm="lloyd").fit(x),
                lambda: sd.KMeans(k, init=init).fit(X),
            ),
            (
                "StandardScaler fit",
                lambda: StandardScaler().fit(x),
                lambda: sd.StandardScaler().fit(X),
            ),
            (
                "MiniBatchKMeans partial_fit/chunk",
                lambda: [
                    mbk.partial_fit(b)
                    for mbk in [MiniBatchKMeans(k, random_state=0, compute_labels=False)]
                    for b in np.array_split(x, X.numblocks[0])
                ],
                lambda: sd.MiniBatchKMeans(k, random_state=0, compute_labels=False).partial_fit(X),
            ),
            (
                "profile_segments",
                lambda: profile_segments(frame, "segment"),
                lambda: sd.profile_segments(dframe, "segment"),
            ),
        ]:
            mem()
            dsk()
            t_mem, _ = timed(mem)
            t_dsk, _ = timed(dsk)
            print(f"{name:34s}{t_mem:9.3f}s{t_dsk:9.3f}s{t_dsk / t_mem:8.1f}x")


def mixed_table(n, seed=2):
    import pandas as pd

    rng = np.random.default_rng(seed)
    g = rng.integers(0, 8, n)
    frame = pd.DataFrame(rng.normal(g[:, None] % 4 * 2.0, 1.0, (n, 4)), columns=list("abcd"))
    for j, (name, levels) in enumerate([("channel", 3), ("region", 5), ("plan", 4)]):
        noise = rng.random(n) < 0.3
        codes = np.where(noise, rng.integers(0, levels, n), (g + j) % levels)
        frame[name] = np.array([f"{name}{i}" for i in range(levels)], dtype=object)[codes]
    return frame


def mixed_overhead(n, chunks, client=None):
    import dask
    import dask.dataframe as dd
    from segwise import dask as sd
    from segwise.cluster import KModes, KPrototypes
    from segwise.profile import profile_segments

    k = 8
    frame = mixed_table(n)
    cats = frame[["channel", "region", "plan"]]
    init = frame.iloc[:k].reset_index(drop=True)
    init_cat = cats.iloc[:k].reset_index(drop=True)
    labelled = frame.assign(
        segment=KPrototypes(k, init=init, gamma=1.0, max_iter=1).fit(frame).labels_
    )
    where = "2-worker LocalCluster" if client is not None else "local threaded scheduler"
    print(f"\n== mixed types, n={n:,} (4 numeric + 3 categorical) k={k}, {where}")
    print(f"{'':40s}{'in-memory':>10s}{'dask':>10s}{'ratio':>9s}  iterations")
    scheduler = {} if client is not None else {"scheduler": "threads"}
    with dask.config.set(**scheduler):
        dframe = dd.from_pandas(frame, npartitions=max(1, n // chunks)).persist()
        dcats = dframe[["channel", "region", "plan"]].persist()
        dlabelled = dd.from_pandas(labelled, npartitions=max(1, n // chunks)).persist()
        for name, mem, dsk in [
            (
                "KPrototypes (given init, lloyd)",
                lambda: KPrototypes(k, init=init, gamma=1.0).fit(frame),
                lambda: sd.KPrototypes(k, init=init, gamma=1.0).fit(dframe),
            ),
            (
                "KPrototypes (default seeding)",
                lambda: KPrototypes(k, random_state=0).fit(frame),
                lambda: sd.KPrototypes(k, random_state=0).fit(dframe),
            ),
            (
                "KModes (given init, lloyd)",
                lambda: KModes(k, init=init_cat).fit(cats),
                lambda: sd.KModes(k, init=init_cat).fit(dcats),
            ),
            (
                "profile_segments (3 categorical)",
                lambda: profile_segments(labelled, "segment"),
                lambda: sd.profile_segments(dlabelled, "segment"),
            ),
        ]:
            mem()
            dsk()
            t_mem, a = timed(mem)
            t_dsk, b = timed(dsk)
            iters = f"{a.n_iter_} / {b.n_iter_}" if hasattr(a, "n_iter_") else ""
            print(f"{name:40s}{t_mem:9.3f}s{t_dsk:9.3f}s{t_dsk / t_mem:8.1f}x  {iters}")


class PeakMemory:
    """Sample the memory of every worker every 0.5 s (the scheduler's own metrics)."""

    def __init__(self, client):
        self.client, self.peak, self._stop = client, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for addr, w in self.client.scheduler_info()["workers"].items():
                mem = w.get("metrics", {}).get("memory", 0)
                self.peak[addr] = max(self.peak.get(addr, 0), mem)
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self):
        return ", ".join(f"{v / 2**30:.2f} GiB" for v in self.peak.values())


def scale(client, folder):
    import dask
    import dask.array as da
    import dask.dataframe as dd
    from segwise import dask as sd

    n, d, k = 20_000_000, 12, 8
    path = os.path.join(folder, "features.parquet")
    print(f"\n== scale: {n:,} x {d} float64 from Parquet, 2 workers x 4 GiB")
    rng_blocks = da.random.default_rng(0).normal(size=(n, d), chunks=(500_000, d))
    t, _ = timed(
        lambda: dd.from_dask_array(rng_blocks, columns=[f"f{j}" for j in range(d)]).to_parquet(path)
    )
    print(f"wrote the data in {t:.1f}s")
    X = dd.read_parquet(path)
    with PeakMemory(client) as mem:
        t, km = timed(lambda: sd.KMeans(k, random_state=0, max_iter=20).fit(X))
    print(f"KMeans fit: {t:.1f}s ({km.n_iter_} iterations); peak worker memory {mem.report()}")
    with PeakMemory(client) as mem:
        t, _ = timed(lambda: km.transform(X).to_parquet(os.path.join(folder, "dist.parquet")))
    print(f"transform to Parquet: {t:.1f}s; peak worker memory {mem.report()}")
    m = 100_000_000
    parts = 200
    rows = m // parts

    def part(i):
        import pandas as pd

        rng = np.random.default_rng(i)
        return pd.DataFrame(
            {
                "segment": rng.integers(0, 8, rows),
                "arm": rng.integers(0, 2, rows),
                "buy": rng.integers(0, 2, rows).astype(np.int8),
                "spend": rng.gamma(2.0, 30.0, rows),
            }
        )

    meta = part(0).iloc[:0]
    exp = dd.from_delayed([dask.delayed(part)(i) for i in range(parts)], meta=meta)
    with PeakMemory(client) as mem:
        t, rep = timed(
            lambda: sd.segment_lift(
                exp, segment="segment", variant="arm", control=0, metrics=["buy", "spend"]
            )
        )
    print(
        f"segment_lift over {m:,} rows: {t:.1f}s; peak worker memory {mem.report()}; "
        f"{len(rep.table)} report rows"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows instead of 2,000,000")
    parser.add_argument("--chunks", type=int, default=None, help="rows per partition")
    parser.add_argument("--iters", type=int, default=10, help="Lloyd iterations timed")
    parser.add_argument("--scale", action="store_true", help="the 20M-row Parquet run too")
    parser.add_argument(
        "--mixed-only", action="store_true", help="only part 3 (KPrototypes, KModes, profile)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from distributed import Client, LocalCluster

    n = 200_000 if args.quick else 2_000_000
    chunks = args.chunks or n // 8
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        if not args.mixed_only:
            kmeans_vs_dask_ml(client, n, chunks, args.iters)
        mixed_overhead(n, chunks, client)
    if not args.mixed_only:
        overhead(n, chunks)
    mixed_overhead(n, chunks)
    if args.scale:
        folder = tempfile.mkdtemp(prefix="segwise-bench-")
        try:
            with (
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    memory_limit="4GiB",
                    dashboard_address=":0",
                    local_directory=folder,
                ) as cluster,
                Client(cluster) as client,
            ):
                scale(client, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
