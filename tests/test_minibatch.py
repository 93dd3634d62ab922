"""segwise.cluster.MiniBatchKMeans: quality against scikit-learn and exact invariants.

Batches come from segwise's own random streams, so results are compared with
scikit-learn's in quality (inertia, adjusted Rand index), not draw for draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import blobs
from segwise import _core
from segwise.cluster import KMeans, MiniBatchKMeans
from segwise.exceptions import (
    InvalidParameterError,
    InvalidWeightsError,
    NotEnoughSamplesError,
    ShapeMismatchError,
)
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.metrics import adjusted_rand_score


@pytest.mark.parametrize("seed", range(3))
def test_quality_comparable_to_sklearn(seed):
    X, y = blobs(n=20000, d=4, k=6, seed=seed)
    ours = MiniBatchKMeans(6, random_state=seed, n_init=3).fit(X)
    theirs = SkMiniBatchKMeans(6, random_state=seed, n_init=3).fit(X)
    assert ours.inertia_ <= theirs.inertia_ * 1.03
    assert adjusted_rand_score(y, ours.labels_) > 0.95
    full = KMeans(6, random_state=seed, n_init=3).fit(X)
    assert ours.inertia_ <= full.inertia_ * 1.03


def test_labels_and_inertia_match_final_centres():
    X, _ = blobs(n=5000, d=4, k=6, std=3.0, seed=1)
    mbk = MiniBatchKMeans(6, batch_size=256, random_state=0).fit(X)
    np.testing.assert_array_equal(mbk.labels_, mbk.predict(X))
    np.testing.assert_allclose(mbk.inertia_, -mbk.score(X), rtol=1e-12)
    assert mbk.labels_.dtype == np.int32
    assert mbk.n_iter_ == int(np.ceil(mbk.n_steps_ * 256 / len(X)))


def test_runs_all_steps_without_early_stopping():
    X, _ = blobs(n=2000, d=4, k=6, seed=2)
    mbk = MiniBatchKMeans(
        6, batch_size=100, max_iter=3, max_no_improvement=None, random_state=0
    ).fit(X)
    assert mbk.n_steps_ == 3 * 2000 // 100
    assert mbk.n_iter_ == 3
    # counts accumulate one per batch row (reassignments only raise low counts)
    assert mbk._counts.sum() >= mbk.n_steps_ * 100 - 1e-9


def test_early_stopping():
    X, _ = blobs(n=20000, d=4, k=6, seed=3)
    no_improve = MiniBatchKMeans(6, batch_size=100, max_iter=50, random_state=0).fit(X)
    assert no_improve.n_steps_ < 50 * 20000 // 100
    with_tol = MiniBatchKMeans(
        6, batch_size=100, max_iter=50, tol=1e-3, max_no_improvement=None, random_state=0
    ).fit(X)
    assert with_tol.n_steps_ < 50 * 20000 // 100


def test_reproducible_and_thread_count_independent():
    X, _ = blobs(n=10000, d=4, k=6, std=2.0, seed=4)
    a = MiniBatchKMeans(6, random_state=7).fit(X)
    b = MiniBatchKMeans(6, random_state=7).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    outs = [
        _core.minibatch_fit_f64(
            X, None, 6, "k-means++", None, 3, 100, 512, 0.0, 10, None, 0.01, True, 11, t
        )
        for t in (1, 2)
    ]
    for u, v in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(u, v)


def test_sample_weight_zero_rows_never_drawn():
    X, _ = blobs(n=3000, d=2, k=3, seed=5)
    Xo = np.vstack([X, np.full((20, 2), 500.0)])
    w = np.r_[np.ones(len(X)), np.zeros(20)]
    mbk = MiniBatchKMeans(3, batch_size=128, random_state=0).fit(Xo, sample_weight=w)
    assert np.abs(mbk.cluster_centers_).max() < 100
    # heavier weight pulls a shared centre
    X2 = np.array([[0.0], [1.0]] * 50)
    w2 = np.tile([3.0, 1.0], 50)
    one = MiniBatchKMeans(
        1, batch_size=100, max_iter=200, max_no_improvement=None, random_state=0
    ).fit(X2, sample_weight=w2)
    np.testing.assert_allclose(one.cluster_centers_[0, 0], 0.25, atol=0.05)


def test_far_centre_is_reassigned():
    X, _ = blobs(n=4000, d=2, k=3, seed=6)
    init = np.vstack([X[:2], [[1e4, 1e4]]])
    mbk = MiniBatchKMeans(3, init=init, batch_size=200, random_state=0).fit(X)
    assert np.abs(mbk.cluster_centers_).max() < 100
    assert len(np.unique(mbk.labels_)) == 3


def test_partial_fit_streaming():
    X, y = blobs(n=12000, d=3, k=4, seed=7)
    rng = np.random.default_rng(0)
    mbk = MiniBatchKMeans(4, random_state=0)
    for batch in np.array_split(X[rng.permutation(len(X))], 30):
        mbk.partial_fit(batch)
    assert mbk.n_steps_ == 30
    assert adjusted_rand_score(y, mbk.predict(X)) > 0.95
    assert mbk.labels_.shape == (len(X) // 30,)
    # partial_fit continues from fit
    fitted = MiniBatchKMeans(4, random_state=0).fit(X)
    steps = fitted.n_steps_
    fitted.partial_fit(X[:500])
    assert fitted.n_steps_ == steps + 1
    # weights and float32 in partial_fit
    f32 = MiniBatchKMeans(4, random_state=0).partial_fit(
        X[:2000].astype(np.float32), sample_weight=np.ones(2000)
    )
    assert f32.cluster_centers_.dtype == np.float32
    f32.partial_fit(X[2000:4000])  # float64 batch is cast to the centres' dtype
    assert f32.cluster_centers_.dtype == np.float32


def test_compute_labels_false_estimates_inertia():
    X, _ = blobs(n=8000, d=4, k=6, seed=8)
    mbk = MiniBatchKMeans(6, compute_labels=False, random_state=0).fit(X)
    assert not hasattr(mbk, "labels_")
    exact = -mbk.score(X)
    assert 0.5 * exact < mbk.inertia_ < 1.5 * exact
    labels = MiniBatchKMeans(6, compute_labels=False, random_state=0).fit_predict(X)
    np.testing.assert_array_equal(labels, mbk.predict(X))


def test_n_init_auto_and_callable():
    X, _ = blobs(n=3000, d=4, k=6, seed=9)
    calls = []

    def init(X, n_clusters, random_state):
        calls.append(len(X))
        return X[random_state.choice(len(X), n_clusters, replace=False)]

    MiniBatchKMeans(6, init=init, batch_size=100, random_state=0).fit(X)
    assert calls == [300, 300, 300]  # 3 inits on init_size = 3 * batch_size rows
    a = MiniBatchKMeans(6, init="random", random_state=0).fit(X)
    b = MiniBatchKMeans(6, init="random", n_init=3, random_state=0).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    with pytest.warns(RuntimeWarning, match="only one init"):
        MiniBatchKMeans(6, init=X[:6], n_init=2, random_state=0).fit(X)
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger"):
        MiniBatchKMeans(6, init_size=2, random_state=0).fit(X)


def test_dataframe_and_float32():
    X, _ = blobs(n=2000, d=3, k=6, seed=10)
    df = pd.DataFrame(X, columns=["a", "b", "c"], index=np.arange(2000) + 100)
    mbk = MiniBatchKMeans(3, random_state=0).fit(df)
    out = mbk.transform(df)
    assert isinstance(out, pd.DataFrame) and out.index.equals(df.index)
    assert out.columns.tolist() == [f"minibatchkmeans{i}" for i in range(3)]
    m32 = MiniBatchKMeans(3, random_state=0).fit(X.astype(np.float32))
    assert m32.cluster_centers_.dtype == np.float32
    assert m32.transform(X.astype(np.float32)).dtype == np.float32


def test_no_input_mutation():
    X, _ = blobs(n=1500, d=2, k=6, seed=11)
    X.flags.writeable = False
    w = np.ones(len(X))
    before = (X.copy(), w.copy())
    mbk = MiniBatchKMeans(4, random_state=0).fit(X, sample_weight=w)
    mbk.partial_fit(X, sample_weight=w)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(w, before[1])


def test_bad_inputs():
    X, _ = blobs(n=100, d=2, k=6, seed=12)
    with pytest.raises(InvalidParameterError, match="batch_size"):
        MiniBatchKMeans(2, batch_size=0).fit(X)
    with pytest.raises(InvalidParameterError, match="reassignment_ratio"):
        MiniBatchKMeans(2, reassignment_ratio=-0.1).fit(X)
    with pytest.raises(InvalidParameterError, match="max_no_improvement"):
        MiniBatchKMeans(2, max_no_improvement=-1).fit(X)
    with pytest.raises(InvalidParameterError, match="compute_labels"):
        MiniBatchKMeans(2, compute_labels="yes").fit(X)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        MiniBatchKMeans(0).fit(X)
    with pytest.raises(NotEnoughSamplesError, match="n_samples=100 should be >= n_clusters=101"):
        MiniBatchKMeans(101).fit(X)
    with pytest.raises(NotEnoughSamplesError, match="n_clusters"):
        MiniBatchKMeans(20).partial_fit(X[:5])
    with pytest.raises(InvalidWeightsError, match="negative"):
        MiniBatchKMeans(2).fit(X, sample_weight=-np.ones(100))
    with pytest.raises(ShapeMismatchError, match="number of clusters"):
        MiniBatchKMeans(3, init=X[:2]).fit(X)
    mbk = MiniBatchKMeans(2, random_state=0).fit(X)
    with pytest.raises(ShapeMismatchError, match="features"):
        mbk.partial_fit(np.zeros((5, 3)))
