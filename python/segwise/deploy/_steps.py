"""The step registry: how each supported estimator's fitted state is saved, scored and
written as SQL.

A fitted estimator becomes a *step*: a small object holding only numbers and levels (no
reference to the estimator) that transforms a block of rows (:meth:`Step.apply`), writes
the same arithmetic as SQL expressions (:meth:`Step.sql`) and serialises itself to a JSON
state (:meth:`Step.state`). A new estimator plugs in with :func:`register_step`: a function
from the fitted estimator to its step, and the step class (whose ``from_state`` rebuilds it
from the file). Estimators are matched by ``module.ClassName``, so scikit-learn is never
imported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _core
from ..exceptions import (
    ModelFileError,
    NonFiniteError,
    UnknownCategoryError,
    UnsupportedModelError,
)

# --------------------------------------------------------------------------- numbers


def encode_array(values: Any) -> dict[str, Any]:
    """An array as JSON: dtype, shape and the values as Python floats (``repr`` round-trips
    exactly); NaN and infinities as the strings "NaN", "Infinity", "-Infinity"."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiub":
        raise UnsupportedModelError(f"cannot store an array of dtype {arr.dtype}")
    flat: list[Any] = arr.ravel().tolist()
    data: list[Any] = []
    for v in flat:
        if isinstance(v, float) and not math.isfinite(v):
            data.append("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
        else:
            data.append(v)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "data": data}


def decode_array(obj: Any, what: str) -> np.ndarray:
    """Inverse of :func:`encode_array` (exact)."""
    try:
        dtype = np.dtype(obj["dtype"])
        if dtype.kind not in "fiub":
            raise TypeError(f"dtype {dtype}")
        data = [float(v) if isinstance(v, str) else v for v in obj["data"]]
        arr = np.asarray(data, dtype=np.float64 if dtype.kind == "f" else dtype)
        return np.ascontiguousarray(arr.reshape(obj["shape"]).astype(dtype))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the model file's {what} is not a valid array: {exc}") from None


def _level(v: Any, *, allow_bool: bool = False) -> Any:
    """A category level as a JSON value (None for a missing level); bool levels only where
    the reader keeps them apart from 0 and 1 (``allow_bool``)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if (isinstance(v, bool) and not allow_bool) or not isinstance(v, str | int | float):
        kinds = "text, bool, integer and float" if allow_bool else "text, integer and float"
        raise UnsupportedModelError(
            f"category level {v!r} of type {type(v).__name__} cannot be saved: only {kinds} "
            "levels are supported"
        )
    if isinstance(v, float) and not math.isfinite(v):
        raise UnsupportedModelError(f"category level {v!r} cannot be saved")
    return v


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is getattr(np, "nan", None)


# --------------------------------------------------------------------------- SQL helpers


_SAFE_LOW, _SAFE_HIGH = 1e-250, 1e250
_TWO_256, _TWO_M256 = math.ldexp(1.0, 256), math.ldexp(1.0, -256)


def _literal(x: float) -> str:
    # repr(float) round-trips; the exponent form makes every dialect read a double
    # (a plain 0.1 is a DECIMAL in DuckDB and a NUMERIC in PostgreSQL).
    mantissa, _, exp = f"{x!r}".partition("e")
    return f"{mantissa}e{int(exp or 0)}"


class Dialect:
    """How one SQL dialect quotes names, writes floats and takes a row-wise minimum."""

    def __init__(self, name: str, quote: str, double: str, least: str, log1p: str) -> None:
        self.name = name
        self._quote = quote
        self._double = double
        self.least = least
        self._log1p = log1p

    def ident(self, name: str) -> str:
        q = self._quote
        close = "`" if q == "`" else q
        return f"{q}{str(name).replace(close, close * 2)}{close}"

    def table(self, name: str) -> str:
        # "schema.table" is written as two quoted parts.
        return ".".join(self.ident(part) for part in str(name).split("."))

    def number(self, x: float) -> str:
        """A float literal that the database reads back as exactly ``x`` (a double)."""
        x = float(x)
        if not math.isfinite(x):
            raise UnsupportedModelError(f"cannot write the non-finite number {x} in SQL")
        if x != 0.0 and not _SAFE_LOW <= abs(x) <= _SAFE_HIGH:
            # Some parsers (SQLite 3.40) misround 17-digit literals near the ends of the
            # double range: write x = a * 2^(256 n), every factor exact and every product
            # exact (scaling by powers of two).
            n = int(math.floor(math.log2(abs(x)) / 256))
            a = math.ldexp(x, -256 * n)
            factor = _TWO_256 if n > 0 else _TWO_M256
            return "(" + " * ".join([_literal(a)] + [_literal(factor)] * abs(n)) + ")"
        return _literal(x)

    def as_double(self, expr: str) -> str:
        return f"CAST({expr} AS {self._double})"

    def text(self, value: Any) -> str:
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, int):
            return str(value)
        return self.number(value)

    def log1p(self, expr: str) -> str:
        return self._log1p.format(expr)


DIALECTS = {
    "duckdb": Dialect("duckdb", '"', "DOUBLE", "LEAST", "LN(1e0 + {0})"),
    "sqlite": Dialect("sqlite", '"', "REAL", "MIN", "LN(1e0 + {0})"),
    "postgres": Dialect("postgres", '"', "DOUBLE PRECISION", "LEAST", "LN(1e0 + {0})"),
    "bigquery": Dialect("bigquery", "`", "FLOAT64", "LEAST", "LN(1e0 + {0})"),
    "snowflake": Dialect("snowflake", '"', "DOUBLE", "LEAST", "LN(1e0 + {0})"),
}


# --------------------------------------------------------------------------- steps


class Step:
    """One fitted transformation (or the final clustering) of a deployed model."""

    kind: str = ""  # the name written in the model file
    consumes: str = "numeric"  # "numeric" (a float block) or "categorical" (an object block)
    holds_customer_rows: bool = False  # the state holds real customers' rows (medoids)
    n_in: int
    n_out: int

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Step:
        raise NotImplementedError

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        raise NotImplementedError


class AffineStep(Step):
    """``(x - offset) / divisor`` or ``x * factor + offset`` per column, optionally clipped:
    every segwise and scikit-learn scaler."""

    kind = "affine"

    def __init__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        op: str,
        clip: tuple[float, float] | None,
        dtype: str,
    ) -> None:
        self.a, self.b, self.op, self.clip, self.dtype = a, b, op, clip, np.dtype(dtype)
        self.n_in = self.n_out = a.shape[0]

    def state(self) -> dict[str, Any]:
        return {
            "a": encode_array(self.a),
            "b": encode_array(self.b),
            "op": self.op,
            "clip": None if self.clip is None else [float(c) for c in self.clip],
            "dtype": str(self.dtype),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> AffineStep:
        op = state["op"]
        if op not in ("subtract_divide", "multiply_add"):
            raise ModelFileError(f"unknown affine operation {op!r}")
        clip = state["clip"]
        return cls(
            decode_array(state["a"], "scaler"),
            decode_array(state["b"], "scaler"),
            op,
            None if clip is None else (float(clip[0]), float(clip[1])),
            state["dtype"],
        )

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        # The same IEEE operations, in the same order, as the Rust kernel.
        out = (X - self.a) / self.b if self.op == "subtract_divide" else X * self.a + self.b
        if self.clip is not None:
            out = np.clip(out, self.clip[0], self.clip[1])
        return out  # type: ignore[no-any-return]

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        out = []
        for e, a, b in zip(exprs, self.a.tolist(), self.b.tolist(), strict=True):
            if self.op == "subtract_divide":
                s = f"(({e} - {dialect.number(a)}) / {dialect.number(b)})"
            else:
                s = f"(({e} * {dialect.number(a)}) + {dialect.number(b)})"
            if self.clip is not None:
                lo, hi = (dialect.number(c) for c in self.clip)
                s = f"(CASE WHEN {s} < {lo} THEN {lo} WHEN {s} > {hi} THEN {hi} ELSE {s} END)"
            out.append(s)
        return out


class Log1pStep(Step):
    """``log1p`` of some columns (segwise's ``Log1pTransformer``)."""

    kind = "log1p"

    def __init__(self, columns: np.ndarray, n_in: int) -> None:
        self.columns = np.asarray(columns, dtype=np.int64)
        self.n_in = self.n_out = int(n_in)
        self._mask = [False] * self.n_in
        for j in self.columns.tolist():
            self._mask[j] = True

    def state(self) -> dict[str, Any]:
        return {"columns": [int(c) for c in self.columns], "n_in": self.n_in}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Log1pStep:
        return cls(np.asarray(state["columns"], dtype=np.int64), int(state["n_in"]))

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        counts = _core.log1p_domain_errors(np.ascontiguousarray(X), columns=self._mask)
        bad = np.flatnonzero(counts)
        if bad.size:
            detail = "; ".join(f"{names[int(j)]!r} ({int(counts[j])} value(s))" for j in bad)
            raise NonFiniteError(
                f"Negative values in data where log1p is undefined (values <= -1): {detail}"
            )
        if len(self.columns) == self.n_in:
            return np.log1p(X)  # type: ignore[no-any-return]
        out = X.copy()
        out[:, self.columns] = np.log1p(X[:, self.columns])
        return out

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        return [dialect.log1p(e) if self._mask[j] else e for j, e in enumerate(exprs)]


class CategoricalStep(Step):
    """scikit-learn's ``OneHotEncoder`` (dense output) and ``OrdinalEncoder``."""

    kind = "categorical"
    consumes = "categorical"

    def __init__(
        self,
        encoding: str,
        categories: list[list[Any]],
        drop: list[int | None],
        unknown: str,
        unknown_value: float,
        missing_value: float,
    ) -> None:
        self.encoding, self.categories, self.drop = encoding, categories, drop
        self.unknown, self.unknown_value, self.missing_value = unknown, unknown_value, missing_value
        self.n_in = len(categories)
        self._lookup = [{lv: i for i, lv in enumerate(levels)} for levels in categories]
        if encoding == "onehot":
            self._kept = [
                [i for i in range(len(levels)) if i != d]
                for levels, d in zip(categories, drop, strict=True)
            ]
            self.n_out = sum(len(k) for k in self._kept)
        else:
            self.n_out = self.n_in

    def state(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "categories": self.categories,
            "drop": self.drop,
            "handle_unknown": self.unknown,
            "unknown_value": _float_json(self.unknown_value),
            "encoded_missing_value": _float_json(self.missing_value),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CategoricalStep:
        if state["encoding"] not in ("onehot", "ordinal"):
            raise ModelFileError(f"unknown categorical encoding {state['encoding']!r}")
        return cls(
            state["encoding"],
            [list(levels) for levels in state["categories"]],
            list(state["drop"]),
            state["handle_unknown"],
            float(state["unknown_value"]),
            float(state["encoded_missing_value"]),
        )

    def _codes(self, column: np.ndarray, j: int, name: str) -> np.ndarray:
        lookup = self._lookup[j]
        missing_code = lookup.get(None, -1)
        codes = np.empty(column.shape[0], dtype=np.int64)
        for i, v in enumerate(column.tolist()):
            codes[i] = missing_code if _is_missing(v) else lookup.get(v, -2)
        unknown = codes == -2
        if missing_code == -1:
            unknown |= codes == -1
        if unknown.any() and self.unknown == "error":
            values = column[unknown]
            shown = list(dict.fromkeys("missing" if _is_missing(v) else v for v in values))[:5]
            raise UnknownCategoryError(
                f"column {name!r} has {int(unknown.sum())} row(s) with a level the model never "
                f"saw: {shown}"
            )
        codes[unknown] = -2
        return codes

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        n = X.shape[0]
        out = np.zeros((n, self.n_out), dtype=np.float64)
        pos = 0
        for j in range(self.n_in):
            codes = self._codes(X[:, j], j, names[j])
            if self.encoding == "ordinal":
                col = codes.astype(np.float64)
                col[codes == -2] = self.unknown_value
                if None in self._lookup[j]:
                    col[codes == self._lookup[j][None]] = self.missing_value
                out[:, j] = col
                continue
            for slot, level in enumerate(self._kept[j]):
                out[:, pos + slot] = codes == level
            pos += len(self._kept[j])
        return out

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        out: list[str] = []
        for j, e in enumerate(exprs):
            levels = self.categories[j]
            known = [dialect.text(lv) for lv in levels if lv is not None]
            has_missing = None in levels
            null_case = "" if has_missing else f"WHEN {e} IS NULL THEN NULL "
            unknown_case = ""
            if self.unknown == "error" and known:
                unknown_case = f"WHEN {e} NOT IN ({', '.join(known)}) THEN NULL "
            if self.encoding == "ordinal":
                whens = "".join(
                    f"WHEN {e} IS NULL THEN {_sql_float(self.missing_value, dialect)} "
                    if lv is None
                    else f"WHEN {e} = {dialect.text(lv)} THEN {dialect.number(float(i))} "
                    for i, lv in enumerate(levels)
                )
                tail = (
                    "NULL" if self.unknown == "error" else _sql_float(self.unknown_value, dialect)
                )
                out.append(f"(CASE {null_case}{whens}ELSE {tail} END)")
                continue
            for i in self._kept[j]:
                lv = levels[i]
                test = f"{e} IS NULL" if lv is None else f"{e} = {dialect.text(lv)}"
                out.append(f"(CASE {null_case}{unknown_case}WHEN {test} THEN 1e0 ELSE 0e0 END)")
        return out


def _float_json(x: float) -> Any:
    return x if math.isfinite(x) else ("NaN" if math.isnan(x) else str(x))


def _sql_float(x: float, dialect: Dialect) -> str:
    return "NULL" if math.isnan(x) else dialect.number(x)


class CentroidStep(Step):
    """The final clustering: the closest centre (first on ties), as ``KMeans.predict``."""

    kind = "centroids"

    def __init__(self, centers: np.ndarray) -> None:
        self.centers = np.ascontiguousarray(centers)
        self.n_in = centers.shape[1]
        self.n_out = centers.shape[0]

    def state(self) -> dict[str, Any]:
        return {"centers": encode_array(self.centers)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CentroidStep:
        centers = decode_array(state["centers"], "centres")
        if centers.ndim != 2 or centers.shape[0] == 0 or centers.dtype.kind != "f":
            raise ModelFileError(f"the centres have shape {centers.shape}; expected (k, d)")
        return cls(centers)

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        return _core.kmeans_predict(_as_kernel(X, self.centers.dtype), self.centers)

    def distances(self, X: np.ndarray) -> np.ndarray:
        return _core.kmeans_transform(_as_kernel(X, self.centers.dtype), self.centers)

    def sql_distance(self, best: str) -> str:
        """The distance to the segment's centre from the smallest of :meth:`sql`."""
        return f"SQRT({best})"

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        # Squared distances summed feature by feature in order, as the kernel does.
        out = []
        for row in self.centers.tolist():
            terms = [
                f"(({e} - {dialect.number(c)}) * ({e} - {dialect.number(c)}))"
                for e, c in zip(exprs, row, strict=True)
            ]
            out.append(" + ".join(terms))
        return out


def _as_kernel(X: np.ndarray, dtype: Any) -> np.ndarray:
    return np.ascontiguousarray(X, dtype=dtype)


# --------------------------------------------------------------------------- registry

STEP_CLASSES: dict[str, type[Step]] = {
    cls.kind: cls for cls in (AffineStep, Log1pStep, CategoricalStep, CentroidStep)
}
# "module.ClassName" of a fitted estimator -> function returning its steps.
_CONVERTERS: dict[str, Callable[[Any], list[Step]]] = {}
# Classes whose state holds real customers' rows (e.g. k-medoids' medoids).
_HOLDS_ROWS: set[str] = set()


def class_key(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def register_step(
    key: str,
    convert: Callable[[Any], list[Step]],
    *,
    step_class: type[Step] | None = None,
    holds_customer_rows: bool = False,
) -> None:
    """Register how a fitted estimator becomes deployable steps.

    Parameters
    ----------
    key : str
        ``"module.ClassName"`` of the estimator, e.g. ``"segwise.cluster._kmeans.KMeans"``.
    convert : callable
        ``convert(fitted_estimator) -> list of Step``; raise
        :class:`~segwise.exceptions.UnsupportedModelError` for settings it cannot express.
    step_class : Step subclass, optional
        A new kind of step (its ``kind`` names it in the file; ``from_state`` reads it).
    holds_customer_rows : bool, default=False
        The saved state contains real customers' rows (k-medoids' medoids): saving then
        needs ``allow_customer_rows=True``.

    Examples
    --------
    >>> from segwise.deploy import register_step
    >>> from segwise.deploy._steps import _CONVERTERS
    >>> "segwise.cluster._kmeans.KMeans" in _CONVERTERS
    True
    """
    _CONVERTERS[key] = convert
    if step_class is not None:
        STEP_CLASSES[step_class.kind] = step_class
    if holds_customer_rows:
        _HOLDS_ROWS.add(key)


def _fitted(est: Any, attr: str) -> Any:
    if not hasattr(est, attr):
        raise UnsupportedModelError(f"{type(est).__name__} is not fitted (no {attr})")
    return getattr(est, attr)


def _vec(x: Any, n: int, fill: float) -> np.ndarray:
    return np.full(n, fill) if x is None else np.asarray(x, dtype=np.float64)


def _standard(est: Any) -> list[Step]:
    n = int(_fitted(est, "n_features_in_"))
    mean = _vec(est.mean_ if est.with_mean else None, n, 0.0)
    scale = _vec(est.scale_ if est.with_std else None, n, 1.0)
    dtype = str(est.mean_.dtype) if est.mean_ is not None else "float64"
    return [AffineStep(mean.astype(dtype), scale.astype(dtype), "subtract_divide", None, dtype)]


def _robust(est: Any) -> list[Step]:
    n = int(_fitted(est, "n_features_in_"))
    center = _vec(est.center_ if est.with_centering else None, n, 0.0)
    scale = _vec(est.scale_ if est.with_scaling else None, n, 1.0)
    return [AffineStep(center, scale, "subtract_divide", None, "float64")]


def _minmax(est: Any) -> list[Step]:
    scale = np.asarray(_fitted(est, "scale_"))
    clip = tuple(float(v) for v in est.feature_range) if est.clip else None
    return [AffineStep(scale, np.asarray(est.min_), "multiply_add", clip, str(scale.dtype))]  # type: ignore[arg-type]


def _maxabs(est: Any) -> list[Step]:
    scale = np.asarray(_fitted(est, "scale_"))
    clip = (-1.0, 1.0) if getattr(est, "clip", False) else None
    zero = np.zeros_like(scale)
    return [AffineStep(zero, scale, "subtract_divide", clip, str(scale.dtype))]


def _log1p(est: Any) -> list[Step]:
    return [Log1pStep(_fitted(est, "columns_"), int(est.n_features_in_))]


def _centroids(est: Any) -> list[Step]:
    return [CentroidStep(np.asarray(_fitted(est, "cluster_centers_")))]


def _encoder_levels(est: Any) -> list[list[Any]]:
    if getattr(est, "_infrequent_enabled", False):
        raise UnsupportedModelError(
            f"{type(est).__name__} with infrequent categories (min_frequency/max_categories) "
            "is not supported; refit without them"
        )
    return [[_level(v) for v in cats.tolist()] for cats in _fitted(est, "categories_")]


def _onehot(est: Any) -> list[Step]:
    levels = _encoder_levels(est)
    drop_idx = getattr(est, "drop_idx_", None)
    drop: list[int | None] = (
        [None] * len(levels)
        if drop_idx is None
        else [None if d is None else int(d) for d in drop_idx]
    )
    unknown = "error" if est.handle_unknown == "error" else "ignore"
    return [CategoricalStep("onehot", levels, drop, unknown, 0.0, 0.0)]


def _ordinal(est: Any) -> list[Step]:
    levels = _encoder_levels(est)
    unknown = "error" if est.handle_unknown == "error" else "value"
    value = est.unknown_value if est.unknown_value is not None else math.nan
    return [
        CategoricalStep(
            "ordinal",
            levels,
            [None] * len(levels),
            unknown,
            float(value),
            float(est.encoded_missing_value),
        )
    ]


for _module, _name, _conv in [
    ("segwise.preprocessing", "StandardScaler", _standard),
    ("segwise.preprocessing", "RobustScaler", _robust),
    ("segwise.preprocessing", "MinMaxScaler", _minmax),
    ("segwise.preprocessing", "MaxAbsScaler", _maxabs),
    ("segwise.preprocessing", "Log1pTransformer", _log1p),
    ("segwise.cluster._kmeans", "KMeans", _centroids),
    ("segwise.cluster._minibatch", "MiniBatchKMeans", _centroids),
    ("sklearn.preprocessing._data", "StandardScaler", _standard),
    ("sklearn.preprocessing._data", "RobustScaler", _robust),
    ("sklearn.preprocessing._data", "MinMaxScaler", _minmax),
    ("sklearn.preprocessing._data", "MaxAbsScaler", _maxabs),
    ("sklearn.preprocessing._encoders", "OneHotEncoder", _onehot),
    ("sklearn.preprocessing._encoders", "OrdinalEncoder", _ordinal),
]:
    register_step(f"{_module}.{_name}", _conv)
