"""Low-level A/B statistics and distributions against scipy / statsmodels (test-only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import integrate, optimize, special
from segwise._stats import distributions as _dist
from segwise.abtest import (
    adjust_pvalues,
    cuped_test,
    heterogeneity_test,
    minimum_detectable_effect,
    prob_beat_control,
    proportions_diff_ci,
    proportions_test,
    ratio_metric_test,
    relative_lift_ci,
    sample_size_means,
    sample_size_proportions,
    srm_test,
    welch_test,
)
from segwise.exceptions import InvalidParameterError, ShapeMismatchError
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
    score_test_proportions_2indep,
)
from statsmodels.stats.proportion import (
    test_proportions_2indep as sm_test_2indep,
)

RTOL = 1e-9
TABLES = [
    (56, 70, 48, 80),
    (7, 34, 1, 34),
    (120, 1000, 90, 1000),
    (3, 10, 7, 12),
    (0, 25, 4, 30),
    (25, 25, 20, 30),
    (500, 20000, 430, 19000),
]


# ------------------------------------------------------------------ distributions


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.max(np.abs(a - b) / np.abs(b))


def test_normal_against_scipy_with_tails():
    x = np.concatenate([-np.logspace(-4, np.log10(37), 400), np.logspace(-4, np.log10(8), 200)])
    assert _rel(_dist.norm_cdf(x), st.norm.cdf(x)) < 1e-12
    assert _rel(_dist.norm_sf(-x), st.norm.sf(-x)) < 1e-12
    p = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.49, 49)])
    assert _rel(_dist.norm_ppf(p), st.norm.ppf(p)) < 1e-12
    assert _rel(_dist.norm_isf(p), st.norm.isf(p)) < 1e-12


@pytest.mark.parametrize("df", [0.5, 1.0, 2.0, 3.0, 4.5, 10.0, 30.0, 100.0, 1000.0])
def test_student_t_against_scipy(df):
    t = np.concatenate([-np.logspace(-3, 3, 300), np.logspace(-3, 3, 300)])
    ref = st.t.cdf(t, df)
    ok = ref > 1e-300
    assert _rel(_dist.t_cdf(t, df)[ok], ref[ok]) < 1e-12
    assert _rel(_dist.t_sf(-t, df)[ok], st.t.sf(-t, df)[ok]) < 1e-12
    p = np.concatenate([np.logspace(-200, -1, 200), np.linspace(0.01, 0.49, 49)])
    q = st.t.isf(p, df)
    # scipy's isf is wrong for df=3 below p ~ 1e-160 (returns half the quantile; checked
    # with mpmath), so compare quantiles where it is sane and check the round trip through
    # scipy's sf everywhere.
    ok = np.isfinite(q) & (q < 1e50)
    assert _rel(_dist.t_isf(p[ok], df), q[ok]) < 1e-12
    assert _rel(_dist.t_ppf(p[ok], df), st.t.ppf(p[ok], df)) < 1e-12
    mine = _dist.t_isf(p, df)
    fin = mine < 1e150
    assert _rel(st.t.sf(mine[fin], df), p[fin]) < 1e-12


@pytest.mark.parametrize("df", [1.0, 2.0, 3.0, 7.5, 20.0, 100.0])
def test_chi2_and_gamma_against_scipy(df):
    x = np.logspace(-3, np.log10(1400), 300)
    sf = st.chi2.sf(x, df)
    ok = sf > 1e-300
    assert _rel(_dist.chi2_sf(x[ok], df), sf[ok]) < 1e-12
    assert _rel(_dist.chi2_cdf(x, df), st.chi2.cdf(x, df)) < 1e-12
    g = np.logspace(-5, 6, 300)
    np.testing.assert_allclose(_dist.gammaln(g), special.gammaln(g), rtol=1e-13, atol=1e-14)
    a, b, z = np.meshgrid([0.5, 2.0, 40.0], [0.5, 3.0, 500.0], np.linspace(0.01, 0.99, 7))
    np.testing.assert_allclose(
        _dist.betainc(a, b, z), special.betainc(a, b, z), rtol=1e-12, atol=1e-300
    )


def test_large_df_close_to_scipy():
    # scipy itself is only ~1e-10 accurate here; segwise is checked in Rust units.
    t = np.linspace(-6, 6, 41)
    for df in (1e4, 1e6):
        np.testing.assert_allclose(_dist.t_cdf(t, df), st.t.cdf(t, df), rtol=1e-9)


def test_invalid_distribution_parameters_give_nan():
    assert math.isnan(_dist.t_sf(1.0, -2.0))
    assert math.isnan(_dist.norm_ppf(2.0))
    assert _dist.norm_ppf(0.0) == -math.inf


# ------------------------------------------------------------------ proportions


@pytest.mark.parametrize("table", TABLES)
def test_pooled_z_equals_statsmodels_and_chi2(table):
    x1, n1, x2, n2 = table
    z, p = proportions_test(x1, n1, x2, n2)
    zs, ps = proportions_ztest([x1, x2], [n1, n2])
    np.testing.assert_allclose([z, p], [zs, ps], rtol=RTOL)
    chi2, pc, _, _ = st.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
    np.testing.assert_allclose([z * z, p], [chi2, pc], rtol=RTOL)
    for alt, sm in (("larger", "larger"), ("smaller", "smaller")):
        r = proportions_test(x1, n1, x2, n2, alternative=alt)
        np.testing.assert_allclose(
            r.pvalue, proportions_ztest([x1, x2], [n1, n2], alternative=sm)[1], rtol=RTOL
        )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels' odds ratio at p = 1
@pytest.mark.parametrize("table", TABLES[:4] + TABLES[5:])
def test_unpooled_wald_equals_statsmodels(table):
    r = proportions_test(*table, method="unpooled")
    s = sm_test_2indep(*table, method="wald")
    np.testing.assert_allclose([r.statistic, r.pvalue], [s.statistic, s.pvalue], rtol=RTOL)


@pytest.mark.parametrize("table", TABLES + [(0, 5, 0, 7), (3, 3, 0, 4), (1, 2000, 9, 2100)])
@pytest.mark.parametrize("alt", ["two-sided", "larger", "smaller"])
def test_fisher_exact_equals_scipy(table, alt):
    x1, n1, x2, n2 = table
    r = proportions_test(x1, n1, x2, n2, method="fisher", alternative=alt)
    sa = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alt]
    s = st.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative=sa)
    np.testing.assert_allclose(r.pvalue, s.pvalue, rtol=RTOL)
    if math.isnan(s.statistic):
        assert math.isnan(r.statistic)
    else:
        assert r.statistic == pytest.approx(s.statistic, rel=RTOL)


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "method,sm", [("newcombe", "newcomb"), ("wald", "wald"), ("agresti-caffo", "agresti-caffo")]
)
def test_diff_ci_equals_statsmodels(table, method, sm):
    r = proportions_diff_ci(*table, method=method)
    lo, hi = confint_proportions_2indep(*table, method=sm)
    np.testing.assert_allclose([r.low, r.high], np.clip([lo, hi], -1, 1), rtol=RTOL, atol=1e-12)
    lo90, hi90 = confint_proportions_2indep(*table, method=sm, alpha=0.1)
    np.testing.assert_allclose(r.conf_int(0.1), np.clip([lo90, hi90], -1, 1), rtol=RTOL, atol=1e-12)


def _restricted_mle_numeric(x1, n1, x2, n2, d):
    """Maximize the binomial likelihood under p1 - p2 = d numerically (oracle)."""

    def nll(p2):
        p1 = p2 + d
        return -(
            special.xlogy(x1, p1)
            + special.xlog1py(n1 - x1, -p1)
            + special.xlogy(x2, p2)
            + special.xlog1py(n2 - x2, -p2)
        )

    lo, hi = max(0.0, -d), min(1.0, 1.0 - d)
    res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13})
    return res.x + d, res.x


@pytest.mark.parametrize("table", TABLES[:4] + [(25, 25, 20, 30)])
@pytest.mark.parametrize("d", [-0.4, -0.1, 0.05, 0.2, 0.35])
def test_mn_constrained_mle_maximizes_restricted_likelihood(table, d):
    # The score statistic against p1 - p2 = d uses the constrained MLE of the core's
    # closed-form cubic root; here the MLE comes from maximizing the likelihood.
    x1, n1, x2, n2 = table
    r1, r2 = _restricted_mle_numeric(*table, d)
    var = r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2
    expected = (x1 / n1 - x2 / n2 - d) / math.sqrt(var)
    got = proportions_test(*table, value=d).statistic
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("table", TABLES[:4])
def test_mn_score_interval(table):
    x1, n1, x2, n2 = table
    r = proportions_diff_ci(*table, method="score")
    # At d = 0 the statsmodels score test is right (pooled estimate path).
    s = score_test_proportions_2indep(x1, n1, x2, n2, value=0, correction=True)
    np.testing.assert_allclose([r.statistic, r.pvalue], [s.statistic, s.pvalue], rtol=RTOL)
    # The interval is where the score statistic, with the numerically maximized restricted
    # likelihood, equals -/+ z: a closed-form check independent of statsmodels.
    z = st.norm.isf(0.025)
    n = n1 + n2
    for bound, target in ((r.low, z), (r.high, -z)):
        p1, p2 = _restricted_mle_numeric(x1, n1, x2, n2, bound)
        var = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * n / (n - 1)
        stat = (x1 / n1 - x2 / n2 - bound) / math.sqrt(var)
        assert stat == pytest.approx(target, abs=1e-5)


def test_mn_statsmodels_right_when_control_all_successes_and_published_value():
    # statsmodels' wrong coefficient (count0 for nobs0) vanishes when count2 == nobs2
    # (its root bracketing fails on most such tables; this one works).
    r = proportions_diff_ci(15, 40, 30, 30, method="score")
    lo, hi = confint_proportions_2indep(15, 40, 30, 30, method="score", correction=True)
    np.testing.assert_allclose([r.low, r.high], [lo, hi], rtol=RTOL)
    # Fagerland, Lydersen & Laake (2015): MN interval (0.028, 0.34) for 7/34 vs 1/34,
    # published without the N/(N-1) factor; statsmodels is off by 3e-4 there.
    r = proportions_diff_ci(7, 34, 1, 34, method="score", correction=False)
    assert round(r.low, 3) == 0.028 and round(r.high, 2) == 0.34
    sm_lo, _ = confint_proportions_2indep(7, 34, 1, 34, method="score", correction=False)
    assert abs(sm_lo - r.low) > 1e-4  # statsmodels #10269: off in the 4th decimal


@pytest.mark.parametrize("method", ["newcombe", "wald", "agresti-caffo", "score"])
@pytest.mark.parametrize(
    "table", [(0, 20, 0, 30), (20, 20, 30, 30), (0, 10, 10, 10), (10, 10, 0, 10)]
)
def test_extreme_tables_stay_in_range(method, table):
    r = proportions_diff_ci(*table, method=method)
    assert -1 <= r.low <= r.estimate <= r.high <= 1
    assert not math.isnan(r.pvalue)
    if table[0] + table[2] in (0, table[1] + table[3]):
        assert r.degenerate


@settings(max_examples=60, deadline=None)
@given(hs.integers(1, 300), hs.integers(1, 300), hs.data())
def test_proportions_properties(n1, n2, data):
    x1 = data.draw(hs.integers(0, n1))
    x2 = data.draw(hs.integers(0, n2))
    for method in ("newcombe", "wald", "agresti-caffo", "score"):
        r = proportions_diff_ci(x1, n1, x2, n2, method=method)
        m = proportions_diff_ci(x2, n2, x1, n1, method=method)
        assert 0 <= r.pvalue <= 1
        assert -1 <= r.low <= r.high <= 1
        if method != "agresti-caffo":
            assert r.low - 1e-9 <= r.estimate <= r.high + 1e-9
        np.testing.assert_allclose([r.low, r.high], [-m.high, -m.low], atol=1e-9)
    for method in ("pooled", "unpooled", "fisher"):
        p = proportions_test(x1, n1, x2, n2, method=method).pvalue
        q = proportions_test(x2, n2, x1, n1, method=method).pvalue
        assert 0 <= p <= 1
        assert p == pytest.approx(q, rel=1e-9, abs=1e-15)


# ------------------------------------------------------------------ means


def test_welch_equals_scipy_and_statsmodels():
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    rng = np.random.default_rng(1)
    a = rng.exponential(3.0, 300) * (rng.random(300) < 0.3)
    b = rng.exponential(2.5, 250) * (rng.random(250) < 0.3)
    r = welch_test(a, b)
    s = st.ttest_ind(a, b, equal_var=False)
    np.testing.assert_allclose(
        [r.statistic, r.pvalue, r.df], [s.statistic, s.pvalue, s.df], rtol=RTOL
    )
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    np.testing.assert_allclose(
        r.conf_int(0.1), cm.tconfint_diff(alpha=0.1, usevar="unequal"), rtol=RTOL
    )
    for alt, sa in (("larger", "greater"), ("smaller", "less")):
        np.testing.assert_allclose(
            welch_test(a, b, alternative=alt).pvalue,
            st.ttest_ind(a, b, equal_var=False, alternative=sa).pvalue,
            rtol=RTOL,
        )
    w = welch_test(a, b, winsorize=0.95)
    cap = np.quantile(np.concatenate([a, b]), 0.95)
    s = st.ttest_ind(np.minimum(a, cap), np.minimum(b, cap), equal_var=False)
    np.testing.assert_allclose([w.statistic, w.pvalue], [s.statistic, s.pvalue], rtol=RTOL)


@settings(max_examples=40, deadline=None)
@given(
    hs.lists(hs.floats(-1e3, 1e3), min_size=3, max_size=30),
    hs.lists(hs.floats(-1e3, 1e3), min_size=3, max_size=30),
)
def test_welch_properties(a, b):
    if np.var(a) == 0 and np.var(b) == 0:
        return
    r = welch_test(a, b)
    m = welch_test(b, a)
    assert 0 <= r.pvalue <= 1
    lo, hi = r.conf_int()
    assert lo <= r.estimate <= hi
    assert r.pvalue == pytest.approx(m.pvalue, rel=1e-9)
    assert r.statistic == pytest.approx(-m.statistic, rel=1e-9, abs=1e-12)


def test_relative_lift_methods():
    m1, v1, n1, m2, v2, n2 = 5.5, 9.0, 400, 5.0, 8.0, 380
    r = relative_lift_ci(m1, v1, n1, m2, v2, n2, quantile="normal")
    z = st.norm.isf(0.025)
    se = math.sqrt(v1 / n1 / m2**2 + m1**2 * v2 / n2 / m2**4)
    np.testing.assert_allclose(
        [r.lift, r.low, r.high],
        [m1 / m2 - 1, m1 / m2 - 1 - z * se, m1 / m2 - 1 + z * se],
        rtol=RTOL,
    )
    k = relative_lift_ci(m1, v1, n1, m2, v2, n2, method="log", quantile="normal")
    lse = math.sqrt(v1 / n1 / m1**2 + v2 / n2 / m2**2)
    np.testing.assert_allclose(
        k.conf_int(), [m1 / m2 * math.exp(-z * lse) - 1, m1 / m2 * math.exp(z * lse) - 1], rtol=RTOL
    )
    f = relative_lift_ci(m1, v1, n1, m2, v2, n2, method="fieller", quantile="normal")
    # Fieller bounds are where (m1 - rho m2)^2 = z^2 (s1^2 + rho^2 s2^2).
    s1, s2 = v1 / n1, v2 / n2
    for b in f.conf_int():
        rho = b + 1
        assert (m1 - rho * m2) ** 2 == pytest.approx(z * z * (s1 + rho**2 * s2), rel=1e-9)
    zero = relative_lift_ci(1.0, 1.0, 10, 0.0, 0.0, 10)
    assert zero.lift is None and "control mean is 0" in zero.reason
    unb = relative_lift_ci(1.0, 1.0, 10, 0.1, 25.0, 10, method="fieller")
    assert math.isnan(unb.low) and "unbounded" in unb.reason


def test_ratio_metric_delta_method():
    rng = np.random.default_rng(2)
    orders1 = rng.poisson(2.0, 500) + 1
    orders2 = rng.poisson(2.0, 520) + 1
    rev1 = orders1 * rng.gamma(2.0, 10.0, 500)
    rev2 = orders2 * rng.gamma(2.0, 9.0, 520)
    r = ratio_metric_test(rev1, orders1, rev2, orders2)

    def var_ratio(y, x):
        rr = y.mean() / x.mean()
        c = np.cov(y, x)
        return (c[0, 0] - 2 * rr * c[0, 1] + rr * rr * c[1, 1]) / (y.size * x.mean() ** 2)

    se = math.sqrt(var_ratio(rev1, orders1) + var_ratio(rev2, orders2))
    d = rev1.sum() / orders1.sum() - rev2.sum() / orders2.sum()
    np.testing.assert_allclose(
        [r.estimate, r.statistic, r.pvalue], [d, d / se, 2 * st.norm.sf(abs(d / se))], rtol=RTOL
    )
    lift, lo, hi = r.relative_lift()
    assert lo < lift < hi


def test_cuped_equals_welch_on_adjusted_metric():
    rng = np.random.default_rng(3)
    x1, x2 = rng.gamma(2, 5, 800), rng.gamma(2, 5, 700)
    y1 = 0.8 * x1 + rng.normal(1.0, 3, 800)
    y2 = 0.8 * x2 + rng.normal(0.0, 3, 700)
    r = cuped_test(y1, x1, y2, x2)
    x, y = np.concatenate([x1, x2]), np.concatenate([y1, y2])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    assert r.theta == pytest.approx(theta, rel=RTOL)
    a1, a2 = y1 - theta * (x1 - x.mean()), y2 - theta * (x2 - x.mean())
    s = st.ttest_ind(a1, a2, equal_var=False)
    np.testing.assert_allclose(
        [r.statistic, r.pvalue, r.df], [s.statistic, s.pvalue, s.df], rtol=RTOL
    )
    assert r.relative_lift == pytest.approx((a1.mean() - a2.mean()) / y2.mean(), rel=RTOL)
    assert r.stderr < welch_test(y1, y2).stderr
    # constant covariate: theta = 0 and CUPED is Welch
    c = cuped_test(y1, np.ones(800), y2, np.ones(700))
    w = welch_test(y1, y2)
    assert c.theta == 0.0
    np.testing.assert_allclose([c.statistic, c.pvalue], [w.statistic, w.pvalue], rtol=1e-12)


# ------------------------------------------------------------------ multiplicity, SRM


@pytest.mark.parametrize(
    "method,sm", [("bh", "fdr_bh"), ("holm", "holm"), ("bonferroni", "bonferroni")]
)
def test_adjust_pvalues_equals_statsmodels(method, sm):
    rng = np.random.default_rng(4)
    p = np.concatenate([rng.random(30) ** 3, [0.05, 0.05, 1.0]])
    rej, adj = adjust_pvalues(p, method=method)
    srej, sadj, _, _ = multipletests(p, alpha=0.05, method=sm)
    np.testing.assert_allclose(adj, sadj, rtol=RTOL)
    np.testing.assert_array_equal(rej, sadj <= 0.05)
    # NaN stays NaN but counts in the family: same as p = 1 for the others.
    pn = p.copy()
    pn[[3, 7]] = np.nan
    _, adjn = adjust_pvalues(pn, method=method)
    p1 = p.copy()
    p1[[3, 7]] = 1.0
    expected = multipletests(p1, method=sm)[1]
    expected[[3, 7]] = np.nan
    np.testing.assert_allclose(adjn, expected, rtol=RTOL)


def test_adjust_ties_at_alpha_reject():
    rej, adj = adjust_pvalues([0.025, 0.025], method="bonferroni")
    assert adj.tolist() == [0.05, 0.05] and rej.all()


def test_srm_equals_scipy_chisquare():
    counts, ratio = [5000, 5210, 9800], [1, 1, 2]
    r = srm_test(counts, ratio)
    exp = np.array(ratio) / 4 * sum(counts)
    s = st.chisquare(counts, exp)
    np.testing.assert_allclose([r.statistic, r.pvalue], [s.statistic, s.pvalue], rtol=RTOL)
    assert srm_test([1000, 1300]).flagged
    assert not srm_test([1, 7]).flagged  # too few units to flag
    with pytest.raises(InvalidParameterError, match="non-negative integers"):
        srm_test([1.5, 3])
    with pytest.raises(ShapeMismatchError, match="expected_ratio"):
        srm_test([10, 10], [1, 1, 1])


# ------------------------------------------------------------------ Bayesian, planning


@pytest.mark.parametrize(
    "counts",
    [(12, 100, 10, 100), (120, 1000, 100, 1000), (3, 7, 5, 9), (0, 50, 2, 40), (40, 40, 39, 40)],
)
def test_prob_beat_control_against_numerical_integration(counts):
    x1, n1, x2, n2 = counts
    r = prob_beat_control(*counts)
    b = st.beta(1 + x1, 1 + n1 - x1)
    a = st.beta(1 + x2, 1 + n2 - x2)
    # P(B > A) = int f_A(t) (1 - F_B(t)) dt; losses by the same 1-D integrals.
    pts = [a.mean(), b.mean()]
    prob = integrate.quad(
        lambda t: a.pdf(t) * b.sf(t), 0, 1, points=pts, epsabs=1e-14, epsrel=1e-12, limit=200
    )[0]
    # E[max(pA - pB, 0)] = int_0^1 F_B(t) (1 - F_A(t)) dt
    loss = integrate.quad(
        lambda t: b.cdf(t) * a.sf(t), 0, 1, points=pts, epsabs=1e-14, epsrel=1e-12, limit=200
    )[0]
    np.testing.assert_allclose(r.prob_beat_control, prob, rtol=1e-9)
    np.testing.assert_allclose(r.expected_loss, loss, rtol=1e-9, atol=1e-15)


def test_sample_size_proportions_matches_r_power_prop_test():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90)  # => n = 76.7
    n = sample_size_proportions(0.5, 0.75, power=0.9)
    assert round(n, 1) == 76.7
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75)  # => power = 0.740 (same equation)
    za = st.norm.isf(0.025)
    pw = st.norm.cdf(
        (math.sqrt(50) * 0.25 - za * math.sqrt(2 * 0.625 * 0.375)) / math.sqrt(0.25 + 0.1875)
    )
    assert round(pw, 3) == 0.740
    # and the closed form solves R's power equation exactly
    n = sample_size_proportions(0.1, 0.12, power=0.8)
    pw = st.norm.cdf(
        (math.sqrt(n) * 0.02 - za * math.sqrt(2 * 0.11 * 0.89)) / math.sqrt(0.09 + 0.12 * 0.88)
    )
    assert pw == pytest.approx(0.8, rel=1e-12)


def test_sample_size_means_and_mde_match_statsmodels():
    n = sample_size_means(0.3, 1.2, power=0.9)
    ref = NormalIndPower().solve_power(effect_size=0.3 / 1.2, power=0.9, alpha=0.05)
    np.testing.assert_allclose(n, ref, rtol=1e-6)  # statsmodels adds the far tail (~1e-10)
    mde = minimum_detectable_effect(n, sd=1.2, power=0.9)
    assert mde == pytest.approx(0.3, rel=1e-12)
    mde_p = minimum_detectable_effect(5000, baseline=0.05)
    assert sample_size_proportions(0.05, 0.05 + mde_p) == pytest.approx(5000, rel=1e-9)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        minimum_detectable_effect(100)
    with pytest.raises(InvalidParameterError, match="power"):
        sample_size_means(1.0, 1.0, power=1.0)


def test_heterogeneity_equals_statsmodels_combine_effects():
    eff = np.array([0.10, 0.31, -0.05, 0.12])
    se = np.array([0.05, 0.06, 0.05, 0.08])
    r = heterogeneity_test(eff, se)
    s = combine_effects(eff, se**2, use_t=False)
    np.testing.assert_allclose([r.statistic, r.i2], [s.q, s.i2], rtol=RTOL)
    np.testing.assert_allclose(r.pvalue, st.chi2.sf(s.q, 3), rtol=RTOL)
    np.testing.assert_allclose(r.pooled, s.mean_effect_fe, rtol=RTOL)
    np.testing.assert_allclose(
        r.conf_int(),
        s.conf_int(use_t=False)[0][:2] if np.ndim(s.conf_int(use_t=False)[0]) else None,
        rtol=1e-6,
    )


# ------------------------------------------------------------------ bad input


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(InvalidParameterError, match="exceeds"):
        proportions_test(5, 3, 1, 3)
    with pytest.raises(InvalidParameterError, match="non-negative integer"):
        proportions_test(1.5, 3, 1, 3)
    with pytest.raises(InvalidParameterError, match="alpha"):
        proportions_diff_ci(1, 3, 1, 3, alpha=1.5)
    with pytest.raises(InvalidParameterError, match="method"):
        proportions_diff_ci(1, 3, 1, 3, method="exact")
    with pytest.raises(InvalidParameterError, match="at least 2"):
        welch_test([1.0], [1.0, 2.0])
    with pytest.raises(ShapeMismatchError, match="denominator1"):
        ratio_metric_test([1.0, 2.0], [1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        adjust_pvalues([0.5, 1.5])
    with pytest.raises(InvalidParameterError, match="prior"):
        prob_beat_control(1, 2, 1, 2, prior=(1.5, 1))


@settings(max_examples=60, deadline=None)
@given(
    hs.floats(0.01, 100),
    hs.floats(0.01, 100),
    hs.floats(0.01, 1e3),
    hs.floats(0.01, 1e3),
    hs.integers(2, 10_000),
    hs.integers(2, 10_000),
)
def test_relative_lift_properties(m1, m2, v1, v2, n1, n2):
    for method in ("delta", "log", "fieller"):
        r = relative_lift_ci(m1, v1, n1, m2, v2, n2, method=method)
        assert r.lift == pytest.approx(m1 / m2 - 1, rel=1e-12)
        assert 0 <= r.pvalue <= 1
        if not math.isnan(r.low):
            assert r.low <= r.lift <= r.high
    # Katz log interval mirrors: swapping arms inverts the ratio interval
    a = relative_lift_ci(m1, v1, n1, m2, v2, n2, method="log").conf_int()
    b = relative_lift_ci(m2, v2, n2, m1, v1, n1, method="log").conf_int()
    # low_a + 1 = 1 / (high_b + 1), compared on the lift scale (absolute near -1)
    for low, high in ((a[0], b[1]), (b[0], a[1])):
        if math.isfinite(high) and high + 1 > 0:
            assert low == pytest.approx(1 / (high + 1) - 1, rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(hs.integers(0, 2**32 - 1), hs.integers(5, 80), hs.integers(5, 80))
def test_cuped_properties(seed, n1, n2):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(5, 2, n1), rng.normal(5, 2, n2)
    y1 = x1 + rng.normal(0.3, 1, n1)
    y2 = x2 + rng.normal(0, 1, n2)
    r = cuped_test(y1, x1, y2, x2)
    m = cuped_test(y2, x2, y1, x1)
    assert 0 <= r.pvalue <= 1
    lo, hi = r.conf_int()
    assert lo <= r.estimate <= hi
    assert r.theta == pytest.approx(m.theta, rel=1e-12)
    assert r.estimate == pytest.approx(-m.estimate, rel=1e-9, abs=1e-12)
    assert r.pvalue == pytest.approx(m.pvalue, rel=1e-9)


@settings(max_examples=80, deadline=None)
@given(hs.integers(0, 60), hs.integers(0, 60), hs.integers(0, 60), hs.integers(0, 60))
def test_fisher_random_tables_equal_scipy(a, b, c, d):
    if a + b == 0 or c + d == 0:
        return
    for alt, sa in (("two-sided", "two-sided"), ("larger", "greater"), ("smaller", "less")):
        r = proportions_test(a, a + b, c, c + d, method="fisher", alternative=alt)
        s = st.fisher_exact([[a, b], [c, d]], alternative=sa)
        assert r.pvalue == pytest.approx(s.pvalue, rel=1e-9, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(hs.integers(1, 400), hs.integers(1, 400), hs.data())
def test_prob_beat_control_properties(n1, n2, data):
    x1 = data.draw(hs.integers(0, n1))
    x2 = data.draw(hs.integers(0, n2))
    r = prob_beat_control(x1, n1, x2, n2)
    m = prob_beat_control(x2, n2, x1, n1)
    assert 0 <= r.prob_beat_control <= 1
    assert r.prob_beat_control + m.prob_beat_control == pytest.approx(1, rel=1e-10)
    assert r.expected_loss == pytest.approx(m.expected_loss_control, rel=1e-9, abs=1e-15)
    # E[max(A-B,0)] - E[max(B-A,0)] = E[A] - E[B]
    ea, eb = (x2 + 1) / (n2 + 2), (x1 + 1) / (n1 + 2)
    assert r.expected_loss - r.expected_loss_control == pytest.approx(ea - eb, abs=1e-12)
