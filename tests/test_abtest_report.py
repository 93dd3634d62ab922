"""segment_lift / lift_from_stats against pandas groupby + scipy/statsmodels (test-only)."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from conftest import outputs_on_threads
from hypothesis import given, settings
from hypothesis import strategies as hs
from segwise import _core
from segwise.abtest import lift_from_stats, segment_lift, sufficient_stats
from segwise.exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
)
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

RTOL = 1e-9


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 30_000
    seg = rng.choice(["north", "south", "east"], n)
    arm = rng.choice(["ctl", "b", "c"], n, p=[0.4, 0.3, 0.3])
    pre = rng.gamma(2.0, 10.0, n)
    lift = np.where(arm == "b", 1.5, np.where(arm == "c", 0.0, 0.0))
    spend = np.maximum(0.6 * pre + rng.normal(lift, 8.0, n), 0) * (rng.random(n) < 0.4)
    conv = (rng.random(n) < np.where(arm == "b", 0.12, 0.10)).astype(np.int64)
    orders = rng.poisson(1.5, n) + 1
    df = pd.DataFrame(
        {"seg": seg, "arm": arm, "conv": conv, "spend": spend, "pre": pre, "orders": orders}
    )
    df.loc[df.index[::97], "spend"] = np.nan
    return df


def _report(df, **kw):
    return segment_lift(
        df, segment="seg", variant="arm", control="ctl", metrics=["conv", "spend"], **kw
    )


def _rows(rep, metric, treatment):
    t = rep.table
    return t[(t["metric"] == metric) & (t["treatment"] == treatment)].set_index("segment")


def _groups(df, seg):
    sub = df if seg == "(all)" else df[df["seg"] == seg]
    return {a: g for a, g in sub.groupby("arm")}


@pytest.mark.parametrize("treatment", ["b", "c"])
def test_binary_rows_match_statsmodels(data, treatment):
    rep = _report(data, ci_method="newcombe")
    rows = _rows(rep, "conv", treatment)
    assert (rows["kind"] == "binary").all()
    for seg in ["north", "south", "east", "(all)"]:
        g = _groups(data, seg)
        x1, n1 = g[treatment]["conv"].sum(), len(g[treatment])
        x2, n2 = g["ctl"]["conv"].sum(), len(g["ctl"])
        z, p = proportions_ztest([x1, x2], [n1, n2])
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        r = rows.loc[seg]
        np.testing.assert_allclose(
            [r.statistic, r.pvalue, r.abs_diff_low, r.abs_diff_high], [z, p, lo, hi], rtol=RTOL
        )
        assert (r.n_treatment, r.n_control) == (n1, n2)
        np.testing.assert_allclose(r.rel_lift, (x1 / n1) / (x2 / n2) - 1, rtol=RTOL)


def test_continuous_rows_match_scipy(data):
    rep = _report(data)
    rows = _rows(rep, "spend", "b")
    assert (rows["kind"] == "continuous").all()
    for seg in ["north", "south", "east", "(all)"]:
        g = _groups(data, seg)
        a = g["b"]["spend"].dropna().to_numpy()
        b = g["ctl"]["spend"].dropna().to_numpy()
        s = st.ttest_ind(a, b, equal_var=False)
        ci = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal")
        r = rows.loc[seg]
        np.testing.assert_allclose(
            [r.statistic, r.pvalue, r.abs_diff_low, r.abs_diff_high],
            [s.statistic, s.pvalue, ci[0], ci[1]],
            rtol=RTOL,
        )
        np.testing.assert_allclose(
            [r.mean_treatment, r.sum_treatment], [a.mean(), a.sum()], rtol=RTOL
        )
        n_nan = int(g["b"]["spend"].isna().sum() + g["ctl"]["spend"].isna().sum())
        assert r.n_nan_treatment + r.n_nan_control == n_nan
        assert f"{n_nan} NaN value(s) dropped" in r.warnings


def test_cuped_and_ratio_rows(data):
    rep = segment_lift(
        data,
        segment="seg",
        variant="arm",
        control="ctl",
        metrics=["spend"],
        covariates={"spend": "pre"},
        ratios={"spo": ("spend", "orders")},
    )
    cup = _rows(rep, "spend", "b")
    rat = _rows(rep, "spo", "b")
    for seg in ["north", "(all)"]:
        g = _groups(data, seg)
        d1 = g["b"].dropna(subset=["spend"])
        d2 = g["ctl"].dropna(subset=["spend"])
        x = np.concatenate([d1["pre"], d2["pre"]])
        y = np.concatenate([d1["spend"], d2["spend"]])
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        a1 = d1["spend"] - theta * (d1["pre"] - x.mean())
        a2 = d2["spend"] - theta * (d2["pre"] - x.mean())
        s = st.ttest_ind(a1, a2, equal_var=False)
        np.testing.assert_allclose(
            [cup.loc[seg].statistic, cup.loc[seg].pvalue], [s.statistic, s.pvalue], rtol=RTOL
        )
        np.testing.assert_allclose(
            cup.loc[seg].rel_lift, (a1.mean() - a2.mean()) / d2["spend"].mean(), rtol=RTOL
        )

        def ratio(d):
            yy, xx = d["spend"].to_numpy(), d["orders"].to_numpy(float)
            r = yy.mean() / xx.mean()
            c = np.cov(yy, xx)
            return r, (c[0, 0] - 2 * r * c[0, 1] + r * r * c[1, 1]) / (yy.size * xx.mean() ** 2)

        (r1, v1), (r2, v2) = ratio(d1), ratio(d2)
        z = (r1 - r2) / np.sqrt(v1 + v2)
        np.testing.assert_allclose(
            [rat.loc[seg].abs_diff, rat.loc[seg].statistic, rat.loc[seg].pvalue],
            [r1 - r2, z, 2 * st.norm.sf(abs(z))],
            rtol=RTOL,
        )
    assert (cup["kind"] == "cuped").all() and (rat["kind"] == "ratio").all()


def test_adjusted_pvalues_and_srm(data):
    rep = _report(data, adjust="holm")
    t = rep.table
    seg_rows = t[t["segment"] != "(all)"]
    ref = multipletests(seg_rows["pvalue"], method="holm")[1]
    np.testing.assert_allclose(seg_rows["pvalue_adj"], ref, rtol=RTOL)
    assert (t["significant"] == (t["pvalue_adj"] <= 0.05)).all()
    # SRM: planned 40/30/30 split
    rep = _report(data, expected_split={"ctl": 0.4, "b": 0.3, "c": 0.3})
    counts = data[data["seg"] == "east"]["arm"].value_counts()[["b", "c", "ctl"]].to_numpy()
    s = st.chisquare(counts, counts.sum() * np.array([0.3, 0.3, 0.4]))
    east = rep.table[rep.table["segment"] == "east"]
    np.testing.assert_allclose(east["srm_pvalue"].iloc[0], s.pvalue, rtol=RTOL)
    # the equal split is badly violated (40/30/30 assigned): flagged with a warning
    bad = _report(data)
    assert bad.table["srm_flag"].all()
    assert any("sample-ratio mismatch" in w for w in bad.warnings)


def test_lift_from_stats_reproduces_segment_lift(data):
    kw = dict(covariates={"spend": "pre"}, ratios={"spo": ("spend", "orders")})
    rep = segment_lift(
        data, segment="seg", variant="arm", control="ctl", metrics=["conv", "spend"], **kw
    )
    stats = sufficient_stats(data, segment="seg", variant="arm", metrics=["conv", "spend"], **kw)
    rep2 = lift_from_stats(stats, segment="segment", variant="variant", control="ctl")
    num = rep.table.select_dtypes("number").columns
    np.testing.assert_allclose(
        rep2.table[num].to_numpy(float), rep.table[num].to_numpy(float), rtol=1e-7, atol=1e-12
    )
    assert (rep2.table["warnings"] == rep.table["warnings"]).all()
    # statistics aggregated "in SQL" (COUNT, SUM, SUM of squares) give the same numbers
    d = data.dropna(subset=["spend"])
    agg = []
    for m in ["conv", "spend"]:
        g = (
            d.assign(y2=d[m] ** 2)
            .groupby(["seg", "arm"])
            .agg(n=(m, "size"), sum=(m, "sum"), sum_sq=("y2", "sum"))
        )
        agg.append(g.reset_index().assign(metric=m))
    stats_sql = pd.concat(agg, ignore_index=True)
    rep3 = lift_from_stats(stats_sql, segment="seg", variant="arm", control="ctl")
    r3 = rep3.table.set_index(["segment", "metric", "treatment"])
    plain = _report(data)  # no CUPED: the SQL stats have no covariate
    r1 = plain.table.set_index(["segment", "metric", "treatment"]).loc[r3.index]
    spend = r3.index.get_level_values("metric") == "spend"
    np.testing.assert_allclose(r3.loc[spend, "pvalue"], r1.loc[spend, "pvalue"], rtol=1e-6)
    conv = ~spend
    # conv rows in rep3 use rows where spend was not NaN: compare with statsmodels directly
    x = d.groupby(["seg", "arm"])["conv"].agg(["sum", "size"])
    z, p = proportions_ztest(
        x.loc[("east", ["b", "ctl"]), "sum"].to_numpy(),
        x.loc[("east", ["b", "ctl"]), "size"].to_numpy(),
    )
    np.testing.assert_allclose(r3.loc[("east", "conv", "b"), "pvalue"], p, rtol=RTOL)
    assert conv.sum() == 8


def test_stats_pass_is_deterministic_across_threads():
    code = textwrap.dedent("""
        import numpy as np, hashlib
        from segwise import _core
        rng = np.random.default_rng(0)
        n = 300_000
        y = rng.normal(1e3, 5.0, (n, 2))
        s = rng.integers(0, 7, n); a = rng.integers(0, 3, n)
        out = _core.abtest_segment_arm_stats(
            s, a, y, n_segments=7, n_arms=3, x=None, aux_index=[-1, -1]
        )
        print(hashlib.sha256(out.tobytes()).hexdigest())
    """)
    digests = {out.strip() for out in outputs_on_threads(code)}
    assert len(digests) == 1


def test_simpsons_paradox_and_heterogeneity():
    # Treatment better in each segment but assigned mostly to the weak segment.
    rows = []
    for seg, arm, n, k in [
        ("hi", "A", 800, 400),
        ("hi", "B", 200, 110),
        ("lo", "A", 200, 20),
        ("lo", "B", 800, 100),
    ]:
        rows += [(seg, arm, 1)] * k + [(seg, arm, 0)] * (n - k)
    df = pd.DataFrame(rows, columns=["seg", "arm", "y"])
    rep = segment_lift(df, segment="seg", variant="arm", control="A", metrics=["y"])
    t = rep.table.set_index("segment")
    assert t.loc["hi", "abs_diff"] > 0 and t.loc["lo", "abs_diff"] > 0
    assert t.loc["(all)", "abs_diff"] < 0
    assert rep.heterogeneity["simpson_paradox"].iloc[0]
    assert any("Simpson" in w for w in rep.warnings)
    h = rep.heterogeneity.iloc[0]
    d = t.loc[["hi", "lo"], "abs_diff"].to_numpy()
    p1 = np.array([110 / 200, 100 / 800])
    p2 = np.array([400 / 800, 20 / 200])
    w = 1 / (p1 * (1 - p1) / np.array([200, 800]) + p2 * (1 - p2) / np.array([800, 200]))
    q = (w * (d - (w * d).sum() / w.sum()) ** 2).sum()
    np.testing.assert_allclose(h["q"], q, rtol=RTOL)
    np.testing.assert_allclose(h["pvalue"], st.chi2.sf(q, 1), rtol=RTOL)


def test_report_outputs(data):
    import matplotlib

    matplotlib.use("Agg")
    rep = _report(data)
    assert "<table" in rep._repr_html_()
    assert "Lift report" in rep.summary() and "Lift report" in repr(rep)
    ax = rep.plot("spend")
    assert len(ax.get_yticklabels()) == 8
    import matplotlib.pyplot as plt

    plt.close("all")
    with pytest.raises(InvalidParameterError, match="unknown metric"):
        rep.plot("nope")


def test_plot_without_matplotlib(data, monkeypatch):
    rep = _report(data)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        rep.plot()


# ------------------------------------------------------------------ bad input


def test_unknown_control_and_bad_alpha(data):
    with pytest.raises(InvalidParameterError, match="unknown control label"):
        segment_lift(data, segment="seg", variant="arm", control="zzz", metrics=["conv"])
    for alpha in (0.0, 1.0, 1.5, -0.1, "x"):
        with pytest.raises(InvalidParameterError, match="alpha"):
            _report(data, alpha=alpha)
    with pytest.raises(ColumnNotFoundError, match=r"not found in df: \['nope'\]"):
        segment_lift(data, segment="seg", variant="arm", control="ctl", metrics=["nope"])


def test_arm_missing_in_segment_keeps_row():
    df = pd.DataFrame(
        {
            "seg": ["a", "a", "a", "a", "b", "b"],
            "arm": ["A", "B", "A", "B", "A", "A"],
            "y": [1.0, 2.0, 1.5, 2.5, 3.0, 4.0],
        }
    )
    rep = segment_lift(df, segment="seg", variant="arm", control="A", metrics=["y"])
    b = rep.table.set_index("segment").loc["b"]
    assert b.n_treatment == 0 and np.isnan(b.pvalue)
    assert "arm B has no data in this segment" in b.warnings
    assert not b.significant


def test_declared_binary_with_other_values():
    df = pd.DataFrame({"arm": ["A", "B"] * 3, "y": [0, 1, 2, 0, 1, 1]})
    with pytest.raises(InvalidParameterError, match="declared binary but has 1 value"):
        segment_lift(df, segment=None, variant="arm", control="A", metrics={"y": "binary"})
    rep = segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"])
    assert rep.table["kind"].iloc[0] == "continuous"


def test_one_row_per_arm():
    df = pd.DataFrame({"arm": ["A", "B"], "y": [1.0, 2.0], "c": [0, 1]})
    rep = segment_lift(df, segment=None, variant="arm", control="A", metrics=["y", "c"])
    t = rep.table.set_index("metric")
    assert np.isnan(t.loc["y", "pvalue"]) and "fewer than 2 units" in t.loc["y", "warnings"]
    assert 0 <= t.loc["c", "pvalue"] <= 1  # a proportion test still works with n = 1


def _one_cell_stats(segments, arms, y, aux_index=(-1,)):
    """The core's statistics pass for one segment and one arm, no auxiliary columns."""
    return _core.abtest_segment_arm_stats(
        segments, arms, y, n_segments=1, n_arms=1, x=None, aux_index=list(aux_index)
    )


def test_nan_labels_infinity_and_core_shapes():
    df = pd.DataFrame({"arm": ["A", None, "B", "A"], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(NonFiniteError, match="missing label"):
        segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"])
    df = pd.DataFrame({"arm": ["A", "B", "B", "A"], "y": [1.0, np.inf, 3.0, 4.0]})
    with pytest.raises(
        NonFiniteError, match=r"infinity in column\(s\) 'y' \(1 of 4 rows, first at index 1\)"
    ):
        segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"])
    y = np.zeros((4, 1))
    with pytest.raises(ShapeMismatchError, match="segments"):
        _one_cell_stats(np.zeros(3, np.int64), np.zeros(4, np.int64), y)
    with pytest.raises(InvalidParameterError, match="outside"):
        _one_cell_stats(np.full(4, 2, np.int64), np.zeros(4, np.int64), y)
    with pytest.raises(EmptyInputError, match="no rows"):
        segment_lift(df.iloc[:0], segment=None, variant="arm", control="A", metrics=["y"])


def test_lift_from_stats_validation():
    base = {
        "segment": ["s", "s"],
        "variant": ["A", "B"],
        "metric": ["y", "y"],
        "sum": [10.0, 12.0],
        "sum_sq": [30.0, 40.0],
    }
    for n, word in (([10, -3], "non-negative integer"), ([10, 2.5], "non-negative integer")):
        with pytest.raises(InvalidParameterError, match=word):
            lift_from_stats(pd.DataFrame({**base, "n": n}), control="A")
    with pytest.raises(InvalidParameterError, match="inconsistent"):
        lift_from_stats(pd.DataFrame({**base, "n": [10, 10], "sum_sq": [1.0, 40.0]}), control="A")
    with pytest.raises(InvalidParameterError, match="missing column"):
        lift_from_stats(pd.DataFrame(base), control="A")
    with pytest.raises(InvalidParameterError, match="unknown control"):
        lift_from_stats(pd.DataFrame({**base, "n": [10, 10]}), control="C")


# ------------------------------------------------------------------ properties


@settings(max_examples=25, deadline=None)
@given(hs.integers(0, 2**32 - 1), hs.integers(6, 60))
def test_report_properties(seed, n):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "seg": rng.choice(["x", "y"], n),
            "arm": rng.choice(["A", "B"], n),
            "y": rng.exponential(2.0, n) * (rng.random(n) < 0.7),
            "c": (rng.random(n) < 0.3).astype(int),
        }
    )
    df.loc[:1, "arm"] = ["A", "B"]  # both arms present somewhere
    kw = dict(segment="seg", variant="arm", metrics=["y", "c"])
    a = segment_lift(df, control="A", **kw).table
    b = segment_lift(df, control="B", **kw).table
    p = a["pvalue"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
    ok = a["abs_diff"].notna()
    assert (a.loc[ok, "abs_diff_low"] <= a.loc[ok, "abs_diff"] + 1e-12).all()
    assert (a.loc[ok, "abs_diff"] <= a.loc[ok, "abs_diff_high"] + 1e-12).all()
    # swapping the arms mirrors differences and keeps p-values (binary: Newcombe is
    # symmetric; continuous: Welch)
    np.testing.assert_allclose(a["abs_diff"], -b["abs_diff"], atol=1e-12)
    np.testing.assert_allclose(a["pvalue"], b["pvalue"], rtol=1e-9)
    np.testing.assert_allclose(a["abs_diff_low"], -b["abs_diff_high"], atol=1e-9)
    pb = a["prob_beat_control"].to_numpy(float) + b["prob_beat_control"].to_numpy(float)
    binary = (a["kind"] == "binary").to_numpy() & ok.to_numpy()
    np.testing.assert_allclose(pb[binary], 1.0, rtol=1e-9)


def test_core_error_variants():
    with pytest.raises(EmptyInputError, match="empty input"):
        _one_cell_stats(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 1)))
    with pytest.raises(TypeError, match="int8/int16/int32/int64"):
        _one_cell_stats(np.zeros(2), np.zeros(2, np.int64), np.zeros((2, 1)))
    with pytest.raises(InvalidParameterError, match="aux_index"):
        _one_cell_stats(np.zeros(2, np.int8), np.zeros(2, np.int8), np.zeros((2, 1)), aux_index=[0])
    one = np.array([1], np.int64)
    with pytest.raises(InvalidParameterError, match="counts must be >= 0"):
        _core.abtest_fisher_exact(one, -one, one, one, alternative="two-sided")
    with pytest.raises(InvalidParameterError, match="alternative"):
        _core.abtest_fisher_exact(one, one, one, one, alternative="sideways")
    f = np.array([1.5])
    with pytest.raises(InvalidParameterError, match="integer alpha_b"):
        _core.abtest_prob_b_beats_a(f, f, f, f)
    with pytest.raises(ShapeMismatchError, match="df"):
        _core.abtest_t_sf(np.zeros(2), np.zeros(3))


def test_stats_on_int8_codes_equal_int64():
    rng = np.random.default_rng(5)
    y = rng.normal(size=(1000, 2))
    s = rng.integers(0, 4, 1000)
    a = rng.integers(0, 2, 1000)
    r8 = _core.abtest_segment_arm_stats(
        s.astype(np.int8),
        a.astype(np.int16),
        y,
        n_segments=4,
        n_arms=2,
        x=None,
        aux_index=[-1, -1],
    )
    r64 = _core.abtest_segment_arm_stats(
        s, a, y, n_segments=4, n_arms=2, x=None, aux_index=[-1, -1]
    )
    np.testing.assert_array_equal(r8, r64)
    # The core names its statistics as the report reads them (CellStats::FIELDS).
    from segwise.abtest._report import CELL_DTYPE

    assert r64.dtype == CELL_DTYPE and r64.shape == (4, 2, 2)


def test_winsorized_report_matches_scipy_on_capped_data(data):
    rep = _report(data, winsorize=0.95)
    cap = np.nanquantile(data["spend"], 0.95)
    rows = _rows(rep, "spend", "c")
    for seg in ["south", "(all)"]:
        g = _groups(data, seg)
        a = np.minimum(g["c"]["spend"].dropna(), cap)
        b = np.minimum(g["ctl"]["spend"].dropna(), cap)
        s = st.ttest_ind(a, b, equal_var=False)
        np.testing.assert_allclose(
            [rows.loc[seg].statistic, rows.loc[seg].pvalue], [s.statistic, s.pvalue], rtol=RTOL
        )
    # binary metrics are never capped; the caller's frame is untouched
    np.testing.assert_array_equal(
        _rows(rep, "conv", "b")["pvalue"], _rows(_report(data), "conv", "b")["pvalue"]
    )
    assert data["spend"].max() > cap
    with pytest.raises(InvalidParameterError, match="winsorize"):
        _report(data, winsorize=1.5)


def test_zero_control_mean_gives_reason_not_inf():
    df = pd.DataFrame(
        {"arm": ["A", "B"] * 6, "y": [0.0, 1.0, 0.0, 2.0, 0.0, 0.5] * 2, "x": np.arange(12.0)}
    )
    for kw in ({}, {"covariates": {"y": "x"}}):
        rep = segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"], **kw)
        r = rep.table.iloc[0]
        assert np.isnan(r.rel_lift) and np.isnan(r.rel_lift_low)
        assert "control mean is 0" in r.warnings
        assert np.isfinite(r.abs_diff)


def test_lift_from_stats_with_spaced_column_names():
    stats = pd.DataFrame(
        {
            "customer segment": ["x", "x", "y", "y"],
            "test arm": ["A", "B", "A", "B"],
            "metric": ["buy"] * 4,
            "n": [100, 100, 50, 50],
            "sum": [10, 20, 5, 9],
            "sum_sq": [10, 20, 5, 9],
        }
    )
    rep = lift_from_stats(stats, segment="customer segment", variant="test arm", control="A")
    r = rep.table.set_index("segment").loc["x"]
    z, p = proportions_ztest([20, 10], [100, 100])
    np.testing.assert_allclose([r.statistic, r.pvalue], [z, p], rtol=RTOL)
    assert r.kind == "binary"


def test_caller_frame_is_not_modified(data):
    before = data.copy()
    _report(data, winsorize=0.9)
    segment_lift(
        data,
        segment="seg",
        variant="arm",
        control="ctl",
        metrics=["spend"],
        covariates={"spend": "pre"},
        ratios={"spo": ("spend", "orders")},
    )
    pd.testing.assert_frame_equal(data, before)


def test_single_arm_is_an_error():
    df = pd.DataFrame({"arm": ["A", "A", "A"], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidParameterError, match="at least 2 arms"):
        segment_lift(df, segment=None, variant="arm", control="A", metrics=["y"])
