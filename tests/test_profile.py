"""segwise.profile.profile_segments: oracles (pandas, scipy, statsmodels), markers, personas."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import outputs_on_threads  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import stats  # noqa: E402
from segwise.exceptions import (  # noqa: E402
    ColumnNotFoundError,
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
)
from segwise.profile import SegmentProfile, profile_segments  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

RTOL = 1e-10


def _customers(n=600, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    seg = rng.choice(["bronze", "gold", "silver", "new"], size=n, p=[0.4, 0.1, 0.3, 0.2])
    shift = pd.Series(seg).map({"bronze": 0.0, "gold": 2.0, "silver": 0.7, "new": -0.4})
    df = pd.DataFrame(
        {
            "spend": np.exp(rng.normal(3 + shift, 0.8)),
            "visits": rng.poisson(2 + 3 * shift.clip(lower=0)).astype(float),
            "tenure": rng.normal(24, 6, n) + 10 * (seg == "new") * -1,
        },
        index=pd.RangeIndex(1000, 1000 + n, name="customer"),
    )
    if nan:
        df.loc[df.index[rng.choice(n, 25, replace=False)], "spend"] = np.nan
        df.loc[df.index[rng.choice(n, 7, replace=False)], "tenure"] = np.nan
    return df, seg


def _check_against_oracles(df, seg, prof):
    features = list(df.columns)
    grouped = df.groupby(seg)
    t = prof.table.set_index(["segment", "feature"])
    pvals = []
    for label in sorted(set(seg)):
        inside = seg == label
        for f in features:
            row = t.loc[(label, f)]
            a = df.loc[inside, f].dropna().to_numpy()
            b = df.loc[~inside, f].dropna().to_numpy()
            assert row["n"] == a.size
            np.testing.assert_allclose(row["mean"], grouped[f].mean()[label], rtol=RTOL)
            np.testing.assert_allclose(row["median"], grouped[f].median()[label], rtol=RTOL)
            np.testing.assert_allclose(row["sd"], grouped[f].std()[label], rtol=RTOL)
            pop_mean, pop_sd = df[f].mean(), df[f].std()
            np.testing.assert_allclose(row["population_mean"], pop_mean, rtol=RTOL)
            np.testing.assert_allclose(row["index"], a.mean() / pop_mean * 100, rtol=RTOL)
            np.testing.assert_allclose(row["std_diff"], (a.mean() - pop_mean) / pop_sd, rtol=RTOL)
            res = stats.ttest_ind(a, b, equal_var=False)
            np.testing.assert_allclose(row["t"], res.statistic, rtol=RTOL)
            np.testing.assert_allclose(row["df"], res.df, rtol=RTOL)
            np.testing.assert_allclose(row["pvalue"], res.pvalue, rtol=1e-9, atol=1e-300)
            pvals.append(res.pvalue)
    # BH over all segment x feature cells, in the table's (segment, feature) order.
    reject, adj, _, _ = multipletests(pvals, alpha=prof.alpha, method="fdr_bh")
    np.testing.assert_allclose(prof.table["pvalue_adj"], adj, rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(prof.table["significant"], reject)
    pop = prof.population
    np.testing.assert_allclose(pop["mean"], df.mean(), rtol=RTOL)
    np.testing.assert_allclose(pop["median"], df.median(), rtol=RTOL)
    np.testing.assert_allclose(pop["sd"], df.std(), rtol=RTOL)
    np.testing.assert_array_equal(pop["n_missing"], df.isna().sum())


def test_matches_pandas_scipy_and_statsmodels():
    df, seg = _customers()
    before = df.copy()
    prof = profile_segments(df, seg)
    assert isinstance(prof, SegmentProfile)
    _check_against_oracles(df, seg, prof)
    pd.testing.assert_frame_equal(df, before)  # the caller's data is untouched
    sizes = pd.Series(seg).value_counts()
    assert list(prof.segments.index) == sorted(sizes.index)  # string labels, sorted
    np.testing.assert_array_equal(prof.segments["size"], sizes[prof.segments.index])
    np.testing.assert_allclose(prof.segments["share"], sizes[prof.segments.index] / len(df))
    np.testing.assert_allclose(
        prof.segments["mean_spend"], df.groupby(seg)["spend"].mean(), rtol=RTOL
    )
    assert prof.notes == []


def test_nan_is_dropped_per_feature_and_counted():
    df, seg = _customers(seed=1, nan=True)
    prof = profile_segments(df, seg)
    _check_against_oracles(df, seg, prof)
    # sizes still count every customer
    assert prof.segments["size"].sum() == len(df)
    assert prof.population.loc["spend", "n_missing"] == 25
    assert any("'spend': 25" in note and "'tenure': 7" in note for note in prof.notes)
    with pytest.raises(NonFiniteError, match="spend"):
        profile_segments(df, seg, missing="raise")


def test_marker_rule_traced_through_flexclust():
    # flexclust's shaded barchart (createBarchartPanel): marker = abs(x - m) >= diff[1] |
    # abs((x - m) / m) >= diff[2], diff = c(1/4, 0.5); here x - m on the standardized
    # scale for the first criterion and on the original scale for the second.
    # Two segments A, B of 4 customers each:
    # big:   A 101,103,101,103 (mean 102), B 97,99,97,99 (98): m = 100, squared
    #        deviations sum to 40, sd = sqrt(40/7) = 2.390; A: |2|/2.390 = 0.837 >= 0.25
    #        -> marker (relative 2/100 = 0.02 < 0.5 alone would not mark).
    # small: A 11.6,-8.4,11.6,-8.4 (1.6), B 10.4,-9.6,10.4,-9.6 (0.4): m = 1, sd =
    #        sqrt(802.88/7) = 10.71; standardized 0.6/10.71 = 0.056 < 0.25, relative
    #        0.6/1 = 0.6 >= 0.5 -> marker by the relative rule only.
    # flat:  A 10,30,10,30 (20), B 9,29,9,29 (19): m = 19.5, sd = 10.40; standardized
    #        0.048, relative 0.026 -> no marker.
    # zero:  A 1,1,1,1, B -1,-1,-1,-1: m = 0 (relative undefined: flexclust would divide
    #        by 0, segwise skips it), sd = sqrt(8/7) = 1.069, standardized 0.935 -> marker.
    df = pd.DataFrame(
        {
            "big": [101, 103, 101, 103, 97, 99, 97, 99],
            "small": [11.6, -8.4, 11.6, -8.4, 10.4, -9.6, 10.4, -9.6],
            "flat": [10, 30, 10, 30, 9, 29, 9, 29],
            "zero": [1, 1, 1, 1, -1, -1, -1, -1],
        },
        dtype=float,
    )
    labels = ["A"] * 4 + ["B"] * 4
    prof = profile_segments(df, labels)
    std = prof.wide("std_diff")
    np.testing.assert_allclose(
        std.loc["A"],
        [
            2 / np.sqrt(40 / 7),
            0.6 / np.sqrt(802.88 / 7),
            0.5 / df["flat"].std(),
            1 / np.sqrt(8 / 7),
        ],
        rtol=1e-12,
    )
    expected = {"big": True, "small": True, "flat": False, "zero": True}
    for seg in "AB":
        assert prof.wide("marker").loc[seg].to_dict() == expected
    # Each criterion on its own: raise both thresholds above big's 0.837 and small's 0.6.
    strict = profile_segments(df, labels, marker_diff=(0.9, 0.7))
    assert strict.wide("marker").loc["A"].to_dict() == {
        "big": False,
        "small": False,
        "flat": False,
        "zero": True,
    }
    # index undefined where the population mean is 0, with a note
    assert np.isnan(prof.wide("index").loc["A", "zero"])
    np.testing.assert_allclose(prof.wide("index").loc["A", "big"], 102.0, rtol=1e-12)
    assert any("population mean is 0" in n and "zero" in n for n in prof.notes)


def test_persona_names_and_descriptions():
    rng = np.random.default_rng(3)
    n = 300
    seg = np.repeat([0, 1, 2], n)
    df = pd.DataFrame(
        {
            "monetary": np.r_[
                rng.normal(300, 20, n), rng.normal(50, 10, n), rng.normal(100, 10, n)
            ],
            "frequency": np.r_[rng.normal(8, 1, n), rng.normal(1.5, 0.3, n), rng.normal(3, 0.5, n)],
            "recency_days": np.r_[
                rng.normal(30, 5, n), rng.normal(400, 30, n), rng.normal(200, 30, n)
            ],
            "noise": rng.normal(0, 1, 3 * n),
        }
    )
    words = {
        "frequency": ("less frequent", "more frequent"),
        "recency_days": ("more recent", "less recent"),
    }
    prof = profile_segments(df, seg, descriptors=words)
    names = prof.segments["name"]
    # the strongest markers by |std diff| first, with the user's words where given
    for label in range(3):
        std = prof.wide("std_diff").loc[label]
        top = std.drop("noise").abs().sort_values(ascending=False).index[:3]
        assert "noise" not in names[label]
        assert (
            names[label]
            .lower()
            .startswith(
                {
                    "monetary": "higher monetary" if std["monetary"] > 0 else "lower monetary",
                    "frequency": "more frequent" if std["frequency"] > 0 else "less frequent",
                    "recency_days": "less recent" if std["recency_days"] > 0 else "more recent",
                }[top[0]]
            )
        )

    def words_of(name):
        assert name.endswith(" than average")
        return set(name.removesuffix(" than average").lower().split(", "))

    assert words_of(names[0]) == {"higher monetary", "more frequent", "more recent"}
    assert words_of(names[1]) == {"lower monetary", "less frequent", "less recent"}
    assert prof.segments.loc[0, "description"].startswith(f"{names[0]} — 33% of customers")
    # name_terms limits the terms when the names differ anyway
    short = profile_segments(df, seg, descriptors=words, name_terms=1)
    assert all(", " not in name for name in short.segments["name"])
    # twins agree on every feature: "much" for the stronger, then the label
    twin = profile_segments(pd.concat([df, df]), np.r_[seg, seg + 10])
    assert twin.segments["name"].is_unique
    assert twin.segments.loc[10, "name"].endswith("[10]")
    # a segment without significant markers is "Close to average"
    flat = profile_segments(pd.DataFrame({"x": rng.normal(size=200)}), np.tile([0, 1], 100))
    assert flat.segments["name"].str.startswith("Close to average").all()


def test_persona_names_are_never_near_identical():
    # Two segments both more frequent and higher spend; they differ on recency only.
    rng = np.random.default_rng(4)
    n = 300
    base = pd.DataFrame(
        {
            "recency_days": rng.normal(100, 20, 3 * n),
            "frequency": rng.normal(5, 1, 3 * n),
            "monetary": rng.normal(100, 15, 3 * n),
        }
    )
    seg = np.repeat([0, 1, 2], n)
    base.loc[seg == 0, ["frequency", "monetary"]] += [4.0, 60.0]
    base.loc[seg == 1, ["frequency", "monetary"]] += [4.2, 55.0]
    base.loc[seg == 0, "recency_days"] -= 30
    base.loc[seg == 1, "recency_days"] += 30
    words = {
        "recency_days": ("more recent", "less recent"),
        "frequency": ("less frequent", "more frequent"),
        "monetary": ("lower spend", "higher spend"),
    }
    names = profile_segments(base, seg, descriptors=words, name_terms=2).segments["name"]
    sets = [frozenset(n.removesuffix(" than average").lower().split(", ")) for n in names]
    assert len(set(sets)) == 3, names.tolist()
    assert "more recent" in sets[0] and "less recent" in sets[1]


def test_labels_as_column_series_and_numpy_input():
    df, seg = _customers(n=200, seed=2)
    ref = profile_segments(df, seg)
    with_col = profile_segments(df.assign(tier=seg), "tier")
    pd.testing.assert_frame_equal(with_col.table, ref.table)
    # a Series with the same labels in another order is aligned on the index
    shuffled = pd.Series(seg, index=df.index).sample(frac=1, random_state=0)
    pd.testing.assert_frame_equal(profile_segments(df, shuffled).table, ref.table)
    arr = profile_segments(df.to_numpy(), seg, features=list(df.columns))
    pd.testing.assert_frame_equal(arr.table, ref.table)
    unnamed = profile_segments(df.to_numpy(), seg)
    assert list(unnamed.population.index) == ["x0", "x1", "x2"]
    sub = profile_segments(df, seg, features=["visits"])
    assert list(sub.population.index) == ["visits"]
    # a categorical keeps its category order (unused categories are not segments)
    tiers = pd.Categorical(seg, categories=["new", "bronze", "silver", "gold", "vip"])
    cat = profile_segments(df, tiers)
    assert list(cat.segments.index) == ["new", "bronze", "silver", "gold"]
    pd.testing.assert_frame_equal(cat.wide("mean").loc[sorted(set(seg))], ref.wide("mean"))
    # bool and int columns are numeric
    mixed = profile_segments(
        pd.DataFrame({"flag": [True, False, True, True], "n": [1, 2, 3, 4]}), [0, 0, 1, 1]
    )
    np.testing.assert_allclose(mixed.wide("mean").loc[1], [1.0, 3.5])


def test_bad_input():
    df, seg = _customers(n=50)
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        profile_segments(df, seg, features=["spend", "nope"])
    with pytest.raises(ColumnNotFoundError, match="'tier'"):
        profile_segments(df, "tier")
    with pytest.raises(ShapeMismatchError, match="49 entries"):
        profile_segments(df, seg[:-1])
    # text in an array is not numeric unless categorical= names its column
    with pytest.raises(NonNumericError, match="non-numeric"):
        profile_segments(df.assign(city="Paris").to_numpy(dtype=object), seg)
    with pytest.raises(ColumnNotFoundError, match="'town'"):
        profile_segments(df.assign(city="Paris"), seg, categorical=["town"])
    with pytest.raises(InvalidParameterError, match="single segment"):
        profile_segments(df, np.zeros(len(df)))
    with pytest.raises(NonFiniteError, match="infinity"):
        profile_segments(df.assign(spend=np.inf), seg)
    with pytest.raises(NonFiniteError, match="missing"):
        profile_segments(df, pd.Series(seg, index=df.index).where(np.arange(len(df)) > 0, None))
    with pytest.raises(InvalidParameterError, match="not profiled"):
        profile_segments(df, seg, descriptors={"frequency": ("rare", "often")})
    with pytest.raises(InvalidParameterError, match="pair"):
        profile_segments(df, seg, descriptors={"spend": "big"})
    with pytest.raises(InvalidParameterError, match="alpha"):
        profile_segments(df, seg, alpha=1.5)
    with pytest.raises(InvalidParameterError, match="marker_diff"):
        profile_segments(df, seg, marker_diff=(0.25, -1))
    with pytest.raises(InvalidParameterError, match="missing"):
        profile_segments(df, seg, missing="fill")
    with pytest.raises(InvalidParameterError, match="value"):
        profile_segments(df, seg).wide("nope")


def test_small_segments_get_nan_tests_counted_in_the_family():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 10.0]})
    prof = profile_segments(df, [0, 0, 0, 0, 1])
    row = prof.table.set_index("segment").loc[1]
    assert np.isnan(row["pvalue"]) and not row["significant"]
    assert any("no test" in n for n in prof.notes)


def test_summary_html_and_plot():
    df, seg = _customers(n=300, seed=4)
    df = df.rename(columns={"tenure": "<tenure & co>"})
    prof = profile_segments(df, seg, descriptors={"visits": ("rare", "frequent")})
    text = prof.summary()
    assert "4 segments, 3 feature(s), 300 customers" in text
    flat = " ".join(text.split())  # the text wraps at 100 columns
    for desc in prof.segments["description"]:
        assert " ".join(desc.split()) in flat
    assert max(len(line) for line in text.splitlines()[:8]) <= 100
    page = prof._repr_html_()
    assert "&lt;tenure &amp; co&gt;" in page and "<tenure" not in page
    assert "background:#" in page and "<script" not in page
    assert page.count("<tr>") == len(prof.segments) + 1  # plus the header row
    fig, ax = plt.subplots()
    try:
        out = prof.plot(ax=ax)
        assert out is ax
        (image,) = ax.get_images()
        assert image.get_array().shape == (4, 3)
        np.testing.assert_allclose(image.get_array(), prof.wide("std_diff").to_numpy())
        assert len(ax.texts) == 12
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == [f"{s}: {n}" for s, n in prof.segments["name"].items()]
    finally:
        plt.close("all")


def test_row_order_and_label_names_do_not_matter():
    df, seg = _customers(n=400, seed=5, nan=True)
    ref = profile_segments(df, seg)
    perm = np.random.default_rng(0).permutation(len(df))
    renamed = pd.Series(seg).map({"bronze": "b", "gold": "g", "new": "n", "silver": "s"})
    other = profile_segments(df.iloc[perm], renamed.to_numpy()[perm])
    num = ["n", "mean", "median", "sd", "index", "std_diff", "t", "df", "pvalue", "pvalue_adj"]
    np.testing.assert_allclose(
        other.table[num].to_numpy(float), ref.table[num].to_numpy(float), rtol=1e-12
    )
    np.testing.assert_array_equal(other.table["marker"], ref.table["marker"])
    assert list(other.segments["name"]) == [
        n.replace(f"[{a}]", f"[{b}]")
        for n, a, b in zip(
            ref.segments["name"], ref.segments.index, other.segments.index, strict=True
        )
    ]


def test_grouped_pass_is_deterministic_across_threads():
    code = textwrap.dedent("""
        import numpy as np, hashlib
        from segwise import _core
        rng = np.random.default_rng(0)
        x = rng.normal(1e3, 5.0, (200_000, 6))
        x[rng.random(x.shape) < 0.01] = np.nan
        codes = rng.integers(0, 9, x.shape[0])
        out = _core.profile_segment_moments(x, codes, n_groups=9)
        print(hashlib.sha256(b"".join(a.tobytes() for a in out)).hexdigest())
    """)
    digests = {out.strip() for out in outputs_on_threads(code)}
    assert len(digests) == 1


def test_label_types_survive():
    df = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "seg": [2, 2, 0, 0, 1, 1]})
    for labels in ("seg", df["seg"], df["seg"].to_numpy(), df["seg"].tolist()):
        prof = profile_segments(df, labels, features=["x"])
        assert prof.segments.index.dtype == np.int64, type(labels)
        assert list(prof.segments.index) == [0, 1, 2]
    floats = profile_segments(df[["x"]], df["seg"].astype(float) / 2)
    assert list(floats.segments.index) == [0.0, 0.5, 1.0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 60),
    d=st.integers(1, 3),
    k=st.integers(2, 4),
    nan_share=st.sampled_from([0.0, 0.1]),
)
def test_invariants(seed, n, d, k, nan_share):
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.normal(0, 3), 2, (n, d)).round(1)  # ties and zeros happen
    x[rng.random((n, d)) < nan_share] = np.nan
    labels = np.r_[np.arange(k), rng.integers(0, k, n - k)]
    if np.isnan(x).all(axis=0).any():
        return
    prof = profile_segments(x, labels)
    means, counts = prof.wide("mean").to_numpy(), prof.wide("n").to_numpy()
    pop = prof.population
    # the population mean is the size-weighted mean of the segment means
    np.testing.assert_allclose(
        np.nansum(means * counts, axis=0), pop["mean"] * pop["n"], rtol=1e-9, atol=1e-9
    )
    t = prof.table
    ok = t["pvalue"].notna()
    assert (t.loc[ok, "pvalue_adj"] >= t.loc[ok, "pvalue"] - 1e-15).all()
    assert (t["significant"] <= ok).all()
    # index and standardized difference agree in sign where both are defined
    both = t["index"].notna() & (t["std_diff"].abs() > 1e-9) & (t["population_mean"] > 0)
    np.testing.assert_array_equal(
        np.sign(t.loc[both, "index"] - 100).to_numpy(), np.sign(t.loc[both, "std_diff"]).to_numpy()
    )
    # with a zero threshold every cell with a defined difference is a marker
    loose = profile_segments(x, labels, marker_diff=(0.0, 1e9)).table
    np.testing.assert_array_equal(loose["marker"], loose["std_diff"].notna())


def test_empty_and_constant_features_are_noted():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": np.nan, "c": 5.0})
    prof = profile_segments(df, [0, 0, 1, 1])
    assert any("no values at all" in n and "'b'" in n for n in prof.notes)
    assert any("no variation in ['c']" in n for n in prof.notes)
    assert prof.population.loc["b", "n"] == 0 and np.isnan(prof.population.loc["b", "mean"])
    assert prof.table.loc[prof.table["feature"] != "a", "pvalue"].isna().all()


# --------------------------------------------------------------------------- categorical


def _mixed_customers(n=900, seed=0):
    df, seg = _customers(n=n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    urban = {"bronze": 0.3, "gold": 0.7, "silver": 0.4, "new": 0.35}
    df["area"] = np.where(
        rng.random(n) < pd.Series(seg).map(urban).to_numpy(),
        "Urban",
        rng.choice(["Rural", "Surburban"], n),
    )
    df["channel"] = pd.Categorical(
        np.where(seg == "new", "Web", rng.choice(["Phone", "Web", "Multichannel"], n)),
        categories=["Phone", "Web", "Multichannel"],
    )
    return df, seg


def test_categorical_shares_tests_and_residuals_match_pandas_scipy_statsmodels():
    from statsmodels.stats.contingency_tables import Table as SmTable

    df, seg = _mixed_customers()
    prof = profile_segments(df, seg)
    assert list(prof.population.index) == ["spend", "visits", "tenure"]
    assert list(prof.tests.index) == ["area", "channel"]
    pvals = list(prof.table["pvalue"])
    for feature in ("area", "channel"):
        crosstab = pd.crosstab(pd.Series(seg, name="segment"), df[feature].to_numpy())
        shares = prof.shares(feature)
        np.testing.assert_allclose(
            shares.to_numpy(), crosstab.div(crosstab.sum(axis=1), axis=0)[shares.columns], rtol=RTOL
        )
        overall = df[feature].value_counts(normalize=True)
        index = prof.shares(feature, "index")
        np.testing.assert_allclose(
            index, shares / overall[shares.columns].to_numpy() * 100, rtol=RTOL
        )
        table = crosstab[shares.columns].to_numpy()
        ref = stats.chi2_contingency(table, correction=False)
        row = prof.tests.loc[feature]
        np.testing.assert_allclose(row["statistic"], ref.statistic, rtol=1e-12)
        assert row["dof"] == ref.dof and row["n"] == len(df)
        np.testing.assert_allclose(row["pvalue"], ref.pvalue, rtol=1e-9, atol=1e-300)
        v = np.sqrt(ref.statistic / (len(df) * (min(table.shape) - 1)))
        np.testing.assert_allclose(row["cramers_v"], v, rtol=1e-12)
        resid = SmTable(table, shift_zeros=False).standardized_resids
        np.testing.assert_allclose(prof.shares(feature, "residual"), resid, rtol=1e-10)
        pvals += list(2 * stats.norm.sf(np.abs(resid)).ravel())
        # std_diff of the 0/1 indicator: (share - p) / sd(indicator, ddof=1)
        dummies = pd.get_dummies(df[feature]).astype(float)[shares.columns]
        np.testing.assert_allclose(
            prof.shares(feature, "std_diff"),
            (shares - dummies.mean().to_numpy()) / dummies.std().to_numpy(),
            rtol=1e-10,
        )
    # One BH family: numeric cells in table order, then each feature's cells.
    _, adj, _, _ = multipletests(pvals, method="fdr_bh")
    got = np.concatenate([prof.table["pvalue_adj"], prof.levels["pvalue_adj"]])
    np.testing.assert_allclose(got, adj, rtol=1e-9, atol=1e-300)
    _, chi_adj, _, _ = multipletests(prof.tests["pvalue"], method="fdr_bh")
    np.testing.assert_allclose(prof.tests["pvalue_adj"], chi_adj, rtol=1e-12)


def test_personas_name_over_represented_levels():
    df, seg = _mixed_customers(n=3000, seed=1)
    prof = profile_segments(
        df, seg, features=["area", "channel"], descriptors={"channel": {"Web": "online"}}
    )
    gold, new = prof.segments.loc["gold"], prof.segments.loc["new"]
    assert "Urban" in gold["name"] and "Urban 7" in gold["description"]
    # a level's descriptor is its label in the name
    assert new["name"] == "Online" and "online 100% vs" in new["description"]
    assert gold["mode_area"] == "Urban" and new["mode_channel"] == "Web"
    assert new["mode_share_channel"] == 1.0
    flag = profile_segments(
        pd.DataFrame({"newbie": [True] * 40 + [False] * 60}),
        [0] * 40 + [1] * 60,
        categorical=["newbie"],
    )
    assert flag.segments["name"].tolist() == ["Newbie", "Not newbie"]
    assert profile_segments(
        pd.DataFrame({"newbie": [True] * 4 + [False] * 6}), [0] * 4 + [1] * 6
    ).tests.empty


def test_persona_names_list_over_represented_levels_then_numeric_comparisons():
    # Segment 0: all Urban, all Web, high spend; 1: all Rural, all Shop, low spend;
    # 2: half Urban (the population share: no marker), all Phone, average spend.
    n = 200
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "area": ["Urban"] * n + ["Rural"] * n + ["Urban", "Rural"] * (n // 2),
            "channel": ["Web"] * n + ["Shop"] * n + ["Phone"] * n,
            "spend": np.r_[rng.normal(200, 10, n), rng.normal(20, 10, n), rng.normal(110, 10, n)],
        }
    )
    seg = np.repeat([0, 1, 2], n)
    prof = profile_segments(df, seg)
    # levels strongest first: channel's share 1 vs 1/3 is a larger std_diff than area's
    # 1 vs 1/2, read from the level table
    std = prof.levels.set_index(["segment", "feature", "level"])["std_diff"]
    assert std.loc[(0, "channel", "Web")] > std.loc[(0, "area", "Urban")]
    assert prof.segments["name"].tolist() == [
        "Web, Urban, higher spend than average",
        "Shop, Rural, lower spend than average",
        "Phone",
    ]
    assert prof.segments.loc[0, "description"].startswith(
        "Web, Urban, higher spend than average — 33% of customers (200); Web 100% vs 33%"
    )
    # names_terms=1: the strongest term only, a level or a comparison
    short = profile_segments(df, seg, name_terms=1).segments["name"]
    assert short.tolist() == ["Web", "Shop", "Phone"]


def test_persona_names_of_levels_stay_distinct():
    n = 200
    # A and B are both Urban (their strongest term); Web and Phone tell them apart
    df = pd.DataFrame(
        {
            "area": ["Urban"] * (2 * n) + ["Rural"] * n,
            "channel": ["Web"] * 140
            + ["Phone"] * 60
            + ["Phone"] * 140
            + ["Web"] * 60
            + ["Web", "Phone"] * (n // 2),
        }
    )
    seg = np.repeat(["A", "B", "C"], n)
    names = profile_segments(df, seg, name_terms=1).segments["name"]
    assert names.tolist() == ["Urban, Web", "Urban, Phone", "Rural"]
    # X and Y agree on every level: "mostly" for the clearly stronger one
    twins = pd.DataFrame({"area": ["Urban"] * n + ["Urban"] * 160 + ["Rural"] * 40 + ["Rural"] * n})
    names = profile_segments(twins, np.repeat(["X", "Y", "Z"], n)).segments["name"]
    assert names.tolist() == ["Mostly Urban", "Urban", "Rural"]


def test_categorical_missing_values_only_categorical_features_and_arrays():
    df, seg = _mixed_customers(n=400, seed=2)
    df["area"] = df["area"].astype(object)
    df.loc[df.index[:30], "area"] = None
    prof = profile_segments(df, seg, features=["area", "channel"])
    assert prof.table.empty and prof.population.empty
    assert prof.tests.loc["area", "n"] == 370 and prof.tests.loc["channel", "n"] == 400
    assert any("'area': 30" in note for note in prof.notes)
    with pytest.raises(NonFiniteError, match="'area'"):
        profile_segments(df, seg, missing="raise")
    text = prof.summary()
    assert "Shares of area" in text and "Shares of channel" in text and "Means" not in text
    assert "2 feature(s)" in text
    arr = profile_segments(
        df[["spend", "area"]].to_numpy(dtype=object),
        seg,
        features=["spend", "area"],
        categorical="area",
    )
    pd.testing.assert_frame_equal(arr.levels, profile_segments(df[["spend", "area"]], seg).levels)
    with pytest.raises(InvalidParameterError, match="categorical feature"):
        prof.shares("spend")
    with pytest.raises(InvalidParameterError, match="value"):
        prof.shares("area", "nope")
    with pytest.raises(InvalidParameterError, match="map levels"):
        profile_segments(df, seg, descriptors={"area": ("rural", "urban")})


def test_categorical_summary_html_and_plot():
    df, seg = _mixed_customers(n=600, seed=3)
    prof = profile_segments(df, seg)
    page = prof._repr_html_()
    assert "Shares of channel" in page and "chi-square" in page
    fig, ax = plt.subplots()
    try:
        prof.plot(ax=ax)
        (image,) = ax.get_images()
        assert image.get_array().shape == (4, 3 + 3 + 3)  # 3 numeric, 3 + 3 levels
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels[3:] == [f"area={a}" for a in ("Rural", "Surburban", "Urban")] + [
            f"channel={c}" for c in ("Phone", "Web", "Multichannel")
        ]
    finally:
        plt.close("all")


def test_high_cardinality_categorical_feature_warns():
    from segwise.exceptions import HighCardinalityWarning

    df, seg = _customers(n=300)
    with pytest.warns(HighCardinalityWarning, match="'email'"):
        profile_segments(df.assign(email=[f"c{i}@x" for i in range(300)]), seg)
