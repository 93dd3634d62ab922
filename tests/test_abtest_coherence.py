"""Intervals that agree with the decisions: multiple-testing corrections (oracle:
statsmodels' multipletests), Koopman's and Mee's score intervals, Fieller's interval with
Welch's df, non-zero nulls and TOST (oracles: statsmodels, scipy, GrowthBook's formula),
and the lift report's property: a row is significant exactly when its drawn interval
excludes the null."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy.optimize import minimize_scalar
from segwise._stats.inference import P_ADJUST_METHODS, decision_level, p_adjust
from segwise.abtest import (
    adjust_pvalues,
    proportions_diff_ci,
    proportions_ratio_ci,
    proportions_test,
    proportions_tost,
    relative_lift_ci,
    segment_lift,
    welch_test,
    welch_tost,
)
from segwise.exceptions import InvalidParameterError
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    tost_proportions_2indep,
)
from statsmodels.stats.proportion import (
    test_proportions_2indep as sm_test_proportions,
)
from statsmodels.stats.weightstats import ttest_ind, ttost_ind

RTOL = 1e-9
STATSMODELS = {
    "bh": "fdr_bh",
    "by": "fdr_by",
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "bonferroni": "bonferroni",
    "sidak": "sidak",
}


# --------------------------------------------------------------------------- corrections


@pytest.mark.parametrize("method", P_ADJUST_METHODS)
def test_p_adjust_matches_statsmodels(method):
    rng = np.random.default_rng(7)
    for size in (1, 2, 5, 30, 200):
        p = np.concatenate([rng.uniform(0, 0.05, size // 2), rng.uniform(0, 1, size - size // 2)])
        p[: min(3, size)] = p[0]  # ties
        rng.shuffle(p)
        reject, adj, _, _ = multipletests(p, alpha=0.05, method=STATSMODELS[method])
        np.testing.assert_allclose(p_adjust(p, method), adj, rtol=1e-12, atol=1e-15)
        r = adjust_pvalues(p, method=method)
        np.testing.assert_array_equal(r.reject, reject)


def test_p_adjust_nan_counts_in_the_family():
    p = np.array([0.01, np.nan, 0.02])
    for method in P_ADJUST_METHODS:
        adj = p_adjust(p, method)
        with np.errstate(divide="ignore"):  # statsmodels' Sidak at p = 1
            _, full, _, _ = multipletests([0.01, 1.0, 0.02], method=STATSMODELS[method])
        assert math.isnan(adj[1])
        np.testing.assert_allclose(adj[[0, 2]], full[[0, 2]], rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    hs.lists(hs.floats(1e-8, 1.0), min_size=1, max_size=40),
    hs.sampled_from(P_ADJUST_METHODS),
    hs.sampled_from([0.01, 0.05, 0.1, 0.2]),
)
def test_decision_level_separates_the_decisions(p, method, alpha):
    p = np.asarray(p)
    level = decision_level(p, method, alpha)
    reject = p_adjust(p, method) <= alpha
    np.testing.assert_array_equal(p <= level, reject)


def test_decision_levels_by_definition():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    m = p.size
    assert decision_level(p, "bonferroni", 0.05) == 0.05 / m
    assert decision_level(p, "sidak", 0.05) == pytest.approx(1 - 0.95 ** (1 / m), rel=1e-12)
    r = int((multipletests(p, 0.05, "fdr_bh")[0]).sum())
    assert decision_level(p, "bh", 0.05) == pytest.approx(r * 0.05 / m)
    r = int((multipletests(p, 0.05, "holm")[0]).sum())
    assert decision_level(p, "holm", 0.05) == pytest.approx(0.05 / (m - r))
    # Nothing rejected: BH decides at alpha / m; everything rejected: Holm at alpha.
    assert decision_level(np.array([0.5, 0.9]), "bh", 0.05) == 0.025
    assert decision_level(np.array([0.001, 0.002]), "holm", 0.05) == 0.05


def test_adjust_pvalues_rejects_unknown_method():
    with pytest.raises(InvalidParameterError, match="method"):
        adjust_pvalues([0.1, 0.2], method="fdr_tsbh")


# --------------------------------------------------------------------------- proportions


@pytest.mark.parametrize(
    "counts",
    [
        (36, 40, 16, 80),
        (120, 1000, 90, 1000),
        (7, 34, 1, 34),
        (0, 20, 5, 25),
        (5, 25, 0, 20),
        (20, 20, 10, 20),
        (1, 100000, 3, 100000),
    ],
)
def test_koopman_matches_statsmodels_score_ratio(counts):
    r = proportions_ratio_ci(*counts, alpha=0.05)
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels at a zero count
        lo, hi = confint_proportions_2indep(
            *counts, compare="ratio", method="score", correction=False, alpha=0.05
        )
    x1, _, x2, _ = counts
    if x1 == 0:
        assert r.low == 0.0
    else:
        assert r.low == pytest.approx(lo, rel=1e-7)
    if x2 == 0:
        assert r.high == math.inf
    else:
        assert r.high == pytest.approx(hi, rel=1e-7)


def test_ratio_log_interval_is_katz():
    r = proportions_ratio_ci(36, 40, 16, 80, method="log")
    se = math.sqrt(1 / 36 - 1 / 40 + 1 / 16 - 1 / 80)
    z = st.norm.isf(0.025)
    np.testing.assert_allclose([r.low, r.high], [4.5 * math.exp(-z * se), 4.5 * math.exp(z * se)])


@settings(max_examples=150, deadline=None)
@given(
    hs.integers(1, 400),
    hs.integers(1, 400),
    hs.data(),
    hs.sampled_from([0.2, 0.05, 0.01, 0.001]),
)
def test_koopman_and_mee_invert_the_pooled_z(n1, n2, data, alpha):
    x1 = data.draw(hs.integers(0, n1))
    x2 = data.draw(hs.integers(0, n2))
    p = proportions_test(x1, n1, x2, n2).pvalue
    ratio = proportions_ratio_ci(x1, n1, x2, n2, alpha=alpha)
    diff = proportions_diff_ci(x1, n1, x2, n2, alpha=alpha, method="mee")
    if abs(p - alpha) < 1e-9:  # on the boundary: the bisection's last bit decides
        return
    assert (not ratio.low <= 1 <= ratio.high) == (p < alpha)
    if 0 < x1 + x2 < n1 + n2:
        assert (not diff.low <= 0 <= diff.high) == (p < alpha)


def test_mee_is_the_uncorrected_score_interval():
    a = proportions_diff_ci(7, 34, 1, 34, method="mee")
    b = proportions_diff_ci(7, 34, 1, 34, method="score", correction=False)
    assert (a.low, a.high) == (b.low, b.high)
    # Fagerland, Lydersen & Laake (2015): 7/34 vs 1/34, Mee 95% interval (0.028, 0.34).
    assert round(a.low, 3) == 0.028 and round(a.high, 2) == 0.34


def _fm_score(x1, n1, x2, n2, d):
    """Farrington-Manning score statistic for p1 - p2 = d, the constrained MLE found by
    numerical maximisation of the likelihood (an oracle independent of the cubic)."""

    def nll(p2):
        p1 = p2 + d
        return -(
            x1 * math.log(p1)
            + (n1 - x1) * math.log(1 - p1)
            + x2 * math.log(p2)
            + (n2 - x2) * math.log(1 - p2)
        )

    lo, hi = max(0.0, -d) + 1e-12, min(1.0, 1 - d) - 1e-12
    q2 = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    q1 = q2 + d
    var = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
    return (x1 / n1 - x2 / n2 - d) / math.sqrt(var)


@pytest.mark.parametrize("alternative", ["larger", "smaller", "two-sided"])
def test_non_zero_null_difference(alternative):
    x1, n1, x2, n2 = 118, 1000, 120, 1000
    r = proportions_test(x1, n1, x2, n2, alternative=alternative, value=-0.02)
    z = _fm_score(x1, n1, x2, n2, -0.02)
    assert r.statistic == pytest.approx(z, rel=1e-6)
    sf = st.norm.sf
    p = {"larger": sf(z), "smaller": sf(-z), "two-sided": 2 * sf(abs(z))}[alternative]
    assert r.pvalue == pytest.approx(p, rel=1e-6)
    # statsmodels' score test agrees where its constrained MLE is right (count2 == nobs2,
    # statsmodels issue #10269); value 0 is the pooled z.
    sm = sm_test_proportions(
        30, 40, 40, 40, value=-0.1, method="score", correction=False, alternative=alternative
    )
    ours = proportions_test(30, 40, 40, 40, value=-0.1, alternative=alternative)
    assert ours.statistic == pytest.approx(sm.statistic, rel=1e-9)
    assert ours.pvalue == pytest.approx(sm.pvalue, rel=1e-9)
    assert proportions_test(x1, n1, x2, n2, value=0.0).statistic == pytest.approx(
        proportions_test(x1, n1, x2, n2).statistic, rel=1e-12
    )


@pytest.mark.parametrize("value", [0.8, 1.0, 1.25])
@pytest.mark.parametrize("alternative", ["larger", "smaller", "two-sided"])
def test_ratio_null_matches_statsmodels(value, alternative):
    args = (118, 1000, 96, 1000)
    r = proportions_test(*args, compare="ratio", value=value, alternative=alternative)
    sm = sm_test_proportions(
        *args,
        value=value,
        compare="ratio",
        method="score",
        correction=False,
        alternative=alternative,
    )
    assert r.statistic == pytest.approx(sm.statistic, rel=1e-9)
    assert r.pvalue == pytest.approx(sm.pvalue, rel=1e-9)
    # At ratio 1 the score test is the pooled z.
    if value == 1.0:
        assert r.statistic == pytest.approx(proportions_test(*args).statistic, rel=1e-12)
    w = proportions_test(*args, compare="ratio", value=value, method="unpooled")
    lr = math.log(118 / 96) - math.log(value)
    assert w.statistic == pytest.approx(lr / math.sqrt(1 / 118 - 1e-3 + 1 / 96 - 1e-3), rel=1e-12)


def test_proportions_tost():
    args = (1210, 10000, 1190, 10000)
    r = proportions_tost(*args, 0.8, 1.25, compare="ratio")
    sm = tost_proportions_2indep(
        *args, 0.8, 1.25, compare="ratio", method="score", correction=False
    )
    assert r.pvalue == pytest.approx(sm.pvalue, rel=1e-9)
    assert r.statistic == pytest.approx(sm.statistic, rel=1e-9)
    d = proportions_tost(*args, -0.02, 0.02)
    lo = proportions_test(*args, alternative="larger", value=-0.02)
    hi = proportions_test(*args, alternative="smaller", value=0.02)
    assert d.pvalue == max(lo.pvalue, hi.pvalue)
    assert (d.pvalue_low, d.pvalue_upp) == (lo.pvalue, hi.pvalue)
    # TOST at alpha <=> the 1 - 2 alpha interval inside the margins.
    for alpha in (0.05, 0.01, 0.0001):
        low, high = d.conf_int(alpha)
        assert (d.pvalue <= alpha) == (-0.02 < low and high < 0.02)
    with pytest.raises(InvalidParameterError, match="low must be below upp"):
        proportions_tost(*args, 0.02, -0.02)


def test_fisher_refuses_a_non_zero_null():
    with pytest.raises(InvalidParameterError, match="test of equality"):
        proportions_test(3, 10, 1, 10, method="fisher", value=0.1)
    with pytest.raises(InvalidParameterError, match="ratio > 0"):
        proportions_test(3, 10, 1, 10, compare="ratio", value=0.0)


# --------------------------------------------------------------------------- means


def test_welch_non_zero_null_and_tost_match_statsmodels():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10.2, 2, 40), rng.normal(10, 3, 55)
    for alternative in ("two-sided", "larger", "smaller"):
        r = welch_test(a, b, value=-0.5, alternative=alternative)
        t, p, df = ttest_ind(a, b, usevar="unequal", value=-0.5, alternative=alternative)
        np.testing.assert_allclose([r.statistic, r.pvalue, r.df], [t, p, df], rtol=RTOL)
    r = welch_tost(a, b, -1.0, 1.5)
    p, lower, upper = ttost_ind(a, b, -1.0, 1.5, usevar="unequal")
    assert r.pvalue == pytest.approx(p, rel=RTOL)
    np.testing.assert_allclose(
        [r.statistic_low, r.pvalue_low, r.statistic_upp, r.pvalue_upp],
        [lower[0], lower[1], upper[0], upper[1]],
        rtol=RTOL,
    )
    for alpha in (0.05, 0.2):
        low, high = r.conf_int(alpha)
        assert (r.pvalue <= alpha) == (-1.0 < low and high < 1.5)


# The small segment: Welch p = 0.066, yet the normal-quantile relative interval
# excluded 0.
CONTROL = [10.896, 12.367, 10.489, 11.669, 8.585]
TREATMENT = [12.859, 11.173, 18.086, 14.475, 12.523]


def _moments(t, c):
    t, c = np.asarray(t), np.asarray(c)
    return t.mean(), t.var(ddof=1), t.size, c.mean(), c.var(ddof=1), c.size


def test_relative_lift_uses_welch_df_like_growthbook():
    m1, v1, n1, m2, v2, n2 = _moments(TREATMENT, CONTROL)
    r = relative_lift_ci(m1, v1, n1, m2, v2, n2)
    # GrowthBook's frequentist TwoSidedTTest (gbstats/frequentist/tests.py): delta-method
    # variance of (b - a) / a and t.ppf(1 - alpha / 2, Welch-Satterthwaite df).
    var = v1 / (m2**2 * n1) + v2 * m1**2 / (m2**4 * n2)
    dof = (v1 / n1 + v2 / n2) ** 2 / (v1**2 / (n1**2 * (n1 - 1)) + v2**2 / (n2**2 * (n2 - 1)))
    width = st.t.ppf(0.975, dof) * math.sqrt(var)
    point = (m1 - m2) / m2
    np.testing.assert_allclose([r.low, r.high], [point - width, point + width], rtol=RTOL)
    assert r.pvalue == pytest.approx(2 * st.t.sf(abs(point / math.sqrt(var)), dof), rel=RTOL)
    assert r.low < 0 < r.high  # now coherent with Welch's p = 0.066
    w = welch_test(TREATMENT, CONTROL)
    assert w.pvalue == pytest.approx(0.066, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(
    hs.floats(1.0, 50.0),
    hs.floats(1.0, 50.0),
    hs.floats(0.1, 100.0),
    hs.floats(0.1, 100.0),
    hs.integers(3, 300),
    hs.integers(3, 300),
    hs.sampled_from([0.05, 0.01]),
)
def test_fieller_with_welch_df_inverts_welch(m1, m2, v1, v2, n1, n2, alpha):
    r = relative_lift_ci(m1, v1, n1, m2, v2, n2, method="fieller", alpha=alpha)
    w = WelchMoments(m1, v1, n1, m2, v2, n2)
    q = st.t.isf(alpha / 2, w.df)
    if math.isnan(r.low):
        assert "unbounded" in r.reason
        # Unbounded: the control mean is not significant at this level.
        assert m2**2 <= q * q * v2 / n2 or (m1 * m2) ** 2 < (m1**2 - q * q * v1 / n1) * (
            m2**2 - q * q * v2 / n2
        )
        return
    for b in (r.low, r.high):  # the bounds solve Fieller's quadratic with the t quantile
        rho = b + 1
        lhs = (m1 - rho * m2) ** 2
        assert lhs == pytest.approx(q * q * (v1 / n1 + rho**2 * v2 / n2), rel=1e-7, abs=1e-12)
    if abs(w.p - alpha) > 1e-9:
        assert (not r.low <= 0 <= r.high) == (w.p < alpha)


class WelchMoments:
    """Welch's test from moments with scipy (the oracle)."""

    def __init__(self, m1, v1, n1, m2, v2, n2):
        a1, a2 = v1 / n1, v2 / n2
        self.df = (a1 + a2) ** 2 / (a1**2 / (n1 - 1) + a2**2 / (n2 - 1))
        self.p = 2 * st.t.sf(abs(m1 - m2) / math.sqrt(a1 + a2), self.df)


# --------------------------------------------------------------------------- the report


def _experiment(seed, n_segments=6, n=60):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_segments):
        size = int(rng.integers(8, n))
        effect = rng.choice([0.0, 0.0, 0.3, 0.8])
        for arm in ("A", "B", "C"):
            shift = effect if arm != "A" else 0.0
            pre = rng.gamma(4.0, 2.5, size)
            rows.append(
                pd.DataFrame(
                    {
                        "seg": f"s{s}",
                        "arm": arm,
                        "buy": (rng.random(size) < 0.3 + 0.25 * shift).astype(int),
                        "spend": 10 + 3 * shift + pre * 0.5 + rng.normal(0, 2.5, size),
                        "pre": pre,
                        "orders": rng.integers(1, 5, size).astype(float),
                    }
                )
            )
    df = pd.concat(rows, ignore_index=True)
    df["revenue"] = df["spend"] * df["orders"]
    return df


@pytest.mark.parametrize("adjust", P_ADJUST_METHODS)
def test_report_significant_exactly_when_the_adjusted_interval_excludes_the_null(adjust):
    checked = 0
    for seed in range(3):
        df = _experiment(seed)
        rep = segment_lift(
            df,
            segment="seg",
            variant="arm",
            control="A",
            metrics=["buy", "spend"],
            covariates={"spend": "pre"},
            ratios={"revenue_per_order": ("revenue", "orders")},
            adjust=adjust,
        )
        t = rep.table.dropna(subset=["pvalue"])
        t = t[(t["pvalue_adj"] - 0.05).abs() > 1e-9]
        assert set(t["kind"]) == {"binary", "cuped", "ratio"}
        excl_abs = (t["abs_diff_low_adj"] > 0) | (t["abs_diff_high_adj"] < 0)
        np.testing.assert_array_equal(excl_abs, t["significant"])
        bounded = t["rel_lift_low_adj"].notna()
        excl_rel = (t["rel_lift_low_adj"] > 0) | (t["rel_lift_high_adj"] < 0)
        np.testing.assert_array_equal(excl_rel[bounded], t["significant"][bounded])
        assert bounded.mean() > 0.9
        # The 1 - alpha intervals agree with the unadjusted p-values the same way.
        excl = (t["abs_diff_low"] > 0) | (t["abs_diff_high"] < 0)
        np.testing.assert_array_equal(excl, t["pvalue"] < 0.05)
        rel = (t["rel_lift_low"] > 0) | (t["rel_lift_high"] < 0)
        ok = t["rel_lift_low"].notna()
        np.testing.assert_array_equal(rel[ok], (t["pvalue"] < 0.05)[ok])
        # One level per family; the adjusted intervals are never narrower.
        for fam in (t["segment"] == "(all)", t["segment"] != "(all)"):
            assert t.loc[fam, "ci_level_adj"].nunique() == 1
        assert (t["abs_diff_low_adj"] <= t["abs_diff_low"] + 1e-12).all()
        checked += int(t["significant"].sum())
    assert checked > 3  # the property was exercised on significant rows too


def test_report_continuous_rows_use_welch_quantiles():
    df = pd.DataFrame(
        {
            "seg": "small",
            "arm": ["ctl"] * 5 + ["trt"] * 5,
            "y": CONTROL + TREATMENT,
        }
    )
    rep = segment_lift(df, segment=None, variant="arm", control="ctl", metrics=["y"])
    r = rep.table.iloc[0]
    w = welch_test(TREATMENT, CONTROL)
    assert r.pvalue == pytest.approx(w.pvalue, rel=RTOL)
    assert r.rel_lift_low < 0 < r.rel_lift_high  # coherent with p = 0.066
    m1, v1, n1, m2, v2, n2 = _moments(TREATMENT, CONTROL)
    f = relative_lift_ci(m1, v1, n1, m2, v2, n2, method="fieller")
    np.testing.assert_allclose([r.rel_lift_low, r.rel_lift_high], [f.low, f.high], rtol=RTOL)
    d = segment_lift(
        df, segment=None, variant="arm", control="ctl", metrics=["y"], lift_method="delta"
    ).table.iloc[0]
    g = relative_lift_ci(m1, v1, n1, m2, v2, n2)
    np.testing.assert_allclose([d.rel_lift_low, d.rel_lift_high], [g.low, g.high], rtol=RTOL)


def test_report_binary_rows_use_mee_and_koopman():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"arm": rng.choice(["a", "b"], 3000), "buy": rng.random(3000) < 0.1})
    df["buy"] = df["buy"].astype(int)
    rep = segment_lift(df, segment=None, variant="arm", control="a", metrics=["buy"])
    r = rep.table.iloc[0]
    g = df.groupby("arm")["buy"].agg(["sum", "size"])
    x1, n1, x2, n2 = (
        int(g.loc["b", "sum"]),
        int(g.loc["b", "size"]),
        int(g.loc["a", "sum"]),
        int(g.loc["a", "size"]),
    )
    lo, hi = confint_proportions_2indep(
        x1, n1, x2, n2, compare="ratio", method="score", correction=False
    )
    np.testing.assert_allclose([r.rel_lift_low, r.rel_lift_high], [lo - 1, hi - 1], rtol=1e-7)
    mee = proportions_diff_ci(x1, n1, x2, n2, method="mee")
    np.testing.assert_allclose([r.abs_diff_low, r.abs_diff_high], [mee.low, mee.high], rtol=1e-9)
    # One family of one row: the adjusted interval is the unadjusted one.
    assert r.ci_level_adj == pytest.approx(0.95)
    assert r.abs_diff_low_adj == pytest.approx(r.abs_diff_low, rel=1e-12)


def test_cuped_and_ratio_relative_intervals_follow_their_tests():
    from segwise.abtest import cuped_test, ratio_metric_test

    rng = np.random.default_rng(11)
    x1, x2 = rng.normal(10, 2, 30), rng.normal(10, 2, 25)
    y1, y2 = x1 + rng.normal(0.8, 1.5, 30), x2 + rng.normal(0, 1.5, 25)
    r = cuped_test(y1, x1, y2, x2)
    q = st.t.isf(0.025, r.df)  # the same Welch df as the test
    lo, hi = r.relative_conf_int()
    assert (hi - lo) / 2 == pytest.approx(q * r.relative_lift_stderr, rel=1e-9)
    orders1, orders2 = rng.integers(1, 4, 40).astype(float), rng.integers(1, 4, 45).astype(float)
    rev1, rev2 = orders1 * rng.gamma(2, 10, 40) * 1.3, orders2 * rng.gamma(2, 10, 45)
    m = ratio_metric_test(rev1, orders1, rev2, orders2)
    lift, lo, hi = m.relative_lift(method="fieller")
    assert (not lo <= 0 <= hi) == (m.pvalue < 0.05)
    for b in (lo, hi):  # Fieller's quadratic with the normal quantile of the z-test
        rho = b + 1
        z = st.norm.isf(0.025)
        lhs = (m.ratio1 - rho * m.ratio2) ** 2
        assert lhs == pytest.approx(z * z * (m.stderr1**2 + rho**2 * m.stderr2**2), rel=1e-7)


def test_score_bindings_name_bad_input():
    from segwise import _core
    from segwise.exceptions import ShapeMismatchError

    one = np.array([1.0])
    with pytest.raises(InvalidParameterError, match="`compare`: must be 'diff' or 'ratio'"):
        _core.abtest_score_stat(one, one, one, one, one, compare="odds", correction=False)
    with pytest.raises(ShapeMismatchError, match="z"):
        _core.abtest_score_interval(
            one, one, one, one, np.ones(2), compare="diff", correction=False
        )
