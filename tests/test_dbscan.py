"""segwise.cluster.DBSCAN against scikit-learn's DBSCAN (oracle)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import blobs
from segwise.cluster import DBSCAN
from segwise.exceptions import EmptyInputError, InvalidParameterError, NonFiniteError
from sklearn.base import clone
from sklearn.cluster import DBSCAN as SkDBSCAN
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks


def _blobs_with_noise(seed, n=500, d=2, k=4):
    X, _ = blobs(n=n, d=d, k=k, std=0.8, seed=seed)
    rng = np.random.default_rng(seed)
    noise = rng.uniform(X.min() - 3, X.max() + 3, size=(n // 10, d))
    return rng.permutation(np.vstack([X, noise]))


# segwise's BaseEstimator deliberately does not inherit scikit-learn's; sklearn warns.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Estimator DBSCAN does not inherit")
    _sklearn_checks = parametrize_with_checks([DBSCAN()])


@_sklearn_checks
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("eps,min_samples", [(0.5, 5), (0.3, 3), (1.0, 12), (0.4, 2), (0.25, 1)])
def test_matches_sklearn(seed, eps, min_samples):
    X = _blobs_with_noise(seed)
    ours = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    theirs = SkDBSCAN(eps=eps, min_samples=min_samples).fit(X)
    assert adjusted_rand_score(ours.labels_, theirs.labels_) == 1.0
    np.testing.assert_array_equal(ours.labels_ == -1, theirs.labels_ == -1)
    np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    np.testing.assert_array_equal(ours.components_, theirs.components_)
    # Same traversal order as scikit-learn: even the cluster numbers agree.
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.labels_.dtype == np.int32


def test_higher_dimensions_and_dataframe():
    X = _blobs_with_noise(7, n=800, d=6, k=5)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)], index=np.arange(len(X)) + 10)
    ours = DBSCAN(eps=1.5, min_samples=8).fit(df)
    theirs = SkDBSCAN(eps=1.5, min_samples=8).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_features_in_ == 6
    assert list(ours.feature_names_in_) == list(df.columns)
    labels = DBSCAN(eps=1.5, min_samples=8).fit_predict(X.astype(np.float32))
    np.testing.assert_array_equal(
        labels, SkDBSCAN(eps=1.5, min_samples=8).fit_predict(X.astype(np.float32))
    )


def test_all_noise_and_one_cluster():
    X = np.arange(10, dtype=float).reshape(-1, 1) * 10
    model = DBSCAN(eps=1.0, min_samples=2).fit(X)
    np.testing.assert_array_equal(model.labels_, -np.ones(10))
    assert model.core_sample_indices_.shape == (0,)
    assert model.components_.shape == (0, 1)
    single = DBSCAN(eps=100.0, min_samples=3).fit(X)
    np.testing.assert_array_equal(single.labels_, np.zeros(10))
    # eps is inclusive: points exactly eps apart are neighbours (as scikit-learn).
    X2 = np.array([[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(
        DBSCAN(eps=1.0, min_samples=3).fit(X2).labels_,
        SkDBSCAN(eps=1.0, min_samples=3).fit(X2).labels_,
    )


def test_input_not_mutated_and_clone_pickle():
    X = np.asfortranarray(_blobs_with_noise(3))
    X_copy = X.copy()
    model = DBSCAN(eps=0.5, min_samples=4).fit(X)
    np.testing.assert_array_equal(X, X_copy)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.labels_, model.labels_)
    assert clone(model).get_params() == {"eps": 0.5, "min_samples": 4}


@pytest.mark.parametrize(
    "params,match",
    [
        ({"eps": 0.0}, "eps must be > 0"),
        ({"eps": -1.0}, "eps must be > 0"),
        ({"eps": float("nan")}, "eps must be finite"),
        ({"eps": "big"}, "eps must be a number"),
        ({"min_samples": 0}, "min_samples must be >= 1"),
        ({"min_samples": 2.5}, "min_samples must be an int"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        DBSCAN(**params).fit(np.zeros((5, 2)))


def test_bad_data():
    with pytest.raises(EmptyInputError, match="0 sample"):
        DBSCAN().fit(np.zeros((0, 2)))
    with pytest.raises(EmptyInputError, match="0 feature"):
        DBSCAN().fit(np.zeros((3, 0)))
    X = np.zeros((5, 2))
    X[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="NaN"):
        DBSCAN().fit(X)
    with pytest.raises(TypeError, match="sample_weight"):
        DBSCAN().fit(np.zeros((5, 2)), sample_weight=np.ones(5))  # type: ignore[call-arg]


def test_core_function_validates_before_linfa():
    from segwise import _core
    from segwise.exceptions import SegwiseError

    with pytest.raises(SegwiseError, match="empty input"):
        _core.dbscan_fit(np.zeros((0, 3)), 0.5, 5)
    with pytest.raises(InvalidParameterError, match="eps"):
        _core.dbscan_fit(np.zeros((3, 3)), 0.0, 5)
    with pytest.raises(NonFiniteError):
        _core.dbscan_fit(np.full((3, 3), np.inf), 0.5, 5)
