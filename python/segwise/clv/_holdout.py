"""The calibration/holdout split of a transaction log, and the check of a purchase model's
predictions against what customers actually bought in the holdout period."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .._results import ResultMixin, Summary, Table, fmt_count
from .._validation import (
    Constraints,
    Interval,
    StrOptions,
    check_date,
    check_dates,
    validate_params,
)
from ..exceptions import EmptyInputError, InvalidParameterError
from ..rfm import rfm_table
from ._models import _PurchaseModel

__all__ = ["HoldoutCheck", "calibration_holdout", "holdout_check"]

_PERIOD = {"D": "D", "W": "W", "h": "h"}

_SPLIT_PARAMS: Constraints = {
    "customer": [Hashable],
    "date": [Hashable],
    "amount": [None, Hashable],
    "freq": [StrOptions(_PERIOD)],
}


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    ts = check_date(value, name)
    return ts.tz_localize(None) if ts.tz is not None else ts


def calibration_holdout(
    transactions: pd.DataFrame,
    calibration_end: Any,
    observation_end: Any = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    freq: str = "D",
) -> pd.DataFrame:
    """Split a transaction log into a calibration summary and holdout purchase counts
    (lifetimes' ``calibration_and_holdout_data``).

    Customers are those with a purchase up to ``calibration_end``; their calibration
    history is ``rfm_table(..., observation_end=calibration_end, convention="btyd")`` and
    their holdout purchases are the periods (days, weeks or hours, as ``freq``) with a
    purchase after ``calibration_end`` up to ``observation_end``.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction.
    calibration_end : date-like
        Last day of the calibration period.
    observation_end : date-like, optional
        Last day of the holdout period (default: the last transaction).
    customer, date : str
        Column names.
    amount : str, optional
        Column of transaction values: adds ``monetary_value_cal`` (mean value of the
        repeat purchase periods) and ``monetary_value_holdout`` (mean value of the holdout
        purchase periods, 0 without any).
    freq : {"D", "W", "h"}, default "D"
        Time unit.

    Returns
    -------
    DataFrame
        Indexed by customer: ``frequency_cal``, ``recency_cal``, ``T_cal``
        (``monetary_value_cal``), ``frequency_holdout`` (``monetary_value_holdout``) and
        ``duration_holdout`` (length of the holdout period in ``freq`` units).

    Examples
    --------
    >>> from segwise.clv import calibration_holdout
    >>> from segwise.datasets import load_cdnow
    >>> split = calibration_holdout(load_cdnow(sample=True), "1997-09-30", "1998-06-30")
    >>> split.shape, int(split["duration_holdout"].iloc[0])
    ((2357, 5), 273)
    >>> int(split["frequency_holdout"].sum())
    1882
    """
    if not isinstance(transactions, pd.DataFrame):
        raise InvalidParameterError(
            f"transactions must be a pandas DataFrame, got {type(transactions).__name__}"
        )
    params = validate_params(locals(), _SPLIT_PARAMS, caller="calibration_holdout")
    freq = params["freq"]
    cal_end = _timestamp(calibration_end, "calibration_end")
    if date not in transactions.columns:
        raise InvalidParameterError(f"column date={date!r} is not in the transactions")
    # The one reading of a date column (YYYYMMDD numbers, one time zone, no NaT), as
    # rfm_table's below: never nanoseconds since 1970 or a silently dropped row.
    dates = check_dates(transactions[date], date, None)
    obs_end = (
        dates.max() if observation_end is None else _timestamp(observation_end, "observation_end")
    )
    if not obs_end > cal_end:
        raise InvalidParameterError(
            f"observation_end ({obs_end}) must be after calibration_end ({cal_end})"
        )
    value_col = "__segwise_amount__" if amount is None else amount
    tx = transactions
    if amount is None:
        tx = transactions[[customer, date]].assign(**{value_col: 1.0})
    cal = rfm_table(
        tx,
        customer=customer,
        date=date,
        amount=value_col,
        observation_end=cal_end,
        convention="btyd",
        freq=freq,
    )
    cal.columns = [f"{c}_cal" for c in cal.columns]
    if amount is None:
        cal = cal.drop(columns="monetary_value_cal")
    in_holdout = ((dates > cal_end) & (dates <= obs_end)).to_numpy()
    known = tx[customer].isin(cal.index).to_numpy()
    holdout_tx = tx[in_holdout & known]
    if len(holdout_tx) == 0:
        raise EmptyInputError(
            f"no purchase by a calibration customer between {cal_end.date()} and "
            f"{obs_end.date()}: the holdout period is empty"
        )
    hold = rfm_table(
        holdout_tx,
        customer=customer,
        date=date,
        amount=value_col,
        observation_end=obs_end,
        freq=freq,
    )
    out = cal.copy()
    out["frequency_holdout"] = hold["frequency"].reindex(out.index, fill_value=0).astype(float)
    if amount is not None:
        out["monetary_value_holdout"] = hold["monetary_mean"].reindex(out.index, fill_value=0.0)
    period = _PERIOD[freq]
    out["duration_holdout"] = float(
        (pd.Period(obs_end, freq=period) - pd.Period(cal_end, freq=period)).n
    )
    return out


@dataclass(frozen=True, repr=False)
class HoldoutCheck(ResultMixin):
    """Predicted against actual holdout purchases by calibration frequency.

    Attributes
    ----------
    table : DataFrame
        One row per calibration frequency (the last row ``"{n}+"`` pools the rest):
        ``customers``, ``actual`` and ``predicted`` mean holdout purchases.
    model : str
        The purchase model's name.
    actual_total, predicted_total : float
        Holdout purchases of all customers, observed and expected.
    """

    table: pd.DataFrame
    model: str
    actual_total: float
    predicted_total: float

    def _summary(self) -> Summary:
        gap = self.predicted_total / self.actual_total - 1 if self.actual_total else np.nan
        return Summary(
            f"Holdout check of {self.model}: predicted vs actual purchases",
            lines=[
                f"all customers: {self.predicted_total:,.1f} predicted, "
                f"{self.actual_total:,.0f} actual ({gap:+.1%})"
            ],
            tables=[Table(self.table, formats={"customers": fmt_count}, float_format="{:.3f}")],
            after=["mean holdout purchases per customer, by repeat purchases in calibration"],
        )

    def plot(self, ax: Any = None) -> Any:
        """Actual and predicted mean holdout purchases by calibration frequency (the plot
        of lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from segwise.clv import BetaGeoModel, calibration_holdout, holdout_check
        >>> from segwise.datasets import load_cdnow
        >>> split = calibration_holdout(load_cdnow(sample=True), "1997-09-30", freq="W")
        >>> holdout_check(BetaGeoModel(), split).plot().get_xlabel()
        'repeat purchases in calibration'
        """
        ax = self._axes(ax, figsize=(7, 4))
        labels = [str(i) for i in self.table.index]
        ax.plot(labels, self.table["actual"], marker="o", label="actual")
        ax.plot(labels, self.table["predicted"], marker="s", linestyle="--", label=self.model)
        ax.set_xlabel("repeat purchases in calibration")
        ax.set_ylabel("mean purchases in holdout")
        ax.set_title("Holdout purchases: actual vs predicted")
        ax.legend()
        return ax


_CHECK_PARAMS: Constraints = {
    "model": [_PurchaseModel],
    "n_buckets": [Interval(Integral, 1, 1000, closed="both")],
}


def holdout_check(model: Any, split: pd.DataFrame, n_buckets: int = 7) -> HoldoutCheck:
    """Compare a purchase model's expected holdout purchases with the actual ones, by
    repeat purchases in the calibration period (0, 1, ..., ``n_buckets - 1`` and more).

    Parameters
    ----------
    model : BetaGeoModel, ParetoNBDModel or ModifiedBetaGeoModel
        Fitted on the calibration columns of ``split`` (an unfitted model is fitted on
        them, as a copy).
    split : DataFrame
        The output of :func:`calibration_holdout`.
    n_buckets : int, default 7
        Rows of the table; the last one pools frequencies ``>= n_buckets - 1``.

    Returns
    -------
    HoldoutCheck

    Examples
    --------
    >>> from segwise.clv import BetaGeoModel, calibration_holdout, holdout_check
    >>> from segwise.datasets import load_cdnow
    >>> split = calibration_holdout(load_cdnow(sample=True), "1997-09-30", freq="W")
    >>> check = holdout_check(BetaGeoModel(), split)
    >>> check.table.loc["0", ["customers", "actual"]].round(3).tolist()
    [1422.0, 0.223]
    """
    params = validate_params(
        {"model": model, "n_buckets": n_buckets}, _CHECK_PARAMS, caller="holdout_check"
    )
    need = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    missing = [c for c in need if c not in getattr(split, "columns", [])]
    if missing:
        raise InvalidParameterError(
            f"split lacks column(s) {missing}: pass the output of calibration_holdout()"
        )
    history = split[["frequency_cal", "recency_cal", "T_cal"]].set_axis(
        ["frequency", "recency", "T"], axis=1
    )
    fitted = model if hasattr(model, "params_") else type(model)(**model.get_params()).fit(history)
    durations = split["duration_holdout"].to_numpy(dtype=float)
    predicted = np.empty(len(split))
    for d in np.unique(durations):
        rows = durations == d
        predicted[rows] = np.asarray(
            fitted.conditional_expected_number_of_purchases_up_to_time(d, history[rows])
        )
    top = params["n_buckets"] - 1
    freq = split["frequency_cal"].to_numpy(dtype=float)
    bucket = np.minimum(freq, top).astype(int)
    names = [str(i) for i in range(top)] + [f"{top}+" if top > 0 else "all"]
    if top > 0 and not (freq > top).any():
        names[-1] = str(top)
    frame = pd.DataFrame(
        {
            "bucket": bucket,
            "actual": split["frequency_holdout"].to_numpy(float),
            "predicted": predicted,
        }
    )
    grouped = frame.groupby("bucket")
    table = pd.DataFrame(
        {
            "customers": grouped.size().astype(float),
            "actual": grouped["actual"].mean(),
            "predicted": grouped["predicted"].mean(),
        }
    )
    table.index = pd.Index([names[i] for i in table.index], name="frequency_cal")
    return HoldoutCheck(
        table=table,
        model=fitted._model_label,
        actual_total=float(frame["actual"].sum()),
        predicted_total=float(predicted.sum()),
    )
