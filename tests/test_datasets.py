"""The bundled datasets load offline and match their documented provenance."""

from __future__ import annotations

import numpy as np
from segwise.datasets import load_cdnow, load_hillstrom, provenance


def test_cdnow_matches_its_provenance():
    tx = load_cdnow()
    assert list(tx.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert len(tx) == 69_659
    assert tx["customer_id"].nunique() == 23_570
    assert tx["customer_id"].str.len().eq(5).all()  # zero-padded text kept
    assert len(tx.drop_duplicates(["customer_id", "date"])) == 67_591
    assert int((tx["dollar_value"] == 0).sum()) == 80
    assert str(tx["date"].min().date()) == "1997-01-01"
    assert str(tx["date"].max().date()) == "1998-06-30"
    first = tx.groupby("customer_id")["date"].min()
    assert first.max() < np.datetime64("1997-04-01")  # cohort: first purchase in 1997 Q1


def test_hillstrom_matches_its_provenance():
    df = load_hillstrom()
    assert df.shape == (64_000, 12)
    conv = df.groupby("segment")["conversion"].mean()
    np.testing.assert_allclose(conv["Mens E-Mail"], 0.0125, atol=5e-5)
    np.testing.assert_allclose(conv["Womens E-Mail"], 0.0088, atol=5e-5)
    np.testing.assert_allclose(conv["No E-Mail"], 0.0057, atol=5e-5)
    assert set(df["zip_code"]) == {"Urban", "Surburban", "Rural"}
    assert set(df["channel"]) == {"Phone", "Web", "Multichannel"}


def test_provenance_is_shipped():
    text = provenance()
    assert "CDNOW" in text and "Hillstrom" in text
