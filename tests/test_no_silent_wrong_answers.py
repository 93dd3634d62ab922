"""No silent wrong answers: each class of issue #12 against an outside oracle.

* Overflow: statistics that do not depend on the scale give, on values whose squares
  overflow (above ~1e154) or underflow (below ~1e-154), the oracle's answer on the values
  divided by a power of two (scipy, statsmodels, scikit-learn); the others raise
  NonFiniteError.
* Labels or weights as a Series beside a DataFrame are matched to its rows by index.
* The caller's column labels (ints, MultiIndex) come back unchanged.
* Zero denominators give no test instead of a "significant" one.
(YYYYMMDD dates are in test_rfm.py, fitted state in test_fitted_state.py.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from segwise.abtest import (
    cuped_test,
    heterogeneity_test,
    lift_from_stats,
    minimum_detectable_effect,
    ratio_metric_test,
    relative_lift_ci,
    sample_size_means,
    sample_size_proportions,
    segment_lift,
    srm_test,
    welch_test,
)
from segwise.cluster import KMeans, MiniBatchKMeans
from segwise.exceptions import (
    ConvergenceWarning,
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
)
from segwise.metrics import silhouette_score
from segwise.preprocessing import (
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from segwise.profile import profile_segments
from segwise.rfm import rfm_table
from segwise.stability import choose_k, gap_statistic

#: Dividing by a power of two is exact, so the oracle sees the very values segwise used.
HUGE = 2.0**900  # ~8e270: squares overflow float64
TINY = 2.0**-900  # ~1e-271: squares underflow to 0


def _welch_oracle(a, b):
    r = st.ttest_ind(a, b, equal_var=False)
    return r.statistic, r.pvalue, r.df


# --------------------------------------------------------------------------- overflow


def test_welch_on_values_whose_squares_overflow():
    # The case: scipy on the same samples gives nan; on them divided by 2**997
    # (exact) it gives the answer
    a, b = np.array([1e300, -1e300, 0.0]), np.array([1.0, 2.0, 3.0])
    r = welch_test(a, b)
    t, p, df = _welch_oracle(a / 2.0**997, b / 2.0**997)
    assert r.statistic == pytest.approx(t, rel=1e-12)
    assert r.pvalue == pytest.approx(p, rel=1e-12) and r.pvalue == 1.0
    assert r.df == pytest.approx(df, rel=1e-12)
    assert r.estimate == -2.0 and r.stderr == pytest.approx(1e300 / np.sqrt(3), rel=1e-12)


@pytest.mark.parametrize("scale", [HUGE, TINY], ids=["huge", "tiny"])
def test_welch_cuped_and_ratio_do_not_depend_on_the_scale(scale):
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(10, 2, 80), rng.normal(10, 2, 90)
    y1, y2 = x1 + rng.normal(0.6, 1, 80), x2 + rng.normal(0, 1, 90)
    d1, d2 = rng.integers(1, 5, 80).astype(float), rng.integers(1, 5, 90).astype(float)

    r = welch_test(y1 * scale, y2 * scale)
    t, p, df = _welch_oracle(y1, y2)
    assert (r.statistic, r.pvalue, r.df) == pytest.approx((t, p, df), rel=1e-10)
    low, high = r.conf_int()
    want = st.ttest_ind(y1, y2, equal_var=False).confidence_interval()
    assert (low / scale, high / scale) == pytest.approx((want.low, want.high), rel=1e-10)

    # CUPED = Welch on y - theta (x - mean x) with theta pooled over both arms
    x, y = np.r_[x1, x2], np.r_[y1, y2]
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    t, p, df = _welch_oracle(y1 - theta * x1, y2 - theta * x2)
    r = cuped_test(y1 * scale, x1 * scale, y2 * scale, x2 * scale)
    assert (r.statistic, r.pvalue, r.df) == pytest.approx((t, p, df), rel=1e-10)
    assert r.theta == pytest.approx(theta, rel=1e-10)
    assert r.estimate / scale == pytest.approx(
        np.mean(y1 - y2.mean()) - theta * (x1.mean() - x2.mean()), rel=1e-10
    )
    # a metric and a covariate of very different magnitudes: theta carries the ratio
    r = cuped_test(y1 * scale, x1, y2 * scale, x2)
    assert (r.statistic, r.pvalue) == pytest.approx((t, p), rel=1e-10)
    assert r.theta / scale == pytest.approx(theta, rel=1e-10)

    # ratio metrics: the same z on numerators in any unit
    base = ratio_metric_test(y1, d1, y2, d2)
    r = ratio_metric_test(y1 * scale, d1, y2 * scale, d2)
    assert (r.statistic, r.pvalue) == pytest.approx((base.statistic, base.pvalue), rel=1e-10)
    assert r.ratio1 / scale == pytest.approx(y1.sum() / d1.sum(), rel=1e-12)


@pytest.mark.parametrize("method", ["delta", "log", "fieller"])
def test_relative_lift_does_not_depend_on_the_scale(method):
    base = relative_lift_ci(12.0, 9.0, 400, 10.0, 8.0, 420, method=method)
    # delta method oracle on the moderate scale: Var(m1/m2) by the usual formula
    if method == "delta":
        s1, s2 = np.sqrt(9.0 / 400), np.sqrt(8.0 / 420)
        se = np.sqrt(s1**2 / 10.0**2 + 12.0**2 * s2**2 / 10.0**4)
        assert base.stderr == pytest.approx(se, rel=1e-12)
    # means near 1e150 (1e-150): the delta method's fourth power of the control mean
    # overflowed (underflowed); variances scale with the square
    for scale in (1e150, 1e-150):
        r = relative_lift_ci(
            12.0 * scale, 9.0 * scale**2, 400, 10.0 * scale, 8.0 * scale**2, 420, method=method
        )
        assert (r.lift, r.stderr, r.low, r.high, r.pvalue) == pytest.approx(
            (base.lift, base.stderr, base.low, base.high, base.pvalue), rel=1e-10
        )


def test_segment_lift_keeps_a_tiny_p_value_above_1e154():
    # The case: p of about 1e-282 came back as 1.0
    rng = np.random.default_rng(0)
    y = np.r_[rng.normal(0, 1, 400), rng.normal(2.8, 1, 400)]
    arm = np.repeat(["A", "B"], 400)
    t, p, _ = _welch_oracle(y[400:], y[:400])
    assert p < 1e-150
    for scale in (1.0, 1e200, 1e-200):
        df = pd.DataFrame({"arm": arm, "y": y * scale})
        row = segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"]).table
        assert row["statistic"].iloc[0] == pytest.approx(t, rel=1e-10)
        assert row["pvalue"].iloc[0] == pytest.approx(p, rel=1e-8)
        assert row["abs_diff"].iloc[0] / scale == pytest.approx(y[400:].mean() - y[:400].mean())
        assert row["mean_control"].iloc[0] / scale == pytest.approx(y[:400].mean())


@pytest.mark.parametrize("scale", [HUGE, TINY], ids=["huge", "tiny"])
def test_segment_lift_report_does_not_depend_on_the_scale(scale):
    rng = np.random.default_rng(1)
    n = 600
    df = pd.DataFrame(
        {
            "seg": rng.integers(0, 3, n),
            "arm": np.tile(["A", "B"], n // 2),
            "pre": rng.normal(5, 1, n),
            "orders": rng.integers(1, 4, n).astype(float),
            "buy": rng.integers(0, 2, n).astype(float),
        }
    )
    df["spend"] = df["pre"] + rng.normal(0, 1, n) + 0.5 * (df["arm"] == "B")
    kw = dict(
        segment="seg",
        variant="arm",
        control="A",
        metrics=["spend", "buy"],
        covariates={"spend": "pre"},
        ratios={"per_order": ("spend", "orders")},
    )
    base = segment_lift(df, **kw)
    big = segment_lift(df.assign(spend=df["spend"] * scale, pre=df["pre"] * scale), **kw)
    free = ["statistic", "pvalue", "pvalue_adj", "rel_lift", "rel_lift_low", "rel_lift_high"]
    np.testing.assert_allclose(big.table[free], base.table[free], rtol=1e-9, atol=1e-300)
    assert (big.table["significant"] == base.table["significant"]).all()
    in_units = ["mean_control", "mean_treatment", "abs_diff", "abs_diff_low", "sum_control"]
    spend = (big.table["metric"] != "buy").to_numpy()  # buy (0/1) keeps its unit
    np.testing.assert_allclose(
        big.table.loc[spend, in_units] / scale, base.table.loc[spend, in_units], rtol=1e-9
    )
    np.testing.assert_allclose(big.table.loc[~spend, in_units], base.table.loc[~spend, in_units])
    np.testing.assert_allclose(big.heterogeneity["q"], base.heterogeneity["q"], rtol=1e-9)
    if scale == HUGE:  # sums of squares of the report's statistics no longer fit
        with pytest.raises(NonFiniteError, match=r"infinite \['sum_sq'\] for metric"):
            lift_from_stats(big.stats, segment="segment", control="A")
    # pre-aggregated sums of large values (squares still finite) work the same
    stats = base.stats.copy()
    money = stats["metric"] != "buy"
    stats.loc[money, ["sum", "sum_x"]] *= 1e150
    stats.loc[money, ["sum_sq", "sum_x_sq", "sum_xy"]] *= 1e300
    again = lift_from_stats(stats, segment="segment", control="A")
    cols = ["statistic", "pvalue"]
    cont = again.table["kind"] != "binary"
    np.testing.assert_allclose(
        again.table.loc[cont, cols],
        lift_from_stats(base.stats, segment="segment", control="A").table.loc[cont, cols],
        rtol=1e-9,
    )


@pytest.mark.parametrize("scale", [1e160, 1e300, 1e-170], ids=["1e160", "1e300", "1e-170"])
def test_profile_does_not_depend_on_the_scale(scale):
    # The case: std_diff 0 yet p = 0 and "significant" above ~1e154
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(0, 1, 40), rng.normal(3, 1, 60)]
    labels = np.repeat([0, 1], [40, 60])
    df = pd.DataFrame({"x": x * scale, "small": rng.normal(size=100)})
    row = profile_segments(df, labels).table.set_index(["segment", "feature"]).loc[(0, "x")]
    t, p, dof = _welch_oracle(x[:40], x[40:])  # segment 0 against the rest
    assert (row["t"], row["pvalue"], row["df"]) == pytest.approx((t, p, dof), rel=1e-10)
    assert row["std_diff"] == pytest.approx((x[:40].mean() - x.mean()) / x.std(ddof=1), rel=1e-12)
    assert bool(row["significant"]) and bool(row["marker"])
    assert row["mean"] / scale == pytest.approx(x[:40].mean(), rel=1e-12)
    assert row["sd"] / scale == pytest.approx(x[:40].std(ddof=1), rel=1e-12)
    assert row["median"] / scale == pytest.approx(np.median(x[:40]), rel=1e-12)


def test_srm_counts_must_be_finite_and_huge_ones_are_exact():
    with pytest.raises(NonFiniteError, match="1 NaN or infinite"):
        srm_test([np.inf, 100])
    with pytest.raises(NonFiniteError, match="1 NaN or infinite"):
        srm_test([np.nan, 100])
    # The chi-square statistic grows linearly with the counts: the oracle on c / 1e290
    counts = np.array([1.0e300, 1.3e300, 0.9e300])
    want = st.chisquare(counts / 1e290)
    r = srm_test(counts)
    assert r.statistic == pytest.approx(want.statistic * 1e290, rel=1e-12)
    assert r.pvalue == 0.0 and r.flagged


def test_ratio_zero_denominators_are_refused_not_significant():
    with pytest.raises(InvalidParameterError, match="denominator1 sums to 0 over its 3 units"):
        ratio_metric_test([1.0, 2, 3], [0.0, 0, 0], [1.0, 2, 3], [1.0, 1, 1])
    with pytest.raises(InvalidParameterError, match="denominator2 sums to 0"):
        ratio_metric_test([1.0, 2, 3], [1.0, 1, 1], [1.0, 2, 3], [0.0, 0, 0])
    # in a report: that segment's row has no test, the others are unaffected
    df = pd.DataFrame(
        {
            "seg": ["a"] * 8 + ["b"] * 8,
            "arm": ["A", "B"] * 8,
            "rev": np.arange(16.0),
            "orders": [1.0, 2] * 4 + [0.0, 1] * 4,  # control has no orders in segment b
        }
    )
    t = segment_lift(
        df, segment="seg", variant="arm", control="A", metrics={}, ratios={"aov": ("rev", "orders")}
    ).table.set_index("segment")
    assert np.isnan(t.loc["b", "pvalue"]) and not t.loc["b", "significant"]
    assert "denominator 'orders' sums to 0" in t.loc["b", "warnings"]
    assert np.isfinite(t.loc["a", "pvalue"])


def test_float32_kmeans_refuses_values_whose_distances_overflow_float32():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(10, 1, (50, 2))]
    # within float32's range the answer is float64's
    ok = KMeans(2, random_state=0).fit((X * 1e17).astype(np.float32))
    np.testing.assert_array_equal(ok.labels_, KMeans(2, random_state=0).fit(X * 1e17).labels_)
    for est in (KMeans(2, random_state=0), MiniBatchKMeans(2, random_state=0)):
        with pytest.raises(NonFiniteError, match="overflow float32.*Pass float64"):
            est.fit((X * 1e19).astype(np.float32))
        with pytest.raises(NonFiniteError, match="overflow float32"):  # small predict too
            ok.predict((X[:3] * 1e20).astype(np.float32))
    # float64 raises too (the inertia overflows)
    with pytest.raises(NonFiniteError, match="overflowed"):
        KMeans(2, random_state=0).fit(X * 1e160)


# --------------------------------------------------------------------------- rows by index


def _customers():
    rng = np.random.default_rng(4)
    ids = pd.Index([f"c{i:03d}" for i in range(60)], name="customer")
    X = pd.DataFrame(
        rng.normal(size=(60, 2)) + np.repeat([[0, 0], [4, 4], [8, 0]], 20, axis=0),
        index=ids,
        columns=["spend", "visits"],
    )
    labels = pd.Series(np.repeat(["a", "b", "c"], 20), index=ids)
    return X, labels


def test_a_label_series_is_matched_by_customer_id_everywhere():
    X, labels = _customers()
    shuffled = labels.sample(frac=1, random_state=1)
    assert not shuffled.index.equals(X.index)
    want = profile_segments(X, labels.to_numpy())
    got = profile_segments(X, shuffled)
    pd.testing.assert_frame_equal(got.table, want.table)
    assert silhouette_score(X, shuffled) == silhouette_score(X, labels.to_numpy())
    weights = pd.Series(np.linspace(1, 2, 60), index=X.index)
    a = KMeans(3, random_state=0).fit(X, sample_weight=weights.sample(frac=1, random_state=2))
    b = KMeans(3, random_state=0).fit(X, sample_weight=weights.to_numpy())
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    s = StandardScaler().fit(X, sample_weight=weights.iloc[::-1])
    np.testing.assert_array_equal(s.mean_, StandardScaler().fit(X, sample_weight=weights).mean_)


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: profile_segments(X, y),
        lambda X, y: silhouette_score(X, y),
        lambda X, y: KMeans(3, random_state=0).fit(
            X, sample_weight=y.map({"a": 1.0, "b": 2.0, "c": 3.0})
        ),
    ],
    ids=["profile_segments", "silhouette_score", "KMeans-weights"],
)
def test_ids_missing_from_either_side_raise(call):
    X, labels = _customers()
    with pytest.raises(ShapeMismatchError, match=r"1 row\(s\) of .* have no entry \('c059'\)"):
        call(X, labels.iloc[:-1])
    other = labels.rename(index={"c000": "zz"})
    with pytest.raises(
        ShapeMismatchError, match=r"have no entry \('c000'\).*match no row \('zz'\)"
    ):
        call(X, other)
    # a fresh RangeIndex is not the frame's ids: refused, with the way out in the message
    with pytest.raises(ShapeMismatchError, match=r"to_numpy\(\) to match rows by position"):
        call(X, labels.reset_index(drop=True))
    with pytest.raises(ShapeMismatchError, match="repeats 1 id"):
        call(X, pd.concat([labels.iloc[1:], labels.iloc[1:2]]))
    # arrays and a Series beside a numpy array: by position
    call(X.to_numpy(), labels.reset_index(drop=True))


# --------------------------------------------------------------------------- column labels


@pytest.mark.parametrize(
    "est",
    [StandardScaler(), MinMaxScaler(), RobustScaler(), MaxAbsScaler(), Log1pTransformer()],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("kind", ["int", "multiindex"])
def test_scalers_keep_the_callers_column_labels(est, kind):
    rng = np.random.default_rng(5)
    if kind == "int":
        columns = pd.Index([0, 1, 2])
    else:
        columns = pd.MultiIndex.from_tuples(
            [("rfm", "recency"), ("rfm", "frequency"), ("web", "visits")], names=["group", "name"]
        )
    X = pd.DataFrame(np.abs(rng.normal(size=(20, 3))), columns=columns, index=range(100, 120))
    out = est.fit_transform(X)
    pd.testing.assert_index_equal(out.columns, X.columns)
    pd.testing.assert_index_equal(out.index, X.index)
    first = out[columns[0]]  # out[0] or out[("rfm", "recency")] works
    assert len(first) == 20
    back = est.inverse_transform(out)
    pd.testing.assert_index_equal(back.columns, X.columns)
    np.testing.assert_allclose(back.to_numpy(), X.to_numpy(), rtol=1e-12)
    assert list(est.get_feature_names_out()) == list(columns)
    assert list(est.feature_names_in_) == list(columns)


def test_profile_and_lift_keep_the_callers_column_labels():
    X, labels = _customers()
    X.columns = [10, 20]
    prof = profile_segments(X, labels)
    assert list(prof.population.index) == [10, 20]
    assert list(prof.wide("mean").columns) == [10, 20]
    assert set(prof.table["feature"]) == {10, 20}
    prof = profile_segments(X, labels, features=[20], descriptors={20: ("rare", "often")})
    assert set(prof.segments["name"].str.split(" ").str[0]) <= {"Often", "Rare", "Typical"}
    df = pd.DataFrame({"arm": ["A", "B"] * 10, 7: np.arange(20.0)})
    table = segment_lift(df, segment=None, variant="arm", control="A", metrics=[7]).table
    assert table["metric"].tolist() == [7]


# --------------------------------------------------------------------------- found by fuzzing


@pytest.mark.parametrize("scale", [HUGE, TINY], ids=["huge", "tiny"])
def test_heterogeneity_does_not_depend_on_the_scale(scale):
    # 1 / stderr^2 overflows for stderrs near 1e-271 and underflows near 1e271; the oracle
    # is statsmodels on the values in ordinary units
    from statsmodels.stats.meta_analysis import combine_effects

    eff = np.array([0.10, 0.31, -0.05, 0.12])
    se = np.array([0.05, 0.06, 0.05, 0.08])
    want = combine_effects(eff, se**2, use_t=False)
    r = heterogeneity_test(eff * scale, se * scale)
    assert (r.statistic, r.i2) == pytest.approx((want.q, want.i2), rel=1e-12)
    assert r.pvalue == pytest.approx(st.chi2.sf(want.q, 3), rel=1e-12)
    assert r.pooled / scale == pytest.approx(want.mean_effect_fe, rel=1e-12)
    assert r.pooled_stderr / scale == pytest.approx(want.sd_eff_w_fe, rel=1e-12)


@pytest.mark.parametrize("scale", [HUGE, TINY], ids=["huge", "tiny"])
def test_ratio_test_with_denominators_in_any_unit(scale):
    rng = np.random.default_rng(5)
    y1, y2 = rng.normal(10, 2, 80), rng.normal(11, 2, 90)
    d1, d2 = rng.integers(1, 5, 80).astype(float), rng.integers(1, 5, 90).astype(float)
    base = ratio_metric_test(y1, d1, y2, d2)
    # the delta-method oracle in ordinary units
    n, mx, r = 80, d1.mean(), y1.sum() / d1.sum()
    c = np.cov(y1, d1)
    se1 = np.sqrt((c[0, 0] - 2 * r * c[0, 1] + r * r * c[1, 1]) / (n * mx * mx))
    assert base.stderr1 == pytest.approx(se1, rel=1e-12)
    r = ratio_metric_test(y1, d1 * scale, y2, d2 * scale)
    assert (r.statistic, r.pvalue) == pytest.approx((base.statistic, base.pvalue), rel=1e-10)
    assert r.ratio1 * scale == pytest.approx(base.ratio1, rel=1e-12)
    assert r.stderr1 * scale == pytest.approx(base.stderr1, rel=1e-10)
    # a ratio beyond float64 is an error, not nan
    with pytest.raises(NonFiniteError, match="numerator1.*exceeds float64"):
        ratio_metric_test(y1 * HUGE, d1 * TINY, y2, d2)


def test_sample_sizes_for_tiny_effects():
    # a tiny delta with a tiny sd is the ordinary answer; one beyond float64 is refused
    assert sample_size_means(1e-200, 1e-199) == pytest.approx(sample_size_means(1, 10), rel=1e-12)
    with pytest.raises(InvalidParameterError, match="too small to detect"):
        sample_size_means(1e-300, 1e10)
    with pytest.raises(InvalidParameterError, match="exceeds 1.8e308"):
        minimum_detectable_effect(2, sd=1e308)
    with pytest.raises(InvalidParameterError, match="too small to detect"):
        sample_size_proportions(1e-320, 2e-320)  # subnormal rates: n near 1e321


def test_log1p_inverse_of_values_it_never_produced():
    est = Log1pTransformer().fit(pd.DataFrame({"a": [0.0, 1.0], 5: [2.0, 3.0]}))
    with pytest.raises(NonFiniteError, match=r"1 value\(s\) in column\(s\) \[5\].*expm1"):
        est.inverse_transform(pd.DataFrame({"a": [1.0, 2.0], 5: [1.0, 800.0]}))


def test_gap_statistic_on_data_with_as_many_distinct_points_as_k():
    # two distinct points: within-cluster dispersion 0 from k = 2 on, gap = +inf there;
    # k = 2 is the first (and global) maximum, with no inf - inf warning
    X = np.array([[0.0, 0.0], [1.0, 1.0]] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("firstmax", "globalmax", "Tibs2001SEmax", "firstSEmax", "globalSEmax"):
            assert gap_statistic(X, 4, n_refs=3, random_state=0, method=method).optimal_k == 2
    with pytest.raises(InvalidParameterError, match="iterable of ints"):
        choose_k(X, [2.5])


def test_rfm_dates_in_several_formats_warn_nothing_but_name_the_bad_ones():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-01", "05/01/2024 10:00", "2024-02-01"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    # pandas would warn that it parses element by element; the error counts and shows them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidParameterError, match=r"'date' has 1 .* of 3.*05/01/2024"):
            rfm_table(tx)


def test_choose_k_on_degenerate_and_huge_data():
    # squared distances of 1e-300 underflow: every fit leaves one cluster, so the
    # cluster-quality scores are undefined for every k (NaN, no pick) instead of a crash
    X = np.zeros((15, 1))
    X[14, 0] = 1e-300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = choose_k(X, range(2, 4), n_refs=2, n_splits=2, n_boot=2, n_init=1, random_state=0)
    assert r.table["silhouette"].isna().all() and r.picks["silhouette"] is None
    assert r.picks["calinski_harabasz"] is None and r.picks["davies_bouldin"] is None
    # values whose squares overflow: the NonFiniteError KMeans raises, not NaN columns
    X = np.zeros((15, 2))
    X[13, 0], X[14, 1] = 1.0, 1e300
    with pytest.raises(NonFiniteError, match="choose_k's squared distances.*1e\\+300"):
        choose_k(X, range(2, 4), n_refs=2, random_state=0)
    with pytest.raises(NonFiniteError, match="gap_statistic"):
        gap_statistic(X, 3, n_refs=2, random_state=0)


def test_standard_scaler_on_huge_constant_columns_matches_scikit_learn():
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    X = np.array([[1e300, 1.0], [1e300, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own overflow warning
        want = SkStandardScaler().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = StandardScaler().fit(X)
    np.testing.assert_array_equal(got.scale_, want.scale_)
    np.testing.assert_array_equal(got.transform(X), want.transform(X))


@pytest.mark.parametrize("est", [KMeans(2, random_state=0), MiniBatchKMeans(2, random_state=0)])
def test_kmeans_on_values_whose_squares_underflow_says_why(est):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(10, 1, (50, 2))]
    with pytest.warns(ConvergenceWarning, match="at most .*e-299.*underflow.*Rescale X"):
        est.fit(X * 1e-300)
    # above 1e-150 nothing is lost: the partition of the unscaled data
    want = KMeans(2, random_state=0).fit(X).labels_
    np.testing.assert_array_equal(KMeans(2, random_state=0).fit(X * 1e-150).labels_, want)


def test_cuped_and_srm_on_counts_and_values_far_apart_warn_nothing():
    # found by fuzzing: squares of the relative lift's terms overflowed (CUPED), and a
    # chi-square beyond float64 (SRM) warned; both now answer in silence, correctly
    y1, x1 = np.array([1e300] + [0.0] * 8), np.zeros(9)
    y2, x2 = np.array([0.0] * 5 + [1.0]), np.zeros(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cuped_test(y1, x1, y2, x2)  # x constant: theta = 0, CUPED is Welch
        t, p, df = _welch_oracle(y1 / 2.0**997, y2 / 2.0**997)
        assert (r.statistic, r.pvalue, r.df) == pytest.approx((t, p, df), rel=1e-12)
        assert np.isfinite(r.relative_lift_stderr)
        s = srm_test([1e300, 0.0], [1.0, 1e19])  # chi-square near 1e319
    assert s.statistic == np.inf and s.pvalue == 0.0


def test_cuped_over_a_control_mean_near_zero():
    # the relative lift over a control mean of 1e-301 is 7.7e299 and its standard error
    # beyond float64 (NaN, undefined); the test itself is the oracle's, without warnings
    y1, x1 = np.r_[np.zeros(10), 1.0], np.zeros(11)
    y2, x2 = np.r_[np.zeros(8), 1e-300], np.r_[np.zeros(8), 1.0]
    x, y = np.r_[x1, x2], np.r_[y1, y2]
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    t, p, df = _welch_oracle(y1 - theta * x1, y2 - theta * x2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cuped_test(y1, x1, y2, x2)
    assert (r.statistic, r.pvalue, r.df) == pytest.approx((t, p, df), rel=1e-10)
    assert r.relative_lift == pytest.approx(r.estimate / 1e-300 * 9, rel=1e-12)
    assert np.isnan(r.relative_lift_stderr)


@pytest.mark.parametrize("scale", [1.0, HUGE, TINY], ids=["unit", "huge", "tiny"])
def test_welch_tost_does_not_depend_on_the_scale(scale):
    from segwise.abtest import welch_tost
    from statsmodels.stats.weightstats import ttost_ind

    rng = np.random.default_rng(8)
    a, b = rng.normal(5, 1, 30), rng.normal(5.1, 1, 40)
    want = ttost_ind(a, b, -0.5, 0.5, usevar="unequal")  # statsmodels in ordinary units
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = welch_tost(a * scale, b * scale, -0.5 * scale, 0.5 * scale)
    assert r.pvalue == pytest.approx(want[0], rel=1e-10)
    assert r.estimate / scale == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    low, high = r.conf_int(0.05)
    ci = st.ttest_ind(a, b, equal_var=False).confidence_interval(0.90)
    assert (low / scale, high / scale) == pytest.approx((ci.low, ci.high), rel=1e-10)
