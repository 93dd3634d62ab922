"""Segments over time: align_labels, relabel, migration_matrix, psi (segwise.stability).

Oracles: scipy.optimize.linear_sum_assignment (the assignment), scipy.stats.chi2 (critical
values), scipy.stats.entropy (PSI = Jeffreys divergence), pandas.crosstab (migration
counts), a direct numpy implementation of the binning, and hand-computed examples.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from scipy.stats import chi2, entropy  # noqa: E402
from segwise import _core  # noqa: E402
from segwise.exceptions import (  # noqa: E402
    EmptyInputError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    ShapeMismatchError,
)
from segwise.stability import (  # noqa: E402
    MigrationResult,
    PSIResult,
    align_labels,
    migration_matrix,
    psi,
    relabel,
)

# --------------------------------------------------------------------------- Hungarian


def _lsa(cost: np.ndarray, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    return _core._testing.linear_sum_assignment(
        np.ascontiguousarray(cost, dtype=np.float64), maximize
    )


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 7), (7, 4), (10, 10), (1, 5), (6, 1)])
@pytest.mark.parametrize("maximize", [False, True])
def test_lsa_matches_scipy_on_random_matrices(shape, maximize):
    rng = np.random.default_rng(sum(shape) + maximize)
    for trial in range(20):
        # Small integers make many ties; scipy's algorithm breaks them the same way.
        cost = (rng.integers(0, 4, size=shape) if trial % 2 else rng.random(shape)).astype(float)
        r, c = _lsa(cost, maximize)
        r_ref, c_ref = linear_sum_assignment(cost, maximize=maximize)
        np.testing.assert_array_equal(r, r_ref)
        np.testing.assert_array_equal(c, c_ref)
        assert r.dtype == np.int64


def test_lsa_constant_matrix_is_identity_like_scipy():
    r, c = _lsa(np.ones((4, 4)))
    np.testing.assert_array_equal(c, [0, 1, 2, 3])
    np.testing.assert_array_equal(c, linear_sum_assignment(np.ones((4, 4)))[1])


def test_lsa_forbidden_infinite_pairs_like_scipy():
    rng = np.random.default_rng(3)
    for _ in range(20):
        cost = rng.random((5, 6))
        cost[rng.random((5, 6)) < 0.3] = np.inf
        try:
            r_ref, c_ref = linear_sum_assignment(cost)
        except ValueError:
            with pytest.raises(InvalidParameterError, match="infeasible"):
                _lsa(cost)
            continue
        r, c = _lsa(cost)
        np.testing.assert_array_equal(c, c_ref)
        assert np.isfinite(cost[r, c]).all()
    # maximize: -inf is the forbidden value.
    cost = np.array([[1.0, -np.inf], [2.0, 3.0]])
    np.testing.assert_array_equal(_lsa(cost, True)[1], linear_sum_assignment(cost, True)[1])


def test_lsa_rejects_nan_and_wrong_infinity():
    with pytest.raises(NonFiniteError, match="NaN"):
        _lsa(np.array([[np.nan, 1.0], [1.0, 2.0]]))
    with pytest.raises(NonFiniteError, match="-inf"):
        _lsa(np.array([[-np.inf, 1.0], [1.0, 2.0]]))
    with pytest.raises(NonFiniteError, match=r"\+inf"):
        _lsa(np.array([[np.inf, 1.0], [1.0, 2.0]]), True)
    r, c = _lsa(np.zeros((0, 3)))
    assert r.size == 0 and c.size == 0


# --------------------------------------------------------------------------- chi-square


def test_chi2_isf_matches_scipy_ppf():
    df = np.repeat(np.arange(1.0, 101.0), 4)
    p = np.tile([0.05, 0.01, 0.5, 1e-8], 100)
    got = _core._testing.chi2_isf(p, df)
    np.testing.assert_allclose(got, chi2.ppf(1 - p, df), rtol=1e-9)
    np.testing.assert_allclose(got, chi2.isf(p, df), rtol=1e-10)
    extreme = _core._testing.chi2_isf(np.array([0.0, 1.0, 0.3]), np.array([3.0, 3.0, 0.5]))
    assert extreme[0] == np.inf and extreme[1] == 0.0
    np.testing.assert_allclose(extreme[2], chi2.isf(0.3, 0.5), rtol=1e-9)


# --------------------------------------------------------------------------- PSI: labels


def test_psi_segment_shares_hand_example():
    # Reference: A 50, B 30, C 20 customers; current: A 40, B 30, C 30.
    # e = (.5, .3, .2), a = (.4, .3, .3)
    # PSI = (.4-.5) ln(.4/.5) + 0 + (.3-.2) ln(.3/.2)
    #     = 0.1 * 0.2231435513 + 0.1 * 0.4054651081 = 0.06286086594
    ref = ["A"] * 50 + ["B"] * 30 + ["C"] * 20
    cur = ["A"] * 40 + ["B"] * 30 + ["C"] * 30
    res = psi(ref, cur)
    assert isinstance(res, PSIResult) and res.kind == "labels"
    row = res.table.iloc[0]
    np.testing.assert_allclose(row["psi"], 0.06286086594, rtol=1e-9)
    e, a = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.3, 0.3])
    np.testing.assert_allclose(row["psi"], np.sum((a - e) * np.log(a / e)), rtol=1e-14)
    # PSI is the symmetrised Kullback-Leibler (Jeffreys) divergence.
    np.testing.assert_allclose(row["psi"], entropy(a, e) + entropy(e, a), rtol=1e-12)
    # Yurdakul & Naranjo: B = 3 bins, N = M = 100.
    crit05 = chi2.ppf(0.95, 2) * (1 / 100 + 1 / 100)
    crit01 = chi2.ppf(0.99, 2) * (1 / 100 + 1 / 100)
    np.testing.assert_allclose(row["critical_value_05"], crit05, rtol=1e-10)
    np.testing.assert_allclose(row["critical_value_01"], crit01, rtol=1e-10)
    np.testing.assert_allclose(row["p_value"], chi2.sf(row["psi"] / 0.02, 2), rtol=1e-10)
    assert row["rule_of_thumb"] == "stable"
    assert row["statistical"] == "no significant shift"
    assert row["n_bins"] == 3 and row["n_epsilon"] == 0
    np.testing.assert_allclose(res.bins["psi_term"].sum(), row["psi"], rtol=1e-14)


def test_psi_new_and_vanished_segments_reported_separately():
    ref = [0] * 60 + [1] * 30 + [2] * 10  # segment 2 vanishes
    cur = [0] * 45 + [1] * 45 + [3] * 10  # segment 3 is new
    res = psi(ref, cur)
    row = res.table.iloc[0]
    # PSI over the common segments {0, 1}, shares renormalised within them:
    # e = (60/90, 30/90), a = (45/90, 45/90)
    e, a = np.array([2 / 3, 1 / 3]), np.array([0.5, 0.5])
    np.testing.assert_allclose(row["psi"], np.sum((a - e) * np.log(a / e)), rtol=1e-12)
    assert res.new_segments == [3] and res.vanished_segments == [2]
    np.testing.assert_allclose(row["new_share"], 0.10)
    np.testing.assert_allclose(row["vanished_share"], 0.10)
    assert "new segment" in row["note"] and "vanished segment" in row["note"]
    status = dict(zip(res.bins["bin"], res.bins["status"], strict=True))
    assert status == {0: "common", 1: "common", 2: "vanished", 3: "new"}
    assert res.bins.loc[res.bins["status"] != "common", "psi_term"].isna().all()
    assert "not in the PSI" in res.summary()


def test_psi_segments_rule_of_thumb_and_significance_disagree_on_big_samples():
    # A small shift on a million customers: "stable" by the rule, significant by the test.
    ref = np.repeat([0, 1], [500_000, 500_000])
    cur = np.repeat([0, 1], [490_000, 510_000])
    row = psi(ref, cur).table.iloc[0]
    assert row["psi"] < 0.1
    assert row["rule_of_thumb"] == "stable" and row["statistical"] == "shift (1%)"


# --------------------------------------------------------------------------- PSI: features


def _numpy_psi(ref: np.ndarray, cur: np.ndarray, bins: int, eps: float) -> tuple:
    """The documented binning, written directly with numpy."""
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    edges = edges[edges < ref.max()]
    # Right-closed bins (lower, upper]: the index is the number of edges strictly below x.
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=edges.size + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=edges.size + 1)
    e, a = rc / ref.size, cc / cur.size
    both_empty = (e == 0) & (a == 0)
    e, a = np.where(e == 0, eps, e), np.where(a == 0, eps, a)
    terms = np.where(both_empty, 0.0, (a - e) * np.log(a / e))
    return edges, rc, cc, terms.sum()


def test_psi_features_match_numpy_binning():
    rng = np.random.default_rng(7)
    ref = pd.DataFrame(
        {
            "spend": rng.lognormal(3, 1, 3000),
            "orders": rng.poisson(2, 3000).astype(float),  # many ties: merged deciles
            "tenure": rng.uniform(0, 10, 3000),
        }
    )
    cur = pd.DataFrame(
        {
            "tenure": rng.uniform(1, 11, 2000),  # extra column order is fine
            "spend": rng.lognormal(3.2, 1, 2000),
            "orders": rng.poisson(2.5, 2000).astype(float),
            "extra": 1.0,
        }
    )
    res = psi(ref, cur, bins=10)
    assert list(res.table["feature"]) == ["spend", "orders", "tenure"]
    for name in ["spend", "orders", "tenure"]:
        edges, rc, cc, value = _numpy_psi(ref[name].to_numpy(), cur[name].to_numpy(), 10, 1e-4)
        b = res.bins[res.bins["feature"] == name]
        np.testing.assert_array_equal(b["upper"].to_numpy()[:-1], edges)
        np.testing.assert_array_equal(b["reference_count"], rc)
        np.testing.assert_array_equal(b["current_count"], cc)
        row = res.table[res.table["feature"] == name].iloc[0]
        np.testing.assert_allclose(row["psi"], value, rtol=1e-12)
        assert row["n_bins"] == edges.size + 1
        # critical value with the bins actually used
        want = chi2.ppf(0.95, edges.size) * (1 / 3000 + 1 / 2000)
        np.testing.assert_allclose(row["critical_value_05"], want, rtol=1e-10)
    orders = res.table.set_index("feature").loc["orders"]
    assert orders["n_bins"] < 10 and "ties merged" in orders["note"]


def test_psi_edge_values_go_to_the_left_bin_like_pandas_cut():
    ref = np.arange(1.0, 10.0)  # median 5.0 -> one edge at 5
    cur = np.array([5.0, 5.0, 6.0])
    res = psi(ref, cur, bins=2)
    b = res.bins
    np.testing.assert_array_equal(b["upper"], [5.0, np.inf])
    np.testing.assert_array_equal(b["reference_count"], [5, 4])
    np.testing.assert_array_equal(b["current_count"], [2, 1])
    codes = pd.cut(cur, [-np.inf, 5.0, np.inf], right=True, labels=False)
    np.testing.assert_array_equal(np.bincount(codes, minlength=2), [2, 1])
    # numpy.histogram's bins are left-closed: the same values would split 0 / 3.
    assert np.histogram(cur, [-1e300, 5.0, 1e300])[0].tolist() == [0, 3]


def test_psi_empty_reference_bin_uses_epsilon_and_says_so():
    # ref = [0, 0, 0, 10]: quantiles .25 and .5 are 0, .75 is 2.5 -> bins (-inf, 0],
    # (0, 2.5], (2.5, inf) with reference counts 3, 0, 1: the middle bin is empty.
    ref = np.array([0.0, 0.0, 0.0, 10.0])
    cur = np.array([0.0, 1.0, 1.0, 20.0])
    res = psi(ref, cur, bins=4, epsilon=1e-3)
    b = res.bins
    np.testing.assert_array_equal(b["reference_count"], [3, 0, 1])
    np.testing.assert_array_equal(b["epsilon_used"], [False, True, False])
    # e = (.75, eps, .25), a = (.25, .5, .25)
    # PSI = (.25-.75) ln(.25/.75) + (.5-.001) ln(.5/.001) + 0
    want = -0.5 * np.log(1 / 3) + 0.499 * np.log(500)
    row = res.table.iloc[0]
    np.testing.assert_allclose(row["psi"], want, rtol=1e-12)
    assert row["n_epsilon"] == 1 and "epsilon=0.001" in row["note"]
    assert res.epsilon == 1e-3 and "epsilon=0.001" in res.summary()
    assert row["rule_of_thumb"] == "major shift"


def test_psi_constant_feature_has_one_bin_and_zero_psi():
    ref = pd.DataFrame({"flag": np.ones(100), "x": np.arange(100.0)})
    cur = pd.DataFrame({"flag": np.full(50, 7.0), "x": np.arange(50.0)})
    res = psi(ref, cur)
    row = res.table.set_index("feature").loc["flag"]
    assert row["psi"] == 0.0 and row["n_bins"] == 1
    assert "0 by construction" in row["note"]
    assert np.isnan(row["critical_value_05"]) and row["statistical"] == "n/a (one bin)"


def test_psi_missing_values_get_their_own_bin():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=1000)
    cur = rng.normal(size=800)
    cur[:80] = np.nan  # 10% missing now, none before
    res = psi(ref, cur)
    b = res.bins
    assert b["bin"].iloc[-1] == "missing" and b["status"].iloc[-1] == "missing"
    assert b["reference_count"].iloc[-1] == 0 and b["current_count"].iloc[-1] == 80
    assert bool(b["epsilon_used"].iloc[-1])
    _, rc, cc, _ = _numpy_psi(ref, cur[80:], 10, 1e-4)
    np.testing.assert_array_equal(b["reference_count"].iloc[:-1], rc)
    np.testing.assert_array_equal(b["current_count"].iloc[:-1], cc)
    e = np.append(rc, 0) / 1000
    a = np.append(cc, 80) / 800
    e[-1] = 1e-4
    np.testing.assert_allclose(
        res.table["psi"].iloc[0], np.sum((a - e) * np.log(a / e)), rtol=1e-12
    )
    assert "missing values: 0 in reference, 80 in current" in res.table["note"].iloc[0]


def test_psi_detects_a_shift_and_not_a_resample():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(20_000, 2))
    cur = np.column_stack([rng.normal(size=20_000), rng.normal(0.5, 1, 20_000)])
    t = psi(ref, cur).table
    assert t.loc[0, "statistical"] == "no significant shift"
    assert t.loc[1, "statistical"] == "shift (1%)" and t.loc[1, "psi"] > 0.1


def test_psi_bad_input():
    with pytest.raises(NonFiniteError, match="infinity"):
        psi(np.array([[1.0], [np.inf]]), np.array([[1.0], [2.0]]))
    with pytest.raises(ShapeMismatchError, match="2 features"):
        psi(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ShapeMismatchError, match="no column"):
        psi(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0, 2.0]}))
    with pytest.raises(InvalidParameterError, match="bins"):
        psi(np.zeros((5, 1)), np.zeros((5, 1)), bins=1)
    with pytest.raises(InvalidParameterError, match="epsilon"):
        psi([0, 1], [0, 1], epsilon=0.0)
    with pytest.raises(InvalidParameterError, match="kind"):
        psi([0, 1], [0.5, 1.5])
    with pytest.raises(EmptyInputError):
        psi([], [0, 1], kind="labels")
    with pytest.raises(NonFiniteError, match="missing label"):
        psi(["a", None], ["a", "b"])


def test_psi_result_html_plot_and_series():
    res = psi(
        pd.DataFrame({"<b>x</b>": np.arange(50.0), "y": np.arange(50.0) % 7}),
        pd.DataFrame({"<b>x</b>": np.arange(50.0) + 10, "y": np.arange(50.0) % 5}),
    )
    html_text = res._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html_text and "<b>x</b>" not in html_text
    assert list(res.psi.index) == ["<b>x</b>", "y"]
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    assert len(ax.patches) == 2  # one bar per feature
    assert {line.get_ydata()[0] for line in ax.lines} == {0.1, 0.25}
    plt.close(fig)


# --------------------------------------------------------------------------- migration


def _eight_customers() -> tuple[pd.Series, pd.Series]:
    # c3 and c7 churn, c8 is new; c1, c4, c6 stay.
    before = pd.Series(
        ["A", "A", "A", "B", "B", "C", "C"], index=["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    )
    after = pd.Series(["A", "B", "B", "C", "C", "A"], index=["c1", "c2", "c4", "c5", "c6", "c8"])
    return before, after


def test_migration_hand_made_eight_customers():
    before, after = _eight_customers()
    res = migration_matrix(before, after)
    assert isinstance(res, MigrationResult)
    # By hand: A -> A (c1), A -> B (c2), A -> Churned (c3); B -> B (c4), B -> C (c5);
    # C -> C (c6), C -> Churned (c7); New -> A (c8).
    want = pd.DataFrame(
        [[1, 1, 0, 1], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]],
        index=pd.Index(["A", "B", "C", "New"], name="before"),
        columns=pd.Index(["A", "B", "C", "Churned"], name="after"),
        dtype=float,
    )
    pd.testing.assert_frame_equal(res.counts, want, check_index_type=False, check_column_type=False)
    np.testing.assert_allclose(res.shares.loc["A"], [1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(res.retention.to_numpy(), [1 / 3, 1 / 2, 1 / 2])
    assert res.overall_retention == pytest.approx(3 / 7)
    tidy = res.tidy
    assert list(tidy.columns) == ["before", "after", "count", "share"]
    assert len(tidy) == 16 and tidy["count"].sum() == 8
    cell = tidy[(tidy["before"] == "New") & (tidy["after"] == "A")]
    assert cell["count"].item() == 1 and cell["share"].item() == 1.0
    text = res.summary()
    assert "42.9%" in text and "New: 1 customers; Churned: 2" in text


def test_migration_weighted_counts_and_normalize():
    before, after = _eight_customers()
    revenue = pd.Series(
        [10.0, 20.0, 5.0, 1.0, 2.0, 3.0, 4.0, 100.0], index=[f"c{i}" for i in range(1, 9)]
    )
    res = migration_matrix(before, after, weights=revenue, normalize="column")
    assert res.weighted
    assert res.counts.loc["A", "B"] == 20.0 and res.counts.loc["New", "A"] == 100.0
    assert res.counts.loc["C", "Churned"] == 4.0
    np.testing.assert_allclose(res.retention["A"], 10 / 35)
    np.testing.assert_allclose(res.shares.sum(axis=0), 1.0)
    np.testing.assert_allclose(res.overall_retention, (10 + 1 + 3) / 45)


def test_migration_arrays_match_crosstab():
    rng = np.random.default_rng(5)
    b = rng.choice(["x", "y", "z", "w"], 5000)
    a = rng.integers(0, 6, 5000)  # other segment set, mixed types ok
    res = migration_matrix(b, a, normalize="all")
    want = pd.crosstab(pd.Series(b, name="before"), pd.Series(a, name="after"))
    np.testing.assert_array_equal(res.counts.to_numpy(), want.to_numpy().astype(float))
    assert list(res.counts.index) == ["w", "x", "y", "z"]
    np.testing.assert_allclose(res.shares.to_numpy().sum(), 1.0)
    assert res.retention.eq(0).all()  # no segment name in common
    w = rng.random(5000)
    wres = migration_matrix(b, a, weights=w)
    wwant = pd.crosstab(b, a, values=w, aggfunc="sum").fillna(0.0)
    np.testing.assert_allclose(wres.counts.to_numpy(), wwant.to_numpy(), rtol=1e-12)


def test_migration_bad_input():
    with pytest.raises(ShapeMismatchError, match="7 labels.*6"):
        migration_matrix(np.zeros(7, int), np.zeros(6, int))
    with pytest.raises(InvalidWeightsError, match="negative"):
        migration_matrix([0, 1], [0, 1], weights=[1.0, -1.0])
    with pytest.raises(InvalidWeightsError, match="NaN"):
        migration_matrix([0, 1], [0, 1], weights=[1.0, np.nan])
    before, after = _eight_customers()
    with pytest.raises(InvalidWeightsError, match="Series"):
        migration_matrix(before, after, weights=np.ones(8))
    with pytest.raises(InvalidWeightsError, match="no value for 1"):
        migration_matrix(before, after, weights=pd.Series(1.0, index=before.index))
    with pytest.raises(InvalidParameterError, match="clash"):
        migration_matrix(before.replace("A", "New"), after)
    with pytest.raises(InvalidParameterError, match="normalize"):
        migration_matrix([0], [0], normalize="rows")
    with pytest.raises(InvalidParameterError, match="duplicated"):
        migration_matrix(pd.Series([0, 1], index=[1, 1]), pd.Series([0, 1], index=[1, 2]))
    with pytest.raises(NonFiniteError, match="missing"):
        migration_matrix([0.0, np.nan], [0.0, 1.0])


def test_migration_html_and_plot():
    before, after = _eight_customers()
    res = migration_matrix(before.replace("A", "<A&>"), after)
    assert "&lt;A&amp;&gt;" in res._repr_html_()
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    assert len(ax.texts) == res.counts.size  # one annotation per cell
    assert ax.get_xlabel() == "after" and len(ax.images) == 1
    plt.close(fig)


# --------------------------------------------------------------------------- align / relabel


def test_align_labels_recovers_a_permutation_and_keeps_the_container():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 5, 500)
    perm = np.array([3, 0, 4, 1, 2])
    new = perm[ref]
    noisy = new.copy()
    noisy[:40] = rng.integers(0, 5, 40)  # some customers moved
    aligned, mapping = align_labels(noisy, ref, return_mapping=True)
    assert isinstance(aligned, np.ndarray) and aligned.dtype == np.int64
    assert mapping == {int(perm[i]): i for i in range(5)}
    assert (aligned == ref).mean() > 0.9
    s = pd.Series(noisy, index=np.arange(500) + 1000, name="seg")
    out = align_labels(s, ref)
    assert isinstance(out, pd.Series) and out.name == "seg"
    pd.testing.assert_index_equal(out.index, s.index)


def test_align_labels_oracle_scipy_on_contingency():
    from sklearn.metrics.cluster import contingency_matrix

    rng = np.random.default_rng(11)
    ref = rng.integers(0, 4, 300)
    new = rng.integers(0, 6, 300)  # unrelated: many near-ties
    table = contingency_matrix(new, ref)
    r, c = linear_sum_assignment(table, maximize=True)
    _, mapping = align_labels(new, ref, return_mapping=True)
    for i, j in zip(r, c, strict=True):
        if table[i, j] > 0:
            assert mapping[i] == j
    unmatched = sorted(k for k, v in mapping.items() if v >= 4)
    assert [mapping[k] for k in unmatched] == [4, 5]  # fresh ids after the largest (3)


def test_align_labels_series_on_index_intersection_and_strings():
    ref = pd.Series(["gold", "gold", "silver", "silver", "bronze"], index=[1, 2, 3, 4, 5])
    new = pd.Series(["s1", "s1", "s2", "s2", "s3", "s3"], index=[2, 1, 4, 3, 9, 10])
    out, mapping = align_labels(new, ref, return_mapping=True)
    assert mapping == {"s1": "gold", "s2": "silver", "s3": "new_0"}
    assert out.tolist() == ["gold", "gold", "silver", "silver", "new_0", "new_0"]
    pd.testing.assert_index_equal(out.index, new.index)


def test_align_labels_mixed_types_and_fewer_segments():
    ref = np.array([0, 0, "a", "a", 2.5, 2.5], dtype=object)
    new = np.array(["x", "x", "y", "y", "y", "y"], dtype=object)
    out, mapping = align_labels(new, ref, return_mapping=True)
    assert mapping["x"] == 0 and mapping["y"] in ("a", 2.5)
    assert out.dtype == object


def test_align_labels_on_centres_and_models():
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X_old = np.vstack([c + rng.normal(size=(100, 2)) for c in centres])
    X_new = np.vstack([c + rng.normal(size=(80, 2)) for c in centres[::-1]])
    old = KMeans(3, n_init=3, random_state=0).fit(X_old)
    new = KMeans(3, n_init=3, random_state=5).fit(X_new)
    aligned = align_labels(new, old)
    # Same blob -> same id: compare with the old model's prediction on the new customers.
    np.testing.assert_array_equal(aligned, old.predict(X_new))
    dist = np.linalg.norm(new.cluster_centers_[:, None] - old.cluster_centers_[None], axis=2)
    _, col = linear_sum_assignment(dist)
    _, mapping = align_labels(new.cluster_centers_, old.cluster_centers_, return_mapping=True)
    assert [mapping[i] for i in range(3)] == col.tolist()
    # Labels + X: centres are the per-segment means.
    via_x = align_labels(new.labels_, old, X=X_new)
    np.testing.assert_array_equal(via_x, aligned)
    # More new segments than reference ones: the extra gets id 3.
    extra = np.vstack([new.cluster_centers_, [[50.0, 50.0]]])
    assert align_labels(extra, old.cluster_centers_).tolist()[-1] == 3


def test_align_labels_bad_input():
    with pytest.raises(ShapeMismatchError, match="5 labels.*4"):
        align_labels(np.zeros(5, int), np.zeros(4, int))
    with pytest.raises(InvalidParameterError, match="pass X"):
        align_labels(np.zeros(5, int), np.zeros((2, 3)))
    with pytest.raises(InvalidParameterError, match="label vector"):
        align_labels(np.zeros((2, 3)), np.zeros(5, int))
    with pytest.raises(ShapeMismatchError, match="features"):
        align_labels(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(EmptyInputError, match="share no customer"):
        align_labels(pd.Series([0], index=[1]), pd.Series([0], index=[2]))
    with pytest.raises(NonFiniteError, match="missing"):
        align_labels(np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_relabel_by_size_and_kpi():
    labels = pd.Series(["b", "a", "b", "c", "b", "a"], index=list("uvwxyz"), name="seg")
    out, mapping = relabel(labels, return_mapping=True)
    assert mapping == {"b": 0, "a": 1, "c": 2}
    pd.testing.assert_index_equal(out.index, labels.index)
    assert relabel(labels, ascending=True).tolist() == [2, 1, 2, 0, 2, 1]
    kpi = pd.Series([1.0, 50.0, 1.0, 9.0, 1.0, 30.0], index=list("uvwxyz"))[::-1]
    out = relabel(labels, by=kpi)  # aligned on the index
    assert out.tolist() == [2, 0, 2, 1, 2, 0]
    means = pd.Series(kpi.reindex(labels.index).to_numpy()).groupby(labels.to_numpy()).mean()
    assert list(means.sort_values(ascending=False).index) == ["a", "c", "b"]
    with pytest.raises(ShapeMismatchError, match="one KPI value"):
        relabel([0, 1], by=[1.0])
    with pytest.raises(NonFiniteError):
        relabel([0, 1], by=[1.0, np.nan])
    with pytest.raises(InvalidParameterError, match="by"):
        relabel([0, 1], by="mean")


def test_psi_many_features_in_chunks_match_numpy():
    # More features than one chunk (the progress bar advances between chunks).
    rng = np.random.default_rng(9)
    ref = rng.normal(size=(400, 30))
    cur = rng.normal(0.1, 1.0, size=(300, 30))
    res = psi(ref, cur, bins=5, progress=False)
    want = [_numpy_psi(ref[:, j], cur[:, j], 5, 1e-4)[3] for j in range(30)]
    np.testing.assert_allclose(res.table["psi"], want, rtol=1e-12)
    assert list(res.table["feature"]) == [f"x{j}" for j in range(30)]


def test_align_labels_centres_with_explicit_labels_and_psi_on_a_series():
    old = np.array([[0.0], [10.0]])
    new = np.array([[9.0], [1.0]])
    labels = pd.Series([0, 0, 1], index=["a", "b", "c"], name="seg")
    out = align_labels(new, old, labels=labels)
    assert out.tolist() == [1, 1, 0] and list(out.index) == ["a", "b", "c"]
    with pytest.raises(InvalidParameterError, match="integer ids 0..1"):
        align_labels(new, old, labels=[0, 2])
    res = psi(pd.Series(np.arange(100.0), name="spend"), pd.Series(np.arange(100.0) + 50))
    assert res.kind == "features" and res.table["feature"].tolist() == ["spend"]
    with pytest.raises(InvalidWeightsError, match="all zero"):
        migration_matrix([0, 1], [0, 1], weights=[0.0, 0.0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=60), st.permutations(range(6)))
def test_property_align_undoes_a_permutation_and_psi_of_itself_is_zero(labels, perm):
    ref = np.array(labels)
    new = np.array(perm)[ref]
    np.testing.assert_array_equal(align_labels(new, ref), ref)
    assert psi(ref, ref).table["psi"].iloc[0] == 0.0
    res = psi(ref.astype(float), new.astype(float))
    assert res.table["psi"].iloc[0] >= 0.0


def test_migration_shows_new_and_churned_only_when_there_are_any():
    same = pd.Series(["a", "b", "a"], index=[1, 2, 3])
    res = migration_matrix(same, same.map({"a": "b", "b": "a"}))
    assert list(res.counts.index) == ["a", "b"] and list(res.counts.columns) == ["a", "b"]
    assert "New: 0 customers; Churned: 0" in res.summary()
    res = migration_matrix(same, pd.Series(["a", "a"], index=[1, 4]))
    assert list(res.counts.index) == ["a", "b", "New"]
    assert list(res.counts.columns) == ["a", "Churned"]
    assert res.counts.loc["New", "a"] == 1 and res.counts["Churned"].sum() == 2
