"""segwise.dask.KPrototypes / KModes against the in-memory batch fit (the oracle, itself
checked against kmodes in tests/test_kprototypes.py): the same labels, modes and n_iter
and numeric prototypes within 1e-12 relative from the same start, whatever the
partitioning, on a 2-worker LocalCluster and on dask's local schedulers; the bad input of
the issue."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from segwise import dask as sd  # noqa: E402
from segwise.cluster import KModes, KPrototypes  # noqa: E402
from segwise.exceptions import (  # noqa: E402
    ConstantColumnWarning,
    ConvergenceWarning,
    EmptyInputError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NonNumericError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    UnknownCategoryError,
)
from segwise.profile import profile_segments  # noqa: E402


def table(n=3000, seed=0):
    """Customers in four groups: two numeric columns and two categorical ones."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, n)
    return pd.DataFrame(
        {
            "spend": rng.normal(g * 3.0, 1.0),
            "visits": rng.normal((g % 2) * 4.0, 1.0),
            "channel": np.where(
                rng.random(n) < 0.8, np.array(["web", "shop", "app", "web"])[g], "app"
            ),
            "plan": np.where(rng.random(n) < 0.7, np.array(["a", "b", "b", "c"])[g], "a"),
        }
    )


def parts(df, sizes):
    """A dask DataFrame with the given partition sizes (0 allowed), unknown divisions and
    a non-RangeIndex."""
    df = df.copy()
    df.index = df.index * 3 + 1
    cuts = np.cumsum([0, *sizes])
    assert cuts[-1] == len(df)
    pieces = [df.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return dd.from_delayed([dask.delayed(p) for p in pieces], meta=df.iloc[:0]), df


def close(a, b, rel=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    scale = np.maximum(np.abs(b), 1.0)
    assert (np.abs(a - b) <= rel * scale).all(), np.max(np.abs(a - b) / scale)


def same_model(dk, ref, labels):
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_array_equal(dk._cat_prototypes, ref._cat_prototypes)
    close(dk._num_prototypes, ref._num_prototypes)
    assert dk.categories_ == ref.categories_
    assert dk.n_iter_ == ref.n_iter_
    close(dk.cost_, ref.cost_)


SIZES = [[3000], [1000, 0, 1500, 1, 499], [7, 2993], [300] * 10]


@pytest.mark.parametrize("sizes", SIZES)
def test_kprototypes_from_given_prototypes_equals_in_memory(client, sizes):
    df = table()
    init = df.iloc[[0, 1, 2, 5]].reset_index(drop=True)
    ddf, pdf = parts(df, sizes)
    ref = KPrototypes(4, init=init, gamma=2.0).fit(pdf)
    dk = sd.KPrototypes(4, init=init, gamma=2.0).fit(ddf)
    labels = dk.labels_.compute()
    pd.testing.assert_index_equal(labels.index, pdf.index)
    same_model(dk, ref, labels.to_numpy())
    pd.testing.assert_frame_equal(dk.prototypes_, ref.prototypes_, rtol=1e-12)
    assert dk.feature_names_in_.tolist() == ref.feature_names_in_.tolist()


def test_kprototypes_weighted_max_iter_and_default_gamma_equal_in_memory(client):
    df = table(2000, seed=1)
    w = np.random.default_rng(2).uniform(0, 3, len(df))
    w[:50] = 0.0
    init = df.iloc[[3, 4, 5]].reset_index(drop=True)
    ddf, pdf = parts(df, [600, 0, 1400])
    for max_iter in (1, 2, 100):
        # The same stopping rule: a ConvergenceWarning from both or from neither.
        with warnings.catch_warnings(record=True) as ref_warned:
            warnings.simplefilter("always", ConvergenceWarning)
            ref = KPrototypes(3, init=init, max_iter=max_iter).fit(pdf, sample_weight=w)
        with warnings.catch_warnings(record=True) as dk_warned:
            warnings.simplefilter("always", ConvergenceWarning)
            # The weights as a dask array partitioned unlike X: realigned.
            dk = sd.KPrototypes(3, init=init, max_iter=max_iter).fit(
                ddf, sample_weight=da.from_array(w, chunks=700)
            )
        assert [str(x.message) for x in dk_warned] == [str(x.message) for x in ref_warned]
        assert bool(ref_warned) == (max_iter < 100)
        close(dk.gamma_, ref.gamma_)
        same_model(dk, ref, dk.labels_.compute().to_numpy())
    ref = KPrototypes(3, init=init, gamma="lambdaest").fit(pdf)
    dk = sd.KPrototypes(3, init=init, gamma="lambdaest").fit(ddf)
    close(dk.gamma_, ref.gamma_)
    same_model(dk, ref, dk.labels_.compute().to_numpy())


def test_empty_clusters_are_relocated_as_in_memory(client):
    df = table(900, seed=3)
    init = df.iloc[[0, 1, 2]].reset_index(drop=True)
    init.loc[[1, 2], ["spend", "visits"]] = 1e4  # two prototypes no row is close to
    ddf, pdf = parts(df, [300, 300, 0, 300])
    ref = KPrototypes(3, init=init, gamma=1.0).fit(pdf)
    dk = sd.KPrototypes(3, init=init, gamma=1.0).fit(ddf)
    same_model(dk, ref, dk.labels_.compute().to_numpy())
    assert len(np.unique(ref.labels_)) == 3


def test_the_cost_stop_is_the_in_memory_one(client):
    # Tied rows change segment at step 2 without lowering the cost: both stop there.
    X = pd.DataFrame({"c0": list("babab") + ["b"] * 4, "c1": list("abbacbcbc")})
    init = pd.DataFrame({"c0": ["b", "a"], "c1": ["a", "b"]})
    ref = KModes(2, init=init).fit(X)
    assert ref.n_iter_ == 2
    for sizes in ([9], [4, 0, 5]):
        ddf, pdf = parts(X, sizes)
        dk = sd.KModes(2, init=init).fit(ddf)
        same_model(dk, ref, dk.labels_.compute().to_numpy())


@pytest.mark.parametrize("sizes", [[1200], [500, 0, 700], [100] * 12])
def test_kmodes_equals_in_memory(client, sizes):
    df = table(1200, seed=4)[["channel", "plan"]]
    df["tier"] = (np.arange(1200) % 5).astype(np.int64)  # numbers are levels
    init = df.iloc[[0, 7, 9]].reset_index(drop=True)
    ddf, pdf = parts(df, sizes)
    ref = KModes(3, init=init).fit(pdf)
    dk = sd.KModes(3, init=init).fit(ddf)
    same_model(dk, ref, dk.labels_.compute().to_numpy())
    pd.testing.assert_frame_equal(dk.prototypes_, ref.prototypes_)


def test_seeding_on_a_sample_holding_every_row_is_the_in_memory_fit(client):
    """With fewer rows than init_size the sample is the whole table (in row order), so the
    seeding and restarts are the in-memory fit's and so are the prototypes."""
    df = table(1500, seed=5)
    ddf, pdf = parts(df, [400, 0, 1100])
    ref = KPrototypes(4, random_state=7, n_init=3).fit(pdf)
    dk = sd.KPrototypes(4, random_state=7, n_init=3).fit(ddf)
    np.testing.assert_array_equal(dk.labels_.compute().to_numpy(), ref.labels_)
    close(dk._num_prototypes, ref._num_prototypes)
    np.testing.assert_array_equal(dk._cat_prototypes, ref._cat_prototypes)
    close(dk.cost_, ref.cost_)
    cat = df[["channel", "plan"]]
    ddf_cat, pdf_cat = parts(cat, [700, 800])
    ref = KModes(3).fit(pdf_cat)  # Cao's deterministic seeding
    dk = sd.KModes(3).fit(ddf_cat)
    np.testing.assert_array_equal(dk._cat_prototypes, ref._cat_prototypes)
    assert dk.cost_ == ref.cost_


def test_sampled_seeding_is_reproducible_and_independent_of_partitioning(client):
    df = table(6000, seed=6)
    a, _ = parts(df, [3000, 3000])
    b, _ = parts(df, [1000, 0, 2500, 2500])
    fits = [sd.KPrototypes(4, random_state=3, init_size=500).fit(x) for x in (a, a, b)]
    for other in fits[1:]:
        close(other._num_prototypes, fits[0]._num_prototypes)
        np.testing.assert_array_equal(other._cat_prototypes, fits[0]._cat_prototypes)
    # A good clustering: close to the in-memory fit's cost (the groups are well apart).
    ref = KPrototypes(4, random_state=3, gamma=fits[0].gamma_).fit(df)
    assert fits[0].cost_ <= 1.05 * ref.cost_
    other_seed = sd.KPrototypes(4, random_state=4, init_size=500).fit(a)
    assert other_seed.cost_ <= 1.05 * ref.cost_


def test_same_result_on_the_local_schedulers(client):
    df = table(1000, seed=8)
    ddf, _ = parts(df, [400, 600])
    remote = sd.KPrototypes(3, random_state=1).fit(ddf)
    for scheduler in ("threads", "synchronous"):
        with dask.config.set(scheduler=scheduler):
            local = sd.KPrototypes(3, random_state=1).fit(ddf)
        np.testing.assert_array_equal(local._num_prototypes, remote._num_prototypes)
        np.testing.assert_array_equal(local._cat_prototypes, remote._cat_prototypes)
        assert local.cost_ == remote.cost_


def test_categories_differing_per_partition_are_unioned(client):
    df = table(900, seed=9)
    pieces = []
    for j, piece in enumerate([df.iloc[:300], df.iloc[300:600], df.iloc[600:]]):
        piece = piece.copy()
        # Each partition knows only its own levels (and in its own order).
        levels = sorted(piece["channel"].unique(), reverse=bool(j % 2))
        piece["channel"] = pd.Categorical(piece["channel"], categories=levels)
        pieces.append(piece)
    pieces[1] = pieces[1].assign(channel=pd.Categorical(["gift"] * len(pieces[1])))
    as_str = pd.concat(pieces).assign(channel=lambda f: f["channel"].astype(str))
    meta = pieces[0].iloc[:0].assign(channel=pd.Categorical([]))
    ddf = dd.from_delayed([dask.delayed(p) for p in pieces], meta=meta, verify_meta=False)
    unknown = ddf.assign(channel=ddf["channel"].cat.as_unknown())
    assert not unknown["channel"].cat.known
    init = as_str.iloc[[0, 1, 300, 650]].reset_index(drop=True)
    ref = KPrototypes(4, init=init, gamma=1.5).fit(as_str)
    # Unknown categories, and a meta that wrongly claims none: both read every partition.
    for x in (unknown, ddf):
        dk = sd.KPrototypes(4, init=init, gamma=1.5).fit(x)
        assert dk.categories_[0] == ["app", "gift", "shop", "web"]
        same_model(dk, ref, dk.labels_.compute().to_numpy())
        assert list(dk.prototypes_["channel"].astype(str)) == list(ref.prototypes_["channel"])


def test_known_categories_keep_their_order(client):
    df = table(600, seed=10)
    order = ["web", "app", "shop", "unused"]
    df["channel"] = pd.Categorical(df["channel"], categories=order)
    ddf, pdf = parts(df, [200, 400])
    init = pdf.iloc[[0, 1, 2]].reset_index(drop=True)
    ref = KPrototypes(3, init=init, gamma=1.0).fit(pdf)
    dk = sd.KPrototypes(3, init=init, gamma=1.0).fit(ddf)
    assert dk.categories_ == ref.categories_
    assert dk.categories_[0] == ["web", "app", "shop"]
    assert dk.prototypes_["channel"].dtype == pdf["channel"].dtype
    same_model(dk, ref, dk.labels_.compute().to_numpy())


def test_predict_transform_score_are_lazy_and_equal_in_memory(client):
    df = table(800, seed=11)
    ddf, pdf = parts(df, [300, 0, 500])
    init = pdf.iloc[[0, 1, 2]].reset_index(drop=True)
    dk = sd.KPrototypes(3, init=init, gamma=1.0).fit(ddf)
    ref = KPrototypes(3, init=init, gamma=1.0).fit(pdf)
    lazy = dk.transform(ddf)
    assert isinstance(lazy, dd.DataFrame)
    out = lazy.compute()
    assert list(out.columns) == ["kprototypes0", "kprototypes1", "kprototypes2"]
    pd.testing.assert_index_equal(out.index, pdf.index)
    close(out.to_numpy(), np.asarray(ref.transform(pdf)))
    close(dk.score(ddf), ref.score(pdf))
    assert isinstance(dk.fit_predict(ddf), dd.Series)
    # In-memory input goes through the in-memory methods.
    np.testing.assert_array_equal(dk.predict(pdf), ref.predict(pdf))
    new = dd.from_pandas(pdf.iloc[:4].assign(channel=["web", "web", "moon", "app"]), 2)
    with pytest.raises(UnknownCategoryError, match="channel"):
        dk.predict(new).compute()
    mismatch = sd.KPrototypes(3, init=init, gamma=1.0, unknown="mismatch").fit(ddf)
    assert mismatch.predict(new).compute().shape == (4,)
    with pytest.raises(ValueError, match="feature names"):
        dk.predict(ddf[["visits", "spend", "channel", "plan"]])


def test_missing_values(client):
    df = table(600, seed=12)
    df.loc[250, "spend"] = np.nan
    ddf, _ = parts(df, [200, 200, 200])
    with pytest.raises(NonFiniteError, match=r"partition 1 of X.*spend"):
        sd.KPrototypes(2, gamma=1.0).fit(ddf)
    df = table(600, seed=12)
    df["plan"] = df["plan"].astype(object)
    df.loc[[10, 450], "plan"] = None
    ddf, pdf = parts(df, [200, 200, 200])
    with pytest.raises(NonFiniteError, match=r"'plan' of partition [02] of X"):
        sd.KPrototypes(2, gamma=1.0).fit(ddf)
    init = pdf.iloc[[0, 10]].reset_index(drop=True)
    ref = KPrototypes(2, init=init, gamma=1.0, missing="level").fit(pdf)
    dk = sd.KPrototypes(2, init=init, gamma=1.0, missing="level").fit(ddf)
    assert dk.categories_[1][-1] is None
    same_model(dk, ref, dk.labels_.compute().to_numpy())


def test_bad_input(client):
    df = table(60, seed=13)
    ddf, _ = parts(df, [30, 30])
    with pytest.raises(InvalidParameterError, match="algorithm='huang'.*row order"):
        sd.KPrototypes(2, algorithm="huang").fit(ddf)
    with pytest.raises(InvalidParameterError, match="algorithm='huang'"):
        sd.KModes(2, algorithm="huang").fit(ddf[["channel", "plan"]])
    with pytest.raises(NotEnoughSamplesError, match="n_samples=60"):
        sd.KPrototypes(61).fit(ddf)
    few = pd.DataFrame({"x": [1.0, 1.0, 2.0] * 10, "c": ["a", "a", "b"] * 10})
    fddf, _ = parts(few, [10, 0, 20])
    with pytest.raises(NotEnoughSamplesError, match="only 2 distinct row"):
        sd.KPrototypes(3, gamma=1.0).fit(fddf)
    with pytest.raises(InvalidParameterError, match="all numeric"):
        sd.KPrototypes(2).fit(ddf[["spend", "visits"]])
    with pytest.raises(InvalidParameterError, match="KModes: column"):
        sd.KModes(2, categorical=["channel"]).fit(ddf[["spend", "channel"]])
    with pytest.raises(InvalidParameterError, match="dask DataFrame for a mixed table"):
        sd.KModes(2).fit(da.zeros((10, 2), chunks=5))
    with pytest.raises(InvalidParameterError, match="must be a dask DataFrame"):
        sd.KModes(2).fit(df)
    with pytest.raises(ShapeMismatchError, match="sample_weight has 59 values but X has 60"):
        sd.KPrototypes(2).fit(ddf, sample_weight=da.ones(59, chunks=10))
    with pytest.raises(InvalidWeightsError, match="all zero"):
        sd.KPrototypes(2).fit(ddf, sample_weight=np.zeros(60))
    with pytest.raises(InvalidWeightsError, match="partition 1 of sample_weight"):
        sd.KPrototypes(2).fit(ddf, sample_weight=np.r_[np.ones(30), -np.ones(30)])
    with pytest.raises(ShapeMismatchError, match="init has 1 prototype row"):
        sd.KPrototypes(2, init=df.iloc[:1]).fit(ddf)
    empty, _ = parts(df.iloc[:0], [0, 0])
    with pytest.raises(EmptyInputError, match="0 rows in its 2 partition"):
        sd.KPrototypes(2).fit(empty)
    one = pd.DataFrame({"x": np.arange(10.0), "c": ["a"] * 10})
    oddf, _ = parts(one, [5, 5])
    with pytest.warns(ConstantColumnWarning, match="'c'"):
        sd.KPrototypes(2, gamma=1.0, random_state=0).fit(oddf)
    allmissing = pd.DataFrame({"x": np.arange(4.0), "c": pd.Series([None] * 4, dtype=object)})
    mddf, _ = parts(allmissing, [2, 2])
    with pytest.raises(EmptyInputError, match="'c' of X has no values"):
        sd.KPrototypes(2, gamma=1.0, categorical=["c"]).fit(mddf)
    with pytest.raises(InvalidParameterError, match="init_size must be"):
        sd.KModes(2, init_size=0).fit(ddf[["channel", "plan"]])


def test_partial_statistics_are_the_same_bits_on_one_or_two_threads():
    from segwise import _core
    from segwise._validation import check_mixed

    df = table(20_000, seed=15)
    m = check_mixed(df)
    protos = (np.ascontiguousarray(m.numeric[:5]), np.ascontiguousarray(m.categorical[:5]))
    w = np.random.default_rng(0).uniform(0, 2, len(df))
    runs = [
        _core.kprototypes_lloyd_partial(
            m.numeric,
            m.categorical,
            m.n_levels,
            protos,
            gamma=0.7,
            sample_weight=w,
            offset=11,
            n_threads=t,
        )
        for t in (1, 2)
    ]
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][2].sum() == len(df)


def test_estimator_contract():
    from sklearn.base import clone

    est = sd.KPrototypes(3, init_size=100, gamma=0.5)
    assert sorted(type(est)._parameter_constraints) == sorted(est.get_params(deep=False))
    assert clone(est).get_params() == est.get_params()
    km = sd.KModes(3, init="huang", init_size=50)
    assert sorted(type(km)._parameter_constraints) == sorted(km.get_params(deep=False))
    assert clone(km).get_params() == km.get_params()
    params = KModes(3, init="huang").get_params()
    assert {k: v for k, v in km.get_params().items() if k != "init_size"} == params


# --------------------------------------------------------------------------- predict


def test_predict_assigns_a_dask_table_with_an_in_memory_kmedoids(client):
    """CLARA on a sample in memory, every row assigned per partition: the labels are the
    in-memory predict of the whole table, on its index, empty partitions included."""
    from segwise.cluster import KMedoids
    from segwise.exceptions import FeatureNamesError, NotFittedError

    df = table(1500, seed=8)
    ddf, pdf = parts(df, [600, 0, 899, 1])
    km = KMedoids(4, method="clara", random_state=0).fit(pdf.sample(300, random_state=1))
    got = sd.predict(km, ddf)
    assert isinstance(got, dd.Series)
    labels = got.compute()
    assert labels.name == "segment" and labels.dtype == np.int32
    pd.testing.assert_index_equal(labels.index, pdf.index)
    np.testing.assert_array_equal(labels.to_numpy(), km.predict(pdf))
    assert len(np.unique(labels)) == 4
    # Any fitted model with predict: the dask KPrototypes' own lazy predict agrees.
    kp = sd.KPrototypes(3, init=pdf.iloc[:3].reset_index(drop=True), gamma=1.0).fit(ddf)
    np.testing.assert_array_equal(sd.predict(kp, ddf).compute(), kp.predict(ddf).compute())
    with pytest.raises(FeatureNamesError, match="feature names should match"):
        sd.predict(km, ddf[["visits", "spend", "channel", "plan"]])
    with pytest.raises(ShapeMismatchError, match="expecting 4 features"):
        sd.predict(km, ddf[["spend", "visits"]])
    with pytest.raises(InvalidParameterError, match="must be a dask DataFrame"):
        sd.predict(km, pdf)
    with pytest.raises(InvalidParameterError, match="must have a predict method"):
        sd.predict(object(), ddf)
    with pytest.raises(NotFittedError):
        sd.predict(KMedoids(2), ddf)


# --------------------------------------------------------------------------- profile


def assert_same_profile(got, want, rel=1e-10):
    assert got.segments["name"].tolist() == want.segments["name"].tolist()
    assert got.segments["size"].tolist() == want.segments["size"].tolist()
    assert got.notes == want.notes
    for name in ("table", "population", "levels", "tests"):
        a, b = getattr(got, name), getattr(want, name)
        pd.testing.assert_frame_equal(a, b, rtol=rel, check_dtype=False)


def customers(n=2000, seed=21):
    df = table(n, seed=seed)
    df["segment"] = np.random.default_rng(seed).choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])
    df.loc[df["segment"] == "z", "channel"] = "shop"  # a level that marks a segment
    df["vip"] = df["spend"] > 6  # bool stays numeric (a share of True)
    return df


@pytest.mark.parametrize("sizes", [[2000], [700, 0, 1299, 1]])
def test_profile_with_categorical_features_equals_in_memory(client, sizes):
    df = customers()
    ddf, pdf = parts(df, sizes)
    kwargs = {"descriptors": {"channel": {"shop": "in-store"}}}
    want = profile_segments(pdf, "segment", **kwargs)
    got = sd.profile_segments(ddf, "segment", **kwargs)
    assert list(want.tests.index) == ["channel", "plan"]
    assert_same_profile(got, want)
    # Categorical features only, named explicitly (numbers as levels).
    cols = ["channel", "plan", "segment"]
    want = profile_segments(
        pdf[cols].assign(tier=pdf.index % 3), "segment", categorical=["channel", "plan", "tier"]
    )
    tiers = ddf[cols].map_partitions(lambda p: p.assign(tier=p.index % 3))
    got = sd.profile_segments(tiers, "segment", categorical=["channel", "plan", "tier"])
    assert_same_profile(got, want)
    with dask.config.set(scheduler="synchronous"):
        local = sd.profile_segments(ddf, "segment")
    pd.testing.assert_frame_equal(local.levels, profile_segments(pdf, "segment").levels, rtol=1e-10)


def test_profile_categories_differing_per_partition_and_missing_levels(client):
    df = customers(1500, seed=22)
    df["plan"] = df["plan"].astype(object)
    df.loc[[3, 700, 1400], "plan"] = None
    pieces = []
    for a, b in [(0, 500), (500, 1000), (1000, 1500)]:
        piece = df.iloc[a:b].copy()
        piece["channel"] = piece["channel"].astype("category")  # categories per partition
        pieces.append(piece)
    meta = pieces[0].iloc[:0]
    ddf = dd.from_delayed([dask.delayed(p) for p in pieces], meta=meta, verify_meta=False)
    want = profile_segments(df, "segment")  # strings: sorted levels, missing dropped
    got = sd.profile_segments(ddf, "segment")
    assert_same_profile(got, want)
    assert got.tests.loc["plan", "n"] == 1497  # the three missing values dropped
    with pytest.raises(NonFiniteError, match=r"'plan' of partition \d of df"):
        sd.profile_segments(ddf, "segment", missing="raise")


def test_profile_huge_values_are_rescaled_as_in_memory(client):
    df = customers(900, seed=23)
    df["spend"] = df["spend"] * 1e200  # squares overflow float64
    df["visits"] = df["visits"] * 1e-200  # squares underflow
    ddf, pdf = parts(df, [300, 0, 600])
    want = profile_segments(pdf, "segment")
    got = sd.profile_segments(ddf, "segment")
    assert np.isfinite(want.table["std_diff"]).all()
    assert_same_profile(got, want)


def test_profile_bad_categorical_input(client):
    df = customers(300, seed=24)
    ddf, _ = parts(df, [100, 200])
    with pytest.raises(NonNumericError, match="'channel'"):
        sd.profile_segments(ddf, "segment", categorical=["plan"])
    with pytest.raises(EmptyInputError, match="'plan' of df has no values"):
        sd.profile_segments(ddf.assign(plan=None), "segment", categorical=["plan", "channel"])


@pytest.mark.slow
def test_losing_a_worker_mid_fit_completes_or_raises_never_half_updated(tmp_path):
    import os
    import threading

    df = table(300_000, seed=16)
    init = df.iloc[:5].reset_index(drop=True)
    want = KPrototypes(5, init=init, gamma=1.0, max_iter=40).fit(df)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", local_directory=str(tmp_path)
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        ddf = dd.from_pandas(df, npartitions=8)
        victim = sorted(c.scheduler_info()["workers"])[0]

        def kill():
            try:
                c.run(os._exit, 1, workers=[victim], wait=False)
            except Exception:  # the worker may already be gone
                pass

        timer = threading.Timer(1.0, kill)
        kp = sd.KPrototypes(5, init=init, gamma=1.0, max_iter=40)
        timer.start()
        try:
            kp.fit(ddf)
        except Exception:
            # A clear failure is allowed; a half-updated model is not.
            assert not hasattr(kp, "prototypes_")
        else:
            close(kp._num_prototypes, want._num_prototypes)
            np.testing.assert_array_equal(kp._cat_prototypes, want._cat_prototypes)
            assert kp.n_iter_ == want.n_iter_
        finally:
            timer.cancel()


@pytest.mark.slow
def test_larger_table_equals_in_memory(client):
    df = table(200_000, seed=14)
    ddf = dd.from_pandas(df, npartitions=16)
    init = df.iloc[[0, 1, 2, 3, 4, 5]].reset_index(drop=True)
    ref = KPrototypes(6, init=init, gamma=2.0).fit(df)
    dk = sd.KPrototypes(6, init=init, gamma=2.0).fit(ddf)
    same_model(dk, ref, dk.labels_.compute().to_numpy())
