"""The Gamma-Gamma model of spend per transaction, and customer lifetime value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._validation import (
    Constraints,
    StrOptions,
    check_array,
    check_sample_weight,
    validate_params,
)
from ..exceptions import ColumnNotFoundError, InvalidParameterError, ShapeMismatchError
from ._data import check_histories, report_rows
from ._models import _COMMON_PARAMETERS, _MaximumLikelihoodModel, _PurchaseModel

__all__ = ["GammaGammaModel", "MONTH_LENGTH"]

#: Length of a month in each time unit of ``T`` (lifetimes' ``freq`` factors).
MONTH_LENGTH = {"D": 30.0, "W": 4.345, "M": 1.0, "H": 30.0 * 24.0}

_CLV_PARAMS: Constraints = {
    "transaction_model": [_PurchaseModel],
    "freq": [StrOptions(MONTH_LENGTH)],
}


class GammaGammaModel(_MaximumLikelihoodModel):
    __doc__ = (
        """Gamma-Gamma model of spend per transaction: Fader & Hardie (2013), "The
    Gamma-Gamma model of monetary value".

    A customer's transactions are worth gamma(p, nu) each, with nu gamma(q, v) across
    customers; spend is assumed independent of the purchase process. Fitted on the repeat
    buyers only (``frequency > 0``: the others' ``monetary_value`` carries no repeat
    spend), whose ``monetary_value`` (mean value of the repeat purchases) must be positive.
    """
        + _COMMON_PARAMETERS.replace("(frequency, recency, T)", "(frequency, monetary_value)")
        .replace("n_features_in_ : int\n        3", "n_features_in_ : int\n        2")
        .replace(
            "(time is rescaled so the longest ``T`` is 1 before\n        fitting, and the "
            "penalty applies to the rescaled parameters, as in lifetimes)",
            "",
        )
        + """
    Examples
    --------
    >>> from segwise.clv import GammaGammaModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> GammaGammaModel().fit(load_cdnow_summary()).params_.round(2).to_dict()
    {'p': 6.25, 'q': 3.74, 'v': 15.44}
    """
    )

    _param_names_model = ("p", "q", "v")
    _model_label = "Gamma-Gamma"

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> GammaGammaModel:
        """Fit on the repeat buyers of ``X``.

        Parameters
        ----------
        X : DataFrame or array
            Columns ``frequency`` and ``monetary_value`` (``recency`` and ``T`` are
            checked when present: the output of ``rfm_table(..., convention="btyd")``), or
            an array of (frequency, monetary_value) or (frequency, recency, T,
            monetary_value).
        y : ignored
        sample_weight : array-like of shape (n_customers,), optional
            Customers each row stands for.

        Returns
        -------
        self
        """
        self._validate_params()
        init = self._initial()
        x, m = _spend_columns(X)
        w = check_sample_weight(sample_weight, len(x))
        repeat = x > 0
        if not repeat.any():
            raise InvalidParameterError(
                f"GammaGammaModel: no repeat buyer among {len(x):,} customers (every "
                "frequency is 0): the spend model has nothing to fit"
            )
        out = _core.gamma_gamma_fit(
            x,
            m,
            sample_weight=w,
            penalizer=float(self.penalizer_coef),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            initial_params=init,
        )
        self.n_features_in_ = 2
        self._record(out)
        return self

    def conditional_expected_average_profit(self, X: Any) -> Any:
        """Expected spend per transaction of each customer given its repeat purchases
        (lifetimes' name): a weighted mean of its own average and the population's, which
        is what a customer without repeat purchases gets.

        Parameters
        ----------
        X : DataFrame or array
            ``frequency`` and ``monetary_value``, as in :meth:`fit`.

        Returns
        -------
        Series (DataFrame ``X``, on its index) or ndarray

        Examples
        --------
        >>> from segwise.clv import GammaGammaModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> data = load_cdnow_summary()
        >>> gg = GammaGammaModel().fit(data)
        >>> gg.conditional_expected_average_profit(data).head(3).round(2).tolist()
        [24.65, 18.91, 35.17]
        """
        params = self._fitted_params()
        x, m = _spend_columns(X, positive=False)
        if params[1] <= 1:
            raise InvalidParameterError(
                f"GammaGammaModel: q={params[1]:.3g} <= 1, so the population's mean spend "
                "is infinite; the expected spend is undefined (too few repeat buyers, or "
                "spend with a very heavy tail)"
            )
        out = _core.gamma_gamma_expected_spend(x, m, params=params)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return out if index is None else pd.Series(out, index=index, name="expected_spend")

    def customer_lifetime_value(
        self,
        transaction_model: _PurchaseModel,
        X: Any,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "D",
    ) -> Any:
        """Discounted value of each customer's expected purchases over the next ``time``
        months (lifetimes' ``customer_lifetime_value`` and its conventions).

        ``sum_{k=1..time} spend * (E[Y(k L)] - E[Y((k-1) L)]) / (1 + discount_rate)^k``,
        where ``E[Y(t)]`` is the transaction model's conditional expected purchases, ``L``
        a month in the data's time unit (30 days, 4.345 weeks, 720 hours) and ``spend``
        :meth:`conditional_expected_average_profit`.

        Parameters
        ----------
        transaction_model : BetaGeoModel, ParetoNBDModel or ModifiedBetaGeoModel
            A fitted purchase model.
        X : DataFrame or array
            ``frequency, recency, T, monetary_value`` per customer.
        time : int, default 12
            Months.
        discount_rate : float, default 0.01
            Monthly discount rate.
        freq : {"D", "W", "M", "H"}, default "D"
            The time unit of ``recency`` and ``T``.

        Returns
        -------
        Series (DataFrame ``X``, named ``clv``, on its index) or ndarray

        Examples
        --------
        >>> from segwise.clv import BetaGeoModel, GammaGammaModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> data = load_cdnow_summary()
        >>> bg, gg = BetaGeoModel().fit(data), GammaGammaModel().fit(data)
        >>> gg.customer_lifetime_value(bg, data, time=12, freq="W").head(2).round(2).tolist()
        [36.27, 4.64]
        """
        params = validate_params(
            {"transaction_model": transaction_model, "freq": freq},
            _CLV_PARAMS,
            caller="customer_lifetime_value",
        )
        if not isinstance(time, int | np.integer) or isinstance(time, bool) or time < 1:
            raise InvalidParameterError(f"time must be a whole number of months >= 1, got {time!r}")
        if not np.isfinite(discount_rate) or discount_rate <= -1:
            raise InvalidParameterError(f"discount_rate must be > -1, got {discount_rate!r}")
        spend = self.conditional_expected_average_profit(_spend_frame(X))
        h = check_histories(X, spend=True, spend_required=True)
        model = params["transaction_model"]
        out = _core.clv_customer_lifetime_value(
            h.frequency,
            h.recency,
            h.T,
            np.ascontiguousarray(np.asarray(spend, dtype=float)),
            model=model._core_name,
            params=model._fitted_params(),
            months=int(time),
            month_length=MONTH_LENGTH[params["freq"]],
            discount_rate=float(discount_rate),
        )
        return h.wrap(out, "clv")


def _spend_frame(X: Any) -> Any:
    """``X`` as accepted by :func:`_spend_columns` (a 4-column array -> its 1st and 4th)."""
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim == 2 and arr.shape[1] == 4:
        return arr[:, [0, 3]]
    return X


def _spend_columns(X: Any, positive: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(frequency, monetary_value) as float64; the full history is checked when given."""
    if isinstance(X, pd.DataFrame):
        if {"recency", "T"} <= set(X.columns):
            h = check_histories(X, spend=True, spend_required=positive)
            assert h.monetary_value is not None
            if not positive:
                report_rows(
                    h.monetary_value < 0, "column 'monetary_value' has negative values", h.index
                )
            return h.frequency, h.monetary_value
        missing = [c for c in ("frequency", "monetary_value") if c not in X.columns]
        if missing:
            raise ColumnNotFoundError(
                f"X lacks column(s) {missing}; available: {list(map(str, X.columns))}"
            )
        checked = check_array(X[["frequency", "monetary_value"]], name="X", dtypes=(np.float64,))
    else:
        checked = check_array(X, name="X", dtypes=(np.float64,))
        d = checked.values.shape[1]
        if d == 4:
            h = check_histories(X, spend=True, spend_required=positive)
            assert h.monetary_value is not None
            return h.frequency, h.monetary_value
        if d != 2:
            raise ShapeMismatchError(
                f"X has {d} column(s); the spend model needs (frequency, monetary_value) or "
                "(frequency, recency, T, monetary_value)"
            )
    v = checked.values
    x, m = np.ascontiguousarray(v[:, 0]), np.ascontiguousarray(v[:, 1])
    report_rows(x < 0, "column 'frequency' has negative values", checked.index)
    report_rows(
        x != np.floor(x),
        "column 'frequency' must count repeat purchases (whole numbers)",
        checked.index,
    )
    bad = (x > 0) & (m <= 0) if positive else m < 0
    report_rows(
        bad,
        "monetary_value must be > 0 for repeat buyers (the Gamma-Gamma model needs positive "
        "spend; drop or fix refunds)"
        if positive
        else "column 'monetary_value' has negative values",
        checked.index,
    )
    return x, m
