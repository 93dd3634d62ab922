"""Per-segment A/B lift statistics.

:func:`segment_lift` turns a table of customers (segment, arm, metrics) into a tidy report:
one row per segment x metric x treatment arm plus an overall row, with absolute and
relative lift, confidence intervals, p-values adjusted across the whole report, sample-ratio
mismatch checks and warnings. Internally it is one parallel Rust pass into per (segment,
arm) sufficient statistics (:func:`sufficient_stats`), followed by pure functions of them;
:func:`lift_from_stats` builds the same report from statistics aggregated elsewhere (SQL,
Spark). The low-level tests are available on their own and need no scipy: the normal, t
and chi-square distributions, Fisher's exact test and the Beta–binomial probability are
computed in the Rust core.

Low-level results are frozen dataclasses that unpack to ``(statistic, pvalue)`` (the
exceptions say so: :class:`AdjustedPValues` unpacks to ``(reject, pvalues_adjusted)`` and
:class:`BayesResult` to ``(prob_beat_control, expected_loss)``); those with an interval
have ``conf_int(alpha)``. Arm 1 is the treatment, arm 2 the control.

Examples
--------
>>> from segwise.abtest import proportions_test
>>> z, p = proportions_test(120, 1000, 90, 1000)
>>> round(p, 4)
0.0287
"""

from __future__ import annotations

from ._bayes import BayesResult, prob_beat_control
from ._common import TOSTResult
from ._cuped import CupedResult, cuped_test
from ._heterogeneity import HeterogeneityResult, heterogeneity_test
from ._lift import RelativeLiftResult, relative_lift_ci
from ._means import WelchResult, welch_test, welch_tost
from ._multitest import AdjustedPValues, adjust_pvalues
from ._power import minimum_detectable_effect, sample_size_means, sample_size_proportions
from ._proportion import (
    DiffCIResult,
    ProportionsTestResult,
    RatioCIResult,
    proportions_diff_ci,
    proportions_ratio_ci,
    proportions_test,
    proportions_tost,
)
from ._ratio import RatioMetricResult, ratio_metric_test
from ._report import LiftReport, lift_from_stats, segment_lift, sufficient_stats
from ._srm import SRMResult, srm_test

__all__ = [
    "LiftReport",
    "lift_from_stats",
    "segment_lift",
    "sufficient_stats",
    "AdjustedPValues",
    "BayesResult",
    "CupedResult",
    "DiffCIResult",
    "HeterogeneityResult",
    "ProportionsTestResult",
    "RatioCIResult",
    "RatioMetricResult",
    "RelativeLiftResult",
    "SRMResult",
    "TOSTResult",
    "WelchResult",
    "adjust_pvalues",
    "cuped_test",
    "heterogeneity_test",
    "minimum_detectable_effect",
    "prob_beat_control",
    "proportions_diff_ci",
    "proportions_ratio_ci",
    "proportions_test",
    "proportions_tost",
    "ratio_metric_test",
    "relative_lift_ci",
    "sample_size_means",
    "sample_size_proportions",
    "srm_test",
    "welch_test",
    "welch_tost",
]
