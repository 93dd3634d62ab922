"""The one input funnel: every public function checks its inputs here, once.

* **Arrays** (:func:`check_array`): a DataFrame or array-like becomes one C-contiguous
  float64 (or float32) array, made once, with an error that names the offending columns
  and how many rows when something is wrong; :func:`check_magnitude` and
  :func:`raise_overflow` word overflowing values, and :func:`power_of_two_scale` rescales
  them exactly for statistics that do not depend on the scale. The caller's object is
  never written to: the Rust core only reads the array, and when no copy was needed (a
  C-contiguous float array) nothing writes into it either.
* **Rows** (:func:`align_to_rows`): labels or weights given as a Series beside a
  DataFrame are matched to its rows by index; anything else by position.
* **Labels** (:func:`encode_labels`, :func:`check_labels`, :func:`check_label_ids`): the
  only place where segment labels become integer codes, with one rule for every feature
  (see :func:`encode_labels`).
* **Weights** (:func:`check_sample_weight`): non-negative, finite, not all zero, one per
  sample (or aligned on customer ids).
* **Parameters** (:func:`validate_params`): one constraint table per estimator or
  function, as scikit-learn's ``_parameter_constraints``, in the small vocabulary
  :class:`Interval`, :class:`Cap` (a size with a documented cap, whose error says what
  it would allocate), :class:`StrOptions`, :class:`Pair`, :class:`HasMethods`, ``None``,
  ``callable``, a type, and the names ``"array-like"``, ``"boolean"``,
  ``"random_state"`` and ``"verbose"``; :func:`check_int`, :func:`check_float` and
  :func:`check_choice` check one value the same way; :func:`check_random_state` turns
  ``random_state`` into a seed.
* **Containers** (:func:`container_of`, :func:`as_pandas`): polars comes in through
  pandas (column by column, no pyarrow needed), once; :class:`Checked` records what the
  input was (``"numpy"``, ``"pandas"`` or ``"polars"``) so the results layer
  (``_results.to_container``) hands the output back in the same kind.
* **Fitted state** (:func:`check_fitted`, :func:`check_features`,
  :func:`check_fitted_state`): ``fit`` before use, the same columns as in ``fit``, and
  fitted attributes of the dtype, shape and range ``fit`` gives them (a cheap check at
  predict/transform against each estimator's ``_fitted_state`` table of :class:`Fitted`).
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral, Real
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    FeatureNamesError,
    FittedStateError,
    HighCardinalityWarning,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
    UnknownCategoryError,
    _not_fitted_error,
)

#: What an int or float parameter is never (``True`` is an ``int`` to Python).
_BOOLS = (bool, np.bool_)

FLOAT_DTYPES = (np.float64, np.float32)

#: A constraint table: parameter name -> what it may be (see :func:`validate_params`).
Constraints = dict[str, list[Any]]


# --------------------------------------------------------------------------- arrays


@dataclass(frozen=True)
class Checked:
    """A validated 2-D input: the array, its column labels (DataFrame only), row index
    (pandas only) and what the input was (``"numpy"``, ``"pandas"`` or ``"polars"``).

    ``columns`` holds the caller's own labels (ints stay ints, a MultiIndex gives tuples);
    ``column_index`` is the DataFrame's column Index itself, for output frames that keep
    it (level names and dtype included).
    """

    values: np.ndarray
    columns: list[Any] | None
    index: pd.Index | None
    kind: str = "numpy"
    #: float16 when a float16 input was widened to float32 for the kernels; the output
    #: goes back to it (scikit-learn's scalers keep float16).
    out_dtype: Any = None
    column_index: pd.Index | None = None

    def __post_init__(self) -> None:
        if self.kind == "numpy" and self.index is not None:  # built from a pandas frame
            object.__setattr__(self, "kind", "pandas")

    @property
    def dtype(self) -> np.dtype:
        """The float type of the outputs: the input's (float16 too), not the kernels'."""
        return self.out_dtype if self.out_dtype is not None else self.values.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape


@dataclass(frozen=True)
class CheckedSparse:
    """A validated scipy sparse input in canonical CSR form: its three arrays (indices as
    int64), its shape and the CSR class it came as (``csr_matrix`` or ``csr_array``), so
    outputs are rebuilt as the same kind without importing scipy."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]
    csr_type: type
    columns: None = None
    index: None = None
    kind: str = "sparse"

    @property
    def dtype(self) -> np.dtype:
        """The float type of the values and the outputs."""
        return self.data.dtype

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(data, indices, indptr)``, the arguments of the Rust sparse kernels."""
        return self.data, self.indices, self.indptr

    def rebuild(self, data: np.ndarray) -> Any:
        """A new CSR matrix of the input's class with this structure and ``data`` (its own
        copies of the index arrays: the caller's matrix is never shared or modified)."""
        return self.csr_type(
            (data, self.indices.copy(), self.indptr.copy()), shape=self.shape, copy=False
        )


# --------------------------------------------------------------------------- containers


def is_polars(X: Any) -> bool:
    """A polars DataFrame or Series, recognised without importing polars."""
    return type(X).__module__.partition(".")[0] == "polars" and hasattr(X, "to_numpy")


def container_of(X: Any) -> str:
    """What kind of table ``X`` is: ``"polars"``, ``"pandas"`` or ``"numpy"`` (anything else)."""
    if is_polars(X):
        return "polars"
    if isinstance(X, pd.DataFrame | pd.Series):
        return "pandas"
    return "numpy"


def _polars_column(column: Any) -> Any:
    pl = sys.modules["polars"]
    if column.dtype in (pl.Categorical, pl.Enum):
        # categories stay categorical (check_mixed reads them as such)
        return pd.Categorical(column.cast(pl.String).to_list())
    if column.dtype == pl.String:
        return np.asarray(column.to_list(), dtype=object)
    values = column.to_numpy()
    if column.dtype == pl.Boolean and column.null_count():
        return pd.array(column.to_list(), dtype="boolean")
    return values


def as_pandas(X: Any) -> Any:
    """A polars DataFrame or Series as its pandas twin (anything else unchanged).

    Column by column through numpy, so pyarrow is not needed: nulls become NaN in numeric
    columns and None in text ones, dates stay datetimes, categoricals stay categorical.
    """
    if not is_polars(X):
        return X
    if hasattr(X, "get_column"):
        return pd.DataFrame(
            {name: _polars_column(X.get_column(name)) for name in X.columns},
            columns=pd.Index(X.columns, dtype=object),
        )
    return pd.Series(_polars_column(X), name=X.name or None)


def _describe_nonfinite(values: np.ndarray, columns: Sequence[Any]) -> str:
    bad = ~np.isfinite(values)
    counts = bad.sum(axis=0)
    parts = []
    for j in np.flatnonzero(counts):
        col = values[:, j]
        n_nan = int(np.isnan(col).sum())
        n_inf = int(counts[j]) - n_nan
        kinds = ", ".join(f"{n} {kind}" for n, kind in ((n_nan, "NaN"), (n_inf, "infinity")) if n)
        parts.append(f"{columns[int(j)]!r} ({kinds})")
    n_rows = int(bad.any(axis=1).sum())
    return f"{n_rows} of {values.shape[0]} rows contain NaN or infinity, in column(s) " + "; ".join(
        parts
    )


#: What to do with categorical columns instead of one-hot encoding them.
CATEGORICAL_ADVICE = (
    "segment on them with segwise.cluster.KPrototypes, KModes or KMedoids(metric='gower'), "
    "which compare levels as they are (one-hot columns distort k-means' distances), or drop "
    "them"
)


def non_numeric_message(name: str, dtypes: pd.Series) -> str | None:
    """The error for a table whose ``dtypes`` include columns that are not numbers (None if
    all are): categorical ones (category, object, string) are pointed to the estimators that
    compare levels as they are, not to one-hot columns, which distort k-means' distances;
    the others (dates, ...) are to be dropped or turned into numbers."""
    bad = {
        c: t
        for c, t in dtypes.items()
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    }
    if not bad:
        return None
    categorical = [
        c
        for c, t in bad.items()
        if isinstance(t, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(t)
        or pd.api.types.is_string_dtype(t)
    ]
    others = [c for c in bad if c not in categorical]
    message = f"{name} has {len(bad)} non-numeric column(s): {list(bad)}"
    if categorical:
        message += f"; categorical column(s) {categorical}: {CATEGORICAL_ADVICE}"
    if others:
        message += f"; drop column(s) {others} or turn them into numbers (e.g. days since a date)"
    return message


def _frame_to_array(df: pd.DataFrame, name: str, dtype: Any) -> np.ndarray:
    message = non_numeric_message(name, df.dtypes)
    if message is not None:
        raise NonNumericError(message)
    if any(pd.api.types.is_complex_dtype(t) for t in df.dtypes):
        raise NonNumericError(f"Complex data not supported in {name}")
    if dtype is None:
        all_f32 = len(df.dtypes) > 0 and all(t == np.float32 for t in df.dtypes)
        dtype = np.float32 if all_f32 else np.float64
    # One deliberate copy into C order; pandas' own array may be F-ordered and read-only.
    values = df.to_numpy(dtype=dtype, na_value=np.nan)
    return np.ascontiguousarray(values)


def check_array(
    X: Any,
    *,
    name: str = "X",
    dtypes: tuple[Any, ...] = FLOAT_DTYPES,
    allow_nan: bool = False,
    min_samples: int = 1,
    estimator: str | None = None,
    check_finite: bool = True,
) -> Checked:
    """Validate a 2-D numeric input and return it as a C-contiguous float array.

    ``dtypes`` lists the float types the caller's kernel supports; the first is used for
    everything else (ints, bools, other floats). ``np.float16`` in ``dtypes`` means "keep
    float16 as the output type": the values are widened to float32 (the kernels' smallest
    type) and ``Checked.out_dtype`` records float16. Errors name the columns and row counts.
    ``check_finite=False`` skips the NaN/infinity scan, for a caller whose Rust kernel
    rejects non-finite input itself and then calls ``check_array`` again for the message.
    """
    columns: list[Any] | None = None
    column_index: pd.Index | None = None
    index: pd.Index | None = None
    target = dtypes[0]
    kind = container_of(X)
    X = as_pandas(X)
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse, without importing scipy
        raise NonNumericError(
            f"Sparse data was passed for {name}, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    if isinstance(X, pd.DataFrame):
        index = X.index if kind == "pandas" else None
        column_index = X.columns
        columns = list(X.columns)
        # one float type in every column, and the kernel takes it: keep it
        kept = {t for t in X.dtypes if t in (np.float32, np.float16)}
        keep = len(X.columns) > 0 and len(kept) == 1 and all(t in kept for t in X.dtypes)
        same = next(iter(kept)).type if keep else target
        values = _frame_to_array(X, name, same if same in dtypes else target)
    else:
        if hasattr(X, "__dataframe__") or hasattr(X, "to_pandas"):
            # pyarrow & friends: go through pandas for names and dtypes
            return check_array(
                X.to_pandas(),
                name=name,
                dtypes=dtypes,
                allow_nan=allow_nan,
                min_samples=min_samples,
                estimator=estimator,
                check_finite=check_finite,
            )
        if hasattr(X, "nnz") and hasattr(X, "toarray"):  # scipy.sparse, without importing it
            raise NonNumericError(
                f"Sparse input is not supported for {name}; pass a dense array (e.g. X.toarray())"
            )
        try:
            arr = np.asarray(X)
        except Exception as exc:  # ragged lists and the like
            raise InvalidParameterError(f"{name} could not be read as an array: {exc}") from exc
        if arr.dtype.kind == "c":
            raise NonNumericError(f"Complex data not supported in {name}")
        if arr.dtype.kind not in "biuf":
            if arr.dtype.kind == "O":
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise NonNumericError(
                        f"{name} has non-numeric values (dtype object): {exc}; for "
                        f"categorical columns, {CATEGORICAL_ADVICE}"
                    ) from exc
            else:
                raise NonNumericError(
                    f"{name} must be numeric, got dtype {arr.dtype}; for categorical "
                    f"columns, {CATEGORICAL_ADVICE}"
                )
        if arr.ndim == 0 or arr.ndim == 1:
            raise ShapeMismatchError(
                f"Expected a 2D array for {name}, got a {arr.ndim}D array instead. Reshape "
                "your data either using array.reshape(-1, 1) if it has a single feature "
                "or array.reshape(1, -1) if it contains a single sample."
            )
        if arr.ndim > 2:
            raise ShapeMismatchError(f"Found array with dim {arr.ndim}; {name} must be 2D")
        dtype = arr.dtype.type if arr.dtype.type in dtypes else target
        values = np.ascontiguousarray(arr, dtype=dtype)
    n, d = values.shape
    who = f" by {estimator}" if estimator else ""
    if n < max(min_samples, 1):
        raise EmptyInputError(
            f"Found array with {n} sample(s) (shape={values.shape}) while a minimum of "
            f"{max(min_samples, 1)} is required{who}."
        )
    if d == 0:
        raise EmptyInputError(
            f"Found array with 0 feature(s) (shape={values.shape}) while a minimum of 1 "
            f"is required{who}."
        )
    if columns is None:
        cols: Sequence[Any] = [f"x{j}" for j in range(d)]
    else:
        cols = columns
    if not check_finite:
        pass
    elif allow_nan:
        if np.isinf(values).any():
            raise NonFiniteError(
                f"Input {name} contains infinity: "
                + _describe_nonfinite(np.where(np.isnan(values), 0.0, values), cols)
            )
    elif not np.isfinite(values).all():
        raise NonFiniteError(
            f"Input {name} contains NaN or infinity: " + _describe_nonfinite(values, cols)
        )
    out_dtype = None
    if values.dtype == np.float16:
        out_dtype, values = values.dtype, values.astype(np.float32)
    return Checked(values, columns, index, kind, out_dtype, column_index)


def is_sparse(X: Any) -> bool:
    """A scipy.sparse matrix or array, recognised without importing scipy."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "nnz")


def check_sparse(
    X: Any,
    *,
    name: str = "X",
    dtypes: tuple[Any, ...] = FLOAT_DTYPES,
    allow_nan: bool = False,
    estimator: str | None = None,
) -> CheckedSparse:
    """Validate a scipy sparse input for a Rust CSR kernel, converting at most once.

    CSR is used as it is (no copy); CSC, COO and the other formats are converted to CSR
    once; a CSR with unsorted or duplicate indices is made canonical on a copy (never in
    place). Values become the first of ``dtypes`` unless already float64 or float32 and
    listed (scipy.sparse has no float16). Indices become int64.
    Errors name the columns holding NaN/infinity, as :func:`check_array`'s.
    """
    who = f" by {estimator}" if estimator else ""
    n, d = X.shape
    if n == 0 or d == 0:
        raise EmptyInputError(
            f"Found sparse array with shape {X.shape} while at least one sample and one "
            f"feature are required{who}."
        )
    csr = X if X.format == "csr" else X.tocsr()
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    data = csr.data
    if data.dtype.kind not in "biuf":
        raise NonNumericError(f"{name} must be numeric, got a sparse matrix of {data.dtype}")
    if data.dtype.type not in dtypes or data.dtype.type not in FLOAT_DTYPES:
        data = data.astype(dtypes[0])
    data = np.ascontiguousarray(data)
    bad = np.isinf(data) if allow_nan else ~np.isfinite(data)
    if bad.any():
        columns = [f"x{j}" for j in np.unique(csr.indices[bad])[:10]]
        what = "infinity" if allow_nan else "NaN or infinity"
        raise NonFiniteError(
            f"Input {name} contains {what}: {int(bad.sum())} stored value(s) in column(s) {columns}"
        )
    return CheckedSparse(
        data=data,
        indices=np.ascontiguousarray(csr.indices, dtype=np.int64),
        indptr=np.ascontiguousarray(csr.indptr, dtype=np.int64),
        shape=(int(n), int(d)),
        csr_type=type(csr),
    )


# --------------------------------------------------------------------------- mixed tables

#: Code of a missing categorical value (``missing="ignore"``).
MISSING_CODE = -1
#: Code of a level that ``fit`` never saw (``unknown="mismatch"``): it matches no level.
UNSEEN_CODE = -2
#: A categorical column with more levels than this gets a :class:`HighCardinalityWarning`.
HIGH_CARDINALITY = 100
MISSING_POLICIES = ("error", "level", "ignore")
UNKNOWN_POLICIES = ("error", "mismatch")


@dataclass(frozen=True)
class MixedChecked:
    """A validated table of numeric and categorical columns (see :func:`check_mixed`).

    Attributes
    ----------
    numeric : numpy.ndarray of float64, shape (n_samples, n_numeric)
        The numeric columns, C-contiguous (one copy).
    categorical : numpy.ndarray of int32, shape (n_samples, n_categorical)
        The categorical columns as codes into ``levels[j]``, C-contiguous;
        :data:`MISSING_CODE` for a missing value (``missing="ignore"``) and
        :data:`UNSEEN_CODE` for a level ``fit`` never saw (``unknown="mismatch"``).
    columns : list
        All column labels, in the input's order (the caller's labels, or ``0..p-1``).
    is_categorical : numpy.ndarray of bool, shape (n_columns,)
        Which of ``columns`` are categorical.
    levels : list of list
        Per categorical column, its levels (Python scalars) in code order: category order
        for a pandas categorical, sorted order otherwise (as :func:`encode_labels`);
        ``missing="level"`` appends ``None`` as the last level of a column with missing
        values.
    ordered : list of bool
        Per categorical column, whether it is an ordered pandas categorical (ordinal).
    dtypes : list
        Per column, the input's dtype (to rebuild prototypes in the caller's dtypes).
    index : pandas.Index or None
        The row index of a DataFrame input.
    """

    numeric: np.ndarray
    categorical: np.ndarray
    columns: list[Any]
    is_categorical: np.ndarray
    levels: list[list[Any]]
    ordered: list[bool]
    dtypes: list[Any]
    index: pd.Index | None

    @property
    def numeric_columns(self) -> list[Any]:
        """Labels of the numeric columns, in order."""
        return [c for c, cat in zip(self.columns, self.is_categorical, strict=True) if not cat]

    @property
    def categorical_columns(self) -> list[Any]:
        """Labels of the categorical columns, in order."""
        return [c for c, cat in zip(self.columns, self.is_categorical, strict=True) if cat]

    @property
    def n_levels(self) -> np.ndarray:
        """Number of levels of each categorical column (int64)."""
        return np.asarray([len(lv) for lv in self.levels], dtype=np.int64)


def _is_categorical_dtype(dtype: Any) -> bool:
    """Category, object, string and bool columns are categorical; numbers are numeric."""
    return isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    )


def _mixed_frame(X: Any, name: str) -> pd.DataFrame:
    """A DataFrame view of ``X`` (polars through pandas; arrays with columns ``0..p-1``)."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame()
    if is_polars(X):
        return _mixed_frame(as_pandas(X), name)
    if hasattr(X, "to_pandas"):  # pyarrow
        return _mixed_frame(X.to_pandas(), name)
    if hasattr(X, "nnz") and hasattr(X, "toarray"):
        raise NonNumericError(f"Sparse input is not supported for {name}; pass a DataFrame")
    arr = np.asarray(X) if isinstance(X, np.ndarray) else _list_to_array_2d(X, name)
    if arr.ndim != 2:
        raise ShapeMismatchError(
            f"{name} must be 2-D (a table), got shape {arr.shape}. Reshape your data either "
            "using array.reshape(-1, 1) if it has a single feature or array.reshape(1, -1) "
            "if it contains a single sample."
        )
    if arr.dtype.kind == "c":
        raise NonNumericError(f"Complex data not supported in {name}")
    frame = pd.DataFrame(arr)
    return frame.infer_objects() if arr.dtype == object else frame


def _list_to_array_2d(X: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(X, dtype=object)
    except ValueError as exc:  # ragged rows
        raise ShapeMismatchError(f"{name} could not be read as a table: {exc}") from exc


def _categorical_mask(frame: pd.DataFrame, categorical: Any, name: str) -> np.ndarray:
    """Which columns are categorical: by dtype, or exactly those named by ``categorical``
    (labels, positions, or a slice of positions)."""
    columns = list(frame.columns)
    if categorical is None:
        return np.asarray([_is_categorical_dtype(t) for t in frame.dtypes], dtype=bool)
    if isinstance(categorical, slice):
        mask = np.zeros(len(columns), dtype=bool)
        mask[categorical] = True
        return mask
    picks = [categorical] if isinstance(categorical, str | numbers.Integral) else categorical
    mask = np.zeros(len(columns), dtype=bool)
    for c in picks:
        if c in columns:
            mask[columns.index(c)] = True
        elif isinstance(c, numbers.Integral) and not isinstance(c, bool):
            if not -len(columns) <= int(c) < len(columns):
                raise ColumnNotFoundError(
                    f"categorical position {int(c)} is out of range for {name} with "
                    f"{len(columns)} column(s)"
                )
            mask[int(c)] = True
        else:
            raise ColumnNotFoundError(
                f"categorical column {c!r} is not in {name}; columns are {columns}"
            )
    return mask


def _encode_column(
    col: pd.Series, label: Any, name: str, missing: str, levels: list[Any] | None, unknown: str
) -> tuple[np.ndarray, list[Any]]:
    """One categorical column -> (int32 codes, levels) under the missing/unknown policies."""
    what = f"column {label!r} of {name}"
    if levels is None:
        enc = encode_labels(col, name=what, allow_missing=True)
        codes, found = enc.codes, list(enc.uniques)
    else:
        # The fitted levels and the values encoded together, so that the label rule
        # (1, "1" and True are three levels) decides what matches.
        known = [v for v in levels if v is not None]
        values = col.to_numpy(dtype=object, na_value=None)
        both = np.empty(len(known) + len(values), dtype=object)
        both[: len(known)] = known
        both[len(known) :] = values
        joint = encode_labels(both, name=what, allow_missing=True).codes
        lookup = np.full(int(joint.max(initial=0)) + 1, UNSEEN_CODE, dtype=np.int64)
        lookup[joint[: len(known)]] = np.arange(len(known))
        coded = joint[len(known) :]
        isna = coded < 0
        codes = np.where(isna, MISSING_CODE, lookup[np.maximum(coded, 0)])
        found = list(levels)
        unseen = codes == UNSEEN_CODE
        if unseen.any():
            if unknown == "error":
                examples = pd.unique(np.asarray(values, dtype=object)[unseen])[:5].tolist()
                raise UnknownCategoryError(
                    f"{what} has {int(unseen.sum())} row(s) with level(s) not seen in fit, "
                    f"e.g. {examples}; pass unknown='mismatch' to treat them as matching no "
                    "level"
                )
    n_missing = int((codes == MISSING_CODE).sum())
    if n_missing == len(codes) and levels is None:  # at predict, a batch may be all missing
        raise EmptyInputError(f"{what} has no values: all {len(codes)} rows are missing")
    if n_missing:
        if missing == "error":
            raise NonFiniteError(
                f"{what} has {n_missing} missing value(s) of {len(codes)} (NaN or None); drop "
                "or fill them, "
                "or pass missing='level' (missing is a level of its own) or "
                "missing='ignore' where the method allows it"
            )
        if missing == "level":
            if levels is None:
                found.append(None)
            elif None not in found:
                raise UnknownCategoryError(
                    f"{what} has {n_missing} missing value(s) but fit saw none there"
                )
            codes[codes == MISSING_CODE] = found.index(None)
    if levels is None and len(found) > HIGH_CARDINALITY:
        warnings.warn(
            f"{what} has {len(found)} levels (more than {HIGH_CARDINALITY}); a column with "
            "that many levels (an id, free text?) says little about a segment",
            HighCardinalityWarning,
            stacklevel=4,
        )
    return codes.astype(np.int32), found


def check_mixed(
    X: Any,
    *,
    categorical: Any = None,
    levels: Sequence[Sequence[Any]] | None = None,
    missing: str = "error",
    unknown: str = "error",
    allow_nan: bool = False,
    name: str = "X",
    min_samples: int = 1,
    estimator: str | None = None,
) -> MixedChecked:
    """Validate a table of numeric and categorical columns (the mixed-type funnel).

    Columns are categorical by their pandas dtype (category, object, string, bool) unless
    ``categorical`` names them (labels or positions; then exactly those are categorical and
    every other column must be numeric). Numeric columns become one float64 block and
    categorical columns one int32 block of codes, each made once, C-contiguous.

    Parameters
    ----------
    X : DataFrame, polars DataFrame or 2-D array-like (object arrays for mixed rows)
    categorical : label, position, list of them, or a slice of positions, optional
        ``slice(None)``: every column.
    levels : list of lists, optional
        The levels seen in ``fit`` (``MixedChecked.levels``), for predict: values are coded
        against them instead of being encoded afresh.
    missing : {"error", "level", "ignore"}, default="error"
        A missing categorical value raises :class:`NonFiniteError` naming the column and
        the count, becomes a level of its own (``None``, the last level), or is coded
        :data:`MISSING_CODE` for methods that skip it (Gower).
    unknown : {"error", "mismatch"}, default="error"
        With ``levels``: a level ``fit`` never saw raises :class:`UnknownCategoryError`, or
        is coded :data:`UNSEEN_CODE`, which matches no level.
    allow_nan : bool, default=False
        Allow NaN in the numeric columns (infinity is always an error).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise._validation import check_mixed
    >>> df = pd.DataFrame({"age": [31, 45, 27], "region": ["north", "south", "north"]})
    >>> m = check_mixed(df)
    >>> m.numeric_columns, m.categorical_columns, m.levels
    (['age'], ['region'], [['north', 'south']])
    >>> m.categorical.ravel().tolist()
    [0, 1, 0]
    """
    check_choice(missing, "missing", MISSING_POLICIES)
    check_choice(unknown, "unknown", UNKNOWN_POLICIES)
    frame = _mixed_frame(X, name)
    n, p = frame.shape
    who = f" by {estimator}" if estimator else ""
    if n < max(min_samples, 1) or p == 0:
        what = f"{n} sample(s)" if n < max(min_samples, 1) else "0 feature(s)"
        least = max(min_samples, 1) if n < max(min_samples, 1) else 1
        raise EmptyInputError(
            f"Found a table with {what} (shape=({n}, {p})) while a minimum of {least} is "
            f"required{who}: {name} needs at least {max(min_samples, 1)} row(s) and 1 column."
        )
    if not frame.columns.is_unique:
        dup = frame.columns[frame.columns.duplicated()].unique().tolist()
        raise InvalidParameterError(f"{name} has duplicated column label(s) {dup}")
    mask = _categorical_mask(frame, categorical, name)
    if levels is not None and len(levels) != int(mask.sum()):
        raise ShapeMismatchError(
            f"{name} has {int(mask.sum())} categorical column(s) but fit saw {len(levels)}"
        )
    num_cols = [j for j in range(p) if not mask[j]]
    if num_cols:
        sub = frame.iloc[:, num_cols]
        bad = [c for c, t in sub.dtypes.items() if _is_categorical_dtype(t)]
        if bad:
            raise NonNumericError(
                f"{name} has non-numeric column(s) {bad} that categorical= does not name; "
                "name them in categorical= or drop them"
            )
        numeric = check_array(
            sub, name=name, dtypes=(np.float64,), allow_nan=allow_nan, estimator=estimator
        ).values
        # Only in fit: at predict (``levels`` given) a few new rows may all miss a value.
        check_empty = allow_nan and levels is None
        empty = np.isnan(numeric).all(axis=0) if check_empty else np.zeros(len(num_cols), bool)
        if empty.any():
            label = sub.columns[int(np.flatnonzero(empty)[0])]
            raise EmptyInputError(f"column {label!r} of {name} has no values: all {n} rows are NaN")
    else:
        numeric = np.empty((n, 0), dtype=np.float64)
    cat_cols = [j for j in range(p) if mask[j]]
    categorical_block = np.empty((n, len(cat_cols)), dtype=np.int32)
    found_levels: list[list[Any]] = []
    ordered: list[bool] = []
    for i, j in enumerate(cat_cols):
        col = frame.iloc[:, j]
        fitted = None if levels is None else list(levels[i])
        codes, found = _encode_column(col, frame.columns[j], name, missing, fitted, unknown)
        categorical_block[:, i] = codes
        found_levels.append(found)
        dtype = col.dtype
        ordered.append(bool(isinstance(dtype, pd.CategoricalDtype) and dtype.ordered))
    return MixedChecked(
        numeric=numeric,
        categorical=categorical_block,
        columns=list(frame.columns),
        is_categorical=mask,
        levels=found_levels,
        ordered=ordered,
        dtypes=list(frame.dtypes),
        index=frame.index if isinstance(X, pd.DataFrame | pd.Series) else None,
    )


def as_table(X: Any, name: str = "X") -> pd.DataFrame:
    """``X`` as the DataFrame :func:`check_mixed` reads (polars through pandas; arrays with
    columns ``0..p-1``), without copying a DataFrame: for callers that must combine two
    tables before checking them (e.g. Gower distances between ``X`` and ``Y``)."""
    return _mixed_frame(X, name)


# --------------------------------------------------------------------------- weights


def _check_length(n_found: int, n_samples: int, name: str, against: str) -> None:
    if n_found != n_samples:
        raise ShapeMismatchError(f"{name} has {n_found} entries but {against} has {n_samples} rows")


def check_sample_weight(
    sample_weight: Any,
    n_samples: int,
    *,
    name: str = "sample_weight",
    against: str = "X",
    ids: pd.Index | None = None,
    rows: pd.Index | None = None,
) -> np.ndarray | None:
    """Return sample weights as a float64 vector of length ``n_samples`` (or None).

    A number is the same weight for every sample. With ``ids`` (the customer ids of the
    samples, e.g. the index of Series labels) the weights must be a pandas Series indexed
    by customer id, covering every id; they are taken in the order of ``ids``. Negative,
    NaN, infinite or all-zero weights raise :class:`InvalidWeightsError`; a wrong length
    :class:`ShapeMismatchError` naming ``against``. ``rows`` (the row index of a DataFrame
    ``X``): a Series of weights is matched to it by index, as labels are
    (:func:`align_to_rows`).
    """
    if sample_weight is None:
        return None
    sample_weight = align_to_rows(sample_weight, rows, name=name, against=against)
    if ids is not None and not isinstance(sample_weight, numbers.Number):
        if not isinstance(sample_weight, pd.Series):
            raise InvalidWeightsError(
                f"with Series labels, pass {name} as a pandas Series indexed by customer id"
            )
        missing = int((~ids.isin(sample_weight.index)).sum())
        if missing:
            raise InvalidWeightsError(f"{name} has no value for {missing} customer id(s)")
        if not sample_weight.index.is_unique:
            raise InvalidWeightsError(f"{name} has a duplicated index")
        sample_weight = sample_weight.reindex(ids)
    if isinstance(sample_weight, numbers.Number):
        w = np.full(n_samples, float(sample_weight))  # type: ignore[arg-type]
    else:
        try:
            w = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidWeightsError(f"{name} must be numeric: {exc}") from exc
        if w.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1D, got shape {w.shape}")
        _check_length(w.shape[0], n_samples, name, against)
        w = np.ascontiguousarray(w)
    bad = ~np.isfinite(w)
    if bad.any():
        raise InvalidWeightsError(f"{name} has {int(bad.sum())} NaN or infinite value(s)")
    neg = w < 0
    if neg.any():
        raise InvalidWeightsError(
            f"{name} has {int(neg.sum())} negative value(s); weights must be >= 0"
        )
    if not (w > 0).any():
        raise InvalidWeightsError(f"{name} is all zero; at least one weight must be positive")
    return w


# --------------------------------------------------------------------------- fitted state


def check_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by fit),
    then check its fitted state (:func:`check_fitted_state`)."""
    if not hasattr(estimator, attribute):
        raise _not_fitted_error(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )
    check_fitted_state(estimator)


@dataclass(frozen=True)
class Fitted:
    """What one fitted array attribute must be (an entry of an estimator's
    ``_fitted_state`` table, checked by :func:`check_fitted_state`).

    ``shape`` gives each axis: an int, the name of an int attribute (``"n_features_in_"``)
    or None (any length >= 1). ``kinds`` are the numpy dtype kinds allowed ("f": float64
    or float32, "iu": integers). Float arrays must be free of infinity, and of NaN unless ``nan`` (a
    scaler's all-NaN column); ``positive`` asks for values > 0 (NaN aside). Integer
    arrays may ask for values in ``[0, upper)`` (``upper``: the name of an int attribute, or
    of an int array holding one bound per column of the last axis).
    ``optional`` allows None.
    """

    shape: tuple[int | str | None, ...]
    kinds: str = "f"
    nan: bool = False
    positive: bool = False
    upper: str | None = None
    optional: bool = False


def _state_problem(estimator: Any, value: Any, spec: Fitted) -> str | None:
    """What is wrong with one fitted attribute's value, or None (a few microseconds: it
    runs on every predict)."""
    if value is None:
        return None if spec.optional else "is None"
    if not isinstance(value, np.ndarray):
        return f"is a {type(value).__name__}, not a numpy array"
    kind = value.dtype.kind
    if kind not in spec.kinds or (kind == "f" and value.dtype not in FLOAT_DTYPES):
        return f"has dtype {value.dtype}"
    shape = value.shape
    ok = len(shape) == len(spec.shape)
    for got, want in zip(shape, spec.shape, strict=False):
        if want is None:
            ok = ok and got >= 1
        else:
            ok = ok and got == (getattr(estimator, want, -1) if isinstance(want, str) else want)
    if not ok:
        wanted = tuple(
            "any" if w is None else getattr(estimator, w, w) if isinstance(w, str) else w
            for w in spec.shape
        )
        return f"has shape {shape}, expected {wanted}"
    if kind == "f":
        if np.isinf(value).any() if spec.nan else not np.isfinite(value).all():
            return "holds infinity" if spec.nan else "holds NaN or infinity"
        if spec.positive and (value <= 0).any():
            return "holds values <= 0"
    elif spec.upper is not None and value.size:
        upper = getattr(estimator, spec.upper, 0)
        if isinstance(upper, np.ndarray):  # one bound per column (the last axis)
            if upper.shape != value.shape[-1:] or value.min() < 0 or (value >= upper).any():
                return "holds values outside 0..(its column's number of levels - 1)"
        elif value.min() < 0 or value.max() >= upper:
            return f"holds values outside 0..{upper - 1}"
    return None


def check_fitted_state(estimator: Any) -> None:
    """Check the fitted state cheaply (its size, never the data's) before predict,
    transform or score: ``n_features_in_``, ``feature_names_in_`` and every entry of the
    class's ``_fitted_state`` table (:class:`Fitted`). An attribute edited by hand or
    unpickled from another segwise version raises :class:`FittedStateError` naming it,
    instead of a wrong answer or a raw ``KeyError``/``IndexError`` later.
    """
    name = type(estimator).__name__
    problems = []
    n = getattr(estimator, "n_features_in_", None)
    if n is not None and not (
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) >= 1
    ):
        problems.append(f"n_features_in_ is {n!r}, not an int >= 1")
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and not (
        isinstance(names, np.ndarray) and names.ndim == 1 and len(names) == n
    ):
        problems.append(f"feature_names_in_ does not hold {n} names")
    if not problems:
        for attribute, spec in getattr(type(estimator), "_fitted_state", {}).items():
            problem = _state_problem(estimator, getattr(estimator, attribute, None), spec)
            if problem:
                problems.append(f"{attribute} {problem}")
    if problems:
        version = getattr(estimator, "_pickled_by_version", None)
        origin = (
            f"it was pickled by segwise {version}"
            if version is not None
            else "it was edited, or unpickled from another segwise version"
        )
        raise FittedStateError(
            f"This {name} has an invalid fitted state ({'; '.join(problems)}): {origin}. Refit it."
        )


def fitted_centres_unscanned(estimator: Any, attribute: str) -> np.ndarray | None:
    """The fitted ``(n_clusters, n_features_in_)`` float array ``attribute`` (a
    ``Fitted((None, "n_features_in_"))`` entry) when it and ``n_features_in_`` /
    ``feature_names_in_`` pass every check of :func:`check_fitted_state` but the scan of
    its values, else None (not fitted, or a problem to be named by the full check).

    For one-row fast paths whose Rust kernel scans the centres itself (it reads them
    anyway) and raises :class:`NonFiniteError` on NaN or infinity: the caller then runs
    the full checks, which name the attribute. A few hundred nanoseconds, where
    :func:`check_fitted_state` takes about 3 µs, as much as the prediction of one row.
    """
    state = estimator.__dict__
    value = state.get(attribute)
    n = state.get("n_features_in_")
    if not (
        type(value) is np.ndarray
        and type(n) is int
        and value.ndim == 2
        and value.shape[1] == n >= 1
        and value.shape[0] >= 1
        and (value.dtype == np.float64 or value.dtype == np.float32)
    ):
        return None
    names = state.get("feature_names_in_")
    if names is not None and not (
        type(names) is np.ndarray and names.ndim == 1 and len(names) == n
    ):
        return None
    return value


def label_array(labels: Sequence[Any]) -> np.ndarray:
    """Column labels as a 1-D object array, each label kept as the caller wrote it (a
    MultiIndex's tuples stay tuples; ``np.asarray`` would make them a 2-D array)."""
    out = np.empty(len(labels), dtype=object)
    out[:] = list(labels)
    return out


def check_features(estimator: Any, checked: Checked | CheckedSparse, *, reset: bool) -> None:
    """Record (``reset=True``) or verify the number and names of features, as scikit-learn.

    Recording also stamps the fit time, ``estimator._fitted_at`` (UTC, ISO 8601 to the
    second; the first ``partial_fit`` for incremental estimators), which
    :mod:`segwise.deploy` stores in model files as the fit date.

    At predict/transform time a DataFrame with other columns, or the same columns in another
    order, raises :class:`FeatureNamesError` naming the difference.
    """
    n_features = checked.shape[1]
    if reset:
        estimator._fitted_at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        estimator.n_features_in_ = n_features
        if checked.columns is not None:
            estimator.feature_names_in_ = label_array(checked.columns)
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return
    name = type(estimator).__name__
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if fitted_names is not None and checked.columns is not None:
        fitted = list(fitted_names)
        if fitted != checked.columns:
            missing = [c for c in fitted if c not in checked.columns]
            extra = [c for c in checked.columns if c not in fitted]
            detail = []
            if missing:
                detail.append(f"missing: {missing}")
            if extra:
                detail.append(f"unexpected: {extra}")
            if not detail:
                detail.append(f"order differs: fit saw {fitted}, got {checked.columns}")
            raise FeatureNamesError(
                f"The feature names should match those that were passed during fit "
                f"({'; '.join(detail)}). Select the columns in fit order, e.g. "
                f"X[{name.lower()}.feature_names_in_]."
            )
    if n_features != estimator.n_features_in_:
        raise ShapeMismatchError(
            f"X has {n_features} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


# --------------------------------------------------------------------------- parameters


def _join_or(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _shown(value: Any) -> str:
    """``value`` as an error message shows it (``0``, not ``np.int64(0)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


class Constraint(Protocol):
    """What every entry of a constraint table is (or is turned into, for ``None``,
    ``callable``, a type or a name such as ``"boolean"``)."""

    def describe(self) -> str:
        """What the allowed values are, for a message listing several kinds."""
        ...

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is allowed, else the words after "must be"."""
        ...

    def normalise(self, value: Any) -> Any:
        """An allowed ``value`` in the form the code uses (``int`` from ``np.int64``...)."""
        ...


class Interval:
    """Numbers of one kind, ``Integral`` or ``Real``, between two bounds.

    ``left``/``right`` of None leave that side unbounded; ``closed`` ("left", "right",
    "both" or "neither") says which bounds belong to the interval. Booleans are not
    numbers here, and a ``Real`` interval holds finite values only. Accepted values come
    back as ``int`` or ``float`` (numpy scalars included).

    Examples
    --------
    >>> from numbers import Integral
    >>> from segwise._validation import Interval, validate_params
    >>> validate_params({"k": 3}, {"k": [Interval(Integral, 1, None, closed="left")]}, caller="f")
    {'k': 3}
    """

    def __init__(self, type: type, left: float | None, right: float | None, *, closed: str) -> None:
        if type not in (Integral, Real):
            raise TypeError(f"Interval type must be Integral or Real, got {type!r}")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be left, right, both or neither, got {closed!r}")
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed
        self._plain = (int,) if type is Integral else (int, float)

    def range(self) -> str:
        """The bounds in words: ``">= 1"``, ``"> 0"``, ``"in (0, 1)"`` (empty if none)."""
        lo_in = self.closed in ("left", "both")
        hi_in = self.closed in ("right", "both")
        if self.left is not None and self.right is not None:
            return f"in {'[' if lo_in else '('}{self.left}, {self.right}{']' if hi_in else ')'}"
        if self.left is not None:
            return f"{'>=' if lo_in else '>'} {self.left}"
        if self.right is not None:
            return f"{'<=' if hi_in else '<'} {self.right}"
        return ""

    def _kind(self) -> str:
        return "an int" if self.type is Integral else "a number"

    def describe(self) -> str:
        """What the interval holds, e.g. ``"an int >= 1"``."""
        return f"{self._kind()} {self.range()}".rstrip()

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is in the interval, else what it must be: the kind of number
        first, then ``"finite"``, then the bounds (the first that fails)."""
        kind = type(value)
        # Plain ints and floats skip the abstract-class checks (most values are).
        if kind not in self._plain and (
            isinstance(value, _BOOLS) or not isinstance(value, self.type)
        ):
            return self._kind()
        if self.type is Real:
            try:
                finite = math.isfinite(value)
            except OverflowError:  # an int too large for a float
                finite = False
            if not finite:
                return "finite"
        lo_in = self.closed in ("left", "both")
        hi_in = self.closed in ("right", "both")
        number: Any = value
        if self.left is not None and (number < self.left or (number == self.left and not lo_in)):
            return self.range()
        if self.right is not None and (number > self.right or (number == self.right and not hi_in)):
            return self.range()
        return None

    def normalise(self, value: Any) -> Any:
        return int(value) if self.type is Integral else float(value)


def format_bytes(n: float) -> str:
    """``1.5 GiB``-style size."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover - the loop always returns


class Cap(Interval):
    """A size-like int (restarts, iterations, replicates, bins...) in ``[left, cap]``, the
    upper bound a documented cap, checked before anything is allocated.

    A value above the cap says what the cap protects. When the parameter sizes a buffer,
    ``bytes_each`` (bytes per unit, at least) and ``buffer`` (what is allocated) give what
    it would have allocated: ``"in [1, 1000000] (the documented cap; 10**9 would allocate
    at least 7.5 GiB for ...)"``; when it counts work instead, ``work`` (what each unit
    is) gives how much would run: ``"in [1, 10000] (the documented cap; 20,000 would run
    20,000 ...)"``.

    Examples
    --------
    >>> from segwise._validation import Cap
    >>> Cap(1, 10**6, bytes_each=8, buffer="the results").problem(10**9)  # doctest: +ELLIPSIS
    'in [1, 1000000] (the documented cap; 1,000,000,000 would allocate at least 7.5 GiB for ...)'
    >>> Cap(1, 10, work="would run {value} restarts").problem(20)
    'in [1, 10] (the documented cap; 20 would run 20 restarts)'
    """

    def __init__(
        self,
        left: int,
        cap: int,
        *,
        bytes_each: int | None = None,
        buffer: str = "",
        work: str = "",
    ) -> None:
        super().__init__(Integral, left, cap, closed="both")
        self.bytes_each = bytes_each
        self.buffer = buffer
        self.work = work

    def beyond(self, value: Any) -> str | None:
        """For an int above the cap, what the cap protects (the words in parentheses after
        the range); None for any other value."""
        return self._beyond(value, super().problem(value))

    def _beyond(self, value: Any, what: str | None) -> str | None:
        if what != self.range() or value < self.left:
            return None
        shown = f"{int(value):,}"
        if self.bytes_each is not None:
            nbytes = format_bytes(int(value) * self.bytes_each)
            return f"the documented cap; {shown} would allocate at least {nbytes} for {self.buffer}"
        if self.work:
            return f"the documented cap; {shown} {self.work.format(value=shown)}"
        return "the documented cap"

    def problem(self, value: Any) -> str | None:
        what = super().problem(value)
        beyond = None if what is None else self._beyond(value, what)
        return what if beyond is None else f"{what} ({beyond})"


class StrOptions:
    """One of a few strings. ``str`` subclasses (``numpy.str_``) are accepted and come back
    as the plain ``str`` of the table, as scikit-learn does since its issue #21964.

    ``many=True``: one of them or a collection of them (a list, tuple, array...; each
    checked as one), which comes back as a list of plain ``str`` (``"gap"`` -> ``["gap"]``).

    Examples
    --------
    >>> from segwise._validation import StrOptions, validate_params
    >>> table = {"criteria": [StrOptions(["gap", "silhouette"], many=True)]}
    >>> validate_params({"criteria": ("gap", "silhouette")}, table, caller="choose_k")
    {'criteria': ['gap', 'silhouette']}
    """

    def __init__(self, options: Iterable[str], *, many: bool = False) -> None:
        self.options = tuple(dict.fromkeys(options))
        self.many = many

    def describe(self) -> str:
        if self.many:
            return f"one or more of {list(self.options)}"
        if len(self.options) == 1:
            return repr(self.options[0])
        return f"one of {list(self.options)}"

    def _one(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    def problem(self, value: Any) -> str | None:
        if self._one(value):
            return None
        if self.many and isinstance(value, Collection) and not isinstance(value, bytes):
            return None if all(self._one(v) for v in value) else self.describe()
        return self.describe()

    def normalise(self, value: Any) -> Any:
        if isinstance(value, str):
            plain = self.options[self.options.index(value)]
            return [plain] if self.many else plain
        return [self.options[self.options.index(v)] for v in value]


class Pair:
    """Two numbers (a tuple or list), the first in ``first`` and the second in ``second``
    (``first`` again if omitted); they come back as a tuple of floats."""

    def __init__(self, first: Interval, second: Interval | None = None) -> None:
        self.first = first
        self.second = first if second is None else second

    def describe(self) -> str:
        if self.second is self.first:
            return f"a pair of numbers {self.first.range()}".rstrip()
        return f"a pair ({self.first.describe()}, {self.second.describe()})"

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, tuple | list) and len(value) == 2
        ok = ok and self.first.problem(value[0]) is None and self.second.problem(value[1]) is None
        return None if ok else self.describe()

    def normalise(self, value: Any) -> tuple[float, float]:
        return float(value[0]), float(value[1])


class HasMethods:
    """Any object with these methods (e.g. a scikit-learn-style clusterer)."""

    def __init__(self, methods: Sequence[str]) -> None:
        self.methods = tuple(methods)

    def describe(self) -> str:
        return f"an object with method(s) {', '.join(self.methods)}"

    def problem(self, value: Any) -> str | None:
        ok = all(callable(getattr(value, m, None)) for m in self.methods)
        return None if ok else self.describe()

    def normalise(self, value: Any) -> Any:
        return value


class _Predicate:
    """A constraint given by name (``"boolean"``...), ``None``, ``callable`` or a type."""

    def __init__(self, test: Callable[[Any], bool], description: str, convert: Any = None):
        self.test = test
        self.description = description
        self.convert = convert

    def describe(self) -> str:
        return self.description

    def problem(self, value: Any) -> str | None:
        return None if self.test(value) else self.description

    def normalise(self, value: Any) -> Any:
        return value if self.convert is None else self.convert(value)


_SEED_INT = Interval(Integral, 0, None, closed="left")


def _is_seed(value: Any) -> bool:
    if value is None or isinstance(value, np.random.RandomState | np.random.Generator):
        return True
    return _SEED_INT.problem(value) is None


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "__array__") or isinstance(value, list | tuple)


_NAMED = {
    "array-like": _Predicate(_is_array_like, "an array-like"),
    "boolean": _Predicate(lambda v: isinstance(v, _BOOLS), "a bool", bool),
    "random_state": _Predicate(_is_seed, "None, an int >= 0 or a numpy RandomState/Generator"),
    "verbose": _Predicate(lambda v: isinstance(v, numbers.Integral), "an int or bool"),
}
_NONE = _Predicate(lambda v: v is None, "None")
_CALLABLE = _Predicate(callable, "a callable")


def _constraint(spec: Any) -> Constraint:
    """The :class:`Constraint` of a table entry."""
    if spec is None:
        return _NONE
    if spec is callable:
        return _CALLABLE
    if isinstance(spec, str):
        return _NAMED[spec]
    if isinstance(spec, type):
        article = "an" if spec.__name__[0].lower() in "aeiou" else "a"
        return _Predicate(lambda v: isinstance(v, spec), f"{article} {spec.__name__}")
    return spec


def _check_value(value: Any, name: str, allowed: Sequence[Any], caller: str | None) -> Any:
    for spec in allowed:
        check = _constraint(spec)
        if check.problem(value) is None:
            return check.normalise(value)
    checks = [_constraint(spec) for spec in allowed]
    if len(checks) == 1:
        what = checks[0].problem(value)  # the first thing wrong, e.g. "an int", ">= 1"
    else:
        # An int above a cap among other options still says what the cap protects.
        what = _join_or(
            [
                f"{check.describe()} ({beyond})"
                if isinstance(check, Cap) and (beyond := check.beyond(value))
                else check.describe()
                for check in checks
            ]
        )
    where = f"{caller}: " if caller else ""
    raise InvalidParameterError(f"{where}{name} must be {what}, got {_shown(value)}")


def validate_params(
    params: Mapping[str, Any], constraints: Constraints, *, caller: str
) -> dict[str, Any]:
    """Check every parameter of ``constraints`` against its allowed kinds; return them
    normalised (``int``/``float`` from numpy scalars, plain ``str`` from ``numpy.str_``,
    ``bool`` from ``numpy.bool_``, a tuple of floats for a :class:`Pair`).

    ``constraints`` maps a parameter name to the list of what it may be (any one will do):
    an :class:`Interval` (or :class:`Cap`), :class:`StrOptions`, :class:`Pair` or
    :class:`HasMethods`, ``None``, ``callable``, a type (``isinstance``), or one of the names
    ``"array-like"``, ``"boolean"``, ``"random_state"`` (None, an int >= 0 or a numpy
    RandomState/Generator) and ``"verbose"`` (an int or bool). ``params`` may hold more
    names than ``constraints`` (an estimator's ``get_params()``, a function's
    ``locals()``); only the constrained ones are checked. Estimators call it at the start
    of ``fit``, functions at their start.

    Raises
    ------
    InvalidParameterError
        Naming the caller, the parameter, what it must be and the value, e.g.
        ``"KMeans: n_clusters must be >= 1, got 0"``. With one allowed kind the message
        says the first thing wrong (``"an int"``, ``"finite"``, then the bounds); with
        several it lists them all.

    Examples
    --------
    >>> import numpy as np
    >>> from numbers import Real
    >>> from segwise._validation import Interval, StrOptions, validate_params
    >>> table = {"alpha": [Interval(Real, 0, 1, closed="neither")],
    ...          "method": [StrOptions(["bh", "holm"])]}
    >>> validate_params({"alpha": np.float32(0.25), "method": np.str_("holm")}, table,
    ...                 caller="adjust_pvalues")
    {'alpha': 0.25, 'method': 'holm'}
    """
    return {
        name: _check_value(params[name], name, allowed, caller)
        for name, allowed in constraints.items()
    }


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validate one integer parameter in ``[low, high]`` (as an :class:`Interval`), for
    checks that depend on the data, such as ``k <= n_samples - 1``."""
    return int(_check_value(value, name, [Interval(Integral, low, high, closed="both")], None))


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Validate one finite real parameter in an interval (as an :class:`Interval`)."""
    closed = {
        (True, True): "both",
        (True, False): "left",
        (False, True): "right",
        (False, False): "neither",
    }[(low_inclusive, high_inclusive)]
    return float(_check_value(value, name, [Interval(Real, low, high, closed=closed)], None))


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """Validate one parameter that takes one of a few strings (as :class:`StrOptions`:
    ``str`` subclasses such as ``numpy.str_`` are accepted); returns the plain ``str``."""
    return str(_check_value(value, name, [StrOptions(choices)], None))


def check_random_state(seed: Any) -> int:
    """Turn ``random_state`` (None, int or numpy Generator/RandomState) into a u64 seed."""
    _check_value(seed, "random_state", ["random_state"], None)
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    if isinstance(seed, np.random.RandomState):
        return int(seed.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1, dtype=np.int64))
    return int(seed) % (1 << 64)


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class EncodedLabels:
    """A label vector as integer codes (see :func:`encode_labels`).

    Attributes
    ----------
    codes : numpy.ndarray of int64
        ``uniques[codes[i]]`` is the label of sample ``i``; -1 marks noise or a missing
        label where the caller allowed them.
    distinct : pandas.Index
        The distinct labels in code order: of the labels' own dtype for a typed vector
        (numbers, dates, strings, nullable types; a categorical's categories), of object
        dtype holding Python scalars for mixed labels. An index of customer ids is built
        from it without a round trip through Python objects.
    index : pandas.Index or None
        The labels' index when they came as a Series and the caller asked for it.
    uniques : list
        ``distinct`` as Python scalars (``1``, not ``np.int64(1)``; Timestamps stay), made
        on first use.
    """

    codes: np.ndarray
    distinct: pd.Index
    index: pd.Index | None = None

    @cached_property
    def uniques(self) -> list[Any]:
        return _python_values(self.distinct)

    def take(self, positions: Any) -> EncodedLabels:
        """The labels of ``positions`` only, coded ``0..k-1`` again in the same order."""
        codes, used = _dense(self.codes[positions])
        return EncodedLabels(codes, self.distinct[used], None)


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integers -> (int64 codes of the non-negative ones in sorted order, -1 for the
    negative ones; the distinct non-negative values)."""
    keep = values >= 0
    used, inverse = np.unique(values[keep], return_inverse=True)
    codes = np.full(values.shape[0], -1, dtype=np.int64)
    codes[keep] = inverse
    return codes, used


def _remap(found: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Codes ``found`` (-1 for missing) renumbered by ``rank``, as int64."""
    rank = np.asarray(rank, dtype=np.int64)
    if found.size == 0 or found.min() >= 0:  # nothing missing: one gather
        return rank[found]
    codes = np.full(found.shape[0], -1, dtype=np.int64)
    present = found >= 0
    codes[present] = rank[found[present]]
    return codes


def _sort_order(values: Any) -> np.ndarray:
    """Positions of the distinct labels ``values`` (an array) in sorted order (stable); mixed
    types that do not compare sort by (type name, str)."""
    try:
        return np.asarray(values.argsort(kind="stable"), dtype=np.intp)
    except TypeError:
        items = _python_values(values)
        order = sorted(range(len(items)), key=lambda i: (type(items[i]).__name__, str(items[i])))
        return np.asarray(order, dtype=np.intp)


def _python_values(values: Any) -> list[Any]:
    """Distinct labels as Python scalars (``1``, not ``np.int64(1)``; Timestamps stay)."""
    index = pd.Index(values, tupleize_cols=False)
    out = index.tolist()
    if index.dtype == object:  # numpy scalars inside objects
        out = [v.item() if isinstance(v, np.generic) else v for v in out]
    return out


def _read_labels(labels: Any, name: str, keep_index: bool) -> tuple[Any, pd.Index | None]:
    """A 1-D label vector: a numpy array, a pandas Categorical or another pandas extension
    array (nullable ints, strings), and the Series' index when ``keep_index``."""
    index = None
    positional = is_polars(labels)  # polars has no index: its rows align by position
    labels = as_pandas(labels)
    if isinstance(labels, pd.DataFrame):
        raise ShapeMismatchError(f"{name} must be 1-D labels, got a DataFrame")
    if isinstance(labels, pd.Series | pd.Index):
        if keep_index and isinstance(labels, pd.Series) and not positional:
            if not labels.index.is_unique:
                raise InvalidParameterError(
                    f"{name} has a duplicated index ({int(labels.index.duplicated().sum())} "
                    "repeated customer id(s)); customer ids must be unique"
                )
            index = labels.index
        if isinstance(labels.dtype, pd.api.extensions.ExtensionDtype):
            return labels.array, index
        return labels.to_numpy(), index
    if isinstance(labels, pd.Categorical):
        return labels, None
    arr = labels if isinstance(labels, np.ndarray) else _list_to_array(labels, name)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name} must be 1D, got shape {arr.shape}")
    return arr, None


def _list_to_array(labels: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(labels)
    except ValueError as exc:  # ragged nested lists
        raise ShapeMismatchError(f"{name} must be 1D: {exc}") from exc
    if isinstance(labels, list | tuple) and arr.ndim == 1 and arr.dtype.kind in "USbiuf":
        # numpy reads [1, "1"] as two "1" strings and [True, 2] as [1, 2]: keep the objects
        if pd.api.types.infer_dtype(labels, skipna=True) in ("mixed", "mixed-integer"):
            arr = np.asarray(labels, dtype=object)
    return arr


def _factorize(values: Any) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` (-1 for NaN/None), except that a bool is never the number 1 or 0
    (Python hashes ``True`` like ``1``)."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.size:
        if pd.api.types.infer_dtype(values, skipna=True) in ("mixed", "mixed-integer"):
            is_bool = np.fromiter(
                (isinstance(v, bool | np.bool_) for v in values), dtype=bool, count=values.size
            )
            if is_bool.any() and not is_bool.all():
                b_codes, b_uniques = pd.factorize(values[is_bool])
                o_codes, o_uniques = pd.factorize(values[~is_bool])
                codes = np.empty(values.size, dtype=np.int64)
                codes[is_bool] = b_codes
                codes[~is_bool] = np.where(o_codes < 0, -1, o_codes + len(b_uniques))
                uniques = np.empty(len(b_uniques) + len(o_uniques), dtype=object)
                uniques[: len(b_uniques)] = list(b_uniques)
                uniques[len(b_uniques) :] = list(o_uniques)
                return codes, uniques
    return pd.factorize(values)


def _examples(ids: pd.Index, limit: int = 3) -> str:
    shown = ", ".join(repr(v) for v in ids[:limit].tolist())
    return f"{shown}, ..." if len(ids) > limit else shown


def align_to_rows(values: Any, rows: pd.Index | None, *, name: str, against: str = "X") -> Any:
    """The one rule for per-row inputs (labels, weights) given beside a DataFrame.

    A pandas Series passed with a DataFrame is matched to the frame's rows **by index**
    (customer id), in whatever order it comes: its index must be unique and hold exactly
    the frame's ids, else :class:`ShapeMismatchError` says how many ids are missing from
    either side, with examples. Everything else (arrays, lists, a Series beside a numpy
    array) is taken **by position**. ``rows`` is the frame's index (``Checked.index``),
    None for an array.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise._validation import align_to_rows
    >>> labels = pd.Series(["b", "a"], index=["id2", "id1"])
    >>> align_to_rows(labels, pd.Index(["id1", "id2"]), name="labels").tolist()
    ['a', 'b']
    """
    if rows is None or not isinstance(values, pd.Series) or values.index.equals(rows):
        return values
    how = (
        f"{name} is a pandas Series, so it is matched to the rows of {against} by index "
        "(customer id)"
    )
    fix = f"give {name} the index of {against}, or pass {name}.to_numpy() to match rows by position"
    if not values.index.is_unique:
        dup = values.index[values.index.duplicated()].unique()
        raise ShapeMismatchError(
            f"{how}, but its index repeats {len(dup)} id(s) ({_examples(dup)}); {fix}"
        )
    if not rows.is_unique:
        dup = rows[rows.duplicated()].unique()
        raise ShapeMismatchError(
            f"{how}, but the index of {against} repeats {len(dup)} id(s) ({_examples(dup)}); {fix}"
        )
    # One hash lookup of the Series' ids among the rows (Index.isin is many times slower
    # on pandas' string dtype): -1 marks an id without a row, rows never hit have no entry.
    position = rows.get_indexer(values.index)
    found = position >= 0
    hit = np.zeros(len(rows), dtype=bool)
    hit[position[found]] = True
    no_value, no_row = rows[~hit], values.index[~found]
    if len(no_value) or len(no_row):
        parts = []
        if len(no_value):
            parts.append(
                f"{len(no_value)} row(s) of {against} have no entry ({_examples(no_value)})"
            )
        if len(no_row):
            parts.append(f"{len(no_row)} entry(ies) match no row ({_examples(no_row)})")
        raise ShapeMismatchError(f"{how}, but {' and '.join(parts)}; {fix}")
    order = np.empty(len(rows), dtype=np.intp)
    order[position] = np.arange(len(position))
    return values.iloc[order].set_axis(rows)


def encode_labels(
    labels: Any,
    *,
    name: str = "labels",
    n_samples: int | None = None,
    against: str = "X",
    allow_missing: bool = False,
    noise: bool = False,
    keep_index: bool = False,
    rows: pd.Index | None = None,
) -> EncodedLabels:
    """The one label encoder: a 1-D label vector -> :class:`EncodedLabels`.

    One rule for every feature that takes segment labels:

    * **Any hashable labels**: ints, floats, strings, bools, dates, mixed. Labels of
      different types stay distinct: ``1``, ``"1"`` and ``True`` are three labels (a list
      such as ``[1, "1"]`` is not read as two strings); numbers of different widths are
      the same label (``1 == 1.0 == np.int64(1)``).
    * **Sorted order**: codes follow the sorted labels; mixed types that do not compare
      sort by (type name, ``str``), so ints come before strings.
    * **Categoricals** keep their category order; unused categories are not labels.
    * **Missing labels** (NaN, None, ``pd.NA``, NaT) raise :class:`NonFiniteError` naming
      ``name`` and the count, unless ``allow_missing`` (then they are coded -1).

    Parameters
    ----------
    labels : array-like, pandas.Series or pandas.Categorical of shape (n_samples,)
    name : str
        The argument's name, for error messages.
    n_samples, against : int and str, optional
        Expected length, and what has that many rows (``"X"``), for the error message.
    allow_missing : bool, default=False
        Code missing labels -1 instead of raising.
    noise : bool, default=False
        Integer labels where negative values mean noise (DBSCAN's -1): those are coded -1
        and are not labels; other dtypes raise :class:`InvalidParameterError`.
    keep_index : bool, default=False
        Return a Series' index (customer ids), which must then be unique.
    rows : pandas.Index, optional
        The row index of the DataFrame the labels describe: a Series is matched to it by
        index (:func:`align_to_rows`, the rule for every function taking labels and a
        frame).

    Examples
    --------
    >>> from segwise._validation import encode_labels
    >>> enc = encode_labels([2, 2, "b", "1", 1])
    >>> enc.codes.tolist(), enc.uniques
    ([1, 1, 3, 2, 0], [1, 2, '1', 'b'])
    """
    values, index = _read_labels(
        align_to_rows(labels, rows, name=name, against=against), name, keep_index
    )
    if n_samples is not None:
        _check_length(len(values), n_samples, name, against)
    if noise:
        if not (isinstance(values, np.ndarray) and values.dtype.kind in "iu"):
            raise InvalidParameterError(
                f"{name} must be integers (negative for noise), got dtype {values.dtype}"
            )
        codes, used = _dense(values)
        return EncodedLabels(codes, pd.Index(used), index)
    if isinstance(values, pd.Categorical):
        # category order; unused categories dropped (when every category is used, the
        # codes are the categorical's own, widened)
        found = np.asarray(values.codes)
        present = found if found.size == 0 or found.min() >= 0 else found[found >= 0]
        used = np.bincount(present, minlength=len(values.categories)) > 0
        codes = found.astype(np.int64) if used.all() else _remap(found, np.cumsum(used) - 1)
        distinct_labels = values.categories[used]
    elif not (isinstance(values, np.ndarray) and values.dtype == object):
        # One typed array (numbers, dates, strings, nullable extension types): pandas sorts
        # the distinct values while factorizing, in the order a stable argsort gives.
        found, distinct = pd.factorize(values, sort=True)
        codes = np.asarray(found, dtype=np.int64)
        distinct_labels = pd.Index(distinct, tupleize_cols=False)
    else:
        try:
            found, distinct = _factorize(values)
        except TypeError as exc:  # unhashable labels, e.g. lists
            raise InvalidParameterError(f"{name} must hold hashable labels: {exc}") from exc
        order = _sort_order(distinct)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = _remap(np.asarray(found), rank)
        # the Python scalars ``uniques`` lists (numpy scalars in object arrays unwrapped)
        distinct_labels = pd.Index(
            _python_values(distinct.take(order)), dtype=object, tupleize_cols=False
        )
    n_missing = int((codes < 0).sum()) if codes.size and codes.min() < 0 else 0
    if n_missing and not allow_missing:
        raise NonFiniteError(
            f"{name} has {n_missing} missing label(s) (NaN or None); drop those rows or "
            "give them a label first"
        )
    return EncodedLabels(np.ascontiguousarray(codes, dtype=np.int64), distinct_labels, index)


def check_labels(
    labels: Any,
    n_samples: int | None = None,
    *,
    name: str = "labels",
    against: str = "X",
    dense: bool = True,
    rows: pd.Index | None = None,
) -> np.ndarray:
    """Only the int64 codes of :func:`encode_labels` (``rows``: :func:`align_to_rows`).

    ``dense=False`` is a fast path for integer arrays (``KMeans.labels_``, DBSCAN's -1)
    read by a Rust kernel that re-encodes labels densely itself: they are only shifted to
    start at 0, which keeps their order and skips sorting millions of rows.
    """
    labels = align_to_rows(labels, rows, name=name, against=against)
    if not dense:
        arr = labels.to_numpy() if isinstance(labels, pd.Series) else labels
        if not isinstance(arr, np.ndarray) and hasattr(arr, "__array__"):  # polars, pyarrow
            arr = np.asarray(arr)
        if isinstance(arr, np.ndarray) and arr.ndim == 1 and arr.dtype.kind in "iu" and arr.size:
            lo, hi = int(arr.min()), int(arr.max())
            if n_samples is not None:
                _check_length(arr.shape[0], n_samples, name, against)
            if hi - lo < 2**62 and hi < 2**63:
                return np.ascontiguousarray(arr.astype(np.int64, copy=False) - np.int64(lo))
    return encode_labels(labels, name=name, n_samples=n_samples, against=against).codes


def check_label_ids(
    labels: Any,
    n_ids: int,
    *,
    name: str = "labels",
    n_samples: int | None = None,
    against: str = "X",
    what: str = "ids",
    context: str = "",
    rows: pd.Index | None = None,
) -> np.ndarray:
    """Labels that must already be ids ``0..n_ids-1`` (rows of a centre matrix, e.g.
    ``KMeans.labels_``) -> int64, unchanged; anything else raises
    :class:`InvalidParameterError` saying "{name} must be integer {what} 0..n_ids-1{context}".
    ``rows``: a Series is matched to a frame by index (:func:`align_to_rows`).
    """
    labels = align_to_rows(labels, rows, name=name, against=against)
    values, _ = _read_labels(labels, name, keep_index=False)
    if n_samples is not None:
        _check_length(len(values), n_samples, name, against)
    values = np.asarray(values)
    must = f"{name} must be integer {what} 0..{n_ids - 1}{context}"
    if values.dtype.kind not in "iu":
        raise InvalidParameterError(f"{must}, got dtype {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= n_ids):
        raise InvalidParameterError(f"{must}, got values in [{values.min()}, {values.max()}]")
    return np.ascontiguousarray(values, dtype=np.int64)


# --------------------------------------------------------------------------- overflow


#: Values whose magnitude lies in ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]`` (about 6e-61 to
#: 1.6e60) can be squared, multiplied and summed over billions of rows in float64 with
#: neither overflow nor underflow; outside it, statistics that do not depend on the scale
#: are computed on the values divided by a power of two (:func:`power_of_two_scale`).
SAFE_EXPONENT = 200


def max_abs(values: np.ndarray, axis: int | None = None) -> Any:
    """Largest ``|value|`` (NaN ignored; 0 for no values), overall or along ``axis``,
    without a temporary copy of ``values`` (two reductions instead of ``abs``)."""
    if values.size == 0:
        return 0.0 if axis is None else np.zeros(values.shape[1 - axis])
    largest = np.fmax(np.fmax.reduce(values, axis=axis), -np.fmin.reduce(values, axis=axis))
    largest = np.nan_to_num(np.asarray(largest, dtype=np.float64), nan=0.0)
    return float(largest) if largest.ndim == 0 else largest


def power_of_two_scale(largest: Any, *, small: bool = True) -> Any:
    """The power of two to divide values by, given their largest magnitude (a number or
    an array, e.g. per column): ``2**e`` that brings ``largest`` into ``[0.5, 1)`` when it
    is above ``2**SAFE_EXPONENT`` (or, with ``small``, below ``2**-SAFE_EXPONENT``), else 1.

    Dividing by a power of two is exact, so a statistic that does not depend on the scale
    (a t statistic, a p-value, a silhouette, a standardized difference) computed on the
    divided values is the one the caller's values define, without the overflow of their
    squares above about 1e154 (or their underflow below 1e-154).

    Examples
    --------
    >>> from segwise._validation import power_of_two_scale
    >>> power_of_two_scale(3.0), power_of_two_scale(1e300) == 2.0**997
    (1.0, True)
    """
    arr = np.asarray(largest, dtype=np.float64)
    _, exponent = np.frexp(arr)
    scale = np.ldexp(1.0, exponent)
    limit = 2.0**SAFE_EXPONENT
    outside = np.isfinite(arr) & (arr > limit)
    if small:
        outside |= np.isfinite(arr) & (arr > 0) & (arr < 1.0 / limit)
    scale = np.where(outside, scale, 1.0)
    return float(scale) if scale.ndim == 0 else scale


def raise_overflow(values: np.ndarray, what: str, *, name: str = "X") -> None:
    """Raise :class:`NonFiniteError` for a result that overflowed because ``values`` are huge.

    Called only after a result came out non-finite from finite input (so the common path
    pays nothing): squared distances and variances overflow float64 above about 1e154.
    """
    largest = max_abs(values)
    raise NonFiniteError(
        f"{what} overflowed to infinity: the largest |value| in {name} is {largest:.3g}, and "
        "squares of values above about 1e154 do not fit in float64. Rescale the data first "
        "(for example with MaxAbsScaler, or divide the columns by a constant)."
    )


#: Largest |value| whose squared distances fit the dtype, before dividing by sqrt(d):
#: ``(2 max|x|)**2 * d`` must stay below the dtype's largest number (float64 keeps a
#: margin for the sums over rows).
_SQUARE_LIMIT = {np.dtype(np.float64): 1e153, np.dtype(np.float32): 0.5 * np.sqrt(3.4e38)}


def check_magnitude(values: np.ndarray, what: str, *, name: str = "X") -> None:
    """Reject values whose squared distances overflow their dtype (for methods that cannot
    detect it afterwards): a squared distance sums ``d`` terms of up to ``(2 max|x|)**2``.
    float32 overflows above about 9e18 (float64 above about 1e153)."""
    limit = _SQUARE_LIMIT.get(values.dtype, 1e153)
    limit /= np.sqrt(max(values.shape[-1], 1)) if values.ndim else 1.0
    largest = max_abs(values)
    if np.isfinite(largest) and largest > limit:  # infinity is the finite check's to word
        if values.dtype == np.float32:
            raise NonFiniteError(
                f"{what} would overflow float32: the largest |value| in {name} is "
                f"{largest:.3g}, and squared distances of float32 values above about "
                f"{limit:.2g} do not fit in float32. Pass float64 data "
                "(X.astype(np.float64)) or rescale it first."
            )
        raise_overflow(values, what, name=name)


# Documented cap on replicate counts (bootstrap resamples, gap reference sets, prediction
# strength splits): each replicate keeps a row of results (a float64 per segment or k), and
# far beyond this a call would run for days or ask numpy for terabytes before doing any work.
MAX_REPLICATES = 1_000_000
REPLICATES = Cap(
    1, MAX_REPLICATES, bytes_each=8, buffer="the replicates' results, a float64 per segment or k"
)
# Documented caps on restarts and iterations: neither sizes a buffer (the restarts of every
# fit keep the best result only, so their memory does not grow with n_init), but far beyond
# these a fit runs for days (Ctrl-C still stops it).
MAX_N_INIT = 10_000
N_INIT = Cap(
    1,
    MAX_N_INIT,
    work="would run {value} restarts, each a whole fit on the data; their memory does not "
    "grow with n_init, only the best restart's result is kept",
)
MAX_ITER = 10**7
ITERATIONS = Cap(
    1, MAX_ITER, work="would allow up to {value} iterations per run, each a pass over the data"
)


# --------------------------------------------------------------------------- dates


def check_date(value: Any, name: str) -> pd.Timestamp:
    """``value`` as a pandas Timestamp, or :class:`InvalidParameterError` naming ``name``
    and the value (unparsable, or missing)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise InvalidParameterError(
            f"{name} {value!r} is not a date pandas can parse ({err})"
        ) from None
    if pd.isna(ts):
        raise InvalidParameterError(f"{name} must be a date, got {value!r}")
    return ts


#: The dates a nanosecond timestamp holds (the resolution periods are computed in).
DATE_RANGE = (pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D"))


def _value_examples(values: Any, limit: int = 3) -> list[Any]:
    return pd.Series(values).head(limit).tolist()


def _number_dates(values: pd.Series, name: str, date_format: str | None) -> pd.Series:
    """Numbers as dates: YYYYMMDD integers (the most common CSV layout; floats such as
    20240101.0 too), or another layout given by ``date_format``; never nanoseconds."""
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    present = np.isfinite(numbers)
    fraction = present & (numbers != np.floor(numbers))
    if fraction.any():
        raise InvalidParameterError(
            f"column {name!r} holds numbers with a fractional part "
            f"({int(fraction.sum())} of {len(numbers)}, e.g. {_value_examples(values[fraction])}), "
            "not dates; pass dates, YYYYMMDD integers or text"
        )
    whole = np.where(present, numbers, 0).astype(np.int64)
    if date_format is None:
        layout = present & (whole >= 10_000_101) & (whole <= 99_991_231)
        if not layout[present].all():
            bad = present & ~layout
            raise InvalidParameterError(
                f"column {name!r} holds numbers, not YYYYMMDD dates ({int(bad.sum())} of "
                f"{len(numbers)}, e.g. {_value_examples(values[bad])}); pass date_format= for "
                "another layout of digits, or convert them first (e.g. "
                f"pd.to_datetime(df[{name!r}], unit='s') for Unix seconds)"
            )
    text = pd.Series(whole.astype(str), index=values.index, dtype=object).where(present, None)
    return pd.to_datetime(text, format=date_format or "%Y%m%d", errors="coerce")


def _check_one_time_zone(values: pd.Series, name: str) -> None:
    """Python datetimes of several time zones (or aware and naive mixed) in one column."""
    zones = {
        str(v.tzinfo) if v.tzinfo is not None else "no time zone"
        for v in values
        if isinstance(v, _dt.datetime)
    }
    if len(zones) > 1:
        _raise_mixed_zones(name, sorted(zones))


def _raise_mixed_zones(name: str, zones: list[Any] | None = None) -> None:
    found = f" ({', '.join(map(str, zones))})" if zones else ""
    raise InvalidParameterError(
        f"column {name!r} mixes time zones{found}; convert the dates to one time zone first, "
        f"e.g. pd.to_datetime(df[{name!r}], utc=True) (periods then follow UTC), or "
        f".dt.tz_convert(...) to the shop's local zone"
    )


def coerce_dates(values: pd.Series, name: str, date_format: str | None) -> pd.Series:
    """``values`` as naive datetimes, NaT where missing or unparsable: the one reading of a
    date column (datetimes, YYYYMMDD numbers, text). Raises for a column that cannot be
    dates at all (fractional numbers, mixed time zones)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = _number_dates(values, name, date_format)
    else:
        if values.dtype == object:
            _check_one_time_zone(values, name)
        try:
            with warnings.catch_warnings():
                # pandas warns that it parses element by element; unparsable values are
                # counted and shown below instead
                warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
                parsed = pd.to_datetime(values, format=date_format, errors="coerce")
        except (ValueError, TypeError) as err:
            if "timezone" in str(err).lower() or "time zone" in str(err).lower():
                _raise_mixed_zones(name)
            raise InvalidParameterError(
                f"column {name!r} could not be read as dates; pass date_format= or clean them first"
            ) from None
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def outside_date_range(parsed: pd.Series) -> np.ndarray:
    """Dates a nanosecond timestamp cannot hold (False for missing dates), as a boolean
    array."""
    values = parsed.to_numpy()
    if len(values) and values.dtype.kind == "M":
        # one pass for the extremes: the row-by-row comparison only when one is outside
        # (NaT propagates through min and max, so missing dates also take the long way)
        lo, hi = values.min(), values.max()
        if not (np.isnat(lo) or np.isnat(hi)):
            if DATE_RANGE[0] <= pd.Timestamp(lo) and pd.Timestamp(hi) <= DATE_RANGE[1]:
                return np.zeros(len(values), dtype=bool)
    return ((parsed < DATE_RANGE[0]) | (parsed > DATE_RANGE[1])).to_numpy()


def check_dates(values: pd.Series, name: str, date_format: str | None) -> pd.Series:
    """A date column as naive ``datetime64[ns]`` (:func:`coerce_dates`), or
    :class:`InvalidParameterError` naming the column for missing, unparsable or
    out-of-range dates: the one reading of dates in transaction logs."""
    parsed = coerce_dates(values, name, date_format)
    bad = parsed.isna()
    if bad.any():
        examples = values[bad].head(3).tolist()
        raise InvalidParameterError(
            f"column {name!r} has {int(bad.sum())} missing or unparsable date(s) of "
            f"{len(values)}, e.g. {examples}; pass date_format= or clean them first"
        )
    outside = outside_date_range(parsed)
    if outside.any():
        raise InvalidParameterError(
            f"column {name!r} has {int(outside.sum())} date(s) outside "
            f"{DATE_RANGE[0]:%Y-%m-%d} to {DATE_RANGE[1]:%Y-%m-%d} (the range of "
            f"nanosecond timestamps), e.g. {_value_examples(values[outside])}; fix or drop them"
        )
    return parsed.astype("datetime64[ns]")
