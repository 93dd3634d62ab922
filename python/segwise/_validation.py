"""The one input funnel: every public function turns its data into arrays here.

DataFrame or array-like -> one C-contiguous float64 (or float32) array, made once, with an
error that names the offending columns and how many rows when something is wrong. The
caller's object is never written to: the Rust core only reads the array, and when no copy
was needed (a C-contiguous float array) nothing writes into it either.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import (
    EmptyInputError,
    FeatureNamesError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
    _not_fitted_error,
)

FLOAT_DTYPES = (np.float64, np.float32)


@dataclass(frozen=True)
class Checked:
    """A validated 2-D input: the array, its column names (DataFrame only) and row index."""

    values: np.ndarray
    columns: list[str] | None
    index: pd.Index | None


def _describe_nonfinite(values: np.ndarray, columns: Sequence[str]) -> str:
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


def _frame_to_array(df: pd.DataFrame, name: str, dtype: Any) -> np.ndarray:
    non_numeric = [
        str(c)
        for c, t in df.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]
    if non_numeric:
        raise NonNumericError(
            f"{name} has {len(non_numeric)} non-numeric column(s): {non_numeric}; "
            "encode or drop them first (e.g. pd.get_dummies)"
        )
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
    everything else (ints, bools, other floats). Errors name the columns and row counts.
    ``check_finite=False`` skips the NaN/infinity scan, for a caller whose Rust kernel
    rejects non-finite input itself and then calls ``check_array`` again for the message.
    """
    columns: list[str] | None = None
    index: pd.Index | None = None
    target = dtypes[0]
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse, without importing scipy
        raise NonNumericError(
            f"Sparse data was passed for {name}, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    if isinstance(X, pd.DataFrame):
        index = X.index
        columns = [str(c) for c in X.columns]
        keep_f32 = np.float32 in dtypes and len(X.columns) > 0
        keep_f32 = keep_f32 and all(t == np.float32 for t in X.dtypes)
        values = _frame_to_array(X, name, np.float32 if keep_f32 else target)
    else:
        if hasattr(X, "__dataframe__") or hasattr(X, "to_pandas"):
            # polars & friends: go through pandas for names and dtypes
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
                        f"{name} has non-numeric values (dtype object): {exc}"
                    ) from exc
            else:
                raise NonNumericError(
                    f"{name} must be numeric, got dtype {arr.dtype}; encode or drop "
                    "non-numeric columns first"
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
        cols: Sequence[str] = [f"x{j}" for j in range(d)]
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
    return Checked(values, columns, index)


def check_sample_weight(
    sample_weight: Any, n_samples: int, *, name: str = "sample_weight"
) -> np.ndarray | None:
    """Return sample weights as a float64 vector of length ``n_samples`` (or None).

    Negative, NaN, infinite or all-zero weights raise :class:`InvalidWeightsError`.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        w = np.full(n_samples, float(sample_weight))  # type: ignore[arg-type]
    else:
        try:
            w = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidWeightsError(f"{name} must be numeric: {exc}") from exc
        if w.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1D, got shape {w.shape}")
        if w.shape[0] != n_samples:
            raise ShapeMismatchError(f"{name} has {w.shape[0]} entries but X has {n_samples} rows")
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


def check_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by fit)."""
    if not hasattr(estimator, attribute):
        raise _not_fitted_error(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def check_features(estimator: Any, checked: Checked, *, reset: bool) -> None:
    """Record (``reset=True``) or verify the number and names of features, as scikit-learn.

    At predict/transform time a DataFrame with other columns, or the same columns in another
    order, raises :class:`FeatureNamesError` naming the difference.
    """
    n_features = checked.values.shape[1]
    if reset:
        estimator.n_features_in_ = n_features
        if checked.columns is not None:
            estimator.feature_names_in_ = np.asarray(checked.columns, dtype=object)
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


def check_random_state(seed: Any) -> int:
    """Turn ``random_state`` (None, int or numpy Generator/RandomState) into a u64 seed."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if int(seed) < 0:
            raise InvalidParameterError(f"random_state must be >= 0, got {seed}")
        return int(seed) % (1 << 64)
    if isinstance(seed, np.random.RandomState):
        return int(seed.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1, dtype=np.int64))
    raise InvalidParameterError(
        f"random_state must be None, an int or a numpy RandomState/Generator, got {seed!r}"
    )


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer parameter in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise InvalidParameterError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise InvalidParameterError(f"{name} must be <= {high}, got {value}")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Validate a real parameter in an interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise InvalidParameterError(
            f"{name} must be {'>=' if low_inclusive else '>'} {low}, got {value}"
        )
    if high is not None and (value > high or (value == high and not high_inclusive)):
        raise InvalidParameterError(
            f"{name} must be {'<=' if high_inclusive else '<'} {high}, got {value}"
        )
    return value


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Validate a parameter that takes one of a few named values."""
    if not any(value == c and type(value) is type(c) for c in choices):
        raise InvalidParameterError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_labels(labels: Any, n_samples: int | None = None, *, name: str = "labels") -> np.ndarray:
    """1-D label vector of any hashable type -> int64 codes (in sorted label order)."""
    arr = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name} must be 1D, got shape {arr.shape}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ShapeMismatchError(f"{name} has {arr.shape[0]} entries but X has {n_samples} rows")
    if arr.dtype.kind in "iub":
        _, codes = np.unique(arr, return_inverse=True)
    else:
        codes = pd.factorize(
            pd.Series(arr).astype(str) if arr.dtype.kind == "O" else arr, sort=True
        )[0]
        if (codes < 0).any():
            raise NonFiniteError(f"{name} has {int((codes < 0).sum())} missing value(s)")
    return np.ascontiguousarray(codes, dtype=np.int64)


def raise_overflow(values: np.ndarray, what: str, *, name: str = "X") -> None:
    """Raise :class:`NonFiniteError` for a result that overflowed because ``values`` are huge.

    Called only after a result came out non-finite from finite input (so the common path
    pays nothing): squared distances and variances overflow float64 above about 1e154.
    """
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    raise NonFiniteError(
        f"{what} overflowed to infinity: the largest |value| in {name} is {largest:.3g}, and "
        "squares of values above about 1e154 do not fit in float64. Rescale the data first "
        "(for example with MaxAbsScaler, or divide the columns by a constant)."
    )


def check_magnitude(values: np.ndarray, what: str, *, name: str = "X") -> None:
    """Reject values whose squared distances overflow float64 (for methods that cannot
    detect it afterwards): a squared distance sums ``d`` terms of up to ``(2 max|x|)**2``."""
    limit = 1e153 / np.sqrt(max(values.shape[-1], 1)) if values.ndim else 1e153
    if values.size and float(np.max(np.abs(values))) > limit:
        raise_overflow(values, what, name=name)
