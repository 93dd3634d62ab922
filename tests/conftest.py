"""What several test files share: the bundled data sets as fixtures, and helpers that test
files import (``from conftest import blobs``): test blobs, a run of the same code on one
and two threads, a probe of whether a call releases the GIL, Hillstrom's e-mail lift."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from segwise.abtest import LiftReport, segment_lift
from segwise.datasets import load_cdnow, load_hillstrom
from sklearn.datasets import make_blobs

# --------------------------------------------------------------------------- data


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW's transaction log (do not modify it: every test of the session shares it)."""
    return load_cdnow()


@pytest.fixture(scope="session")
def hillstrom() -> pd.DataFrame:
    """Hillstrom's e-mail experiment (shared by the session: copy it before changing it)."""
    return load_hillstrom()


@pytest.fixture(scope="module")
def client():
    """A real dask cluster, 2 workers x 1 thread in this process, closed (no processes, no
    warnings) at the end of the module (the dask tests; skipped without distributed)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def blobs(
    n: int,
    d: int,
    k: int,
    *,
    std: float = 1.0,
    seed: int = 0,
    dtype: Any = np.float64,
    box: tuple[float, float] = (-10.0, 10.0),
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in ``d`` dimensions around ``k`` centres drawn in ``box`` (scikit-learn's
    ``make_blobs``), as ``dtype``, and their true labels."""
    X, y = make_blobs(
        n_samples=n, n_features=d, centers=k, cluster_std=std, center_box=box, random_state=seed
    )
    return X.astype(dtype), y


def email_lift(df: pd.DataFrame, segment: str, **kw: Any) -> LiftReport:
    """Each Hillstrom e-mail against no e-mail per ``segment``, on visit, conversion, spend."""
    return segment_lift(
        df,
        segment=segment,
        variant="segment",
        control="No E-Mail",
        metrics=["visit", "conversion", "spend"],
        **kw,
    )


# --------------------------------------------------------------------------- threads


def outputs_on_threads(code: str, threads: Sequence[int] = (1, 2)) -> list[str]:
    """The standard output of ``python -c code``, once per size of the Rust thread pool."""
    outs = []
    for n in threads:
        env = dict(os.environ, RAYON_NUM_THREADS=str(n), SEGWISE_NUM_THREADS=str(n))
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.append(res.stdout)
    return outs


def ticks_during(call: Callable[[], Any], *, period: float = 0.0005) -> tuple[Any, int]:
    """Run ``call()`` while another Python thread ticks; return its result and the number
    of ticks made while it ran.

    The other thread loops: sleep ``period`` (without the GIL), then, holding the GIL, count
    a tick if the call is under way. For the duration the interpreter's switch interval is
    raised to 1000 s, so this thread never hands the GIL over by preemption: the ticker can
    only run while this thread waits without it. A call that holds the GIL from start to
    end (a Rust function that never detaches, or pure Python) therefore gets exactly 0
    ticks, however long it runs and however loaded the machine is; each tick counted is
    proof that the call released the GIL. Call the Rust binding itself (not a Python
    wrapper, whose numpy calls release the GIL for moments of their own), on work long
    enough (a good fraction of a second) for a released GIL to give many ticks even when
    the ticker waits for a core.
    """
    in_call = False
    ticks = 0
    started = threading.Event()
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        started.set()
        while not stop.is_set():
            if in_call:
                ticks += 1
            time.sleep(period)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    started.wait()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        in_call = True
        result = call()
        in_call = False
    finally:
        in_call = False
        sys.setswitchinterval(switch)
        stop.set()
        ticker.join()
    return result, ticks


# --------------------------------------------------------------------------- mixed tables


def mixed_customers(n: int = 600, k: int = 3, *, seed: int = 0, n_numeric: int = 2) -> pd.DataFrame:
    """A customer table of ``k`` groups: ``n_numeric`` numeric columns (``spend``,
    ``visits``, ``x2``...), a string ``channel``, an ordered categorical ``size`` and a bool
    ``newbie``, each group favouring its own levels (80%), plus a ``group`` column with the
    true group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, k, n)
    frame = {}
    for j in range(n_numeric):
        name = ["spend", "visits"][j] if j < 2 else f"x{j}"
        frame[name] = rng.normal(size=n) + 3.0 * group * (1 + j % 2)
    keep = rng.random((n, 3)) < 0.8
    channels = np.array(["app", "shop", "web"])
    frame["channel"] = np.where(keep[:, 0], channels[group % 3], rng.choice(channels, n))
    sizes = np.array(["S", "M", "L"])
    frame["size"] = pd.Categorical(
        np.where(keep[:, 1], sizes[(group + 1) % 3], rng.choice(sizes, n)),
        categories=["S", "M", "L"],
        ordered=True,
    )
    frame["newbie"] = np.where(keep[:, 2], group % 2 == 0, rng.random(n) < 0.5)
    frame["group"] = group
    return pd.DataFrame(frame)


# --------------------------------------------------------------------------- stability


def reference_max_jaccard(original: np.ndarray, new: np.ndarray, k: int) -> np.ndarray:
    """Each original segment's largest Jaccard with a new one (bootstrap stability),
    straight from the definition: sets, intersections and unions, noise (< 0) in none."""
    out = np.full(k, np.nan)
    new_ids = sorted(set(int(v) for v in new if v >= 0))
    for i in range(k):
        a = set(np.flatnonzero(original == i).tolist())
        if not a:
            continue
        best = 0.0
        for j in new_ids:
            b = set(np.flatnonzero(new == j).tolist())
            best = max(best, len(a & b) / len(a | b))
        out[i] = best
    return out


# --------------------------------------------------------------------------- SQL


def run_sql(db: str, frame: pd.DataFrame, sql: str) -> pd.DataFrame:
    """Run ``sql`` in a fresh DuckDB or SQLite database holding ``frame`` as the table
    ``customers`` (for the deploy tests' generated SQL)."""
    import sqlite3

    import duckdb

    if db == "duckdb":
        con = duckdb.connect()
        con.register("customers_df", frame)
        con.execute("CREATE TABLE customers AS SELECT * FROM customers_df")
        out = con.execute(sql).df()
        con.close()
        return out
    con3 = sqlite3.connect(":memory:")
    frame.to_sql("customers", con3, index=False)
    out = pd.read_sql_query(sql, con3)
    con3.close()
    return out
