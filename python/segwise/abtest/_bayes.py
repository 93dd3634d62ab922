"""Bayesian comparison of two proportions: Beta-binomial probability to beat control and
expected loss.

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._results import Unpacks
from .._validation import Constraints, Interval, Pair, validate_params
from ..exceptions import InvalidParameterError
from ._common import _counts


@dataclass(frozen=True)
class BayesResult(Unpacks):
    """Beta–binomial comparison. Unpacks to ``(prob_beat_control, expected_loss)``.

    ``expected_loss`` is ``E[max(p_control - p_treatment, 0)]``: what shipping the
    treatment costs in conversion rate if it is in fact worse.

    Examples
    --------
    >>> from segwise.abtest import prob_beat_control
    >>> r = prob_beat_control(120, 1000, 100, 1000)
    >>> round(r.prob_beat_control, 4)
    0.9232
    """

    _unpack: ClassVar[tuple[str, ...]] = ("prob_beat_control", "expected_loss")

    prob_beat_control: float
    expected_loss: float
    expected_loss_control: float


def _prob_b_beats_a(aa: Any, ba: Any, ab: Any, bb: Any) -> np.ndarray:
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (aa, ba, ab, bb)))
    return _core.abtest_prob_b_beats_a(*(np.ascontiguousarray(a.ravel()) for a in arrs))


# The exact sum runs over successes + prior alpha (+1 for the losses): bounded so that a
# call answers in about a second instead of running for hours.
_MAX_ALPHA = _core.ABTEST_MAX_BETA_TERMS - 1

_PARAMS: Constraints = {
    "prior": [
        Pair(
            Interval(Real, 1, _MAX_ALPHA, closed="both"),
            Interval(Real, 0, None, closed="neither"),
        )
    ]
}


def prob_beat_control(
    count1: int, nobs1: int, count2: int, nobs2: int, *, prior: tuple[int, int] = (1, 1)
) -> BayesResult:
    """Exact ``P(p_treatment > p_control)`` under independent Beta–binomial posteriors.

    Deterministic closed form (Evan Miller), no Monte Carlo; the expected losses follow
    from the same sum with shifted parameters (Chris Stucchio's identity).

    Parameters
    ----------
    count1, nobs1 : int
        Treatment successes and trials.
    count2, nobs2 : int
        Control arm.
    prior : (int, int), default (1, 1)
        Beta prior ``(alpha, beta)`` for both arms; ``alpha`` must be an integer (the sum
        runs over it).

    Returns
    -------
    BayesResult

    Examples
    --------
    >>> from segwise.abtest import prob_beat_control
    >>> round(prob_beat_control(10, 20, 10, 20).prob_beat_control, 12)
    0.5
    """
    a0, b0 = validate_params(locals(), _PARAMS, caller="prob_beat_control")["prior"]
    if not a0.is_integer():  # the closed form sums over alpha
        raise InvalidParameterError(f"prior must be (integer alpha >= 1, beta > 0), got {prior!r}")
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    if max(x1, x2) + a0 > _MAX_ALPHA:
        raise InvalidParameterError(
            f"prob_beat_control sums successes + prior alpha terms exactly: "
            f"{max(x1, x2) + a0:.6g} terms exceed the supported {_MAX_ALPHA:,}; with this "
            "many successes use a frequentist test (segwise.abtest.proportions_test)"
        )
    aa, ba = x2 + a0, n2 - x2 + b0  # control A
    ab, bb = x1 + a0, n1 - x1 + b0  # treatment B
    # h(first, second) = P(second > first); primes are alpha + 1. Each probability is its
    # own positive sum (never 1 - p), so small losses keep their relative precision.
    p = _prob_b_beats_a(
        [aa, ab, ab + 1, aa, aa + 1],
        [ba, bb, bb, ba, ba],
        [ab, aa + 1, aa, ab + 1, ab],
        [bb, ba, ba, bb, bb],
    )
    mean_a, mean_b = aa / (aa + ba), ab / (ab + bb)
    # E[max(pA - pB, 0)] = E[pA] P(A' > B) - E[pB] P(A > B'), and symmetrically.
    loss_b = mean_a * p[1] - mean_b * p[2]
    loss_a = mean_b * p[3] - mean_a * p[4]
    return BayesResult(float(p[0]), max(float(loss_b), 0.0), max(float(loss_a), 0.0))
