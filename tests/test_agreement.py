"""Agreement scores against scikit-learn (oracle), with its special cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from segwise import metrics
from segwise.exceptions import InvalidParameterError, NonFiniteError, ShapeMismatchError

PAIRS = [
    ("adjusted_rand_score", {}),
    ("fowlkes_mallows_score", {}),
    ("normalized_mutual_info_score", {}),
    ("adjusted_mutual_info_score", {}),
    ("normalized_mutual_info_score", {"average_method": "geometric"}),
    ("adjusted_mutual_info_score", {"average_method": "min"}),
    ("adjusted_mutual_info_score", {"average_method": "max"}),
]


def _both(name, kwargs, a, b):
    ours = getattr(metrics, name)(a, b, **kwargs)
    theirs = getattr(skm, name)(a, b, **kwargs)
    return ours, theirs


@pytest.mark.parametrize(("name", "kwargs"), PAIRS)
@pytest.mark.parametrize(("n", "ka", "kb"), [(50, 3, 4), (1000, 8, 8), (3000, 40, 7)])
def test_random_labelings_match_sklearn(name, kwargs, n, ka, kb):
    rng = np.random.default_rng(n + ka)
    a = rng.integers(0, ka, n)
    # Correlated second labeling, so the scores are far from 0.
    b = np.where(rng.random(n) < 0.6, a % kb, rng.integers(0, kb, n))
    ours, theirs = _both(name, kwargs, a, b)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), PAIRS)
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([], []),  # empty input
        ([0, 0, 0], [1, 1, 1]),  # one cluster each
        ([0, 0, 0, 0], [0, 1, 2, 3]),  # one cluster vs singletons
        ([0, 1, 2, 3], [0, 1, 2, 3]),  # every sample its own cluster
        ([0, 0, 1, 1], [1, 1, 0, 0]),  # renamed
        ([0, 0, 1, 1], [0, 1, 0, 1]),  # independent
        ([5], [7]),  # one sample
    ],
)
def test_special_cases_match_sklearn(name, kwargs, a, b):
    ours, theirs = _both(name, kwargs, np.asarray(a, dtype=int), np.asarray(b, dtype=int))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), min_size=1, max_size=60),
)
def test_hypothesis_matches_sklearn(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    for name, kwargs in PAIRS:
        ours, theirs = _both(name, kwargs, a, b)
        if name == "adjusted_mutual_info_score" and _ami_is_zero_over_zero(a, b, **kwargs):
            # (MI - EMI) / (normaliser - EMI) with both at rounding level: each library
            # returns its own rounding noise (found by hypothesis: a = [0, 0, 1, 1],
            # b = [0, 1, -1, 2], average_method="min": 0.67 in scikit-learn).
            assert np.isfinite(ours), name
            continue
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12, err_msg=name)


def _ami_is_zero_over_zero(a, b, average_method="arithmetic"):
    """Whether scikit-learn's AMI denominator ``normaliser - EMI`` is rounding noise."""
    from sklearn.metrics.cluster import contingency_matrix
    from sklearn.metrics.cluster._expected_mutual_info_fast import (
        expected_mutual_information,
    )

    def entropy(labels):
        p = np.unique(labels, return_counts=True)[1] / labels.shape[0]
        return float(-(p * np.log(p)).sum())

    h_a, h_b = entropy(a), entropy(b)
    normaliser = {
        "arithmetic": (h_a + h_b) / 2,
        "geometric": np.sqrt(h_a * h_b),
        "min": min(h_a, h_b),
        "max": max(h_a, h_b),
    }[average_method]
    emi = expected_mutual_information(contingency_matrix(a, b, sparse=True), a.shape[0])
    return abs(normaliser - emi) <= 1e-12 * max(1.0, normaliser)


def test_ami_zero_over_zero_case_is_finite_and_flagged():
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, -1, 2])
    assert _ami_is_zero_over_zero(a, b, "min")
    assert not _ami_is_zero_over_zero(a, np.array([0, 0, 1, 2]), "min")
    assert np.isfinite(metrics.adjusted_mutual_info_score(a, b, average_method="min"))


def test_large_number_of_clusters_uses_sparse_table():
    # 20,000 x 20,000 possible cells would be 3 GB dense; the table is built sparse.
    rng = np.random.default_rng(0)
    a = rng.permutation(20_000)
    b = a // 2
    np.testing.assert_allclose(
        metrics.adjusted_rand_score(a, b), skm.adjusted_rand_score(a, b), rtol=1e-12
    )
    np.testing.assert_allclose(
        metrics.adjusted_mutual_info_score(b, a % 50),
        skm.adjusted_mutual_info_score(b, a % 50),
        # AMI is about -0.004 here: E[MI] and MI cancel to 3 digits, so the tolerance
        # is absolute (log-gamma sums of ~1e5 terms differ by ~1e-11 between libraries).
        atol=1e-10,
        rtol=0,
    )


def test_strings_and_mixed_types_are_accepted():
    a = ["gold", "gold", "silver", 3, 3, "3"]
    b = [0, 0, 1, 2, 2, 5]
    # 3 and "3" are different labels: three pairs-of-labels, matching b exactly but for
    # the last sample, which is alone in both.
    assert metrics.adjusted_rand_score(a, b) == 1.0
    codes = ["gold", "gold", "silver", "x", "x", "y"]
    assert metrics.adjusted_rand_score(a, b) == skm.adjusted_rand_score(codes, b)


def test_contingency_matrix_matches_sklearn_and_keeps_labels():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 200)
    b = rng.choice(["x", "y", "z"], 200)
    np.testing.assert_array_equal(
        metrics.contingency_matrix(a, b), skm.cluster.contingency_matrix(a, b)
    )
    frame = metrics.contingency_matrix(pd.Series(a, name="before"), pd.Series(b, name="after"))
    assert list(frame.index) == [0, 1, 2, 3] and list(frame.columns) == ["x", "y", "z"]
    assert frame.index.name == "before" and frame.columns.name == "after"
    assert int(frame.to_numpy().sum()) == 200


def test_caller_labels_not_mutated():
    a = np.array([3, 3, 1, 1])
    b = np.array([0, 1, 0, 1])
    a0, b0 = a.copy(), b.copy()
    metrics.adjusted_mutual_info_score(a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_bad_input():
    with pytest.raises(ShapeMismatchError, match="3 entries but labels_pred has 2"):
        metrics.adjusted_rand_score([0, 1, 1], [0, 1])
    with pytest.raises(ShapeMismatchError, match="3 entries but labels_pred has 2"):
        metrics.contingency_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ShapeMismatchError, match="1D"):
        metrics.fowlkes_mallows_score([[0, 1]], [[0, 1]])
    with pytest.raises(NonFiniteError, match="labels_pred has 1 missing"):
        metrics.normalized_mutual_info_score([0, 1, 1], [0.0, np.nan, 1.0])
    with pytest.raises(InvalidParameterError, match="average_method"):
        metrics.adjusted_mutual_info_score([0, 1], [0, 1], average_method="mean")
