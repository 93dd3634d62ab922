"""Gower's distance (segwise.metrics.gower_distances) against R daisy's rules on a worked
example, against the `gower` package, and on bad input; the silhouette with
metric="precomputed" and "gower" against scikit-learn."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import gower
import numpy as np
import pandas as pd
import pytest
import segwise._distance as distance_module
from conftest import outputs_on_threads
from segwise import _core
from segwise.exceptions import (
    AllocationError,
    ColumnNotFoundError,
    EmptyInputError,
    FeatureNamesError,
    HighCardinalityWarning,
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
)
from segwise.metrics import gower_distances, silhouette_samples, silhouette_score
from sklearn.metrics import silhouette_samples as sk_silhouette_samples
from sklearn.metrics import silhouette_score as sk_silhouette_score

REFERENCE = Path(__file__).parent / "reference"


def worked_example() -> pd.DataFrame:
    """The six customers of tests/reference/gower_worked_example.md."""
    return pd.DataFrame(
        {
            "age": [20, 30, np.nan, 60, 40, 20],
            "spend": [100, 300, 200, 500, 100, 300],
            "region": pd.array(["north", "south", "north", None, "east", "south"], dtype="str"),
            "size": pd.Categorical(
                ["S", "L", "XL", "S", "L", "S"], categories=["S", "M", "L", "XL"], ordered=True
            ),
            "newsletter": [True, False, True, True, False, False],
        }
    )


def reference_distances(weights: str) -> np.ndarray:
    d = np.zeros((6, 6))
    with open(REFERENCE / "gower_worked_example.csv") as fh:
        for row in csv.DictReader(fh):
            if row["weights"] == weights:
                i, j = int(row["i"]), int(row["j"])
                d[i, j] = d[j, i] = float(Fraction(row["distance"]))
    return d


def mixed_table(n: int, seed: int = 0, *, missing: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "recency": rng.integers(1, 365, n).astype(float),
            "spend": rng.gamma(2.0, 50.0, n),
            "visits": rng.poisson(4, n).astype(float),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "channel": rng.choice(["web", "shop", "phone"], n),
            "newbie": rng.random(n) < 0.3,
        }
    )
    if missing:
        frame.loc[rng.random(n) < 0.1, "spend"] = np.nan
        frame.loc[rng.random(n) < 0.1, "region"] = None
    return frame


# --------------------------------------------------------------------------- oracles


@pytest.mark.parametrize("weights", ["unweighted", "weighted"])
def test_daisy_worked_example(weights):
    w = None
    if weights == "weighted":
        w = {"age": 1, "spend": 1, "region": 2, "size": 1, "newsletter": 0.5}
    got = gower_distances(worked_example(), weights=w)
    np.testing.assert_allclose(got, reference_distances(weights), rtol=0, atol=1e-15)
    assert np.array_equal(got, got.T) and np.all(np.diag(got) == 0)


def test_weights_as_an_array_and_zero_weights_drop_columns():
    X = worked_example()
    by_name = gower_distances(X, weights={"region": 2, "newsletter": 0.5})
    by_position = gower_distances(X, weights=[1, 1, 2, 1, 0.5])
    assert np.array_equal(by_name, by_position)
    without_age = gower_distances(X, weights=[0, 1, 1, 1, 1])
    np.testing.assert_allclose(without_age, gower_distances(X.drop(columns="age")), atol=1e-15)


def test_same_values_as_the_gower_package():
    X = mixed_table(300, seed=1)
    Y = mixed_table(40, seed=2)
    # The gower package needs object columns (it fails on pandas 3 string dtypes) and
    # returns float32.
    as_object = {c: object for c in ("region", "channel")}
    theirs = gower.gower_matrix(X.astype(as_object))
    np.testing.assert_allclose(gower_distances(X), theirs, rtol=0, atol=2e-7)
    theirs_xy = gower.gower_matrix(X.astype(as_object), Y.astype(as_object))
    np.testing.assert_allclose(gower_distances(X, Y), theirs_xy, rtol=0, atol=2e-7)


def test_y_is_the_block_of_the_stacked_tables_and_float32_is_rounded_float64():
    X, Y = mixed_table(50, seed=3, missing=True), mixed_table(20, seed=4, missing=True)
    both = gower_distances(pd.concat([X, Y], ignore_index=True))
    np.testing.assert_array_equal(gower_distances(X, Y), both[:50, 50:])
    f32 = gower_distances(X, Y, dtype=np.float32)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32, both[:50, 50:].astype(np.float32))


def test_missing_values_policies():
    X = worked_example()
    with pytest.raises(NonFiniteError, match=r"'age' \(1 NaN\)"):
        gower_distances(X, missing="error")
    with pytest.raises(NonFiniteError, match=r"column 'region'.*1 missing value"):
        gower_distances(X.assign(age=1.0), missing="error")
    # Rows 1 and 3 both miss the region: a match with missing="level", skipped otherwise.
    Z = X.assign(region=pd.array(["north", None, "north", None, "east", "south"], dtype="str"))
    as_level = gower_distances(Z.drop(columns="size"), missing="level")
    ignored = gower_distances(Z.drop(columns="size"), missing="ignore")
    # age 30/40, spend 200/400, newsletter 1; region 0 (level) or skipped (ignore)
    assert as_level[1, 3] == pytest.approx((0.75 + 0.5 + 0 + 1) / 4, abs=1e-15)
    assert ignored[1, 3] == pytest.approx((0.75 + 0.5 + 1) / 3, abs=1e-15)
    sizes = pd.Categorical(
        ["S", None, "L", "S", "L", "S"], categories=["S", "M", "L"], ordered=True
    )
    with pytest.raises(InvalidParameterError, match="ordered column 'size'"):
        gower_distances(Z.assign(size=sizes), missing="level")
    # Two rows with no column observed in both have no distance (daisy's NA).
    undefined = pd.DataFrame({"a": [1.0, np.nan, 2.0], "b": pd.array([None, "x", "y"], "str")})
    d = gower_distances(undefined)
    assert np.isnan(d[0, 1]) and np.isnan(d[1, 0]) and not np.isnan(d).sum() > 2


def test_matrix_size_is_bounded_before_allocating():
    X = mixed_table(100)
    with pytest.raises(
        AllocationError, match=r"78.1 KiB \(100 x 100 float64 = 80,000 bytes\).*cap of"
    ) as info:
        gower_distances(X, max_bytes=1000)
    assert isinstance(info.value, MemoryError)
    assert "KMedoids(method='clara')" in str(info.value)
    assert gower_distances(X, max_bytes=80_000).shape == (100, 100)


def test_work_is_done_in_bounded_chunks(monkeypatch):
    monkeypatch.setattr(distance_module, "PAIRS_PER_CALL", 1000)
    blocks = []
    real = _core.gower_fill

    def spy(*args, **kwargs):
        blocks.append(kwargs["out"].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(_core, "gower_fill", spy)
    X = mixed_table(120)
    chunked = gower_distances(X)
    assert len(blocks) == 15 and all(r * c <= 1000 for r, c in blocks)
    monkeypatch.setattr(distance_module, "PAIRS_PER_CALL", 1 << 23)
    assert np.array_equal(chunked, gower_distances(X))


def test_same_bits_on_one_or_two_threads():
    code = (
        "import hashlib, numpy as np, pandas as pd\n"
        "from segwise.metrics import gower_distances\n"
        "rng = np.random.default_rng(0)\n"
        "X = pd.DataFrame({'a': rng.normal(size=3000), 'b': rng.choice(list('xyz'), 3000),"
        " 'c': np.where(rng.random(3000) < 0.1, np.nan, rng.random(3000))})\n"
        "print(hashlib.sha256(gower_distances(X).tobytes()).hexdigest())\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_named():
    X = worked_example()
    with pytest.raises(EmptyInputError, match="column 'region'.*all 6 rows are missing"):
        gower_distances(X.assign(region=pd.array([None] * 6, dtype="str")))
    with pytest.raises(EmptyInputError, match="column 'age'.*all 6 rows are NaN"):
        gower_distances(X.assign(age=np.nan))
    with pytest.raises(NonFiniteError, match="infinity"):
        gower_distances(X.assign(spend=[1.0, np.inf, 2, 3, 4, 5]))
    with pytest.raises(EmptyInputError):
        gower_distances(X.iloc[:0])
    with pytest.raises(FeatureNamesError, match="columns of X in the same order"):
        gower_distances(X, X[["spend", "age", "region", "size", "newsletter"]])
    with pytest.raises(ColumnNotFoundError, match="'income'"):
        gower_distances(X, weights={"income": 2})
    with pytest.raises(ShapeMismatchError, match="weights has 2 value"):
        gower_distances(X, weights=[1, 2])
    with pytest.raises(InvalidParameterError, match="weight of column 'spend' must be finite"):
        gower_distances(X, weights={"spend": -1})
    with pytest.raises(InvalidParameterError, match="at least one column weight"):
        gower_distances(X, weights=[0, 0, 0, 0, 0])
    with pytest.raises(InvalidParameterError, match="dtype must be float64 or float32"):
        gower_distances(X, dtype=np.int64)
    with pytest.raises(InvalidParameterError, match="missing must be"):
        gower_distances(X, missing="drop")


def test_one_level_columns_and_high_cardinality():
    X = mixed_table(200).assign(country="NL")  # one level: adds 0, counts in the weights
    d = gower_distances(X)
    np.testing.assert_allclose(d, gower_distances(X.drop(columns="country")) * 6 / 7, atol=1e-15)
    ids = X.assign(customer=[f"c{i}" for i in range(200)])
    with pytest.warns(HighCardinalityWarning, match="'customer'.*200 levels"):
        gower_distances(ids)


def test_inputs_are_not_modified_and_arrays_work():
    X = worked_example()
    before = X.copy()
    gower_distances(X, X.iloc[:2])
    pd.testing.assert_frame_equal(X, before)
    rows = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    np.testing.assert_allclose(
        gower_distances(rows),
        [[0, 0.75, 0.5], [0.75, 0, 0.75], [0.5, 0.75, 0]],
    )


# --------------------------------------------------------------------------- silhouettes


def test_silhouette_precomputed_is_scikit_learns():
    X = mixed_table(250, seed=5)
    D = gower_distances(X)
    labels = np.random.default_rng(0).integers(0, 4, 250)
    np.testing.assert_allclose(
        silhouette_samples(D, labels, metric="precomputed"),
        sk_silhouette_samples(D, labels, metric="precomputed"),
        rtol=0,
        atol=1e-12,
    )
    score = silhouette_score(D.astype(np.float32), labels, metric="precomputed")
    assert score == pytest.approx(sk_silhouette_score(D, labels, metric="precomputed"), abs=1e-6)
    # sample_size cuts rows and columns of the matrix, as scikit-learn does
    a = silhouette_score(D, labels, metric="precomputed", sample_size=100, random_state=3)
    idx = np.sort(np.random.default_rng(3).choice(250, size=100, replace=False))
    b = sk_silhouette_score(D[np.ix_(idx, idx)], labels[idx], metric="precomputed")
    assert a == pytest.approx(b, abs=1e-12)


def test_silhouette_gower_equals_precomputed_gower():
    X = mixed_table(300, seed=6, missing=True)
    labels = np.random.default_rng(1).integers(0, 3, 300)
    direct = silhouette_samples(X, labels, metric="gower")
    via_matrix = sk_silhouette_samples(gower_distances(X), labels, metric="precomputed")
    np.testing.assert_allclose(direct, via_matrix, rtol=0, atol=1e-12)
    weighted = silhouette_score(X, labels, metric="gower", weights={"region": 3})
    expected = sk_silhouette_score(
        gower_distances(X, weights={"region": 3}), labels, metric="precomputed"
    )
    assert weighted == pytest.approx(expected, abs=1e-12)


def test_silhouette_metric_errors():
    D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    with pytest.raises(InvalidParameterError, match="diagonal must be zero.*row 1 has 0.5"):
        silhouette_score(D + np.diag([0, 0.5, 0]), [0, 0, 1], metric="precomputed")
    with pytest.raises(NonFiniteError, match="1 negative value"):
        silhouette_score(
            D - np.eye(3) * 0 - np.array([[0, 0, 3.0], [0] * 3, [0] * 3]),
            [0, 0, 1],
            metric="precomputed",
        )
    with pytest.raises(ShapeMismatchError, match="square distance matrix"):
        silhouette_score(D[:2], [0, 1], metric="precomputed")
    with pytest.raises(InvalidParameterError, match=r"keyword\(s\) \['categorical'\] only apply"):
        silhouette_score(D, [0, 0, 1], categorical=[0])
    with pytest.raises(InvalidParameterError, match=r"unexpected keyword\(s\) \['p'\]"):
        silhouette_score(D, [0, 0, 1], metric="gower", p=2)
    with pytest.raises(InvalidParameterError, match="metric must be one of"):
        silhouette_samples(D, [0, 0, 1], metric="cosine")
    undefined = pd.DataFrame({"a": [1.0, np.nan, 2.0, 5.0], "b": pd.array([None, "x", "y", "x"])})
    with pytest.raises(NonFiniteError, match="undefined"):
        silhouette_score(undefined, [0, 0, 1, 1], metric="gower")
