"""segwise.deploy: model files that predict exactly what the fitted model does, SQL that
agrees 100% with predict in real databases (DuckDB, SQLite), one-customer scoring, drift
checks against the stored reference, pseudonymous ids, and the bad-input errors."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import math
import sqlite3
import struct
import warnings
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import run_sql
from segwise.cluster import KMeans, MiniBatchKMeans
from segwise.deploy import (
    SCHEMA_VERSION,
    SegmentModel,
    drift_check,
    fingerprint,
    load_model,
    pseudonymize,
    refresh,
    save_model,
    to_onnx,
    to_sql,
)
from segwise.exceptions import (
    ColumnNotFoundError,
    InvalidParameterError,
    ModelFileError,
    NonFiniteError,
    NotFittedError,
    PrivacyError,
    PrivacyWarning,
    UnknownCategoryError,
    UnsupportedModelError,
)
from segwise.preprocessing import (
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from segwise.stability import align_labels, psi
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
from sklearn.preprocessing import StandardScaler as SkStandardScaler

N = 3000


def customers(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "recency": rng.integers(0, 365, n).astype(np.int64),
            "frequency": rng.poisson(4.0, n).astype(np.float64),
            "monetary": rng.gamma(2.0, 60.0, n),
            "tenure": rng.uniform(0.0, 10.0, n),
            "channel": rng.choice(["web", "store", "app"], n),
            "region": rng.choice(["north", "south", "east", "west", "o'hare"], n),
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )


NUMERIC = ["recency", "frequency", "monetary", "tenure"]


def numeric_pipeline(scaler: Any, k: int = 5) -> Pipeline:
    return make_pipeline(
        Log1pTransformer(columns=["monetary"]), scaler, KMeans(n_clusters=k, random_state=0)
    )


def mixed_pipeline(k: int = 6, handle_unknown: str = "error") -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(Log1pTransformer(columns=[2]), StandardScaler()), NUMERIC),
            (
                "chan",
                OneHotEncoder(sparse_output=False, handle_unknown=handle_unknown),
                ["channel"],
            ),
            ("reg", OrdinalEncoder(), ["region"]),
        ]
    )
    return Pipeline([("pre", pre), ("km", KMeans(n_clusters=k, random_state=0))])


MODELS = {
    "standard": lambda: numeric_pipeline(StandardScaler()),
    "robust": lambda: numeric_pipeline(RobustScaler()),
    "minmax_clip": lambda: numeric_pipeline(MinMaxScaler(clip=True)),
    "maxabs": lambda: numeric_pipeline(MaxAbsScaler()),
    "sklearn_scaler": lambda: numeric_pipeline(SkStandardScaler()),
    "minibatch": lambda: make_pipeline(
        StandardScaler(), MiniBatchKMeans(n_clusters=4, random_state=0, n_init=1)
    ),
    "mixed": mixed_pipeline,
}


def fitted(name: str, X: pd.DataFrame) -> Any:
    data = X if name == "mixed" else X[NUMERIC]
    return MODELS[name]().fit(data), data


@pytest.fixture(scope="module")
def X() -> pd.DataFrame:
    return customers()


# --------------------------------------------------------------------------- model file


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loaded_model_predicts_exactly_what_the_fitted_one_does(
    name: str, X: pd.DataFrame, tmp_path: Path
) -> None:
    est, data = fitted(name, X)
    path = save_model(est, tmp_path / "m.json", X=data)
    model = load_model(path)
    expected = est.predict(data)
    np.testing.assert_array_equal(model.predict(data), expected)
    # The preprocessing agrees bit for bit with the fitted pipeline's.
    pre = est[:-1].transform(data)
    np.testing.assert_array_equal(model.transform(data), np.asarray(pre, dtype=np.float64))
    # Unseen customers too, in another column order.
    new = customers(500, seed=1)[list(reversed(data.columns))]
    np.testing.assert_array_equal(model.predict(new), est.predict(new[data.columns]))


def test_numbers_round_trip_bit_for_bit(X: pd.DataFrame, tmp_path: Path) -> None:
    est, data = fitted("standard", X)
    model = load_model(save_model(est, tmp_path / "m.json", X=data))
    centers = model.steps[-1].centers
    assert centers.tobytes() == est[-1].cluster_centers_.tobytes()
    assert model.steps[1].a.tobytes() == est[1].mean_.tobytes()
    # The file holds plain JSON numbers, never numpy reprs.
    text = (tmp_path / "m.json").read_text()
    assert "np.float64" not in text and "NaN" not in text.replace('"NaN"', "")


def test_file_metadata_and_reference(X: pd.DataFrame, tmp_path: Path) -> None:
    est, data = fitted("mixed", X)
    path = save_model(
        est,
        tmp_path / "m.json",
        X=data,
        segment_names=[f"s{i}" for i in range(6)],
        metadata={"owner": "crm-team"},
    )
    doc = json.loads(path.read_text())
    assert doc["format"] == "segwise-model" and doc["schema_version"] == SCHEMA_VERSION
    meta = doc["payload"]["metadata"]
    assert meta["fit_rows"] == N and meta["user"] == {"owner": "crm-team"}
    assert meta["fingerprint"] == fingerprint(data)
    assert meta["segwise_version"]
    feats = {f["name"]: f for f in doc["payload"]["input"]["features"]}
    assert feats["channel"]["kind"] == "categorical" and feats["monetary"]["kind"] == "numeric"
    assert feats["recency"]["dtype"] == "int64"
    ref = doc["payload"]["reference"]
    seg_counts = np.bincount(est.predict(data), minlength=6)
    assert ref["segments"]["counts"] == seg_counts.tolist()
    # Decile edges as segwise.stability.psi bins them; level counts of the categories.
    assert sum(ref["features"]["monetary"]["counts"]) == N
    assert len(ref["features"]["monetary"]["edges"]["data"]) == 9
    chan = dict(
        zip(ref["features"]["channel"]["levels"], ref["features"]["channel"]["counts"], strict=True)
    )
    assert chan == data["channel"].value_counts().to_dict()
    assert load_model(path).segment_names == [f"s{i}" for i in range(6)]


def test_plain_kmeans_on_an_array(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    A = rng.normal(size=(400, 3))
    km = KMeans(n_clusters=3, random_state=0).fit(A)
    model = load_model(save_model(km, tmp_path / "k.json"))
    assert model.feature_names == ["x0", "x1", "x2"] and not model.named
    np.testing.assert_array_equal(model.predict(A), km.labels_)
    assert model.metadata["fit_rows"] == 400  # from labels_, without X


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def test_metadata_records_the_fit_date_and_the_file_write_time(tmp_path: Path) -> None:
    A = np.random.default_rng(3).normal(size=(400, 2))
    before = _utc_now()
    km = KMeans(n_clusters=2, random_state=0).fit(A)
    scaler = StandardScaler().fit(A)
    # Stamped at fit, in the one place fit records its state (check_features).
    assert before <= km._fitted_at <= _utc_now()
    km._fitted_at = "2020-01-02T03:04:05+00:00"  # as if fitted long before the save
    scaler._fitted_at = "2019-06-01T00:00:00+00:00"
    model = SegmentModel.from_estimator(km)
    assert model.metadata["fitted_at"] == "2020-01-02T03:04:05+00:00"
    assert model.metadata["created_at"] is None  # no file yet
    before_save = _utc_now()
    path = save_model(km, tmp_path / "k.json")
    meta = json.loads(path.read_text())["payload"]["metadata"]
    assert meta["fitted_at"] == "2020-01-02T03:04:05+00:00"
    assert before_save <= meta["created_at"] <= _utc_now()
    # Saving a loaded model again keeps the fit date and writes a new file time.
    loaded = load_model(path)
    loaded.metadata["created_at"] = "2021-01-01T00:00:00+00:00"
    again = json.loads(loaded.save(tmp_path / "k2.json").read_text())["payload"]["metadata"]
    assert again["fitted_at"] == meta["fitted_at"] and again["created_at"] >= before_save
    # A chain of steps: the latest fit among them; scikit-learn's own steps have none.
    assert SegmentModel.from_estimator([scaler, km]).metadata["fitted_at"] == km._fitted_at
    sk = SkStandardScaler().fit(A)
    assert SegmentModel.from_estimator(sk).metadata["fitted_at"] is None
    # Refitting stamps the new time.
    km.fit(A)
    assert km._fitted_at >= before_save


def test_transformer_only_model(X: pd.DataFrame, tmp_path: Path) -> None:
    scaler = StandardScaler().fit(X[NUMERIC])
    model = load_model(save_model(scaler, tmp_path / "s.json"))
    np.testing.assert_array_equal(model.transform(X), scaler.transform(X[NUMERIC]).to_numpy())
    with pytest.raises(UnsupportedModelError, match="no clustering step"):
        model.predict(X)


# --------------------------------------------------------------------------- bad files


def _rewrite(path: Path, edit: Any) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def test_newer_schema_edited_and_truncated_files(X: pd.DataFrame, tmp_path: Path) -> None:
    est, data = fitted("standard", X)
    path = save_model(est, tmp_path / "m.json", X=data)
    text = path.read_text()

    newer = tmp_path / "newer.json"
    newer.write_text(text)
    _rewrite(newer, lambda d: d.update(schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(ModelFileError, match="newer"):
        load_model(newer)

    edited = tmp_path / "edited.json"
    edited.write_text(text)

    def nudge(d: dict[str, Any]) -> None:
        d["payload"]["steps"][-1]["state"]["centers"]["data"][0] += 1e-9

    _rewrite(edited, nudge)
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(edited)

    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(truncated)

    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(ModelFileError, match="not a segwise model"):
        load_model(other)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.json")


def test_missing_column_and_new_category_level(X: pd.DataFrame, tmp_path: Path) -> None:
    est, data = fitted("mixed", X)
    model = load_model(save_model(est, tmp_path / "m.json", X=data))
    with pytest.raises(ColumnNotFoundError, match=r"\['monetary'\]"):
        model.predict(data.drop(columns="monetary"))
    bad = data.head(20).copy()
    bad.loc[bad.index[3], "channel"] = "phone"
    with pytest.raises(UnknownCategoryError, match="'channel' has 1 row.*phone"):
        model.predict(bad)
    with pytest.raises(ValueError, match="unknown categories"):  # so does the pipeline
        est.predict(bad)
    nan_row = data.head(5).copy()
    nan_row.loc[nan_row.index[0], "tenure"] = np.nan
    with pytest.raises(NonFiniteError, match="tenure"):
        model.predict(nan_row)


def test_unsupported_steps_are_named() -> None:
    from sklearn.preprocessing import FunctionTransformer

    pipe = make_pipeline(FunctionTransformer(np.log1p), KMeans(n_clusters=2, random_state=0))
    pipe.fit(np.abs(np.random.default_rng(0).normal(size=(50, 2))))
    with pytest.raises(UnsupportedModelError, match="'functiontransformer'.*FunctionTransformer"):
        SegmentModel.from_estimator(pipe)
    with pytest.raises(NotFittedError):
        SegmentModel.from_estimator(KMeans(n_clusters=2))


# --------------------------------------------------------------------------- SQL


DB_DIALECTS = [
    ("duckdb", "duckdb"),
    ("sqlite", "sqlite"),
    ("duckdb", "postgres"),
    ("duckdb", "snowflake"),
]


@pytest.mark.parametrize("db,dialect", DB_DIALECTS)
@pytest.mark.parametrize("name", ["standard", "minmax_clip", "robust", "mixed"])
def test_sql_agrees_100_percent_with_predict(
    name: str, db: str, dialect: str, X: pd.DataFrame
) -> None:
    if db == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        pytest.fail("SQLite 3.35+ (math functions) is needed for LN")
    est, data = fitted(name, X)
    model = SegmentModel.from_estimator(est)
    sql = to_sql(model, dialect, table="customers", id_column="customer_id", distance=True)
    frame = data.reset_index()
    out = run_sql(db, frame, sql).set_index("customer_id").loc[frame["customer_id"]]
    expected = est.predict(data)
    agree = (out["segment"].to_numpy() == expected).mean()
    assert agree == 1.0
    np.testing.assert_allclose(out["distance"].to_numpy(), model.distance(data), rtol=1e-12)


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_sql_ties_go_to_the_lowest_index_as_argmin(db: str) -> None:
    # Centres 1 and 3 are equal, centre 0 and 2 are mirror images: exact ties everywhere.
    km = KMeans(n_clusters=4, random_state=0).fit(np.array([[0.0, 0], [1, 1], [2, 2], [3, 3]]))
    km.cluster_centers_ = np.array([[-1.0, 0.0], [0.0, 5.0], [1.0, 0.0], [0.0, 5.0]])
    pts = np.array([[0.0, 0.0], [0.0, 5.0], [0.0, 2.5], [0.0, -1.0], [0.5, 2.5], [3.0, 9.0]])
    expected = km.predict(pts)
    assert expected.tolist() == [0, 1, 1, 0, 1, 1]  # (0.5, 2.5): a three-way tie
    frame = pd.DataFrame(pts, columns=["x0", "x1"]).assign(id=range(len(pts)))
    sql = to_sql(km, db, table="customers", id_column="id", on_small_segment="ignore")
    out = run_sql(db, frame, sql + " ORDER BY id")
    assert out["segment"].tolist() == expected.tolist()


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_sql_nulls_and_unknown_levels_give_null(db: str, X: pd.DataFrame) -> None:
    est, data = fitted("mixed", X)
    frame = data.head(6).reset_index()
    frame["tenure"] = frame["tenure"].astype(object)
    frame.loc[1, "tenure"] = None
    frame.loc[2, "channel"] = "phone"
    frame.loc[3, "channel"] = None
    sql = to_sql(est, db, table="customers", id_column="customer_id") + " ORDER BY customer_id"
    out = run_sql(db, frame, sql).set_index("customer_id")
    for row in (1, 2, 3):
        assert pd.isna(out.loc[frame.loc[row, "customer_id"], "segment"])
    ok = frame.drop(index=[1, 2, 3])
    got = out.loc[ok["customer_id"], "segment"].astype(int).to_numpy()
    np.testing.assert_array_equal(got, est.predict(data.loc[ok["customer_id"]]))


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_float_literals_read_back_as_the_same_doubles(db: str) -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.normal(size=200),
            rng.normal(size=100) * 1e-300,
            rng.normal(size=100) * 1e300,
            rng.normal(size=100) * 1e-310,
            [0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 1e22],
        ]
    )
    from segwise.deploy._steps import DIALECTS

    d = DIALECTS[db]
    sql = "SELECT " + ", ".join(d.number(v) for v in values.tolist())
    if db == "duckdb":
        row = duckdb.connect().execute(sql).fetchone()
    else:
        row = sqlite3.connect(":memory:").execute(sql).fetchone()
    assert row is not None
    got = np.array(row, dtype=np.float64)
    assert got.tobytes() == values.tobytes()


def test_dialect_text_rules(X: pd.DataFrame) -> None:
    est, _ = fitted("mixed", X)
    model = SegmentModel.from_estimator(est, segment_names=[f"s{i}" for i in range(6)])
    bq = to_sql(model, "bigquery", table="proj.crm.customers", id_column="id")
    assert "FROM `proj`.`crm`.`customers`" in bq and "CAST(`recency` AS FLOAT64)" in bq
    assert "LEAST(" in bq and '"' not in bq.replace("\\'", "")
    assert "'o''hare'" in bq  # quotes inside levels are doubled
    pg = to_sql(model, "postgres", table="customers")
    assert 'CAST("recency" AS DOUBLE PRECISION)' in pg and "segment_name" in pg
    lite = to_sql(model, "sqlite", table="customers")
    assert "MIN(" in lite and "LEAST" not in lite and "AS REAL" in lite
    with pytest.raises(InvalidParameterError, match="dialect"):
        to_sql(model, "oracle")


# --------------------------------------------------------------------------- one customer


@pytest.mark.parametrize("name", ["standard", "minmax_clip", "mixed"])
def test_predict_one_equals_predict(name: str, X: pd.DataFrame) -> None:
    est, data = fitted(name, X)
    model = SegmentModel.from_estimator(est)
    head = data.head(300)
    expected = est.predict(head)
    got = [model.predict_one(row) for row in head.to_dict("records")]
    assert got == expected.tolist()
    assert model.predict_one(head.iloc[7]) == expected[7]  # a pandas Series
    one_row = [int(model.predict(head.iloc[[i]])[0]) for i in range(20)]
    assert one_row == expected[:20].tolist()


def test_predict_one_errors(X: pd.DataFrame) -> None:
    est, data = fitted("standard", X)
    model = SegmentModel.from_estimator(est)
    row = data.iloc[0].to_dict()
    with pytest.raises(ColumnNotFoundError, match="tenure"):
        model.predict_one({k: v for k, v in row.items() if k != "tenure"})
    with pytest.raises(NonFiniteError, match="recency"):
        model.predict_one({**row, "recency": float("nan")})
    with pytest.raises(NonFiniteError, match="monetary"):
        model.predict_one({**row, "monetary": -5.0})  # log1p undefined


# --------------------------------------------------------------------------- drift


def test_drift_check_matches_stability_psi(X: pd.DataFrame) -> None:
    est, data = fitted("standard", X)
    model = SegmentModel.from_estimator(est, X=data)
    now = customers(2000, seed=5)[NUMERIC]
    now["monetary"] *= 1.6
    report = drift_check(model, now)
    oracle = psi(data, now).table.set_index("feature")["psi"]
    got = report.table.set_index("feature")["psi"]
    for feat in NUMERIC:
        assert got[feat] == pytest.approx(oracle[feat], rel=1e-12, abs=1e-15)
    seg_oracle = psi(est.predict(data), est.predict(now), kind="labels").table["psi"][0]
    assert got["segment"] == pytest.approx(seg_oracle, rel=1e-12)
    assert "monetary" in report.drifted and report.verdict.startswith("drifted: review")
    assert drift_check(model, data).verdict == "stable: keep"
    assert "Drift against" in report.summary()


def test_drift_check_categorical_and_errors(X: pd.DataFrame) -> None:
    est, data = fitted("mixed", X)
    model = SegmentModel.from_estimator(est, X=data)
    now = data.copy()
    now["channel"] = "web"
    report = drift_check(model, now)
    assert "channel" in report.drifted
    with pytest.raises(InvalidParameterError, match="reference"):
        drift_check(SegmentModel.from_estimator(est), data)


# --------------------------------------------------------------------------- privacy


def test_pseudonymize_is_keyed_hmac_sha256() -> None:
    ids = pd.Series(["c1", "c2", "c1", 42], index=[10, 11, 12, 13], name="id")
    out = pseudonymize(ids, "k3y")
    expected = hmac.new(b"k3y", b"c1", hashlib.sha256).hexdigest()
    assert out[10] == expected and out[12] == expected and out[11] != expected
    assert out[13] == hmac.new(b"k3y", b"42", hashlib.sha256).hexdigest()
    assert list(out.index) == [10, 11, 12, 13] and out.name == "id"
    assert pseudonymize(["c1"], "other")[0] != expected
    assert pseudonymize(np.array([42.0]), "k3y")[0] == out[13]
    with pytest.raises(InvalidParameterError, match="non-empty"):
        pseudonymize(ids, "")
    with pytest.raises(NonFiniteError, match="1 missing"):
        pseudonymize(pd.Series(["a", None]), "k")


def test_small_segments_warn_or_raise(tmp_path: Path) -> None:
    X = np.concatenate([np.zeros((30, 1)), np.full((3, 1), 100.0)])
    km = KMeans(n_clusters=2, random_state=0).fit(X)
    with pytest.warns(PrivacyWarning, match=r"min_segment_size=10.*\{1: 3\}"):
        save_model(km, tmp_path / "a.json")
    with pytest.raises(PrivacyError, match="smaller than min_segment_size"):
        save_model(km, tmp_path / "b.json", on_small_segment="error")
    assert not (tmp_path / "b.json").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_model(km, tmp_path / "c.json", min_segment_size=3)
    with pytest.raises(InvalidParameterError, match="on_small_segment must be"):
        save_model(km, tmp_path / "d.json", on_small_segment="raise")
    assert not (tmp_path / "d.json").exists()


@pytest.mark.parametrize("export", ["to_sql", "to_onnx"])
def test_small_segments_guard_the_sql_and_onnx_exports(export: str) -> None:
    # The same check as save_model, on the counts the model holds (labels_ here).
    X = np.concatenate([np.zeros((30, 1)), np.full((3, 1), 100.0)])
    km = KMeans(n_clusters=2, random_state=0).fit(X)
    write = to_sql if export == "to_sql" else to_onnx
    what = "SQL" if export == "to_sql" else "ONNX graph"
    with pytest.warns(PrivacyWarning, match=rf"10 would be written into the {what}"):
        write(km)
    with pytest.raises(PrivacyError, match=r"smaller than min_segment_size.*\{1: 3\}"):
        write(km, on_small_segment="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert write(km, min_segment_size=3) is not None
        assert write(km, on_small_segment="ignore") is not None


def test_refresh_checks_the_segment_sizes_of_the_new_model() -> None:
    rng = np.random.default_rng(0)
    old_X = pd.DataFrame(np.repeat([[0.0], [100.0]], 30, axis=0) + rng.normal(size=(60, 1)))
    old_X.columns = ["spend"]
    old = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(old_X), X=old_X)
    # Today only 3 customers are left near 100: the refreshed model's segment 1 is tiny,
    # while the old model's reference (30 and 30) passes the drift report's check.
    new_X = pd.concat([old_X.iloc[:30], old_X.iloc[30:33]], ignore_index=True)
    with pytest.warns(PrivacyWarning, match=r"would be in the refreshed model.*\{1: 3\}"):
        new, _ = refresh(old, new_X)
    assert new.reference is not None and new.reference["segments"]["counts"] == [30, 3]
    with pytest.raises(PrivacyError, match="in the refreshed model"):
        refresh(old, new_X, on_small_segment="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refresh(old, new_X, min_segment_size=3)


def test_double_bits_helper_sanity() -> None:
    # The tests above compare bytes; make sure -0.0 and 0.0 are told apart by bytes.
    assert struct.pack("<d", -0.0) != struct.pack("<d", 0.0)
    assert math.copysign(1.0, float(repr(-0.0))) == -1.0


# --------------------------------------------------------------------------- refresh


def test_refresh_keeps_segment_ids_and_reports(X: pd.DataFrame) -> None:
    est, data = fitted("standard", X)
    old = SegmentModel.from_estimator(est, X=data)
    # Same customers, shuffled and slightly moved: every segment keeps its id.
    now = data.sample(frac=1.0, random_state=3)
    now = now.assign(tenure=now["tenure"] * 1.01)
    new, report = refresh(old, now)
    old_labels, new_labels = old.predict(now), new.predict(now)
    assert (old_labels == new_labels).mean() > 0.97
    assert report.migration.overall_retention == pytest.approx((old_labels == new_labels).mean())
    assert report.born == [] and report.vanished == []
    assert report.verdict == "stable: keep" and "Segment refresh" in report.summary()
    # The refit is k-means started from the old centres on the preprocessed data.
    Z = old.transform(now)
    oracle = KMeans(n_clusters=5, init=old.steps[-1].centers, n_init=1).fit(Z)
    aligned = align_labels(oracle, old.steps[-1].centers)
    np.testing.assert_array_equal(new_labels, aligned)
    assert new.metadata["refreshed_from"] == old.metadata["fingerprint"]
    assert old.metadata["fitted_at"] <= new.metadata["fitted_at"] <= _utc_now()  # the refit
    assert new.reference is not None and new.reference["n_rows"] == len(now)


def test_refresh_relabelled_refit_is_aligned_and_born_segments(X: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    A = pd.DataFrame(
        np.repeat(centres, 300, axis=0) + rng.normal(size=(900, 2)), columns=["a", "b"]
    )
    old = SegmentModel.from_estimator(KMeans(n_clusters=3, random_state=0).fit(A), X=A)
    # Cold start: k-means++ numbers the segments its own way; ids come back by matching.
    new, report = refresh(old, A, warm_start=False, random_state=11)
    np.testing.assert_array_equal(new.predict(A), old.predict(A))
    # A fourth group of customers appears: a born segment, flagged for review.
    B = pd.concat(
        [A, pd.DataFrame(rng.normal(size=(300, 2)) + [10.0, 10.0], columns=["a", "b"])],
        ignore_index=True,
    )
    new4, report4 = refresh(old, B, n_clusters=4)
    assert report4.born == [3] and 3 in report4.review
    assert report4.verdict.startswith("drifted: review segment")
    assert (new4.predict(A) == old.predict(A)).mean() > 0.99
    with pytest.raises(InvalidParameterError, match="below"):
        refresh(old, A, n_clusters=2)


def test_refresh_with_previous_labels_by_customer_id(X: pd.DataFrame) -> None:
    est, data = fitted("standard", X)
    old = SegmentModel.from_estimator(est, X=data)
    previous = pd.Series(old.predict(data), index=data.index)
    now = data.iloc[100:]  # 100 customers churned
    _, report = refresh(old, now, previous_labels=previous)
    assert float(report.migration.counts["Churned"].sum()) == 100.0


def test_small_frame_fast_path_matches_the_general_path(X: pd.DataFrame) -> None:
    est, data = fitted("standard", X)
    model = SegmentModel.from_estimator(est)
    small = data.head(40)
    expected = est.predict(small)
    shuffled = small[list(reversed(NUMERIC))].assign(extra=1.5)
    np.testing.assert_array_equal(model.predict(shuffled), expected)
    np.testing.assert_array_equal(model.predict(shuffled), expected)  # cached column order
    with_text = small.assign(note="x")  # an object column: the general path
    np.testing.assert_array_equal(model.predict(with_text), expected)
    nan = small.copy()
    nan.iloc[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="frequency"):
        model.predict(nan)
    with pytest.raises(ColumnNotFoundError, match="tenure"):
        model.predict(small.drop(columns="tenure"))
