"""Multiple-testing adjustment of a family of p-values (statsmodels' ``multitest``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._results import Unpacks
from .._stats.inference import P_ADJUST_METHODS, PROBABILITY, p_adjust
from .._validation import Constraints, StrOptions, validate_params
from ..exceptions import InvalidParameterError, ShapeMismatchError


@dataclass(frozen=True)
class AdjustedPValues(Unpacks):
    """Multiple-testing adjustment. Unpacks to ``(reject, pvalues_adjusted)`` like
    statsmodels' ``multipletests`` (there is no single statistic, hence no ``conf_int``).

    Examples
    --------
    >>> from segwise.abtest import adjust_pvalues
    >>> reject, adj = adjust_pvalues([0.01, 0.04, 0.03, float("nan")])
    >>> adj.round(4).tolist()
    [0.04, 0.0533, 0.0533, nan]
    """

    _unpack: ClassVar[tuple[str, ...]] = ("reject", "pvalues_adjusted")

    reject: np.ndarray
    pvalues_adjusted: np.ndarray
    method: str
    alpha: float


_PARAMS: Constraints = {"method": [StrOptions(P_ADJUST_METHODS)], "alpha": [PROBABILITY]}


def adjust_pvalues(pvalues: Any, *, method: str = "bh", alpha: float = 0.05) -> AdjustedPValues:
    """Adjust p-values for multiple testing (segments x metrics x arms).

    Parameters
    ----------
    pvalues : array-like of float
        NaN is allowed: it stays NaN but counts in the family size (a test that could not
        be computed still was one of the comparisons looked at).
    method : {"bh", "holm", "bonferroni"}
        Benjamini–Hochberg false discovery rate (default), Holm's step-down, Bonferroni.
    alpha : float, default 0.05
        ``reject`` is ``adjusted <= alpha`` (ties at alpha reject).

    Returns
    -------
    AdjustedPValues

    Examples
    --------
    >>> from segwise.abtest import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.02, 0.03], method="holm").reject.tolist()
    [True, True, True]
    """
    params = validate_params(locals(), _PARAMS, caller="adjust_pvalues")
    method, alpha = params["method"], params["alpha"]
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ShapeMismatchError(f"pvalues must be 1D, got shape {p.shape}")
    ok = p[~np.isnan(p)]
    if ((ok < 0) | (ok > 1)).any():
        raise InvalidParameterError("pvalues must lie in [0, 1] (NaN allowed)")
    adj = p_adjust(p, method)
    reject = np.where(np.isnan(adj), False, adj <= alpha)
    return AdjustedPValues(reject, adj, method, alpha)
