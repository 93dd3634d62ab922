"""The inputs people have (issue 13): polars in and out, contingency_matrix's sparse/eps,
float16 scalers; each against scikit-learn on the same data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import segwise.metrics as swm
import segwise.preprocessing as swp
from segwise.cluster import KMeans
from segwise.exceptions import InvalidParameterError
from sklearn import metrics as skm
from sklearn import preprocessing as skp

pl = pytest.importorskip("polars")
sp = pytest.importorskip("scipy.sparse")

# --------------------------------------------------------------------------- contingency


@pytest.fixture(scope="module")
def two_labelings():
    rng = np.random.default_rng(0)
    return rng.integers(0, 7, 2_000), rng.choice(["a", "b", "c", "d"], 2_000)


def test_contingency_sparse_equals_scikit_learn(two_labelings):
    a, b = two_labelings
    ours = swm.contingency_matrix(a, b, sparse=True)
    ref = skm.cluster.contingency_matrix(a, b, sparse=True)
    assert sp.issparse(ours) and ours.format == "csr"
    assert ours.dtype == ref.dtype == np.int64
    np.testing.assert_array_equal(ours.toarray(), ref.toarray())
    np.testing.assert_array_equal(ours.indptr, ref.indptr)
    np.testing.assert_array_equal(ours.indices, ref.indices)


@pytest.mark.parametrize("eps", [0.0, 1e-10, 0.5])
def test_contingency_eps_equals_scikit_learn(two_labelings, eps):
    a, b = two_labelings
    ours = swm.contingency_matrix(a, b, eps=eps)
    ref = skm.cluster.contingency_matrix(a, b, eps=eps)
    assert ours.dtype == ref.dtype == np.float64
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", [np.int32, np.float64])
def test_contingency_dtype_equals_scikit_learn(two_labelings, dtype):
    a, b = two_labelings
    for sparse in (False, True):
        ours = swm.contingency_matrix(a, b, dtype=dtype, sparse=sparse)
        ref = skm.cluster.contingency_matrix(a, b, dtype=dtype, sparse=sparse)
        assert ours.dtype == ref.dtype
        dense = ours.toarray() if sparse else ours
        np.testing.assert_array_equal(dense, ref.toarray() if sparse else ref)


def test_contingency_sparse_with_eps_raises_as_scikit_learn(two_labelings):
    a, b = two_labelings
    with pytest.raises(ValueError, match="eps"):
        skm.cluster.contingency_matrix(a, b, eps=1e-10, sparse=True)
    with pytest.raises(InvalidParameterError, match="cannot set 'eps' when sparse=True"):
        swm.contingency_matrix(a, b, eps=1e-10, sparse=True)
    with pytest.raises(InvalidParameterError, match="as_frame"):
        swm.contingency_matrix(pd.Series(a), b, sparse=True, as_frame=True)
    with pytest.raises(InvalidParameterError, match="eps"):
        swm.contingency_matrix(a, b, eps=-1.0)
    with pytest.raises(InvalidParameterError, match="dtype"):
        swm.contingency_matrix(a, b, dtype="U3")


def test_contingency_sparse_keeps_large_label_sets_sparse():
    # 50,000 x 50,000 dense would be 20 GB; the sparse table holds 50,000 cells
    n = 50_000
    table = swm.contingency_matrix(np.arange(n), np.arange(n)[::-1], sparse=True)
    assert table.shape == (n, n) and table.nnz == n


def test_contingency_frame_with_eps_keeps_labels():
    out = swm.contingency_matrix(pd.Series(["x", "y", "y"]), [1, 1, 2], eps=0.25)
    assert list(out.index) == ["x", "y"] and list(out.columns) == [1, 2]
    np.testing.assert_array_equal(out.to_numpy(), [[1.25, 0.25], [1.25, 1.25]])


def _without(module: str, setup: str, works: str, needs: str) -> tuple[str, str]:
    """In a fresh interpreter where ``module`` cannot be imported: the output of ``works``
    and the ImportError message of ``needs`` (both after ``setup``)."""
    code = (
        f"import sys; sys.modules[{module!r}] = None\n{setup}\nprint({works})\n"
        f"try:\n    {needs}\nexcept ImportError as e:\n    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, _, error = out.stdout.partition("ImportError:")
    return first.strip(), error.strip()


def test_contingency_sparse_without_scipy_says_what_to_install():
    works, error = _without(
        "scipy",
        "from segwise.metrics import contingency_matrix",
        "contingency_matrix([0, 1], [1, 1]).tolist()",
        "contingency_matrix([0, 1], [1, 1], sparse=True)",
    )
    assert works == "[[1], [1]]"
    assert "pip install scipy" in error


# --------------------------------------------------------------------------- float16

_F16_ULP = float(np.finfo(np.float16).eps)  # 2**-10: one unit in the last place at 1.0


@pytest.fixture(scope="module")
def half():
    rng = np.random.default_rng(1)
    X = rng.normal(loc=[0.0, 5.0, -3.0], scale=[1.0, 2.0, 0.5], size=(500, 3))
    return X.astype(np.float16)


_SCALER_PAIRS = [
    (swp.StandardScaler, skp.StandardScaler, {}),
    (swp.StandardScaler, skp.StandardScaler, {"with_mean": False}),
    (swp.MinMaxScaler, skp.MinMaxScaler, {}),
    (swp.MaxAbsScaler, skp.MaxAbsScaler, {}),
    (swp.RobustScaler, skp.RobustScaler, {}),
]


@pytest.mark.parametrize(("ours", "theirs", "kw"), _SCALER_PAIRS)
def test_float16_keeps_its_dtype_as_scikit_learn(half, ours, theirs, kw):
    a, b = ours(**kw).fit(half), theirs(**kw).fit(half)
    out, ref = a.transform(half), b.transform(half)
    assert out.dtype == ref.dtype == np.float16
    # scikit-learn rounds to float16 after each step, segwise once: at most one unit apart
    scale = np.maximum(np.abs(ref.astype(np.float64)), 1.0)
    assert np.max(np.abs(out.astype(np.float64) - ref) / scale) <= 2 * _F16_ULP
    back, ref_back = a.inverse_transform(out), b.inverse_transform(ref)
    assert back.dtype == ref_back.dtype == np.float16
    for name in ("mean_", "var_", "scale_", "data_min_", "data_max_", "max_abs_", "center_"):
        mine, theirs_attr = getattr(a, name, None), getattr(b, name, None)
        if theirs_attr is None:
            continue
        np.testing.assert_allclose(mine, theirs_attr, rtol=2 * _F16_ULP, err_msg=name)


def test_float16_frame_stays_float16(half):
    df = pd.DataFrame(half, columns=["a", "b", "c"], index=np.arange(500) * 2)
    out = swp.StandardScaler().fit_transform(df)
    assert isinstance(out, pd.DataFrame) and (out.dtypes == np.float16).all()
    assert out.index.equals(df.index)


def test_float16_input_is_not_modified(half):
    before = half.copy()
    swp.MaxAbsScaler().fit_transform(half)
    np.testing.assert_array_equal(half, before)


# --------------------------------------------------------------------------- polars


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "recency": rng.exponential(30.0, 600),
            "frequency": rng.poisson(3.0, 600).astype(float),
            "spend": rng.lognormal(3.0, 1.0, 600),
        }
    )
    return df, pl.from_numpy(df.to_numpy(), schema=list(df.columns), orient="row")


def test_kmeans_polars_in_polars_out(customers):
    pdf, pldf = customers
    a = KMeans(n_clusters=3, random_state=0, n_init=2).fit(pldf)
    b = KMeans(n_clusters=3, random_state=0, n_init=2).fit(pdf)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert list(a.feature_names_in_) == list(pdf.columns)
    out = a.transform(pldf)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(a.get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), b.transform(pdf).to_numpy())
    labels = a.predict(pldf)  # labels are an array, as in scikit-learn
    assert isinstance(labels, np.ndarray)
    np.testing.assert_array_equal(labels, a.labels_)
    np.testing.assert_array_equal(KMeans(3, random_state=0, n_init=2).fit_predict(pldf), labels)


@pytest.mark.parametrize("scaler", [swp.StandardScaler, swp.MinMaxScaler, swp.MaxAbsScaler])
def test_scalers_polars_in_polars_out(customers, scaler):
    pdf, pldf = customers
    out = scaler().fit_transform(pldf)
    ref = scaler().fit_transform(pdf)
    assert isinstance(out, pl.DataFrame) and out.columns == list(pdf.columns)
    np.testing.assert_array_equal(out.to_numpy(), ref.to_numpy())
    back = scaler().fit(pldf).inverse_transform(out)
    assert isinstance(back, pl.DataFrame)
    np.testing.assert_allclose(back.to_numpy(), pdf.to_numpy(), rtol=1e-12)


def test_set_output_polars_and_pandas(customers):
    pdf, pldf = customers
    X = pdf.to_numpy()
    out = swp.StandardScaler().set_output(transform="polars").fit_transform(X)
    assert isinstance(out, pl.DataFrame) and out.columns == ["x0", "x1", "x2"]
    out = swp.StandardScaler().set_output(transform="pandas").fit_transform(pldf)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(pdf.columns)
    out = swp.StandardScaler().set_output(transform="default").fit_transform(pldf)
    assert isinstance(out, pl.DataFrame)
    with pytest.raises(InvalidParameterError, match="transform"):
        swp.StandardScaler().set_output(transform="arrow")
    scaler = swp.StandardScaler().set_output(transform="polars")
    assert scaler.set_output(transform=None) is scaler  # None keeps the setting
    assert isinstance(scaler.fit_transform(X), pl.DataFrame)


def test_set_output_follows_scikit_learn_config_and_clone(customers):
    import sklearn
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    pdf, pldf = customers
    X = pdf.to_numpy()
    with sklearn.config_context(transform_output="polars"):
        assert isinstance(swp.MaxAbsScaler().fit_transform(X), pl.DataFrame)
        # the estimator's own setting wins over the global one, as in scikit-learn
        own = swp.MaxAbsScaler().set_output(transform="pandas").fit_transform(X)
        assert isinstance(own, pd.DataFrame)
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(swp.MaxAbsScaler().fit_transform(pldf), pd.DataFrame)
    assert isinstance(swp.MaxAbsScaler().fit_transform(X), np.ndarray)
    copy = clone(swp.MaxAbsScaler().set_output(transform="polars"))
    assert isinstance(copy.fit_transform(X), pl.DataFrame)
    pipe = make_pipeline(swp.StandardScaler(), swp.MinMaxScaler()).set_output(transform="polars")
    assert isinstance(pipe.fit_transform(X), pl.DataFrame)


def test_metrics_take_polars(customers):
    pdf, pldf = customers
    labels = KMeans(n_clusters=3, random_state=0, n_init=1).fit_predict(pdf)
    pl_labels = pl.Series("segment", labels)
    for metric in (swm.silhouette_score, swm.calinski_harabasz_score, swm.davies_bouldin_score):
        assert metric(pldf, pl_labels) == metric(pdf, labels)
    np.testing.assert_array_equal(
        swm.silhouette_samples(pldf, pl_labels), swm.silhouette_samples(pdf, labels)
    )
    ref = swm.contingency_matrix(labels, labels[::-1])
    np.testing.assert_array_equal(swm.contingency_matrix(pl_labels, pl_labels[::-1]), ref)
    assert swm.adjusted_rand_score(pl_labels, pl_labels[::-1]) == swm.adjusted_rand_score(
        labels, labels[::-1]
    )


def test_rfm_polars_in_polars_out(cdnow):
    from segwise.rfm import rfm_scores, rfm_table

    log = pl.from_pandas(cdnow)
    ours = rfm_table(log, amount="dollar_value")
    ref = rfm_table(cdnow, amount="dollar_value")
    assert isinstance(ours, pl.DataFrame)
    assert ours.columns == ["customer_id", *ref.columns]
    np.testing.assert_array_equal(ours["customer_id"].to_numpy(), ref.index.to_numpy())
    for col in ("recency", "frequency", "monetary", "tenure"):
        np.testing.assert_array_equal(ours[col].to_numpy(), ref[col].to_numpy())
    np.testing.assert_array_equal(
        ours["first_purchase"].to_numpy(), ref["first_purchase"].to_numpy()
    )
    scores = rfm_scores(ours)
    ref_scores = rfm_scores(ref)
    assert isinstance(scores, pl.DataFrame)
    assert scores.columns[: len(ours.columns)] == ours.columns  # ids kept beside the scores
    assert scores["segment"].to_list() == ref_scores["segment"].tolist()
    assert scores["rfm_cell"].to_list() == ref_scores["rfm_cell"].tolist()


def test_rfm_polars_with_string_dates_and_no_amounts():
    from segwise.rfm import rfm_table

    log = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", None],
            "date": ["2024-01-01", "2024-01-05", "2024-01-03", "2024-01-02"],
        }
    )
    from segwise.exceptions import NonFiniteError

    with pytest.raises(NonFiniteError, match="missing id"):
        rfm_table(log, amount=None)
    out = rfm_table(log.drop_nulls(), amount=None, observation_end="2024-01-10")
    assert out.columns == [
        "customer_id",
        "recency",
        "frequency",
        "tenure",
        "first_purchase",
        "last_purchase",
    ]
    assert out["customer_id"].to_list() == ["a", "b"]
    assert out["recency"].to_list() == [5, 7] and out["frequency"].to_list() == [2, 1]


def test_abtest_profile_and_drift_take_polars(hillstrom):
    from segwise.abtest import segment_lift, sufficient_stats
    from segwise.profile import profile_segments
    from segwise.stability import align_labels, migration_matrix, psi

    df = hillstrom.iloc[:4000]
    pldf = pl.from_pandas(df)
    kw = dict(
        segment="zip_code", variant="segment", control="No E-Mail", metrics=["visit", "spend"]
    )
    ours, ref = segment_lift(pldf, **kw), segment_lift(df, **kw)
    pd.testing.assert_frame_equal(ours.table, ref.table)
    stats = sufficient_stats(pldf, segment="zip_code", variant="segment", metrics=["visit"])
    ref_stats = sufficient_stats(df, segment="zip_code", variant="segment", metrics=["visit"])
    assert isinstance(stats, pl.DataFrame)
    np.testing.assert_array_equal(stats["sum"].to_numpy(), ref_stats["sum"].to_numpy())

    features = ["recency", "history"]
    labels = KMeans(n_clusters=3, random_state=0, n_init=1).fit_predict(df[features])
    prof = profile_segments(pldf.select(features), pl.Series(labels))
    ref_prof = profile_segments(df[features].reset_index(drop=True), labels)
    pd.testing.assert_frame_equal(prof.segments, ref_prof.segments)

    shifted = pldf.select(features).with_columns(pl.col("recency") + 1)
    res = psi(pldf.select(features), shifted)
    ref_res = psi(df[features], df[features].assign(recency=df["recency"] + 1))
    pd.testing.assert_frame_equal(res.table, ref_res.table)
    before, after = pl.Series(labels), pl.Series((labels + 1) % 3)
    np.testing.assert_array_equal(
        migration_matrix(before, after).counts.to_numpy(),
        migration_matrix(labels, (labels + 1) % 3).counts.to_numpy(),
    )
    np.testing.assert_array_equal(
        align_labels(after, before), align_labels((labels + 1) % 3, labels)
    )


def test_polars_nulls_categoricals_and_dates_arrive_as_pandas_would():
    from segwise._validation import as_pandas

    frame = pl.DataFrame(
        {
            "n": [1, None, 3],
            "x": [1.5, None, float("nan")],
            "s": ["a", None, "c"],
            "c": pl.Series(["u", "v", "u"], dtype=pl.Categorical),
            "b": [True, None, False],
            "d": pl.Series(["2024-01-01", "2024-02-01", "2024-03-01"]).str.to_date(),
        }
    )
    out = as_pandas(frame)
    assert list(out.columns) == frame.columns
    assert out["n"].isna().tolist() == [False, True, False]
    assert out["x"].isna().tolist() == [False, True, True]
    assert out["s"].isna().tolist() == [False, True, False]
    assert out["s"].dropna().tolist() == ["a", "c"]
    assert isinstance(out["c"].dtype, pd.CategoricalDtype)
    assert out["b"].isna().tolist() == [False, True, False]
    assert pd.api.types.is_datetime64_any_dtype(out["d"])
    assert as_pandas(pl.Series("s", [1, 2])).name == "s"


def test_polars_nan_and_non_numeric_errors_name_the_column():
    from segwise.exceptions import NonFiniteError, NonNumericError

    with pytest.raises(NonFiniteError, match="'b'"):
        swp.StandardScaler().fit(pl.DataFrame({"a": [1.0, 2.0], "b": [1.0, float("inf")]}))
    with pytest.raises(NonNumericError, match="'name'"):
        KMeans(n_clusters=1).fit(pl.DataFrame({"a": [1.0, 2.0], "name": ["x", "y"]}))


def test_without_polars_everything_else_works_and_polars_output_says_what_to_install():
    works, error = _without(
        "polars",
        "import numpy as np; from segwise.preprocessing import StandardScaler",
        "StandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()",
        "StandardScaler().set_output(transform='polars')",
    )
    assert works == "[-1.0, 1.0]"
    assert "segwise[polars]" in error


# --------------------------------------------------------------------------- sparse input


@pytest.fixture(scope="module")
def basket():
    """A one-hot/basket-like CSR matrix: 3,000 x 200, ~2% dense, counts and spend."""
    rng = np.random.default_rng(3)
    X = sp.random(3_000, 200, density=0.02, format="csr", random_state=rng, dtype=np.float64)
    X.data = np.round(X.data * 10) + 1.0
    X.data[X.indices == 5] = 0.0  # an all-zero column
    X.eliminate_zeros()
    return X


_SPARSE_PAIRS = [
    (swp.MaxAbsScaler, skp.MaxAbsScaler, {}),
    (swp.MaxAbsScaler, skp.MaxAbsScaler, {"clip": True}),
    (swp.StandardScaler, skp.StandardScaler, {"with_mean": False}),
    (swp.StandardScaler, skp.StandardScaler, {"with_mean": False, "with_std": False}),
]


@pytest.mark.parametrize(("ours", "theirs", "kw"), _SPARSE_PAIRS)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_scalers_equal_scikit_learn(basket, ours, theirs, kw, fmt):
    X = basket.asformat(fmt)
    before = X.copy()
    a, b = ours(**kw).fit(X), theirs(**kw).fit(X)
    for name in ("mean_", "var_", "scale_", "max_abs_", "n_samples_seen_"):
        ref = getattr(b, name, None)
        if ref is None:
            assert getattr(a, name, None) is None
            continue
        np.testing.assert_allclose(getattr(a, name), ref, rtol=1e-12, atol=0, err_msg=name)
    out, ref = a.transform(X), b.transform(X)
    assert sp.issparse(out) and out.format == "csr"
    np.testing.assert_allclose(out.toarray(), ref.toarray(), rtol=1e-12, atol=0)
    back = a.inverse_transform(out)
    np.testing.assert_allclose(back.toarray(), X.toarray(), rtol=1e-12)
    # the caller's matrix is untouched and shares nothing with the output
    assert (X != before).nnz == 0
    assert not np.shares_memory(out.data, X.tocsr().data)


def test_sparse_standard_scaler_weights_nan_and_partial_fit(basket):
    X = basket.copy()
    X.data[::50] = np.nan
    w = np.random.default_rng(4).uniform(0.5, 2.0, X.shape[0])
    a = swp.StandardScaler(with_mean=False).fit(X, sample_weight=w)
    b = skp.StandardScaler(with_mean=False).fit(X, sample_weight=w)
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-12)
    np.testing.assert_allclose(a.var_, b.var_, rtol=1e-12)
    np.testing.assert_allclose(a.n_samples_seen_, b.n_samples_seen_, rtol=1e-12)
    out = a.transform(X)
    assert np.isnan(out.data).sum() == np.isnan(X.data).sum()
    np.testing.assert_allclose(out.toarray(), b.transform(X).toarray(), rtol=1e-12)
    a, b = swp.StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False)
    for part in (X[:1000], X[1000:2500], X[2500:]):
        a.partial_fit(part)
        b.partial_fit(part)
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-12)
    np.testing.assert_allclose(a.var_, b.var_, rtol=1e-12)
    np.testing.assert_allclose(a.scale_, b.scale_, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])  # scipy.sparse has no float16
def test_sparse_scalers_dtypes_as_scikit_learn(basket, dtype):
    X = basket.astype(dtype)
    for ours, theirs in (
        (swp.MaxAbsScaler(), skp.MaxAbsScaler()),
        (swp.StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False)),
    ):
        out, ref = ours.fit_transform(X), theirs.fit_transform(X)
        assert out.dtype == ref.dtype
        tol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(out.toarray().astype(float), ref.toarray(), rtol=tol)


def test_sparse_matrix_and_array_classes_are_kept(basket):
    arr = sp.csr_array(basket)
    assert isinstance(swp.MaxAbsScaler().fit_transform(arr), sp.csr_array)
    assert isinstance(swp.MaxAbsScaler().fit_transform(basket), sp.csr_matrix)


def test_sparse_bad_input_is_a_clear_error(basket):
    from segwise.exceptions import EmptyInputError, NonFiniteError, NonNumericError

    with pytest.raises(NonNumericError, match="with_mean=False"):
        swp.StandardScaler().fit(basket)
    with pytest.raises(NonNumericError, match="densify"):
        swp.MinMaxScaler().fit(basket)
    with pytest.raises(NonNumericError, match="densify"):
        swp.RobustScaler().fit(basket)
    bad = basket.copy()
    bad.data[3] = np.inf
    with pytest.raises(NonFiniteError, match=f"x{bad.indices[3]}"):
        swp.MaxAbsScaler().fit(bad)
    with pytest.raises(EmptyInputError):
        swp.MaxAbsScaler().fit(sp.csr_matrix((0, 3)))
    with pytest.raises(InvalidParameterError, match="densify"):
        swp.MaxAbsScaler().set_output(transform="pandas").fit_transform(basket)
    fitted = swp.MaxAbsScaler().fit(basket)
    from segwise.exceptions import ShapeMismatchError

    with pytest.raises(ShapeMismatchError, match="200 features"):
        fitted.transform(basket[:, :10])


def test_sparse_unsorted_and_duplicate_indices_are_summed_on_a_copy():
    # row 0 holds column 2 twice (1 + 2) and its columns out of order
    X = sp.csr_matrix(
        (np.array([1.0, -4.0, 2.0]), np.array([2, 0, 2]), np.array([0, 3])), shape=(1, 3)
    )
    X.has_sorted_indices = False
    data_before = X.data.copy()
    out = swp.MaxAbsScaler().fit(X)
    np.testing.assert_array_equal(out.max_abs_, [4.0, 0.0, 3.0])
    np.testing.assert_array_equal(X.data, data_before)


def test_sparse_scalers_same_on_one_or_two_threads():
    from conftest import outputs_on_threads

    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from segwise.preprocessing import StandardScaler\n"
        "X = sp.random(20000, 50, density=0.05, format='csr', random_state=0)\n"
        "s = StandardScaler(with_mean=False).fit(X)\n"
        "print(repr(s.var_.tobytes()))\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two and one


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_silhouette_equals_scikit_learn(basket, fmt):
    X = basket[:800].asformat(fmt)
    labels = np.random.default_rng(5).integers(0, 4, X.shape[0])
    ours = swm.silhouette_samples(X, labels)
    ref = skm.silhouette_samples(X, labels)
    # integer counts: the dot-product expansion is exact in both
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    dense = swm.silhouette_samples(X.toarray(), labels)
    np.testing.assert_allclose(ours, dense, rtol=1e-10, atol=1e-12)
    assert swm.silhouette_score(X, labels) == pytest.approx(
        skm.silhouette_score(X, labels), rel=1e-10
    )
    sub = swm.silhouette_score(X, labels, sample_size=300, random_state=0)
    again = swm.silhouette_score(X, labels, sample_size=300, random_state=0)
    assert sub == again and -1 <= sub <= 1


def test_sparse_silhouette_bad_input(basket):
    from segwise.exceptions import NonFiniteError, ShapeMismatchError

    X = basket[:50].copy()
    with pytest.raises(ShapeMismatchError):
        swm.silhouette_samples(X, np.zeros(49, dtype=int))
    with pytest.raises(InvalidParameterError, match="Number of labels"):
        swm.silhouette_samples(X, np.zeros(50, dtype=int))
    X.data[0] = np.nan
    with pytest.raises(NonFiniteError, match="NaN or infinity"):
        swm.silhouette_samples(X, np.arange(50) % 2)
