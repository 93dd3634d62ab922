"""The input funnel and the error hierarchy: every error class, with its message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segwise import _core
from segwise._validation import (
    check_array,
    check_features,
    check_labels,
    check_random_state,
    check_sample_weight,
)
from segwise.exceptions import (
    EmptyInputError,
    FeatureNamesError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    NotEnoughSamplesError,
    NotFittedError,
    SegwiseError,
    SegwiseInternalError,
    ShapeMismatchError,
)


@pytest.mark.parametrize(
    ("variant", "cls", "words"),
    [
        ("EmptyInput", EmptyInputError, "empty input: no rows"),
        ("InvalidParameter", InvalidParameterError, "n_clusters.*must be >= 1"),
        ("NotEnoughSamples", NotEnoughSamplesError, "n_samples=2 should be >= n_clusters=3"),
        ("ShapeMismatch", ShapeMismatchError, "sample_weight: expected 3, got 2"),
        ("NonFinite", NonFiniteError, "NaN or infinity: column 0"),
        ("InvalidWeights", InvalidWeightsError, "all weights are zero"),
        ("Internal", SegwiseInternalError, "broken invariant"),
    ],
)
def test_each_core_error_maps_to_its_class(variant, cls, words):
    with pytest.raises(cls, match=words) as info:
        _core._testing.raise_core_error(variant)
    assert type(info.value) is cls
    assert isinstance(info.value, SegwiseError) and isinstance(info.value, ValueError)


def test_a_panic_in_the_core_is_a_normal_exception():
    with pytest.raises(SegwiseInternalError, match="deliberate test panic"):
        _core._testing.panic()


def test_type_flavoured_errors_are_also_type_and_attribute_errors():
    assert issubclass(NonNumericError, TypeError)
    assert issubclass(NotFittedError, AttributeError)


def test_nan_error_names_columns_and_row_counts():
    df = pd.DataFrame(
        {"recency": [1.0, np.nan, 3.0, np.nan], "spend": [1.0, 2.0, np.inf, 4.0], "ok": 1.0}
    )
    with pytest.raises(NonFiniteError) as info:
        check_array(df)
    msg = str(info.value)
    assert "3 of 4 rows" in msg
    assert "'recency' (2 NaN)" in msg
    assert "'spend' (1 infinity)" in msg
    assert "'ok'" not in msg


def test_numpy_nan_error_names_positional_columns():
    X = np.ones((5, 3))
    X[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"1 of 5 rows.*'x1' \(1 NaN\)"):
        check_array(X)


def test_allow_nan_still_rejects_inf():
    X = np.array([[1.0, np.nan], [np.inf, 2.0]])
    assert check_array(np.array([[1.0, np.nan]]), allow_nan=True).values.shape == (1, 2)
    with pytest.raises(NonFiniteError, match="infinity.*'x0'"):
        check_array(X, allow_nan=True)


def test_non_numeric_columns_are_named():
    df = pd.DataFrame({"a": [1.0, 2.0], "channel": ["web", "phone"], "when": pd.Timestamp(0)})
    with pytest.raises(NonNumericError, match=r"2 non-numeric column\(s\): \['channel', 'when'\]"):
        check_array(df)
    with pytest.raises(TypeError, match="must be numeric"):
        check_array(np.array([["a", "b"]]))


@pytest.mark.parametrize(
    "X",
    [
        np.empty((0, 3)),
        pd.DataFrame({"a": pd.Series([], dtype=float)}),
    ],
)
def test_empty_input(X):
    with pytest.raises(EmptyInputError, match="0 sample"):
        check_array(X)


def test_zero_features_and_wrong_dimensions():
    with pytest.raises(EmptyInputError, match=r"0 feature\(s\) \(shape=\(3, 0\)\)"):
        check_array(np.empty((3, 0)))
    with pytest.raises(ShapeMismatchError, match="Expected a 2D array"):
        check_array(np.arange(3.0))
    with pytest.raises(ShapeMismatchError, match="dim 3"):
        check_array(np.zeros((2, 2, 2)))
    with pytest.raises(NonNumericError, match="Complex"):
        check_array(np.ones((2, 2), dtype=complex))


def test_layouts_and_dtypes_are_accepted_without_touching_the_input(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(6, 4)
    fortran = np.asfortranarray(base)
    readonly = base.copy()
    readonly.flags.writeable = False
    strided = np.arange(48, dtype=np.float64).reshape(6, 8)[:, ::2]
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float64, shape=(6, 4))
    mm[:] = base
    for X in (fortran, readonly, strided, mm, base.astype(np.int64), base.astype(bool)):
        before = np.array(X, copy=True)
        out = check_array(X).values
        assert out.flags.c_contiguous and out.dtype in (np.float64, np.float32)
        np.testing.assert_array_equal(out, np.asarray(X, dtype=out.dtype))
        np.testing.assert_array_equal(np.asarray(X), before)
    assert check_array(base.astype(np.float32)).values.dtype == np.float32
    assert check_array(base.astype(np.float32), dtypes=(np.float64,)).values.dtype == np.float64


def test_dataframe_keeps_names_index_and_float32():
    df = pd.DataFrame(
        {"a": np.arange(3, dtype=np.float32), "b": np.ones(3, np.float32)}, index=["u", "v", "w"]
    )
    checked = check_array(df)
    assert checked.columns == ["a", "b"]
    assert list(checked.index) == ["u", "v", "w"]
    assert checked.values.dtype == np.float32 and checked.values.flags.c_contiguous
    mixed = df.astype({"b": np.int64})
    assert check_array(mixed).values.dtype == np.float64
    nullable = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64")})
    with pytest.raises(NonFiniteError, match="'a' \\(1 NaN\\)"):
        check_array(nullable)


def test_sample_weight_checks():
    np.testing.assert_array_equal(check_sample_weight(2, 3), [2.0, 2.0, 2.0])
    assert check_sample_weight(None, 3) is None
    with pytest.raises(ShapeMismatchError, match="2 entries but X has 3 rows"):
        check_sample_weight([1, 2], 3)
    with pytest.raises(InvalidWeightsError, match="1 negative"):
        check_sample_weight([1, -2, 3], 3)
    with pytest.raises(InvalidWeightsError, match="all zero"):
        check_sample_weight([0, 0, 0], 3)
    with pytest.raises(InvalidWeightsError, match="NaN or infinite"):
        check_sample_weight([0, np.nan, 1], 3)


def test_feature_checks_name_the_difference():
    class Est:
        pass

    est = Est()
    fit = check_array(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    check_features(est, fit, reset=True)
    assert est.n_features_in_ == 2 and list(est.feature_names_in_) == ["a", "b"]
    with pytest.raises(FeatureNamesError, match="order differs"):
        check_features(est, check_array(pd.DataFrame({"b": [1.0], "a": [2.0]})), reset=False)
    with pytest.raises(FeatureNamesError, match=r"missing: \['b'\]; unexpected: \['c'\]"):
        check_features(est, check_array(pd.DataFrame({"a": [1.0], "c": [2.0]})), reset=False)
    with pytest.raises(ShapeMismatchError, match="X has 3 features, but Est is expecting 2"):
        check_features(est, check_array(np.ones((1, 3))), reset=False)


def test_random_state_and_labels():
    assert check_random_state(7) == 7
    rs = np.random.RandomState(0)
    assert check_random_state(np.random.RandomState(0)) == check_random_state(rs)
    with pytest.raises(InvalidParameterError, match="random_state"):
        check_random_state("seed")
    np.testing.assert_array_equal(check_labels(["b", "a", "b"]), [1, 0, 1])
    np.testing.assert_array_equal(check_labels(np.array([7, 3, 7])), [1, 0, 1])
    np.testing.assert_array_equal(check_labels(np.array([1, "a"], dtype=object)), [0, 1])
    with pytest.raises(ShapeMismatchError, match="3 entries but X has 2 rows"):
        check_labels([1, 2, 3], 2)
