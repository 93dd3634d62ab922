"""Inference helpers shared by every feature that tests hypotheses (abtest, profile, ...).

p-values and critical values of z and t statistics, Welch's moments and the multiple-testing
adjustment of a vector of p-values. The distributions themselves are computed in the Rust
core (:mod:`segwise._stats.distributions`, mirroring ``src/core/stats``); scipy is not needed.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .._validation import Interval, StrOptions, check_float
from . import distributions

ALTERNATIVES = ("two-sided", "larger", "smaller")
P_ADJUST_METHODS = ("bh", "holm", "bonferroni")
# Constraint-table entries (segwise._validation.validate_params) every test shares.
PROBABILITY = Interval(Real, 0, 1, closed="neither")  # alpha, power, thresholds
ALTERNATIVE = StrOptions(ALTERNATIVES)


def check_alpha(alpha: Any) -> float:
    """``alpha`` in the open interval (0, 1)."""
    return check_float(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def pvalue_from_stat(stat: Any, alternative: str, df: Any = None) -> Any:
    """p-value of a z (df None) or t statistic."""
    sf = distributions.norm_sf if df is None else (lambda x: distributions.t_sf(x, df))
    stat = np.asarray(stat, dtype=float)
    if alternative == "two-sided":
        p = 2.0 * sf(np.abs(stat))
    elif alternative == "larger":
        p = sf(stat)
    else:
        p = sf(-stat)
    p = np.minimum(np.asarray(p, dtype=float), 1.0)
    return float(p) if p.ndim == 0 else p


def critical_value(alpha: float, df: Any = None) -> Any:
    """Two-sided critical value: the normal (df None) or t quantile at ``1 - alpha / 2``."""
    return distributions.norm_isf(alpha / 2) if df is None else distributions.t_isf(alpha / 2, df)


def welch_moments(m1: Any, v1: Any, n1: Any, m2: Any, v2: Any, n2: Any) -> tuple[Any, Any, Any]:
    """Welch: (difference, standard error, Welch–Satterthwaite df)."""
    m1, v1, n1, m2, v2, n2 = (np.asarray(a, float) for a in (m1, v1, n1, m2, v2, n2))
    a1, a2 = v1 / n1, v2 / n2
    se2 = a1 + a2
    with np.errstate(divide="ignore", invalid="ignore"):
        # Scaled so that tiny variances do not underflow to 0/0.
        scale = np.maximum(a1, a2)
        r1, r2 = a1 / scale, a2 / scale
        df = (r1 + r2) ** 2 / (r1 * r1 / (n1 - 1) + r2 * r2 / (n2 - 1))
    return m1 - m2, np.sqrt(se2), df


def p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values; NaN entries count in the family (as p = 1) and stay NaN."""
    nan = np.isnan(p)
    q = np.where(nan, 1.0, p)
    m = q.size
    if m == 0:
        return q
    if method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "holm":
        order = np.argsort(q, kind="stable")
        s = q[order] * (m - np.arange(m, dtype=float))
        s = np.minimum(np.maximum.accumulate(s), 1.0)
        adj = np.empty(m)
        adj[order] = s
    else:  # bh
        order = np.argsort(q, kind="stable")
        s = q[order] * m / np.arange(1, m + 1, dtype=float)
        s = np.minimum(np.minimum.accumulate(s[::-1])[::-1], 1.0)
        adj = np.empty(m)
        adj[order] = s
    adj[nan] = np.nan
    return adj
