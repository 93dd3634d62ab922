"""RFM tables against lifetimes (the oracle for the "btyd" convention) and plain pandas,
RFM scores and the named-segment presets, and bad input."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from segwise.exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
)
from segwise.rfm import RFM_PRESETS, rfm_scores, rfm_table

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes 0.11 sets a pandas option deprecated in pandas 3
    from lifetimes.utils import summary_data_from_transaction_data


def _lifetimes(tx, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summary_data_from_transaction_data(tx, "customer_id", "date", "dollar_value", **kw)


@pytest.mark.parametrize(
    "kw",
    [{}, {"observation_period_end": "1997-09-30"}, {"freq": "W"}, {"freq": "h"}],
    ids=["whole-period", "truncated", "weekly", "hourly"],
)
def test_btyd_convention_equals_lifetimes_on_cdnow(cdnow, kw):
    ours = rfm_table(
        cdnow,
        amount="dollar_value",
        convention="btyd",
        observation_end=kw.get("observation_period_end"),
        freq=kw.get("freq", "D"),
    )
    ref = _lifetimes(cdnow, **kw)
    assert set(ours.index) == set(ref.index)
    ref = ref.loc[ours.index]
    assert list(ours.columns) == list(ref.columns)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-9, atol=1e-9)


def test_btyd_on_a_shuffled_log_with_string_dates(cdnow):
    shuffled = cdnow.sample(frac=1.0, random_state=0).assign(
        date=lambda d: d["date"].dt.strftime("%Y%m%d")
    )
    ours = rfm_table(shuffled, amount="dollar_value", convention="btyd", date_format="%Y%m%d")
    ref = _lifetimes(cdnow).loc[ours.index]
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-9, atol=1e-9)


def test_segmentation_convention_equals_plain_pandas(cdnow):
    ours = rfm_table(cdnow, amount="dollar_value")
    end = cdnow["date"].max()
    g = cdnow.groupby("customer_id")
    np.testing.assert_array_equal(ours["recency"], (end - g["date"].max()).dt.days)
    np.testing.assert_array_equal(ours["frequency"], g["date"].nunique())
    np.testing.assert_allclose(ours["monetary"], g["dollar_value"].sum(), rtol=1e-12)
    np.testing.assert_allclose(
        ours["monetary_mean"], g["dollar_value"].sum() / g["date"].nunique(), rtol=1e-12
    )
    np.testing.assert_array_equal(ours["tenure"], (end - g["date"].min()).dt.days)
    np.testing.assert_array_equal(ours["first_purchase"], g["date"].min())
    assert ours.index.name == "customer_id" and ours.index.is_monotonic_increasing


def test_single_purchase_customers_and_same_day_rows():
    tx = pd.DataFrame(
        {
            "customer_id": [7, 7, 7, 8],
            "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-04", "2024-03-02"]),
            "amount": [1.0, 2.0, 4.0, 9.0],
        }
    )
    btyd = rfm_table(tx, convention="btyd", observation_end="2024-03-10")
    assert btyd.loc[7].tolist() == [1.0, 3.0, 9.0, 4.0]
    assert btyd.loc[8].tolist() == [0.0, 0.0, 8.0, 0.0]  # single purchase: monetary 0
    seg = rfm_table(tx, observation_end="2024-03-10")
    assert seg.loc[7, ["recency", "frequency", "monetary", "tenure"]].tolist() == [6, 2, 7.0, 9]


def test_negative_amount_policies():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "amount": [10.0, -4.0, 5.0],
        }
    )
    assert rfm_table(tx).loc["a", "monetary"] == 6.0
    dropped = rfm_table(tx, negative_amounts="drop")
    assert dropped.loc["a", ["monetary", "frequency"]].tolist() == [10.0, 1]
    with pytest.raises(InvalidParameterError, match="1 negative amount"):
        rfm_table(tx, negative_amounts="raise")


def test_rfm_table_bad_input():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2024-01-01", "not a date"], "amount": [1.0, 2.0]}
    )
    with pytest.raises(InvalidParameterError, match=r"1 missing or unparsable.*'not a date'"):
        rfm_table(tx)
    good = tx.assign(date=["2024-01-01", "2024-01-05"])
    with pytest.raises(ColumnNotFoundError, match="amount='spend'"):
        rfm_table(good, amount="spend")
    with pytest.raises(EmptyInputError, match="empty"):
        rfm_table(good.iloc[:0])
    with pytest.raises(InvalidParameterError, match="before the first purchase"):
        rfm_table(good, observation_end="2023-12-31")
    with pytest.raises(InvalidParameterError, match="'2024-13-45' is not a date"):
        rfm_table(good, observation_end="2024-13-45")
    with pytest.raises(InvalidParameterError, match="must be a date"):
        rfm_table(good, observation_end=pd.NaT)
    with pytest.raises(NonFiniteError, match="1 missing or infinite amount"):
        rfm_table(good.assign(amount=[1.0, np.nan]))
    with pytest.raises(NonNumericError, match="'amount' must be numeric"):
        rfm_table(good.assign(amount=["1", "2"]))
    with pytest.raises(NonFiniteError, match="1 missing id"):
        rfm_table(good.assign(customer_id=["a", None]))
    with pytest.raises(InvalidParameterError, match="convention"):
        rfm_table(good, convention="clv")
    before = good.copy()
    rfm_table(good)
    pd.testing.assert_frame_equal(good, before)


def test_scores_are_tie_safe_quantiles():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "recency": rng.integers(0, 400, 1000),
            "frequency": rng.geometric(0.5, 1000),  # many ties
            "monetary": rng.gamma(2.0, 50.0, 1000),
        }
    )
    scores = rfm_scores(table)
    for col, score, sign in (("recency", "r_score", -1), ("frequency", "f_score", 1)):
        # equal values share a score; better values never score lower
        assert scores.groupby(table[col])[score].nunique().max() == 1
        order = np.argsort(sign * table[col].to_numpy(), kind="stable")
        assert np.all(np.diff(scores[score].to_numpy()[order]) >= 0)
    # without ties, the bins are the quintiles: 200 customers each
    assert scores["m_score"].value_counts().tolist() == [200] * 5
    assert scores["rfm_cell"].iloc[0] == "".join(
        str(v) for v in scores[["r_score", "f_score", "m_score"]].iloc[0]
    )
    assert scores["rfm_score"].between(3, 15).all()


def test_rf_map_partitions_the_grid_and_rules_first_match_wins():
    names = []
    for r, f in itertools.product(range(1, 6), repeat=2):
        hits = [
            n
            for n, rr, ff, _ in RFM_PRESETS["rf_map"]
            if rr[0] <= r <= rr[1] and ff[0] <= f <= ff[1]
        ]
        assert len(hits) == 1, (r, f, hits)
        names.append(hits[0])
    assert len(set(names)) == 10
    table = pd.DataFrame({"recency": [1, 2], "frequency": [5, 1], "monetary": [9.0, 1.0]})
    rules = [("Best", (1, 5), (2, 5), (1, 5)), ("Also best", (1, 5), (1, 5), (1, 5))]
    assert rfm_scores(table, bins=2, segments=rules)["segment"].tolist() == ["Best", "Also best"]
    assert rfm_scores(table, bins=2, segments=[("Only", (9, 9), (9, 9), (9, 9))])[
        "segment"
    ].tolist() == ["Others", "Others"]


def test_rfm_package_preset_on_cdnow(cdnow):
    scores = rfm_scores(rfm_table(cdnow, amount="dollar_value"), segments="rfm_package")
    champions = scores[scores["segment"] == "Champions"]
    assert (champions[["r_score", "f_score", "m_score"]] >= 4).all().all()
    lost = scores[scores["segment"] == "Lost"]
    assert (lost[["r_score", "f_score", "m_score"]] <= 2).all().all()
    assert set(scores["segment"]) <= {n for n, *_ in RFM_PRESETS["rfm_package"]} | {"Others"}


def test_rfm_scores_bad_input():
    table = pd.DataFrame({"recency": [1, 2], "frequency": [1, 2], "monetary": [1.0, np.nan]})
    with pytest.raises(NonFiniteError, match="'monetary' has 1"):
        rfm_scores(table)
    with pytest.raises(ColumnNotFoundError, match="recency='days'"):
        rfm_scores(table, recency="days")
    with pytest.raises(InvalidParameterError, match="preset is defined on 1..5"):
        rfm_scores(table.fillna(0), bins=4)
    with pytest.raises(InvalidParameterError, match="bins"):
        rfm_scores(table.fillna(0), bins=1)


# ---------------------------------------------------------------- no silent wrong dates


def _three(dates, **cols):
    return pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": dates, "amount": [10.0, 5.0, 8.0], **cols}
    )


@pytest.mark.parametrize(
    "dates",
    [
        [20240101, 20240111, 20240105],
        np.array([20240101, 20240111, 20240105], dtype=np.int32),
        [20240101.0, 20240111.0, 20240105.0],
        pd.array([20240101, 20240111, 20240105], dtype="Int64"),
    ],
    ids=["int64", "int32", "float", "nullable-int"],
)
def test_yyyymmdd_numbers_are_dates_not_nanoseconds(dates):
    # pandas reads 20240101 as 20 ms after 1970; the same log written as text is the oracle
    want = rfm_table(_three(["2024-01-01", "2024-01-11", "2024-01-05"]))
    got = rfm_table(_three(dates))
    pd.testing.assert_frame_equal(got, want)
    assert got.loc["a", "recency"] == 0 and got.loc["a", "frequency"] == 2
    btyd = rfm_table(_three(dates), convention="btyd", observation_end="2024-01-31")
    assert btyd.loc["a"].tolist() == [1.0, 10.0, 30.0, 5.0]


def test_numbers_that_are_not_yyyymmdd_name_the_column():
    with pytest.raises(
        InvalidParameterError, match=r"'date' holds numbers, not YYYYMMDD.*unit='s'"
    ):
        rfm_table(_three([1704067200, 1704931200, 1704412800]))  # Unix seconds
    with pytest.raises(
        InvalidParameterError, match=r"'date' has 1 missing or unparsable.*20241340"
    ):
        rfm_table(_three([20240101, 20241340, 20240105]))  # month 13
    with pytest.raises(InvalidParameterError, match="'date' holds numbers with a fractional"):
        rfm_table(_three([20240101.5, 20240111, 20240105]))
    # another layout of digits with date_format
    got = rfm_table(_three([240101, 240111, 240105]), date_format="%y%m%d")
    assert got["last_purchase"].tolist() == [pd.Timestamp("2024-01-11"), pd.Timestamp("2024-01-05")]


def test_out_of_range_dates_and_mixed_time_zones_name_the_column():
    with pytest.raises(InvalidParameterError, match=r"'date' has 1 date\(s\) outside 1677.*3024"):
        rfm_table(_three(["2024-01-01", "3024-01-11", "2024-01-05"]))
    with pytest.raises(InvalidParameterError, match=r"'date' has 1 date\(s\) outside.*29990101"):
        rfm_table(_three([20240101, 29990101, 20240105]))
    with pytest.raises(InvalidParameterError, match="observation_end '3024-01-01' is outside"):
        rfm_table(_three(["2024-01-01", "2024-01-11", "2024-01-05"]), observation_end="3024-01-01")
    offsets = ["2024-01-01T00:00+00:00", "2024-01-11T00:00+05:00", "2024-01-05T00:00+00:00"]
    with pytest.raises(InvalidParameterError, match=r"'date' mixes time zones.*utc=True"):
        rfm_table(_three(offsets))
    stamps = [
        pd.Timestamp("2024-01-01", tz="UTC"),
        pd.Timestamp("2024-01-11", tz="US/Eastern"),
        pd.Timestamp("2024-01-05"),
    ]
    with pytest.raises(InvalidParameterError, match=r"'date' mixes time zones \(US/Eastern, UTC"):
        rfm_table(_three(pd.Series(stamps, dtype=object)))
    # one zone is fine: the dates are read in that zone's wall time
    one_zone = pd.to_datetime(pd.Series(offsets), utc=True)
    assert rfm_table(_three(one_zone))["frequency"].tolist() == [2, 1]


def test_spend_that_overflows_is_an_error_not_inf():
    tx = _three(["2024-01-01", "2024-01-11", "2024-01-05"]).assign(amount=[1e308, 1e308, 1.0])
    for convention in ("segmentation", "btyd"):
        with pytest.raises(
            NonFiniteError, match=r"spend of 1 customer\(s\) \(e.g. \['a'\]\).*'amount'"
        ):
            rfm_table(tx, convention=convention)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([("x", 1, 2)], r"segments\[0\] = \('x', 1, 2\) must be a rule \(name, \(r_lo"),
        (["abc"], r"segments\[0\] = 'abc' must be a rule"),
        ([("x", (1, 5), (1, 5))], "must be a rule"),
        ([(1, (1, 5), (1, 5), (1, 5))], "segment name must be a str"),
        ([("x", (1, 5), (1.5, 5), (1, 5))], r"the f range must be a pair of integer scores"),
        ([("x", (1, 5), (1, 5), (0, 5))], r"the m range \(0, 5\) must satisfy 1 <= lo <= hi"),
        ([("x", (4, 2), (1, 5), (1, 5))], r"the r range \(4, 2\)"),
        ([("ok", (1, 5), (1, 5), (1, 5)), ("x", (1, 5), (-1, 5), (1, 5))], r"segments\[1\]"),
    ],
)
def test_malformed_segment_rules_are_named(rules, message):
    table = pd.DataFrame({"recency": [1, 2, 3], "frequency": [1, 2, 3], "monetary": [1.0, 2, 3]})
    with pytest.raises(InvalidParameterError, match=message):
        rfm_scores(table, segments=rules)
