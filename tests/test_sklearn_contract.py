"""The scikit-learn estimator contract, checked by scikit-learn itself, plus pickling,
cloning, Pipeline/GridSearchCV, the GIL released during Rust work and thread safety."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import blobs, ticks_during
from segwise import _core
from segwise.cluster import DBSCAN, KMeans, KMedoids, MiniBatchKMeans
from segwise.exceptions import ConvergenceWarning, NotFittedError
from segwise.preprocessing import (
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

ESTIMATORS = [
    KMeans(n_clusters=3, random_state=0),
    KMeans(n_clusters=3, algorithm="lloyd", random_state=0),
    MiniBatchKMeans(n_clusters=3, random_state=0, n_init=3),
    DBSCAN(),
    KMedoids(n_clusters=3),
    KMedoids(n_clusters=3, metric="euclidean", method="pam"),
    KMedoids(n_clusters=3, method="clara", init="k-medoids++", random_state=0),
    StandardScaler(),
    MinMaxScaler(),
    RobustScaler(),
    MaxAbsScaler(),
    Log1pTransformer(),
]

# Checks that segwise deliberately does not pass, with the reason. Keep this list short.
_WEIGHTS = (
    "weighted k-means++ seeding depends on row order; scikit-learn marks this check as an "
    "expected failure for its own KMeans and MiniBatchKMeans too"
)
EXPECTED_FAILED: dict[str, dict[str, str]] = {
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS,
    },
    "MiniBatchKMeans": {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS,
    },
}


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


with warnings.catch_warnings():
    # segwise estimators follow the contract without inheriting scikit-learn's BaseEstimator
    # (scikit-learn is not a runtime dependency); scikit-learn warns about that once.
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base")
    _CHECKS = parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)


@_CHECKS
@pytest.mark.filterwarnings("ignore:.*does not inherit from `sklearn.base")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: repr(e))
def test_fitted_estimators_pickle_and_clone(estimator):
    X = np.abs(blobs(n=600, d=4, k=3)[0])
    fitted = clone(estimator).fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    for name in ("labels_", "cluster_centers_", "scale_", "mean_"):
        if hasattr(fitted, name):
            np.testing.assert_array_equal(getattr(restored, name), getattr(fitted, name))
    method = "transform" if hasattr(fitted, "transform") else None
    if method:
        np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    fresh = clone(fitted)
    assert fresh.get_params() == estimator.get_params()
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(fresh))


def test_pipeline_and_grid_search():
    X = pd.DataFrame(
        np.abs(blobs(n=600, d=4, k=3)[0]), columns=["recency", "frequency", "monetary", "tenure"]
    )
    pipe = make_pipeline(Log1pTransformer(), StandardScaler(), KMeans(random_state=0))
    search = GridSearchCV(pipe, {"kmeans__n_clusters": [2, 3, 4]}, cv=3).fit(X)
    assert search.best_params_["kmeans__n_clusters"] in (2, 3, 4)
    labels = search.best_estimator_.predict(X)
    assert labels.dtype == np.int32 and len(labels) == len(X)
    pipe.set_output(transform="pandas")
    out = make_pipeline(StandardScaler(), MinMaxScaler()).set_output(transform="pandas")
    frame = out.fit_transform(X.set_index(X.index + 100))
    assert list(frame.index) == list(X.index + 100)


def test_gil_is_released_during_rust_work():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400_000, 12))
    # 60 Lloyd iterations over 400,000 x 12 x 8 distances (tol=0 runs them all): most of a
    # second of Rust work, so a released GIL gives the ticker hundreds of ticks; a held one
    # gives exactly none (see conftest.ticks_during).
    (centers, labels, _, n_iter), ticks = ticks_during(
        lambda: _core.kmeans_fit(
            x=X,
            sample_weight=None,
            n_clusters=8,
            init="k-means++",
            init_centers=X[None, :8].copy(),
            n_init=1,
            max_iter=60,
            tol=0.0,
            algorithm="lloyd",
            seed=0,
        )
    )
    assert centers.shape == (8, 12) and labels.shape == (len(X),) and n_iter >= 1
    assert ticks >= 20, ticks


def test_gil_probe_counts_nothing_while_the_gil_is_held():
    # The probe of the two tests above: Python code holding the GIL for 0.3 s lets the
    # ticker make no tick at all, a wait without the GIL lets it make many.
    def hold(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    assert ticks_during(lambda: hold(0.3))[1] == 0
    assert ticks_during(lambda: time.sleep(0.3))[1] >= 20


def test_not_fitted_error_is_also_sklearns_once_sklearn_is_loaded():
    for estimator in (KMeans(n_clusters=2), MiniBatchKMeans(n_clusters=2), StandardScaler()):
        method = estimator.predict if hasattr(estimator, "predict") else estimator.transform
        with pytest.raises(SkNotFittedError, match="not fitted") as info:
            method(np.zeros((3, 2)))
        err = info.value
        assert isinstance(err, NotFittedError)
        assert isinstance(err, ValueError) and isinstance(err, AttributeError)
        restored = pickle.loads(pickle.dumps(err))
        assert type(restored) is NotFittedError and restored.args == err.args


def test_convergence_warning_is_also_sklearns_once_sklearn_is_loaded():
    # Filters and pytest.warns on scikit-learn's class catch segwise's warning too (two
    # distinct points, three clusters asked: the fewer-clusters warning).
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(SkConvergenceWarning, match="distinct clusters") as record:
        KMeans(n_clusters=3, n_init=1, random_state=0).fit(X)
    caught = [w.message for w in record if isinstance(w.message, SkConvergenceWarning)]
    assert caught and all(isinstance(w, ConvergenceWarning) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SkConvergenceWarning)
        KMeans(n_clusters=3, n_init=1, random_state=0).fit(X)  # silenced by their filter
    restored = pickle.loads(pickle.dumps(caught[0]))
    assert type(restored) is ConvergenceWarning and restored.args == caught[0].args


def test_importing_segwise_does_not_import_sklearn():
    # scikit-learn is a test-only dependency: no module of segwise imports it, and without
    # it a NotFittedError is segwise's own class.
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import numpy as np
        import segwise
        for module in pkgutil.walk_packages(segwise.__path__, "segwise."):
            if module.name != "segwise.__main__":
                importlib.import_module(module.name)
        from segwise.cluster import KMeans
        from segwise.exceptions import NotFittedError
        try:
            KMeans(n_clusters=2).predict(np.zeros((3, 2)))
        except NotFittedError as err:
            print(type(err) is NotFittedError)
        from segwise.exceptions import ConvergenceWarning, _convergence_warning
        print(_convergence_warning() is ConvergenceWarning)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "sklearn"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "[]"]


def test_concurrent_calls_from_threads_are_safe():
    X, _ = blobs(n=3000, d=5, k=4)
    ref = KMeans(n_clusters=4, random_state=3).fit(X)
    scaler = StandardScaler().fit(X)

    def work(_):
        model = KMeans(n_clusters=4, random_state=3).fit(X)
        return model.inertia_, ref.predict(X), scaler.transform(X)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    for inertia, labels, scaled in results:
        assert inertia == ref.inertia_
        np.testing.assert_array_equal(labels, ref.labels_)
        np.testing.assert_array_equal(scaled, scaler.transform(X))
