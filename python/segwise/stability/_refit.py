"""Refitting any clusterer: what bootstrap stability, prediction strength and choose_k share
when the clusterer is not segwise's KMeans (whose refits run in Rust in one call).

A clusterer here is any object with ``fit`` (and ``labels_`` or ``fit_predict``) and
``get_params``; prediction strength and the bootstrap ARI also need ``predict``. The table
may be numeric or mixed (numeric and categorical columns, e.g. for
:class:`~segwise.cluster.KPrototypes`): rows are taken with :func:`take_rows`, which keeps a
DataFrame a DataFrame.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._validation import Checked, check_array, check_mixed, encode_labels
from ..exceptions import InvalidParameterError


def fresh(estimator: Any, seed: int | None = None, **overrides: Any) -> Any:
    """A new unfitted copy ``type(est)(**est.get_params())`` with ``overrides`` and, when it
    has a ``random_state`` parameter, the seed ``seed``."""
    params = estimator.get_params(deep=False)
    if seed is not None and "random_state" in params:
        params["random_state"] = seed
    for name, value in overrides.items():
        if name in params:
            params[name] = value
    return type(estimator)(**params)


def fit_labels(estimator: Any, X: Any) -> np.ndarray:
    """Fit and return the labels (``labels_``, else ``fit_predict``)."""
    fitted = estimator.fit(X)
    labels = getattr(fitted if fitted is not None else estimator, "labels_", None)
    if labels is None:
        labels = estimator.fit_predict(X)
    return np.asarray(labels)


def segment_codes(labels: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """A clusterer's labels -> int32 codes 0..S-1 (sorted), -1 for noise; the segments."""
    enc = encode_labels(np.asarray(labels).ravel(), name="the clusterer's labels", noise=True)
    return enc.codes.astype(np.int32), enc.uniques


def n_clusters_of(estimator: Any) -> int | None:
    """The clusterer's ``n_clusters`` parameter, if it has an int one."""
    k = estimator.get_params(deep=False).get("n_clusters")
    return int(k) if isinstance(k, numbers.Integral) and not isinstance(k, bool) else None


def is_numeric_table(X: Any) -> bool:
    """Whether ``X`` has numeric (or bool) columns only (arrays of numbers included)."""
    if hasattr(X, "to_pandas") and not isinstance(X, pd.DataFrame | pd.Series):
        X = X.to_pandas()
    if isinstance(X, pd.DataFrame):
        return all(
            pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype)
            for t in X.dtypes
        )
    return np.asarray(X).dtype.kind in "biuf"


def read_table(X: Any, name: str) -> tuple[Any, int, pd.Index | None, Checked | None]:
    """``(table, n_rows, index, numeric)``: a numeric table as one checked float64 array
    (``numeric`` is its :class:`Checked`), a mixed one as a DataFrame left for the clusterer
    to check and read (its first fit raises on bad input)."""
    if is_numeric_table(X):
        checked = check_array(X, dtypes=(np.float64,), estimator=name)
        return checked.values, checked.values.shape[0], checked.index, checked
    if hasattr(X, "to_pandas") and not isinstance(X, pd.DataFrame):
        X = X.to_pandas()
    frame = (
        X
        if isinstance(X, pd.DataFrame)
        else pd.DataFrame(np.asarray(X, dtype=object)).infer_objects()
    )
    index = X.index if isinstance(X, pd.DataFrame) else None
    return _with_categories(frame), len(frame), index, None


def _with_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas categoricals with sorted categories (the codes the funnel
    would give them), so that every refit on a subset reads them without re-encoding."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if not isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.infer_dtype(
            s, skipna=True
        ) in ("string", "unicode"):
            levels = sorted(pd.unique(s.dropna()))
            s = pd.Series(pd.Categorical(s, categories=levels), index=s.index, name=col)
        out[col] = s
    return pd.DataFrame(out, index=frame.index)


def take_rows(table: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` (positions) of a table from :func:`read_table`."""
    if isinstance(table, pd.DataFrame):
        return table.iloc[rows]
    return table[rows]


def refuse_precomputed(estimator: Any, name: str) -> None:
    """Resampling takes rows of the table; a clusterer fed a precomputed distance matrix
    (``metric="precomputed"``) would see a matrix cut by rows only, so it is refused."""
    params = estimator.get_params(deep=False)
    if any(params.get(p) == "precomputed" for p in ("metric", "affinity")):
        raise InvalidParameterError(
            f"{name}: {type(estimator).__name__} with metric='precomputed' cannot be refit on "
            "resampled rows; pass the customer table and the metric itself (e.g. "
            "'euclidean' or 'gower')"
        )


def check_clusterer(estimator: Any, name: str, *, needs_predict: bool) -> None:
    """Raise unless the clusterer has ``fit``, ``get_params`` (and ``predict``) and an int
    ``n_clusters`` parameter that the analysis can set per k, and takes table rows."""
    methods = ["fit", "get_params"] + (["predict"] if needs_predict else [])
    missing = [m for m in methods if not callable(getattr(estimator, m, None))]
    if missing:
        raise InvalidParameterError(
            f"{name}: estimator must be a clusterer with {', '.join(methods)}; "
            f"{type(estimator).__name__} has no {', '.join(missing)}"
        )
    refuse_precomputed(estimator, name)
    if "n_clusters" not in estimator.get_params(deep=False):
        raise InvalidParameterError(
            f"{name}: estimator must have an n_clusters parameter (it is set to each k); "
            f"{type(estimator).__name__} has none"
        )


# --------------------------------------------------------------------------- criteria


def stream(seed: int, *path: int) -> np.random.Generator:
    """The random stream of one draw: ``(seed, criterion, k, replicate...)``, so results do
    not depend on how replicates are chunked."""
    return np.random.default_rng(np.random.SeedSequence([seed % (1 << 63), *path]))


def seed_of(rng: np.random.Generator) -> int:
    """A clusterer's ``random_state`` drawn from ``rng``."""
    return int(rng.integers(0, 2**31 - 1))


def refit(estimator: Any, table: Any, rows: np.ndarray | None, k: int, seed: int, **kw: Any) -> Any:
    """A fresh copy with ``n_clusters=k`` fitted to ``rows`` of the table (all rows if None)."""
    model = fresh(estimator, seed, n_clusters=k, **kw)
    model.fit(table if rows is None else take_rows(table, rows))
    return model


def labels_of(model: Any) -> np.ndarray:
    return np.asarray(model.labels_)


def strength(own: np.ndarray, predicted: np.ndarray) -> float:
    """Tibshirani & Walther's prediction strength of one half: the smallest share, over the
    half's own clusters, of pairs that the other half's model also puts together (a cluster
    of fewer than two rows scores 1, as in fpc). The core's formula (``half_strength``,
    the one the k-means path uses) on the labels coded here."""
    own_codes = encode_labels(own, name="the half's labels").codes
    pred_codes = encode_labels(predicted, name="the other half's predictions").codes
    k = int(max(own_codes.max(), pred_codes.max())) + 1
    return _core.choose_k_half_strength(
        own_codes.astype(np.int32), pred_codes.astype(np.int32), k=k
    )


def prediction_strength_splits(
    estimator: Any, table: Any, n: int, ks: list[int], splits: range, seed: int
) -> np.ndarray:
    """Per split (rows) and k (columns): the smaller prediction strength of the two halves,
    each half's clusters against the other half's model's ``predict``."""
    out = np.empty((len(splits), len(ks)))
    for row, s in enumerate(splits):
        rng = stream(seed, 1, s)
        perm = rng.permutation(n)
        halves = (np.sort(perm[: n // 2]), np.sort(perm[n // 2 :]))
        for col, k in enumerate(ks):
            models = [refit(estimator, table, h, k, seed_of(rng), n_init=1) for h in halves]
            values = []
            for own, other, rows in ((0, 1, halves[0]), (1, 0, halves[1])):
                predicted = np.asarray(models[other].predict(take_rows(table, rows)))
                values.append(strength(labels_of(models[own]), predicted))
            out[row, col] = min(values)
    return out


def bootstrap_ari_pairs(
    estimator: Any, table: Any, n: int, ks: list[int], pairs: range, seed: int
) -> np.ndarray:
    """Per bootstrap pair (rows) and k: the ARI of the partitions of all rows that models fit
    on two bootstrap samples predict (flexclust's ``bootFlexclust``)."""
    from ..metrics import adjusted_rand_score

    out = np.empty((len(pairs), len(ks)))
    for row, b in enumerate(pairs):
        rng = stream(seed, 2, b)
        samples = (np.sort(rng.integers(0, n, n)), np.sort(rng.integers(0, n, n)))
        for col, k in enumerate(ks):
            preds = [
                np.asarray(refit(estimator, table, rows, k, seed_of(rng), n_init=1).predict(table))
                for rows in samples
            ]
            out[row, col] = adjusted_rand_score(preds[0], preds[1])
    return out


def mixed_embedding(model: Any, table: pd.DataFrame) -> np.ndarray | None:
    """Rows of a mixed table as points whose Euclidean distance is the square root of the
    k-prototypes cost of a fitted KPrototypes/KModes ``model``: the numeric columns, then
    each categorical column one-hot, scaled by ``sqrt(gamma / 2)``. None for a clusterer
    without that cost."""
    levels = getattr(model, "categories_", None)
    columns = getattr(model, "categorical_columns_", None)
    if levels is None or columns is None:
        return None
    m = check_mixed(
        table,
        categorical=columns,
        levels=levels,
        missing=getattr(model, "missing", "error"),
        unknown="mismatch",
    )
    scale = np.sqrt(getattr(model, "gamma_", 1.0) / 2.0)
    blocks = [m.numeric]
    for j, n_levels in enumerate(m.n_levels):
        onehot = np.zeros((m.categorical.shape[0], int(n_levels)))
        seen = m.categorical[:, j] >= 0
        onehot[np.flatnonzero(seen), m.categorical[seen, j]] = scale
        blocks.append(onehot)
    return np.ascontiguousarray(np.hstack(blocks))


def gower_keywords(model: Any) -> dict[str, Any] | None:
    """For a clusterer that segments on Gower's distance (``metric="gower"``, as
    :class:`~segwise.cluster.KMedoids`): the column settings of that distance
    (``categorical``, ``weights``, ``missing``, those it has), to score it on the same
    distance; None for any other clusterer."""
    params = model.get_params(deep=False)
    if params.get("metric") != "gower":
        return None
    return {k: params[k] for k in ("categorical", "weights", "missing") if k in params}
