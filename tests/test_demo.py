"""The demo's steps, its files and report.html; the Report builder."""

from __future__ import annotations

import io
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from segwise.demo import FIRST_YEAR_END, customer_rfm, run_demo  # noqa: E402
from segwise.exceptions import InvalidParameterError  # noqa: E402
from segwise.report import Report  # noqa: E402

IMG = "data:image/png;base64,"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    stream = io.StringIO()
    result = run_demo(out=out, k_values=[2, 3, 4], stream=stream, progress=False)
    return out, result, stream.getvalue()


def test_demo_writes_csvs_and_a_self_contained_report(demo):
    out, result, _ = demo
    for name in (
        "customers.csv",
        "choose_k.csv",
        "segments.csv",
        "profile.csv",
        "stability.csv",
        "migration.csv",
        "psi.csv",
        "hillstrom_lift.csv",
        "hillstrom_mixed_profile.csv",
        "hillstrom_mixed_lift.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    assert result.report_path == out / "report.html"
    page = (out / "report.html").read_text(encoding="utf-8")
    for heading in (
        "Overview",
        "Choosing k",
        "Are the segments stable?",
        "Segments over time: end of 1997 vs end of the log",
        "Segments and personas",
        "Hillstrom e-mail test: lift per customer segment",
        "Hillstrom on numeric and categorical columns: k-prototypes personas",
    ):
        assert f">{heading}</h2>" in page
    # choose-k curves, stability bars, migration heat map, persona heat map, one forest
    # plot per lift metric
    assert page.count(IMG) == 7
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "<link" not in page  # no external stylesheet
    for description in result.profile.segments["description"]:
        assert description.replace("'", "&#x27;") in page
    profile = pd.read_csv(out / "profile.csv")
    assert set(profile["feature"]) == {"recency_days", "frequency", "monetary"}
    assert len(profile) == 3 * result.best_k
    segments = pd.read_csv(out / "segments.csv", index_col="segment")
    assert list(segments["persona"]) == list(result.profile.segments["name"])


def test_demo_personas_use_natural_rfm_words(demo):
    _, result, _ = demo
    prof = result.profile
    assert list(prof.segments.index) == list(range(result.best_k))
    # segment 0 is the highest spender: recent, frequent, high spend
    best = prof.segments.loc[0, "name"].lower()
    assert best == "more recent, more frequent, higher spend than average"
    worst = prof.segments.loc[result.best_k - 1, "name"].lower()
    assert "lower spend" in worst or "less recent" in worst or "less frequent" in worst
    assert prof.segments["name"].is_unique
    np.testing.assert_allclose(
        prof.wide("mean")["monetary"],
        result.customers.groupby("segment")["monetary"].mean(),
        rtol=1e-10,
    )


def test_demo_prints_each_step(demo):
    _, result, text = demo
    for step in range(1, 8):
        assert f"[{step}/7]" in text
    assert f"Recommended k = {result.best_k}" in text
    flat = " ".join(text.split())  # the summaries wrap at 100 columns
    assert " ".join(result.choice.reason.split()) in flat
    assert "Bootstrap stability of the" in text and "Overall retention" in text
    assert " ".join(result.profile.segments.loc[0, "description"].split()) in flat
    assert "Wrote customers.csv" in text and "report.html" in text
    assert set(result.timings) >= {"choosing k", "stability", "drift", "personas", "Hillstrom lift"}


def test_demo_stability_and_drift_use_the_value_ordered_segment_ids(demo):
    _, result, _ = demo
    segment = result.customers["segment"]
    stab = result.stability
    # The stability result was renamed to the value order of the segments: same labels
    # per customer, same sizes per segment.
    pd.testing.assert_series_equal(stab.labels.astype(int), segment.astype(int), check_names=False)
    np.testing.assert_array_equal(
        stab.table["size"].to_numpy(), segment.value_counts().sort_index().to_numpy()
    )
    assert stab.jaccard.shape == (stab.n_boot, result.best_k)
    mig = result.drift.migration
    # Every CDNOW customer is in the 1997 snapshot: nobody new, nobody churned.
    assert int(mig.counts.to_numpy().sum()) == len(segment)
    after = mig.counts.sum(axis=0)
    np.testing.assert_array_equal(
        after[list(range(result.best_k))].to_numpy(),
        segment.value_counts().sort_index().to_numpy(),
    )


def test_first_year_snapshot_counts_only_earlier_purchases():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["1997-03-01", "1998-02-01", "1997-12-01"]),
            "dollar_value": [10.0, 5.0, 7.0],
        }
    )
    snap = customer_rfm(tx, end=FIRST_YEAR_END)
    assert snap.loc["a"].tolist() == [305, 1, 10.0]
    assert snap.loc["b"].tolist() == [30, 1, 7.0]


def test_report_escapes_tables_and_text(tmp_path):
    df = pd.DataFrame(
        {"<b>col</b>": [1.23456, np.nan], "flag": [True, False], "name": ["x & y", "<i>"]},
        index=pd.Index(["r<1>", "r2"], name="idx"),
    )
    rep = (
        Report("T <1>", subtitle="a & b")
        .section("S <2>")
        .text("p1 <x>\n\np2")
        .table(
            df,
            caption="cap <c>",
            cell_style=lambda r, c, v: "color:red" if c == "flag" and v else None,
        )
    )
    page = rep.to_html()
    for raw in ("<b>col</b>", "<i>", "r<1>", "T <1>", "S <2>", "p1 <x>", "cap <c>"):
        assert raw not in page
    for escaped in ("&lt;b&gt;col&lt;/b&gt;", "x &amp; y", "r&lt;1&gt;", "a &amp; b"):
        assert escaped in page
    assert "<p>p2</p>" in page  # a blank line starts a paragraph
    assert "<td style='color:red'>yes</td>" in page and "<td>no</td>" in page
    assert "<td>1.235</td><td style" in page and "<td></td>" in page  # NaN is empty
    path = rep.write(tmp_path / "r.html")
    written = path.read_text(encoding="utf-8")
    assert written.startswith("<!DOCTYPE html>") and "<h1>T &lt;1&gt;</h1>" in written


def test_report_long_tables_are_cut():
    page = Report("t").table(pd.DataFrame({"x": range(30)}), max_rows=10).to_html()
    assert page.count("<tr>") == 11 and "20 more rows not shown" in page


def test_report_figures_from_figure_axes_and_callable():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [1, 0])
    drawn = []
    rep = Report("f").figure(fig, caption="a figure").figure(ax)
    rep.figure(lambda a: drawn.append(a.plot([1, 2])), caption="drawn")
    page = rep.to_html()
    assert page.count(IMG) == 3 and "<figcaption>a figure</figcaption>" in page
    assert len(drawn) == 1
    with pytest.raises(InvalidParameterError, match="Figure"):
        Report("f").figure(42)


def test_demo_terminal_output_fits_100_columns(demo):
    _, result, text = demo
    wide = [line for line in text.splitlines() if len(line) > 100]
    assert not wide, wide
    # the segments are named where a persona name exists
    for name in result.profile.segments["name"]:
        assert name in text


def test_demo_report_explains_and_names(demo):
    out, result, _ = demo
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "red cross: the knee of the inertia curve" in page
    assert "Hennig&#x27;s thresholds" in page or "Hennig's thresholds" in page
    assert "higher is better" in page.lower() and "lower is better" in page.lower()
    # the PSI table shows a few columns; the rest is behind a details element
    assert "<details><summary>All 14 columns</summary>" in page
    # migration and stability tables name the segments
    for name in result.profile.segments["name"]:
        assert page.count(name) >= 3
    assert "Churned" not in page  # nobody churned between the two snapshots


def test_demo_without_matplotlib_says_so_on_the_terminal(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    stream = io.StringIO()
    run_demo(out=tmp_path, k_values=[2, 3], stream=stream, progress=False)
    text = stream.getvalue()
    assert "matplotlib is not installed, so report.html has its tables but none of" in text
    assert 'pip install "segwise[plot]"' in text


def test_report_without_matplotlib_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    page = Report("f").figure(lambda ax: None, caption="curve").to_html()
    assert IMG not in page
    assert "Figure omitted (curve): matplotlib is not installed" in page
    assert "segwise[plot]" in page


def test_report_refuses_scripts_and_bad_tables():
    with pytest.raises(InvalidParameterError, match="scripts"):
        Report("x").html("<div onclick='x()'>hi</div>")
    with pytest.raises(InvalidParameterError, match="scripts"):
        Report("x").html("<SCRIPT>alert(1)</SCRIPT>")
    with pytest.raises(InvalidParameterError, match="DataFrame"):
        Report("x").table([[1, 2]])
    with pytest.raises(InvalidParameterError, match="level"):
        Report("x").section("h", level=1)


def test_demo_mixed_personas_show_categorical_shares_and_lift(demo):
    _, result, text = demo
    mixed = result.mixed
    prof = mixed.profile
    customers = mixed.customers
    assert set(prof.tests.index) == {"mens", "womens", "zip_code", "newbie", "channel"}
    # shares per level equal a crosstab of the customers by segment
    expected = pd.crosstab(mixed.model.labels_, customers["channel"], normalize="index")
    np.testing.assert_allclose(
        prof.shares("channel").to_numpy(), expected[prof.shares("channel").columns], rtol=1e-12
    )
    # every persona name is built from words of its over-represented levels or features
    for name in prof.segments["name"]:
        assert name
    assert "\n  S0: " in mixed.summary()
    assert set(customers["persona"]) == set(prof.segments["name"])
    assert set(mixed.lift.table["segment"]) >= set(customers["segment"])
    assert "[7/7] Hillstrom on numeric and categorical columns" in text
    assert "Hillstrom mixed" in result.timings
