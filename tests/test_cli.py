"""The ``segwise`` command line and the main job, ``segwise demo``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from segwise.cli import main
from segwise.demo import customer_rfm, run_demo


def test_demo_prints_and_writes_the_segment_table(tmp_path, capsys):
    assert main(["demo", "--k", "3", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "23,570 customers" in out
    assert "Choosing k" in out and "silhouette" in out
    segments = pd.read_csv(tmp_path / "segments.csv", index_col="segment")
    assert segments["customers"].sum() == 23_570
    assert len(segments) in (3, 4)
    np.testing.assert_allclose(segments["share"].sum(), 1.0)
    # segment 0 is the highest-value one
    assert segments["mean_monetary"].is_monotonic_decreasing
    assert "Hillstrom e-mail test" in out and "Lift report" in out
    lift = pd.read_csv(tmp_path / "hillstrom_lift.csv")
    assert set(lift["metric"]) == {"visit", "conversion", "spend"}
    assert set(lift["treatment"]) == {"Mens E-Mail", "Womens E-Mail"}
    assert lift["pvalue_adj"].between(0, 1).all()
    k_table = pd.read_csv(tmp_path / "choose_k.csv", index_col="k")
    assert list(k_table.index) == [3, 4]
    assert k_table["silhouette"].between(-1, 1).all()


def test_demo_is_reproducible():
    a = run_demo(k_values=[3], random_state=5, verbose=False)
    b = run_demo(k_values=[3], random_state=5, verbose=False)
    pd.testing.assert_frame_equal(a.segments, b.segments)


def test_customer_rfm_counts_purchase_days_and_total_spend():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-09", "2020-01-10"]),
            "dollar_value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    rfm = customer_rfm(tx)
    assert rfm.loc["a"].tolist() == [1, 2, 6.0]
    assert rfm.loc["b"].tolist() == [0, 1, 4.0]


def test_help_and_unknown_command():
    result = subprocess.run(
        [sys.executable, "-m", "segwise.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--out" in result.stdout
    with pytest.raises(SystemExit):
        main(["no-such-command"])
