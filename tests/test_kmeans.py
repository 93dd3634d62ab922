"""segwise.cluster.KMeans against scikit-learn's KMeans (the oracle) and its invariants."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import blobs
from hypothesis import given, settings
from hypothesis import strategies as st
from segwise import _core
from segwise.cluster import KMeans, MiniBatchKMeans
from segwise.exceptions import (
    ConvergenceWarning,
    EmptyInputError,
    FeatureNamesError,
    FittedStateError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NotEnoughSamplesError,
    NotFittedError,
    ShapeMismatchError,
)
from sklearn.base import clone
from sklearn.cluster import KMeans as SkKMeans


def _init_rows(X, k, seed):
    rng = np.random.default_rng(seed)
    return X[rng.choice(len(X), k, replace=False)].copy()


DATASETS = {
    # well separated: few iterations
    "blobs": dict(n=3000, d=5, k=6, std=1.0, seed=0),
    # heavily overlapping: many iterations, many label changes (stresses the bounds)
    "overlap": dict(n=2500, d=3, k=8, std=4.0, seed=1),
    # wide data
    "wide": dict(n=1500, d=40, k=5, std=3.0, seed=2),
}


@functools.cache
def _oracle_case(name, weighted):
    """Data, k, initial centres, weights and scikit-learn's fit (computed once per case)."""
    spec = DATASETS[name]
    X, _ = blobs(**spec)
    k = spec["k"]
    init = _init_rows(X, k, seed=3)
    w = np.random.default_rng(5).uniform(0.2, 3.0, len(X)) if weighted else None
    ref = SkKMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
    return X, k, init, w, ref


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan", "auto"])
@pytest.mark.parametrize("weighted", [False, True])
def test_same_start_matches_sklearn_lloyd(name, algorithm, weighted):
    X, k, init, w, ref = _oracle_case(name, weighted)
    got = KMeans(k, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    assert got.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=1e-9)
    assert got.labels_.dtype == np.int32
    assert got.cluster_centers_.dtype == np.float64


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_float32_matches_sklearn_and_stays_float32(algorithm):
    X, _ = blobs(n=3000, d=4, k=5, std=1.5, seed=4, dtype=np.float32)
    init = _init_rows(X, 5, seed=1)
    ref = SkKMeans(5, init=init, n_init=1).fit(X)
    got = KMeans(5, init=init, n_init=1, algorithm=algorithm).fit(X)
    assert got.cluster_centers_.dtype == np.float32
    assert got.transform(X[:3]).dtype == np.float32
    assert got.n_iter_ == ref.n_iter_
    assert (got.labels_ == ref.labels_).mean() > 0.999
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=1e-4)


def test_max_iter_stop_matches_sklearn_and_is_consistent():
    X, _ = blobs(**DATASETS["overlap"])
    init = _init_rows(X, 8, seed=0)
    ref = SkKMeans(8, init=init, n_init=1, max_iter=2).fit(X)
    for algorithm in ["lloyd", "hamerly"]:
        got = KMeans(8, init=init, n_init=1, max_iter=2, algorithm=algorithm).fit(X)
        assert got.n_iter_ == 2
        np.testing.assert_array_equal(got.labels_, ref.labels_)
        np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-9)
        # labels_/inertia_ always belong to the final centres
        np.testing.assert_array_equal(got.labels_, got.predict(X))
        np.testing.assert_allclose(got.inertia_, -got.score(X), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_hamerly_equals_lloyd_from_random_starts(seed):
    X, _ = blobs(n=5000, d=6, k=10, std=3.0, seed=seed)
    init = _init_rows(X, 10, seed=seed + 10)
    a = KMeans(10, init=init, algorithm="lloyd").fit(X)
    b = KMeans(10, init=init, algorithm="hamerly").fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)


def test_kmeanspp_quality_comparable_to_sklearn():
    X, _ = blobs(n=4000, d=4, k=7, std=1.2, seed=11)
    ours = [KMeans(7, random_state=s).fit(X).inertia_ for s in range(6)]
    theirs = [SkKMeans(7, random_state=s).fit(X).inertia_ for s in range(6)]
    assert np.mean(ours) <= np.mean(theirs) * 1.01
    # n_init restarts never make it worse than the first restart alone
    best = KMeans(7, n_init=5, random_state=0).fit(X).inertia_
    assert best <= KMeans(7, n_init=1, random_state=0).fit(X).inertia_ * (1 + 1e-12)


def test_random_init_quality():
    X, _ = blobs(n=3000, d=3, k=5, std=1.0, seed=3)
    ours = KMeans(5, init="random", random_state=0).fit(X).inertia_
    theirs = SkKMeans(5, init="random", random_state=0).fit(X).inertia_
    np.testing.assert_allclose(ours, theirs, rtol=0.01)


def test_n_init_auto():
    X, _ = blobs(n=2000, d=3, k=6, std=2.5, seed=7)
    # k-means++: auto means one run
    a = KMeans(6, random_state=1).fit(X)
    b = KMeans(6, n_init=1, random_state=1).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    # random: auto means ten runs
    r_auto = KMeans(6, init="random", random_state=1).fit(X)
    r10 = KMeans(6, init="random", n_init=10, random_state=1).fit(X)
    np.testing.assert_array_equal(r_auto.cluster_centers_, r10.cluster_centers_)
    r1 = KMeans(6, init="random", n_init=1, random_state=1).fit(X)
    assert r_auto.inertia_ <= r1.inertia_
    # callable: auto means ten calls, each with a RandomState
    calls = []

    def init(X, n_clusters, random_state):
        calls.append(random_state)
        return X[random_state.choice(len(X), n_clusters, replace=False)]

    KMeans(6, init=init, random_state=0).fit(X)
    assert len(calls) == 10
    assert all(isinstance(rs, np.random.RandomState) for rs in calls)


def test_array_init_with_n_init_warns_and_runs_once():
    X, _ = blobs(n=500, d=2, k=3, seed=1)
    init = _init_rows(X, 3, seed=0)
    with pytest.warns(RuntimeWarning, match="only one init"):
        km = KMeans(3, init=init, n_init=4).fit(X)
    ref = KMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_empty_cluster_relocated_to_farthest_point(algorithm):
    X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.2], [5.0, 5.0], [5.1, 5.0], [9.0, 9.5]])
    init = np.array([[0.0, 0.0], [5.0, 5.0], [1e3, 1e3]])
    km = KMeans(3, init=init, algorithm=algorithm).fit(X)
    ref = SkKMeans(3, init=init, n_init=1).fit(X)
    # the far centre got no point: it moves onto the farthest point (9, 9.5)
    np.testing.assert_allclose(km.cluster_centers_[2], [9.0, 9.5])
    np.testing.assert_array_equal(km.labels_, [0, 0, 0, 1, 1, 2])
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    np.testing.assert_allclose(km.inertia_, ref.inertia_, rtol=1e-12)


def test_final_assignment_consistency_random_init():
    X, _ = blobs(n=3000, d=4, k=9, std=4.0, seed=9)
    for max_iter in (1, 3):
        km = KMeans(9, init="random", n_init=3, max_iter=max_iter, random_state=0).fit(X)
        np.testing.assert_array_equal(km.labels_, km.predict(X))
        d2 = ((X - km.cluster_centers_[km.labels_]) ** 2).sum()
        np.testing.assert_allclose(km.inertia_, d2, rtol=1e-12)


def test_convergence_warning_with_duplicate_points():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), 4, axis=0)
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\)"):
        km = KMeans(n_clusters=5, random_state=0).fit(X)
    assert len(np.unique(km.labels_)) == 3


def test_reproducible_and_thread_count_independent():
    X, _ = blobs(n=20000, d=5, k=8, std=3.0, seed=5)
    a = KMeans(8, n_init=3, random_state=42).fit(X)
    b = KMeans(8, n_init=3, random_state=42).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    for algorithm in ["lloyd", "hamerly"]:
        outs = [
            _core.kmeans_fit(
                X,
                sample_weight=None,
                n_clusters=8,
                init="k-means++",
                init_centers=None,
                n_init=3,
                max_iter=300,
                tol=1e-4,
                algorithm=algorithm,
                seed=7,
                n_threads=t,
            )
            for t in (1, 2)
        ]
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        np.testing.assert_array_equal(outs[0][1], outs[1][1])
        assert outs[0][2] == outs[1][2]
        assert outs[0][3] == outs[1][3]
    p1 = _core.kmeans_predict(X, a.cluster_centers_, n_threads=1)
    p2 = _core.kmeans_predict(X, a.cluster_centers_, n_threads=2)
    np.testing.assert_array_equal(p1, p2)


def test_dataframe_in_dataframe_out():
    X, _ = blobs(n=300, d=3, k=3, seed=2)
    df = pd.DataFrame(X, columns=["recency", "frequency", "monetary"], index=np.arange(300) * 7)
    km = KMeans(3, random_state=0).fit(df)
    assert km.feature_names_in_.tolist() == ["recency", "frequency", "monetary"]
    assert km.n_features_in_ == 3
    out = km.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(df.index)
    assert out.columns.tolist() == ["kmeans0", "kmeans1", "kmeans2"]
    np.testing.assert_allclose(
        out.to_numpy(),
        np.sqrt(((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)),
        rtol=1e-12,
    )
    ft = KMeans(3, random_state=0).fit_transform(df)
    assert isinstance(ft, pd.DataFrame) and ft.index.equals(df.index)
    assert isinstance(km.transform(X), np.ndarray)
    assert km.get_feature_names_out().tolist() == ["kmeans0", "kmeans1", "kmeans2"]


def test_integer_weights_equal_repeated_rows():
    X, _ = blobs(n=400, d=3, k=4, std=2.0, seed=8)
    w = np.random.default_rng(0).integers(1, 4, len(X))
    init = _init_rows(X, 4, seed=2)
    a = KMeans(4, init=init).fit(X, sample_weight=w)
    b = KMeans(4, init=init).fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(np.repeat(a.labels_, w), b.labels_)
    np.testing.assert_allclose(-a.score(X, sample_weight=w), a.inertia_, rtol=1e-12)


def test_zero_weight_rows_do_not_move_centres():
    X, _ = blobs(n=300, d=2, k=3, seed=1)
    far = np.vstack([X, [[1e4, 1e4]]])
    w = np.r_[np.ones(len(X)), 0.0]
    init = _init_rows(X, 3, seed=0)
    # tol=0: the tolerance scales with the (unweighted) variance of X, as in scikit-learn
    a = KMeans(3, init=init, tol=0.0).fit(far, sample_weight=w)
    b = KMeans(3, init=init, tol=0.0).fit(X)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    for seed in range(5):  # seeding never picks a zero-weight row
        km = KMeans(3, random_state=seed, max_iter=1).fit(far, sample_weight=w)
        assert np.abs(km.cluster_centers_).max() < 1e3


def test_predict_fast_path_matches_slow_path_and_validates():
    X, _ = blobs(n=500, d=4, k=3, seed=3)
    km = KMeans(3, random_state=0).fit(X)
    row = np.ascontiguousarray(X[:1])
    assert km.predict(row)[0] == km.labels_[0]
    assert km.predict(row.tolist())[0] == km.labels_[0]
    np.testing.assert_array_equal(km.predict(X[::-1].copy()), km.labels_[::-1])
    bad = row.copy()
    bad[0, 2] = np.nan
    with pytest.raises(NonFiniteError, match="x2"):
        km.predict(bad)
    with pytest.raises(ShapeMismatchError, match="features"):
        km.predict(np.zeros((1, 3)))


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        KMeans(2).predict(np.zeros((2, 2)))


def test_bad_inputs():
    X, _ = blobs(n=50, d=2, k=2, seed=0)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        KMeans(0).fit(X)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        KMeans(2.5).fit(X)  # type: ignore[arg-type]
    with pytest.raises(NotEnoughSamplesError, match="n_samples=50 should be >= n_clusters=60"):
        KMeans(60).fit(X)
    with pytest.raises(InvalidWeightsError, match="negative"):
        KMeans(2).fit(X, sample_weight=np.r_[-1.0, np.ones(49)])
    with pytest.raises(InvalidWeightsError, match="all zero"):
        KMeans(2).fit(X, sample_weight=np.zeros(50))
    with pytest.raises(ShapeMismatchError, match="sample_weight"):
        KMeans(2).fit(X, sample_weight=np.ones(3))
    with pytest.raises(ShapeMismatchError, match="number of clusters"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ShapeMismatchError, match="number of features"):
        KMeans(2, init=np.zeros((2, 5))).fit(X)
    with pytest.raises(NonFiniteError, match="init"):
        KMeans(2, init=np.array([[0.0, np.inf], [1.0, 1.0]])).fit(X)
    with pytest.raises(InvalidParameterError, match="init"):
        KMeans(2, init="kmeans++").fit(X)
    with pytest.raises(InvalidParameterError, match="n_init"):
        KMeans(2, n_init=0).fit(X)
    with pytest.raises(InvalidParameterError, match="n_init"):
        KMeans(2, n_init="always").fit(X)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="max_iter"):
        KMeans(2, max_iter=0).fit(X)
    with pytest.raises(InvalidParameterError, match="tol"):
        KMeans(2, tol=-1.0).fit(X)
    with pytest.raises(InvalidParameterError, match="algorithm"):
        KMeans(2, algorithm="fast").fit(X)
    with pytest.raises(InvalidParameterError, match="random_state"):
        KMeans(2, random_state="x").fit(X)
    with pytest.raises(EmptyInputError, match="0 sample"):
        KMeans(2).fit(np.zeros((0, 2)))
    nan = X.copy()
    nan[3, 1] = np.nan
    df = pd.DataFrame(nan, columns=["spend", "visits"])
    with pytest.raises(NonFiniteError, match="'visits'"):
        KMeans(2).fit(df)
    with pytest.raises(InvalidWeightsError, match="positive weight"):
        KMeans(3, init="random").fit(X, sample_weight=np.r_[1.0, 1.0, np.zeros(48)])


def test_feature_names_checked_at_predict():
    X, _ = blobs(n=100, d=3, k=2, seed=0)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    km = KMeans(2, random_state=0).fit(df)
    with pytest.raises(FeatureNamesError, match="order"):
        km.predict(df[["b", "a", "c"]])
    with pytest.raises(FeatureNamesError, match="unexpected"):
        km.transform(df.rename(columns={"c": "z"}))
    np.testing.assert_array_equal(km.predict(df), km.labels_)


def test_no_input_mutation_and_read_only_input():
    X, _ = blobs(n=400, d=3, k=4, seed=6)
    X.flags.writeable = False
    w = np.ones(400)
    init = _init_rows(X, 4, seed=0)
    before = (X.copy(), w.copy(), init.copy())
    km = KMeans(4, init=init).fit(X, sample_weight=w)
    km.predict(X)
    km.transform(X)
    km.score(X, sample_weight=w)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(w, before[1])
    np.testing.assert_array_equal(init, before[2])
    assert not np.shares_memory(km.cluster_centers_, init)


def test_fortran_and_int_input():
    X, _ = blobs(n=300, d=3, k=3, seed=1)
    init = _init_rows(X, 3, seed=0)
    a = KMeans(3, init=init).fit(np.asfortranarray(X))
    b = KMeans(3, init=init).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    Xi = np.round(X).astype(np.int64)
    km = KMeans(3, random_state=0).fit(Xi)
    assert km.cluster_centers_.dtype == np.float64


def test_clone_pickle_and_repr():
    X, _ = blobs(n=200, d=2, k=3, seed=2)
    km = KMeans(3, random_state=0, algorithm="lloyd").fit(X)
    assert clone(km).get_params() == km.get_params()
    again = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(again.predict(X), km.labels_)
    assert "algorithm='lloyd'" in repr(km)


def test_single_cluster_and_k_equals_n():
    X, _ = blobs(n=20, d=2, k=2, seed=0)
    one = KMeans(1, random_state=0).fit(X)
    np.testing.assert_allclose(one.cluster_centers_[0], X.mean(axis=0), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = KMeans(20, random_state=0).fit(X)
    assert full.inertia_ == 0.0
    assert sorted(full.labels_.tolist()) == list(range(20))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    data=st.integers(0, 2**31 - 1),
    n=st.integers(1, 60),
    d=st.integers(1, 5),
    k=st.integers(1, 6),
    duplicates=st.booleans(),
)
def test_property_consistency_and_hamerly_equals_lloyd(data, n, d, k, duplicates):
    rng = np.random.default_rng(data)
    k = min(k, n)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 100)
    if duplicates:
        X = np.round(X[rng.integers(0, max(1, n // 3), n)], 1)
    init = X[rng.choice(n, k, replace=False)] + rng.normal(scale=0.01, size=(k, d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = KMeans(k, init=init, algorithm="lloyd").fit(X)
        b = KMeans(k, init=init, algorithm="hamerly").fit(X)
    for km in (a, b):
        np.testing.assert_array_equal(km.labels_, km.predict(X))
        recomputed = ((X - km.cluster_centers_[km.labels_]) ** 2).sum()
        np.testing.assert_allclose(km.inertia_, recomputed, rtol=1e-9, atol=1e-9)
    if not duplicates:  # duplicated rows make exact distance ties, resolved by rounding
        assert a.n_iter_ == b.n_iter_
        np.testing.assert_allclose(b.inertia_, a.inertia_, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- issue 12 C
# The Hamerly bounds are stored as f32 (rounded outward) relative to each centre's summed
# drift, and restarts share one set of per-row buffers: neither may change a result.


@pytest.mark.parametrize("scale", [2.0**140, 2.0**-140, 2.0**64, 1.0])
@pytest.mark.parametrize("algorithm", ["hamerly", "lloyd"])
def test_bounds_beyond_float32_range_change_nothing(scale, algorithm):
    # Distances of about 1e43 (beyond f32: the bounds saturate) and 1e-41 (f32 subnormals):
    # scaling by a power of two is exact, so the fit must be the scaled one, bit for bit,
    # and equal to scikit-learn's.
    X, _ = blobs(n=3000, d=4, k=6, std=2.5, seed=4)
    init = _init_rows(X, 6, seed=1)
    kw = dict(n_init=1, max_iter=200, tol=0.0)
    base = KMeans(6, init=init, algorithm=algorithm, **kw).fit(X)
    scaled = KMeans(6, init=init * scale, algorithm=algorithm, **kw).fit(X * scale)
    np.testing.assert_array_equal(scaled.labels_, base.labels_)
    np.testing.assert_array_equal(scaled.cluster_centers_, base.cluster_centers_ * scale)
    assert scaled.n_iter_ == base.n_iter_
    ref = SkKMeans(6, init=init, algorithm="lloyd", **kw).fit(X)
    np.testing.assert_array_equal(base.labels_, ref.labels_)
    np.testing.assert_allclose(base.cluster_centers_, ref.cluster_centers_, rtol=0, atol=1e-9)


def _core_fit(X, k, *, init="k-means++", init_centers=None, **kw):
    """``_core.kmeans_fit`` with this section's defaults (one Hamerly run, seed 0)."""
    args = dict(n_init=1, max_iter=300, tol=1e-4, algorithm="hamerly", seed=0) | kw
    return _core.kmeans_fit(
        X, sample_weight=None, n_clusters=k, init=init, init_centers=init_centers, **args
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_long_run_equals_scikit_learn_on_one_or_two_threads(dtype):
    # The long run, small: every iteration runs (tol=0), so bounds drift for long.
    X, _ = blobs(n=40_000, d=12, k=8, std=4.0, seed=7, dtype=dtype)
    init = _init_rows(X, 8, seed=2)
    long = dict(init_centers=init[None], max_iter=60, tol=0.0)
    outs = [_core_fit(X, 8, n_threads=t, **long) for t in (1, 2)]
    for a, b in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert outs[0][3] > 20  # a long run (it stops early only when no label changes)
    lloyd = _core_fit(X, 8, algorithm="lloyd", **long)
    np.testing.assert_array_equal(outs[0][1], lloyd[1])
    # Hamerly's sums are incremental, Lloyd's recomputed: the last bits may differ.
    np.testing.assert_allclose(outs[0][0], lloyd[0], rtol=0, atol=1e-9)
    assert outs[0][3] == lloyd[3]
    if dtype == np.float64:
        ref = SkKMeans(8, init=init, n_init=1, max_iter=60, tol=0.0).fit(X)
        np.testing.assert_array_equal(outs[0][1], ref.labels_)
        assert outs[0][3] == ref.n_iter_
        np.testing.assert_allclose(outs[0][0], ref.cluster_centers_, rtol=0, atol=1e-9)


def test_restarts_on_large_input_match_one_and_two_threads():
    # 70,000 rows: restarts run one after another (each parallel inside) and share their
    # buffers; the best restart must not depend on the thread count.
    X, _ = blobs(n=70_000, d=3, k=5, std=6.0, seed=9)
    outs = [
        _core_fit(X, 5, init=init, n_init=4, seed=3, n_threads=t)
        for init in ("k-means++", "random")
        for t in (1, 2)
    ]
    for i in (0, 2):
        for a, b in zip(outs[i], outs[i + 1], strict=True):
            np.testing.assert_array_equal(a, b)
    # The kept restart is the best: restart 0 alone (n_init=1, same seed) is no better.
    assert outs[0][2] <= _core_fit(X, 5, seed=3)[2]


def _memory_child() -> str:
    """The child script of ``benches/bench_memory.py`` (one fit, its peak extra memory)."""
    benches = Path(__file__).resolve().parents[1] / "benches"
    sys.path.insert(0, str(benches))
    try:
        spec = importlib.util.spec_from_file_location("bench_memory", benches / "bench_memory.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(benches))
    return str(module.CHILD)


@pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux /proc/self/clear_refs"
)
@pytest.mark.parametrize(
    ("kind", "bound"), [("float64", 0.4), ("float32", 0.7), ("DataFrame", 1.4)]
)
def test_peak_memory_of_ten_restarts_stays_near_one_copy(kind, bound):
    # Before issue 12 C: 1.4x, 2.7x and 2.4x the input (each concurrent restart kept its own
    # seeding store, labels and f64 bounds). Now about 16 bytes a row whatever n_init (plus
    # the one C-order copy of a DataFrame), i.e. 0.17x / 0.33x / 1.17x; the bounds leave
    # room for the interpreter's own allocations.
    args = [sys.executable, "-c", _memory_child(), "segwise", kind, "400000", "10", "30"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["extra"] <= bound * r["input"], r


@pytest.mark.parametrize("cls", [KMeans, MiniBatchKMeans])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_array_fast_path_equals_the_full_path(cls, dtype):
    # predict and transform of a few C-contiguous rows skip the input funnel; a list of
    # the same rows takes the full path. Same results, same errors, same containers.
    X, _ = blobs(n=300, d=5, k=4, seed=3)
    X = X.astype(dtype)
    model = cls(4, n_init=1, random_state=0).fit(X)
    rows = np.ascontiguousarray(X[:3])
    np.testing.assert_array_equal(model.predict(rows), model.predict(rows.tolist()))
    fast = model.transform(rows)
    assert fast.dtype == dtype
    np.testing.assert_array_equal(fast, model.transform(rows.tolist()))
    bad = rows.copy()
    bad[1, 2] = np.nan
    for method in ("predict", "transform"):
        with pytest.raises(NonFiniteError) as fast_error:
            getattr(model, method)(bad)
        with pytest.raises(NonFiniteError) as full_error:
            getattr(model, method)(bad.tolist())
        assert str(fast_error.value) == str(full_error.value)
    framed = clone(model).set_output(transform="pandas").fit(X).transform(rows)
    assert isinstance(framed, pd.DataFrame)
    assert list(framed.columns) == list(model.get_feature_names_out())
    np.testing.assert_array_equal(framed.to_numpy(), fast)
    broken = clone(model).fit(X)
    broken.cluster_centers_ = broken.cluster_centers_.copy()
    broken.cluster_centers_[0, 0] = np.inf
    for method in ("predict", "transform"):
        with pytest.raises(FittedStateError, match="cluster_centers_"):
            getattr(broken, method)(rows)
