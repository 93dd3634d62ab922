"""Planning: sample sizes and minimum detectable effects (statsmodels' ``power``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from .._stats import distributions
from .._stats.inference import PROBABILITY
from .._validation import Constraints, Interval, StrOptions, validate_params
from ..exceptions import InvalidParameterError

_POSITIVE = Interval(Real, 0, None, closed="neither")
# alpha, power and the sidedness every planning function takes.
_PLAN_PARAMS: Constraints = {
    "alpha": [PROBABILITY],
    "power": [PROBABILITY],
    "alternative": [StrOptions(["two-sided", "one-sided"])],
}
_PROPORTIONS_PARAMS: Constraints = {"p1": [PROBABILITY], "p2": [PROBABILITY], **_PLAN_PARAMS}
_MEANS_PARAMS: Constraints = {
    "delta": [Interval(Real, None, None, closed="neither")],
    "sd": [_POSITIVE],
    **_PLAN_PARAMS,
}
_MDE_PARAMS: Constraints = {
    "nobs": [_POSITIVE],
    "baseline": [None, PROBABILITY],
    "sd": [None, _POSITIVE],
    **_PLAN_PARAMS,
}


def _power_z(params: dict[str, Any]) -> tuple[float, float]:
    """Normal quantiles for the validated ``alpha`` (one- or two-sided) and ``power``."""
    alpha = params["alpha"]
    za = float(distributions.norm_isf(alpha / 2 if params["alternative"] == "two-sided" else alpha))
    zb = float(distributions.norm_isf(1 - params["power"]))
    return za, zb


def _n_proportions(p1: float, p2: float, za: float, zb: float) -> float:
    """Fleiss' sample size per arm."""
    pbar = (p1 + p2) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    root = num / abs(p1 - p2)  # a ratio first: no square of a tiny difference to underflow
    return root * root


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
    params = validate_params(locals(), _PROPORTIONS_PARAMS, caller="sample_size_proportions")
    p1, p2 = params["p1"], params["p2"]
    if p1 == p2:
        raise InvalidParameterError("p1 and p2 must differ")
    return _finite_size(_n_proportions(p1, p2, *_power_z(params)), f"p1 - p2 = {p1 - p2:g}")


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
    params = validate_params(locals(), _MEANS_PARAMS, caller="sample_size_means")
    delta, sd = params["delta"], params["sd"]
    if delta == 0:
        raise InvalidParameterError("delta must be non-zero")
    za, zb = _power_z(params)
    root = (za + zb) * (sd / abs(delta))  # a ratio first: no square of a tiny delta
    return _finite_size(2 * root * root, f"delta = {delta:g} with sd = {sd:g}")


def _finite_size(n: float, effect: str) -> float:
    """A sample size, or an error when it exceeds what a float holds (an effect so small
    next to its noise that no experiment detects it)."""
    if not math.isfinite(n):
        raise InvalidParameterError(
            f"the sample size for {effect} exceeds 1.8e308 units per arm: the effect is too "
            "small to detect"
        )
    return n


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
    params = validate_params(locals(), _MDE_PARAMS, caller="minimum_detectable_effect")
    nobs, baseline, sd = params["nobs"], params["baseline"], params["sd"]
    if (baseline is None) == (sd is None):
        raise InvalidParameterError("give exactly one of baseline (proportion) or sd (mean)")
    za, zb = _power_z(params)
    if sd is not None:
        mde = (za + zb) * sd * (math.sqrt(2) / math.sqrt(nobs))
        if not math.isfinite(mde):
            raise InvalidParameterError(
                f"the detectable effect for sd = {sd:g} and nobs = {nobs:g} exceeds 1.8e308"
            )
        return mde
    p1 = baseline
    lo, hi = 0.0, 1 - p1
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:
            break
        n = _n_proportions(p1, p1 + mid, za, zb) if mid > 0 else math.inf
        if n > nobs:
            lo = mid
        else:
            hi = mid
    return hi
