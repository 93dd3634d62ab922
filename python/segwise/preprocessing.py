"""Feature scaling for segmentation: scikit-learn-compatible scalers with a Rust core.

:class:`StandardScaler`, :class:`MinMaxScaler`, :class:`RobustScaler` and
:class:`MaxAbsScaler` reproduce scikit-learn 1.9's scalers of the same names: same
parameters, fitted attributes (names, shapes, dtypes) and results within 1e-12 relative
(usually ~1e-15). :class:`Log1pTransformer` compresses skewed money columns with
``log1p``.

Where segwise differs from scikit-learn, on purpose:

* ``StandardScaler`` sums with compensated (Kahan) arithmetic, so its ``mean_``/``var_``
  are at least as accurate as scikit-learn's; on columns whose mean dwarfs their spread
  (``|mean| / std > 1e6``) the two can then differ beyond 1e-12, segwise being closer to
  the exact value.
* In ``partial_fit``, a batch in which a column is entirely NaN leaves that column's
  statistics unchanged (scikit-learn turns ``var_``, ``data_min_``... into NaN).

Common behaviour:

* NaN is ignored when fitting and kept (as NaN) by ``transform``; infinity is rejected
  with :class:`~segwise.exceptions.NonFiniteError` naming the columns.
* DataFrame in, DataFrame out (same index and columns); polars in, polars out; numpy in,
  numpy out; ``set_output(transform="pandas")`` (or ``"polars"``) gives DataFrames for
  numpy input too.
* scipy sparse input (basket and one-hot data) to ``MaxAbsScaler`` and
  ``StandardScaler(with_mean=False)``: the column statistics and the scaling run on the
  stored values in the Rust core; a CSR matrix comes back (CSC/COO are converted once).
* float32 input gives float32 output; statistics are accumulated in float64. float16
  input gives float16 output as in scikit-learn (computed in float32, rounded once at the
  end, so a value can differ from scikit-learn's, which rounds after each step, by one
  float16 unit in the last place).
* The caller's data is never modified: ``copy=False`` is accepted for compatibility but
  segwise always returns a new array (the Rust kernel reads the input and writes the
  result in one parallel pass).
* The statistics are reduced in fixed row blocks merged in a fixed order, so results
  do not depend on the number of threads (``RAYON_NUM_THREADS``).

Examples
--------
>>> import numpy as np
>>> from segwise.preprocessing import StandardScaler
>>> StandardScaler().fit_transform(np.array([[0.0, 1.0], [2.0, 3.0]]))
array([[-1., -1.],
       [ 1.,  1.]])
"""

from __future__ import annotations

import numbers
from numbers import Integral, Real
from statistics import NormalDist
from typing import Any

import numpy as np

from . import _core
from ._base import BaseEstimator, TransformerMixin, output_columns
from ._results import to_container
from ._validation import (
    Checked,
    CheckedSparse,
    Constraints,
    Fitted,
    Interval,
    Pair,
    check_array,
    check_fitted,
    check_sample_weight,
    check_sparse,
    is_sparse,
    raise_overflow,
)
from .exceptions import (
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
)

__all__ = [
    "StandardScaler",
    "MinMaxScaler",
    "RobustScaler",
    "MaxAbsScaler",
    "Log1pTransformer",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


# Two finite numbers (feature_range, quantile_range).
_PAIR = Pair(Interval(Real, None, None, closed="neither"))


def _handle_zeros_in_scale(scale: np.ndarray, constant_mask: np.ndarray | None = None) -> Any:
    """scikit-learn's rule: scales below 10 * eps (or flagged constant) become 1."""
    scale = np.array(scale, copy=True)
    if constant_mask is None:
        constant_mask = scale < 10 * np.finfo(scale.dtype).eps
    scale[constant_mask] = 1.0
    return scale


#: float16 is computed in float32 and handed back as float16, as scikit-learn keeps it.
_SCALER_DTYPES = (np.float64, np.float32, np.float16)


def _is_label(c: Any, columns: list[Any]) -> bool:
    """``c`` is one of ``columns`` (a bool is never the label 0 or 1)."""
    try:
        return not isinstance(c, bool | np.bool_) and c in columns
    except (TypeError, ValueError):  # unhashable or array-like entries
        return False


def _state_dtype(checked: Checked | CheckedSparse) -> np.dtype:
    """The dtype of the fitted statistics: the kernels' (float32 for float16 input, so the
    fitted state stays float64/float32; only the transform output goes back to float16)."""
    return checked.data.dtype if isinstance(checked, CheckedSparse) else checked.values.dtype


def _reject_sparse(X: Any, who: str) -> None:
    if is_sparse(X):
        raise NonNumericError(
            f"sparse input is not supported by {who} (it would densify it); use MaxAbsScaler "
            "or StandardScaler(with_mean=False), or convert it with X.toarray() first"
        )


class _OneToOneScaler(TransformerMixin, BaseEstimator):
    """Shared plumbing: validation, feature checks, pandas output, feature names."""

    _allow_nan = True
    _preserves_dtype = ("float64", "float32", "float16")
    _fitted_attr = "n_features_in_"
    n_features_in_: int

    def _check_input(self, X: Any) -> Any:
        who = type(self).__name__
        if is_sparse(X):
            if not self._sparse_ok():
                _reject_sparse(X, who)
            return check_sparse(X, allow_nan=True, dtypes=_SCALER_DTYPES, estimator=who)
        return check_array(X, allow_nan=True, dtypes=_SCALER_DTYPES, estimator=who)

    def _validate(self, X: Any, *, reset: bool) -> Any:
        checked = self._check_input(X)
        self._check_features(checked, reset=reset)
        return checked

    def _scale_sparse(self, checked: CheckedSparse, factor: np.ndarray, clip: bool = False) -> Any:
        """The stored values times ``factor[column]``, as a new CSR matrix (zeros stay)."""
        data = _core.sparse_scale_columns(
            *checked.arrays, shape=checked.shape, factor=np.asarray(factor, dtype=np.float64)
        )
        if clip:
            np.clip(data, -1.0, 1.0, out=data)
        if self._output_kind(checked) != "sparse":
            raise InvalidParameterError(
                f"{type(self).__name__} outputs a scipy sparse matrix for sparse input; a "
                "pandas or polars output would densify it: use set_output(transform='default')"
            )
        return checked.rebuild(data)

    def _validate_inverse(self, X: Any) -> Any:
        check_fitted(self, self._fitted_attr)
        checked = self._check_input(X)
        if checked.shape[1] != self.n_features_in_:
            raise ShapeMismatchError(
                f"X has {checked.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return checked

    def _wrap_inverse(self, values: np.ndarray, checked: Checked) -> Any:
        # Only a DataFrame comes back as a DataFrame (of its kind, named as the fitted input).
        if isinstance(checked, CheckedSparse):
            return values  # already rebuilt as the input's sparse class
        if checked.out_dtype is not None:  # float16, computed in float32
            values = values.astype(checked.out_dtype)
        if checked.kind == "numpy":
            return values
        names = output_columns(self._feature_names(), checked)
        return to_container(values, checked.kind, columns=names, index=checked.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output feature names: the input names, one output column per input column.

        Parameters
        ----------
        input_features : array-like of str, optional
            Must equal ``feature_names_in_`` when that is set; defaults to it, or to
            ``x0, x1, ...`` for numpy input.

        Returns
        -------
        ndarray of str (object dtype)

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> MaxAbsScaler().fit(pd.DataFrame({"spend": [1.0, -2.0]})).get_feature_names_out()
        array(['spend'], dtype=object)
        """
        check_fitted(self, self._fitted_attr)
        return self._feature_names(input_features)

    def _affine(
        self,
        checked: Checked,
        a: Any,
        b: Any,
        op: str,
        clip: tuple[float, float] | None = None,
    ) -> np.ndarray:
        dtype = checked.values.dtype
        a = np.ascontiguousarray(a, dtype=dtype)
        b = np.ascontiguousarray(b, dtype=dtype)
        # numpy allocates the output (huge pages for big arrays); Rust fills it in parallel.
        out = np.empty(checked.values.shape, dtype=dtype)
        _core.affine_transform(checked.values, a=a, b=b, op=op, out=out, clip=clip)
        return out


class StandardScaler(_OneToOneScaler):
    """Standardize features by removing the mean and scaling to unit variance.

    ``z = (x - mean_) / scale_`` per column, with population variance (ddof 0). Results
    match :class:`sklearn.preprocessing.StandardScaler` (scikit-learn 1.9) to ~1e-15,
    including ``sample_weight``, ``partial_fit`` sequences, NaN handling and the
    near-constant-column rule (such columns get ``scale_ = 1``).

    Parameters
    ----------
    copy : bool, default=True
        Accepted for scikit-learn compatibility. segwise never modifies its input and
        always returns a new array, whatever this is.
    with_mean : bool, default=True
        Center the data before scaling. Must be False for scipy sparse input (centring
        would fill in every zero); the sparse matrix is then scaled column by column in
        the Rust core without densifying it, and comes back as a CSR matrix.
    with_std : bool, default=True
        Scale the data to unit variance.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Per-feature mean (None when ``with_mean=False`` and ``with_std=False``).
    var_ : ndarray of shape (n_features,) or None
        Per-feature population variance (None when ``with_std=False``).
    scale_ : ndarray of shape (n_features,) or None
        Per-feature scale ``sqrt(var_)``, 1 for (near-)constant features.
    n_samples_seen_ : float or ndarray of shape (n_features,)
        Number (or total weight) of non-NaN samples per feature; a scalar when equal
        for all features.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Set when fitted on a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.preprocessing import StandardScaler
    >>> df = pd.DataFrame({"spend": [10.0, 20.0, 30.0], "visits": [1, 2, 6]},
    ...                   index=["a", "b", "c"])
    >>> StandardScaler().fit_transform(df).round(3)
       spend  visits
    a -1.225  -0.926
    b  0.000  -0.463
    c  1.225   1.389
    """

    _fitted_attr = "n_samples_seen_"
    n_samples_seen_: Any
    mean_: Any
    var_: Any
    scale_: Any

    _fitted_state = {
        "mean_": Fitted(("n_features_in_",), nan=True, optional=True),
        "var_": Fitted(("n_features_in_",), nan=True, optional=True),
        "scale_": Fitted(("n_features_in_",), nan=True, positive=True, optional=True),
    }
    _parameter_constraints: Constraints = {
        "copy": ["boolean"],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, copy: bool = True, with_mean: bool = True, with_std: bool = True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    def _reset(self) -> None:
        for attr in ("n_samples_seen_", "mean_", "var_", "scale_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _sparse_ok(self) -> bool:
        return not self.with_mean

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> StandardScaler:
        """Compute the per-feature mean and standard deviation.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            NaN is ignored; infinity raises :class:`~segwise.exceptions.NonFiniteError`.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self : StandardScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import StandardScaler
        >>> StandardScaler().fit(np.array([[1.0], [3.0]])).mean_
        array([2.])
        """
        self._reset()
        return self.partial_fit(X, y, sample_weight)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> StandardScaler:
        """Update the mean and variance with one more batch (Chan-Golub-LeVeque update).

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self : StandardScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import StandardScaler
        >>> s = StandardScaler().partial_fit(np.array([[1.0]])).partial_fit(np.array([[3.0]]))
        >>> s.mean_, s.var_, s.n_samples_seen_
        (array([2.]), array([1.]), np.float64(2.0))
        """
        params = self._validate_params()
        with_mean, with_std = params["with_mean"], params["with_std"]
        first_call = not hasattr(self, "n_samples_seen_")
        checked = self._validate(X, reset=first_call)
        sparse = isinstance(checked, CheckedSparse)
        # the values the statistics see: the dense array, or the stored values of a CSR
        values = checked.data if sparse else checked.values
        n, d = checked.shape
        weights = check_sample_weight(sample_weight, n, rows=checked.index)
        if weights is not None and values.dtype == np.float32:
            # scikit-learn rounds the weights to the data's dtype first; do the same.
            weights = weights.astype(checked.dtype).astype(np.float64)

        if not with_mean and not with_std:
            # scikit-learn only counts the non-NaN cells here (weights are not used).
            if sparse:
                nan_columns = checked.indices[np.isnan(values)]
                seen = n - np.bincount(nan_columns, minlength=d)
            else:
                seen = n - np.isnan(values).sum(axis=0)
            dtype = np.int64 if weights is None else values.dtype
            last = np.zeros(d, dtype=dtype) if first_call else self.n_samples_seen_
            count = np.broadcast_to(last, (d,)) + seen
            self.mean_ = None
            self.var_ = None
            self.scale_ = None
            self.n_samples_seen_ = count[0] if count.max() == count.min() else count
            return self

        running: dict[str, np.ndarray] = {}
        if not first_call:
            last_var = self.var_ if self.var_ is not None else np.zeros(d)
            last_count = np.broadcast_to(np.asarray(self.n_samples_seen_, dtype=np.float64), (d,))
            running = {
                "last_mean": np.ascontiguousarray(self.mean_, dtype=np.float64),
                "last_var": np.ascontiguousarray(last_var, dtype=np.float64),
                "last_count": np.ascontiguousarray(last_count),
            }
        if sparse:
            mean, var, count, _ = _core.sparse_scaler_moments(
                *checked.arrays, shape=checked.shape, sample_weight=weights, **running
            )
        else:
            mean, var, count, _ = _core.scaler_moments(values, sample_weight=weights, **running)
        if with_std and (np.isinf(var) | (np.isnan(var) & (count > 0))).any():
            raise_overflow(values[np.isfinite(values)], "StandardScaler's variance")
        self._set_moments(mean, var, count, with_std)
        return self

    def _set_moments(
        self, mean: np.ndarray, var: np.ndarray, count: np.ndarray, with_std: bool
    ) -> None:
        """The fitted attributes from merged per-feature mean, variance and count."""
        self.mean_ = mean
        self.var_ = var if with_std else None
        self.n_samples_seen_ = count[0] if count.max() == count.min() else count
        if with_std:
            # scikit-learn's `_is_constant_feature`: the variance is below the error
            # bound of the two-pass algorithm, so the feature is treated as constant.
            eps = np.finfo(np.float64).eps
            seen = self.n_samples_seen_
            with np.errstate(over="ignore"):
                # inf for means above ~1e162: no float variance is then distinguishable
                # from rounding, and the feature is constant (as scikit-learn finds)
                upper_bound = seen * eps * var + (seen * mean * eps) ** 2
            # A merged variance can round to -1e-30; it is flagged constant, so clamp
            # before the square root instead of warning.
            self.scale_ = _handle_zeros_in_scale(
                np.sqrt(np.maximum(var, 0.0)), constant_mask=var <= upper_bound
            )
        else:
            self.scale_ = None

    def transform(self, X: Any, copy: bool | None = None) -> Any:
        """Standardize ``X``: ``(X - mean_) / scale_``. NaN stays NaN.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
        copy : bool, optional
            Ignored: a new array is always returned.

        Returns
        -------
        ndarray or DataFrame of shape (n_samples, n_features)
            float32 for float32 input, float64 otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import StandardScaler
        >>> s = StandardScaler().fit(np.array([[1.0], [3.0]]))
        >>> s.transform(np.array([[5.0]]))
        array([[3.]])
        """
        check_fitted(self, self._fitted_attr)
        checked = self._validate(X, reset=False)
        if isinstance(checked, CheckedSparse):
            factor = 1.0 / self.scale_ if self.with_std else np.ones(checked.shape[1])
            return self._scale_sparse(checked, factor)
        d = checked.values.shape[1]
        offset = self.mean_ if self.with_mean else np.zeros(d)
        factor = self.scale_ if self.with_std else np.ones(d)
        out = self._affine(checked, offset, factor, "subtract_divide")
        return self._wrap_output(out, checked)

    def inverse_transform(self, X: Any, copy: bool | None = None) -> Any:
        """Undo :meth:`transform`: ``X * scale_ + mean_``.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
        copy : bool, optional
            Ignored: a new array is always returned.

        Returns
        -------
        ndarray, or DataFrame for DataFrame input

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import StandardScaler
        >>> s = StandardScaler().fit(np.array([[1.0], [3.0]]))
        >>> s.inverse_transform(np.array([[3.0]]))
        array([[5.]])
        """
        checked = self._validate_inverse(X)
        if isinstance(checked, CheckedSparse):
            factor = self.scale_ if self.with_std else np.ones(checked.shape[1])
            return self._scale_sparse(checked, factor)
        d = checked.values.shape[1]
        factor = self.scale_ if self.with_std else np.ones(d)
        offset = self.mean_ if self.with_mean else np.zeros(d)
        out = self._affine(checked, factor, offset, "multiply_add")
        return self._wrap_inverse(out, checked)


class MinMaxScaler(_OneToOneScaler):
    """Scale each feature to ``feature_range`` using its minimum and maximum.

    ``x * scale_ + min_`` with ``scale_ = (max - min of range) / data_range_`` (constant
    features get ``data_range_`` treated as 1). Matches
    :class:`sklearn.preprocessing.MinMaxScaler` (1.9), including ``partial_fit``.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
        Desired range; ``min < max`` is required.
    copy : bool, default=True
        Accepted for compatibility; a new array is always returned.
    clip : bool, default=False
        Clip transformed values of unseen data to ``feature_range``.

    Attributes
    ----------
    min_, scale_, data_min_, data_max_, data_range_ : ndarray of shape (n_features,)
        In the input's float dtype.
    n_samples_seen_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.preprocessing import MinMaxScaler
    >>> MinMaxScaler().fit_transform(np.array([[1.0], [2.0], [5.0]])).ravel()
    array([0.  , 0.25, 1.  ])
    """

    _fitted_attr = "n_samples_seen_"
    n_samples_seen_: int
    data_min_: np.ndarray
    data_max_: np.ndarray

    _fitted_state = {
        name: Fitted(("n_features_in_",), nan=True)
        for name in ("scale_", "min_", "data_min_", "data_max_", "data_range_")
    }
    _parameter_constraints: Constraints = {
        "feature_range": [_PAIR],
        "copy": ["boolean"],
        "clip": ["boolean"],
    }

    def __init__(
        self,
        feature_range: tuple[float, float] = (0, 1),
        *,
        copy: bool = True,
        clip: bool = False,
    ):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip

    def _reset(self) -> None:
        for attr in ("scale_", "min_", "n_samples_seen_", "data_min_", "data_max_", "data_range_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _range(self) -> tuple[float, float]:
        """The validated ``feature_range`` (all parameters are checked)."""
        lo, hi = self._validate_params()["feature_range"]
        if lo >= hi:
            raise InvalidParameterError(
                "Minimum of desired feature range must be smaller than maximum. "
                f"Got {self.feature_range}."
            )
        return lo, hi

    def fit(self, X: Any, y: Any = None) -> MinMaxScaler:
        """Compute the per-feature minimum and maximum (NaN ignored).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : MinMaxScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MinMaxScaler
        >>> MinMaxScaler().fit(np.array([[1.0], [5.0]])).data_range_
        array([4.])
        """
        self._reset()
        return self.partial_fit(X, y)

    def partial_fit(self, X: Any, y: Any = None) -> MinMaxScaler:
        """Update the running minimum and maximum with one more batch.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : MinMaxScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MinMaxScaler
        >>> s = MinMaxScaler().partial_fit(np.array([[1.0]])).partial_fit(np.array([[3.0]]))
        >>> s.data_min_, s.data_max_, s.n_samples_seen_
        (array([1.]), array([3.]), 2)
        """
        lo, hi = self._range()
        first_pass = not hasattr(self, "n_samples_seen_")
        checked = self._validate(X, reset=first_pass)
        values = checked.values
        dtype = _state_dtype(checked)
        data_min, data_max = _core.column_min_max(values)
        data_min = data_min.astype(dtype)
        data_max = data_max.astype(dtype)
        if first_pass:
            self.n_samples_seen_ = values.shape[0]
        else:
            data_min = np.fmin(self.data_min_, data_min)
            data_max = np.fmax(self.data_max_, data_max)
            self.n_samples_seen_ += values.shape[0]
        self._set_min_max(data_min, data_max, (lo, hi))
        return self

    def _set_min_max(
        self, data_min: np.ndarray, data_max: np.ndarray, feature_range: tuple[float, float]
    ) -> None:
        """The fitted attributes from the merged minima and maxima (in the data's dtype)."""
        dtype = data_min.dtype
        data_range = data_max - data_min
        # Same arithmetic, in the data's dtype, as scikit-learn.
        lo, hi = feature_range
        fr_lo, fr_hi = np.asarray(lo, dtype=dtype), np.asarray(hi, dtype=dtype)
        self.scale_ = (fr_hi - fr_lo) / _handle_zeros_in_scale(data_range)
        self.min_ = fr_lo - data_min * self.scale_
        self.data_min_ = data_min
        self.data_max_ = data_max
        self.data_range_ = data_range

    def transform(self, X: Any) -> Any:
        """Scale ``X`` to ``feature_range``: ``X * scale_ + min_`` (clipped if ``clip``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MinMaxScaler
        >>> s = MinMaxScaler(clip=True).fit(np.array([[0.0], [10.0]]))
        >>> s.transform(np.array([[5.0], [20.0]])).ravel()
        array([0.5, 1. ])
        """
        check_fitted(self, self._fitted_attr)
        checked = self._validate(X, reset=False)
        clip = self._range() if self.clip else None
        out = self._affine(checked, self.scale_, self.min_, "multiply_add", clip)
        return self._wrap_output(out, checked)

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: ``(X - min_) / scale_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray, or DataFrame for DataFrame input

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MinMaxScaler
        >>> MinMaxScaler().fit(np.array([[0.0], [10.0]])).inverse_transform([[0.5]])
        array([[5.]])
        """
        checked = self._validate_inverse(X)
        out = self._affine(checked, self.min_, self.scale_, "subtract_divide")
        return self._wrap_inverse(out, checked)


class MaxAbsScaler(_OneToOneScaler):
    """Scale each feature by its maximum absolute value (to [-1, 1]); no centering.

    Matches :class:`sklearn.preprocessing.MaxAbsScaler` (1.9), including ``partial_fit``
    and ``clip``. Takes scipy sparse input (CSR as is, CSC/COO converted once) without
    densifying it and returns a CSR matrix with the same zeros.

    Parameters
    ----------
    copy : bool, default=True
        Accepted for compatibility; a new array is always returned.
    clip : bool, default=False
        Clip transformed values of unseen data to [-1, 1] (as scikit-learn 1.9).

    Attributes
    ----------
    max_abs_, scale_ : ndarray of shape (n_features,)
        In the input's float dtype; ``scale_`` is 1 where ``max_abs_`` is 0.
    n_samples_seen_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.preprocessing import MaxAbsScaler
    >>> MaxAbsScaler().fit_transform(np.array([[1.0, -4.0], [-2.0, 2.0]]))
    array([[ 0.5, -1. ],
           [-1. ,  0.5]])
    """

    _fitted_attr = "n_samples_seen_"
    n_samples_seen_: int
    max_abs_: np.ndarray

    _fitted_state = {
        "max_abs_": Fitted(("n_features_in_",), nan=True),
        "scale_": Fitted(("n_features_in_",), nan=True, positive=True),
    }
    _parameter_constraints: Constraints = {"copy": ["boolean"], "clip": ["boolean"]}

    def __init__(self, *, copy: bool = True, clip: bool = False):
        self.copy = copy
        self.clip = clip

    def _sparse_ok(self) -> bool:
        return True

    def _reset(self) -> None:
        for attr in ("scale_", "n_samples_seen_", "max_abs_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def fit(self, X: Any, y: Any = None) -> MaxAbsScaler:
        """Compute the per-feature maximum absolute value (NaN ignored).

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : MaxAbsScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> MaxAbsScaler().fit(np.array([[1.0], [-3.0]])).max_abs_
        array([3.])
        """
        self._reset()
        return self.partial_fit(X, y)

    def partial_fit(self, X: Any, y: Any = None) -> MaxAbsScaler:
        """Update the running maximum absolute value with one more batch.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : MaxAbsScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> s = MaxAbsScaler().partial_fit(np.array([[1.0]])).partial_fit(np.array([[-3.0]]))
        >>> s.max_abs_, s.n_samples_seen_
        (array([3.]), 2)
        """
        self._validate_params()
        first_pass = not hasattr(self, "n_samples_seen_")
        checked = self._validate(X, reset=first_pass)
        if isinstance(checked, CheckedSparse):
            max_abs = _core.sparse_column_max_abs(*checked.arrays, shape=checked.shape)
        else:
            max_abs = _core.column_max_abs(checked.values)
        max_abs = max_abs.astype(_state_dtype(checked))
        if first_pass:
            self.n_samples_seen_ = checked.shape[0]
        else:
            max_abs = np.fmax(self.max_abs_, max_abs)
            self.n_samples_seen_ += checked.shape[0]
        self._set_max_abs(max_abs)
        return self

    def _set_max_abs(self, max_abs: np.ndarray) -> None:
        """The fitted attributes from the merged maximum absolute values."""
        self.max_abs_ = max_abs
        self.scale_ = _handle_zeros_in_scale(max_abs)

    def transform(self, X: Any) -> Any:
        """Scale ``X``: ``X / scale_`` (clipped to [-1, 1] if ``clip``).

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> MaxAbsScaler().fit(np.array([[2.0]])).transform(np.array([[1.0]]))
        array([[0.5]])
        """
        check_fitted(self, self._fitted_attr)
        checked = self._validate(X, reset=False)
        if isinstance(checked, CheckedSparse):
            return self._scale_sparse(checked, 1.0 / self.scale_.astype(np.float64), self.clip)
        d = checked.values.shape[1]
        clip = (-1.0, 1.0) if self.clip else None
        out = self._affine(checked, np.zeros(d), self.scale_, "subtract_divide", clip)
        return self._wrap_output(out, checked)

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: ``X * scale_``.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray, or DataFrame for DataFrame input

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> MaxAbsScaler().fit(np.array([[2.0]])).inverse_transform(np.array([[0.5]]))
        array([[1.]])
        """
        checked = self._validate_inverse(X)
        if isinstance(checked, CheckedSparse):
            return self._scale_sparse(checked, self.scale_.astype(np.float64))
        d = checked.values.shape[1]
        out = self._affine(checked, self.scale_, np.zeros(d), "multiply_add")
        return self._wrap_inverse(out, checked)


class RobustScaler(_OneToOneScaler):
    """Scale with statistics robust to outliers: median and interquartile range.

    ``(x - center_) / scale_`` with ``center_`` the per-feature median and ``scale_`` the
    ``quantile_range`` spread (numpy's 'linear' percentiles, NaN ignored). Matches
    :class:`sklearn.preprocessing.RobustScaler` (1.9).

    Parameters
    ----------
    with_centering : bool, default=True
        Subtract the median.
    with_scaling : bool, default=True
        Divide by the quantile range.
    quantile_range : tuple (q_min, q_max), default=(25.0, 75.0)
        Percentiles with ``0 <= q_min <= q_max <= 100``.
    copy : bool, default=True
        Accepted for compatibility; a new array is always returned.
    unit_variance : bool, default=False
        Divide the scale by the standard normal's range between the two quantiles, so a
        normal feature ends with unit variance.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,) or None
        Per-feature median, in the input's float dtype.
    scale_ : ndarray of shape (n_features,) or None
        Per-feature quantile range (float64), 1 for constant features.
    n_features_in_ : int
    feature_names_in_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.preprocessing import RobustScaler
    >>> RobustScaler().fit_transform(np.array([[1.0], [2.0], [3.0], [100.0]])).ravel()
    array([-0.05882353, -0.01960784,  0.01960784,  3.82352941])
    """

    _fitted_state = {
        "center_": Fitted(("n_features_in_",), nan=True, optional=True),
        "scale_": Fitted(("n_features_in_",), nan=True, positive=True, optional=True),
    }
    _parameter_constraints: Constraints = {
        "with_centering": ["boolean"],
        "with_scaling": ["boolean"],
        "quantile_range": [_PAIR],
        "copy": ["boolean"],
        "unit_variance": ["boolean"],
    }

    def __init__(
        self,
        *,
        with_centering: bool = True,
        with_scaling: bool = True,
        quantile_range: tuple[float, float] = (25.0, 75.0),
        copy: bool = True,
        unit_variance: bool = False,
    ):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range
        self.copy = copy
        self.unit_variance = unit_variance

    def fit(self, X: Any, y: Any = None) -> RobustScaler:
        """Compute the per-feature median and quantile range (NaN ignored).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : RobustScaler

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import RobustScaler
        >>> RobustScaler().fit(np.array([[1.0], [2.0], [3.0]])).center_
        array([2.])
        """
        params = self._validate_params()
        with_centering, with_scaling = params["with_centering"], params["with_scaling"]
        q_min, q_max = params["quantile_range"]
        if not 0 <= q_min <= q_max <= 100:
            raise InvalidParameterError(
                f"Invalid quantile range: {self.quantile_range}; need 0 <= q_min <= q_max <= 100"
            )
        checked = self._validate(X, reset=True)
        values = checked.values
        percentiles = [q_min, q_max] if with_scaling else []
        stats = _core.column_percentiles(
            values, percentiles=percentiles, with_median=with_centering
        )
        self._set_quantiles(stats, _state_dtype(checked))
        return self

    def _set_quantiles(self, stats: np.ndarray, dtype: Any) -> None:
        """The fitted attributes from the quantiles: rows ``q_min, q_max`` (with scaling)
        then the median (with centering), as ``_core.column_percentiles`` returns them."""
        params = self._validate_params()
        with_centering, with_scaling = params["with_centering"], params["with_scaling"]
        unit_variance, (q_min, q_max) = params["unit_variance"], params["quantile_range"]
        if with_centering:
            self.center_ = stats[-1].astype(dtype)
        else:
            self.center_ = None
        if with_scaling:
            scale = _handle_zeros_in_scale(stats[1] - stats[0])
            if unit_variance:
                normal = NormalDist()
                adjust = normal.inv_cdf(q_max / 100.0) - normal.inv_cdf(q_min / 100.0)
                scale = scale / adjust
            self.scale_ = scale
        else:
            self.scale_ = None

    def transform(self, X: Any) -> Any:
        """Center and scale ``X``: ``(X - center_) / scale_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import RobustScaler
        >>> s = RobustScaler().fit(np.array([[1.0], [2.0], [3.0]]))
        >>> s.transform(np.array([[4.0]]))
        array([[2.]])
        """
        check_fitted(self, "n_features_in_")
        checked = self._validate(X, reset=False)
        d = checked.values.shape[1]
        center = self.center_ if self.with_centering else np.zeros(d)
        scale = self.scale_ if self.with_scaling else np.ones(d)
        out = self._affine(checked, center, scale, "subtract_divide")
        return self._wrap_output(out, checked)

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: ``X * scale_ + center_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray, or DataFrame for DataFrame input

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import RobustScaler
        >>> s = RobustScaler().fit(np.array([[1.0], [2.0], [3.0]]))
        >>> s.inverse_transform(np.array([[2.0]]))
        array([[4.]])
        """
        checked = self._validate_inverse(X)
        d = checked.values.shape[1]
        center = self.center_ if self.with_centering else np.zeros(d)
        scale = self.scale_ if self.with_scaling else np.ones(d)
        out = self._affine(checked, scale, center, "multiply_add")
        return self._wrap_inverse(out, checked)


class Log1pTransformer(_OneToOneScaler):
    """``log1p`` for skewed non-negative columns such as spend or order value.

    ``transform`` computes ``log(1 + x)`` and ``inverse_transform`` ``exp(x) - 1`` on the
    chosen columns, leaving the others unchanged. NaN stays NaN. Values ``<= -1`` (where
    ``log1p`` is ``-inf`` or undefined) raise :class:`~segwise.exceptions.NonFiniteError`
    naming each offending column and how many values it has, in ``fit`` and
    ``transform``; negative values above -1 are allowed.

    Parameters
    ----------
    columns : list of str or int, optional
        Columns to transform: names (DataFrame input) or positions. ``None`` (default)
        transforms every column.

    Attributes
    ----------
    columns_ : ndarray of int
        Positions of the transformed columns.
    n_features_in_ : int
    feature_names_in_ : ndarray
        Set when fitted on a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.preprocessing import Log1pTransformer
    >>> df = pd.DataFrame({"spend": [0.0, 9.0, 99.0], "visits": [1, 2, 3]})
    >>> Log1pTransformer(columns=["spend"]).fit_transform(df).round(3)
       spend  visits
    0  0.000     1.0
    1  2.303     2.0
    2  4.605     3.0
    """

    _fitted_state = {"columns_": Fitted((None,), kinds="iu", upper="n_features_in_")}
    _parameter_constraints: Constraints = {
        "columns": [None, str, Interval(Integral, None, None, closed="neither"), "array-like"],
    }

    def __init__(self, columns: Any = None):
        self.columns = columns

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # log1p needs x > -1: scikit-learn's checks then feed non-negative data.
        tags.input_tags.positive_only = True
        return tags

    def _resolve_columns(self, checked: Checked, columns: Any) -> np.ndarray:
        d = checked.values.shape[1]
        if columns is None:
            return np.arange(d)
        requested = [columns] if isinstance(columns, str | int) else columns
        positions = []
        for c in requested:
            if checked.columns is not None and _is_label(c, checked.columns):
                # a column label wins over a position (integer column names)
                positions.append(checked.columns.index(c))
            elif isinstance(c, numbers.Integral) and not isinstance(c, bool):
                if not -d <= int(c) < d:
                    raise InvalidParameterError(
                        f"columns: position {c} is out of range for {d} feature(s)"
                    )
                positions.append(int(c) % d)
            elif isinstance(c, str | tuple):
                raise InvalidParameterError(
                    f"columns: {c!r} is not a column of X"
                    + ("" if checked.columns is not None else " (X has no column names)")
                )
            else:
                raise InvalidParameterError(
                    f"columns must be None or a list of names/positions, got {c!r}"
                )
        return np.unique(np.asarray(positions, dtype=np.int64))

    def _mask(self) -> list[bool]:
        mask = np.zeros(self.n_features_in_, dtype=np.bool_)
        mask[self.columns_] = True
        return mask.tolist()  # type: ignore[no-any-return]

    def _apply(self, values: np.ndarray, func: Any) -> np.ndarray:
        # numpy's SIMD log1p/expm1 beat a scalar Rust loop by ~15x, so the math stays in
        # numpy; the Rust core only does the parallel domain check.
        if len(self.columns_) == self.n_features_in_:
            return func(values)  # type: ignore[no-any-return]
        out = values.copy()
        out[:, self.columns_] = func(values[:, self.columns_])
        return out

    def _check_domain(self, checked: Checked, mask: list[bool]) -> None:
        counts = _core.log1p_domain_errors(checked.values, columns=mask)
        self._raise_domain(counts, checked.columns)

    @staticmethod
    def _raise_domain(counts: np.ndarray, columns: list[str] | None) -> None:
        """Raise naming every column with values <= -1 (``counts`` per column)."""
        bad = np.flatnonzero(counts)
        if bad.size:
            names = columns or [f"x{j}" for j in range(len(counts))]
            detail = "; ".join(f"{names[j]!r} ({int(counts[j])} value(s))" for j in bad)
            raise NonFiniteError(
                "Negative values in data where log1p is undefined (values <= -1 would give "
                f"-inf or NaN): {detail}"
            )

    def fit(self, X: Any, y: Any = None) -> Log1pTransformer:
        """Record the columns to transform and check their values are > -1.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : Log1pTransformer

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import Log1pTransformer
        >>> Log1pTransformer(columns=[1]).fit(np.zeros((2, 3))).columns_
        array([1])
        """
        self._fit_checked(X)
        return self

    def _fit_checked(self, X: Any) -> Checked:
        columns = self._validate_params()["columns"]
        checked = self._validate(X, reset=True)
        self.columns_ = self._resolve_columns(checked, columns)
        self._check_domain(checked, self._mask())
        return checked

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit and transform in one validation pass (same result as ``fit(X).transform(X)``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        ndarray or DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import Log1pTransformer
        >>> Log1pTransformer().fit_transform(np.array([[0.0, 3.0]])).round(4)
        array([[0.    , 1.3863]])
        """
        checked = self._fit_checked(X)
        return self._wrap_output(self._apply(checked.values, np.log1p), checked)

    def transform(self, X: Any) -> Any:
        """``log1p`` of the chosen columns; the others are returned unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import Log1pTransformer
        >>> Log1pTransformer().fit_transform(np.array([[0.0], [np.e - 1]]))
        array([[0.],
               [1.]])
        """
        check_fitted(self, "columns_")
        checked = self._validate(X, reset=False)
        self._check_domain(checked, self._mask())
        return self._wrap_output(self._apply(checked.values, np.log1p), checked)

    def inverse_transform(self, X: Any) -> Any:
        """``expm1`` of the chosen columns, undoing :meth:`transform`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray, or DataFrame for DataFrame input

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import Log1pTransformer
        >>> t = Log1pTransformer().fit(np.array([[0.0]]))
        >>> t.inverse_transform(np.array([[np.log(10.0)]])).round(12)
        array([[9.]])
        """
        checked = self._validate_inverse(X)
        with np.errstate(over="ignore"):
            out = self._apply(checked.values, np.expm1)
        overflowed = np.isinf(out) & np.isfinite(checked.values)
        if overflowed.any():
            names = checked.columns or [f"x{j}" for j in range(out.shape[1])]
            cols = [names[j] for j in np.flatnonzero(overflowed.any(axis=0))]
            raise NonFiniteError(
                f"inverse_transform: {int(overflowed.sum())} value(s) in column(s) {cols} are "
                f"above log1p of the largest float ({np.log1p(np.finfo(out.dtype).max):.6g}), "
                "so expm1 overflows: they were not produced by transform"
            )
        return self._wrap_inverse(out, checked)
