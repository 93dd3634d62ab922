"""The deploy commands: ``segment --save``, ``assign`` (streamed), ``sql``, ``drift``; and
the privacy promise of the demo (no network, no file it was not asked to write)."""

from __future__ import annotations

import hashlib
import hmac
import io
import socket
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from segwise.cli import main
from segwise.deploy import load_model
from segwise.exceptions import PrivacyWarning


def _customers(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:05d}" for i in range(n)],
            "recency": rng.integers(0, 365, n),
            "frequency": rng.poisson(4.0, n),
            "monetary": rng.gamma(2.0, 60.0, n),
        }
    )


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    df = _customers(3000)
    src = tmp_path / "customers.csv"
    df.to_csv(src, index=False)
    model = tmp_path / "model.json"
    args = [
        "segment",
        str(src),
        "-o",
        str(tmp_path / "seg.csv"),
        "--id",
        "customer_id",
        "--k",
        "4",
        "--log1p",
        "monetary",
        "--silhouette-sample",
        "0",
        "--save",
        str(model),
    ]
    assert main(args) == 0
    return src, model, df


def test_segment_save_then_assign_streams_in_chunks(saved, tmp_path, capsys) -> None:
    src, model_path, df = saved
    seg = pd.read_csv(tmp_path / "seg.csv", dtype={"customer_id": str})
    out = tmp_path / "scored.csv"
    args = [
        "assign",
        "--model",
        str(model_path),
        str(src),
        str(out),
        "--id",
        "customer_id",
        "--chunksize",
        "700",
        "--no-progress",
    ]
    assert main(args) == 0
    scored = pd.read_csv(out, dtype={"customer_id": str})
    assert len(scored) == 3000 and scored["customer_id"].tolist() == df["customer_id"].tolist()
    # The saved model reproduces the labels `segment` wrote.
    np.testing.assert_array_equal(scored["segment"].to_numpy(), seg["segment"].to_numpy())
    assert "3,000 rows scored" in capsys.readouterr().err


class _Terminal(io.StringIO):
    """A captured stderr that says it is a terminal, so the automatic bar shows."""

    def isatty(self) -> bool:
        return True


def test_assign_progress_bar_reports_and_changes_no_output(saved, tmp_path, monkeypatch) -> None:
    src, model_path, df = saved
    args = ["assign", "--model", str(model_path), str(src)]
    opts = ["--id", "customer_id", "--chunksize", "700"]
    assert main([*args, str(tmp_path / "quiet.csv"), *opts, "--no-progress"]) == 0
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # the text bar, on the stream
    assert main([*args, str(tmp_path / "bar.csv"), *opts]) == 0
    err = stream.getvalue()
    # Drawn at the start and after the last of the 5 chunks (3,000 rows in all).
    assert "\rsegwise assign  0/3000 [" in err
    assert "\rsegwise assign  3000/3000 [########################]" in err
    assert "3,000 rows scored" in err
    assert (tmp_path / "bar.csv").read_bytes() == (tmp_path / "quiet.csv").read_bytes()
    # --no-progress draws nothing, even on a terminal.
    stream.seek(0)
    stream.truncate()
    assert main([*args, str(tmp_path / "quiet2.csv"), *opts, "--no-progress"]) == 0
    assert "segwise assign  " not in stream.getvalue() and "rows scored" in stream.getvalue()


def test_assign_parquet_and_pseudonymized_ids(saved, tmp_path, monkeypatch) -> None:
    src, model_path, df = saved
    pq_in = tmp_path / "customers.parquet"
    df.to_parquet(pq_in, index=False)
    out = tmp_path / "scored.parquet"
    args = [
        "assign",
        "--model",
        str(model_path),
        str(pq_in),
        str(out),
        "--id",
        "customer_id",
        "--chunksize",
        "1000",
        "--no-progress",
        "--pseudonymize-id",
        "--distance",
    ]
    monkeypatch.delenv("SEGWISE_PSEUDONYM_KEY", raising=False)
    assert main(args) == 2  # no key: a clear error
    monkeypatch.setenv("SEGWISE_PSEUDONYM_KEY", "k3y")
    assert main(args) == 0
    scored = pd.read_parquet(out)
    expected_id = hmac.new(b"k3y", b"00007", hashlib.sha256).hexdigest()
    assert scored["customer_id"][7] == expected_id
    model = load_model(model_path)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), model.predict(df))
    np.testing.assert_allclose(scored["distance"].to_numpy(), model.distance(df))


def test_segment_pseudonymizes_the_id_column_on_the_way_in(tmp_path, monkeypatch) -> None:
    df = _customers(500)
    df["customer_id"] = "id-" + df["customer_id"]  # "-" never occurs in a hex pseudonym
    src = tmp_path / "customers.csv"
    df.to_csv(src, index=False)

    def segment(out: Path) -> list[str]:
        return [
            "segment",
            str(src),
            "-o",
            str(out),
            "--id",
            "customer_id",
            "--k",
            "3",
            "--silhouette-sample",
            "0",
            "--pseudonymize-id",
        ]

    # No key: refused as the ids are read, before any fit and before OUT is written.
    monkeypatch.delenv("SEGWISE_PSEUDONYM_KEY", raising=False)
    import segwise.cluster

    def no_fit(*args, **kwargs):
        raise AssertionError("segment fitted before pseudonymizing the ids")

    with monkeypatch.context() as m:
        m.setattr(segwise.cluster.KMeans, "fit", no_fit)
        assert main(segment(tmp_path / "none.csv")) == 2
    assert not (tmp_path / "none.csv").exists()

    monkeypatch.setenv("SEGWISE_PSEUDONYM_KEY", "k3y")
    assert main(segment(tmp_path / "a.csv")) == 0
    assert main(segment(tmp_path / "b.csv")) == 0
    text = (tmp_path / "a.csv").read_text()
    out = pd.read_csv(tmp_path / "a.csv")
    expected = [hmac.new(b"k3y", i.encode(), hashlib.sha256).hexdigest() for i in df["customer_id"]]
    assert out["customer_id"].tolist() == expected  # in the input's row order
    assert text == (tmp_path / "b.csv").read_text()  # stable for the same key
    assert "id-" not in text  # no raw id anywhere in OUT
    # The segments are those of the same command without pseudonyms.
    plain = [a for a in segment(tmp_path / "plain.csv") if a != "--pseudonymize-id"]
    assert main(plain) == 0
    np.testing.assert_array_equal(
        out["segment"].to_numpy(), pd.read_csv(tmp_path / "plain.csv")["segment"].to_numpy()
    )
    monkeypatch.setenv("SEGWISE_PSEUDONYM_KEY", "other")
    assert main(segment(tmp_path / "c.csv")) == 0
    other = pd.read_csv(tmp_path / "c.csv")["customer_id"]
    assert not set(other) & set(out["customer_id"])


def test_sql_command_runs_in_sqlite(saved, tmp_path, capsys) -> None:
    src, model_path, df = saved
    assert (
        main(["sql", "--model", str(model_path), "--dialect", "sqlite", "--id", "customer_id"]) == 0
    )
    sql = capsys.readouterr().out
    con = sqlite3.connect(":memory:")
    df.to_sql("customers", con, index=False)
    got = pd.read_sql_query(sql.rstrip().rstrip(";") + " ORDER BY customer_id", con)
    np.testing.assert_array_equal(got["segment"].to_numpy(), load_model(model_path).predict(df))


def test_sql_command_guards_small_segments(saved, capsys) -> None:
    # The model's segments hold hundreds of customers: a minimum above them all trips the
    # guard (error: one line, exit 2, nothing printed), and a minimum of 1 passes quietly.
    src, model_path, df = saved
    base = ["sql", "--model", str(model_path), "--dialect", "duckdb"]
    code = main([*base, "--min-segment-size", "100000", "--on-small-segment", "error"])
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    assert "smaller than min_segment_size=100000" in out.err and len(out.err.splitlines()) == 1
    with pytest.warns(PrivacyWarning, match="min_segment_size=100000"):
        assert main([*base, "--min-segment-size", "100000"]) == 0
    assert "SELECT" in capsys.readouterr().out
    assert main([*base, "--min-segment-size", "1"]) == 0
    assert "SELECT" in capsys.readouterr().out


def test_drift_exit_status(saved, tmp_path, capsys) -> None:
    src, model_path, df = saved
    assert main(["drift", "--model", str(model_path), str(src)]) == 0
    assert "stable: keep" in capsys.readouterr().out
    moved = df.assign(monetary=df["monetary"] * 3)
    moved_path = tmp_path / "moved.csv"
    moved.to_csv(moved_path, index=False)
    assert main(["drift", "--model", str(model_path), str(moved_path)]) == 1
    assert "drifted: review monetary" in capsys.readouterr().out


def test_deploy_commands_bad_input(saved, tmp_path, capsys) -> None:
    src, model_path, df = saved
    edited = tmp_path / "edited.json"
    edited.write_text(model_path.read_text().replace('"recency"', '"Recency"', 1))
    assert main(["sql", "--model", str(edited)]) == 2
    assert "checksum" in capsys.readouterr().err
    no_col = tmp_path / "no_col.csv"
    df.drop(columns="monetary").to_csv(no_col, index=False)
    assert (
        main(
            [
                "assign",
                "--model",
                str(model_path),
                str(no_col),
                str(tmp_path / "o.csv"),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "monetary" in capsys.readouterr().err


def test_demo_sends_nothing_and_writes_only_where_asked(tmp_path, monkeypatch) -> None:
    from segwise.demo import run_demo

    def no_network(*args, **kwargs):
        raise AssertionError("segwise tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    before = {p for p in Path(tmp_path).rglob("*") if p.is_file()}
    out = tmp_path / "report"
    run_demo(out=str(out), k_values=[3], random_state=0, verbose=False)
    written = {p for p in Path(tmp_path).rglob("*") if p.is_file()} - before
    assert any(out in p.parents for p in written)  # the report it was asked for
    unasked = [p for p in written if out not in p.parents and "mpl" not in p.parts]
    assert not unasked, f"the demo wrote files it was not asked to write: {unasked}"


def _mixed_customers(n: int, seed: int = 0) -> pd.DataFrame:
    df = _customers(n, seed)
    rng = np.random.default_rng(seed + 1)
    df["channel"] = rng.choice(["web", "shop", "app"], n)
    df["region"] = rng.integers(1, 4, n)  # codes, segmented as categorical (text levels)
    return df


@pytest.mark.parametrize("method", ["auto", "kmedoids"])
def test_mixed_models_save_assign_sql_drift(method, tmp_path, capsys) -> None:
    df = _mixed_customers(600)
    src = tmp_path / "customers.csv"
    df.to_csv(src, index=False)
    model = tmp_path / "model.json"
    seg_args = [
        "segment",
        str(src),
        "-o",
        str(tmp_path / "seg.csv"),
        "--id",
        "customer_id",
        "--k",
        "3",
        "--categorical",
        "channel",
        "region",
        "--log1p",
        "monetary",
        "--method",
        method,
        "--save",
        str(model),
    ]
    if method == "kmedoids":
        assert main(seg_args) == 2  # the medoids are customers' rows: opt-in first
        assert "--allow-customer-rows" in capsys.readouterr().err
        assert not model.exists()
        seg_args.append("--allow-customer-rows")
    assert main(seg_args) == 0
    capsys.readouterr()
    kind = load_model(model).steps[-1].kind
    assert kind == ("gower_medoids" if method == "kmedoids" else "prototypes")
    seg = pd.read_csv(tmp_path / "seg.csv", dtype={"customer_id": str})
    out = tmp_path / "scored.csv"
    args = ["assign", "--model", str(model), str(src), str(out), "--id", "customer_id"]
    assert main([*args, "--chunksize", "250", "--no-progress"]) == 0
    scored = pd.read_csv(out, dtype={"customer_id": str})
    np.testing.assert_array_equal(scored["segment"].to_numpy(), seg["segment"].to_numpy())
    # The SQL, run in SQLite on the table as read from the CSV (region as text).
    capsys.readouterr()
    assert main(["sql", "--model", str(model), "--dialect", "sqlite", "--id", "customer_id"]) == 0
    sql = capsys.readouterr().out.rstrip().rstrip(";")
    con = sqlite3.connect(":memory:")
    df.astype({"region": str}).to_sql("customers", con, index=False)
    got = pd.read_sql_query(sql + " ORDER BY customer_id", con)
    np.testing.assert_array_equal(got["segment"].to_numpy(), seg["segment"].to_numpy())
    assert main(["drift", "--model", str(model), str(src)]) == 0
    moved = df.assign(channel="web")
    moved.to_csv(tmp_path / "moved.csv", index=False)
    assert main(["drift", "--model", str(model), str(tmp_path / "moved.csv")]) == 1
    assert "channel" in capsys.readouterr().out
