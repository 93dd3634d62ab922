"""Planning: sample sizes and minimum detectable effects (statsmodels' ``power``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from typing import Any

from .._stats import distributions
from .._stats.inference import (
    check_alpha,
)
from .._validation import check_choice, check_float
from ..exceptions import InvalidParameterError


def _power_z(alpha: float, power: float, alternative: str) -> tuple[float, float]:
    alpha = check_alpha(alpha)
    power = check_float(
        power, "power", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    check_choice(alternative, "alternative", ("two-sided", "one-sided"))
    za = float(distributions.norm_isf(alpha / 2 if alternative == "two-sided" else alpha))
    zb = float(distributions.norm_isf(1 - power))
    return za, zb


def _prob(p: Any, name: str) -> float:
    return check_float(p, name, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def sample_size_proportions(
    p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8, alternative: str = "two-sided"
) -> float:
    """Units per arm to detect ``p1`` vs ``p2`` (Fleiss' formula, = R ``power.prop.test``).

    ``n = (z_a sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2``, not rounded
    (round up yourself).

    Examples
    --------
    >>> from segwise.abtest import sample_size_proportions
    >>> round(sample_size_proportions(0.5, 0.75, power=0.9), 3)
    76.707
    """
    p1, p2 = _prob(p1, "p1"), _prob(p2, "p2")
    if p1 == p2:
        raise InvalidParameterError("p1 and p2 must differ")
    za, zb = _power_z(alpha, power, alternative)
    pbar = (p1 + p2) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return num * num / (p1 - p2) ** 2


def sample_size_means(
    delta: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> float:
    """Units per arm to detect a mean difference ``delta`` with standard deviation ``sd``.

    Normal approximation ``n = 2 (z_a + z_b)^2 sd^2 / delta^2`` (not rounded).

    Examples
    --------
    >>> from segwise.abtest import sample_size_means
    >>> round(sample_size_means(0.5, 1.0), 2)
    62.79
    """
    delta = check_float(delta, "delta")
    sd = check_float(sd, "sd", low=0.0, low_inclusive=False)
    if delta == 0:
        raise InvalidParameterError("delta must be non-zero")
    za, zb = _power_z(alpha, power, alternative)
    return 2 * (za + zb) ** 2 * sd * sd / (delta * delta)


def minimum_detectable_effect(
    nobs: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> float:
    """Smallest absolute effect detectable with ``nobs`` units per arm.

    Give ``sd`` for a mean (closed form, inverse of :func:`sample_size_means`) or
    ``baseline`` for a proportion (the increase ``p2 - baseline`` for which
    :func:`sample_size_proportions` gives ``nobs``; solved by bisection).

    Examples
    --------
    >>> from segwise.abtest import minimum_detectable_effect, sample_size_proportions
    >>> mde = minimum_detectable_effect(1000, baseline=0.1)
    >>> round(sample_size_proportions(0.1, 0.1 + mde), 6)
    1000.0
    """
    nobs = check_float(nobs, "nobs", low=0.0, low_inclusive=False)
    if (baseline is None) == (sd is None):
        raise InvalidParameterError("give exactly one of baseline (proportion) or sd (mean)")
    za, zb = _power_z(alpha, power, alternative)
    if sd is not None:
        sd = check_float(sd, "sd", low=0.0, low_inclusive=False)
        return (za + zb) * sd * math.sqrt(2 / nobs)
    p1 = _prob(baseline, "baseline")
    lo, hi = 0.0, 1 - p1
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:
            break
        n = (
            sample_size_proportions(p1, p1 + mid, alpha=alpha, power=power, alternative=alternative)
            if mid > 0
            else math.inf
        )
        if n > nobs:
            lo = mid
        else:
            hi = mid
    return hi
