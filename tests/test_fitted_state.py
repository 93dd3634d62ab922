"""Fitted state checked at predict/transform, and the segwise version pickled with it.

An estimator whose fitted arrays were edited, or unpickled from another version, raises
FittedStateError naming the attribute instead of predicting garbage or raising a raw
KeyError/IndexError; unpickling with another version warns.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import segwise
from segwise import cluster, preprocessing
from segwise._base import BaseEstimator
from segwise.exceptions import FittedStateError, InconsistentVersionWarning


def _fitted():
    """Every public estimator with predict/transform, fitted on the same small data."""
    X = np.abs(np.random.default_rng(0).normal(size=(30, 3))) + 0.1
    classes = [getattr(m, n) for m in (cluster, preprocessing) for n in m.__all__]
    out = []
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, BaseEstimator):
            est = cls(n_clusters=3, random_state=0) if "n_clusters" in cls().get_params() else cls()
            if hasattr(est, "predict") or hasattr(est, "transform"):
                out.append(est.fit(MIXED if cls.__name__ in CATEGORICAL else X))
    return X, out


#: Estimators of categorical (or mixed) tables, fitted on ``MIXED``.
CATEGORICAL = {"KPrototypes", "KModes"}
_rng = np.random.default_rng(1)
MIXED = pd.DataFrame(
    {
        "spend": np.abs(_rng.normal(size=30)) + 0.1,
        "region": pd.Categorical(_rng.choice(["north", "south", "west"], size=30)),
        "channel": pd.Categorical(_rng.choice(["web", "phone"], size=30)),
    }
)


X, FITTED = _fitted()


def _use(est, data):
    if type(est).__name__ in CATEGORICAL:
        data = MIXED.iloc[: len(data)]
    return est.predict(data) if hasattr(est, "predict") else est.transform(data)


def _corruptions(value):
    """Ways an array attribute can be wrong, each with the words of its message."""
    if value.dtype.kind == "f":
        nan = value.copy()
        nan.flat[0] = np.nan
        inf = value.copy()
        inf.flat[-1] = np.inf
        yield "nan", nan, "NaN or infinity"
        yield "inf", inf, "infinity"
        yield "float16", value.astype(np.float16), "dtype float16"
    else:
        # Out of range whatever the values (KMedoids' row positions shifted by a few rows
        # would still be valid positions).
        yield "negative", -(value + 1), "outside 0.."
        yield "too-large", value + 10**6, "outside 0.."
    yield "object", value.astype(object), "dtype object"
    yield "list", value.tolist(), "is a list"
    yield "one-more", np.concatenate([value, value[..., -1:]], axis=-1), "shape"
    yield "none", None, "is None"


CASES = [
    (est, attribute, kind, bad, words)
    for est in FITTED
    for attribute in type(est)._fitted_state
    if isinstance(getattr(est, attribute), np.ndarray)
    for kind, bad, words in _corruptions(getattr(est, attribute))
    if not (words == "is None" and type(est)._fitted_state[attribute].optional)
    and not (kind == "nan" and type(est)._fitted_state[attribute].nan)
    and not (kind == "one-more" and type(est)._fitted_state[attribute].shape[-1] is None)
]


def test_every_estimator_with_predict_or_transform_declares_its_state():
    names = {type(e).__name__ for e in FITTED}
    assert names >= {"KMeans", "MiniBatchKMeans", "StandardScaler", "Log1pTransformer"}
    for est in FITTED:
        assert type(est)._fitted_state, type(est).__name__
        _use(est, X)  # a fresh fit passes its own check


@pytest.mark.parametrize(
    ("est", "attribute", "kind", "bad", "words"),
    CASES,
    ids=[f"{type(c[0]).__name__}-{c[1]}-{c[2]}" for c in CASES],
)
def test_edited_state_is_named_at_predict_and_transform(est, attribute, kind, bad, words):
    broken = pickle.loads(pickle.dumps(est))
    setattr(broken, attribute, bad)
    with pytest.raises(FittedStateError, match=rf"invalid fitted state \({attribute} .*{words}"):
        _use(broken, X)
    with pytest.raises(FittedStateError, match="Refit it"):
        _use(broken, X[:2])  # also KMeans' fast path for small inputs


def test_n_features_and_names_are_checked():
    est = pickle.loads(pickle.dumps(FITTED[0]))
    est.n_features_in_ = "3"
    with pytest.raises(FittedStateError, match="n_features_in_ is '3'"):
        _use(est, X)
    est = pickle.loads(pickle.dumps(FITTED[0]))
    est.feature_names_in_ = np.array(["a", "b"], dtype=object)
    with pytest.raises(FittedStateError, match="feature_names_in_ does not hold 3 names"):
        _use(est, X)


@pytest.mark.parametrize("est", FITTED, ids=lambda e: type(e).__name__)
def test_pickle_records_the_version_and_warns_on_another(est):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version: no warning
        same = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(_use(same, X), _use(est, X))
    state = est.__getstate__()
    assert state["_segwise_version"] == segwise.__version__
    state["_segwise_version"] = "0.0.1"
    old = type(est).__new__(type(est))
    with pytest.warns(InconsistentVersionWarning, match="written by segwise 0.0.1 with segwise"):
        old.__setstate__(state)
    np.testing.assert_array_equal(_use(old, X), _use(est, X))  # a valid state still works
    attribute = next(iter(type(est)._fitted_state))
    setattr(old, attribute, np.zeros((1, 1, 1)))
    with pytest.raises(FittedStateError, match="pickled by segwise 0.0.1"):
        _use(old, X)
    del state["_segwise_version"]  # written before versions were recorded
    with pytest.warns(InconsistentVersionWarning, match="of an unknown version"):
        type(est).__new__(type(est)).__setstate__(state)
