"""The plumbing shared by the result objects (segwise._results): one summary rendered as text
and HTML, the shared table and number formats, the one matplotlib import, unpacking."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from segwise._results import (  # noqa: E402
    ResultMixin,
    Summary,
    Table,
    fmt_cell,
    fmt_share,
    html_table,
    text_table,
)
from segwise.abtest import (  # noqa: E402
    LiftReport,
    adjust_pvalues,
    prob_beat_control,
    segment_lift,
    welch_test,
)
from segwise.profile import SegmentProfile, profile_segments  # noqa: E402
from segwise.stability import (  # noqa: E402
    ChooseKResult,
    GapResult,
    MigrationResult,
    PredictionStrengthResult,
    PSIResult,
    StabilityResult,
    bootstrap_stability,
    choose_k,
    gap_statistic,
    migration_matrix,
    prediction_strength,
    psi,
)


@pytest.fixture(scope="module")
def results():
    """One small instance of each of the eight result classes."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, (30, 2)) for c in (0, 5, 10)])
    df = pd.DataFrame(
        {"seg": ["a", "b"] * 40, "arm": ["A"] * 40 + ["B"] * 40, "buy": rng.integers(0, 2, 80)}
    )
    return [
        segment_lift(df, segment="seg", variant="arm", control="A", metrics=["buy"]),
        profile_segments(pd.DataFrame(X, columns=["x", "y"]), np.repeat([0, 1, 2], 30)),
        bootstrap_stability(X, 3, n_boot=5, random_state=0, progress=False),
        choose_k(X, [2, 3], n_refs=3, n_splits=3, n_boot=3, random_state=0, progress=False),
        gap_statistic(X, 3, n_refs=3, random_state=0, progress=False),
        prediction_strength(X, [2, 3], n_splits=3, random_state=0, progress=False),
        migration_matrix([0, 0, 1, 1], [0, 1, 1, 1]),
        psi(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 60),
    ]


EIGHT = [
    LiftReport,
    SegmentProfile,
    StabilityResult,
    ChooseKResult,
    GapResult,
    PredictionStrengthResult,
    MigrationResult,
    PSIResult,
]


def test_every_result_class_renders_one_summary_as_text_and_html(results):
    assert [type(r) for r in results] == EIGHT
    for res in results:
        assert isinstance(res, ResultMixin)
        parts = res._summary()
        text, page = res.summary(), res._repr_html_()
        assert repr(res) == text == parts.text()
        assert page == parts.html()
        # the title first (wrapped at 100 columns, like every line of the text)
        assert " ".join(text.split()).startswith(" ".join(parts.title.split()))
        assert max(len(line) for line in text.splitlines() if "  " not in line) <= 100
        assert page.startswith("<div class='segwise-result'><b>") and page.count("<table>") >= 1
        assert "<script" not in page


@pytest.mark.parametrize("cls", EIGHT, ids=lambda c: c.__name__)
def test_each_plot_without_matplotlib_says_how_to_get_it(results, cls, monkeypatch):
    res = next(r for r in results if type(r) is cls)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError) as info:
        res.plot()
    assert str(info.value) == f'{cls.__name__}.plot needs matplotlib: pip install "segwise[plot]"'


@pytest.mark.parametrize("cls", EIGHT, ids=lambda c: c.__name__)
def test_each_plot_draws_into_a_given_figure(results, cls):
    res = next(r for r in results if type(r) is cls)
    fig = Figure()
    try:
        out = res.plot(ax=fig)
        axes = np.asarray(out).ravel()
        assert len(fig.axes) >= len(axes) >= 1
        assert all(a.figure is fig for a in axes)
    finally:
        plt.close("all")


def test_html_table_escapes_formats_and_decorates():
    df = pd.DataFrame(
        {"<b>x</b>": [1.23456, np.nan], "ok": [True, False], "share": [0.25, 0.5]},
        index=pd.Index(["r<1>", "r2"], name="row"),
    )
    page = html_table(
        df,
        formats={"share": fmt_share},
        cell_attrs=lambda r, c, v: {"title": "it's <big>"} if c == "ok" and v else None,
        row_attrs=lambda r: {"class": "last"} if r == "r2" else None,
        caption="a & b",
    )
    assert "<th>&lt;b&gt;x&lt;/b&gt;</th>" in page and "<th>r&lt;1&gt;</th>" in page
    assert "<td title='it&#x27;s &lt;big&gt;'>yes</td>" in page and "<td>no</td>" in page
    assert "<td>1.235</td>" in page and "<td></td>" in page  # NaN is an empty cell
    assert "<td>25.0%</td>" in page and "<tr class='last'>" in page
    assert "<caption class='caption'>a &amp; b</caption>" in page
    cut = html_table(pd.DataFrame({"x": range(5)}), max_rows=2, css_class="sw")
    assert cut.startswith("<table class='sw'>") and cut.count("<tr>") == 3
    assert "(3 more rows not shown)" in cut


def test_text_and_html_show_the_same_cells():
    df = pd.DataFrame({"n": [12345, 7], "p": [0.0123456, np.nan], "flag": [True, False]})
    text = text_table(df, float_format="{:.3g}")
    for cell in ("12,345", "0.0123", "NaN", "yes", "no"):
        assert cell in text
    page = Table(df, float_format="{:.3g}").html()
    for value in df.itertuples(index=False):
        for v in value:
            assert f"<td>{fmt_cell(v, '{:.3g}')}</td>" in page


def test_summary_text_and_html_layout():
    s = Summary(
        "Title <1>",
        lines=["first", "", "second"],
        tables=[Table(pd.DataFrame({"x": [1.5]}), caption="Cap")],
        after=["NOTE: n"],
        warnings=["w & v"],
    )
    lines = s.text().splitlines()
    assert lines[:5] == ["Title <1>", "first", "", "second", "Cap:"]
    assert [line.split() for line in lines[5:7]] == [["x"], ["0", "1.5"]]  # the table
    assert lines[7:] == ["NOTE: n", "WARNING: w & v"]
    page = s.html()
    assert page.startswith("<div class='segwise-result'><b>Title &lt;1&gt;</b><p>first</p>")
    assert "<p></p>" not in page and "<li>w &amp; v</li>" in page


def test_test_results_unpack_to_their_pair():
    stat, p = welch_test([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0])
    res = welch_test([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0])
    assert (stat, p) == (res.statistic, res.pvalue)
    bayes = prob_beat_control(30, 100, 20, 100)
    assert tuple(bayes) == (bayes.prob_beat_control, bayes.expected_loss)
    adjusted = adjust_pvalues([0.01, 0.04, 0.2])
    reject, padj = adjusted
    assert reject is adjusted.reject and padj is adjusted.pvalues_adjusted
