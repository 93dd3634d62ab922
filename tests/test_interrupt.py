"""Ctrl-C stops every long call into the Rust core within about a second.

Each case runs in its own Python process: the child builds its data, says it is ready,
then makes a call that would run for minutes (or forever). The parent sends SIGINT once
the call has had time to get into the Rust core and asserts that the child reports a
``KeyboardInterrupt`` from that call, quickly. A call that ignores Ctrl-C runs into the
child's timeout and fails the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")

# Seconds from SIGINT to the child's report. The mechanism checks every 0.05 s and the
# kernels at least every ~0.1 s of work; the rest is slack for a loaded 2-core machine.
STOP_WITHIN = 2.0
# Time the call gets to reach the Rust core before the signal (after the child says ready).
HEAD_START = 0.5

_CHILD = """
import sys, time
import numpy as np
{setup}
print("ready", flush=True)
try:
    {call}
except KeyboardInterrupt:
    print("interrupted", time.perf_counter(), flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


def _interrupt(setup: str, call: str) -> float:
    """Seconds from SIGINT until the child reported the KeyboardInterrupt."""
    code = _CHILD.format(setup=textwrap.dedent(setup), call=call)
    # The with-block closes the pipes whatever happens (a failed assertion included).
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip() == "ready", (line, child.stderr.read() if child.stderr else "")
            time.sleep(HEAD_START)
            assert child.poll() is None, (
                "the call ended before it could be interrupted",
                child.communicate(),
            )
            sent = time.perf_counter()
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert child.returncode == 42, (child.returncode, out, err)
    words = out.split()
    assert words[0] == "interrupted", out
    # perf_counter is the system-wide monotonic clock on Linux: comparable across processes.
    return float(words[1]) - sent


# Four Gaussian blobs (numpy only: the child starts fast).
BLOBS = """
rng = np.random.default_rng(0)
X = rng.uniform(-10, 10, size=(4, {d}))[rng.integers(0, 4, size={n})] + rng.normal(size=({n}, {d}))
"""

# A basket-like scipy CSR matrix (k-means on sparse input).
SPARSE = """
import scipy.sparse as sp
X = sp.random(50_000, 200, density=0.02, format="csr", random_state=0)
"""

# A mixed table: two numeric and two categorical columns.
MIXED = """
import pandas as pd
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000),
                  "c": rng.choice(list("xyz"), 20_000), "d": rng.choice(list("pq"), 20_000)})
"""

# n cells spread over [0, 1) (the golden ratio's multiples: distinct, no generator).
SPREAD = """
X = ((np.arange({n}, dtype=float) * 0.6180339887) % 1.0).reshape(-1, {d})
"""

# A KMeans whose centres were replaced by k spread rows (a valid fitted state): one pass
# of predict, score or transform then costs n x k x d, tens of seconds if not stopped.
MANY_CENTRES = (
    SPREAD
    + """
from segwise.cluster import KMeans
km = KMeans(2, n_init=1, random_state=0).fit(X[:10])
km.cluster_centers_ = np.ascontiguousarray(X[:{k}][::-1])
"""
)

CASES = {
    "mechanism": ("from segwise._core import _testing", "_testing.spin(600.0, check=True)"),
    "kmeans_many_restarts": (
        BLOBS.format(n=20_000, d=4) + "from segwise.cluster import KMeans",
        "KMeans(2, n_init=10**4, random_state=0).fit(X)",
    ),
    "kmeans_tol0_long": (
        BLOBS.format(n=200_000, d=8) + "from segwise.cluster import KMeans",
        "KMeans(8, n_init=10**4, tol=0, max_iter=10**6, algorithm='lloyd', random_state=0).fit(X)",
    ),
    "minibatch_endless": (
        BLOBS.format(n=5_000, d=4) + "from segwise.cluster import MiniBatchKMeans",
        "MiniBatchKMeans(3, max_iter=10**7, max_no_improvement=None, tol=0, random_state=0).fit(X)",
    ),
    "kmeans_sparse_many_restarts": (
        SPARSE + "from segwise.cluster import KMeans",
        "KMeans(4, n_init=10**4, random_state=0).fit(X)",
    ),
    "minibatch_sparse_endless": (
        SPARSE + "from segwise.cluster import MiniBatchKMeans",
        "MiniBatchKMeans(3, max_iter=10**7, max_no_improvement=None, tol=0, random_state=0).fit(X)",
    ),
    # Single passes over the data (issue 12): checked every 1,024 rows.
    "kmeans_predict_many_centres": (
        MANY_CENTRES.format(n=200_000 * 64, d=64, k=4096),
        "km.predict(X)",
    ),
    "kmeans_transform_many_centres": (
        MANY_CENTRES.format(n=10_000 * 1024, d=1024, k=2048),
        "km.transform(X)",
    ),
    # Pairwise and per-row passes (issue 12): a call into Rust on a chunk of ~8M distances
    # is seconds on wide tables; the kernels check every tile of distances.
    "gower_distances_wide": (
        SPREAD.format(n=3000 * 2000, d=2000) + "from segwise.metrics import gower_distances",
        "gower_distances(X)",
    ),
    "gap_within_dispersion_all_pairs": (
        SPREAD.format(n=40_000 * 16, d=16)
        + "from segwise._core import choose_k_within_dispersion\n"
        + "labels = np.zeros(len(X), dtype=np.int32)",
        "choose_k_within_dispersion(X, labels, k=1, d_power=1.0)",
    ),
    "minibatch_partial_fit_many_centres": (
        SPREAD.format(n=800_000 * 32, d=32)
        + "from segwise.cluster import MiniBatchKMeans\n"
        + "mbk = MiniBatchKMeans(2048, random_state=0).partial_fit(X[:4096])",
        "mbk.partial_fit(X)",
    ),
    "pareto_nbd_predict": (
        "import pandas as pd, warnings\nfrom segwise.clv import ParetoNBDModel\nn = 2_000_000\n"
        "i = np.arange(n)\nT = 50.0 + (i % 997) * 0.37\nx = (i % 13).astype(float)\n"
        "S = pd.DataFrame({'frequency': x, 'recency': np.where(x > 0, T * (i * 0.618 % 1.0), 0.0),"
        " 'T': T})\nwarnings.simplefilter('ignore')\nm = ParetoNBDModel().fit(S[:5000])",
        "m.predict(S, t=10)",
    ),
    "dbscan_huge_eps": (
        BLOBS.format(n=60_000, d=2) + "from segwise.cluster import DBSCAN",
        "DBSCAN(eps=100).fit(X)",
    ),
    "dbscan_min_samples_1": (
        BLOBS.format(n=60_000, d=2) + "from segwise.cluster import DBSCAN",
        "DBSCAN(eps=100, min_samples=1).fit(X)",
    ),
    "silhouette": (
        BLOBS.format(n=120_000, d=4)
        + "from segwise.metrics import silhouette_score\nlabels = (X[:, 0] > 0).astype(int)",
        "silhouette_score(X, labels)",
    ),
    "kprototypes_many_restarts": (
        MIXED + "from segwise.cluster import KPrototypes",
        "KPrototypes(4, n_init=10**4, random_state=0).fit(X)",
    ),
    "kprototypes_huang_many_restarts": (
        MIXED + "from segwise.cluster import KPrototypes",
        "KPrototypes(4, n_init=10**4, algorithm='huang', random_state=0).fit(X)",
    ),
    "kmodes_many_restarts": (
        MIXED + "from segwise.cluster import KModes",
        "KModes(4, init='huang', n_init=10**4, random_state=0).fit(X[['c', 'd']])",
    ),
    "kmedoids_clara_many_samples": (
        MIXED + "from segwise.cluster import KMedoids",
        "KMedoids(8, metric='gower', method='clara', n_subsamples=10**6, random_state=0).fit(X)",
    ),
    # Rows x columns of cheap, distinct values (no random generator: the child starts fast).
    # (The scalers, profile_segments and rfm_table check the same flag per block; their
    # stop is tested in the core, since at test sizes they end within the deadline anyway.)
    "psi_features": (
        SPREAD.format(n=20_000_000, d=4) + "from segwise.stability import psi",
        "psi(X, X, bins=1000)",
    ),
    "clv_fit": (
        "import pandas as pd\nfrom segwise.clv import ParetoNBDModel\nn = 1_000_000\n"
        "i = np.arange(n)\nT = 50.0 + (i % 997) * 0.37\nx = (i % 13).astype(float)\n"
        "S = pd.DataFrame({'frequency': x, 'recency': np.where(x > 0, T * (i * 0.618 % 1.0), 0.0),"
        " 'T': T})",
        "ParetoNBDModel().fit(S)",
    ),
    "prob_beat_control": (
        "from segwise.abtest import prob_beat_control",
        "[prob_beat_control(10**7, 10**8, 10**7, 10**8, prior=(8 * 10**7, 1)) "
        "for _ in range(1000)]",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_c_stops_the_call(case):
    setup, call = CASES[case]
    assert _interrupt(setup, call) < STOP_WITHIN


@pytest.mark.slow
def test_ctrl_c_stops_kmeans_on_millions_of_rows():
    setup = BLOBS.format(n=2_000_000, d=12) + "from segwise.cluster import KMeans"
    call = "KMeans(8, n_init=10, tol=0, max_iter=10**6, random_state=0).fit(X)"
    assert _interrupt(setup, call) < STOP_WITHIN


@pytest.mark.slow
def test_ctrl_c_stops_silhouette_on_300k_rows():
    setup = (
        BLOBS.format(n=300_000, d=4)
        + "from segwise.metrics import silhouette_score\nlabels = (X[:, 0] > 0).astype(int)"
    )
    assert _interrupt(setup, "silhouette_score(X, labels)") < STOP_WITHIN


def test_work_that_does_not_check_still_raises_when_it_returns():
    # The mechanism never abandons a running call: a kernel without checks finishes, then
    # the KeyboardInterrupt is raised (and not its result).
    setup = "from segwise._core import _testing"
    took = _interrupt(setup, "_testing.spin(3.0, check=False)")
    assert 0.3 < took < 3.0 + STOP_WITHIN


def test_a_call_without_ctrl_c_returns_its_result():
    from segwise._core import _testing

    # The result is the time the worker spent until the deadline set before its thread
    # started (so it can be less than 0.05 s on a loaded machine).
    assert 0.0 < _testing.spin(0.05, check=True) < 5


def test_concurrent_calls_run_side_by_side():
    # Worker threads are reused, but a call never waits for a busy one: four calls from
    # four Python threads (each sleeping 0.5 s on its worker) end together, not in turn.
    from concurrent.futures import ThreadPoolExecutor

    from segwise._core import _testing

    with ThreadPoolExecutor(4) as pool:
        _testing.spin(0.0, check=True)  # at least one idle worker to reuse
        start = time.perf_counter()
        list(pool.map(lambda _: _testing.spin(0.5, check=True), range(4)))
        took = time.perf_counter() - start
    # Each call ends 0.5 s after it started (a deadline, whatever the load): one after
    # another they would take 2 s.
    assert took < 1.5, took


def test_a_forked_child_starts_its_own_workers():
    # The parent's idle workers do not exist in a child made by fork: a call there must
    # start a worker of its own instead of handing its work to a thread that is not there
    # (which would wait forever).
    from segwise._core import _testing

    _testing.spin(0.0, check=True)  # the parent now has an idle worker
    pid = os.fork()
    if pid == 0:  # the child: report by exit code only, never return into pytest
        ok = False
        try:
            ok = _testing.spin(0.01, check=True) >= 0
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 20
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the call in the forked child never returned")
    assert os.WEXITSTATUS(done[1]) == 0


_THREADS_CHILD = """
import os
import numpy as np
from segwise.cluster import KMeans

def workers():
    tasks = os.listdir("/proc/self/task")
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in tasks]
    return names.count("segwise-work")

rng = np.random.default_rng(0)
small = rng.normal(size=(200, 12))
KMeans(8, n_init=10, random_state=0).fit(small)
after_small = workers()
# 40,000 x 12 x 8 centres x 301 passes: above the bound, so it can take long enough to
# need Ctrl-C and runs on a worker.
KMeans(8, n_init=1, max_iter=300, random_state=0).fit(rng.normal(size=(40_000, 12)))
print(after_small, workers())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc")
def test_a_small_fit_runs_on_the_calling_thread_a_large_one_on_a_worker():
    # A fit whose work is bounded by ~2^26 distance terms (about 20 ms) runs with the GIL
    # released on the calling thread: a hand-over costs two thread wake-ups, more than the
    # fit. Larger fits go to a worker so that Ctrl-C can stop them.
    out = subprocess.run(
        [sys.executable, "-c", _THREADS_CHILD], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1"]
