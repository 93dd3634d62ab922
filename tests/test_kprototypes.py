"""KPrototypes and KModes: kmodes 0.12 as the oracle for algorithm="huang", the batch
algorithm's fixed point, threads, weights, prototypes in the caller's dtypes, bad input and
the scikit-learn contract."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import mixed_customers
from kmodes.kmodes import KModes as RefKModes
from kmodes.kprototypes import KPrototypes as RefKPrototypes
from segwise import _core
from segwise.cluster import KModes, KPrototypes
from segwise.cluster._kprototypes import lambdaest
from segwise.exceptions import (
    ConstantColumnWarning,
    ConvergenceWarning,
    EmptyInputError,
    FeatureNamesError,
    HighCardinalityWarning,
    InvalidParameterError,
    NonFiniteError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    UnknownCategoryError,
)
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

# --------------------------------------------------------------------------- kmodes oracle


def _table(n: int, p: int, q: int, k: int, seed: int) -> pd.DataFrame:
    """``p`` numeric columns around ``k`` groups and ``q`` string columns whose sorted
    levels ("L0", "L1", ...) are kmodes' codes (``np.unique`` order)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, k, n)
    data = {}
    shift = rng.normal(size=p) * 1.5
    for j in range(p):
        data[f"n{j}"] = rng.normal(size=n) + group * shift[j]
    for j in range(q):
        levels = 3 + j % 5
        codes = np.where(rng.random(n) < 0.6, (group + j) % levels, rng.integers(0, levels, n))
        data[f"c{j}"] = np.array([f"L{c}" for c in range(levels)])[codes]
    return pd.DataFrame(data)


def _kmodes_inputs(X: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, list[int], list]:
    """X as kmodes reads it (an object array, categorical positions) and the init rows as
    kmodes takes them: numeric part and np.unique codes (fresh copies: kmodes writes into
    the arrays passed as init)."""
    cat_pos = [j for j, c in enumerate(X.columns) if c.startswith("c")]
    num_pos = [j for j in range(X.shape[1]) if j not in cat_pos]
    arr = X.to_numpy(dtype=object)
    codes = np.column_stack([np.unique(arr[:, j], return_inverse=True)[1] for j in cat_pos]).astype(
        np.uint16
    )
    init = [arr[rows][:, num_pos].astype(float).copy(), codes[rows].copy()]
    return arr, cat_pos, init


# n, numeric, categorical, k, seed: small enough for kmodes' Python loops (about 1 s each)
KMODES_CASES = [(600, 3, 2, 4, 0), (800, 5, 5, 6, 1), (500, 9, 3, 3, 2), (700, 1, 1, 5, 3)]


@pytest.mark.parametrize("n,p,q,k,seed", KMODES_CASES)
def test_huang_reproduces_kmodes_kprototypes_from_the_same_prototypes(n, p, q, k, seed):
    X = _table(n, p, q, k, seed)
    rows = np.random.default_rng(seed + 100).choice(n, k, replace=False)
    arr, cat_pos, init = _kmodes_inputs(X, rows)
    ref = RefKPrototypes(n_clusters=k, init=init, n_init=1, max_iter=100).fit(
        arr, categorical=cat_pos
    )
    ours = KPrototypes(k, init=X.iloc[rows], algorithm="huang").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    # Same arithmetic in the same order: equal to the last bit in practice; 1e-12 allowed.
    np.testing.assert_allclose(ours.cost_, ref.cost_, rtol=1e-12)
    np.testing.assert_allclose(ours.gamma_, ref.gamma, rtol=1e-15)
    num_ref, cat_ref = ref._enc_cluster_centroids
    num_cols = [c for c in X.columns if c.startswith("n")]
    cat_cols = [c for c in X.columns if c.startswith("c")]
    np.testing.assert_allclose(ours.prototypes_[num_cols].to_numpy(), num_ref, rtol=1e-12)
    decoded = [[f"L{c}" for c in row] for row in cat_ref]
    assert ours.prototypes_[cat_cols].to_numpy().tolist() == decoded


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmodes_default_seeding_and_iterations_are_reproduced(seed):
    # kmodes' KModes default (init="Cao", deterministic) against KModes(algorithm="huang")
    # with its default init="cao": no initial prototypes need to be passed.
    X = _table(900, 0, 6, 5, seed)
    ref = RefKModes(n_clusters=5, init="Cao", n_init=1).fit(X.to_numpy(dtype=object))
    ours = KModes(5, algorithm="huang").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.cost_ == ref.cost_ and ours.n_iter_ == ref.n_iter_
    assert ours.prototypes_.to_numpy().tolist() == ref.cluster_centroids_.tolist()


@pytest.mark.slow
def test_huang_reproduces_kmodes_on_a_larger_table():
    X = _table(10_000, 5, 5, 8, 7)
    rows = np.random.default_rng(5).choice(len(X), 8, replace=False)
    arr, cat_pos, init = _kmodes_inputs(X, rows)
    ref = RefKPrototypes(n_clusters=8, init=init, n_init=1).fit(arr, categorical=cat_pos)
    ours = KPrototypes(8, init=X.iloc[rows], algorithm="huang").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cost_, ref.cost_, rtol=1e-12)


def test_gamma_rules():
    X = _table(300, 3, 2, 3, 4)
    ref_gamma = 0.5 * np.mean(X[["n0", "n1", "n2"]].to_numpy().std(axis=0))
    assert KPrototypes(3, random_state=0).fit(X).gamma_ == pytest.approx(ref_gamma, rel=1e-15)
    # clustMixType's lambdaest, by hand: numeric variances (ddof=1) of [1, 2, 3, 4] and
    # [0, 0, 2, 2] are 5/3 and 4/3, mean 3/2; the concentrations 1 - sum p^2 of
    # [a, a, b, b] and [x, x, x, y] are 1/2 and 3/8, mean 7/16; lambda = 24/7.
    tiny = pd.DataFrame(
        {"u": [1.0, 2, 3, 4], "v": [0.0, 0, 2, 2], "c": list("aabb"), "d": list("xxxy")}
    )
    fitted = KPrototypes(2, gamma="lambdaest", random_state=0).fit(tiny)
    assert fitted.gamma_ == pytest.approx(24 / 7, rel=1e-14)
    assert KPrototypes(2, gamma=2.5, random_state=0).fit(tiny).gamma_ == 2.5
    with pytest.raises(InvalidParameterError, match="lambdaest"):
        lambdaest(np.ones((4, 1)), np.zeros((4, 1), dtype=np.int32), np.array([1]))


# --------------------------------------------------------------------------- batch algorithm


def test_lloyd_ends_at_its_fixed_point_and_finds_the_groups():
    X = mixed_customers(1500, 4, seed=1)
    truth = X.pop("group")
    kp = KPrototypes(4, random_state=0).fit(X)
    assert adjusted_rand_score(truth, kp.labels_) > 0.9
    np.testing.assert_array_equal(kp.predict(X), kp.labels_)
    grouped = X.assign(_seg=kp.labels_).groupby("_seg", observed=True)
    means = grouped[["spend", "visits"]].mean()
    np.testing.assert_allclose(kp.prototypes_[["spend", "visits"]].to_numpy(), means, rtol=1e-12)
    for col in ("channel", "size", "newbie"):
        modes = grouped[col].agg(lambda s: s.value_counts().sort_index(kind="stable").idxmax())
        assert kp.prototypes_[col].tolist() == modes.tolist()
    costs = kp.transform(X)
    np.testing.assert_array_equal(costs.to_numpy().argmin(axis=1), kp.labels_)
    assert costs.to_numpy().min(axis=1).sum() == pytest.approx(kp.cost_, rel=1e-12)
    assert kp.score(X) == pytest.approx(-kp.cost_, rel=1e-12)


def test_lloyd_stops_when_the_cost_stops_decreasing():
    # Rows tied between the two prototypes change segment at the second step without
    # lowering the cost (kmodes' rule `ncost >= cost` stops there; "no label changes"
    # alone would take a third step).
    X = pd.DataFrame({"c0": list("babab") + ["b"] * 4, "c1": list("abbacbcbc")})
    init = pd.DataFrame({"c0": ["b", "a"], "c1": ["a", "b"]})
    fitted = KModes(2, init=init).fit(X)
    assert fitted.n_iter_ == 2
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        one = KModes(2, init=init, max_iter=1).fit(X)
    assert not np.array_equal(one.labels_, fitted.labels_)  # labels still changed ...
    assert fitted.cost_ == one.cost_  # ... but the cost did not decrease


@pytest.mark.parametrize("algorithm", ["lloyd", "huang"])
def test_stopping_at_max_iter_warns(algorithm, recwarn):
    X = mixed_customers(1500, 4, seed=1).drop(columns="group")
    init = X.iloc[[0, 1, 2, 3]]
    full = KPrototypes(4, init=init, algorithm=algorithm).fit(X)
    assert 1 < full.n_iter_ < 100
    assert not recwarn.list
    with pytest.warns(ConvergenceWarning, match="KPrototypes stopped after max_iter=1 "):
        KPrototypes(4, init=init, algorithm=algorithm, max_iter=1).fit(X)
    # Converging exactly at max_iter does not warn.
    KPrototypes(4, init=init, algorithm=algorithm, max_iter=full.n_iter_).fit(X)
    assert not recwarn.list


def test_restarts_keep_the_lowest_cost_and_are_reproducible():
    X = mixed_customers(800, 5, seed=2).drop(columns="group")
    one = KPrototypes(5, n_init=1, random_state=3).fit(X)
    ten = KPrototypes(5, n_init=10, random_state=3).fit(X)
    assert ten.cost_ <= one.cost_
    again = KPrototypes(5, n_init=10, random_state=3).fit(X)
    np.testing.assert_array_equal(again.labels_, ten.labels_)
    for init in ("cao", "huang", "random"):
        assert KPrototypes(5, init=init, random_state=0).fit(X).cost_ > 0


@pytest.mark.parametrize("algorithm", ["lloyd", "huang"])
@pytest.mark.parametrize("init", ["k-prototypes++", "huang", "random", "cao"])
def test_same_answer_on_one_and_two_threads(algorithm, init):
    X = mixed_customers(30_000, 6, seed=3, n_numeric=3).drop(columns="group")
    m = KPrototypes(6)._read(X, missing="error")
    w = np.random.default_rng(0).integers(1, 4, len(X)).astype(float)
    runs = [
        _core.kprototypes_fit(
            m.numeric,
            m.categorical,
            m.n_levels,
            sample_weight=w,
            n_clusters=6,
            init=init,
            init_numeric=None,
            init_categorical=None,
            n_init=3,
            max_iter=100,
            gamma=0.7,
            algorithm=algorithm,
            seed=11,
            n_threads=threads,
        )
        for threads in (1, 2)
    ]
    for a, b in zip(runs[0], runs[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_integer_weights_are_repeated_customers():
    X = mixed_customers(500, 3, seed=4).drop(columns="group")
    w = np.random.default_rng(1).integers(0, 4, len(X))
    init = X.iloc[[0, 1, 2]]
    weighted = KPrototypes(3, init=init, gamma=1.0).fit(X, sample_weight=w)
    repeated = KPrototypes(3, init=init, gamma=1.0).fit(X.loc[X.index.repeat(w)])
    assert weighted.cost_ == pytest.approx(repeated.cost_, rel=1e-9)
    pd.testing.assert_frame_equal(weighted.prototypes_, repeated.prototypes_, rtol=1e-9)
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)


# --------------------------------------------------------------------------- pandas in, out


def test_prototypes_keep_the_columns_and_dtypes():
    X = mixed_customers(400, 3, seed=5).drop(columns="group")
    X["channel"] = X["channel"].astype("string")
    X["spend"] = (X["spend"] * 10).round().astype(np.int64)
    X = X.set_index(pd.Index(np.arange(400) + 1000, name="customer_id"))
    kp = KPrototypes(3, random_state=0).fit(X)
    protos = kp.prototypes_
    assert list(protos.columns) == list(X.columns) and protos.index.name == "cluster"
    assert protos["spend"].dtype == np.float64  # means of an integer column
    assert protos["channel"].dtype == X["channel"].dtype
    assert protos["size"].dtype == X["size"].dtype  # same categories, ordered
    assert protos["newbie"].dtype == bool
    assert set(protos["channel"]) <= set(X["channel"])
    assert list(kp.feature_names_in_) == list(X.columns)
    assert kp.categories_[1] == ["S", "M", "L"]  # category order
    costs = kp.transform(X)
    assert list(costs.index) == list(X.index)
    assert list(costs.columns) == ["kprototypes0", "kprototypes1", "kprototypes2"]
    arrow = KPrototypes(3, random_state=0).fit(pa.Table.from_pandas(X, preserve_index=False))
    np.testing.assert_array_equal(arrow.labels_, kp.labels_)


def test_arrays_and_categorical_by_position():
    X = mixed_customers(300, 3, seed=6).drop(columns="group")
    arr = X.to_numpy(dtype=object)
    kp = KPrototypes(3, categorical=[2, 3, 4], random_state=0).fit(arr)
    ref = KPrototypes(3, random_state=0).fit(X)
    np.testing.assert_array_equal(kp.labels_, ref.labels_)
    assert not hasattr(kp, "feature_names_in_") and kp.n_features_in_ == 5
    assert isinstance(kp.transform(arr), np.ndarray)
    # Numbers named categorical are levels.
    coded = X.assign(channel=X["channel"].map({"app": 0, "shop": 1, "web": 2}))
    by_name = KPrototypes(3, categorical=["channel", "size", "newbie"], random_state=0)
    np.testing.assert_array_equal(by_name.fit(coded).labels_, ref.labels_)


def test_the_callers_data_and_init_are_not_changed():
    X = mixed_customers(300, 3, seed=7).drop(columns="group")
    before, init = X.copy(), X.iloc[[0, 5, 9]].copy()
    init_before = init.copy()
    for algorithm in ("lloyd", "huang"):
        KPrototypes(3, init=init, algorithm=algorithm).fit(X)
    pd.testing.assert_frame_equal(X, before)
    pd.testing.assert_frame_equal(init, init_before)


def test_pickle_and_clone():
    X = mixed_customers(300, 3, seed=8).drop(columns="group")
    kp = KPrototypes(3, random_state=0).fit(X)
    restored = pickle.loads(pickle.dumps(kp))
    np.testing.assert_array_equal(restored.predict(X), kp.predict(X))
    pd.testing.assert_frame_equal(restored.prototypes_, kp.prototypes_)
    fresh = clone(kp)
    assert fresh.get_params() == kp.get_params() and not hasattr(fresh, "labels_")


# --------------------------------------------------------------------------- bad input


def _two_groups() -> pd.DataFrame:
    return mixed_customers(200, 2, seed=9).drop(columns="group")


def test_only_numeric_or_only_categorical_says_which_estimator_fits():
    X = _two_groups()
    with pytest.raises(InvalidParameterError, match="all numeric.*KMeans"):
        KPrototypes(2).fit(X[["spend", "visits"]])
    with pytest.raises(InvalidParameterError, match="all categorical.*KModes"):
        KPrototypes(2).fit(X[["channel", "size"]])
    with pytest.raises(InvalidParameterError, match="KPrototypes"):
        KModes(2, categorical=["channel"]).fit(X[["channel", "spend"]])


@pytest.mark.parametrize("gamma", [0, -1.0, np.inf, "kmodes"])
def test_gamma_must_be_positive(gamma):
    with pytest.raises(InvalidParameterError, match="KPrototypes: gamma must be"):
        KPrototypes(2, gamma=gamma).fit(_two_groups())


def test_constant_numeric_columns_leave_no_default_gamma():
    X = _two_groups().assign(spend=1.0, visits=2.0)
    with pytest.raises(InvalidParameterError, match="no variation.*pass gamma"):
        KPrototypes(2).fit(X)
    assert KPrototypes(2, gamma=1.0, random_state=0).fit(X).gamma_ == 1.0


def test_a_column_with_one_level_warns():
    X = _two_groups().assign(country="FR")
    with pytest.warns(ConstantColumnWarning, match="'country' has a single level"):
        KPrototypes(2, random_state=0).fit(X)


def test_missing_categorical_values_error_or_level():
    X = _two_groups()
    X["channel"] = X["channel"].astype(object)
    X.loc[X.index[:7], "channel"] = None
    with pytest.raises(NonFiniteError, match="'channel' of X has 7 missing value"):
        KPrototypes(2).fit(X)
    kp = KPrototypes(2, missing="level", random_state=0).fit(X)
    assert kp.categories_[0][-1] is None
    assert kp.predict(X.iloc[:7]).shape == (7,)
    with pytest.raises(EmptyInputError, match="'channel' of X has no values"):
        KPrototypes(2, missing="level").fit(X.assign(channel=None))
    with pytest.raises(NonFiniteError, match="'spend'"):
        KPrototypes(2).fit(X.assign(spend=np.where(X.index < 3, np.nan, X["spend"])))


def test_unseen_levels_at_predict_error_or_mismatch():
    X = _two_groups()
    new = X.iloc[:4].assign(channel=["fax", "fax", "web", "app"])
    kp = KPrototypes(2, random_state=0).fit(X)
    with pytest.raises(UnknownCategoryError, match="'channel'.*2 row"):
        kp.predict(new)
    loose = KPrototypes(2, unknown="mismatch", random_state=0).fit(X)
    costs = loose.transform(new).to_numpy()
    assert costs.shape == (4, 2)
    # An unseen level mismatches every prototype: the cost of "fax" is gamma above the
    # cost with the channel of each prototype.
    for c in range(2):
        proto_channel = loose.prototypes_["channel"].iloc[c]
        matched = loose.transform(new.iloc[:1].assign(channel=proto_channel)).to_numpy()[0, c]
        assert costs[0, c] == pytest.approx(matched + loose.gamma_, rel=1e-12)
    np.testing.assert_array_equal(loose.predict(new), costs.argmin(axis=1))


def test_more_clusters_than_distinct_rows():
    X = pd.DataFrame({"spend": [1.0, 1.0, 2.0, 2.0] * 5, "channel": ["a", "a", "b", "b"] * 5})
    with pytest.raises(NotEnoughSamplesError, match="only 2 distinct row.*n_clusters <= 2"):
        KPrototypes(3).fit(X)
    with pytest.raises(NotEnoughSamplesError, match="n_samples=20 should be >= n_clusters=30"):
        KPrototypes(30).fit(X)
    with pytest.raises(NotEnoughSamplesError, match="distinct"):
        KModes(3).fit(X[["channel"]])


def test_high_cardinality_columns_warn():
    X = _two_groups().assign(customer_code=[f"id{i}" for i in range(200)])
    with pytest.warns(HighCardinalityWarning, match="customer_code"):
        KPrototypes(2, random_state=0).fit(X)


def test_given_prototypes_are_checked():
    X = _two_groups()
    with pytest.raises(ShapeMismatchError, match="3 prototype row"):
        KPrototypes(2, init=X.iloc[:3]).fit(X)
    with pytest.raises(UnknownCategoryError, match="'channel' of init"):
        KPrototypes(2, init=X.iloc[:2].assign(channel="fax")).fit(X)
    with pytest.raises(ShapeMismatchError, match="columns"):
        KPrototypes(2, init=X.iloc[:2, ::-1]).fit(X)
    with pytest.raises(InvalidParameterError, match="init as a DataFrame"):
        KPrototypes(2, init=X.iloc[:2].to_numpy(dtype=object)).fit(X)
    with pytest.warns(RuntimeWarning, match="performing one run"):
        KPrototypes(2, init="cao", n_init=5).fit(X)


def test_predict_checks_the_columns():
    X = _two_groups()
    kp = KPrototypes(2, random_state=0).fit(X)
    with pytest.raises(FeatureNamesError, match="order differs"):
        kp.predict(X[X.columns[::-1]])
    with pytest.raises(ShapeMismatchError, match="expecting 5 features"):
        kp.predict(X.to_numpy(dtype=object)[:, :4])


# --------------------------------------------------------------------------- scikit-learn

_TIES = (
    "continuous values as categories make every level a tie; ties are broken by row order, "
    "which the weighted and the repeated tables do not share"
)
_LEVEL = "in a categorical column infinity is a level, and a dict an unhashable level"
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": _TIES,
    "check_estimators_nan_inf": _LEVEL,
    "check_dtype_object": _LEVEL,
}

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base")
    _CHECKS = parametrize_with_checks(
        [
            # scikit-learn's checks feed numeric arrays: column 0 is named categorical.
            KPrototypes(3, categorical=[0], unknown="mismatch", random_state=0),
            KModes(3, unknown="mismatch", random_state=0),
        ],
        expected_failed_checks=lambda est: EXPECTED_FAILED,
    )


@_CHECKS
@pytest.mark.filterwarnings("ignore:.*does not inherit from `sklearn.base")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
