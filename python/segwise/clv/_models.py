"""Buy-till-you-die purchase models fitted by maximum likelihood in the Rust core:
BG/NBD, Pareto/NBD and MBG/NBD, with lifetimes' prediction names."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import _core
from .._base import BaseEstimator
from .._results import ResultMixin, Summary, Table, fmt_count
from .._stats.distributions import norm_ppf
from .._validation import ITERATIONS, Constraints, Interval, check_fitted, check_sample_weight
from ..exceptions import InvalidParameterError, _convergence_warning
from ._data import Histories, check_histories, check_horizon

__all__ = [
    "BetaGeoModel",
    "ModelSummary",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
]

_STATUS = {
    "converged": "converged",
    "max_iter": "stopped at max_iter before the gradient fell below tol",
    "line_search_failed": "the line search found no lower value before the gradient fell below tol",
    "flat": "the log-likelihood stopped improving before the gradient fell below tol (a flat "
    "ridge, or parameters running off to infinity together)",
}


@dataclass(frozen=True, repr=False)
class ModelSummary(ResultMixin):
    """The estimates of a fitted CLV model with standard errors and 95% intervals.

    Attributes
    ----------
    model : str
        The model's name.
    table : DataFrame
        One row per parameter: ``coef``, ``se(coef)`` (from the observed information),
        ``lower 95% bound``, ``upper 95% bound`` (Wald intervals, as lifetimes).
    log_likelihood : float
        Total log-likelihood over the customers.
    n_customers : float
        Customers (total weight) the model was fitted on.
    n_iter : int
        Optimiser iterations.
    converged : bool
        Whether the optimiser met its tolerance.
    message : str
        How the optimiser ended.

    Examples
    --------
    >>> from segwise.clv import BetaGeoModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> s = BetaGeoModel().fit(load_cdnow_summary()).summary()
    >>> s.table["coef"].round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    """

    model: str
    table: pd.DataFrame
    log_likelihood: float
    n_customers: float
    n_iter: int
    converged: bool
    message: str

    def _summary(self) -> Summary:
        return Summary(
            f"{self.model}: maximum likelihood on {fmt_count(self.n_customers)} customers",
            lines=[
                f"log-likelihood {self.log_likelihood:.6g}; {self.n_iter} iterations, "
                f"{self.message}"
            ],
            tables=[Table(self.table, float_format="{:.4g}")],
            warnings=[] if self.converged else [f"not converged: {self.message}"],
        )


class _MaximumLikelihoodModel(BaseEstimator):
    """What every segwise.clv model shares: the optimiser settings, the record of a fit
    (``params_``, ``standard_errors_``, ``covariance_``, ``log_likelihood_``, ``n_iter_``,
    ``converged_``), the convergence warning and :meth:`summary`."""

    _param_names_model: ClassVar[tuple[str, ...]] = ()
    _model_label: ClassVar[str] = ""

    _parameter_constraints: Constraints = {
        "penalizer_coef": [Interval(Real, 0, None, closed="left")],
        "max_iter": [ITERATIONS],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "initial_params": [None, "array-like"],
    }

    def __init__(
        self,
        penalizer_coef: float = 0.0,
        max_iter: int = 1000,
        tol: float = 1e-7,
        initial_params: Any = None,
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter
        self.tol = tol
        self.initial_params = initial_params

    def _initial(self) -> list[float] | None:
        if self.initial_params is None:
            return None
        init = np.asarray(self.initial_params, dtype=float).ravel()
        k = len(self._param_names_model)
        if init.shape != (k,) or not np.all(np.isfinite(init)) or np.any(init <= 0):
            raise InvalidParameterError(
                f"{type(self).__name__}: initial_params must be {k} positive numbers "
                f"{self._param_names_model}, got {self.initial_params!r}"
            )
        return [float(v) for v in init]

    def _record(self, out: tuple[Any, ...]) -> None:
        params, ll, n_iter, status, grad_norm, at_bound, hessian, covariance, n_customers = out
        names = list(self._param_names_model)
        self.params_ = pd.Series(params, index=names, name="coef")
        self.covariance_ = pd.DataFrame(covariance, index=names, columns=names)
        self.observed_information_ = pd.DataFrame(hessian, index=names, columns=names)
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(covariance))
        self.standard_errors_ = pd.Series(se, index=names, name="se(coef)")
        self.log_likelihood_ = float(ll)
        self.n_iter_ = int(n_iter)
        self.converged_ = status == "converged" and not any(at_bound)
        self.n_customers_ = float(n_customers)
        self._status = _STATUS.get(status, status)
        self._grad_norm = float(grad_norm)
        who = type(self).__name__
        if status != "converged":
            warnings.warn(
                f"{who} did not converge: {self._status} (largest gradient entry "
                f"{grad_norm:.2g} > tol={self.tol}, {n_iter} iterations). The estimates may "
                "be off: try a small penalizer_coef (e.g. 0.001), a larger max_iter, or a "
                "coarser time unit (weeks instead of days).",
                _convergence_warning(),
                stacklevel=3,
            )
        bounded = [n for n, b in zip(names, at_bound, strict=True) if b]
        if bounded:
            values = ", ".join(f"{n}={self.params_[n]:.3g}" for n in bounded)
            warnings.warn(
                f"{who}: {values} ran to the edge of the search range: these data do not "
                "pin the parameter down (too few repeat buyers, or a model that does not "
                "fit them). Add a penalizer_coef or try another model.",
                _convergence_warning(),
                stacklevel=3,
            )
        if status == "converged" and not np.all(np.isfinite(se)):
            # (after a non-converged fit the warning above already says the point is off)
            warnings.warn(
                f"{who}: the observed information is not positive definite at the "
                "estimates, so standard errors are NaN (a flat or degenerate likelihood).",
                _convergence_warning(),
                stacklevel=3,
            )

    def summary(self) -> ModelSummary:
        """The estimates with standard errors and 95% Wald intervals, the log-likelihood
        and the convergence report.

        Returns
        -------
        ModelSummary

        Examples
        --------
        >>> from segwise.clv import BetaGeoModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> model = BetaGeoModel().fit(load_cdnow_summary())
        >>> print(model.summary().summary())  # doctest: +ELLIPSIS
        BG/NBD: maximum likelihood on 2,357 customers
        log-likelihood -9582.43; ... iterations, converged
        ...
        """
        check_fitted(self, "params_")
        z = norm_ppf(0.975)
        se = self.standard_errors_
        table = pd.DataFrame(
            {
                "coef": self.params_,
                "se(coef)": se,
                "lower 95% bound": self.params_ - z * se,
                "upper 95% bound": self.params_ + z * se,
            }
        )
        table.index.name = "parameter"
        return ModelSummary(
            model=self._model_label,
            table=table,
            log_likelihood=self.log_likelihood_,
            n_customers=self.n_customers_,
            n_iter=self.n_iter_,
            converged=self.converged_,
            message=self._status,
        )

    def _fitted_params(self) -> list[float]:
        check_fitted(self, "params_")
        return [float(v) for v in self.params_.to_numpy()]


class _PurchaseModel(_MaximumLikelihoodModel):
    """A model of repeat purchases and dropout fitted on (frequency, recency, T)."""

    _core_name: ClassVar[str] = ""

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> _PurchaseModel:
        """Fit the model by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            ``frequency`` (repeat purchases), ``recency`` (time from the first to the last
            purchase) and ``T`` (time from the first purchase to the end of observation),
            in one time unit: the output of ``rfm_table(..., convention="btyd")``, or an
            array with the three columns in that order.
        y : ignored
        sample_weight : array-like of shape (n_customers,), optional
            Customers each row stands for (lifetimes' ``weights``).

        Returns
        -------
        self
        """
        self._validate_params()
        init = self._initial()
        h = check_histories(X)
        w = check_sample_weight(sample_weight, len(h))
        if not np.any(h.frequency > 0):
            raise InvalidParameterError(
                f"{type(self).__name__}: no customer made a repeat purchase (every "
                f"frequency is 0 among {len(h):,}); the purchase rate cannot be estimated"
            )
        out = _core.clv_fit(
            h.frequency,
            h.recency,
            h.T,
            model=self._core_name,
            sample_weight=w,
            penalizer=float(self.penalizer_coef),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            initial_params=init,
        )
        self.n_features_in_ = 3
        self._record(out)
        return self

    def _histories(self, X: Any) -> Histories:
        check_fitted(self, "params_")
        return check_histories(X)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Any:
        """Expected repeat purchases in ``(0, t]`` of a new customer (lifetimes' name).

        Parameters
        ----------
        t : float or array-like
            Horizon(s), in the time unit of the data.

        Returns
        -------
        float or ndarray (a Series for a Series ``t``)

        Examples
        --------
        >>> from segwise.clv import BetaGeoModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> m = BetaGeoModel().fit(load_cdnow_summary())
        >>> round(float(m.expected_number_of_purchases_up_to_time(52)), 3)
        1.444
        """
        params = self._fitted_params()
        scalar = np.ndim(t) == 0
        values = np.atleast_1d(np.asarray(t, dtype=float)).ravel()
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise InvalidParameterError(f"t must be finite and >= 0, got {t!r}")
        out = _core.clv_expected_purchases(
            np.ascontiguousarray(values), model=self._core_name, params=params
        )
        if scalar:
            return float(out[0])
        if isinstance(t, pd.Series):
            return pd.Series(out, index=t.index, name="expected_purchases")
        return out

    def _per_customer(self, X: Any, quantity: str, t: float, name: str) -> Any:
        h = self._histories(X)
        out = _core.clv_predict(
            h.frequency,
            h.recency,
            h.T,
            model=self._core_name,
            params=self._fitted_params(),
            quantity=quantity,
            t=t,
        )
        return h.wrap(out, name)

    def conditional_expected_number_of_purchases_up_to_time(self, t: Any, X: Any) -> Any:
        """Expected repeat purchases in the next ``t`` of each customer, given its history
        (lifetimes' name; lifetimes' ``(t, frequency, recency, T)`` is ``(t, X)`` here).

        Parameters
        ----------
        t : float
            Horizon, in the time unit of the data.
        X : DataFrame or array of shape (n_customers, 3)
            Customer histories, as in :meth:`fit`.

        Returns
        -------
        Series (DataFrame ``X``, on its index) or ndarray

        Examples
        --------
        >>> from segwise.clv import BetaGeoModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> data = load_cdnow_summary()
        >>> m = BetaGeoModel().fit(data)
        >>> m.conditional_expected_number_of_purchases_up_to_time(39, data).head(2).round(4)
        ID
        1    1.2260
        2    0.2034
        Name: expected_purchases, dtype: float64
        """
        return self._per_customer(
            X, "conditional_expected_purchases", check_horizon(t), "expected_purchases"
        )

    def predict(self, X: Any, t: float = 1.0) -> Any:
        """:meth:`conditional_expected_number_of_purchases_up_to_time` with ``t`` last (as
        lifetimes' ``predict``, the convention of a scikit-learn ``predict``)."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, X)

    def conditional_probability_alive(self, X: Any) -> Any:
        """Probability that each customer is still active given its history (lifetimes'
        name).

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            Customer histories, as in :meth:`fit`.

        Returns
        -------
        Series (DataFrame ``X``, on its index) or ndarray

        Examples
        --------
        >>> from segwise.clv import BetaGeoModel
        >>> from segwise.datasets import load_cdnow_summary
        >>> data = load_cdnow_summary()
        >>> BetaGeoModel().fit(data).conditional_probability_alive(data).head(2).round(4)
        ID
        1    0.7266
        2    0.2124
        Name: p_alive, dtype: float64
        """
        return self._per_customer(X, "probability_alive", 0.0, "p_alive")


_COMMON_PARAMETERS = """
    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty on the parameters added to the mean negative log-likelihood, as
        lifetimes' ``penalizer_coef`` (time is rescaled so the longest ``T`` is 1 before
        fitting, and the penalty applies to the rescaled parameters, as in lifetimes).
        A small value (0.001 to 0.1) tames degenerate fits.
    max_iter : int, default 1000
        Iterations of the optimiser (BFGS with bounds on the log-parameters; at most
        10,000,000).
    tol : float, default 1e-7
        Converged when every entry of the gradient of the mean negative log-likelihood
        in the log-parameters is below ``tol``.
    initial_params : array-like, optional
        Starting values of the parameters (in the data's time unit); default: all ones in
        rescaled time.

    Attributes
    ----------
    params_ : Series
        The estimates, named as in the paper.
    standard_errors_ : Series
        Standard errors from the observed information (the Hessian of the total negative
        log-likelihood at the estimates).
    covariance_ : DataFrame
        The inverse of the observed information.
    observed_information_ : DataFrame
        The Hessian of the total negative log-likelihood.
    log_likelihood_ : float
        Total log-likelihood over the customers (without the penalty).
    n_iter_ : int
        Optimiser iterations.
    converged_ : bool
        Whether the gradient fell below ``tol`` with no parameter at the edge of the search
        range (otherwise a :class:`~segwise.exceptions.ConvergenceWarning` says what to try).
    n_customers_ : float
        Customers (total weight) fitted.
    n_features_in_ : int
        3 (frequency, recency, T).
"""


class BetaGeoModel(_PurchaseModel):
    __doc__ = (
        """BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way".

    While active, a customer buys at a Poisson rate (gamma(r, alpha) across customers);
    after each purchase she drops out with probability p (beta(a, b) across customers).
    The likelihood is evaluated in log space on the distinct (frequency, recency, T) rows,
    with analytic gradients, and maximised in the Rust core.
    """
        + _COMMON_PARAMETERS
        + """
    Examples
    --------
    >>> from segwise.clv import BetaGeoModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> m = BetaGeoModel().fit(load_cdnow_summary())
    >>> m.params_.round(3).to_dict()
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(m.log_likelihood_, 1)
    -9582.4
    """
    )

    _param_names_model = ("r", "alpha", "a", "b")
    _model_label = "BG/NBD"
    _core_name = "bgnbd"


class ParetoNBDModel(_PurchaseModel):
    __doc__ = (
        """Pareto/NBD: Schmittlein, Morrison & Colombo (1987), in the form of Fader &
    Hardie's note "A note on deriving the Pareto/NBD model and related expressions" (2005).

    While active, a customer buys at a Poisson rate (gamma(r, alpha) across customers)
    and drops out after an exponential lifetime (rate gamma(s, beta) across customers).
    The hypergeometric terms of the likelihood are summed in log space with their
    derivatives, so the fit uses analytic gradients and never overflows.
    """
        + _COMMON_PARAMETERS
        + """
    Notes
    -----
    lifetimes' ``ParetoNBDFitter`` divides its objective by the *mean* weight rather than
    the total, so its ``penalizer_coef`` is on another scale than here (and than its own
    BG/NBD); without a penalty the estimates agree.

    Examples
    --------
    >>> from segwise.clv import ParetoNBDModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> ParetoNBDModel().fit(load_cdnow_summary()).params_.round(2).to_dict()
    {'r': 0.55, 'alpha': 10.58, 's': 0.61, 'beta': 11.67}
    """
    )

    _param_names_model = ("r", "alpha", "s", "beta")
    _model_label = "Pareto/NBD"
    _core_name = "paretonbd"


class ModifiedBetaGeoModel(_PurchaseModel):
    __doc__ = (
        """MBG/NBD: Batislam, Denizel & Filiztekin (2007).

    BG/NBD in which a customer may also drop out right after the first purchase, so a
    customer without repeat purchases is not certainly alive.
    """
        + _COMMON_PARAMETERS
        + """
    Examples
    --------
    >>> from segwise.clv import ModifiedBetaGeoModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> m = ModifiedBetaGeoModel().fit(load_cdnow_summary())
    >>> list(m.params_.index)
    ['r', 'alpha', 'a', 'b']
    """
    )

    _param_names_model = ("r", "alpha", "a", "b")
    _model_label = "MBG/NBD"
    _core_name = "mbgnbd"
