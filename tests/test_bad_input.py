"""Bad input across every estimator and metric: typed errors that name the problem, never a
crash, a hang or a PanicException, and the caller's data untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segwise.cluster import DBSCAN, KMeans, MiniBatchKMeans
from segwise.exceptions import (
    EmptyInputError,
    FeatureNamesError,
    NonFiniteError,
    NonNumericError,
    NotFittedError,
    SegwiseError,
    ShapeMismatchError,
)
from segwise.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from segwise.preprocessing import (
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn import metrics as skm
from sklearn.base import clone

ESTIMATORS = [
    KMeans(n_clusters=2, random_state=0),
    MiniBatchKMeans(n_clusters=2, random_state=0),
    DBSCAN(eps=1.0, min_samples=2),
    StandardScaler(),
    MinMaxScaler(),
    RobustScaler(),
    MaxAbsScaler(),
    Log1pTransformer(),
]
SCALERS = [e for e in ESTIMATORS if not hasattr(e, "fit_predict")]
ids = [type(e).__name__ for e in ESTIMATORS]


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        np.abs(rng.normal(size=(n, 3))) * [1, 10, 100], columns=["recency", "frequency", "spend"]
    )


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_nan_names_column_and_rows(est):
    X = _frame()
    X.iloc[[3, 7], 2] = np.nan
    if type(est).__name__ in {
        "StandardScaler",
        "MinMaxScaler",
        "RobustScaler",
        "MaxAbsScaler",
        "Log1pTransformer",
    }:
        X.iloc[5, 1] = np.inf  # scalers ignore NaN (as scikit-learn) but not infinity
        with pytest.raises(NonFiniteError, match=r"'frequency' \(1 infinity\)"):
            clone(est).fit(X)
    else:
        with pytest.raises(NonFiniteError, match=r"2 of 40 rows.*'spend' \(2 NaN\)"):
            clone(est).fit(X)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_empty_and_non_numeric_frames(est):
    with pytest.raises(EmptyInputError, match="0 sample"):
        clone(est).fit(_frame().iloc[:0])
    bad = _frame().assign(channel="web")
    with pytest.raises(NonNumericError, match=r"\['channel'\]") as info:
        clone(est).fit(bad)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_one_row(est):
    X = _frame().iloc[:1]
    if isinstance(est, (KMeans, MiniBatchKMeans)):
        with pytest.raises(SegwiseError, match="n_samples=1 should be >= n_clusters=2"):
            clone(est).fit(X)
    else:
        fitted = clone(est).fit(X)
        out = fitted.transform(X) if hasattr(fitted, "transform") else fitted.labels_
        assert len(out) == 1


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_unfitted_and_other_columns(est):
    X = _frame()
    method = "transform" if hasattr(est, "transform") else None
    if method is None:
        return  # DBSCAN has no predict/transform; it is covered by the other tests
    with pytest.raises(NotFittedError):
        getattr(clone(est), method)(X)
    fitted = clone(est).fit(X)
    with pytest.raises(FeatureNamesError, match="order differs"):
        getattr(fitted, method)(X[["spend", "recency", "frequency"]])
    with pytest.raises(FeatureNamesError, match=r"unexpected: \['tenure'\]"):
        getattr(fitted, method)(X.rename(columns={"spend": "tenure"}))
    with pytest.raises(ShapeMismatchError, match="X has 2 features"):
        getattr(fitted, method)(X.to_numpy()[:, :2])


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
@pytest.mark.parametrize("layout", ["float32", "int", "fortran", "readonly", "strided", "memmap"])
def test_layouts_are_accepted_correct_and_untouched(est, layout, tmp_path):
    base = np.ascontiguousarray(_frame().to_numpy())
    if layout == "float32":
        X = base.astype(np.float32)
    elif layout == "int":
        X = np.round(base).astype(np.int64)
    elif layout == "fortran":
        X = np.asfortranarray(base)
    elif layout == "readonly":
        X = base.copy()
        X.flags.writeable = False
    elif layout == "strided":
        X = np.repeat(base, 2, axis=1)[:, ::2]
    else:
        X = np.lib.format.open_memmap(
            tmp_path / "x.npy", mode="w+", dtype=base.dtype, shape=base.shape
        )
        X[:] = base
    before = np.array(X, copy=True)
    reference = np.ascontiguousarray(X, dtype=np.float32 if layout == "float32" else float)
    got = clone(est).fit(X)
    want = clone(est).fit(reference)
    if hasattr(got, "transform"):
        np.testing.assert_allclose(got.transform(X), want.transform(reference), rtol=1e-6)
    else:
        np.testing.assert_array_equal(got.labels_, want.labels_)
    np.testing.assert_array_equal(np.asarray(X), before)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_large_values_work_and_overflowing_ones_are_named(est):
    X = _frame().to_numpy() * 1e100  # squares still fit in float64
    fitted = clone(est).fit(X)
    out = fitted.transform(X) if hasattr(fitted, "transform") else fitted.labels_
    assert np.isfinite(out).all()
    huge = _frame().to_numpy() * 1e200
    if isinstance(est, (MinMaxScaler, RobustScaler, MaxAbsScaler)):
        assert np.isfinite(clone(est).fit(huge).transform(huge)).all()  # no squares involved
    elif isinstance(est, Log1pTransformer):
        assert np.isfinite(clone(est).fit_transform(huge)).all()
    else:
        with pytest.raises(NonFiniteError, match="overflowed.*largest \\|value\\| in X is"):
            clone(est).fit(huge)


@pytest.mark.parametrize(
    "metric", [silhouette_score, calinski_harabasz_score, davies_bouldin_score]
)
def test_metrics_on_huge_values(metric):
    # The scores do not depend on the unit: above ~1e154, where squared distances overflow,
    # they are computed on the data divided by a power of two; the oracle is scikit-learn
    # on the unscaled data.
    X = _frame().to_numpy()
    labels = np.arange(len(X)) % 3
    want = getattr(skm, metric.__name__)(X, labels)
    for scale in (1e100, 1e200, 1e300):
        assert metric(X * scale, labels) == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------- clear errors


def _clear_error_cases():
    """(call, error class, words of the message) for the raw messages issue #12 listed."""
    from segwise.abtest import cuped_test, relative_lift_ci, segment_lift, srm_test, welch_test
    from segwise.exceptions import (
        ColumnNotFoundError,
        InvalidParameterError,
        NonNumericError,
    )
    from segwise.rfm import rfm_scores

    dup = pd.DataFrame(
        [[0, "A", 1.0, 2.0]] * 4 + [[0, "B", 1.0, 3.0]] * 4, columns=["s", "arm", "m", "m"]
    )
    inf = pd.DataFrame({"arm": ["A", "B"] * 4, "spend": [1.0, 2, np.inf, 3, 4, 5, 6, 7]})
    inf.index = [f"c{i}" for i in range(8)]
    table = pd.DataFrame({"recency": [1, 2, 3], "frequency": [1, 2, 3], "monetary": [1.0, 2, 3]})
    lift = dict(segment="s", variant="arm", control="A")
    return [
        (
            lambda: segment_lift(dup, metrics=["m"], **lift),
            InvalidParameterError,
            r"more than one column named \['m'\]",
        ),
        (
            lambda: segment_lift(dup.iloc[:, :3], metrics=["spend"], **lift),
            ColumnNotFoundError,
            r"not found in df: \['spend'\]",
        ),
        (
            lambda: segment_lift(inf, segment=None, variant="arm", control="A", metrics=["spend"]),
            NonFiniteError,
            r"infinity in column\(s\) 'spend' \(1 of 8 rows, first at index 'c2'\)",
        ),
        (
            lambda: cuped_test([1.0, 2, 3], [1.0, 2], [1.0, 2, 3], [1.0, 2, 3]),
            ShapeMismatchError,
            "y1 has 3 values but x1 has 2",
        ),
        (
            lambda: cuped_test([1.0, 2, 3], [1.0, 2, 3], [1.0, 2, np.nan], [1.0, 2, 3]),
            NonFiniteError,
            "y2 has 1 NaN",
        ),
        (lambda: welch_test(["a", "b"], [1.0, 2]), NonNumericError, "sample1 must hold numbers"),
        (lambda: welch_test([1.0, 2.0], [1.0, np.inf]), NonFiniteError, "sample2 has 1 NaN"),
        (
            lambda: relative_lift_ci(1.0, -1.0, 10, 1.0, 1.0, 10),
            InvalidParameterError,
            "var1 must be >= 0, got -1.0",
        ),
        (
            lambda: relative_lift_ci(1.0, 1.0, 10, np.nan, 1.0, 10),
            InvalidParameterError,
            "mean2 must be finite",
        ),
        (
            lambda: rfm_scores(table, segments=[("x", 1, 2)]),
            InvalidParameterError,
            r"segments\[0\] = \('x', 1, 2\) must be a rule",
        ),
        (lambda: srm_test(["a", 1]), NonNumericError, "counts must hold numbers"),
    ]


@pytest.mark.parametrize("case", range(len(_clear_error_cases())))
def test_listed_raw_messages_are_now_clear(case):
    call, error, words = _clear_error_cases()[case]
    with pytest.raises(error, match=words) as info:
        call()
    assert isinstance(info.value, SegwiseError)
