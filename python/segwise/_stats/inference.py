"""Inference helpers shared by every feature that tests hypotheses (abtest, profile, ...).

p-values and critical values of z and t statistics, Welch's moments and the multiple-testing
adjustment of a vector of p-values. The distributions themselves are computed in the Rust
core (:mod:`segwise._stats.distributions`, mirroring ``src/core/stats``); scipy is not needed.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .._validation import Constraints, Interval, StrOptions, validate_params
from . import distributions

ALTERNATIVES = ("two-sided", "larger", "smaller")
#: Multiple-testing corrections (statsmodels' ``multipletests`` names in brackets): Benjamini-
#: Hochberg ("fdr_bh"), Benjamini-Yekutieli ("fdr_by"), Holm ("holm"), Hochberg
#: ("simes-hochberg"), Hommel ("hommel"), Bonferroni ("bonferroni"), Sidak ("sidak").
P_ADJUST_METHODS = ("bh", "by", "holm", "hochberg", "hommel", "bonferroni", "sidak")
#: Their names in words, for summaries and plots.
P_ADJUST_NAMES = {
    "bh": "Benjamini-Hochberg",
    "by": "Benjamini-Yekutieli",
    "holm": "Holm",
    "hochberg": "Hochberg",
    "hommel": "Hommel",
    "bonferroni": "Bonferroni",
    "sidak": "Sidak",
}
# Constraint-table entries (segwise._validation.validate_params) every test shares.
PROBABILITY = Interval(Real, 0, 1, closed="neither")  # alpha, power, thresholds
ALTERNATIVE = StrOptions(ALTERNATIVES)


#: The constraint table of a result's interval methods (``conf_int(alpha)``...).
ALPHA_PARAMS: Constraints = {"alpha": [PROBABILITY]}


def check_alpha(alpha: Any, caller: str) -> float:
    """``alpha`` checked by :data:`ALPHA_PARAMS` (the open interval (0, 1)); errors name
    ``caller``, the method that received it."""
    return float(validate_params({"alpha": alpha}, ALPHA_PARAMS, caller=caller)["alpha"])


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


def critical_value(alpha: Any, df: Any = None) -> Any:
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
    """Adjusted p-values; NaN entries count in the family (as p = 1) and stay NaN.

    The definitions of statsmodels' ``multipletests`` (and R's ``p.adjust``): every
    adjusted p-value is ``min(1, ...)`` and non-decreasing in the raw p-value.
    """
    nan = np.isnan(p)
    q = np.where(nan, 1.0, np.asarray(p, dtype=float))
    m = q.size
    if m == 0:
        return q
    order = np.argsort(q, kind="stable")
    s = q[order]
    rank = np.arange(1, m + 1, dtype=float)
    if method == "bonferroni":
        out = s * m
    elif method == "sidak":
        with np.errstate(divide="ignore"):  # p = 1: log1p(-1) = -inf, adjusted 1
            out = -np.expm1(m * np.log1p(-s))
    elif method == "holm":  # step-down: running maximum of (m - i + 1) p_(i)
        out = np.maximum.accumulate(s * (m - rank + 1))
    elif method == "hochberg":  # step-up: running minimum from the largest p
        out = np.minimum.accumulate((s * (m - rank + 1))[::-1])[::-1]
    elif method == "hommel":
        out = _hommel_sorted(s)
    else:  # bh, by: step-up on m p_(i) / i (times sum 1/i for BY)
        factor = m * (np.sum(1.0 / rank) if method == "by" else 1.0)
        out = np.minimum.accumulate((s * factor / rank)[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(out, 1.0)
    adj[nan] = np.nan
    return adj


def _hommel_sorted(s: np.ndarray) -> np.ndarray:
    """Hommel's adjusted p-values of ascending ``s`` (Wright 1992's algorithm, as in
    statsmodels and R): O(m^2) arithmetic, vectorized per subset size."""
    m = s.size
    a = s.copy()
    for j in range(m, 1, -1):
        c = np.min(j * s[m - j :] / np.arange(1, j + 1))
        a[m - j :] = np.maximum(a[m - j :], c)
        a[: m - j] = np.maximum(a[: m - j], np.minimum(j * s[: m - j], c))
    return a


def decision_level(p: np.ndarray, method: str, alpha: float) -> float:
    """The per-comparison level ``alpha*`` at which the correction decides: for every
    entry, ``p <= alpha*`` exactly when its adjusted p-value is ``<= alpha``.

    An interval at level ``1 - alpha*`` that inverts a row's own test therefore excludes
    the null exactly when the corrected decision rejects it. ``alpha*`` is the level each
    procedure compares the raw p-values with:

    - "bonferroni": ``alpha / m``; "sidak": ``1 - (1 - alpha)^(1/m)`` (simultaneous
      intervals: all cover with probability >= 1 - alpha, Sidak under independence).
    - "bh": ``R alpha / m`` and "by": ``R alpha / (m sum_{i<=m} 1/i)`` with ``R`` the number
      of rejections (at least 1): Benjamini & Yekutieli's (2005) false-coverage-rate
      intervals for the selected rows.
    - "holm" and "hochberg": ``alpha / (m - R)`` (``alpha`` when all are rejected), the
      critical value of the step where the procedure stopped; "hommel": ``alpha / j``
      with ``j`` the size of the largest subset Simes' test does not reject (Hommel
      1988). These match the decisions but are not simultaneous intervals.

    NaN p-values count in the family as in :func:`p_adjust`.
    """
    q = np.where(np.isnan(p), 1.0, np.asarray(p, dtype=float))
    m = q.size
    if m == 0:
        return alpha
    rejected = int((p_adjust(q, method) <= alpha).sum())
    if method == "bonferroni":
        return alpha / m
    if method == "sidak":
        return float(-np.expm1(np.log1p(-alpha) / m))
    if method in ("bh", "by"):
        c = float(np.sum(1.0 / np.arange(1, m + 1))) if method == "by" else 1.0
        return max(rejected, 1) * alpha / (m * c)
    if method in ("holm", "hochberg"):
        return alpha if rejected == m else alpha / (m - rejected)
    # hommel: the largest j with p_(m - j + k) > k alpha / j for every k = 1..j.
    s = np.sort(q)
    for j in range(m, 0, -1):
        if (s[m - j :] > np.arange(1, j + 1) * alpha / j).all():
            return alpha / j
    return alpha
