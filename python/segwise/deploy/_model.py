"""A deployable segmentation: :class:`SegmentModel`, built from a fitted estimator
(:meth:`SegmentModel.from_estimator`) or read from a model file (:func:`load_model`)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._core import __version__
from ..exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    InvalidParameterError,
    ModelFileError,
    NonFiniteError,
    NonNumericError,
    NotFittedError,
    PrivacyError,
    PrivacyWarning,
    ShapeMismatchError,
    UnsupportedModelError,
)
from ._mixed import MixedStep
from ._steps import (
    _CONVERTERS,
    _HOLDS_ROWS,
    STEP_CLASSES,
    CentroidStep,
    Step,
    _level,
    class_key,
    encode_array,
)

FORMAT = "segwise-model"
SCHEMA_VERSION = 1
_PIPELINE = "sklearn.pipeline.Pipeline"
_COLUMN_TRANSFORMER = "sklearn.compose._column_transformer.ColumnTransformer"
_REFERENCE_BINS = 10


@dataclass
class Branch:
    """One ColumnTransformer branch: input positions and the steps applied to them."""

    columns: list[int]
    steps: list[Step]

    @property
    def kind(self) -> str:
        return self.steps[0].consumes if self.steps else "numeric"

    @property
    def n_out(self) -> int:
        return self.steps[-1].n_out if self.steps else len(self.columns)


Branches = list[Branch] | None


def _supported() -> str:
    names = sorted({k.rsplit(".", 1)[1] for k in _CONVERTERS})
    return ", ".join(["Pipeline", "ColumnTransformer", *names])


def _convert(est: Any, where: str) -> list[Step]:
    key = class_key(est)
    conv = _CONVERTERS.get(key)
    if conv is None:
        raise UnsupportedModelError(
            f"{where} ({type(est).__name__}, {key}) cannot be deployed; supported steps: "
            f"{_supported()}"
        )
    return conv(est)


def _positions(cols: Any, names: list[str], n_features: int, where: str) -> list[int]:
    if isinstance(cols, str | int) and not isinstance(cols, bool):
        cols = [cols]
    if isinstance(cols, slice):
        if cols.start is None or isinstance(cols.start, int):
            return list(range(n_features))[cols]
        start = names.index(cols.start)
        stop = names.index(cols.stop) + 1 if cols.stop is not None else n_features
        return list(range(start, stop))
    if callable(cols):
        raise UnsupportedModelError(f"{where}: columns chosen by a callable are not supported")
    arr = np.asarray(list(cols))
    if arr.dtype == bool:
        return [int(i) for i in np.flatnonzero(arr)]
    out = []
    for c in arr.tolist():
        if isinstance(c, str):
            if c not in names:
                raise UnsupportedModelError(f"{where}: column {c!r} is not an input column")
            out.append(names.index(c))
        else:
            out.append(int(c) % n_features)
    return out


def _fitted_at(est: Any) -> str | None:
    """The latest fit time (``_fitted_at``, stamped by ``check_features`` at fit) among the
    estimators that make up ``est``; None when none has one (scikit-learn's own steps)."""
    if isinstance(est, list | tuple):
        parts: list[Any] = list(est)
    elif class_key(est) == _PIPELINE:
        parts = [s for _, s in est.steps]
    elif class_key(est) == _COLUMN_TRANSFORMER:
        parts = [t for _, t, _ in getattr(est, "transformers_", [])]
    else:
        stamp = getattr(est, "_fitted_at", None)
        return stamp if isinstance(stamp, str) else None
    stamps = [t for t in map(_fitted_at, parts) if t is not None]
    return max(stamps) if stamps else None  # one ISO 8601 UTC format: text order is time


def _compile(est: Any) -> tuple[list[str], bool, Branches, list[Step]]:
    """(input names, named?, column branches or None, the steps after them)."""
    if isinstance(est, list | tuple):
        # A chain of fitted estimators applied in order: a Pipeline without scikit-learn.
        if not est:
            raise UnsupportedModelError("an empty list of estimators cannot be deployed")
        parts = [(f"{i}", e) for i, e in enumerate(est)]
        first = est[0]
    elif class_key(est) == _PIPELINE:
        parts = [(n, s) for n, s in est.steps if s is not None and s != "passthrough"]
        first = est
    else:
        parts = [(type(est).__name__, est)]
        first = est
    names_in = getattr(first, "feature_names_in_", None)
    if not hasattr(first, "n_features_in_"):
        raise NotFittedError(f"{type(first).__name__} is not fitted: fit it before deploying")
    n_features = int(first.n_features_in_)
    named = names_in is not None
    names = (
        [str(c) for c in names_in] if names_in is not None else [f"x{j}" for j in range(n_features)]
    )
    branches: Branches = None
    steps: list[Step] = []
    for i, (name, part) in enumerate(parts):
        where = f"step {name!r}"
        if class_key(part) == _COLUMN_TRANSFORMER:
            if i != 0:
                raise UnsupportedModelError(
                    f"{where}: a ColumnTransformer is supported only as the first step"
                )
            branches = _column_branches(part, names, n_features)
        elif class_key(part) == _PIPELINE:
            raise UnsupportedModelError(
                f"{where}: nested Pipelines are supported only inside a ColumnTransformer"
            )
        else:
            steps += _convert(part, where)
    if steps and isinstance(steps[-1], MixedStep):
        return _compile_mixed(names, named, branches, steps, n_features)
    _check_chain(branches, steps, n_features)
    return names, named, branches, steps


def _compile_mixed(
    names: list[str], named: bool, branches: Branches, steps: list[Step], n_features: int
) -> tuple[list[str], bool, Branches, list[Step]]:
    """A mixed-type clustering reads the whole table: steps before it must be numeric
    transformers fitted on its numeric columns (they are folded into it)."""
    mixed = steps[-1]
    assert isinstance(mixed, MixedStep)
    before = steps[:-1]
    if branches is not None or any(s.consumes != "numeric" for s in before):
        raise UnsupportedModelError(
            f"{mixed.estimator} reads numeric and categorical columns itself: only numeric "
            "transformers (scalers, Log1pTransformer) fitted on its numeric columns may come "
            "before it, not a ColumnTransformer or an encoder"
        )
    if before:
        if (named and names != mixed.numeric_names) or n_features != len(mixed.numeric_names):
            raise UnsupportedModelError(
                f"the steps before {mixed.estimator} were fitted on columns {names}, not on "
                f"its numeric columns {mixed.numeric_names}"
            )
        mixed.numeric_steps = before + mixed.numeric_steps
        _check_numeric_chain(mixed)
    return mixed.columns, mixed.named, None, [mixed]


def _check_numeric_chain(mixed: MixedStep) -> None:
    width = len(mixed.numeric_names)
    for s in mixed.numeric_steps:
        if s.consumes != "numeric" or s.n_in != width or s.n_out != s.n_in:
            raise UnsupportedModelError(
                f"a {s.kind} step before {mixed.estimator} must transform its "
                f"{len(mixed.numeric_names)} numeric column(s) {mixed.numeric_names}"
            )
        width = s.n_out


def _column_branches(ct: Any, names: list[str], n_features: int) -> list[Branch]:
    branches = []
    for name, trans, cols in ct.transformers_:
        where = f"ColumnTransformer branch {name!r}"
        if isinstance(trans, str) and trans == "drop":
            continue
        positions = _positions(cols, names, n_features, where)
        if not positions:
            continue
        if isinstance(trans, str) and trans == "passthrough":
            branches.append(Branch(positions, []))
            continue
        inner = (
            [(n, s) for n, s in trans.steps if s is not None and s != "passthrough"]
            if class_key(trans) == _PIPELINE
            else [(name, trans)]
        )
        steps: list[Step] = []
        for sub_name, sub in inner:
            steps += _convert(sub, f"{where}, step {sub_name!r}")
        if any(s.consumes == "categorical" for s in steps[1:]):
            raise UnsupportedModelError(f"{where}: an encoder must be the branch's first step")
        branches.append(Branch(positions, steps))
    if not branches:
        raise UnsupportedModelError("the ColumnTransformer outputs no column")
    return branches


def _check_chain(branches: Branches, steps: list[Step], n_features: int) -> None:
    if steps and isinstance(steps[-1], MixedStep):
        if branches is not None or len(steps) != 1 or steps[-1].n_in != n_features:
            raise ModelFileError("a mixed-type clustering must be the model's only step")
        _check_numeric_chain(steps[-1])
        return
    width = n_features if branches is None else sum(b.n_out for b in branches)
    for k, step in enumerate(steps):
        if step.consumes == "categorical" and (k > 0 or branches is not None):
            raise UnsupportedModelError(
                "an encoder must come first (or inside a ColumnTransformer branch)"
            )
        if step.n_in != width:
            raise UnsupportedModelError(
                f"step {k} ({step.kind}) expects {step.n_in} features but receives {width}"
            )
        width = step.n_out
        if isinstance(step, CentroidStep) and k != len(steps) - 1:
            raise UnsupportedModelError("the clustering must be the last step")


# --------------------------------------------------------------------------- input


def _numeric(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    bad = [
        c
        for c in names
        if not (
            pd.api.types.is_numeric_dtype(frame[c].dtype) or pd.api.types.is_bool_dtype(frame[c])
        )
    ]
    if bad:
        raise NonNumericError(f"column(s) {bad} must be numeric for this model")
    return np.ascontiguousarray(frame[names].to_numpy(dtype=np.float64, na_value=np.nan))


class _Table:
    """The model's input columns, read once from a DataFrame, an array or one customer."""

    def __init__(self, model: SegmentModel, X: Any) -> None:
        names = model.feature_names
        self.names = names
        if isinstance(X, pd.DataFrame):
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise ColumnNotFoundError(
                    f"the data has no column(s) {missing} that the model needs "
                    f"({len(missing)} of {len(names)} features missing)"
                )
            self.frame: pd.DataFrame | None = X
            self.array: np.ndarray | None = None
            self.n = X.shape[0]
        else:
            arr = np.asarray(X, dtype=object if model.has_categorical else None)
            if arr.ndim != 2:
                raise ShapeMismatchError(f"X must be 2-D, got shape {arr.shape}")
            if arr.shape[1] != len(names):
                raise ShapeMismatchError(
                    f"X has {arr.shape[1]} columns but the model needs {len(names)}: {names}"
                )
            self.frame, self.array, self.n = None, arr, arr.shape[0]

    def block(self, positions: list[int], kind: str) -> np.ndarray:
        cols = [self.names[p] for p in positions]
        if self.frame is not None:
            if kind == "numeric":
                return _numeric(self.frame, cols)
            return self.frame[cols].to_numpy(dtype=object)
        assert self.array is not None
        sub = self.array[:, positions]
        if kind == "numeric":
            try:
                return np.ascontiguousarray(sub, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise NonNumericError(f"columns {cols} must be numeric: {exc}") from None
        return sub.astype(object)


# --------------------------------------------------------------------------- the model


class SegmentModel:
    """A fitted segmentation ready to deploy: preprocessing and clustering as plain numbers.

    Built by :meth:`from_estimator` (from a fitted segwise estimator or a scikit-learn
    ``Pipeline`` / ``ColumnTransformer`` of supported steps) or :func:`load_model`; saved
    with :meth:`save`. It predicts exactly what the fitted estimator predicts (the same
    floating-point operations in the same order, the same Rust kernel), also one customer
    at a time (:meth:`predict_one`), and writes itself as SQL (:func:`to_sql`).

    Attributes
    ----------
    feature_names : list of str
        Input columns, in the order of the fitted estimator (``x0, x1, ...`` when it was
        fitted on an array).
    feature_kinds : list of str
        ``"numeric"`` or ``"categorical"`` per input column.
    n_segments : int or None
        Number of segments (None for a transformer without a clustering step).
    segment_names : list of str or None
        A name per segment id.
    metadata : dict
        Who/what/when: ``segwise_version``; ``fitted_at``, when the estimator was fitted
        (UTC, ISO 8601; the latest fit among the steps, None for scikit-learn's own
        steps; a refresh's refit time); ``created_at``, when the model file was written
        (None until :meth:`save`); ``fit_rows``; ``fingerprint`` of the training data;
        the caller's own entries under ``"user"``.
    reference : dict or None
        The training data's distributions (decile edges and counts per numeric feature,
        level counts per categorical feature, segment counts) used by :func:`drift_check`.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import SegmentModel
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["recency", "spend"])
    >>> km = KMeans(n_clusters=3, random_state=0).fit(X)
    >>> model = SegmentModel.from_estimator(km, X=X)
    >>> bool((model.predict(X) == km.predict(X)).all())
    True
    >>> one = {"recency": 0.5, "spend": -1.0}
    >>> model.predict_one(one) == int(km.predict(pd.DataFrame([one]))[0])
    True
    """

    def __init__(
        self,
        feature_names: list[str],
        named: bool,
        branches: Branches,
        steps: list[Step],
        *,
        feature_kinds: list[str] | None = None,
        feature_dtypes: list[str | None] | None = None,
        segment_names: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        reference: dict[str, Any] | None = None,
    ) -> None:
        self.feature_names = feature_names
        self.named = named
        self.branches = branches
        self.steps = steps
        kinds = ["numeric"] * len(feature_names)
        for b in branches or []:
            for p in b.columns:
                kinds[p] = b.kind
        last = steps[-1] if steps else None
        self._mixed = last if isinstance(last, MixedStep) else None
        if self._mixed is not None:
            kinds = ["categorical" if c else "numeric" for c in self._mixed.is_categorical]
        self.feature_kinds = feature_kinds or kinds
        self.feature_dtypes = feature_dtypes or [None] * len(feature_names)
        self.has_categorical = "categorical" in self.feature_kinds
        self.metadata = metadata or {}
        self.reference = reference
        self._clusterer: CentroidStep | MixedStep | None = (
            last if isinstance(last, CentroidStep | MixedStep) else None
        )
        self._pre = steps[:-1] if self._clusterer is not None else steps
        self.n_segments = None if self._clusterer is None else self._clusterer.n_out
        if segment_names is not None:
            segment_names = [str(s) for s in segment_names]
            if self.n_segments is None or len(segment_names) != self.n_segments:
                raise ShapeMismatchError(
                    f"segment_names has {len(segment_names)} names but the model has "
                    f"{self.n_segments} segments"
                )
        self.segment_names = segment_names
        # The one-row path needs no ColumnTransformer: everything is numeric and in order.
        self._simple = branches is None and not self.has_categorical and self._mixed is None
        self._column_cache: dict[tuple[Any, ...], np.ndarray] = {}

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_estimator(
        cls,
        model: Any,
        *,
        X: Any = None,
        segment_names: Sequence[str] | Mapping[int, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> SegmentModel:
        """A deployable copy of a fitted estimator (the estimator is not kept).

        Parameters
        ----------
        model : fitted estimator
            A segwise scaler, ``Log1pTransformer``, ``KMeans``, ``MiniBatchKMeans``, or a
            scikit-learn ``Pipeline`` / ``ColumnTransformer`` of those and scikit-learn's
            ``OneHotEncoder`` / ``OrdinalEncoder`` and scalers; or ``KPrototypes``,
            ``KModes``, ``KMedoids`` (Gower or Euclidean), alone or after segwise scalers
            fitted on their numeric columns (a list of fitted steps). For these,
            :meth:`distance` is the estimator's ``transform`` at the assigned segment (the
            k-prototypes cost, the Gower or Euclidean distance to the medoid).
        X : DataFrame or array, optional
            The training data: records the row count, a fingerprint (SHA-256 of pandas'
            row hashes: identifies the data, reveals nothing), the column dtypes and the
            reference distributions for :func:`drift_check`. Only aggregates are kept.
        segment_names : list or dict, optional
            A name per segment id.
        metadata : dict, optional
            Your own JSON-serialisable entries (who, why, ...), stored under ``"user"``.

        Returns
        -------
        SegmentModel

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> SegmentModel.from_estimator(km, segment_names=["low", "high"]).n_segments
        2
        """
        names, named, branches, steps = _compile(model)
        if isinstance(segment_names, Mapping):
            segment_names = [segment_names[i] for i in range(len(segment_names))]
        meta: dict[str, Any] = {
            "segwise_version": __version__,
            "fitted_at": _fitted_at(model),
            "created_at": None,  # when the model file is written (save)
            "estimator": type(model).__name__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "fit_rows": None,
            "fingerprint": None,
            "user": dict(metadata or {}),
        }
        try:
            json.dumps(meta["user"], allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UnsupportedModelError(f"metadata must be JSON-serialisable: {exc}") from None
        out = cls(
            names,
            named,
            branches,
            steps,
            segment_names=list(segment_names) if segment_names is not None else None,
            metadata=meta,
        )
        if X is not None:
            out._describe_training_data(X)
        else:
            last = (
                model[-1]
                if isinstance(model, list | tuple)
                else model.steps[-1][1]
                if class_key(model) == _PIPELINE
                else model
            )
            labels = getattr(last, "labels_", None)
            if labels is not None and out.n_segments is not None:
                counts = np.bincount(np.asarray(labels), minlength=out.n_segments)
                out.metadata["fit_rows"] = int(counts.sum())
                out.reference = {"segments": {"counts": counts.tolist()}, "features": {}}
        return out

    def _describe_training_data(self, X: Any) -> None:
        table = _Table(self, X)
        if table.n == 0:
            raise EmptyInputError("X has no rows")
        self.metadata["fit_rows"] = int(table.n)
        self.metadata["fingerprint"] = fingerprint(X)
        if table.frame is not None:
            self.feature_dtypes = [str(table.frame[c].dtype) for c in self.feature_names]
        features: dict[str, Any] = {}
        numeric = [j for j, k in enumerate(self.feature_kinds) if k == "numeric"]
        if numeric:
            block = table.block(numeric, "numeric")
            per = _core.drift_psi_feature_bins(block, block[:1], bins=_REFERENCE_BINS)
            for j, (edges, counts, _, missing, _) in zip(numeric, per, strict=True):
                features[self.feature_names[j]] = {
                    "edges": encode_array(edges),
                    "counts": [int(c) for c in counts],
                    "missing": int(missing),
                }
        for j, kind in enumerate(self.feature_kinds):
            if kind == "categorical":
                col = pd.Series(table.block([j], "categorical")[:, 0])
                counts = col.value_counts(dropna=False, sort=False)
                features[self.feature_names[j]] = {
                    "levels": [_level(v, allow_bool=True) for v in counts.index],
                    "counts": [int(c) for c in counts],
                }
        ref: dict[str, Any] = {"features": features, "n_rows": int(table.n)}
        if self._clusterer is not None:
            labels = self.predict(X)
            k = self._clusterer.n_out
            ref["segments"] = {"counts": np.bincount(labels, minlength=k).tolist()}
        self.reference = ref

    # ------------------------------------------------------------------ scoring

    def _features(self, table: _Table) -> np.ndarray:
        if self._mixed is not None:
            raise UnsupportedModelError(
                f"a {self._mixed.estimator} model has no numeric feature matrix: it reads the "
                "numeric and categorical columns itself; use predict() or distance()"
            )
        if self.branches is None:
            kind = "categorical" if self.has_categorical else "numeric"
            Z = table.block(list(range(len(self.feature_names))), kind)
            names: Sequence[str] = self.feature_names
        else:
            parts = []
            for b in self.branches:
                block = table.block(b.columns, b.kind)
                bnames = [self.feature_names[p] for p in b.columns]
                for s in b.steps:
                    block = s.apply(block, bnames)
                parts.append(
                    np.asarray(block, dtype=block.dtype if block.dtype.kind == "f" else np.float64)
                )
            Z = np.hstack(parts) if len(parts) > 1 else parts[0]
            names = [f"z{j}" for j in range(Z.shape[1])]
        for s in self._pre:
            Z = s.apply(Z, names)
            names = [f"z{j}" for j in range(Z.shape[1])]
        return Z

    def _check_finite(self, Z: np.ndarray, table: _Table) -> None:
        if np.isfinite(Z).all():
            return
        bad_rows = ~np.isfinite(Z).all(axis=1)
        numeric = [j for j, k in enumerate(self.feature_kinds) if k == "numeric"]
        cols: list[str] = []
        if numeric:
            raw = table.block(numeric, "numeric")[bad_rows]
            cols = [
                self.feature_names[numeric[j]]
                for j in np.flatnonzero((~np.isfinite(raw)).any(axis=0))
            ]
        where = f" (missing or infinite in column(s) {cols})" if cols else ""
        raise NonFiniteError(
            f"{int(bad_rows.sum())} of {Z.shape[0]} rows have no segment: NaN or infinity "
            f"after preprocessing{where}"
        )

    def transform(self, X: Any) -> np.ndarray:
        """The preprocessed features (the clustering's input) as a float array.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            Extra DataFrame columns are ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_preprocessed_features)

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.deploy import SegmentModel
        >>> from segwise.preprocessing import StandardScaler
        >>> X = pd.DataFrame({"spend": [1.0, 3.0]})
        >>> SegmentModel.from_estimator(StandardScaler().fit(X)).transform(X).ravel()
        array([-1.,  1.])
        """
        return self._features(_Table(self, X))

    def predict(self, X: Any) -> np.ndarray:
        """Segment id of each row (int32), exactly as the fitted estimator's ``predict``.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            A DataFrame needs the model's columns (any order; extra columns are ignored).

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32

        Raises
        ------
        ColumnNotFoundError
            A column the model needs is missing.
        UnknownCategoryError
            A categorical column holds a level the encoder never saw (with
            ``handle_unknown="error"``).
        NonFiniteError
            A row is NaN or infinite after preprocessing (names the columns).

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> X = np.array([[0.0], [0.2], [9.0], [9.2]])
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> m = SegmentModel.from_estimator(km)
        >>> bool((m.predict(X) == km.labels_).all())
        True
        """
        clusterer = self._require_clusterer()
        if self._mixed is not None:
            data = self._mixed_input(X)
            if data is None:
                return np.empty(0, dtype=np.int32)
            return self._mixed.apply(data, [])
        Z = self._small_numeric(X) if self._simple else None
        if Z is not None:
            table = None
            for s in self._pre:
                Z = s.apply(Z, self.feature_names)
        else:
            table = _Table(self, X)
            if table.n == 0:
                return np.empty(0, dtype=np.int32)
            Z = self._features(table)
        if not np.isfinite(Z).all():
            self._check_finite(Z, table if table is not None else _Table(self, X))
        return clusterer.apply(Z, [])

    def _small_numeric(self, X: Any) -> np.ndarray | None:
        """The input as float64 without the DataFrame machinery (column selection, dtype
        scans cost ~100 us per call), for a float array or a small all-numeric DataFrame;
        None when the general path is needed."""
        if type(X) is np.ndarray:
            ok = X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == len(self.feature_names)
            return X if ok and X.shape[0] > 0 else None
        if type(X) is not pd.DataFrame or not 0 < X.shape[0] <= 64:
            return None
        values = X.to_numpy()
        if values.dtype.kind not in "fiub":  # object: text or mixed columns
            return None
        columns = X.columns.tolist()
        if columns != self.feature_names:
            key = tuple(columns)
            take = self._column_cache.get(key)
            if take is None:
                if any(n not in key for n in self.feature_names) or len(set(key)) != len(key):
                    return None  # the general path names the missing columns
                take = np.asarray([key.index(n) for n in self.feature_names])
                if len(self._column_cache) < 64:
                    self._column_cache[key] = take
            values = values[:, take]
        return np.ascontiguousarray(values, dtype=np.float64)

    def distance(self, X: Any) -> np.ndarray:
        """Euclidean distance of each row to its segment's centre.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
        >>> m = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X))
        >>> m.distance(X)
        array([1., 1., 1., 1.])
        """
        clusterer = self._require_clusterer()
        if self._mixed is not None:
            data = self._mixed_input(X)
            if data is None:
                return np.empty(0, dtype=np.float64)
            d = self._mixed.distances(data)
            labels = self._mixed.apply(data, [])
            return d[np.arange(d.shape[0]), labels]  # type: ignore[no-any-return]
        table = _Table(self, X)
        Z = self._features(table)
        self._check_finite(Z, table)
        d = clusterer.distances(Z)
        labels = clusterer.apply(Z, [])
        return d[np.arange(d.shape[0]), labels]  # type: ignore[no-any-return]

    @property
    def holds_customer_rows(self) -> bool:
        """Whether the model's state holds real customers' rows (k-medoids' medoids)."""
        return any(s.holds_customer_rows for s in self.steps)

    def _mixed_input(self, X: Any) -> Any:
        """The model's columns of ``X`` for a mixed-type clustering (None: no rows)."""
        table = _Table(self, X)
        if table.n == 0:
            return None
        if table.frame is not None:
            return table.frame[self.feature_names]
        return table.array

    def predict_one(self, customer: Mapping[str, Any] | pd.Series) -> int:
        """Segment id of one customer given as a dict (or a pandas Series) of features.

        The fast path for real-time assignment: no DataFrame is built; a 12-feature
        scaler + k-means model answers in a few microseconds. Same answer as
        :meth:`predict` on the one-row table.

        Parameters
        ----------
        customer : dict or pandas.Series
            ``{feature name: value}``; extra keys are ignored.

        Returns
        -------
        int

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> X = pd.DataFrame({"spend": [0.0, 1.0, 50.0, 51.0]})
        >>> m = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X))
        >>> m.predict_one({"spend": 49.0}) == int(m.predict(X)[2])
        True
        """
        if isinstance(customer, pd.Series):
            customer = dict(zip(customer.index.tolist(), customer.tolist(), strict=True))
        if self._mixed is not None:
            label = self._mixed.predict_one({n: customer[n] for n in self._need(customer)})
            if label is not None:
                return label
        if not self._simple or self._clusterer is None:
            row = pd.DataFrame([{n: customer[n] for n in self._need(customer)}])
            return int(self.predict(row)[0])
        try:
            values = [customer[n] for n in self.feature_names]
        except KeyError:
            self._need(customer)
            raise
        try:
            Z = np.array([values], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise NonNumericError(f"the customer's features must be numbers: {exc}") from None
        for s in self._pre:
            Z = s.apply(Z, self.feature_names)
        if not np.isfinite(Z).all():
            bad = [
                n for n, v in zip(self.feature_names, values, strict=True) if not math.isfinite(v)
            ]
            raise NonFiniteError(f"the customer has NaN or infinity in {bad or 'a feature'}")
        if type(self._clusterer) is not CentroidStep:
            return int(self._clusterer.apply(Z, self.feature_names)[0])
        return int(_core.kmeans_predict(Z, self._clusterer.centers)[0])

    def _need(self, customer: Mapping[str, Any]) -> list[str]:
        missing = [n for n in self.feature_names if n not in customer]
        if missing:
            raise ColumnNotFoundError(f"the customer has no value for {missing}")
        return self.feature_names

    def _require_clusterer(self) -> CentroidStep | MixedStep:
        if self._clusterer is None:
            raise UnsupportedModelError(
                "this model has no clustering step (it only transforms): use transform()"
            )
        return self._clusterer

    # ------------------------------------------------------------------ file

    def to_dict(self) -> dict[str, Any]:
        """The model file's payload (JSON-ready; numbers round-trip exactly).

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> km = KMeans(n_clusters=1, random_state=0).fit(np.array([[0.1], [0.2]]))
        >>> SegmentModel.from_estimator(km).to_dict()["steps"][0]["kind"]
        'centroids'
        """

        def steps_json(steps: list[Step]) -> list[dict[str, Any]]:
            return [{"kind": s.kind, "state": s.state()} for s in steps]

        return {
            "input": {
                "named": self.named,
                "features": [
                    {"name": n, "kind": k, "dtype": d}
                    for n, k, d in zip(
                        self.feature_names, self.feature_kinds, self.feature_dtypes, strict=True
                    )
                ],
            },
            "branches": None
            if self.branches is None
            else [{"columns": b.columns, "steps": steps_json(b.steps)} for b in self.branches],
            "steps": steps_json(self.steps),
            "segment_names": self.segment_names,
            "metadata": self.metadata,
            "reference": self.reference,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> SegmentModel:
        """Rebuild a model from :meth:`to_dict`'s payload (no code is run).

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel
        >>> km = KMeans(n_clusters=1, random_state=0).fit(np.array([[0.1], [0.2]]))
        >>> SegmentModel.from_dict(SegmentModel.from_estimator(km).to_dict()).n_segments
        1
        """
        try:

            def steps_of(items: list[dict[str, Any]]) -> list[Step]:
                out = []
                for item in items:
                    step_cls = STEP_CLASSES.get(item["kind"])
                    if step_cls is None:
                        raise ModelFileError(
                            f"unknown step kind {item['kind']!r}: written by another segwise?"
                        )
                    out.append(step_cls.from_state(item["state"]))
                return out

            feats = payload["input"]["features"]
            branches = (
                None
                if payload["branches"] is None
                else [
                    Branch([int(c) for c in b["columns"]], steps_of(b["steps"]))
                    for b in payload["branches"]
                ]
            )
            model = cls(
                [str(f["name"]) for f in feats],
                bool(payload["input"]["named"]),
                branches,
                steps_of(payload["steps"]),
                feature_kinds=[f["kind"] for f in feats],
                feature_dtypes=[f["dtype"] for f in feats],
                segment_names=payload["segment_names"],
                metadata=payload["metadata"],
                reference=payload["reference"],
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ModelFileError(f"the model file is missing or garbles {exc}") from None
        _check_chain(model.branches, model.steps, len(model.feature_names))
        return model

    def save(
        self,
        path: str | Path,
        *,
        min_segment_size: int = 10,
        on_small_segment: str = "warn",
        allow_customer_rows: bool = False,
    ) -> Path:
        """Write the model file (see :func:`save_model`; a model holding real customers'
        rows, k-medoids' medoids, needs ``allow_customer_rows=True``, which the file then
        records: a model loaded from it is saved or written as SQL without asking again).

        Examples
        --------
        >>> import numpy as np, tempfile, pathlib
        >>> from segwise.cluster import KMeans
        >>> from segwise.deploy import SegmentModel, load_model
        >>> X = np.repeat([[0.0], [9.0]], 20, axis=0)
        >>> m = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X))
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = m.save(pathlib.Path(d) / "model.json")
        ...     load_model(path).n_segments
        2
        """
        check_segment_sizes(self, min_segment_size, on_small_segment, "exported")
        check_model_rows(self, allow_customer_rows, "export")
        payload = self.to_dict()
        payload["metadata"] = {**payload["metadata"], "created_at": _now()}
        if self.holds_customer_rows:
            payload["metadata"]["customer_rows"] = "allowed"
        text = dumps_file(payload)
        path = Path(path)
        path.write_text(text, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        steps = [s.kind for s in self.steps]
        k = f", {self.n_segments} segments" if self.n_segments is not None else ""
        return f"SegmentModel({len(self.feature_names)} features, steps={steps}{k})"


# --------------------------------------------------------------------------- file format


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def dumps_file(payload: dict[str, Any]) -> str:
    """The model file's text: format, schema version, checksum, payload."""
    try:
        checksum = hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()
    except ValueError as exc:  # pragma: no cover - arrays are encoded without NaN
        raise UnsupportedModelError(f"the model holds a number JSON cannot store: {exc}") from None
    doc = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "checksum": f"sha256:{checksum}",
        "payload": payload,
    }
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def _reject_constant(name: str) -> Any:
    raise ModelFileError(f"the model file holds the non-JSON number {name}")


def loads_file(text: str, source: str = "model file") -> dict[str, Any]:
    """Parse and verify a model file's text; returns its payload."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{source} is not valid JSON (truncated or not a segwise model?): {exc}"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{source} is not a segwise model file (no format {FORMAT!r})")
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{source} has no integer schema_version")
    if version > SCHEMA_VERSION:
        raise ModelFileError(
            f"{source} was written with model schema version {version}, newer than this "
            f"segwise {__version__} reads ({SCHEMA_VERSION}): upgrade segwise"
        )
    if version < 1:
        raise ModelFileError(f"{source} has an invalid schema_version {version}")
    payload = doc.get("payload")
    if not isinstance(payload, dict):
        raise ModelFileError(f"{source} has no payload")
    expected = str(doc.get("checksum", ""))
    actual = "sha256:" + hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()
    if expected != actual:
        raise ModelFileError(
            f"{source} was modified after it was written: its checksum does not match "
            "(edited or corrupted file)"
        )
    return payload


def fingerprint(X: Any) -> str:
    """SHA-256 of the data's column names, dtypes and pandas row hashes (reveals nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.deploy import fingerprint
    >>> fingerprint(pd.DataFrame({"a": [1, 2]})) == fingerprint(pd.DataFrame({"a": [1, 2]}))
    True
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return "sha256:" + h.hexdigest()


def check_segment_sizes(
    model: SegmentModel, min_segment_size: int, on_small_segment: str, what: str
) -> None:
    """Warn or raise when a segment smaller than ``min_segment_size`` would be exported."""
    if on_small_segment not in ("warn", "error", "ignore"):
        raise InvalidParameterError(
            f"on_small_segment must be 'warn', 'error' or 'ignore', got {on_small_segment!r}"
        )
    counts = ((model.reference or {}).get("segments") or {}).get("counts")
    if counts is None or on_small_segment == "ignore":
        return
    small = [(i, int(c)) for i, c in enumerate(counts) if int(c) < min_segment_size]
    if not small:
        return
    msg = (
        f"{len(small)} segment(s) smaller than min_segment_size={min_segment_size} would be "
        f"{what} (segment: customers {dict(small)}); a centre of so few customers is close "
        "to a real customer's row: merge segments, raise k's minimum size, or pass "
        "on_small_segment='ignore' if this is fine"
    )
    if on_small_segment == "error":
        raise PrivacyError(msg)
    warnings.warn(msg, PrivacyWarning, stacklevel=3)


def check_model_rows(model: SegmentModel, allow_customer_rows: bool, what: str) -> None:
    """Refuse to export a model holding real customers' rows unless allowed now or when
    its file was written."""
    allowed = allow_customer_rows or model.metadata.get("customer_rows") == "allowed"
    if model.holds_customer_rows and not allowed:
        raise PrivacyError(
            f"this model stores real customers' rows (k-medoids' medoids): pass "
            f"allow_customer_rows=True to {what} them anyway"
        )


def check_customer_rows(model: Any, allow_customer_rows: bool) -> None:
    """Refuse to export a model whose state holds real customers' rows unless allowed."""
    if isinstance(model, list | tuple):
        parts = list(model)
    elif class_key(model) == _PIPELINE:
        parts = [s for _, s in model.steps]
    else:
        parts = [model]
    for est in parts:
        if class_key(est) in _HOLDS_ROWS and not allow_customer_rows:
            raise PrivacyError(
                f"{type(est).__name__} stores real customers' rows (its medoids): pass "
                "allow_customer_rows=True to export them anyway"
            )
