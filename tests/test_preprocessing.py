"""segwise.preprocessing against scikit-learn 1.9 (oracle), plus contract and bad-input tests."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import segwise.preprocessing as swp
import sklearn.preprocessing as skp
from conftest import outputs_on_threads
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from segwise.exceptions import (
    FeatureNamesError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    NotFittedError,
    SegwiseError,
    ShapeMismatchError,
)

RTOL = 1e-12
# Values near zero after centering: their relative error follows the mean's, not theirs.
ATOL = 1e-12

SCALERS = {
    "StandardScaler": [{}, {"with_mean": False}, {"with_std": False}],
    "MinMaxScaler": [{}, {"feature_range": (-3, 2)}, {"clip": True}],
    "MaxAbsScaler": [{}, {"clip": True}],
    "RobustScaler": [
        {},
        {"quantile_range": (10.0, 90.0)},
        {"quantile_range": (33.3, 33.3)},
        {"unit_variance": True, "quantile_range": (5.0, 95.0)},
        {"with_centering": False},
        {"with_scaling": False},
    ],
}
CASES = [(name, params) for name, plist in SCALERS.items() for params in plist]
FITTED = {
    "StandardScaler": ["mean_", "var_", "scale_", "n_samples_seen_"],
    "MinMaxScaler": ["min_", "scale_", "data_min_", "data_max_", "data_range_", "n_samples_seen_"],
    "MaxAbsScaler": ["max_abs_", "scale_", "n_samples_seen_"],
    "RobustScaler": ["center_", "scale_"],
}


def make_data(n=500, seed=0, dtype=np.float64, nan=True):
    """Skewed money-like columns, a constant, a near-constant and a shifted column."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.lognormal(3.0, 1.2, n),
            rng.normal(-5.0, 2.0, n),
            np.full(n, 7.25),
            1e6 + rng.normal(0, 1e-10, n),  # near constant: variance below the 2-pass error
            rng.integers(0, 5, n).astype(float),
            1e8 + rng.normal(0, 3.0, n),  # large mean, real variance
        ]
    ).astype(dtype)
    if nan:
        X[rng.random(n) < 0.1, 0] = np.nan
        X[rng.random(n) < 0.3, 4] = np.nan
    return X


def assert_attr_equal(ours, ref, name, rtol=RTOL, atol=1e-30):
    # atol: a constant column has variance 0 here and ~1e-46 rounding noise in sklearn.
    a, b = getattr(ours, name), getattr(ref, name)
    if b is None:
        assert a is None, name
        return
    assert np.shape(a) == np.shape(b), name
    assert np.asarray(a).dtype == np.asarray(b).dtype, (name, np.asarray(a).dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize(("name", "params"), CASES)
@pytest.mark.parametrize("nan", [False, True])
def test_parity_with_sklearn(name, params, nan):
    X = make_data(nan=nan)
    X_new = make_data(n=200, seed=1, nan=nan) * 1.5
    ours = getattr(swp, name)(**params).fit(X)
    ref = getattr(skp, name)(**params).fit(X)
    for attr in FITTED[name]:
        assert_attr_equal(ours, ref, attr)
    assert type(ours.n_features_in_) is type(ref.n_features_in_)
    if hasattr(ref, "n_samples_seen_"):
        assert type(ours.n_samples_seen_) is type(ref.n_samples_seen_)
    Z, Z_ref = ours.transform(X_new), ref.transform(X_new)
    assert Z.dtype == np.float64
    np.testing.assert_allclose(Z, Z_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(np.isnan(Z), np.isnan(X_new))
    back, back_ref = ours.inverse_transform(Z_ref), ref.inverse_transform(Z_ref)
    np.testing.assert_allclose(back, back_ref, rtol=RTOL, atol=ATOL)


def test_near_constant_and_constant_columns_get_unit_scale():
    X = make_data(nan=False)
    s = swp.StandardScaler().fit(X)
    assert s.scale_[2] == 1.0 and s.scale_[3] == 1.0
    assert s.scale_[5] != 1.0
    r = skp.StandardScaler().fit(X)
    np.testing.assert_array_equal(s.scale_ == 1.0, r.scale_ == 1.0)
    for cls in ("MinMaxScaler", "MaxAbsScaler", "RobustScaler"):
        Xc = np.column_stack([np.zeros(10), np.arange(10.0)])
        ours, ref = getattr(swp, cls)().fit(Xc), getattr(skp, cls)().fit(Xc)
        np.testing.assert_array_equal(ours.scale_, ref.scale_)
        assert ours.scale_[0] == 1.0


# Columns 3 and 5 have |mean| / std of 1e16 and 3e7: the mean's last bit decides their
# standardized values and the textbook merge loses ~1e-10 there, in scikit-learn too. They
# are compared with the exact (rational arithmetic) answer instead: segwise must be at
# least as close to it as scikit-learn.
WELL_CONDITIONED = [0, 1, 2, 4]


def exact_mean_var(X, w=None):
    """Weighted mean and population variance per column in exact rational arithmetic."""
    w = np.ones(X.shape[0]) if w is None else w
    means, variances = [], []
    for col in X.T:
        keep = ~np.isnan(col)
        xs = [Fraction(v) for v in col[keep]]
        ws = [Fraction(v) for v in w[keep]]
        total = sum(ws)
        mean = sum(a * b for a, b in zip(ws, xs, strict=True)) / total
        var = sum(a * (b - mean) ** 2 for a, b in zip(ws, xs, strict=True)) / total
        means.append(float(mean))
        variances.append(float(var))
    return np.array(means), np.array(variances)


def assert_standard_close(ours, ref, X, w=None, merged=False):
    """rtol 1e-12 on well-conditioned columns; elsewhere no less accurate than sklearn."""
    good = WELL_CONDITIONED
    for attr in ("mean_", "var_", "scale_"):
        # atol: the constant column's variance is rounding noise of size (7.25 * eps)^2.
        np.testing.assert_allclose(
            getattr(ours, attr)[good], getattr(ref, attr)[good], rtol=RTOL, atol=1e-28
        )
    np.testing.assert_allclose(ours.n_samples_seen_, ref.n_samples_seen_, rtol=RTOL)
    mean, var = exact_mean_var(X, w)
    eps = np.finfo(np.float64).eps
    slack = 4 * eps * (np.abs(mean) + np.sqrt(var))
    assert (np.abs(ours.mean_ - mean) <= np.abs(ref.mean_ - mean) + slack).all()
    # (mean * eps)^2 is the rounding floor of any variance (cf. the near-constant rule).
    slack = 8 * eps * var + 8 * (mean * eps) ** 2
    if merged:
        # Merging (mean_, var_, n) states loses ~eps * |mean| / std of the variance (the
        # stored mean_ keeps only that much of each batch's offset): scikit-learn too.
        slack += 4 * eps * np.abs(mean) * np.sqrt(var)
    assert (np.abs(ours.var_ - var) <= np.abs(ref.var_ - var) + slack).all()
    Z, Z_ref = ours.transform(X), ref.transform(X)
    np.testing.assert_allclose(Z[:, good], Z_ref[:, good], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("with_nan", [False, True])
def test_standard_sample_weight(with_nan):
    X = make_data(nan=with_nan)
    w = np.random.default_rng(3).uniform(0, 3, X.shape[0])
    w[:7] = 0.0
    ours = swp.StandardScaler().fit(X, sample_weight=w)
    ref = skp.StandardScaler().fit(X, sample_weight=w)
    assert_standard_close(ours, ref, X, w)


def test_standard_sample_weight_float32():
    X = make_data(nan=True, dtype=np.float32)[:, WELL_CONDITIONED]
    w = np.random.default_rng(4).uniform(0, 3, X.shape[0])
    ours = swp.StandardScaler().fit(X, sample_weight=w)
    ref = skp.StandardScaler().fit(X, sample_weight=w)
    for attr in FITTED["StandardScaler"]:
        assert_attr_equal(ours, ref, attr, rtol=1e-9, atol=1e-12)
    Z = ours.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref.transform(X), rtol=1e-6, atol=1e-6)


def test_integer_weights_equal_repeated_rows():
    X = make_data(n=50, nan=False)
    w = np.arange(50) % 3
    a = swp.StandardScaler().fit(X, sample_weight=w)
    b = swp.StandardScaler().fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-13)
    np.testing.assert_allclose(a.var_[[0, 1, 4, 5]], b.var_[[0, 1, 4, 5]], rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "weighted"),
    [
        ("StandardScaler", False),
        ("StandardScaler", True),
        ("MinMaxScaler", False),
        ("MaxAbsScaler", False),
    ],
)
def test_partial_fit_sequence_matches_sklearn(name, weighted):
    X = make_data(n=900, nan=True)
    w = np.random.default_rng(5).uniform(0.1, 2, X.shape[0]) if weighted else None
    ours, ref = getattr(swp, name)(), getattr(skp, name)()
    stop = 0
    for start, stop in [(0, 20), (20, 300), (300, 302), (302, 900)]:
        kw = {"sample_weight": w[start:stop]} if weighted else {}
        ours.partial_fit(X[start:stop], **kw)
        with np.errstate(invalid="ignore"):  # sklearn: sqrt of a -1e-30 variance
            ref.partial_fit(X[start:stop], **kw)
        seen = X[:stop]
        if name == "StandardScaler":
            assert_standard_close(ours, ref, seen, None if w is None else w[:stop], merged=True)
        else:
            for attr in FITTED[name]:
                assert_attr_equal(ours, ref, attr)
            np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=RTOL, atol=ATOL)
    # fit resets: a refit equals a fresh fit
    ours.fit(X[:50])
    fresh = getattr(swp, name)().fit(X[:50])
    for attr in FITTED[name]:
        np.testing.assert_array_equal(getattr(ours, attr), getattr(fresh, attr))


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler", "MaxAbsScaler"])
def test_partial_fit_batch_with_all_nan_column_keeps_stats(name):
    # scikit-learn turns such a column's var_/data_min_/max_abs_ into NaN (0/0); segwise
    # treats "no new values" as no update.
    X = make_data(n=100, nan=False)
    est = getattr(swp, name)().partial_fit(X)
    before = {a: np.copy(getattr(est, a)) for a in FITTED[name] if a != "n_samples_seen_"}
    batch = X[:3].copy()
    batch[:, 1] = np.nan
    est.partial_fit(batch)
    ref = getattr(swp, name)().fit(np.vstack([X, batch]))
    good = WELL_CONDITIONED
    for attr in before:
        assert np.isfinite(getattr(est, attr)).all(), attr
        np.testing.assert_allclose(
            getattr(est, attr)[good], getattr(ref, attr)[good], rtol=1e-12, atol=1e-30, err_msg=attr
        )


def test_standard_without_mean_and_std_counts_like_sklearn():
    X = make_data(nan=True)
    ours = swp.StandardScaler(with_mean=False, with_std=False).fit(X)
    ref = skp.StandardScaler(with_mean=False, with_std=False).fit(X)
    assert ours.mean_ is None and ours.var_ is None and ours.scale_ is None
    np.testing.assert_array_equal(ours.n_samples_seen_, ref.n_samples_seen_)
    assert ours.n_samples_seen_.dtype == ref.n_samples_seen_.dtype
    np.testing.assert_array_equal(ours.transform(X), X)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_float32_stays_float32(name, params):
    X = make_data(nan=True, dtype=np.float32)
    ours = getattr(swp, name)(**params).fit(X)
    ref = getattr(skp, name)(**params).fit(X)
    for attr in FITTED[name]:
        assert_attr_equal(ours, ref, attr, rtol=1e-6)
    Z, Z_ref = ours.transform(X), ref.transform(X)
    assert Z.dtype == np.float32 == Z_ref.dtype
    np.testing.assert_allclose(Z, Z_ref, rtol=1e-5, atol=1e-5)
    assert ours.inverse_transform(Z).dtype == np.float32
    df = pd.DataFrame(X, columns=list("abcdef"))
    assert (ours.fit_transform(df).dtypes == np.float32).all()


@pytest.mark.parametrize(("name", "params"), CASES)
def test_inverse_round_trip(name, params):
    X = make_data(nan=True)
    est = getattr(swp, name)(**params).fit(X)
    back = est.inverse_transform(est.transform(X))
    np.testing.assert_allclose(back, X, rtol=1e-9, atol=1e-6)


def test_feature_range_and_clip():
    X = np.array([[0.0], [10.0]])
    s = swp.MinMaxScaler(feature_range=(-1, 1), clip=True).fit(X)
    np.testing.assert_array_equal(
        s.transform([[-5.0], [5.0], [50.0], [np.nan]]).ravel()[:3], [-1.0, 0.0, 1.0]
    )
    assert np.isnan(s.transform([[np.nan]])[0, 0])
    m = swp.MaxAbsScaler(clip=True).fit(X)
    np.testing.assert_array_equal(m.transform([[-20.0], [20.0]]).ravel(), [-1.0, 1.0])


def test_dataframe_in_dataframe_out():
    X = make_data(n=40)
    df = pd.DataFrame(
        X, columns=[f"c{i}" for i in range(6)], index=pd.Index(np.arange(100, 140), name="customer")
    )
    for name, params in CASES + [("Log1pTransformer", {"columns": ["c0"]})]:
        est = getattr(swp, name)(**params)
        out = est.fit_transform(df)
        assert isinstance(out, pd.DataFrame)
        pd.testing.assert_index_equal(out.index, df.index)
        assert list(out.columns) == list(df.columns)
        np.testing.assert_array_equal(est.feature_names_in_, df.columns)
        np.testing.assert_array_equal(est.get_feature_names_out(), df.columns)
        back = est.inverse_transform(out)
        assert isinstance(back, pd.DataFrame)
        pd.testing.assert_index_equal(back.index, df.index)
        np.testing.assert_allclose(back.to_numpy(), X, rtol=1e-9, atol=1e-6)


def test_numpy_in_numpy_out_and_set_output_pandas():
    X = make_data(n=30)
    s = swp.StandardScaler().fit(X)
    assert type(s.transform(X)) is np.ndarray
    assert not hasattr(s, "feature_names_in_")
    out = swp.StandardScaler().set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"x{i}" for i in range(6)]
    pd.testing.assert_index_equal(out.index, pd.RangeIndex(30))
    np.testing.assert_allclose(
        out.to_numpy(), skp.StandardScaler().fit_transform(X), rtol=RTOL, atol=ATOL
    )


def _variants(X):
    ro = X.copy()
    ro.flags.writeable = False
    yield "read-only", ro
    yield "fortran", np.asfortranarray(X)
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    yield "strided", wide[:, ::2]
    yield "dataframe", pd.DataFrame(X.copy())


@pytest.mark.parametrize(("name", "params"), CASES + [("Log1pTransformer", {})])
def test_caller_data_never_mutated(name, params, tmp_path):
    X = np.abs(make_data(n=60))
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=X.dtype, shape=X.shape)
    mm[:] = X
    mm.flush()
    variants = list(_variants(X)) + [("memmap", np.load(tmp_path / "x.npy", mmap_mode="r"))]
    variants.append(("memmap-rw", mm))
    for label, data in variants:
        before = np.array(data, copy=True)
        est = (
            getattr(swp, name)(copy=False, **params)
            if "copy" in getattr(swp, name)._param_names()
            else getattr(swp, name)(**params)
        )
        Z = est.fit_transform(data)
        est.inverse_transform(Z)
        if hasattr(est, "partial_fit"):
            est.partial_fit(data)
        np.testing.assert_array_equal(np.asarray(data), before, err_msg=label)
        Zv = np.asarray(Z)
        assert not np.shares_memory(Zv, np.asarray(data)), label


def test_n_samples_seen_types():
    X = make_data(nan=False)
    for name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler"):
        ours, ref = getattr(swp, name)().fit(X), getattr(skp, name)().fit(X)
        assert type(ours.n_samples_seen_) is type(ref.n_samples_seen_)
    s = swp.StandardScaler().fit(make_data(nan=True))
    assert isinstance(s.n_samples_seen_, np.ndarray) and s.n_samples_seen_.shape == (6,)


def test_log1p_transformer():
    X = np.abs(make_data(n=80))
    X[0, 1] = -0.5  # allowed: > -1
    t = swp.Log1pTransformer().fit(X)
    Z = t.transform(X)
    np.testing.assert_allclose(Z, np.log1p(X), rtol=1e-15)
    np.testing.assert_allclose(t.inverse_transform(Z), X, rtol=1e-12)
    assert np.isnan(Z[np.isnan(X)]).all()
    df = pd.DataFrame(X, columns=list("abcdef"))
    t2 = swp.Log1pTransformer(columns=["a", "e"]).fit(df)
    np.testing.assert_array_equal(t2.columns_, [0, 4])
    out = t2.transform(df)
    np.testing.assert_allclose(out["a"], np.log1p(df["a"]))
    pd.testing.assert_series_equal(out["b"], df["b"])
    t3 = swp.Log1pTransformer(columns=[-1]).fit(X)
    np.testing.assert_array_equal(t3.transform(X)[:, :5], X[:, :5])
    f32 = swp.Log1pTransformer().fit_transform(X.astype(np.float32))
    assert f32.dtype == np.float32


def test_log1p_domain_error_names_column_and_count():
    df = pd.DataFrame({"spend": [1.0, -1.0, -3.0, 2.0], "refunds": [-2.0, 0.0, 1.0, 1.0]})
    with pytest.raises(NonFiniteError, match=r"'spend' \(2 value\(s\)\).*'refunds' \(1 value"):
        swp.Log1pTransformer().fit(df)
    t = swp.Log1pTransformer(columns=["spend"]).fit(df.iloc[[0, 3]])
    with pytest.raises(NonFiniteError, match="spend"):
        t.transform(df)
    # columns not selected may hold anything finite
    swp.Log1pTransformer(columns=["spend"]).fit(df.assign(spend=[1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(InvalidParameterError, match="not a column"):
        swp.Log1pTransformer(columns=["nope"]).fit(df.clip(lower=0))
    with pytest.raises(InvalidParameterError, match="out of range"):
        swp.Log1pTransformer(columns=[5]).fit(df.clip(lower=0))


def test_bad_input():
    X = make_data(n=20, nan=False)
    bad = X.copy()
    bad[[1, 4], 2] = np.inf
    with pytest.raises(NonFiniteError, match=r"2 of 20 rows.*'x2'"):
        swp.StandardScaler().fit(bad)
    df = pd.DataFrame(X, columns=list("abcdef"))
    with pytest.raises(NonFiniteError, match="'c'"):
        swp.RobustScaler().fit(df.assign(c=bad[:, 2]))
    with pytest.raises(NonNumericError, match="segment"):
        swp.MinMaxScaler().fit(df.assign(segment="gold"))
    with pytest.raises(TypeError):
        swp.MinMaxScaler().fit(df.assign(segment="gold"))
    with pytest.raises(InvalidParameterError, match="feature range"):
        swp.MinMaxScaler(feature_range=(2, 2)).fit(X)
    with pytest.raises(InvalidParameterError, match="feature_range"):
        swp.MinMaxScaler(feature_range=(0, 1, 2)).fit(X)
    for qr in [(80.0, 20.0), (-1.0, 50.0), (10.0, 101.0)]:
        with pytest.raises(InvalidParameterError, match="quantile range"):
            swp.RobustScaler(quantile_range=qr).fit(X)
    with pytest.raises(InvalidParameterError, match="with_mean"):
        swp.StandardScaler(with_mean="yes").fit(X)
    fitted = swp.StandardScaler().fit(df)
    with pytest.raises(FeatureNamesError, match="unexpected"):
        fitted.transform(df.rename(columns={"a": "z"}))
    with pytest.raises(ShapeMismatchError, match="features"):
        swp.StandardScaler().fit(X).transform(X[:, :3])
    with pytest.raises(ShapeMismatchError, match="features"):
        swp.MaxAbsScaler().fit(X).inverse_transform(X[:, :3])
    with pytest.raises(ShapeMismatchError, match="2D"):
        swp.StandardScaler().fit(X[:, 0])
    with pytest.raises(InvalidWeightsError, match="negative"):
        swp.StandardScaler().fit(X, sample_weight=-np.ones(20))
    with pytest.raises(ShapeMismatchError, match="sample_weight"):
        swp.StandardScaler().fit(X, sample_weight=np.ones(3))
    with pytest.raises(NotFittedError, match="not fitted"):
        swp.RobustScaler().transform(X)
    with pytest.raises(NonNumericError, match="sparse"):
        swp.StandardScaler().fit(sp.csr_matrix(X))
    with pytest.raises(SegwiseError):
        swp.StandardScaler().fit(np.empty((0, 3)))


def test_deterministic_across_thread_counts():
    code = (
        "import numpy as np, segwise.preprocessing as p;"
        "X=np.random.default_rng(0).normal(size=(30000, 5))*1e3+7;"
        "s=p.StandardScaler().fit(X);"
        "print(s.mean_.tobytes().hex(), s.var_.tobytes().hex())"
    )
    outs = set(outputs_on_threads(code))
    assert len(outs) == 1


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite),
    which=st.sampled_from(["StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"]),
)
def test_property_inverse_of_transform(X, which):
    est = getattr(swp, which)().fit(X)
    back = est.inverse_transform(est.transform(X))
    scale = np.nanmax(np.abs(X)) + 1.0
    np.testing.assert_allclose(back, X, rtol=1e-9, atol=1e-9 * scale)


@settings(max_examples=30, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 3)),
        elements=st.floats(min_value=-0.99, max_value=1e9),
    ),
)
def test_property_log1p_round_trip(X):
    t = swp.Log1pTransformer().fit(X)
    np.testing.assert_allclose(t.inverse_transform(t.transform(X)), X, rtol=1e-10, atol=1e-12)


def test_output_is_a_fresh_writeable_c_array():
    X = make_data(n=50)
    for name, params in CASES:
        est = getattr(swp, name)(**params).fit(X)
        for out in (est.transform(X), est.inverse_transform(X)):
            assert out.flags.c_contiguous and out.flags.writeable and out.flags.owndata


@pytest.mark.slow
def test_parity_many_blocks():
    # ~250 row blocks of the parallel reductions, NaN scattered over all of them.
    X = make_data(n=1_000_000, seed=7)
    for name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"):
        ours, ref = getattr(swp, name)().fit(X), getattr(skp, name)().fit(X)
        for attr in FITTED[name]:
            got, want = np.asarray(getattr(ours, attr)), np.asarray(getattr(ref, attr))
            if name == "StandardScaler" and attr != "n_samples_seen_":
                got, want = got[WELL_CONDITIONED], want[WELL_CONDITIONED]
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-28, err_msg=attr)
