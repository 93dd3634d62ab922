"""The customer-history input of the CLV models: (frequency, recency, T[, monetary_value]).

One check for every model and function of :mod:`segwise.clv`: a DataFrame with those
columns (the output of ``rfm_table(..., convention="btyd")``; other columns are ignored)
or an array with them in that order, read once as float64 through
:func:`segwise._validation.check_array`, then the buy-till-you-die rules, each error naming
the column, how many customers break it and a few of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_array
from ..exceptions import ColumnNotFoundError, InvalidParameterError, ShapeMismatchError

HISTORY = ("frequency", "recency", "T")
SPEND = "monetary_value"


@dataclass(frozen=True)
class Histories:
    """Checked customer histories (float64, C-contiguous, never the caller's memory)."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None
    index: pd.Index | None

    def __len__(self) -> int:
        return len(self.frequency)

    def take(self, rows: np.ndarray) -> Histories:
        """The customers at positions ``rows``."""
        spend = None if self.monetary_value is None else self.monetary_value[rows]
        index = None if self.index is None else self.index[rows]
        return Histories(self.frequency[rows], self.recency[rows], self.T[rows], spend, index)

    def wrap(self, values: np.ndarray, name: str) -> Any:
        """A Series on the customers' index (DataFrame input), else the array."""
        if self.index is None:
            return values
        return pd.Series(values, index=self.index, name=name)


def _examples(bad: np.ndarray, index: pd.Index | None) -> str:
    where = np.flatnonzero(bad)[:3]
    labels = [index[i] for i in where] if index is not None else [int(i) for i in where]
    kind = "customers" if index is not None else "rows"
    return f"{kind} {', '.join(map(repr, labels))}{', ...' if bad.sum() > 3 else ''}"


def report_rows(bad: np.ndarray, what: str, index: pd.Index | None) -> None:
    if bad.any():
        n = int(bad.sum())
        raise InvalidParameterError(
            f"{what}: {n:,} of {len(bad):,} customer(s), e.g. {_examples(bad, index)}"
        )


def check_histories(
    X: Any, *, spend: bool = False, spend_required: bool = False, name: str = "X"
) -> Histories:
    """Validate customer histories; with ``spend`` also read ``monetary_value`` (required
    when ``spend_required``, else used when present).

    Raises :class:`~segwise.exceptions.ColumnNotFoundError` for a missing column,
    :class:`~segwise.exceptions.NonFiniteError` for NaN/inf (naming columns and rows) and
    :class:`~segwise.exceptions.InvalidParameterError` for negative values, a frequency
    that is not a whole number, recency above T, recency without a repeat purchase, or
    (``spend_required``) a repeat buyer with ``monetary_value <= 0``.
    """
    wanted = list(HISTORY)
    if isinstance(X, pd.DataFrame):
        with_spend = spend and (spend_required or SPEND in X.columns)
        if with_spend:
            wanted.append(SPEND)
        missing = [c for c in wanted if c not in X.columns]
        if missing:
            raise ColumnNotFoundError(
                f"{name} lacks column(s) {missing}; expected {wanted} as rfm_table(..., "
                f"convention='btyd') returns; available: {list(map(str, X.columns))}"
            )
        checked = check_array(X[wanted], name=name, dtypes=(np.float64,))
    else:
        checked = check_array(X, name=name, dtypes=(np.float64,))
        d = checked.values.shape[1]
        with_spend = spend and (spend_required or d == 4)
        want = 4 if with_spend else 3
        if d != want:
            cols = wanted + ([SPEND] if with_spend else [])
            raise ShapeMismatchError(
                f"{name} has {d} column(s); an array needs exactly {want}: {cols} in that order"
            )
    v = checked.values
    # Columns copied out: the estimators keep nothing that aliases the caller's data.
    x, t_x, t = (np.ascontiguousarray(v[:, j]) for j in range(3))
    index = checked.index
    for col, values in zip(HISTORY, (x, t_x, t), strict=True):
        report_rows(values < 0, f"column {col!r} has negative values", index)
    report_rows(
        x != np.floor(x), "column 'frequency' must count repeat purchases (whole numbers)", index
    )
    report_rows(
        t_x > t, "recency is larger than T (the last purchase after the end of observation)", index
    )
    report_rows(
        (x == 0) & (t_x != 0),
        "recency must be 0 for customers without a repeat purchase (frequency 0)",
        index,
    )
    m = np.ascontiguousarray(v[:, 3]) if with_spend else None
    if m is not None and spend_required:
        report_rows(
            (x > 0) & (m <= 0),
            "monetary_value must be > 0 for repeat buyers (the Gamma-Gamma model needs "
            "positive spend; drop or fix refunds)",
            index,
        )
    return Histories(x, t_x, t, m, index)


def check_horizon(t: Any, name: str = "t") -> float:
    """A prediction horizon: a finite number >= 0."""
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number >= 0, got {t!r}") from None
    if not np.isfinite(value) or value < 0:
        raise InvalidParameterError(f"{name} must be a finite number >= 0, got {t!r}")
    return value
