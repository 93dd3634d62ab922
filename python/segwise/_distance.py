"""Distances between customers, shared by :mod:`segwise.metrics` and the clusterers.

* **Gower** (:class:`GowerModel`): R ``cluster::daisy(metric="gower")`` on a mixed table
  from the funnel (:func:`segwise._validation.check_mixed`): the column scales and weights
  are fitted once (:meth:`GowerModel.fit`) and any two tables encoded the same way
  (:meth:`GowerModel.encode`) are compared under them.
* **Euclidean** on numeric arrays.
* **Matrices**: :func:`allocate_matrix` bounds an ``n x m`` result by a documented cap
  before allocating it (:class:`~segwise.exceptions.AllocationError` says how many bytes
  and what to do instead); :func:`fill_matrix` and :func:`nearest_rows` run the Rust
  kernels in chunks of about :data:`PAIRS_PER_CALL` distances (the kernels also stop on
  Ctrl-C within a chunk, which is seconds on a wide table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._validation import MixedChecked, check_mixed, format_bytes
from .exceptions import (
    AllocationError,
    ColumnNotFoundError,
    InvalidParameterError,
    ShapeMismatchError,
)

#: Distances computed per call into Rust (tens of milliseconds on narrow tables, seconds on
#: very wide ones; Ctrl-C is honoured within a call as well as between calls).
PAIRS_PER_CALL = 1 << 23
#: Cap on one distance matrix when the machine's memory cannot be read.
FALLBACK_MAX_BYTES = 8 << 30
#: Missing-value policies of the Gower distance (``check_mixed``'s, "ignore" first: daisy's).
GOWER_MISSING = ("ignore", "level", "error")


# --------------------------------------------------------------------------- memory


def default_max_bytes() -> int:
    """The default cap on one distance matrix: half the machine's physical memory
    (``os.sysconf``), or :data:`FALLBACK_MAX_BYTES` where that cannot be read."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MAX_BYTES
    return int(total) // 2 if total > 0 else FALLBACK_MAX_BYTES


def allocate_matrix(
    n: int, m: int, dtype: Any, *, what: str, max_bytes: int | None, hint: str = ""
) -> np.ndarray:
    """An uninitialised ``n x m`` array of ``dtype`` (C order), after checking its size
    against ``max_bytes`` (None: :func:`default_max_bytes`).

    Raises :class:`AllocationError` naming the size when it is above the cap or cannot be
    allocated; ``hint`` says what to do instead.
    """
    itemsize = np.dtype(dtype).itemsize
    nbytes = int(n) * int(m) * itemsize
    cap = default_max_bytes() if max_bytes is None else int(max_bytes)
    shape = f"{n:,} x {m:,} {np.dtype(dtype).name} = {nbytes:,} bytes"
    if nbytes > cap:
        raise AllocationError(
            f"{what} would allocate {format_bytes(nbytes)} ({shape}), above the cap of "
            f"{format_bytes(cap)}{' (max_bytes)' if max_bytes is not None else ''}{hint}"
        )
    try:
        return np.empty((n, m), dtype=dtype)
    except MemoryError as exc:
        raise AllocationError(
            f"{what} could not allocate {format_bytes(nbytes)} ({shape}){hint}"
        ) from exc


def fill_matrix(out: np.ndarray, fill: Callable[[int, int, np.ndarray], None]) -> np.ndarray:
    """Fill ``out`` by calling ``fill(start, stop, out[start:stop])`` on chunks of rows."""
    n, m = out.shape
    step = max(1, PAIRS_PER_CALL // max(m, 1))
    for start in range(0, n, step):
        stop = min(start + step, n)
        fill(start, stop, out[start:stop])
    return out


def rows_in_chunks(
    n_rows: int, n_cols: int, compute: Callable[[int, int], np.ndarray]
) -> np.ndarray:
    """One float64 value per row, from ``compute(start, stop)`` on chunks of rows that
    each touch about :data:`PAIRS_PER_CALL` of the ``n_rows x n_cols`` distances."""
    out = np.empty(n_rows, dtype=np.float64)
    step = max(1, PAIRS_PER_CALL // max(n_cols, 1))
    for start in range(0, n_rows, step):
        stop = min(start + step, n_rows)
        out[start:stop] = compute(start, stop)
    return out


def nearest_rows(
    n_rows: int, n_right: int, nearest: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """(nearest right row, distance) of every left row, from ``nearest(start, stop)`` on
    chunks of left rows."""
    labels = np.empty(n_rows, dtype=np.int64)
    dists = np.empty(n_rows, dtype=np.float64)
    step = max(1, PAIRS_PER_CALL // max(n_right, 1))
    for start in range(0, n_rows, step):
        stop = min(start + step, n_rows)
        labels[start:stop], dists[start:stop] = nearest(start, stop)
    return labels, dists


# --------------------------------------------------------------------------- euclidean


def euclidean_fill(left: np.ndarray, right: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of two float64 arrays, into ``out``."""
    return fill_matrix(out, lambda a, b, block: _core.euclidean_fill(left[a:b], right, out=block))


def euclidean_nearest(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest row of ``right`` (first on ties) and its distance, for every row of ``left``."""
    return nearest_rows(
        left.shape[0], right.shape[0], lambda a, b: _core.euclidean_nearest(left[a:b], right)
    )


# --------------------------------------------------------------------------- gower


@dataclass(frozen=True)
class GowerScales:
    """What the Rust kernels read (attribute names are the bindings' ``Scales``)."""

    n_levels: np.ndarray  # int64, per categorical column
    numeric_min: np.ndarray  # float64, per numeric column
    numeric_range: np.ndarray  # float64, per numeric column (0 = constant, read as 1)
    ordinal: np.ndarray  # bool, per categorical column
    level_rank: np.ndarray  # float64, every level of every categorical column
    weights: np.ndarray  # float64, numeric columns then categorical columns
    undefined: float = float("nan")  # distance of a pair with no column observed in both


@dataclass(frozen=True)
class GowerData:
    """One table encoded for the kernels: numeric block (NaN = missing) and level codes."""

    numeric: np.ndarray
    codes: np.ndarray

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.numeric.shape[0])

    def rows(self, index: Any) -> GowerData:
        """The rows ``index`` (a slice is a view; positions are a small copy)."""
        if isinstance(index, slice):
            return GowerData(self.numeric[index], self.codes[index])
        return GowerData(
            np.ascontiguousarray(self.numeric[index]), np.ascontiguousarray(self.codes[index])
        )


def _column_weights(weights: Any, columns: list[Any], caller: str) -> np.ndarray:
    """Per-column weights in the table's column order: None (all 1), a mapping from
    column label to weight (others 1) or one weight per column."""
    p = len(columns)
    if weights is None:
        return np.ones(p)
    if isinstance(weights, Mapping | pd.Series):
        items = weights.items()
        out = np.ones(p)
        for label, w in items:
            if label not in columns:
                raise ColumnNotFoundError(
                    f"{caller}: weights name column {label!r}, which is not in X; columns "
                    f"are {columns}"
                )
            out[columns.index(label)] = _weight(w, label, caller)
        values = out
    else:
        try:
            values = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"{caller}: weights must be numbers: {exc}") from exc
        if values.ndim != 1 or values.shape[0] != p:
            raise ShapeMismatchError(
                f"{caller}: weights has {values.size} value(s) but X has {p} column(s); "
                "pass one weight per column or a mapping {column: weight}"
            )
        for label, w in zip(columns, values, strict=True):
            _weight(w, label, caller)
    if not (values > 0).any():
        raise InvalidParameterError(f"{caller}: at least one column weight must be > 0")
    return values


def _weight(w: Any, label: Any, caller: str) -> float:
    try:
        value = float(w)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{caller}: the weight of column {label!r} must be a number, got {w!r}"
        ) from exc
    if not np.isfinite(value) or value < 0:
        raise InvalidParameterError(
            f"{caller}: the weight of column {label!r} must be finite and >= 0, got {w!r}"
        )
    return value


def _ordinal_ranks(table: MixedChecked, i: int, label: Any, missing: str, caller: str) -> Any:
    """Scaled ranks of the levels of ordered categorical column ``i``: the levels' positions
    among all the dtype's categories (R's factor codes, unused levels included), scaled by
    the range of the positions that occur, as daisy scales ordinal columns."""
    levels = table.levels[i]
    if None in levels and missing == "level":
        raise InvalidParameterError(
            f"{caller}: missing='level' is not defined for the ordered column {label!r} "
            "(where would a missing value rank?); use missing='ignore' or fill the values"
        )
    dtype = table.dtypes[table.columns.index(label)]
    position = pd.Index(dtype.categories).get_indexer(pd.Index(levels, dtype=object))
    lo, hi = position.min(initial=0), position.max(initial=0)
    return (position - lo) / (hi - lo if hi > lo else 1)


@dataclass(frozen=True)
class GowerModel:
    """Gower's distance fitted on a table: which columns are categorical, their levels, the
    scales and weights. ``encode`` turns any table with the same columns into
    :class:`GowerData` for the kernels.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise._distance import GowerModel
    >>> df = pd.DataFrame({"age": [20, 40, 30], "region": ["n", "s", "n"]})
    >>> model, data = GowerModel.fit(df)
    >>> model.distances(data, data).round(3).tolist()
    [[0.0, 1.0, 0.25], [1.0, 0.0, 0.75], [0.25, 0.75, 0.0]]
    """

    scales: GowerScales
    columns: list[Any]
    categorical: list[Any]
    levels: list[list[Any]]
    missing: str

    @classmethod
    def fit(
        cls,
        X: Any,
        *,
        categorical: Any = None,
        weights: Any = None,
        missing: str = "ignore",
        name: str = "X",
        caller: str = "gower_distances",
        min_samples: int = 1,
        undefined: float = float("nan"),
    ) -> tuple[GowerModel, GowerData]:
        """Check ``X`` through the funnel and fit the scales on it: numeric ranges over the
        non-missing values, ordinal ranks over the levels that occur. ``undefined`` is the
        distance of two rows with no column observed in both (NaN: daisy's ``NA``)."""
        table = check_mixed(
            X,
            categorical=categorical,
            missing=missing,
            allow_nan=missing != "error",
            name=name,
            estimator=caller,
            min_samples=min_samples,
        )
        column_weights = _column_weights(weights, table.columns, caller)
        mask = table.is_categorical
        numeric = table.numeric
        if numeric.shape[1]:
            lo, hi = np.nanmin(numeric, axis=0), np.nanmax(numeric, axis=0)
        else:
            lo = hi = np.empty(0)
        cat_labels = table.categorical_columns
        ranks = [
            _ordinal_ranks(table, i, label, missing, caller)
            if table.ordered[i]
            else np.zeros(len(table.levels[i]))
            for i, label in enumerate(cat_labels)
        ]
        scales = GowerScales(
            n_levels=np.asarray([len(lv) for lv in table.levels], dtype=np.int64),
            numeric_min=np.ascontiguousarray(lo, dtype=np.float64),
            numeric_range=np.ascontiguousarray(hi - lo, dtype=np.float64),
            ordinal=np.asarray(table.ordered, dtype=bool),
            level_rank=np.ascontiguousarray(
                np.concatenate(ranks) if ranks else np.empty(0), dtype=np.float64
            ),
            weights=np.ascontiguousarray(
                np.concatenate([column_weights[~mask], column_weights[mask]]), dtype=np.float64
            ),
            undefined=float(undefined),
        )
        model = cls(scales, list(table.columns), cat_labels, table.levels, missing)
        return model, GowerData(table.numeric, table.categorical)

    def encode(self, X: Any, *, unknown: str = "error", name: str = "X") -> GowerData:
        """A new table with the fitted columns, coded against the fitted levels; a level
        ``fit`` never saw raises :class:`UnknownCategoryError` or (``unknown="mismatch"``)
        matches no level."""
        table = check_mixed(
            X,
            categorical=self.categorical if self.categorical else [],
            levels=self.levels,
            missing=self.missing,
            unknown=unknown,
            allow_nan=self.missing != "error",
            name=name,
        )
        if list(table.columns) != self.columns:
            raise ShapeMismatchError(
                f"{name} has columns {list(table.columns)} but the distance was fitted on "
                f"{self.columns}"
            )
        return GowerData(table.numeric, table.categorical)

    def fill(self, left: GowerData, right: GowerData, out: np.ndarray) -> np.ndarray:
        """Distances between the rows of ``left`` and ``right``, into ``out`` (float64 or
        float32), in chunks."""
        s = self.scales
        return fill_matrix(
            out,
            lambda a, b, block: _core.gower_fill(
                left.numeric[a:b],
                left.codes[a:b],
                right.numeric,
                right.codes,
                scales=s,
                out=block,
            ),
        )

    def distances(self, left: GowerData, right: GowerData, dtype: Any = np.float64) -> np.ndarray:
        """A fresh matrix of the distances between ``left`` and ``right`` (capped)."""
        out = allocate_matrix(
            left.n, right.n, dtype, what="the Gower distance matrix", max_bytes=None
        )
        return self.fill(left, right, out)

    def nearest(self, left: GowerData, right: GowerData) -> tuple[np.ndarray, np.ndarray]:
        """Nearest row of ``right`` (first on ties; -1 where no distance is defined) and
        its distance, for every row of ``left``."""
        s = self.scales
        return nearest_rows(
            left.n,
            right.n,
            lambda a, b: _core.gower_nearest(
                left.numeric[a:b], left.codes[a:b], right.numeric, right.codes, scales=s
            ),
        )
