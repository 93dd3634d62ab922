"""The ``segwise`` command line and the main job, ``segwise demo``."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import segwise.stability
from conftest import email_lift, mixed_customers
from segwise.abtest import segment_lift
from segwise.cli import main
from segwise.cluster import KMeans, KMedoids, KPrototypes
from segwise.demo import customer_rfm, run_demo
from segwise.metrics import adjusted_rand_score
from segwise.preprocessing import Log1pTransformer, MinMaxScaler, RobustScaler, StandardScaler
from segwise.rfm import rfm_scores, rfm_table


def test_demo_prints_and_writes_the_segment_table(tmp_path, capsys):
    assert main(["demo", "--k", "3", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "23,570 customers" in out
    assert "Choosing k" in out and "silhouette" in out
    segments = pd.read_csv(tmp_path / "segments.csv", index_col="segment")
    assert segments["customers"].sum() == 23_570
    assert len(segments) in (3, 4)
    np.testing.assert_allclose(segments["share"].sum(), 1.0)
    # segment 0 is the highest-value one
    assert segments["mean_monetary"].is_monotonic_decreasing
    assert "Hillstrom e-mail test" in out and "Lift report" in out
    lift = pd.read_csv(tmp_path / "hillstrom_lift.csv")
    assert set(lift["metric"]) == {"visit", "conversion", "spend"}
    assert set(lift["treatment"]) == {"Mens E-Mail", "Womens E-Mail"}
    assert lift["pvalue_adj"].between(0, 1).all()
    k_table = pd.read_csv(tmp_path / "choose_k.csv", index_col="k")
    assert list(k_table.index) == [3, 4]
    assert k_table["silhouette"].between(-1, 1).all()


def test_demo_is_reproducible():
    a = run_demo(k_values=[3], random_state=5, verbose=False)
    b = run_demo(k_values=[3], random_state=5, verbose=False)
    pd.testing.assert_frame_equal(a.segments, b.segments)


def test_customer_rfm_counts_purchase_days_and_total_spend():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-09", "2020-01-10"]),
            "dollar_value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    rfm = customer_rfm(tx)
    assert rfm.loc["a"].tolist() == [1, 2, 6.0]
    assert rfm.loc["b"].tolist() == [0, 1, 4.0]


def test_help_and_unknown_command():
    result = subprocess.run(
        [sys.executable, "-m", "segwise.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--out" in result.stdout
    with pytest.raises(SystemExit):
        main(["no-such-command"])


# --------------------------------------------------------------------------- pipeline commands
# `segwise rfm`, `segwise segment`, `segwise lift`: each compared with the library call.


@pytest.fixture(scope="module")
def cdnow_small(cdnow):
    return cdnow[cdnow["customer_id"] < "01500"].reset_index(drop=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory, cdnow_small, hillstrom):
    d = tmp_path_factory.mktemp("cli")
    cdnow_small.to_csv(d / "tx.csv", index=False)
    cdnow_small.to_parquet(d / "tx.parquet")
    rfm = rfm_table(cdnow_small, amount="dollar_value")
    rfm[["recency", "frequency", "monetary"]].to_csv(d / "rfm.csv")
    hillstrom.to_csv(d / "hill.csv", index=False)
    return d


def _read_rfm(path, parse_dates=("first_purchase", "last_purchase")):
    return pd.read_csv(
        path, dtype={"customer_id": str}, index_col="customer_id", parse_dates=list(parse_dates)
    )


def test_rfm_csv_with_scores_equals_the_library(files, cdnow_small, capsys):
    out = files / "rfm_scores.csv"
    code = main(
        [
            "rfm",
            str(files / "tx.csv"),
            "-o",
            str(out),
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "dollar_value",
            "--scores",
            "--preset",
            "rfm_package",
        ]
    )
    assert code == 0
    table = rfm_table(cdnow_small, amount="dollar_value")
    expected = table.join(rfm_scores(table, segments="rfm_package"))
    got = _read_rfm(out)
    assert got.index.tolist() == expected.index.tolist()  # zero-padded ids kept as text
    expected["rfm_cell"] = expected["rfm_cell"].astype(int)  # "545" reads back as a number
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_index_type=False)
    err = capsys.readouterr().err
    assert f"-> {len(expected):,} customers" in err and "Champions" in err


def test_rfm_parquet_btyd_weekly_to_parquet(files, cdnow_small):
    out = files / "btyd.parquet"
    code = main(
        [
            "rfm",
            str(files / "tx.parquet"),
            "-o",
            str(out),
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "dollar_value",
            "--convention",
            "btyd",
            "--freq",
            "W",
            "--observation-end",
            "1998-03-31",
            "--scores",
            "--bins",
            "4",
            "--preset",
            "none",
        ]
    )
    assert code == 0
    table = rfm_table(
        cdnow_small,
        amount="dollar_value",
        convention="btyd",
        freq="W",
        observation_end="1998-03-31",
    )
    expected = table.join(rfm_scores(table, bins=4, monetary="monetary_value", segments=None))
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)


def test_rfm_to_stdout_and_from_stdin(files, cdnow_small, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO((files / "tx.csv").read_text()))
    code = main(
        [
            "rfm",
            "-",
            "-o",
            "-",
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "dollar_value",
            "--negative-amounts",
            "raise",
        ]
    )
    assert code == 0
    got = _read_rfm(io.StringIO(capsys.readouterr().out))
    expected = rfm_table(cdnow_small, amount="dollar_value")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_index_type=False)


@pytest.mark.parametrize(
    ("scale", "scaler"),
    [
        ("standard", StandardScaler),
        ("robust", RobustScaler),
        ("minmax", MinMaxScaler),
        ("none", None),
    ],
)
def test_segment_equals_log1p_scaler_kmeans(files, capsys, scale, scaler):
    out = files / f"seg_{scale}.csv"
    code = main(
        [
            "segment",
            str(files / "rfm.csv"),
            "-o",
            str(out),
            "--id",
            "customer_id",
            "--k",
            "4",
            "--log1p",
            "frequency",
            "monetary",
            "--scale",
            scale,
            "--seed",
            "3",
        ]
    )
    assert code == 0
    rfm = pd.read_csv(files / "rfm.csv", dtype={"customer_id": str})
    X = Log1pTransformer(columns=["frequency", "monetary"]).fit_transform(
        rfm[["recency", "frequency", "monetary"]]
    )
    if scaler is not None:
        X = scaler().fit_transform(X)
    km = KMeans(n_clusters=4, random_state=3).fit(X)
    got = pd.read_csv(out, dtype={"customer_id": str})
    assert list(got.columns) == ["customer_id", "segment"]
    assert got["customer_id"].tolist() == rfm["customer_id"].tolist()
    np.testing.assert_array_equal(got["segment"].to_numpy(), km.labels_)
    err = capsys.readouterr().err
    # default features: every numeric column but the id
    assert "features: recency, frequency, monetary" in err
    assert "silhouette = " in err
    for label, size in pd.Series(km.labels_).value_counts().items():
        assert re.search(rf"^{label}\s+{size}\s+0\.\d+$", err, flags=re.M)


def test_segment_without_id_writes_the_row_number(files, capsys):
    out = files / "seg_rows.csv"
    code = main(
        [
            "segment",
            str(files / "rfm.csv"),
            "-o",
            str(out),
            "--k",
            "3",
            "--features",
            "recency",
            "monetary",
            "--silhouette-sample",
            "0",
        ]
    )
    assert code == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["row", "segment"]
    assert got["row"].tolist() == list(range(len(got)))
    assert set(got["segment"]) == {0, 1, 2}
    assert "silhouette" not in capsys.readouterr().err


def test_segment_k_auto_uses_choose_k_when_there(files, capsys, monkeypatch):
    calls = []

    class FakeResult:
        recommended_k = 3

        def summary(self):
            return "fake choose_k summary"

    def fake_choose_k(X, k_range, *, random_state=None):
        calls.append((X.shape, list(k_range), random_state))
        return FakeResult()

    monkeypatch.setattr(segwise.stability, "choose_k", fake_choose_k, raising=False)
    out = files / "seg_auto.csv"
    code = main(
        [
            "segment",
            str(files / "rfm.csv"),
            "-o",
            str(out),
            "--id",
            "customer_id",
            "--k",
            "auto",
            "--k-range",
            "2",
            "4",
            "--seed",
            "7",
        ]
    )
    assert code == 0
    assert calls == [((1499, 3), [2, 3, 4], 7)]
    assert pd.read_csv(out)["segment"].nunique() == 3
    err = capsys.readouterr().err
    assert "fake choose_k summary" in err and "chose k = 3" in err


def test_segment_mixed_table_equals_scaled_kprototypes(files, capsys):
    out = files / "seg_mixed.csv"
    features = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]
    code = main(
        ["segment", str(files / "hill.csv"), "-o", str(out), "--k", "3", "--seed", "2"]
        + ["--features", *features, "--categorical", "mens", "womens", "newbie"]
        + ["--log1p", "history"]
    )
    assert code == 0
    hill = pd.read_csv(files / "hill.csv", dtype={c: str for c in ("mens", "womens", "newbie")})
    num = StandardScaler().fit_transform(
        Log1pTransformer(columns=["history"]).fit_transform(hill[["recency", "history"]])
    )
    X = pd.concat([num, hill[features[2:]].astype("category")], axis=1)[features]
    model = KPrototypes(3, categorical=features[2:], random_state=2).fit(X)
    got = pd.read_csv(out)
    np.testing.assert_array_equal(got["segment"].to_numpy(), model.labels_)
    err = capsys.readouterr().err
    assert f"gamma = {model.gamma_:.4g}" in err and "silhouette" not in err


def test_segment_k_auto_on_a_mixed_table_passes_kprototypes(files, capsys, monkeypatch):
    calls = []

    class FakeResult:
        recommended_k = 2

        def summary(self):
            return "fake"

    def fake_choose_k(X, k_range, *, random_state=None, estimator=None):
        calls.append((list(X.columns), type(estimator).__name__))
        return FakeResult()

    monkeypatch.setattr(segwise.stability, "choose_k", fake_choose_k, raising=False)
    code = main(
        ["segment", str(files / "hill.csv"), "-o", str(files / "auto_mixed.csv"), "--k", "auto"]
        + ["--features", "recency", "zip_code", "--silhouette-sample", "0"]
    )
    assert code == 0
    assert calls == [(["recency", "zip_code"], "KPrototypes")]


def test_segment_kmedoids_equals_gower_kmedoids_on_the_scaled_table(files, capsys):
    out = files / "seg_medoids.csv"
    features = ["recency", "history", "zip_code", "channel"]
    code = main(
        ["segment", str(files / "hill.csv"), "-o", str(out), "--k", "3", "--seed", "4"]
        + ["--method", "kmedoids", "--features", *features, "--log1p", "history"]
    )
    assert code == 0
    hill = pd.read_csv(files / "hill.csv")
    num = StandardScaler().fit_transform(
        Log1pTransformer(columns=["history"]).fit_transform(hill[["recency", "history"]])
    )
    X = pd.concat([num, hill[features[2:]].astype("category")], axis=1)[features]
    assert len(X) > 10_000  # CLARA beyond 10,000 rows
    model = KMedoids(3, metric="gower", method="clara", random_state=4).fit(X)
    np.testing.assert_array_equal(pd.read_csv(out)["segment"].to_numpy(), model.labels_)
    err = capsys.readouterr().err
    assert f"sum of distances = {model.inertia_:.6g}" in err and "silhouette" not in err
    # saving the medoids (customers' rows) needs the opt-in: refused before any work
    code = main(
        ["segment", str(files / "hill.csv"), "-o", str(files / "never.csv"), "--k", "3"]
        + ["--method", "kmedoids", "--save", str(files / "m.json")]
    )
    assert code == 2 and not (files / "never.csv").exists()
    assert "--allow-customer-rows" in capsys.readouterr().err


def test_segment_kmedoids_k_auto_runs_choose_k_with_gower_kmedoids(tmp_path, capsys):
    # three groups of customers: --k auto finds them with choose_k over Gower KMedoids
    table = mixed_customers(150, 3, seed=5)[["spend", "visits", "channel", "group"]]
    table.to_csv(tmp_path / "customers.csv", index=False)
    out = tmp_path / "seg.csv"
    code = main(
        ["segment", str(tmp_path / "customers.csv"), "-o", str(out), "--k", "auto"]
        + ["--k-range", "2", "4", "--seed", "3", "--method", "kmedoids"]
        + ["--features", "spend", "visits", "channel"]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "--k auto chose k = 3" in err and "Recommended k = 3" in err
    # the library: choose_k with the same KMedoids on the standard-scaled table, then a fit
    X = pd.concat(
        [
            StandardScaler().fit_transform(table[["spend", "visits"]]),
            table[["channel"]].astype("category"),
        ],
        axis=1,
    )
    est = KMedoids(2, metric="gower", method="fasterpam", random_state=3)
    res = segwise.stability.choose_k(X, range(2, 5), random_state=3, estimator=est)
    assert res.recommended_k == 3
    model = KMedoids(3, metric="gower", method="fasterpam", random_state=3).fit(X)
    got = pd.read_csv(out)["segment"].to_numpy()
    np.testing.assert_array_equal(got, model.labels_)
    assert adjusted_rand_score(table["group"], got) > 0.6  # ~0 for an unrelated partition


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--features", "recency", "--categorical", "zip_code"], "not among the features"),
        (["--features", "recency", "zip_code", "--log1p", "zip_code"], "are categorical"),
    ],
)
def test_segment_mixed_bad_options(files, capsys, extra, match):
    code = main(["segment", str(files / "hill.csv"), "-o", "-", "--k", "2", *extra])
    assert code == 2
    assert match in capsys.readouterr().err


def test_segment_k_auto_without_choose_k_is_a_clear_error(files, capsys, monkeypatch):
    monkeypatch.delattr(segwise.stability, "choose_k", raising=False)
    code = main(["segment", str(files / "rfm.csv"), "-o", str(files / "x.csv"), "--k", "auto"])
    assert code == 2
    assert "not available yet" in capsys.readouterr().err


def test_lift_equals_segment_lift(files, hillstrom, capsys):
    out = files / "lift.csv"
    code = main(
        [
            "lift",
            str(files / "hill.csv"),
            "-o",
            str(out),
            "--segment",
            "zip_code",
            "--arm",
            "segment",
            "--control",
            "No E-Mail",
            "--metrics",
            "visit",
            "conversion",
            "spend",
            "--correction",
            "holm",
            "--alpha",
            "0.01",
        ]
    )
    assert code == 0
    expected = email_lift(hillstrom, "zip_code", adjust="holm", alpha=0.01).table
    got = pd.read_csv(out)
    assert list(got.columns) == list(expected.columns)
    numeric = expected.select_dtypes("number").columns
    np.testing.assert_allclose(
        got[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=1e-12, equal_nan=True
    )
    text = [c for c in expected.columns if c not in numeric]

    def as_text(frame):  # an all-empty column reads back as float NaN
        return frame.astype(object).where(frame.notna(), "").astype(str)

    pd.testing.assert_frame_equal(as_text(got[text]), as_text(expected[text]))
    err = capsys.readouterr().err
    assert err.startswith("Lift report:") and "Holm-adjusted p <= 0.01" in err


def test_lift_parquet_integer_arms_and_winsorize(tmp_path, hillstrom, capsys):
    df = pd.DataFrame(
        {
            "zip": hillstrom["zip_code"],
            "arm": hillstrom["segment"].map({"No E-Mail": 0, "Mens E-Mail": 1, "Womens E-Mail": 2}),
            "spend": hillstrom["spend"],
        }
    )
    df.to_parquet(tmp_path / "exp.parquet")
    code = main(
        [
            "lift",
            str(tmp_path / "exp.parquet"),
            "-o",
            "-",
            "--segment",
            "zip",
            "--arm",
            "arm",
            "--control",
            "0",
            "--metrics",
            "spend",
            "--winsorize",
            "0.99",
        ]
    )
    assert code == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = segment_lift(
        df, segment="zip", variant="arm", control=0, metrics=["spend"], winsorize=0.99
    ).table
    np.testing.assert_allclose(got["rel_lift"], expected["rel_lift"], rtol=1e-12)
    assert got["treatment"].tolist() == expected["treatment"].tolist()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            [
                "rfm",
                "{d}/tx.csv",
                "-o",
                "-",
                "--customer",
                "customer_id",
                "--date",
                "day",
                "--amount",
                "dollar_value",
            ],
            ["--date 'day'", "available: customer_id"],
        ),
        (
            ["segment", "{d}/rfm.csv", "-o", "-", "--k", "3", "--features", "recency", "spend"],
            ["--features 'spend'"],
        ),
        (
            [
                "lift",
                "{d}/hill.csv",
                "-o",
                "-",
                "--segment",
                "zip",
                "--arm",
                "segment",
                "--control",
                "No E-Mail",
                "--metrics",
                "visit",
                "revenue",
            ],
            ["--segment 'zip'", "--metrics 'revenue'"],
        ),
        (
            [
                "lift",
                "{d}/hill.csv",
                "-o",
                "-",
                "--arm",
                "segment",
                "--control",
                "none",
                "--metrics",
                "visit",
            ],
            ["--control 'none'", "'No E-Mail'"],
        ),
        (
            ["rfm", "{d}/nope.csv", "-o", "-", "--customer", "c", "--date", "d", "--amount", "a"],
            ["nope.csv", "not found"],
        ),
        (["segment", "{d}", "-o", "-", "--k", "3"], ["is a directory"]),
        (
            ["segment", "{d}/rfm.csv", "-o", "{d}/no/such/dir/out.csv", "--k", "2"],
            ["could not write", "out.csv"],
        ),
        (
            [
                "segment",
                "{d}/rfm.csv",
                "-o",
                "-",
                "--k",
                "2",
                "--log1p",
                "recency",
                "--features",
                "monetary",
            ],
            ["--log1p", "recency"],
        ),
        # a SegwiseError raised by the library itself
        (["segment", "{d}/rfm.csv", "-o", "-", "--k", "5000"], ["5000"]),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(files, capsys, argv, words):
    code = main([a.format(d=files) for a in argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines[-1].startswith("segwise: error: ")
    assert "Traceback" not in captured.err
    for word in words:
        assert word in lines[-1]


def test_library_error_message_is_passed_through(files, tmp_path, capsys, cdnow_small):
    refunds = cdnow_small.copy()
    refunds.loc[3, "dollar_value"] = -5.0
    refunds.to_csv(tmp_path / "refunds.csv", index=False)
    code = main(
        [
            "rfm",
            str(tmp_path / "refunds.csv"),
            "-o",
            "-",
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "dollar_value",
            "--negative-amounts",
            "raise",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("segwise: error: column 'dollar_value' has 1 negative amount")


def test_unreadable_file_and_bad_k(tmp_path, capsys):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    code = main(
        [
            "lift",
            str(tmp_path / "bad.parquet"),
            "-o",
            "-",
            "--arm",
            "a",
            "--control",
            "c",
            "--metrics",
            "m",
        ]
    )
    assert code == 2
    assert "could not read" in capsys.readouterr().err
    for option, value in [("--k", "1"), ("--k", "four"), ("--silhouette-sample", "-5")]:
        with pytest.raises(SystemExit) as exc:
            main(["segment", str(tmp_path / "bad.parquet"), "-o", "-", "--k", "3", option, value])
        assert exc.value.code == 2
        assert option in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "rfm",
                "x.csv",
                "-o",
                "-",
                "--customer",
                "c",
                "--date",
                "d",
                "--amount",
                "a",
                "--observation-end",
                "notadate",
            ]
        )
    assert exc.value.code == 2
    assert "--observation-end" in capsys.readouterr().err


def test_parquet_without_pyarrow_names_the_extra(files, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    code = main(
        [
            "rfm",
            str(files / "tx.parquet"),
            "-o",
            "-",
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "dollar_value",
        ]
    )
    assert code == 2
    assert 'pip install "segwise[parquet]"' in capsys.readouterr().err


def test_subprocess_help_and_error_exit_code(tmp_path):
    for command in ("rfm", "segment", "lift"):
        result = subprocess.run(
            [sys.executable, "-m", "segwise", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "examples:" in result.stdout and f"segwise {command} " in result.stdout
    top = subprocess.run(
        [sys.executable, "-m", "segwise", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "rfm", "segment", "lift"):
        assert command in top.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "segwise",
            "lift",
            str(tmp_path / "x.csv"),
            "-o",
            "-",
            "--arm",
            "a",
            "--control",
            "c",
            "--metrics",
            "m",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"segwise: error: input file {str(tmp_path / 'x.csv')!r} not found"
    ]


# --------------------------------------------------------------------------- arguments first


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["demo", "--k", "1"], ["argument --k", "2..50", "'1'"]),
        (["demo", "--k", "3", "4", "51"], ["argument --k", "'51'"]),
        (["demo", "--k", "three"], ["argument --k", "'three'"]),
        (["demo", "--seed", "-1"], ["argument --seed", "'-1'"]),
        (["demo", "--seed", "1.5"], ["argument --seed", "'1.5'"]),
        (["demo", "--out", "{file}"], ["argument --out", "is a file, not a directory"]),
        (["demo", "--out", "{file}/sub"], ["argument --out", "cannot be created", "is a file"]),
        (["segment", "x.csv", "-o", "-", "--k", "3", "--seed", "-1"], ["argument --seed"]),
    ],
)
def test_bad_arguments_are_one_line_exit_2_before_any_work(tmp_path, capsys, argv, words):
    file = tmp_path / "report.html"
    file.write_text("already here")
    argv = [a.format(file=file) for a in argv]
    started = time.perf_counter()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert time.perf_counter() - started < 5  # the demo itself takes much longer
    captured = capsys.readouterr()
    assert exc.value.code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith(f"segwise {argv[0]}: error: argument ")
    assert lines[0].endswith(f"(see 'segwise {argv[0]} --help')")
    for word in words:
        assert word in lines[0]
    assert file.read_text() == "already here"


def test_demo_out_that_cannot_be_made_fails_before_the_demo(tmp_path, capsys, monkeypatch):
    from segwise import demo

    def never(*args, **kwargs):
        raise AssertionError("the demo ran")

    monkeypatch.setattr(demo, "run_demo", never)
    # a directory this user may not write to (faked: tests may run as root)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(tmp_path / "report")])
    assert exc.value.code == 2
    assert "is not writable" in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.setattr(demo, "run_demo", never)

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)  # checked, then refused when made
    assert main(["demo", "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"segwise: error: --out {str(tmp_path / 'report')!r}: Permission denied"]


def test_rfm_command_reads_yyyymmdd_integer_dates(tmp_path, capsys):
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "day": [20240101, 20240111, 20240105],
            "amount": [10.0, 5.0, 8.0],
        }
    )
    tx.to_csv(tmp_path / "tx.csv", index=False)
    argv = ["rfm", str(tmp_path / "tx.csv"), "-o", str(tmp_path / "out.csv")]
    argv += ["--customer", "customer_id", "--date", "day", "--amount", "amount"]
    assert main(argv) == 0
    got = pd.read_csv(tmp_path / "out.csv", index_col="customer_id")
    assert got["recency"].tolist() == [0, 6] and got["frequency"].tolist() == [2, 1]
    tx.assign(day=[1704067200, 1704931200, 1704412800]).to_csv(tmp_path / "tx.csv", index=False)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("segwise: error: column 'day' holds numbers, not YYYYMMDD")
