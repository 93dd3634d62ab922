"""Relative lift (treatment / control - 1) and its interval: delta method or Fieller.

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats.inference import (
    PROBABILITY,
    critical_value,
    pvalue_from_stat,
    welch_moments,
)
from .._validation import Constraints, Interval, StrOptions, power_of_two_scale, validate_params

LIFT_METHODS = ("delta", "log", "fieller")
_PARAMS: Constraints = {
    "mean1": [Interval(Real, None, None, closed="neither")],
    "var1": [Interval(Real, 0, None, closed="left")],
    "nobs1": [Interval(Real, 0, None, closed="neither")],
    "mean2": [Interval(Real, None, None, closed="neither")],
    "var2": [Interval(Real, 0, None, closed="left")],
    "nobs2": [Interval(Real, 0, None, closed="neither")],
    "alpha": [PROBABILITY],
    "method": [StrOptions(LIFT_METHODS)],
    "quantile": [StrOptions(["t", "normal"])],
}


def _lift_arrays(
    m1: Any,
    s1: Any,
    m2: Any,
    s2: Any,
    alpha: Any,
    method: str,
    cov: Any = 0.0,
    df: Any = None,
    z: Any = None,
) -> tuple[Any, Any, Any, Any, Any]:
    """Relative lift ``m1 / m2 - 1`` from means and their standard errors ``s1``, ``s2``
    (and ``cov = Cov(m1, m2)``). Returns (lift, se, low, high, reason) arrays; ``reason`` is
    "" or why no value is given.

    The quantile is the normal one (``df`` None) or Student's t with ``df`` degrees of
    freedom (Welch's for a t-tested metric, as GrowthBook does): the quantile of the row's
    own test, so Fieller's interval excludes 0 exactly when that test rejects at ``alpha``
    (``alpha`` may be an array: one level per row). ``z``: that quantile, when the caller
    already has it (the t quantiles cost more than the rest)."""
    m1, s1, m2, s2, cov = np.broadcast_arrays(
        *(np.asarray(a, float) for a in (m1, s1, m2, s2, cov))
    )
    # The lift and its interval do not depend on the unit: means and standard errors are
    # divided by a power of two (exact) so that squares and products neither overflow nor
    # underflow.
    largest = np.fmax(np.fmax(np.abs(m1), np.abs(m2)), np.fmax(np.abs(s1), np.abs(s2)))
    unit = power_of_two_scale(largest)
    m1, s1, m2, s2, cov = m1 / unit, s1 / unit, m2 / unit, s2 / unit, cov / unit / unit
    level = np.asarray(alpha, dtype=np.float64)
    if z is not None:
        z = np.asarray(z, dtype=np.float64)
    elif df is None:
        z = np.asarray(critical_value(level), dtype=np.float64)
    else:
        # A t test without a finite df (zero variance) has no interval width anyway.
        dfa = np.asarray(df, dtype=np.float64)
        z = np.asarray(critical_value(level, np.where(dfa > 0, dfa, 1.0)), dtype=np.float64)
    reason = np.full(m1.shape, "", dtype=object)
    zero = m2 == 0
    reason[zero] = "control mean is 0: relative lift undefined"
    # over: a log-ratio bound beyond exp's range is an unbounded (inf) interval end.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = m1 / m2
        lift = ratio - 1
        # Delta method, in ratios to the control mean (no fourth power of it):
        # s1^2 / m2^2 + m1^2 s2^2 / m2^4 - 2 m1 cov / m2^3.
        var = (s1 / m2) ** 2 + (ratio * (s2 / m2)) ** 2 - 2 * ratio * (cov / m2) / m2
        se = np.sqrt(np.maximum(var, 0.0))
        if method == "delta":
            low, high = lift - z * se, lift + z * se
        elif method == "log":
            bad = ~((m1 > 0) & (m2 > 0))
            reason[bad & ~zero] = "log method needs positive means in both arms"
            lse = np.sqrt(np.maximum((s1 / m1) ** 2 + (s2 / m2) ** 2 - 2 * cov / m1 / m2, 0))
            lr = np.log(np.where(bad, 1.0, ratio))
            low, high = np.exp(lr - z * lse) - 1, np.exp(lr + z * lse) - 1
        else:  # fieller
            qa = m2**2 - z * z * s2**2
            qb = m1 * m2 - z * z * cov
            qc = m1**2 - z * z * s1**2
            disc = qb * qb - qa * qc
            unb = (qa <= 0) | (disc < 0)
            reason[unb & ~zero] = (
                "Fieller interval unbounded (control mean not significantly different from 0)"
            )
            root = np.sqrt(np.maximum(disc, 0.0))
            low = (qb - root) / qa - 1
            high = (qb + root) / qa - 1
            low = np.where(unb, np.nan, low)
            high = np.where(unb, np.nan, high)
    bad = reason != ""
    lift = np.where(zero, np.nan, lift)
    se = np.where(zero, np.nan, se)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    return lift, se, low, high, reason


@dataclass(frozen=True)
class RelativeLiftResult(Unpacks):
    """Relative lift ``mean1 / mean2 - 1``. Unpacks to ``(statistic, pvalue)`` where
    ``statistic = lift / stderr`` (delta method; a t statistic with Welch's ``df``, or a z
    statistic when ``df`` is None). ``lift`` is None with a ``reason`` when the control
    mean is 0.

    Examples
    --------
    >>> from segwise.abtest import relative_lift_ci
    >>> r = relative_lift_ci(0.12, 0.12 * 0.88, 1000, 0.10, 0.10 * 0.90, 1000)
    >>> round(r.lift, 4)
    0.2
    """

    statistic: float
    pvalue: float
    lift: float | None
    stderr: float
    low: float
    high: float
    method: str
    reason: str
    moments: tuple[float, float, float, float, float, float] = field(repr=False)
    df: float | None = None

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval at level ``1 - alpha`` with the same method (NaN when undefined)."""
        quantile = "normal" if self.df is None else "t"
        r = relative_lift_ci(*self.moments, alpha=alpha, method=self.method, quantile=quantile)
        return r.low, r.high


def relative_lift_ci(
    mean1: float,
    var1: float,
    nobs1: float,
    mean2: float,
    var2: float,
    nobs2: float,
    *,
    alpha: float = 0.05,
    method: str = "delta",
    quantile: str = "t",
) -> RelativeLiftResult:
    """Confidence interval for the relative lift ``mean1 / mean2 - 1`` of independent arms.

    Parameters
    ----------
    mean1, var1, nobs1 : float
        Treatment mean, variance (ddof=1) and size. For a proportion, ``var = p (1 - p)``.
    mean2, var2, nobs2 : float
        Control arm.
    alpha : float, default 0.05
    method : {"delta", "log", "fieller"}
        Delta method on the ratio (default); Katz log-ratio (delta method on
        ``log(mean1 / mean2)``, needs positive means); Fieller's exact interval for a ratio
        of normal means (no value when the control mean is not significantly non-zero).
    quantile : {"t", "normal"}, default "t"
        Student's t with the Welch–Satterthwaite degrees of freedom of the two arms (as
        GrowthBook's frequentist engine, and as :func:`welch_test`), or the normal
        quantile. With "t", Fieller's interval excludes 0 exactly when Welch's test
        rejects at ``alpha``.

    Returns
    -------
    RelativeLiftResult
        ``lift`` is None and ``reason`` says why when the control mean is 0.

    Examples
    --------
    >>> from segwise.abtest import relative_lift_ci
    >>> r = relative_lift_ci(1.0, 4.0, 100, 0.0, 1.0, 100)
    >>> r.lift is None, r.reason
    (True, 'control mean is 0: relative lift undefined')
    """
    params = validate_params(locals(), _PARAMS, caller="relative_lift_ci")
    alpha, method = params["alpha"], params["method"]
    mean1, var1, nobs1 = params["mean1"], params["var1"], params["nobs1"]
    mean2, var2, nobs2 = params["mean2"], params["var2"], params["nobs2"]
    s1 = math.sqrt(var1) / math.sqrt(nobs1)
    s2 = math.sqrt(var2) / math.sqrt(nobs2)
    df = None
    if params["quantile"] == "t":
        # Welch's df does not depend on the unit: variances divided by a power of two
        # (exact) so that their squares neither overflow nor underflow
        unit = power_of_two_scale(max(var1, var2))
        df = float(welch_moments(0.0, var1 / unit, nobs1, 0.0, var2 / unit, nobs2)[2])
        df = df if math.isfinite(df) else None
    lift, se, low, high, reason = _lift_arrays(mean1, s1, mean2, s2, alpha, method, df=df)
    lift_f = float(lift)
    se_f = float(se)
    stat = lift_f / se_f if se_f > 0 else math.nan
    p = float(pvalue_from_stat(stat, "two-sided", df)) if math.isfinite(stat) else math.nan
    return RelativeLiftResult(
        stat,
        p,
        None if math.isnan(lift_f) else lift_f,
        se_f,
        float(low),
        float(high),
        method,
        str(reason),
        (mean1, var1, nobs1, mean2, var2, nobs2),
        df,
    )
