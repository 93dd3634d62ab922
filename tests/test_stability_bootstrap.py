"""segwise.stability.bootstrap_stability (Hennig's clusterboot) against Python references
built on numpy and scikit-learn's KMeans, fed the same resamples and initial centres."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from conftest import blobs, reference_max_jaccard
from segwise import _core
from segwise.cluster import DBSCAN, KMeans
from segwise.exceptions import (
    InvalidParameterError,
    NonFiniteError,
    NotEnoughSamplesError,
    ShapeMismatchError,
)
from segwise.stability import StabilityResult, bootstrap_stability
from segwise.stability import _bootstrap as boot_module
from sklearn.cluster import KMeans as SkKMeans

# Well separated 2-D blobs: centres drawn in a wider box than scikit-learn's default.
_blobs = functools.partial(blobs, d=2, box=(-20.0, 20.0))


# --- (1) the Jaccard step ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_max_jaccard_matches_definition(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 200))
    k = int(rng.integers(1, 6))
    original = rng.integers(-1, k, m).astype(np.int32)
    new = rng.integers(-1, int(rng.integers(1, 7)), m).astype(np.int32)
    got = _core.bootstrap_max_jaccard(original, new, k)
    np.testing.assert_allclose(got, reference_max_jaccard(original, new, k), rtol=0, atol=1e-15)


def test_max_jaccard_edge_cases():
    # all new rows noise: the segment meets no new segment -> 0; absent segment -> NaN
    got = _core.bootstrap_max_jaccard(np.array([0, 0], np.int32), np.array([-1, -1], np.int32), 2)
    assert got[0] == 0.0 and np.isnan(got[1])
    with pytest.raises(ShapeMismatchError, match="new labels"):
        _core.bootstrap_max_jaccard(np.array([0, 1], np.int32), np.array([0], np.int32), 2)
    with pytest.raises(InvalidParameterError, match="n_segments"):
        _core.bootstrap_max_jaccard(np.array([0, 5], np.int32), np.array([0, 0], np.int32), 2)


# --- resampling as fpc ----------------------------------------------------------------


def test_resamples_follow_fpc():
    n = 2000
    sizes = []
    for b in range(20):
        rows, kseed = _core.bootstrap_draw(n, scheme="bootstrap", size=n, seed=7, b=b)
        assert rows.dtype == np.int64
        assert np.all(np.diff(rows) > 0) and rows[0] >= 0 and rows[-1] < n
        sizes.append(rows.size)
        again, kseed2 = _core.bootstrap_draw(n, scheme="bootstrap", size=n, seed=7, b=b)
        np.testing.assert_array_equal(rows, again)
        assert kseed == kseed2
        sub, _ = _core.bootstrap_draw(n, scheme="subsample", size=1000, seed=7, b=b)
        assert sub.size == 1000 and np.all(np.diff(sub) > 0)
    # distinct rows of n draws with replacement: mean n (1 - (1 - 1/n)^n) ~ 0.632 n
    expected = n * (1 - (1 - 1 / n) ** n)
    assert abs(np.mean(sizes) - expected) < 0.01 * n
    a, _ = _core.bootstrap_draw(n, scheme="bootstrap", size=n, seed=7, b=0)
    b, _ = _core.bootstrap_draw(n, scheme="bootstrap", size=n, seed=7, b=1)
    assert not np.array_equal(a, b)


# --- (2) the whole procedure against scikit-learn on the same resamples and starts -----


@pytest.mark.parametrize("scheme", ["bootstrap", "subsample"])
@pytest.mark.parametrize("algorithm", ["lloyd", "auto"])
def test_given_path_matches_sklearn_reference(scheme, algorithm):
    # overlapping blobs: several iterations and Jaccard values well below 1
    X, _ = _blobs(n=400, k=4, std=3.0, seed=1)
    k, n, n_boot = 4, X.shape[0], 12
    labels = KMeans(k, random_state=0).fit(X).labels_
    rng = np.random.default_rng(0)
    indices, centres, expected = [], [], np.empty((n_boot, k))
    for b in range(n_boot):
        rows, _ = _core.bootstrap_draw(n, scheme=scheme, size=n // 2, seed=3, b=b)
        sub = X[rows]
        start = sub[rng.choice(rows.size, k, replace=False)]
        km = SkKMeans(k, init=start, n_init=1, tol=1e-4, max_iter=300, algorithm="lloyd")
        new = km.fit(sub).labels_
        expected[b] = reference_max_jaccard(labels[rows], new, k)
        indices.append(rows)
        centres.append(start)
    jac, skipped = _core._testing.kmeans_replicates_given(
        X,
        labels,
        n_segments=k,
        indices=indices,
        centres=np.stack(centres),
        max_iter=300,
        tol=1e-4,
        algorithm=algorithm,
    )
    assert not skipped.any()
    np.testing.assert_allclose(jac, expected, rtol=0, atol=1e-12)
    assert np.nanmin(jac) < 0.9  # the comparison is not trivially all ones


@pytest.mark.parametrize("scheme", ["bootstrap", "subsample"])
def test_fast_path_matches_python_loop_over_segwise_kmeans(scheme):
    # The fast path = per replicate: its rows and k-means seed from bootstrap_draw, drawn
    # over the rows grouped by original segment (a stable sort), a KMeans fit on those
    # rows with that seed, the Jaccard of the restricted labels.
    X, _ = _blobs(n=300, k=3, std=2.5, seed=4)
    k, n_boot, seed = 3, 10, 11
    res = bootstrap_stability(
        X,
        KMeans(k, n_init=2),
        n_boot,
        scheme=scheme,
        subsample_fraction=0.6,
        random_state=seed,
        progress=False,
    )
    labels = KMeans(k, n_init=2, random_state=seed).fit(X).labels_
    np.testing.assert_array_equal(res.labels, labels)
    size = int(np.floor(0.6 * X.shape[0]))
    order = np.argsort(labels, kind="stable")
    X_seg, labels_seg = X[order], labels[order]
    for b in range(n_boot):
        rows, kseed = _core.bootstrap_draw(X.shape[0], scheme=scheme, size=size, seed=seed, b=b)
        new = KMeans(k, n_init=2, random_state=kseed).fit(X_seg[rows]).labels_
        np.testing.assert_allclose(
            res.jaccard[b], reference_max_jaccard(labels_seg[rows], new, k), rtol=0, atol=1e-12
        )


def test_table_summarises_replicates():
    X, _ = _blobs(n=300, k=4, std=3.0, seed=2)
    res = bootstrap_stability(X, 4, 25, random_state=5, progress=False)
    jac = res.jaccard
    t = res.table
    assert list(t.columns) == [
        "size",
        "mean_jaccard",
        "n_replicates",
        "dissolved",
        "recovered",
        "verdict",
    ]
    np.testing.assert_allclose(t["mean_jaccard"], np.nanmean(jac, axis=0), rtol=1e-14)
    np.testing.assert_array_equal(t["dissolved"], (jac <= 0.5).sum(axis=0))
    np.testing.assert_array_equal(t["recovered"], (jac > 0.75).sum(axis=0))
    np.testing.assert_array_equal(t["size"], np.bincount(res.labels, minlength=4))
    for m, v in zip(t["mean_jaccard"], t["verdict"], strict=True):
        want = (
            "highly stable"
            if m >= 0.85
            else "stable"
            if m >= 0.75
            else "doubtful"
            if m >= 0.6
            else "not trustworthy"
        )
        assert v == want
    assert t.index.name == "segment"
    assert res.n_boot == 25 and res.scheme == "bootstrap" and res.n_skipped == 0


def test_verdict_thresholds():
    v = boot_module._verdict
    assert [v(x) for x in (0.59, 0.6, 0.74, 0.75, 0.849, 0.85, 1.0)] == [
        "not trustworthy",
        "doubtful",
        "doubtful",
        "stable",
        "stable",
        "highly stable",
        "highly stable",
    ]
    assert v(float("nan")) == "undetermined"


def test_absent_segment_is_left_out_of_the_mean():
    # a 2-row segment is often absent from a half-size subsample -> NaN, not 0
    X = np.vstack([_blobs(n=60, k=2, std=0.3, seed=3)[0], [[200.0, 200.0], [200.1, 200.0]]])
    res = bootstrap_stability(
        X, 3, 40, scheme="subsample", subsample_fraction=0.2, random_state=0, progress=False
    )
    small = int(np.argmin(res.table["size"]))
    col = res.jaccard[:, small]
    assert np.isnan(col).any() and (~np.isnan(col)).any()
    assert res.table["n_replicates"].iloc[small] == int((~np.isnan(col)).sum())
    np.testing.assert_allclose(res.table["mean_jaccard"].iloc[small], np.nanmean(col))


# --- (3) worked examples --------------------------------------------------------------


def test_separated_blobs_are_highly_stable():
    X, _ = _blobs(n=600, k=4, std=0.5, seed=0)
    for scheme in ("bootstrap", "subsample"):
        res = bootstrap_stability(X, 4, 30, scheme=scheme, random_state=0, progress=False)
        assert np.all(res.jaccard == 1.0)
        assert (res.table["verdict"] == "highly stable").all()
        assert (res.table["dissolved"] == 0).all() and (res.table["recovered"] == 30).all()


def test_random_split_of_a_blob_is_not_stable():
    # a tight blob and a wide round one far apart, k = 3: k-means always cuts the wide
    # blob in two, along a direction that the sample fluctuations pick, so the halves
    # change from resample to resample while the tight blob stays whole.
    rng = np.random.default_rng(0)
    tight = rng.normal(0.0, 0.5, size=(300, 4))
    wide = rng.normal(0.0, 3.0, size=(300, 4)) + [60.0, 0.0, 0.0, 0.0]
    X = np.vstack([tight, wide])
    res = bootstrap_stability(X, 3, 40, random_state=1, progress=False)
    t = res.table
    labels = np.asarray(res.labels)
    whole = int(labels[0])
    assert (labels[:300] == whole).all() and (labels[300:] != whole).all()
    assert t.loc[whole, "mean_jaccard"] == 1.0
    assert t.loc[whole, "verdict"] == "highly stable"
    for s in t.index.drop(whole):
        assert t.loc[s, "mean_jaccard"] < 0.6
        assert t.loc[s, "verdict"] == "not trustworthy"
        assert t.loc[s, "dissolved"] >= 10


# --- (4) reproducibility: threads and chunking ----------------------------------------


def test_same_on_one_and_two_threads_and_any_chunking():
    X, _ = _blobs(n=500, k=5, std=2.5, seed=6)
    labels = KMeans(5, random_state=0).fit(X).labels_
    settings = dict(
        n_segments=5,
        n_clusters=5,
        init="k-means++",
        n_init=1,
        max_iter=300,
        tol=1e-4,
        algorithm="auto",
        scheme="bootstrap",
        size=500,
        seed=42,
    )
    one, _ = _core.bootstrap_kmeans(X, labels, **settings, start=0, end=12, n_threads=1)
    two, _ = _core.bootstrap_kmeans(X, labels, **settings, start=0, end=12, n_threads=2)
    np.testing.assert_array_equal(one, two)
    pieces = [
        _core.bootstrap_kmeans(X, labels, **settings, start=s, end=e, n_threads=2)[0]
        for s, e in ((0, 5), (5, 6), (6, 12))
    ]
    np.testing.assert_array_equal(np.vstack(pieces), one)
    assert np.nanmin(one) < 1.0  # a non-trivial comparison


def test_chunk_count_does_not_change_the_result(monkeypatch):
    X, _ = _blobs(n=300, k=4, std=2.5, seed=7)
    a = bootstrap_stability(X, 4, 9, random_state=3, progress=False)
    monkeypatch.setattr(boot_module, "_N_CHUNKS", 1)
    b = bootstrap_stability(X, 4, 9, random_state=3, progress=False)
    monkeypatch.setattr(boot_module, "_N_CHUNKS", 9)
    c = bootstrap_stability(X, 4, 9, random_state=3, progress=False)
    np.testing.assert_array_equal(a.jaccard, b.jaccard)
    np.testing.assert_array_equal(a.jaccard, c.jaccard)


def test_random_state_reproducible_and_kmeans_random_init():
    X, _ = _blobs(n=300, k=4, std=2.5, seed=7)
    a = bootstrap_stability(
        X, KMeans(4, init="random", n_init=3), 8, random_state=2, progress=False
    )
    b = bootstrap_stability(
        X, KMeans(4, init="random", n_init=3, random_state=2), 8, progress=False
    )
    np.testing.assert_array_equal(a.jaccard, b.jaccard)
    c = bootstrap_stability(X, 4, 8, random_state=3, progress=False)
    assert not np.array_equal(a.jaccard, c.jaccard)


# --- (5) the generic path ---------------------------------------------------------------


def test_generic_path_with_sklearn_kmeans_matches_python_loop():
    X, _ = _blobs(n=300, k=3, std=2.5, seed=8)
    est = SkKMeans(3, n_init=1, random_state=0)
    res = bootstrap_stability(X, est, 6, random_state=4, progress=False)
    labels = SkKMeans(3, n_init=1, random_state=4).fit(X).labels_
    np.testing.assert_array_equal(res.labels, labels)
    for b in range(6):
        rows, kseed = _core.bootstrap_draw(
            X.shape[0], scheme="bootstrap", size=X.shape[0], seed=4, b=b
        )
        new = SkKMeans(3, n_init=1, random_state=kseed % 2**32).fit(X[rows]).labels_
        np.testing.assert_allclose(
            res.jaccard[b], reference_max_jaccard(labels[rows], new, 3), rtol=0, atol=1e-12
        )
    assert est.get_params()["random_state"] == 0 and not hasattr(est, "labels_")


def test_generic_path_with_dbscan_noise_is_not_a_segment():
    X, _ = _blobs(n=300, k=3, std=0.3, seed=9)
    X = np.vstack([X, [[100.0, 100.0], [-100.0, 100.0]]])  # two isolated noise points
    res = bootstrap_stability(X, DBSCAN(eps=1.0, min_samples=4), 10, random_state=0, progress=False)
    assert (np.asarray(res.labels)[-2:] == -1).all()
    assert list(res.table.index) == [0, 1, 2]
    assert res.table["size"].sum() == 300
    assert np.all(res.jaccard == 1.0)


def test_generic_path_with_array_init_kmeans():
    X, _ = _blobs(n=200, k=2, std=0.5, seed=10)
    init = np.array([X[0], X[-1]])
    res = bootstrap_stability(X, KMeans(2, init=init), 5, random_state=0, progress=False)
    assert res.jaccard.shape == (5, 2)


# --- result object ------------------------------------------------------------------------


def test_dataframe_labels_summary_html_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, _ = _blobs(n=200, k=3, std=0.5, seed=11)
    df = pd.DataFrame(X, columns=["recency", "spend"], index=pd.RangeIndex(1000, 1200))
    res = bootstrap_stability(df, 3, 10, random_state=0, progress=False)
    assert isinstance(res, StabilityResult)
    assert isinstance(res.labels, pd.Series) and res.labels.index.equals(df.index)
    text = res.summary()
    assert "3 segments, 10 bootstrap replicates" in text and "highly stable" in text
    page = res._repr_html_()
    assert "<table" in page and "<script" not in page
    ax = res.plot()
    assert len(ax.patches) == 3
    assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == [0.6, 0.75, 0.85]
    assert ax.get_xlabel().startswith("mean Jaccard")
    plt.close("all")


def test_progress_bar_text(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, _ = _blobs(n=100, k=2, std=0.5, seed=12)
    bootstrap_stability(X, 2, 4, random_state=0, progress=True)
    assert "bootstrap replicates  4/4" in capsys.readouterr().err


# --- (6) bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_boot": 0}, "n_boot"),
        ({"n_boot": 2.5}, "n_boot"),
        ({"scheme": "jackknife"}, "scheme"),
        ({"subsample_fraction": 0.0}, "subsample_fraction"),
        ({"subsample_fraction": 1.0}, "subsample_fraction"),
        ({"scheme": "subsample", "subsample_fraction": 0.01}, "subsample_fraction"),
        ({"progress": "yes"}, "progress"),
        ({"dissolution": 2.0}, "dissolution"),
    ],
)
def test_bad_parameters(kwargs, match):
    X, _ = _blobs(n=100, k=3, std=0.5, seed=13)
    with pytest.raises(InvalidParameterError, match=match):
        bootstrap_stability(X, 3, **{"n_boot": 3, "progress": False, **kwargs})


@pytest.mark.parametrize("k", [1, 100, True, 2.0, "three"])
def test_bad_k(k):
    X, _ = _blobs(n=100, k=3, std=0.5, seed=13)
    with pytest.raises(InvalidParameterError, match="k|estimator_or_k"):
        bootstrap_stability(X, k, 3, progress=False)


def test_bad_kmeans_instance():
    X, _ = _blobs(n=10, k=2, std=0.5, seed=13)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        bootstrap_stability(X, KMeans(10), 3, progress=False)


def test_nan_names_the_column():
    X, _ = _blobs(n=100, k=3, std=0.5, seed=14)
    df = pd.DataFrame(X, columns=["recency", "spend"])
    df.loc[3, "spend"] = np.nan
    with pytest.raises(NonFiniteError, match="spend"):
        bootstrap_stability(df, 3, 3, progress=False)


def test_identical_points_are_explained():
    with pytest.raises(NotEnoughSamplesError, match="all points identical"):
        bootstrap_stability(np.ones((20, 3)), 3, 3, random_state=0, progress=False)
    X = np.repeat([[0.0, 0.0], [5.0, 5.0]], 10, axis=0)
    with pytest.raises(NotEnoughSamplesError, match="2 distinct row"):
        bootstrap_stability(X, 3, 3, random_state=0, progress=False)


def test_one_cluster_is_rejected():
    X, _ = _blobs(n=100, k=3, std=0.5, seed=15)
    with pytest.raises(InvalidParameterError, match="1 segment"):
        bootstrap_stability(X, DBSCAN(eps=1000.0), 3, progress=False)


def test_tiny_resamples_are_skipped_with_a_warning():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0], [20.0, 0.0]])
    with pytest.warns(RuntimeWarning, match=r"replicates were skipped"):
        res = bootstrap_stability(X, 4, 30, random_state=0, progress=False)
    assert 0 < res.n_skipped < 30
    skipped_rows = np.isnan(res.jaccard).all(axis=1)
    assert skipped_rows.sum() >= res.n_skipped
    assert (res.table["n_replicates"] <= 30 - res.n_skipped).all()


def test_caller_data_not_modified():
    X, _ = _blobs(n=100, k=3, std=0.5, seed=16)
    before = X.copy()
    bootstrap_stability(X, 3, 3, random_state=0, progress=False)
    np.testing.assert_array_equal(X, before)
