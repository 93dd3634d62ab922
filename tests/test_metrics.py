"""segwise.metrics against scikit-learn (oracle) and a numpy reference."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import blobs, outputs_on_threads, ticks_during
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from segwise import _core, metrics
from segwise.exceptions import (
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    SegwiseError,
    ShapeMismatchError,
)
from sklearn import metrics as skm

SCORES = [
    (metrics.silhouette_score, skm.silhouette_score),
    (metrics.calinski_harabasz_score, skm.calinski_harabasz_score),
    (metrics.davies_bouldin_score, skm.davies_bouldin_score),
]


def _silhouette_reference(X, labels):
    """Direct O(n^2) silhouette with exact (difference-based) distances."""
    D = cdist(X, X)
    uniq, y = np.unique(labels, return_inverse=True)
    out = np.zeros(len(X))
    for i in range(len(X)):
        own = y == y[i]
        if own.sum() < 2:
            continue
        a = D[i, own].sum() / (own.sum() - 1)
        b = min(D[i, y == c].mean() for c in range(len(uniq)) if c != y[i])
        out[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return out


def _simplified_reference(X, labels, centers=None):
    uniq, y = np.unique(labels, return_inverse=True)
    if centers is None:
        centers = np.array([X[y == c].mean(axis=0) for c in range(len(uniq))])
    else:
        y = np.asarray(labels)
    D = cdist(X, centers)
    a = D[np.arange(len(X)), y]
    D[np.arange(len(X)), y] = np.inf
    b = D.min(axis=1)
    s = np.where(np.maximum(a, b) > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    counts = np.bincount(y, minlength=len(centers))
    return np.where(counts[y] < 2, 0.0, s)


def _davies_bouldin_reference(X, labels):
    """Davies-Bouldin with difference-based distances (exact 0 for a singleton)."""
    uniq, y = np.unique(labels, return_inverse=True)
    cent = np.array([X[y == c].mean(axis=0) for c in range(len(uniq))])
    s = np.array([np.linalg.norm(X[y == c] - cent[c], axis=1).mean() for c in range(len(uniq))])
    D = cdist(cent, cent)
    D[D == 0] = np.inf
    return float(np.mean(np.max((s[:, None] + s) / D, axis=1)))


# ---------------------------------------------------------------- values vs scikit-learn


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("ours,theirs", SCORES)
def test_scores_match_sklearn_on_blobs(seed, ours, theirs):
    X, y = blobs(n=300, d=4, k=5, seed=seed)
    np.testing.assert_allclose(ours(X, y), theirs(X, y), rtol=1e-10)


def test_silhouette_samples_match_sklearn_and_exact_reference():
    X, y = blobs(n=400, d=6, k=7, seed=3)
    ours = metrics.silhouette_samples(X, y)
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, y), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours, _silhouette_reference(X, y), rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 70),
    d=st.integers(1, 9),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_random_cases_match_sklearn(n, d, k, seed, scale):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale
    labels = rng.integers(0, min(k, n - 1), size=n)
    labels[: min(k, n - 1)] = np.arange(min(k, n - 1))  # at least 2 labels, < n
    if len(np.unique(labels)) >= n:
        return
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels),
        _silhouette_reference(X, labels),
        rtol=1e-11,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels),
        skm.silhouette_samples(X, labels),
        rtol=1e-7,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(X, labels),
        skm.calinski_harabasz_score(X, labels),
        rtol=1e-10,
    )
    db = metrics.davies_bouldin_score(X, labels)
    np.testing.assert_allclose(db, _davies_bouldin_reference(X, labels), rtol=1e-11)
    if np.bincount(labels).min() > 1:
        # With singletons, scikit-learn's dot-product distance from a point to itself is
        # ~1e-7 instead of 0 (see test_singleton_clusters_score_zero).
        np.testing.assert_allclose(db, skm.davies_bouldin_score(X, labels), rtol=1e-9)


def test_string_and_mixed_labels():
    X, y = blobs(n=120, d=4, k=3, seed=1)
    names = np.array(["gold", "silver", "bronze"])[y]
    for ours, theirs in SCORES:
        np.testing.assert_allclose(ours(X, names), theirs(X, names), rtol=1e-10)
        np.testing.assert_allclose(ours(X, list(names)), theirs(X, y), rtol=1e-10)
    mixed = np.array([1, "a", 2.5], dtype=object)[y]
    np.testing.assert_allclose(
        metrics.silhouette_score(X, mixed), skm.silhouette_score(X, y), rtol=1e-10
    )
    series = pd.Series(names, index=np.arange(120) + 1000)
    # beside an array, a Series is taken by position
    np.testing.assert_allclose(
        metrics.silhouette_score(X, series), skm.silhouette_score(X, y), rtol=1e-10
    )
    # beside a DataFrame, by index (in any order); ids missing from either side raise
    frame = pd.DataFrame(X, index=series.index)
    shuffled = series.sample(frac=1, random_state=0)
    for ours, theirs in SCORES:
        np.testing.assert_allclose(ours(frame, shuffled), theirs(X, y), rtol=1e-10)
    with pytest.raises(ShapeMismatchError, match="120 row"):
        metrics.silhouette_score(pd.DataFrame(X), series)


def test_singleton_clusters_score_zero():
    X, y = blobs(n=60, d=4, k=3, seed=2)
    y = y.copy()
    y[[0, 5]] = [10, 11]  # two singleton clusters
    ours = metrics.silhouette_samples(X, y)
    assert ours[0] == 0.0 and ours[5] == 0.0
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, y), rtol=1e-9, atol=1e-12)
    for score, theirs in SCORES[:2]:
        np.testing.assert_allclose(score(X, y), theirs(X, y), rtol=1e-10)
    # scikit-learn's dot-product distances put a singleton ~1e-7 away from its own
    # centroid (here 1.2e-7 instead of 0), which moves its DB value by ~4e-8 relative;
    # segwise's is exact: compare tightly with a direct reference, loosely with sklearn.
    db = metrics.davies_bouldin_score(X, y)
    np.testing.assert_allclose(db, _davies_bouldin_reference(X, y), rtol=1e-12)
    np.testing.assert_allclose(db, skm.davies_bouldin_score(X, y), rtol=1e-6)


def test_degenerate_edge_cases_follow_sklearn():
    # Every cluster is one repeated point: CH = 1.0, DB = 0.0 (sklearn's conventions).
    X = np.array([[0.0, 0.0]] * 5 + [[3.0, 3.0]] * 5)
    y = [0] * 5 + [1] * 5
    assert metrics.calinski_harabasz_score(X, y) == skm.calinski_harabasz_score(X, y) == 1.0
    assert metrics.davies_bouldin_score(X, y) == skm.davies_bouldin_score(X, y) == 0.0
    # All points identical: a = b = 0 -> silhouette 0.
    Z = np.ones((6, 2))
    assert metrics.silhouette_score(Z, [0, 0, 0, 1, 1, 1]) == 0.0
    assert skm.silhouette_score(Z, [0, 0, 0, 1, 1, 1]) == 0.0
    # Two labels, n = 3: the smallest valid case.
    X3 = np.array([[0.0], [1.0], [5.0]])
    for ours, theirs in SCORES:
        np.testing.assert_allclose(ours(X3, [0, 0, 1]), theirs(X3, [0, 0, 1]), rtol=1e-12)


def test_float32_and_dataframe_inputs():
    X, y = blobs(n=200, d=4, k=5, seed=4)
    X32 = X.astype(np.float32)
    X32_as64 = X32.astype(np.float64)
    for ours, theirs in SCORES:
        np.testing.assert_allclose(ours(X32, y), theirs(X32_as64, y), rtol=1e-9)
        np.testing.assert_allclose(ours(pd.DataFrame(X), y), theirs(X, y), rtol=1e-10)
    assert metrics.silhouette_samples(X32, y).dtype == np.float64


def test_inputs_not_mutated():
    X, y = blobs(n=100, d=4, k=5, seed=5)
    X_f = np.asfortranarray(X)
    X_copy, y_copy = X_f.copy(), y.copy()
    df = pd.DataFrame(X)
    df_copy = df.copy()
    for ours, _ in SCORES:
        ours(X_f, y)
        ours(df, y)
    metrics.simplified_silhouette_score(X_f, y)
    np.testing.assert_array_equal(X_f, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    pd.testing.assert_frame_equal(df, df_copy)


# ---------------------------------------------------------------- sample_size


def test_sample_size_reproducible_and_equal_to_sklearn_on_same_subset():
    X, y = blobs(n=500, d=4, k=5, seed=6)
    a = metrics.silhouette_score(X, y, sample_size=120, random_state=7)
    b = metrics.silhouette_score(X, y, sample_size=120, random_state=7)
    c = metrics.silhouette_score(X, y, sample_size=120, random_state=8)
    assert a == b
    assert a != c
    # The documented subset: numpy's default_rng(seed), 120 distinct indices, sorted.
    idx = np.sort(np.random.default_rng(7).choice(500, size=120, replace=False))
    np.testing.assert_allclose(a, skm.silhouette_score(X[idx], y[idx]), rtol=1e-9)
    # sample_size >= n_samples: the whole data, as scikit-learn.
    np.testing.assert_allclose(
        metrics.silhouette_score(X, y, sample_size=10_000, random_state=0),
        skm.silhouette_score(X, y),
        rtol=1e-10,
    )
    # A numpy Generator is accepted as random_state.
    g = metrics.silhouette_score(X, y, sample_size=50, random_state=np.random.default_rng(1))
    assert -1.0 <= g <= 1.0


def test_sample_size_validation():
    X, y = blobs(n=50, d=4, k=5, seed=0)
    with pytest.raises(InvalidParameterError, match="sample_size"):
        metrics.silhouette_score(X, y, sample_size=0)
    with pytest.raises(InvalidParameterError, match="sample_size"):
        metrics.silhouette_score(X, y, sample_size=2.5)
    with pytest.raises(InvalidParameterError, match="Number of labels is"):
        metrics.silhouette_score(X, np.r_[0, np.ones(49)], sample_size=1, random_state=0)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "fn",
    [
        metrics.silhouette_samples,
        metrics.silhouette_score,
        metrics.calinski_harabasz_score,
        metrics.davies_bouldin_score,
        metrics.simplified_silhouette_score,
    ],
)
def test_bad_inputs(fn):
    X, y = blobs(n=30, d=4, k=5, seed=0)
    with pytest.raises(InvalidParameterError, match="Number of labels is 1. Valid values"):
        fn(X, np.zeros(30))
    with pytest.raises(InvalidParameterError, match="Number of labels is 30"):
        fn(X, np.arange(30))
    with pytest.raises(ShapeMismatchError, match="entries but X has 30 rows"):
        fn(X, y[:-1])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="NaN"):
        fn(bad, y)
    bad[3, 1] = np.inf
    with pytest.raises(NonFiniteError, match="infinity"):
        fn(bad, y)
    with pytest.raises(EmptyInputError, match="0 sample"):
        fn(np.zeros((0, 2)), [])
    with pytest.raises(SegwiseError):  # all are ValueErrors for sklearn-style callers
        fn(X, np.zeros(30))


def test_sklearn_message_matches():
    X, _ = blobs(n=10, d=4, k=5, seed=0)
    with pytest.raises(ValueError) as theirs:
        skm.silhouette_score(X, np.zeros(10))
    # segwise's message carries scikit-learn's sentence, with a prefix naming `labels`.
    with pytest.raises(InvalidParameterError, match=re.escape(str(theirs.value))):
        metrics.silhouette_score(X, np.zeros(10))
    with pytest.raises(InvalidParameterError, match="labels"):
        metrics.silhouette_score(X, np.array(["a"] * 10))


# ---------------------------------------------------------------- simplified silhouette


@pytest.mark.parametrize("seed", range(3))
def test_simplified_matches_numpy_reference(seed):
    X, y = blobs(n=250, d=5, k=4, seed=seed)
    labels = np.array(list("wxyz"))[y]
    np.testing.assert_allclose(
        metrics.simplified_silhouette_samples(X, labels),
        _simplified_reference(X, labels),
        rtol=1e-12,
        atol=1e-14,
    )
    np.testing.assert_allclose(
        metrics.simplified_silhouette_score(X, labels),
        _simplified_reference(X, labels).mean(),
        rtol=1e-12,
    )


def test_simplified_with_centers_and_singletons():
    X, y = blobs(n=200, d=3, k=3, seed=9)
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(5, 3)) * 5  # 5 centers, two of them unused
    ours = metrics.simplified_silhouette_samples(X, y, centers=centers)
    np.testing.assert_allclose(ours, _simplified_reference(X, y, centers), rtol=1e-12)
    y2 = y.copy()
    y2[0] = 4  # alone in its cluster -> 0
    assert metrics.simplified_silhouette_samples(X, y2, centers=centers)[0] == 0.0
    # It is a different statistic from the silhouette.
    assert metrics.simplified_silhouette_score(X, y) != pytest.approx(
        metrics.silhouette_score(X, y), rel=1e-3
    )


def test_simplified_bad_inputs():
    X, y = blobs(n=40, d=3, k=3, seed=0)
    c = np.zeros((3, 3))
    with pytest.raises(ShapeMismatchError, match="columns"):
        metrics.simplified_silhouette_score(X, y, centers=np.zeros((3, 2)))
    with pytest.raises(InvalidParameterError, match="at least 2 centers"):
        metrics.simplified_silhouette_score(X, np.zeros(40, dtype=int), centers=c[:1])
    with pytest.raises(InvalidParameterError, match="row indices"):
        metrics.simplified_silhouette_score(X, y + 1, centers=c)
    with pytest.raises(InvalidParameterError, match="integer row indices"):
        metrics.simplified_silhouette_score(X, y.astype(str), centers=c)
    with pytest.raises(ShapeMismatchError, match="entries"):
        metrics.simplified_silhouette_score(X, y[:5], centers=c)
    c_nan = c.copy()
    c_nan[0, 0] = np.nan
    with pytest.raises(NonFiniteError):
        metrics.simplified_silhouette_score(X, y, centers=c_nan)


# ---------------------------------------------------------------- threads, larger sizes


def test_blocked_kernel_tails_and_many_clusters():
    # Sizes that are not multiples of the kernel's lanes/rows/tiles, many clusters.
    X, y = blobs(n=2113, d=3, k=37, seed=11)
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, y), skm.silhouette_samples(X, y), rtol=1e-9, atol=1e-12
    )


@pytest.mark.slow
def test_silhouette_large_matches_sklearn():
    X, y = blobs(n=20_000, d=12, k=8, seed=0)
    np.testing.assert_allclose(
        metrics.silhouette_score(X, y), skm.silhouette_score(X, y), rtol=1e-9
    )


def test_same_values_on_one_and_two_threads():
    # Per-row silhouette work and chunk-ordered reductions: bitwise equal for any pool size.
    code = (
        "import json, numpy as np; from sklearn.datasets import make_blobs; "
        "import segwise.metrics as m; "
        "X, y = make_blobs(n_samples=3001, n_features=5, centers=6, random_state=4); "
        "print(json.dumps([m.silhouette_score(X, y), m.calinski_harabasz_score(X, y), "
        "m.davies_bouldin_score(X, y), m.simplified_silhouette_score(X, y)]))"
    )
    one, two = (json.loads(out) for out in outputs_on_threads(code))
    assert one == two


def test_gil_released_during_silhouette():
    X, y = blobs(n=20_000, d=12, k=8, seed=0)
    labels = y.astype(np.int64)
    # All pairwise distances, 20,000^2 x 12: a good second of Rust work, so a released GIL
    # gives the ticker hundreds of ticks; a held one gives exactly none (conftest.ticks_during).
    scores, ticks = ticks_during(lambda: _core.silhouette_samples(x=X, labels=labels))
    assert scores.shape == (len(X),)
    assert ticks >= 20, ticks
