"""segwise.deploy with the mixed-type models: KPrototypes, KModes, KMedoids (Gower and
Euclidean) in the model file, in SQL (run in DuckDB and SQLite) and one customer at a time.
The oracle is the fitted estimator's own ``predict`` / ``transform``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import run_sql
from scipy.optimize import linear_sum_assignment
from segwise.cluster import KMedoids, KModes, KPrototypes
from segwise.deploy import SegmentModel, drift_check, load_model, save_model, to_sql
from segwise.deploy._mixed import numpy_order_sum
from segwise.exceptions import (
    ModelFileError,
    NonFiniteError,
    NotFittedError,
    PrivacyError,
    UnknownCategoryError,
    UnsupportedModelError,
)
from segwise.preprocessing import Log1pTransformer, StandardScaler

N = 2000


def customers(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "spend": rng.gamma(2.0, 50.0, n).round(1),
            "visits": rng.integers(0, 20, n).astype(float),
            "tenure": rng.normal(3.0, 1.0, n).round(2),
            "channel": rng.choice(["web", "shop", "app"], n, p=[0.5, 0.3, 0.2]),
            "plan": rng.choice(["basic", "gold", "it's"], n),  # a quote in a level
            "newsletter": rng.random(n) < 0.3,  # bool levels
            "region": rng.integers(1, 5, n),  # integer levels (named categorical)
        }
    )


NUMERIC = ["spend", "visits", "tenure"]
CATEGORICAL = ["channel", "plan", "newsletter", "region"]


def with_missing(X: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Missing values in a numeric and a categorical column (for Gower / missing='level')."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    out["channel"] = out["channel"].astype(object)
    out.loc[rng.random(len(out)) < 0.05, "channel"] = None
    out.loc[rng.random(len(out)) < 0.05, "tenure"] = np.nan
    return out


def fit_model(name: str, X: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """(fitted estimator or chain, the table it was fitted on)."""
    if name == "kprototypes":
        return KPrototypes(n_clusters=5, categorical=CATEGORICAL, random_state=0).fit(X), X
    if name == "kprototypes_level_mismatch":
        Xm = with_missing(X).drop(columns="tenure")
        est = KPrototypes(
            n_clusters=4,
            categorical=CATEGORICAL,
            missing="level",
            unknown="mismatch",
            gamma=0.7,
            random_state=1,
        )
        return est.fit(Xm), Xm
    if name == "kprototypes_wide":  # 10 numeric columns: numpy's pairwise order in SQL
        rng = np.random.default_rng(3)
        wide = pd.DataFrame(rng.normal(size=(len(X), 10)), columns=[f"f{j}" for j in range(10)])
        wide["channel"] = X["channel"].to_numpy()
        return KPrototypes(n_clusters=4, random_state=0).fit(wide), wide
    if name == "kmodes":
        Xc = X[CATEGORICAL]
        return KModes(n_clusters=4, init="huang", n_init=2, random_state=0).fit(Xc), Xc
    if name == "chain":  # what `segwise segment --save` fits: log1p + scaler, k-prototypes
        log = Log1pTransformer(columns=["spend"]).fit(X[NUMERIC])
        scaler = StandardScaler().fit(log.transform(X[NUMERIC]))
        scaled = scaler.transform(log.transform(X[NUMERIC]))
        table = pd.concat([scaled, X[CATEGORICAL]], axis=1)
        kp = KPrototypes(n_clusters=4, categorical=CATEGORICAL, random_state=0).fit(table)
        return [log, scaler, kp], X[NUMERIC + CATEGORICAL]
    if name == "kmedoids_gower":
        est = KMedoids(n_clusters=5, method="clara", random_state=0, categorical=CATEGORICAL)
        return est.fit(X), X
    if name == "kmedoids_gower_missing":
        Xm = with_missing(X)
        Xm["size"] = pd.Categorical(
            np.random.default_rng(2).choice(["S", "M", "L"], len(Xm)),
            categories=["S", "M", "L"],
            ordered=True,
        )
        est = KMedoids(
            n_clusters=4,
            method="clara",
            random_state=2,
            weights={"spend": 2.0, "plan": 0.5, "visits": 0.0},
            unknown="mismatch",
        )
        return est.fit(Xm), Xm
    if name == "kmedoids_euclidean":
        Xn = X[NUMERIC]
        est = KMedoids(n_clusters=4, metric="euclidean", method="clara", random_state=0)
        return est.fit(Xn), Xn
    raise KeyError(name)


MODELS = [
    "kprototypes",
    "kprototypes_level_mismatch",
    "kprototypes_wide",
    "kmodes",
    "chain",
    "kmedoids_gower",
    "kmedoids_gower_missing",
    "kmedoids_euclidean",
]


def oracle_predict(est: Any, X: pd.DataFrame) -> np.ndarray:
    """The fitted estimator's (or chain's) own predict."""
    if isinstance(est, list):
        log, scaler, kp = est
        scaled = scaler.transform(log.transform(X[NUMERIC]))
        return kp.predict(pd.concat([scaled, X[CATEGORICAL]], axis=1))  # type: ignore[no-any-return]
    return est.predict(X)  # type: ignore[no-any-return]


def oracle_transform(est: Any, X: pd.DataFrame) -> np.ndarray:
    if isinstance(est, list):
        log, scaler, kp = est
        scaled = scaler.transform(log.transform(X[NUMERIC]))
        return np.asarray(kp.transform(pd.concat([scaled, X[CATEGORICAL]], axis=1)))
    return np.asarray(est.transform(X))


@pytest.fixture(scope="module")
def X() -> pd.DataFrame:
    return customers()


@pytest.fixture(scope="module")
def fitted(X: pd.DataFrame) -> dict[str, tuple[Any, pd.DataFrame]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: fit_model(name, X) for name in MODELS}


def _save_load(est: Any, data: pd.DataFrame, path: Path) -> SegmentModel:
    save_model(est, path, X=data, allow_customer_rows=True, on_small_segment="ignore")
    return load_model(path)


# --------------------------------------------------------------------------- model file


@pytest.mark.parametrize("name", MODELS)
def test_loaded_model_predicts_exactly_what_the_fitted_one_does(
    name: str, fitted: dict[str, Any], tmp_path: Path
) -> None:
    est, data = fitted[name]
    loaded = _save_load(est, data, tmp_path / "m.json")
    expected = oracle_predict(est, data)
    np.testing.assert_array_equal(loaded.predict(data), expected)
    # Columns in another order, extra columns, new customers.
    shuffled = data[data.columns[::-1]].assign(extra=1)
    np.testing.assert_array_equal(loaded.predict(shuffled), expected)
    new = data.sample(300, random_state=5, replace=True).reset_index(drop=True)
    np.testing.assert_array_equal(loaded.predict(new), oracle_predict(est, new))
    # distance(): the estimator's transform at the assigned segment, bit for bit.
    d = oracle_transform(est, data)
    np.testing.assert_array_equal(loaded.distance(data), d[np.arange(len(d)), expected])
    assert loaded.n_segments == d.shape[1]
    assert loaded.predict(data.iloc[:0]).shape == (0,)


@pytest.mark.parametrize("name", ["kprototypes", "kmedoids_gower_missing", "kmodes"])
def test_fitted_state_round_trips_exactly(
    name: str, fitted: dict[str, Any], tmp_path: Path
) -> None:
    est, data = fitted[name]
    model = SegmentModel.from_estimator(est, X=data)
    loaded = _save_load(est, data, tmp_path / "m.json")
    assert loaded.to_dict()["steps"] == json.loads(json.dumps(model.to_dict()["steps"]))
    step = loaded.steps[-1]
    if name == "kmodes":
        assert step.levels == [list(v) for v in est.categories_]  # type: ignore[attr-defined]
        assert step.gamma == 1.0  # type: ignore[attr-defined]
    if name == "kprototypes":
        assert step.gamma == est.gamma_  # type: ignore[attr-defined]
        assert loaded.feature_kinds == ["numeric"] * 3 + ["categorical"] * 4
    if name == "kmedoids_gower_missing":
        s = step.scales  # type: ignore[attr-defined]
        np.testing.assert_array_equal(s.weights, est._gower.scales.weights)
        np.testing.assert_array_equal(s.numeric_range, est._gower.scales.numeric_range)
        assert list(s.ordinal) == list(est._gower.scales.ordinal)
    # The reference distributions (X=): numeric deciles, level counts, segment counts.
    ref = loaded.reference
    assert ref is not None and ref["n_rows"] == len(data)
    counts = np.bincount(oracle_predict(est, data), minlength=loaded.n_segments)
    assert ref["segments"]["counts"] == counts.tolist()
    cat = [
        c
        for c, k in zip(loaded.feature_names, loaded.feature_kinds, strict=True)
        if k == "categorical"
    ]
    for c in cat:
        got = dict(
            zip(map(str, ref["features"][c]["levels"]), ref["features"][c]["counts"], strict=True)
        )
        want = data[c].astype(object).where(data[c].notna(), None).value_counts(dropna=False)
        assert got == {str(k): int(v) for k, v in want.items()}
    assert loaded.metadata["fit_rows"] == len(data)
    assert loaded.metadata["fingerprint"].startswith("sha256:")


@pytest.mark.parametrize(
    "name",
    [
        "kprototypes",
        "kprototypes_level_mismatch",
        "kmodes",
        "kmedoids_gower",
        "kmedoids_gower_missing",
        "kmedoids_euclidean",
        "chain",
    ],
)
def test_predict_one_equals_predict(name: str, fitted: dict[str, Any], tmp_path: Path) -> None:
    est, data = fitted[name]
    loaded = _save_load(est, data, tmp_path / "m.json")
    expected = oracle_predict(est, data)
    for i in range(0, len(data), 37):
        row = data.iloc[i]
        assert loaded.predict_one(row.to_dict()) == expected[i]
        assert loaded.predict_one(row) == expected[i]
    kinds = dict(zip(loaded.feature_names, loaded.feature_kinds, strict=True))
    if kinds.get("region") == "categorical":
        # The label rule: 2.0 is the level 2; "2" and True are levels fit never saw.
        row = data.iloc[0].to_dict()
        one = pd.DataFrame([{**row, "region": 2}])
        assert loaded.predict_one({**row, "region": 2.0}) == oracle_predict(est, one)[0]
        for odd in ("2", True):
            if loaded.steps[-1].unknown == "error":  # type: ignore[attr-defined]
                with pytest.raises(UnknownCategoryError):
                    loaded.predict_one({**row, "region": odd})
            else:
                frame = pd.DataFrame([{**row, "region": odd}])
                assert loaded.predict_one({**row, "region": odd}) == est.predict(frame)[0]


def test_unseen_levels_and_missing_values_behave_as_the_estimator(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    est, data = fitted["kprototypes"]
    loaded = _save_load(est, data, tmp_path / "m.json")
    bad = data.iloc[:3].copy()
    bad["channel"] = bad["channel"].astype(object)
    bad.loc[bad.index[1], "channel"] = "fax"
    for m in (est, loaded):
        with pytest.raises(UnknownCategoryError, match="channel"):
            m.predict(bad)
    bad.loc[bad.index[1], "channel"] = None
    for m in (est, loaded):
        with pytest.raises(NonFiniteError, match="channel"):
            m.predict(bad)
    # unknown="mismatch", missing="level": an unseen level costs gamma against every
    # prototype; a missing value is its own level.
    est2, data2 = fitted["kprototypes_level_mismatch"]
    loaded2 = _save_load(est2, data2, tmp_path / "m2.json")
    odd = data2.iloc[:50].copy()
    odd.loc[odd.index[::3], "plan"] = "platinum"
    odd.loc[odd.index[1::3], "channel"] = None
    np.testing.assert_array_equal(loaded2.predict(odd), est2.predict(odd))


def test_kmedoids_medoids_need_the_opt_in(fitted: dict[str, Any], tmp_path: Path) -> None:
    for name in ("kmedoids_gower", "kmedoids_euclidean"):
        est, data = fitted[name]
        with pytest.raises(PrivacyError, match="allow_customer_rows"):
            save_model(est, tmp_path / "m.json", X=data)
        model = SegmentModel.from_estimator(est, X=data)
        with pytest.raises(PrivacyError, match="allow_customer_rows"):
            model.save(tmp_path / "m.json")
        with pytest.raises(PrivacyError, match="allow_customer_rows"):
            save_model(model, tmp_path / "m.json")
        assert not (tmp_path / "m.json").exists()
        with pytest.raises(PrivacyError, match="allow_customer_rows"):
            to_sql(est)  # the query holds the medoids too
        model.save(tmp_path / "m.json", allow_customer_rows=True)
        # The file records the permission: its model is saved and written as SQL again.
        loaded = load_model(tmp_path / "m.json")
        assert loaded.metadata["customer_rows"] == "allowed"
        loaded.save(tmp_path / "again.json")
        assert "SELECT" in to_sql(loaded)
        (tmp_path / "m.json").unlink()
    # k-prototypes' prototypes are means and modes: no opt-in needed.
    est, data = fitted["kprototypes"]
    save_model(est, tmp_path / "kp.json", X=data)


def test_unsupported_mixed_settings_are_named(X: pd.DataFrame) -> None:
    D = np.abs(np.subtract.outer(X["spend"].to_numpy()[:50], X["spend"].to_numpy()[:50]))
    pre = KMedoids(n_clusters=2, metric="precomputed").fit(D)
    with pytest.raises(UnsupportedModelError, match="precomputed"):
        SegmentModel.from_estimator(pre)
    with pytest.raises(NotFittedError, match="fit it"):
        SegmentModel.from_estimator(KPrototypes(n_clusters=2))
    kp = KPrototypes(n_clusters=2, categorical=CATEGORICAL, random_state=0).fit(X.iloc[:200])
    scaler = StandardScaler().fit(X[["spend", "visits"]])
    with pytest.raises(UnsupportedModelError, match="numeric columns"):
        SegmentModel.from_estimator([scaler, kp])
    with pytest.raises(UnsupportedModelError, match="numeric feature matrix"):
        SegmentModel.from_estimator(kp).transform(X)
    dates = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-02-01"] * 5).astype(object)})
    dates["x"] = np.arange(10.0)
    km = KPrototypes(n_clusters=2, categorical=["d"], gamma=1.0, random_state=0).fit(dates)
    with pytest.raises(UnsupportedModelError, match="category level"):
        SegmentModel.from_estimator(km)


def test_edited_mixed_state_is_refused(fitted: dict[str, Any], tmp_path: Path) -> None:
    est, data = fitted["kprototypes"]
    payload = SegmentModel.from_estimator(est).to_dict()
    payload["steps"][0]["state"]["missing"] = "sometimes"
    with pytest.raises(ModelFileError, match="policy"):
        SegmentModel.from_dict(payload)
    payload = SegmentModel.from_estimator(est).to_dict()
    payload["steps"][0]["state"]["levels"].pop()
    with pytest.raises(ModelFileError):
        SegmentModel.from_dict(payload)


# --------------------------------------------------------------------------- SQL


DB_DIALECTS = [("duckdb", "duckdb"), ("sqlite", "sqlite"), ("duckdb", "postgres")]


@pytest.mark.parametrize("db,dialect", DB_DIALECTS)
@pytest.mark.parametrize("name", MODELS)
def test_sql_agrees_100_percent_with_predict(
    name: str, db: str, dialect: str, fitted: dict[str, Any]
) -> None:
    est, data = fitted[name]
    model = SegmentModel.from_estimator(est)
    sql = to_sql(model, dialect, id_column="id", distance=True, allow_customer_rows=True)
    out = run_sql(db, data.assign(id=np.arange(len(data))), sql + " ORDER BY id")
    expected = oracle_predict(est, data)
    np.testing.assert_array_equal(out["segment"].to_numpy(), expected)
    d = oracle_transform(est, data)
    np.testing.assert_allclose(
        out["distance"].to_numpy(), d[np.arange(len(d)), expected], rtol=1e-12, atol=0
    )


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_sql_ties_go_to_the_lowest_index_as_argmin(db: str) -> None:
    # Every level combination: many customers are equally far from two modes.
    grid = pd.MultiIndex.from_product([["a", "b", "c"], ["x", "y", "z"], ["p", "q"]])
    Xc = pd.DataFrame(list(grid), columns=["u", "v", "w"])
    km = KModes(n_clusters=4, init="random", n_init=1, random_state=3).fit(Xc)
    cost = np.asarray(km.transform(Xc))
    ties = (cost == cost.min(axis=1, keepdims=True)).sum(axis=1) > 1
    assert ties.sum() >= 5  # the test is about ties: make sure there are some
    # 18 customers in 4 segments: below min_segment_size, on purpose.
    sql = to_sql(km, db, id_column="id", on_small_segment="ignore") + " ORDER BY id"
    out = run_sql(db, Xc.assign(id=range(len(Xc))), sql)
    np.testing.assert_array_equal(out["segment"].to_numpy(), km.predict(Xc))
    np.testing.assert_array_equal(out["segment"].to_numpy(), np.argmin(cost, axis=1))


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_sql_nulls_and_unseen_levels(db: str, fitted: dict[str, Any]) -> None:
    """NULL where predict raises; the estimator's answer where it accepts the row."""

    def per_row(est: Any, frame: pd.DataFrame) -> list[Any]:
        out: list[Any] = []
        for i in range(len(frame)):
            try:
                out.append(int(est.predict(frame.iloc[[i]])[0]))
            except (UnknownCategoryError, NonFiniteError):
                out.append(None)
        return out

    for name in ("kprototypes", "kprototypes_level_mismatch", "kmedoids_gower", "kmodes"):
        est, data = fitted[name]
        rows = data.iloc[:40].copy()
        for c in rows.columns:
            if rows[c].dtype == bool:
                rows[c] = rows[c].astype(object)
        rows.loc[rows.index[0:40:4], "plan"] = "platinum"  # unseen level
        rows.loc[rows.index[1:40:4], "plan"] = None  # NULL categorical
        if "spend" in rows:
            rows.loc[rows.index[2:40:4], "spend"] = np.nan  # NULL number
        expected = per_row(est, rows)
        assert any(e is None for e in expected) or name.endswith("mismatch")
        sql = to_sql(est, db, id_column="id", allow_customer_rows=True) + " ORDER BY id"
        out = run_sql(db, rows.assign(id=range(len(rows))), sql)
        got = [None if pd.isna(v) else int(v) for v in out["segment"]]
        assert got == expected, name
    # Gower with missing="ignore", unknown="mismatch": every row has a segment.
    est, data = fitted["kmedoids_gower_missing"]
    rows = data.iloc[:40].copy()
    rows["plan"] = rows["plan"].astype(object)
    rows.loc[rows.index[::4], "plan"] = "platinum"
    rows.loc[rows.index[1::4], ["spend", "tenure"]] = np.nan
    rows.loc[rows.index[2::4], "plan"] = None
    sql = to_sql(est, db, id_column="id", allow_customer_rows=True) + " ORDER BY id"
    out = run_sql(db, rows.assign(id=range(40)), sql)
    np.testing.assert_array_equal(out["segment"].to_numpy(), est.predict(rows))


def test_numpy_order_sum_is_numpys_pairwise_sum() -> None:
    """The SQL sum order, evaluated in Python, gives np.sum's bits (the kernel's order)."""
    rng = np.random.default_rng(0)
    for n in [1, 3, 7, 8, 9, 15, 16, 17, 100, 128, 129, 200, 300]:
        values = rng.normal(size=n) * 10.0 ** rng.integers(-8, 8, n)
        expr = numpy_order_sum([f"v[{i}]" for i in range(n)])
        got = eval(expr, {"v": values.tolist()})  # noqa: S307 - our own generated arithmetic
        assert got == float(np.sum(values)), n


def test_drift_check_works_for_mixed_models(fitted: dict[str, Any], tmp_path: Path) -> None:
    est, data = fitted["kprototypes"]
    model = _save_load(est, data, tmp_path / "m.json")
    same = drift_check(model, data)
    assert same.table["psi"].max() == pytest.approx(0.0, abs=1e-12)
    shifted = data.assign(channel=np.where(data["channel"] == "web", "app", data["channel"]))
    report = drift_check(model, shifted)
    assert "channel" in report.drifted


@pytest.mark.parametrize("name", ["kprototypes", "kmodes", "kmedoids_gower", "kmedoids_euclidean"])
def test_refresh_keeps_segment_ids_of_mixed_models(name: str, fitted: dict[str, Any]) -> None:
    from segwise.deploy import refresh

    est, data = fitted[name]
    old = SegmentModel.from_estimator(est, X=data)
    # Today's customers: the same people in another order, slightly changed.
    today = data.sample(frac=1.0, random_state=4)
    if "spend" in today:
        today = today.assign(spend=today["spend"] * 1.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new, report = refresh(old, today, random_state=0)
        cold, cold_report = refresh(old, today, warm_start=False, random_state=0)
    assert type(new.steps[-1]) is type(old.steps[-1])
    # Ids kept: from the old prototypes/medoids, most customers keep their segment; in
    # any refit, the ids are the Hungarian matching (no relabelling keeps more customers).
    before = old.predict(today)
    assert (new.predict(today) == before).mean() > 0.7, name
    for model in (new, cold):
        table = pd.crosstab(before, model.predict(today)).to_numpy()
        rows, cols = linear_sum_assignment(-table)
        assert table[rows, cols].sum() == np.trace(table), name
    assert report.verdict.startswith(("stable", "drifted"))
    assert report.centre_shift.isna().all()
    # The refreshed model deploys like the old one: file and SQL.
    sql = to_sql(new, "duckdb", id_column="id", allow_customer_rows=True)
    out = run_sql("duckdb", today.assign(id=range(len(today))), sql + " ORDER BY id")
    np.testing.assert_array_equal(out["segment"].to_numpy(), new.predict(today))
    again = SegmentModel.from_dict(json.loads(json.dumps(new.to_dict())))
    np.testing.assert_array_equal(again.predict(today), new.predict(today))


def test_arrays_and_a_scikit_learn_pipeline(X: pd.DataFrame, tmp_path: Path) -> None:
    from sklearn.pipeline import Pipeline

    # Fitted on an object array (columns by position): the model reads arrays too.
    arr = X[["spend", "visits", "channel", "plan"]].to_numpy(dtype=object)
    kp = KPrototypes(n_clusters=3, categorical=[2, 3], random_state=0).fit(arr)
    loaded = _save_load(kp, arr, tmp_path / "a.json")
    assert loaded.feature_names == ["x0", "x1", "x2", "x3"] and not loaded.named
    np.testing.assert_array_equal(loaded.predict(arr), kp.predict(arr))
    assert loaded.predict_one({"x0": 10.0, "x1": 2.0, "x2": "web", "x3": "gold"}) == int(
        kp.predict(np.array([[10.0, 2.0, "web", "gold"]], dtype=object))[0]
    )
    out = run_sql(
        "sqlite",
        pd.DataFrame(arr, columns=loaded.feature_names).infer_objects().assign(id=range(len(arr))),
        to_sql(loaded, "sqlite", id_column="id") + " ORDER BY id",
    )
    np.testing.assert_array_equal(out["segment"].to_numpy(), kp.predict(arr))
    # A scikit-learn Pipeline ending in a mixed-type model.
    pipe = Pipeline([("kmodes", KModes(n_clusters=3))]).fit(X[CATEGORICAL])
    loaded = _save_load(pipe, X[CATEGORICAL], tmp_path / "p.json")
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X[CATEGORICAL]))


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_sql_missing_as_a_level(db: str) -> None:
    """missing="level": a NULL is the fitted missing level (Gower and k-modes), an unseen
    level a mismatch (unknown="mismatch"); SQL, predict and predict_one agree."""
    X = with_missing(customers(800, seed=7))
    gower = KMedoids(n_clusters=4, missing="level", random_state=0).fit(X)
    sql = to_sql(gower, db, id_column="id", distance=True, allow_customer_rows=True)
    out = run_sql(db, X.assign(id=range(len(X))), sql + " ORDER BY id")
    expected = gower.predict(X)
    np.testing.assert_array_equal(out["segment"].to_numpy(), expected)
    d = np.asarray(gower.transform(X))[np.arange(len(X)), expected]
    np.testing.assert_array_equal(out["distance"].to_numpy(), d)
    Xc = X[["channel", "plan", "region"]]
    km = KModes(n_clusters=3, missing="level", unknown="mismatch").fit(Xc)
    new = Xc.copy()
    new.loc[new.index[::5], "plan"] = "premium"
    out = run_sql(
        db, new.assign(id=range(len(new))), to_sql(km, db, id_column="id") + " ORDER BY id"
    )
    np.testing.assert_array_equal(out["segment"].to_numpy(), km.predict(new))
    model = SegmentModel.from_estimator(km)
    for row, label in zip(new.to_dict("records")[:100], km.predict(new)[:100], strict=True):
        assert model.predict_one(row) == label
