"""Real data: Hillstrom's e-mail experiment, lift per customer segment (oracle: statsmodels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from conftest import email_lift
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

ARMS = ["Mens E-Mail", "Womens E-Mail"]


@pytest.fixture(scope="module")
def hillstrom(hillstrom):
    df = hillstrom.copy()  # the session's copy stays as loaded
    # Segments from pre-treatment columns only: past spend tier x recency.
    tier = np.where(df["history"] >= 350, "high", np.where(df["history"] >= 100, "mid", "low"))
    recent = np.where(df["recency"] <= 6, "recent", "lapsed")
    df["customer_segment"] = pd.Series(tier, index=df.index) + "/" + recent
    return df


@pytest.fixture(scope="module")
def report(hillstrom):
    return email_lift(hillstrom, "customer_segment", ci_method="newcombe")


def test_report_shape_and_kinds(report):
    t = report.table
    assert len(t) == 7 * 3 * 2  # (6 segments + overall) x 3 metrics x 2 e-mails
    kinds = t.groupby("metric")["kind"].first()
    assert kinds.to_dict() == {"conversion": "binary", "spend": "continuous", "visit": "binary"}
    # Randomized by design: no sample-ratio mismatch anywhere.
    assert not t["srm_flag"].any()
    assert set(t["treatment"]) == set(ARMS)


@pytest.mark.parametrize("arm", ARMS)
@pytest.mark.parametrize("metric", ["visit", "conversion"])
def test_binary_lifts_match_statsmodels(hillstrom, report, arm, metric):
    t = report.table
    rows = t[(t["metric"] == metric) & (t["treatment"] == arm)].set_index("segment")
    for seg in ["high/recent", "low/lapsed", "(all)"]:
        d = hillstrom if seg == "(all)" else hillstrom[hillstrom["customer_segment"] == seg]
        g = d.groupby("segment")[metric].agg(["sum", "size"])
        x = g.loc[[arm, "No E-Mail"], "sum"].to_numpy()
        n = g.loc[[arm, "No E-Mail"], "size"].to_numpy()
        z, p = proportions_ztest(x, n)
        lo, hi = confint_proportions_2indep(x[0], n[0], x[1], n[1], method="newcomb")
        r = rows.loc[seg]
        np.testing.assert_allclose(
            [r.statistic, r.pvalue, r.abs_diff_low, r.abs_diff_high], [z, p, lo, hi], rtol=1e-9
        )


def test_spend_lift_matches_scipy_welch(hillstrom, report):
    t = report.table
    r = t[
        (t["metric"] == "spend") & (t["treatment"] == "Mens E-Mail") & (t["segment"] == "(all)")
    ].iloc[0]
    a = hillstrom.loc[hillstrom["segment"] == "Mens E-Mail", "spend"]
    b = hillstrom.loc[hillstrom["segment"] == "No E-Mail", "spend"]
    s = st.ttest_ind(a, b, equal_var=False)
    np.testing.assert_allclose([r.statistic, r.pvalue], [s.statistic, s.pvalue], rtol=1e-9)
    # The known result of this experiment: the men's e-mail lifts visits and spend overall.
    allrows = t[t["segment"] == "(all)"].set_index(["metric", "treatment"])
    assert allrows.loc[("visit", "Mens E-Mail"), "significant"]
    assert allrows.loc[("spend", "Mens E-Mail"), "significant"]
    assert allrows.loc[("visit", "Mens E-Mail"), "rel_lift"] > 0.5  # 18.3% vs 10.6% visits
