"""The input funnel and the error hierarchy: every error class, with its message."""

from __future__ import annotations

import re
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest
from segwise import _core
from segwise._validation import (
    HIGH_CARDINALITY,
    MISSING_CODE,
    UNSEEN_CODE,
    HasMethods,
    Interval,
    Pair,
    StrOptions,
    check_array,
    check_choice,
    check_features,
    check_float,
    check_int,
    check_label_ids,
    check_labels,
    check_mixed,
    check_random_state,
    check_sample_weight,
    encode_labels,
    validate_params,
)
from segwise.cluster import KMeans, MiniBatchKMeans
from segwise.exceptions import (
    AllocationError,
    ColumnNotFoundError,
    EmptyInputError,
    FeatureNamesError,
    HighCardinalityWarning,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    NotEnoughSamplesError,
    NotFittedError,
    SegwiseError,
    SegwiseInternalError,
    ShapeMismatchError,
    UnknownCategoryError,
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
        ("Allocation", AllocationError, "cannot allocate 24.0 GiB for the bins"),
        ("Internal", SegwiseInternalError, "broken invariant"),
    ],
)
def test_each_core_error_maps_to_its_class(variant, cls, words):
    with pytest.raises(cls, match=words) as info:
        _core._testing.raise_core_error(variant)
    assert type(info.value) is cls
    assert isinstance(info.value, SegwiseError) and isinstance(info.value, ValueError)


def test_allocation_errors_are_also_memory_errors():
    assert issubclass(AllocationError, MemoryError)


def test_an_interrupted_core_call_without_a_signal_is_a_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        _core._testing.raise_core_error("Interrupted")


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


def test_categorical_columns_are_pointed_to_the_mixed_type_estimators():
    # KMeans on a customer table with text columns: the message names the categorical
    # columns and the estimators that take them as they are, never one-hot encoding
    df = pd.DataFrame(
        {
            "spend": [1.0, 2.0, 3.0],
            "channel": ["web", "phone", "web"],
            "region": pd.Categorical(["n", "s", "n"]),
            "when": pd.Timestamp(0),
        }
    )
    with pytest.raises(NonNumericError) as info:
        KMeans(2).fit(df)
    message = str(info.value)
    assert "categorical column(s) ['channel', 'region']" in message
    assert "KPrototypes, KModes or KMedoids(metric='gower')" in message
    assert "drop column(s) ['when'] or turn them into numbers" in message
    assert "get_dummies" not in message and "encode" not in message
    with pytest.raises(NonNumericError, match=r"KPrototypes.*KMedoids\(metric='gower'\)"):
        KMeans(2).fit(np.array([["web", "n"], ["shop", "s"]]))


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


# --------------------------------------------------------------------------- labels


def test_one_label_rule_types_stay_distinct_and_sort_by_type_name():
    enc = encode_labels([1, 1, "1", "1", 2, 2])
    assert enc.uniques == [1, 2, "1"]  # ints before strings: (type name, str)
    np.testing.assert_array_equal(enc.codes, [0, 0, 2, 2, 1, 1])
    assert encode_labels(np.array([1, 1, "1", "1"], dtype=object)).uniques == [1, "1"]
    # a bool is not the number 1 (Python hashes True like 1)
    enc = encode_labels([True, 1, 1, True, 0])
    assert len(enc.uniques) == 3 and enc.codes[0] != enc.codes[1]
    # numbers of different widths are one label; numpy scalars come back as Python ones
    enc = encode_labels(np.array([np.int64(3), 3.0, 3], dtype=object))
    assert enc.uniques == [3] and type(enc.uniques[0]) is int
    # mixed types that do not compare sort by (type name, str)
    assert encode_labels(np.array(["a", 2.5, 1], dtype=object)).uniques == [2.5, 1, "a"]
    # comparable labels sort by value: numbers, strings, bools, dates
    assert encode_labels([3, 1.5, 2]).uniques == [1.5, 2, 3]
    assert encode_labels(np.array(["b", "a"])).uniques == ["a", "b"]
    assert encode_labels(np.array([True, False])).uniques == [False, True]
    days = pd.to_datetime(["2024-01-02", "2024-01-01"])
    assert encode_labels(pd.Series(days)).uniques == sorted(days)


def test_categoricals_keep_category_order_and_drop_unused_categories():
    cat = pd.Categorical(["b", "a", "b"], categories=["c", "b", "z", "a"])
    for labels in (cat, pd.Series(cat, index=[7, 8, 9])):
        enc = encode_labels(labels)
        assert enc.uniques == ["b", "a"]
        np.testing.assert_array_equal(enc.codes, [0, 1, 0])
    with pytest.raises(NonFiniteError, match="labels has 1 missing label"):
        encode_labels(pd.Categorical(["a", None]))


@pytest.mark.parametrize(
    "labels",
    [
        [1.0, np.nan, 2.0, np.nan],
        np.array(["a", None, "b", None], dtype=object),
        pd.Series([1, None, 2, None], dtype="Int64"),
        pd.Series(["a", None, "b", pd.NA], dtype="string"),
        pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-02", None])),
    ],
)
def test_missing_labels_are_one_typed_error_naming_the_argument(labels):
    with pytest.raises(NonFiniteError, match="segment has 2 missing label"):
        encode_labels(labels, name="segment")
    enc = encode_labels(labels, allow_missing=True)
    np.testing.assert_array_equal(enc.codes, [0, -1, 1, -1])
    assert len(enc.uniques) == 2


def test_noise_labels_and_subsets():
    enc = encode_labels(np.array([5, -1, 3, 5, -2]), noise=True)
    np.testing.assert_array_equal(enc.codes, [1, -1, 0, 1, -1])
    assert enc.uniques == [3, 5]
    with pytest.raises(InvalidParameterError, match="must be integers"):
        encode_labels(np.array(["a", "b"]), noise=True)
    sub = encode_labels(["c", "a", "b", "c"]).take([0, 3, 2])
    np.testing.assert_array_equal(sub.codes, [1, 1, 0])
    assert sub.uniques == ["b", "c"]


def test_label_shapes_lengths_and_customer_ids():
    with pytest.raises(ShapeMismatchError, match="labels must be 1D"):
        encode_labels([[0, 1]])
    with pytest.raises(ShapeMismatchError, match="got a DataFrame"):
        encode_labels(pd.DataFrame({"a": [0, 1]}))
    with pytest.raises(ShapeMismatchError, match="seg has 3 entries but the data has 2 rows"):
        encode_labels([0, 1, 1], name="seg", n_samples=2, against="the data")
    series = pd.Series(["x", "y"], index=["c1", "c2"])
    assert encode_labels(series).index is None
    assert list(encode_labels(series, keep_index=True).index) == ["c1", "c2"]
    with pytest.raises(InvalidParameterError, match="duplicated index"):
        encode_labels(pd.Series([0, 1], index=[1, 1]), keep_index=True)
    with pytest.raises(InvalidParameterError, match="hashable"):
        encode_labels(pd.Series([1, 2, [3]], dtype=object))
    with pytest.raises(ShapeMismatchError, match="labels must be 1D"):
        encode_labels([1, 2, [3, 4]])
    assert encode_labels([]).uniques == []


def test_check_labels_fast_path_keeps_the_order_of_integer_labels():
    labels = np.array([7, -1, 7, 3, 1000])
    shifted = check_labels(labels, dense=False)
    np.testing.assert_array_equal(shifted, labels + 1)
    np.testing.assert_array_equal(
        np.argsort(shifted, kind="stable"), np.argsort(check_labels(labels), kind="stable")
    )
    np.testing.assert_array_equal(check_labels(["b", "a"], dense=False), [1, 0])
    with pytest.raises(ShapeMismatchError, match="3 entries but X has 2 rows"):
        check_labels(np.array([1, 2, 3]), 2, dense=False)


def test_label_ids():
    np.testing.assert_array_equal(check_label_ids(np.array([0, 2, 1]), 3), [0, 2, 1])
    with pytest.raises(InvalidParameterError, match=r"integer ids 0\.\.1, got values in \[0, 2\]"):
        check_label_ids([0, 2], 2)
    with pytest.raises(InvalidParameterError, match="integer row indices 0..2 into centers"):
        check_label_ids(["a"], 3, what="row indices", context=" into centers")
    with pytest.raises(ShapeMismatchError, match="2 entries but X has 3 rows"):
        check_label_ids([0, 1], 2, n_samples=3)


# --------------------------------------------------------------------------- weights


def test_sample_weight_aligned_on_customer_ids():
    ids = pd.Index(["a", "b", "c"])
    w = pd.Series([3.0, 1.0, 2.0], index=["c", "a", "b"])
    np.testing.assert_array_equal(check_sample_weight(w, 3, ids=ids), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(check_sample_weight(2, 3, ids=ids), [2.0, 2.0, 2.0])
    with pytest.raises(InvalidWeightsError, match="Series indexed by customer id"):
        check_sample_weight([1.0, 2.0, 3.0], 3, ids=ids)
    with pytest.raises(InvalidWeightsError, match="weights has no value for 1 customer id"):
        check_sample_weight(w.iloc[:2], 3, name="weights", ids=ids)
    with pytest.raises(InvalidWeightsError, match="duplicated index"):
        check_sample_weight(pd.Series(1.0, index=["a", "b", "c", "c"]), 3, ids=ids)
    with pytest.raises(InvalidWeightsError, match="1 negative"):
        check_sample_weight(w - 1.5, 3, ids=ids)
    with pytest.raises(ShapeMismatchError, match="weights has 2 entries but labels has 3 rows"):
        check_sample_weight([1.0, 2.0], 3, name="weights", against="labels")


# --------------------------------------------------------------------------- parameters


def test_validate_params_normalises_accepted_values():
    table = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "method": [StrOptions(["a", "b"])],
        "flag": ["boolean"],
        "pair": [Pair(Interval(Real, 0, None, closed="left"))],
        "size": [Interval(Integral, 1, None, closed="left"), None],
        "extra": ["array-like", callable],
    }
    params = {
        "k": np.int64(3),
        "tol": np.float32(0.5),
        "method": np.str_("b"),
        "flag": np.bool_(True),
        "pair": [1, np.float64(2.5)],
        "size": None,
        "extra": len,
        "unchecked": object(),  # names without a constraint are ignored
    }
    out = validate_params(params, table, caller="f")
    assert out == {
        "k": 3,
        "tol": 0.5,
        "method": "b",
        "flag": True,
        "pair": (1.0, 2.5),
        "size": None,
        "extra": len,
    }
    for name in ("k", "tol", "method", "flag"):
        assert type(out[name]) in (int, float, str, bool)
    assert [type(v) for v in out["pair"]] == [float, float]


@pytest.mark.parametrize(
    ("constraints", "value", "message"),
    [
        ([Interval(Integral, 1, None, closed="left")], 2.5, "f: k must be an int, got 2.5"),
        ([Interval(Integral, 1, None, closed="left")], True, "f: k must be an int, got True"),
        ([Interval(Integral, 1, None, closed="left")], np.int64(0), "f: k must be >= 1, got 0"),
        ([Interval(Real, 0, None, closed="neither")], 0, "f: k must be > 0, got 0"),
        ([Interval(Real, 0, None, closed="neither")], "big", "f: k must be a number, got 'big'"),
        ([Interval(Real, 0, None, closed="neither")], np.nan, "f: k must be finite, got nan"),
        ([Interval(Real, 0, 1, closed="neither")], 1.0, r"f: k must be in \(0, 1\), got 1.0"),
        ([Interval(Real, 0, 1, closed="left")], 1.0, r"f: k must be in \[0, 1\), got 1.0"),
        ([Interval(Integral, None, 5, closed="right")], 6, "f: k must be <= 5, got 6"),
        ([StrOptions(["a", "b"])], "c", r"f: k must be one of \['a', 'b'\], got 'c'"),
        (
            [StrOptions(["auto"]), Interval(Integral, 1, None, closed="left")],
            0,
            "f: k must be 'auto' or an int >= 1, got 0",
        ),
        (
            [StrOptions(["a", "b"]), callable, "array-like"],
            "c",
            r"f: k must be one of \['a', 'b'\], a callable or an array-like, got 'c'",
        ),
        (["boolean"], "yes", "f: k must be a bool, got 'yes'"),
        ([None, Mapping], [1], "f: k must be None or a Mapping, got \\[1\\]"),
        ([Pair(Interval(Real, 0, None, closed="left"))], (1, -1), "a pair of numbers >= 0"),
        ([Pair(Interval(Real, 0, None, closed="left"))], (1, 2, 3), "a pair of numbers"),
        ([HasMethods(["fit"])], 3, r"an object with method\(s\) fit, got 3"),
        (["random_state"], -1, "None, an int >= 0 or a numpy RandomState/Generator"),
        (["verbose"], "loud", "an int or bool"),
    ],
)
def test_validate_params_messages(constraints, value, message):
    with pytest.raises(InvalidParameterError, match=message):
        validate_params({"k": value}, {"k": constraints}, caller="f")


def test_one_value_checks_use_the_same_constraints():
    assert check_int(np.int64(3), "n_boot", low=1) == 3
    with pytest.raises(InvalidParameterError, match="^n_boot must be >= 1, got 0$"):
        check_int(0, "n_boot", low=1)
    assert check_float(np.float32(0.5), "q", low=0.0, high=1.0, low_inclusive=False) == 0.5
    with pytest.raises(InvalidParameterError, match=r"^q must be in \(0.0, 1.0\], got 0.0$"):
        check_float(0.0, "q", low=0.0, high=1.0, low_inclusive=False)
    assert type(check_choice(np.str_("row"), "normalize", ["row", "all"])) is str
    with pytest.raises(InvalidParameterError, match=r"normalize must be one of \['row', 'all'\]"):
        check_choice("rows", "normalize", ["row", "all"])
    with pytest.raises(InvalidParameterError, match="normalize must be one of"):
        check_choice(np.zeros(2), "normalize", ["row", "all"])  # no "truth value" ValueError


class _Choice(str):
    """A str subclass other than numpy's."""


def test_str_options_accept_str_subclasses():
    options = StrOptions(["lloyd", "elkan"])
    for value in (np.str_("lloyd"), _Choice("lloyd")):
        out = validate_params({"algorithm": value}, {"algorithm": [options]}, caller="KMeans")
        assert out["algorithm"] == "lloyd" and type(out["algorithm"]) is str


def test_str_options_many_take_one_name_or_a_collection_of_them():
    table = {"criteria": [None, StrOptions(["gap", "silhouette"], many=True)]}
    for value, expected in (
        (np.str_("gap"), ["gap"]),
        (("silhouette", "gap"), ["silhouette", "gap"]),
        (np.array(["gap"]), ["gap"]),
        ([], []),
        (None, None),
    ):
        out = validate_params({"criteria": value}, table, caller="choose_k")["criteria"]
        assert out == expected
        assert out is None or all(type(c) is str for c in out)
    message = re.escape(
        "choose_k: criteria must be None or one or more of ['gap', 'silhouette'], "
        "got ['gap', 'elbow']"
    )
    with pytest.raises(InvalidParameterError, match=message):
        validate_params({"criteria": ["gap", "elbow"]}, table, caller="choose_k")
    for bad in ("elbow", b"gap", (c for c in ["gap"]), 3):  # a generator could not be read twice
        with pytest.raises(InvalidParameterError, match="criteria must be"):
            validate_params({"criteria": bad}, table, caller="choose_k")


def test_one_value_parameters_of_methods_are_checked_by_their_tables():
    from segwise.report import Report
    from segwise.stability import migration_matrix

    report = Report("x")
    with pytest.raises(InvalidParameterError, match=r"^Report.section: level must be in \[2, 4\]"):
        report.section("h", level=5)
    with pytest.raises(InvalidParameterError, match="^Report.table: max_rows must be >= 1, got 0$"):
        report.table(pd.DataFrame({"a": [1]}), max_rows=0)
    with pytest.raises(
        InvalidParameterError, match="^Report.figure: dpi must be an int, got 72.5$"
    ):
        report.figure(lambda ax: None, dpi=72.5)
    assert "<h3>h</h3>" in report.section("h", level=np.int64(3)).to_html()
    result = migration_matrix([0, 0, 1], [0, 1, 1])
    with pytest.raises(
        InvalidParameterError,
        match=r"^MigrationResult.plot: values must be one of \['shares', 'counts'\], got 'share'$",
    ):
        result.plot(values="share")


def _public_estimators():
    from segwise import cluster, preprocessing
    from segwise._base import BaseEstimator

    classes = [
        getattr(module, name) for module in (cluster, preprocessing) for name in module.__all__
    ]
    return [cls() for cls in classes if isinstance(cls, type) and issubclass(cls, BaseEstimator)]


ESTIMATORS = _public_estimators()


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_every_estimator_has_one_constraint_per_parameter(est):
    assert len(ESTIMATORS) >= 8  # KMeans, MiniBatchKMeans, DBSCAN, four scalers, Log1p
    assert sorted(type(est)._parameter_constraints) == sorted(est.get_params(deep=False))


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_init_only_stores_and_fit_names_the_estimator(est):
    X = np.abs(np.random.default_rng(0).normal(size=(20, 2)))
    for name in est.get_params(deep=False):
        bad = type(est)(**{name: object()})  # __init__ accepts anything
        assert getattr(bad, name) is not None
        with pytest.raises(InvalidParameterError, match=f"^{type(est).__name__}: {name} must be"):
            bad.fit(X)


# --------------------------------------------------------------------------- one rule everywhere

MIXED = [1, 1, "1", "1", 2, 2]  # three segments: 1 and "1" are different labels
THREE = ["a", "a", "b", "b", "c", "c"]  # the same partition, unambiguous


def _points():
    return np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0], [10.0, 0.0], [10.0, 1.0]])


def _segments_seen(name, labels):
    """How many segments a public function that takes labels sees in ``labels``."""
    from segwise import metrics
    from segwise.abtest import segment_lift, sufficient_stats
    from segwise.profile import profile_segments
    from segwise.rfm import rfm_table
    from segwise.stability import align_labels, migration_matrix, psi, relabel

    X = _points()
    frame = pd.DataFrame({"seg": pd.Series(labels, dtype=object), "arm": ["A", "B"] * 3})
    frame["y"] = np.arange(6.0)
    if name in ("silhouette_samples", "simplified_silhouette_samples"):
        values = getattr(metrics, name)(X, labels)
        reference = getattr(metrics, name)(X, THREE)
        return 3 if np.array_equal(values, reference) else -1
    if name in (
        "silhouette_score",
        "calinski_harabasz_score",
        "davies_bouldin_score",
        "simplified_silhouette_score",
    ):
        same = getattr(metrics, name)(X, labels) == getattr(metrics, name)(X, THREE)
        return 3 if same else -1
    if name in (
        "adjusted_rand_score",
        "adjusted_mutual_info_score",
        "normalized_mutual_info_score",
        "fowlkes_mallows_score",
    ):
        agree = (getattr(metrics, name)(labels, THREE), getattr(metrics, name)(THREE, labels))
        return 3 if agree == (1.0, 1.0) else -1
    if name == "contingency_matrix":
        return metrics.contingency_matrix(labels, THREE).shape[0]
    if name == "profile_segments":
        return len(profile_segments(pd.DataFrame(X, columns=["u", "v"]), labels).segments)
    if name == "migration_matrix":
        return migration_matrix(labels, THREE).counts.shape[0]
    if name == "psi":
        return int(psi(labels, labels, kind="labels").table.loc[0, "n_bins"])
    if name == "align_labels":
        return len(align_labels(labels, THREE, return_mapping=True)[1])
    if name == "relabel":
        return len(relabel(labels, return_mapping=True)[1])
    if name == "segment_lift":
        report = segment_lift(frame, segment="seg", variant="arm", control="A", metrics=["y"])
        return int((report.table["segment"] != "(all)").sum())
    if name == "segment_lift(variant)":
        arms = frame.assign(arm=frame["seg"])
        control = arms["arm"].iloc[0]
        report = segment_lift(arms, segment=None, variant="arm", control=control, metrics=["y"])
        return 1 + len(report.table)  # the control plus one row per treatment arm
    if name == "sufficient_stats":
        return sufficient_stats(frame, segment="seg", variant="arm", metrics=["y"])[
            "segment"
        ].nunique()
    if name == "rfm_table":  # customer ids are labels too
        tx = pd.DataFrame(
            {
                "customer_id": pd.Series(labels, dtype=object),
                "date": pd.date_range("2024-01-01", periods=6),
                "amount": np.ones(6),
            }
        )
        return len(rfm_table(tx))
    raise AssertionError(name)


LABEL_FUNCTIONS = [
    "silhouette_samples",
    "silhouette_score",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "simplified_silhouette_samples",
    "simplified_silhouette_score",
    "adjusted_rand_score",
    "adjusted_mutual_info_score",
    "normalized_mutual_info_score",
    "fowlkes_mallows_score",
    "contingency_matrix",
    "profile_segments",
    "migration_matrix",
    "psi",
    "align_labels",
    "relabel",
    "segment_lift",
    "segment_lift(variant)",
    "sufficient_stats",
    "rfm_table",
]


@pytest.mark.parametrize("name", LABEL_FUNCTIONS)
@pytest.mark.parametrize(
    "container",
    [list, lambda v: np.array(v, dtype=object), lambda v: pd.Series(v, dtype=object)],
    ids=["list", "object array", "Series"],
)
def test_every_function_that_takes_labels_keeps_1_and_str_1_apart(name, container):
    assert _segments_seen(name, THREE) == 3
    assert _segments_seen(name, container(MIXED)) == 3


# --------------------------------------------------------------------------- str subclasses


def test_str_subclasses_are_accepted_like_str_scikit_learn_21964():
    from segwise.abtest import adjust_pvalues, proportions_test
    from segwise.rfm import rfm_table

    X = _points()
    for param, value in (("init", "k-means++"), ("algorithm", "lloyd")):
        ours = KMeans(3, random_state=0, **{param: np.str_(value)}).fit(X)
        plain = KMeans(3, random_state=0, **{param: value}).fit(X)
        np.testing.assert_array_equal(ours.cluster_centers_, plain.cluster_centers_)
        np.testing.assert_array_equal(ours.labels_, plain.labels_)
    _assert_same(
        proportions_test(30, 100, 20, 100, alternative=np.str_("larger")),
        proportions_test(30, 100, 20, 100, alternative="larger"),
    )
    _assert_same(
        adjust_pvalues([0.01, 0.04, 0.03], method=np.str_("holm")),
        adjust_pvalues([0.01, 0.04, 0.03], method="holm"),
    )
    tx = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-01-05", "2024-01-03"]}
    ).assign(amount=[1.0, 2.0, 3.0])
    pd.testing.assert_frame_equal(rfm_table(tx, freq=np.str_("D")), rfm_table(tx, freq="D"))


def _assert_same(a, b):
    """``a`` and ``b`` are the same result, down to the types (plain ``str``, not np.str_)."""
    import dataclasses

    from segwise._base import BaseEstimator

    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, BaseEstimator):
        fitted = {k: v for k, v in vars(a).items() if k.endswith("_") and not k.startswith("_")}
        assert fitted.keys() == {k for k in vars(b) if k.endswith("_") and not k.startswith("_")}
        for key, value in fitted.items():
            _assert_same(value, getattr(b, key))
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            _assert_same(getattr(a, field.name), getattr(b, field.name))
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def _string_option_calls():
    """(id, call, option name, option) for every string option of every constraint table
    reachable from a public estimator or function, with a call that takes it."""
    from segwise import abtest, metrics, profile, rfm, stability
    from segwise.abtest import (
        _cuped,
        _lift,
        _means,
        _multitest,
        _power,
        _proportion,
        _ratio,
        _report,
    )
    from segwise.stability import _alignment, _bootstrap, _choose_k, _migration, _psi

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, (20, 2)) for c in (0, 5, 10)])
    labels = np.repeat([0, 1, 2], 20)
    other = np.roll(labels, 7)
    frame = pd.DataFrame(
        {
            "seg": np.repeat(["a", "b"], 30),
            "arm": ["A", "B"] * 30,
            "y": rng.normal(size=60),
            "c": rng.integers(0, 2, 60),
        }
    )
    stats = abtest.sufficient_stats(frame, segment="seg", variant="arm", metrics=["y", "c"])
    tx = pd.DataFrame(
        {
            "customer_id": np.repeat(["a", "b", "c", "d", "e"], 3),
            "date": pd.date_range("2024-01-01", periods=15),
            "amount": np.r_[np.arange(14.0), -1.0],
        }
    )
    table = rfm.rfm_table(tx)
    y1, y2 = rng.normal(1, 1, 40), rng.normal(0, 1, 40)
    x1, x2 = rng.normal(5, 1, 40), rng.normal(5, 1, 40)
    calls = [
        ("KMeans", lambda **kw: KMeans(3, random_state=0, **kw).fit(X), KMeans),
        (
            "MiniBatchKMeans",
            lambda **kw: MiniBatchKMeans(3, random_state=0, **kw).fit(X),
            MiniBatchKMeans,
        ),
        (
            "adjusted_mutual_info_score",
            lambda **kw: metrics.adjusted_mutual_info_score(labels, other, **kw),
            metrics._AVERAGE_PARAMS,
        ),
        (
            "normalized_mutual_info_score",
            lambda **kw: metrics.normalized_mutual_info_score(labels, other, **kw),
            metrics._AVERAGE_PARAMS,
        ),
        (
            "bootstrap_stability",
            lambda **kw: stability.bootstrap_stability(
                X, 3, 3, random_state=0, progress=False, **kw
            ),
            _bootstrap._PARAMS,
        ),
        (
            "gap_statistic",
            lambda **kw: stability.gap_statistic(X, 4, n_refs=3, random_state=0, **kw),
            _choose_k._GAP_PARAMS,
        ),
        ("relabel", lambda **kw: stability.relabel(labels, **kw), _alignment._RELABEL_PARAMS),
        (
            "migration_matrix",
            lambda **kw: stability.migration_matrix(labels, other, **kw),
            _migration._MIGRATION_PARAMS,
        ),
        ("psi", lambda **kw: stability.psi(labels, other, **kw), _psi._PSI_PARAMS),
        (
            "proportions_test",
            lambda **kw: abtest.proportions_test(30, 100, 20, 100, **kw),
            _proportion._TEST_PARAMS,
        ),
        (
            "proportions_diff_ci",
            lambda **kw: abtest.proportions_diff_ci(30, 100, 20, 100, **kw),
            _proportion._DIFF_CI_PARAMS,
        ),
        ("welch_test", lambda **kw: abtest.welch_test(y1, y2, **kw), _means._WELCH_PARAMS),
        (
            "proportions_ratio_ci",
            lambda **kw: abtest.proportions_ratio_ci(30, 100, 20, 100, **kw),
            _proportion._RATIO_CI_PARAMS,
        ),
        (
            "proportions_tost",
            lambda **kw: abtest.proportions_tost(30, 100, 20, 100, -0.2, 0.2, **kw),
            _proportion._TOST_PARAMS,
        ),
        ("cuped_test", lambda **kw: abtest.cuped_test(y1, x1, y2, x2, **kw), _cuped._PARAMS),
        (
            "ratio_metric_test",
            lambda **kw: abtest.ratio_metric_test(x1 + y1, x1, x2 + y2, x2, **kw),
            _ratio._PARAMS,
        ),
        (
            "relative_lift_ci",
            lambda **kw: abtest.relative_lift_ci(1.2, 0.5, 100, 1.0, 0.4, 100, **kw),
            _lift._PARAMS,
        ),
        (
            "adjust_pvalues",
            lambda **kw: abtest.adjust_pvalues([0.01, 0.04, 0.03], **kw),
            _multitest._PARAMS,
        ),
        (
            "sample_size_proportions",
            lambda **kw: abtest.sample_size_proportions(0.1, 0.12, **kw),
            _power._PROPORTIONS_PARAMS,
        ),
        (
            "sample_size_means",
            lambda **kw: abtest.sample_size_means(0.5, 2.0, **kw),
            _power._MEANS_PARAMS,
        ),
        (
            "minimum_detectable_effect",
            lambda **kw: abtest.minimum_detectable_effect(1000, baseline=0.1, **kw),
            _power._MDE_PARAMS,
        ),
        (
            "segment_lift",
            lambda **kw: abtest.segment_lift(
                frame, segment="seg", variant="arm", control="A", metrics=["y", "c"], **kw
            ),
            _report._LIFT_PARAMS,
        ),
        (
            "lift_from_stats",
            lambda **kw: abtest.lift_from_stats(stats, control="A", **kw),
            _report._FROM_STATS_PARAMS,
        ),
        (
            "profile_segments",
            lambda **kw: profile.profile_segments(pd.DataFrame(X), labels, **kw),
            profile._PARAMS,
        ),
        ("rfm_table", lambda **kw: rfm.rfm_table(tx, **kw), rfm._TABLE_PARAMS),
        ("rfm_scores", lambda **kw: rfm.rfm_scores(table, **kw), rfm._SCORES_PARAMS),
    ]
    out = []
    for name, call, source in calls:
        constraints = getattr(source, "_parameter_constraints", source)
        for param, allowed in constraints.items():
            for spec in allowed:
                if isinstance(spec, StrOptions):
                    out += [(f"{name}-{param}-{o}", call, param, o) for o in spec.options]
    # choose_k's criteria are a list of names, each checked as one value
    for criterion in _choose_k.CRITERIA:
        out.append(
            (
                f"choose_k-criteria-{criterion}",
                lambda **kw: stability.choose_k(
                    X,
                    [2, 3],
                    n_refs=2,
                    n_splits=2,
                    n_boot=2,
                    random_state=0,
                    progress=False,
                    criteria=[kw["criteria"]],
                ),
                "criteria",
                criterion,
            )
        )
    return out


STRING_OPTIONS = _string_option_calls()


@pytest.mark.parametrize(
    ("call", "param", "option"),
    [case[1:] for case in STRING_OPTIONS],
    ids=[case[0] for case in STRING_OPTIONS],
)
def test_every_string_option_accepts_numpy_str(call, param, option):
    try:
        plain = call(**{param: option})
    except SegwiseError as err:  # an option that does not fit this data: the same error
        with pytest.raises(type(err), match=re.escape(str(err))):
            call(**{param: np.str_(option)})
        return
    _assert_same(call(**{param: np.str_(option)}), plain)


# --------------------------------------------------------------------------- mixed tables


def _customers():
    return pd.DataFrame(
        {
            "age": [31, 45, 27, 52, 38],
            "income": [40.5, 80.0, 32.0, 95.5, 61.0],
            "region": pd.array(["north", "south", "north", "east", "south"], dtype="str"),
            "channel": pd.Categorical(["web", "shop", "web", "web", "phone"]),
            "newbie": [True, False, False, True, False],
            "size": pd.Categorical(
                ["S", "L", "M", "S", "L"], categories=["S", "M", "L"], ordered=True
            ),
        },
        index=pd.Index([101, 102, 103, 104, 105], name="customer_id"),
    )


def test_check_mixed_splits_columns_by_dtype_and_codes_levels():
    df = _customers()
    before = df.copy(deep=True)
    m = check_mixed(df)
    assert m.numeric_columns == ["age", "income"]
    assert m.categorical_columns == ["region", "channel", "newbie", "size"]
    np.testing.assert_array_equal(m.numeric, df[["age", "income"]].to_numpy(float))
    assert m.numeric.flags.c_contiguous and m.categorical.flags.c_contiguous
    assert m.categorical.dtype == np.int32
    # sorted order for text, category order for categoricals, False < True for bool
    assert m.levels == [
        ["east", "north", "south"],
        ["phone", "shop", "web"],
        [False, True],
        ["S", "M", "L"],
    ]
    assert m.categorical[:, 0].tolist() == [1, 2, 1, 0, 2]
    assert m.categorical[:, 3].tolist() == [0, 2, 1, 0, 2]
    assert m.ordered == [False, False, False, True]
    assert m.n_levels.tolist() == [3, 3, 2, 3]
    assert m.index.equals(df.index)
    pd.testing.assert_frame_equal(df, before)


def test_check_mixed_categorical_by_name_or_position():
    df = _customers()[["age", "income", "region"]]
    by_name = check_mixed(df, categorical=["age", "region"])
    by_pos = check_mixed(df, categorical=[0, -1])
    assert by_name.categorical_columns == by_pos.categorical_columns == ["age", "region"]
    assert by_name.levels[0] == [27, 31, 38, 45, 52]
    with pytest.raises(ColumnNotFoundError, match="'zip'"):
        check_mixed(df, categorical=["zip"])
    with pytest.raises(ColumnNotFoundError, match="position 7"):
        check_mixed(df, categorical=[7])
    with pytest.raises(NonNumericError, match="region"):
        check_mixed(df, categorical=["age"])


def test_check_mixed_missing_policies_name_the_column():
    df = _customers()
    df["region"] = df["region"].astype(object)
    df.loc[103, "region"] = None
    with pytest.raises(NonFiniteError, match=r"column 'region' of X has 1 missing value\(s\) of 5"):
        check_mixed(df)
    as_level = check_mixed(df, missing="level")
    assert as_level.levels[0] == ["east", "north", "south", None]
    assert as_level.categorical[2, 0] == 3
    ignored = check_mixed(df, missing="ignore")
    assert ignored.categorical[2, 0] == MISSING_CODE
    df["region"] = None
    with pytest.raises(EmptyInputError, match="column 'region' of X has no values"):
        check_mixed(df, missing="level")


def test_check_mixed_numeric_nan_and_all_missing():
    df = _customers()
    df.loc[102, "income"] = np.nan
    with pytest.raises(NonFiniteError, match="income"):
        check_mixed(df)
    assert np.isnan(check_mixed(df, allow_nan=True).numeric[1, 1])
    df["income"] = np.nan
    with pytest.raises(EmptyInputError, match="column 'income' of X has no values"):
        check_mixed(df, allow_nan=True)


def test_check_mixed_predict_codes_against_fitted_levels():
    fit = check_mixed(_customers())
    new = _customers().iloc[[4, 0]].copy()
    again = check_mixed(new, levels=fit.levels)
    assert again.levels == fit.levels
    np.testing.assert_array_equal(again.categorical, fit.categorical[[4, 0]])
    new["region"] = new["region"].astype(object)
    new.loc[101, "region"] = "west"
    with pytest.raises(UnknownCategoryError, match=r"column 'region' of X has 1 row.*'west'"):
        check_mixed(new, levels=fit.levels)
    mism = check_mixed(new, levels=fit.levels, unknown="mismatch")
    assert mism.categorical[1, 0] == UNSEEN_CODE
    assert mism.categorical[0, 0] == fit.categorical[4, 0]
    with pytest.raises(ShapeMismatchError, match="3 categorical column"):
        check_mixed(new.drop(columns="size"), levels=fit.levels)


def test_check_mixed_keeps_one_label_rule():
    # 1, "1" and True are three levels, at fit and at predict
    X = np.array([[0.5, 1], [1.5, "1"], [2.5, True], [3.5, 1]], dtype=object)
    m = check_mixed(X, categorical=[1])
    assert m.columns == [0, 1]
    assert m.levels == [[True, 1, "1"]]
    assert len(set(m.categorical[:, 0].tolist())) == 3
    again = check_mixed(X[[2, 1, 0]], categorical=[1], levels=m.levels)
    np.testing.assert_array_equal(again.categorical[:, 0], m.categorical[[2, 1, 0], 0])


def test_check_mixed_arrays_and_warnings():
    X = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    m = check_mixed(X)
    assert m.numeric_columns == [0] and m.categorical_columns == [1]
    assert m.index is None
    many = pd.DataFrame({"id": [f"c{i}" for i in range(HIGH_CARDINALITY + 1)], "x": 1.0})
    with pytest.warns(HighCardinalityWarning, match="101 levels"):
        check_mixed(many)
    with pytest.raises(EmptyInputError):
        check_mixed(pd.DataFrame({"a": []}))
    with pytest.raises(InvalidParameterError, match="missing"):
        check_mixed(X, missing="drop")


def test_result_methods_check_their_arguments_by_table_and_name_themselves():
    # The interval methods of results and set_output check through constraint tables:
    # numpy strings and floats are accepted, a wrong value is refused with the method
    # in the message.
    from segwise import abtest
    from segwise.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    y1, y2 = rng.normal(1.0, 1.0, 200), rng.normal(1.2, 1.0, 200)
    x1, x2 = rng.uniform(1, 2, 200), rng.uniform(1, 2, 200)
    ratio = abtest.ratio_metric_test(y1, x1, y2, x2)
    assert ratio.relative_lift(np.float64(0.1), np.str_("fieller")) == ratio.relative_lift(
        0.1, "fieller"
    )
    with pytest.raises(
        InvalidParameterError, match=r"RatioMetricResult\.relative_lift: method must be"
    ):
        ratio.relative_lift(method="bootstrap")
    with pytest.raises(InvalidParameterError, match=r"RatioMetricResult\.conf_int: alpha must"):
        ratio.conf_int(1.0)
    welch = abtest.welch_test(y1, y2)
    with pytest.raises(
        InvalidParameterError, match=r"WelchResult\.conf_int: alpha must be in \(0, 1\)"
    ):
        welch.conf_int(0.0)
    scaler = StandardScaler().set_output(transform=np.str_("pandas"))
    assert isinstance(scaler.fit_transform(np.ones((3, 1))), pd.DataFrame)
    assert StandardScaler().set_output(transform=None).get_params() == StandardScaler().get_params()
    with pytest.raises(InvalidParameterError, match=r"StandardScaler\.set_output: transform"):
        StandardScaler().set_output(transform="arrow")
