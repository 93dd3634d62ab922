"""The ``segwise`` command line.

``segwise demo [--out DIR]`` runs the main job on the bundled real data and prints a
readable summary. Three pipeline commands work on your own files (CSV or Parquet in, CSV or
Parquet out, ``-`` for stdin/stdout):

* ``segwise rfm``: a transaction log -> one row per customer (recency, frequency, monetary
  value; optionally RFM scores and named segments);
* ``segwise segment``: a customer table -> scaling + k-means (k-prototypes with categorical
  columns) -> a ``segment`` column;
* ``segwise lift``: an experiment table -> per-segment lift of each arm against the control.

Four commands put a segmentation to work (:mod:`segwise.deploy`): ``segment --save
model.json`` keeps the fitted model; ``assign --model model.json IN OUT`` scores a file in
chunks (larger than memory is fine); ``sql --model model.json --dialect duckdb`` prints the
SELECT that scores customers inside the database; ``drift --model model.json IN`` prints
the PSI report and exits with status 1 past ``--threshold``.

Errors in the data are printed as one line, ``segwise: error: ...``, with exit code 2; so
are bad arguments (``segwise demo: error: argument --k: ...``), checked before any work.
``segwise COMMAND --help`` shows each command's options and examples.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from ._stats.inference import P_ADJUST_METHODS
from .exceptions import ColumnNotFoundError, SegwiseError


class _CliError(Exception):
    """A problem with the command's files or arguments; printed as one line, exit code 2."""


# --------------------------------------------------------------------------- files

_PARQUET_SUFFIXES = (".parquet", ".pq")


def _is_parquet(path: str) -> bool:
    return path.lower().endswith(_PARQUET_SUFFIXES)


def _require_pyarrow(path: str) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise _CliError(
            f'{path}: reading or writing Parquet needs pyarrow: pip install "segwise[parquet]"'
        ) from None


def _read_table(path: str, *, text_columns: Sequence[str] = ()) -> Any:
    """Read a CSV (any other name, ``-`` = stdin) or Parquet file (``.parquet``, ``.pq``).

    ``text_columns`` are read from CSV as text (ids such as "00042" keep their zeros, arm
    labels compare as typed on the command line).
    """
    import pandas as pd

    if path != "-" and not Path(path).is_file():
        what = "is a directory, not a file" if Path(path).is_dir() else "not found"
        raise _CliError(f"input file {path!r} {what}")
    try:
        if _is_parquet(path):
            _require_pyarrow(path)
            return pd.read_parquet(path)
        stdin_text = sys.stdin.read() if path == "-" else None  # stdin can be read once only
        head = pd.read_csv(_csv_source(path, stdin_text), nrows=0)
        dtype = {c: str for c in dict.fromkeys(text_columns) if c in head.columns}
        return pd.read_csv(_csv_source(path, stdin_text), dtype=dtype or None)
    except _CliError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        # pandas' ParserError/EmptyDataError and pyarrow's ArrowInvalid are ValueErrors.
        raise _CliError(f"could not read {path!r}: {_one_line(str(exc))}") from None


def _csv_source(path: str, stdin_text: str | None) -> Any:
    return path if stdin_text is None else io.StringIO(stdin_text)


def _write_table(df: Any, path: str, *, index: bool) -> None:
    """Write ``df`` as CSV (``-`` = stdout) or Parquet (by the file name's extension)."""
    try:
        if path == "-":
            df.to_csv(sys.stdout, index=index)
            sys.stdout.flush()
        elif _is_parquet(path):
            _require_pyarrow(path)
            df.to_parquet(path, index=index)
        else:
            df.to_csv(path, index=index)
    except BrokenPipeError:  # e.g. `segwise rfm ... -o - | head`
        raise
    except OSError as exc:
        raise _CliError(f"could not write {path!r}: {exc.strerror or exc}") from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _require(df: Any, columns: dict[str, Sequence[str]], path: str) -> None:
    """Every column named on the command line exists (the error names option and column)."""
    missing = [
        f"{option} {col!r}"
        for option, cols in columns.items()
        for col in cols
        if col not in df.columns
    ]
    if missing:
        available = ", ".join(map(str, df.columns[:30]))
        more = f" (and {len(df.columns) - 30} more)" if len(df.columns) > 30 else ""
        raise ColumnNotFoundError(
            f"column(s) not found in {path}: {'; '.join(missing)}; available: {available}{more}"
        )


def _log(stream: TextIO, text: str) -> None:
    print(text, file=stream)


# --------------------------------------------------------------------------- rfm


def _run_rfm(args: argparse.Namespace, err: TextIO) -> int:
    from .rfm import rfm_scores, rfm_table

    df = _read_table(args.input, text_columns=[args.customer])
    _require(
        df,
        {"--customer": [args.customer], "--date": [args.date], "--amount": [args.amount]},
        args.input,
    )
    table = rfm_table(
        df,
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        observation_end=args.observation_end,
        convention=args.convention,
        freq=args.freq,
        negative_amounts=args.negative_amounts,
        date_format=args.date_format,
    )
    if args.scores:
        monetary = "monetary_value" if args.convention == "btyd" else "monetary"
        scores = rfm_scores(
            table,
            bins=args.bins,
            monetary=monetary,
            segments=None if args.preset == "none" else args.preset,
        )
        table = table.join(scores)
    _write_table(table, args.output, index=True)
    _log(err, f"segwise rfm: {len(df):,} transactions -> {len(table):,} customers")
    if args.scores and "segment" in table.columns:
        counts = table["segment"].value_counts()
        _log(err, counts.rename_axis("segment").rename("customers").to_string())
    return 0


# --------------------------------------------------------------------------- segment


def _parse_k(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of segments >= 2 or 'auto', got {value!r}"
        ) from None
    if k < 2:
        raise argparse.ArgumentTypeError(f"the number of segments must be >= 2, got {k}")
    return k


def _choose_k(X: Any, k_min: int, k_max: int, seed: int, err: TextIO, estimator: Any = None) -> int:
    from . import stability

    choose_k = getattr(stability, "choose_k", None)
    if choose_k is None:
        raise _CliError(
            "--k auto is not available yet in this version of segwise "
            "(segwise.stability.choose_k is missing); give a number, e.g. --k 4"
        )
    kwargs = {} if estimator is None else {"estimator": estimator}
    result = choose_k(X, range(k_min, k_max + 1), random_state=seed, **kwargs)
    summary = getattr(result, "summary", None)
    if callable(summary):
        _log(err, summary())
    return int(result.recommended_k)


def _parse_date(value: str) -> Any:
    import pandas as pd

    try:
        return pd.Timestamp(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2024-06-30, got {value!r}"
        ) from None


def _parse_count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value!r}")
    return n


def _parse_seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**64:
        raise argparse.ArgumentTypeError(f"expected a seed, an int in 0..2**64-1, got {value!r}")
    return seed


#: The demo's CDNOW customers make 2..50 segments meaningful (choose_k refits each k).
_DEMO_MAX_K = 50


def _parse_demo_k(value: str) -> int:
    try:
        k = int(value)
    except ValueError:
        k = -1
    if not 2 <= k <= _DEMO_MAX_K:
        raise argparse.ArgumentTypeError(
            f"expected a number of segments in 2..{_DEMO_MAX_K}, got {value!r}"
        )
    return k


def _parse_out_dir(value: str) -> str:
    """A directory that exists and is writable, or can be created (checked before any work,
    so that a bad --out fails in a second, not after the whole demo)."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a file, not a directory")
    parent = path
    while not parent.exists():  # the nearest existing ancestor, where DIR would be created
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} cannot be created: {str(parent)!r} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{str(parent)!r} is not writable")
    return value


_SCALERS = {
    "standard": "StandardScaler",
    "robust": "RobustScaler",
    "minmax": "MinMaxScaler",
}


def _run_segment(args: argparse.Namespace, err: TextIO) -> int:
    import numpy as np
    import pandas as pd

    from . import preprocessing
    from .cluster import KMeans, KMedoids, KPrototypes
    from .metrics import silhouette_score

    if args.pseudonymize_id and not args.id:
        raise _CliError("--pseudonymize-id needs --id (the column to pseudonymize)")
    text = ([args.id] if args.id else []) + list(args.categorical)
    df = _read_table(args.input, text_columns=text)
    columns: dict[str, Sequence[str]] = {
        "--features": args.features or [],
        "--log1p": args.log1p,
        "--categorical": args.categorical,
    }
    if args.id:
        columns["--id"] = [args.id]
    _require(df, columns, args.input)
    if args.pseudonymize_id:
        # On the way in: the raw ids are replaced as soon as they are read, before any
        # other step sees them (a missing key stops here, before the fit).
        df[args.id] = _pseudonymize_ids(df[args.id])
    if args.features:
        features = list(dict.fromkeys(args.features))
    else:
        # Default: every numeric column but the id, and the --categorical columns.
        features = [
            c
            for c in df.columns
            if c != args.id
            and (
                c in args.categorical
                or (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
            )
        ]
        if not features:
            raise _CliError(
                f"{args.input} has no numeric column to segment on; use --features or --categorical"
            )
        _log(err, f"segwise segment: features: {', '.join(map(str, features))}")
    # Categorical: the --categorical columns and every text/bool feature (by dtype).
    categorical = [
        c
        for c in features
        if c in args.categorical
        or not pd.api.types.is_numeric_dtype(df[c])
        or pd.api.types.is_bool_dtype(df[c])
    ]
    numeric = [c for c in features if c not in categorical]
    for option, cols in (("--log1p", args.log1p), ("--categorical", args.categorical)):
        missing = [c for c in cols if c not in features]
        if missing:
            raise _CliError(f"{option} column(s) {missing} are not among the features")
    bad_log = [c for c in args.log1p if c in categorical]
    if bad_log:
        raise _CliError(f"--log1p column(s) {bad_log} are categorical")
    if args.save and args.method == "kmedoids" and not args.allow_customer_rows:
        raise _CliError(
            "--save with --method kmedoids: the model file would hold the medoids, real "
            "customers' rows; add --allow-customer-rows to save them anyway"
        )
    if args.id and args.id in features:
        raise _CliError(f"the --id column {args.id!r} cannot also be a feature")
    if args.k_range[0] < 2 or args.k_range[1] < args.k_range[0]:
        raise _CliError(f"--k-range needs 2 <= KMIN <= KMAX, got {args.k_range}")

    X = df[numeric]
    fitted_steps: list[Any] = []  # kept for --save
    if args.log1p:
        fitted_steps.append(preprocessing.Log1pTransformer(columns=list(args.log1p)))
        X = fitted_steps[-1].fit_transform(X)
    if args.scale != "none" and numeric:
        fitted_steps.append(getattr(preprocessing, _SCALERS[args.scale])())
        X = fitted_steps[-1].fit_transform(X)

    k = args.k
    if args.method == "kmedoids":
        # Gower distance on the (scaled) numeric and the categorical columns.
        table = pd.concat([X, df[categorical].astype("category")], axis=1)[features]
        # FasterPAM on the full n x n matrix up to 10,000 rows, CLARA's samples beyond.
        method = "fasterpam" if len(table) <= 10_000 else "clara"
        medoids = KMedoids(n_clusters=2, metric="gower", method=method, random_state=args.seed)
        if k == "auto":
            k = _choose_k(table, args.k_range[0], args.k_range[1], args.seed, err, medoids)
            _log(err, f"segwise segment: --k auto chose k = {k}")
        medoids.n_clusters = k
        fitted = medoids.fit(table)
        labels = np.asarray(fitted.labels_)
        final: Any = fitted
        fit_text = f"KMedoids ({method}, Gower) sum of distances = {fitted.inertia_:.6g}"
    elif categorical:
        # Numeric and categorical columns: k-prototypes (k-modes when all are categorical).
        X = pd.concat([X, df[categorical].astype("category")], axis=1)[features]
        proto = KPrototypes(n_clusters=2, categorical=categorical, random_state=args.seed)
        if k == "auto":
            k = _choose_k(X, args.k_range[0], args.k_range[1], args.seed, err, proto)
            _log(err, f"segwise segment: --k auto chose k = {k}")
        proto.n_clusters = k
        model = proto.fit(X)
        labels = np.asarray(model.labels_)
        final = model
        fit_text = f"KPrototypes cost = {model.cost_:.6g}, gamma = {model.gamma_:.4g}"
    else:
        if k == "auto":
            k = _choose_k(X, args.k_range[0], args.k_range[1], args.seed, err)
            _log(err, f"segwise segment: --k auto chose k = {k}")
        km = KMeans(n_clusters=k, random_state=args.seed).fit(X)
        labels = np.asarray(km.labels_)
        final = km
        fit_text = f"inertia = {km.inertia_:.6g}"

    ids = df[args.id] if args.id else pd.Series(df.index, index=df.index, name="row")
    out = pd.DataFrame({ids.name: ids.to_numpy(), "segment": labels})
    _write_table(out, args.output, index=False)
    if args.save:
        _save_segment_model([*fitted_steps, final], df[features], args.save, err)

    sizes = pd.Series(labels).value_counts().sort_index()
    table = pd.DataFrame({"customers": sizes, "share": (sizes / len(labels)).round(4)})
    table.index.name = "segment"
    _log(err, f"segwise segment: {len(labels):,} rows, k = {k}, {fit_text}")
    _log(err, table.to_string())
    if args.silhouette_sample != 0 and not categorical and args.method == "auto":
        sample = args.silhouette_sample if len(labels) > args.silhouette_sample else None
        score = silhouette_score(X, labels, sample_size=sample, random_state=args.seed)
        on = f" (on a sample of {sample:,} rows)" if sample else ""
        _log(err, f"silhouette = {score:.4f}{on}")
    return 0


# --------------------------------------------------------------------------- deploy

_KEY_ENV = "SEGWISE_PSEUDONYM_KEY"


def _pseudonymize_ids(ids: Any) -> Any:
    from .deploy import pseudonymize

    key = os.environ.get(_KEY_ENV, "")
    if not key:
        raise _CliError(
            f"--pseudonymize-id needs the secret key in the environment variable {_KEY_ENV} "
            "(never on the command line, where shell history would keep it)"
        )
    return pseudonymize(ids, key)


def _save_segment_model(steps: list[Any], X: Any, path: str, err: TextIO) -> None:
    from .deploy import save_model

    try:
        # k-medoids' opt-in was checked before the fit (--allow-customer-rows).
        save_model(steps, path, X=X, allow_customer_rows=True)
    except OSError as exc:
        raise _CliError(f"could not write {path!r}: {exc.strerror or exc}") from None
    _log(err, f"segwise segment: model saved to {path}")


def _load(path: str) -> Any:
    from .deploy import load_model

    return load_model(path)


def _text_features(model: Any) -> list[str]:
    """Categorical features whose saved levels are all text: read as text from a CSV
    (a column of codes such as 1, 2, 3 segmented with --categorical has the levels
    "1", "2", "3")."""
    levels = getattr(model.steps[-1], "levels", None) if model.steps else None
    if levels is None:
        return []
    cats = [
        n
        for n, k in zip(model.feature_names, model.feature_kinds, strict=True)
        if k == "categorical"
    ]
    return [
        c
        for c, lv in zip(cats, levels, strict=True)
        if lv and all(isinstance(v, str) for v in lv if v is not None)
    ]


def _count_csv_rows(path: str) -> int:
    lines = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _chunks(path: str, chunksize: int, text_columns: Sequence[str]) -> tuple[int, Any]:
    """(number of rows, an iterator of DataFrames of at most ``chunksize`` rows)."""
    import pandas as pd

    if not Path(path).is_file():
        raise _CliError(f"input file {path!r} not found")
    if _is_parquet(path):
        _require_pyarrow(path)
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        return pf.metadata.num_rows, (b.to_pandas() for b in pf.iter_batches(batch_size=chunksize))
    head = pd.read_csv(path, nrows=0)
    dtype = {c: str for c in text_columns if c in head.columns}
    return _count_csv_rows(path), pd.read_csv(path, chunksize=chunksize, dtype=dtype or None)


def _run_assign(args: argparse.Namespace, err: TextIO) -> int:
    import pandas as pd

    from ._progress import progress

    model = _load(args.model)
    if args.chunksize < 1:
        raise _CliError(f"--chunksize must be >= 1, got {args.chunksize}")
    if args.pseudonymize_id and not args.id:
        raise _CliError("--pseudonymize-id needs --id")
    text = ([args.id] if args.id else []) + _text_features(model)
    total, chunks = _chunks(args.input, args.chunksize, text)
    out_parquet = _is_parquet(args.output)
    writer: Any = None
    n_rows, counts = 0, None
    try:
        with progress(total, "segwise assign", None if args.progress else False) as advance:
            for chunk in chunks:
                if args.id and args.id not in chunk.columns:
                    raise ColumnNotFoundError(f"--id column {args.id!r} not in {args.input}")
                if args.pseudonymize_id:  # on the way in, as `segment` does
                    chunk[args.id] = _pseudonymize_ids(chunk[args.id])
                labels = model.predict(chunk)
                cols: dict[str, Any] = {}
                if args.id:
                    cols[args.id] = chunk[args.id].to_numpy()
                else:
                    cols["row"] = range(n_rows, n_rows + len(chunk))
                cols["segment"] = labels
                if model.segment_names is not None:
                    cols["segment_name"] = [model.segment_names[i] for i in labels]
                if args.distance:
                    cols["distance"] = model.distance(chunk)
                frame = pd.DataFrame(cols)
                if out_parquet:
                    import pyarrow as pa
                    import pyarrow.parquet as pq

                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(args.output, table.schema)
                    writer.write_table(table)
                else:
                    frame.to_csv(
                        args.output if args.output != "-" else sys.stdout,
                        mode="w" if n_rows == 0 else "a",
                        header=n_rows == 0,
                        index=False,
                    )
                import numpy as np

                c = np.bincount(labels, minlength=model.n_segments)
                counts = c if counts is None else counts + c
                n_rows += len(chunk)
                advance(len(chunk))
    except OSError as exc:
        raise _CliError(f"could not write {args.output!r}: {exc.strerror or exc}") from None
    finally:
        if writer is not None:
            writer.close()
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the CSV reader's file, also when a chunk failed
    _log(err, f"segwise assign: {n_rows:,} rows scored with {args.model}")
    if counts is not None:
        _log(err, pd.Series(counts, name="customers").rename_axis("segment").to_string())
    return 0


def _run_sql(args: argparse.Namespace, err: TextIO) -> int:
    from .deploy import to_sql

    sql = to_sql(
        _load(args.model),
        args.dialect,
        table=args.table,
        id_column=args.id,
        distance=args.distance,
        min_segment_size=args.min_segment_size,
        on_small_segment=args.on_small_segment,
    )
    if args.output in (None, "-"):
        print(sql + ";")
    else:
        try:
            Path(args.output).write_text(sql + ";\n", encoding="utf-8")
        except OSError as exc:
            raise _CliError(f"could not write {args.output!r}: {exc.strerror or exc}") from None
    return 0


def _run_drift(args: argparse.Namespace, err: TextIO) -> int:
    from .deploy import drift_check

    model = _load(args.model)
    df = _read_table(args.input, text_columns=_text_features(model))
    report = drift_check(model, df, threshold=args.threshold)
    print(report.summary())
    return 1 if report.exceeded else 0


# --------------------------------------------------------------------------- lift


def _match_label(values: Any, wanted: str, option: str, column: str) -> Any:
    """The value of ``column`` that prints as ``wanted`` (CSV text, Parquet ints, ...)."""
    import pandas as pd

    labels = list(pd.unique(values.dropna()))
    for v in labels:
        if v == wanted or str(v) == wanted:
            return v
    shown = ", ".join(repr(str(v)) for v in labels[:20])
    raise _CliError(f"{option} {wanted!r} is not a value of column {column!r}; values: {shown}")


def _run_lift(args: argparse.Namespace, err: TextIO) -> int:
    from .abtest import segment_lift

    text = [args.arm] + ([args.segment] if args.segment else [])
    df = _read_table(args.input, text_columns=text)
    columns = {"--arm": [args.arm], "--metrics": args.metrics}
    if args.segment:
        columns["--segment"] = [args.segment]
    _require(df, columns, args.input)
    control = _match_label(df[args.arm], args.control, "--control", args.arm)
    report = segment_lift(
        df,
        segment=args.segment,
        variant=args.arm,
        control=control,
        metrics=list(dict.fromkeys(args.metrics)),
        alpha=args.alpha,
        adjust=args.correction,
        winsorize=args.winsorize,
    )
    _write_table(report.table, args.output, index=False)
    _log(err, report.summary())
    return 0


# --------------------------------------------------------------------------- parser

_RFM_EXAMPLES = """\
examples:
  segwise rfm orders.csv -o rfm.csv --customer customer_id --date order_date --amount total
  segwise rfm orders.parquet -o - --customer cid --date ts --amount value \\
      --scores --preset rfm_package > rfm_segments.csv
  segwise rfm orders.csv -o btyd.csv --customer cid --date day --amount value \\
      --convention btyd --freq W --observation-end 2024-06-30

The output has one row per customer (indexed by the customer column). With --scores it
also has r_score, f_score, m_score, rfm_cell, rfm_score and the named segment.
"""

_SEGMENT_EXAMPLES = """\
examples:
  segwise segment rfm.csv -o segments.csv --id customer_id --k 4 \\
      --features recency frequency monetary --log1p frequency monetary
  segwise segment customers.parquet -o - --k 5 --scale robust --seed 1
  segwise segment rfm.csv -o segments.csv --id customer_id --k auto --k-range 2 8
  segwise segment hillstrom.csv -o - --k 4 --features recency history mens womens \
      zip_code newbie channel --categorical mens womens newbie --log1p history
  segwise segment hillstrom.csv -o - --k 4 --method kmedoids --features recency history \
      zip_code channel --log1p history

Writes two columns: the id (--id, else the row number as "row") and "segment". The
segment sizes and the silhouette (numeric features) are printed to stderr. With
categorical features (text columns, or --categorical) the rows are segmented by
k-prototypes: squared distance on the scaled numeric columns plus gamma per categorical
mismatch. --method kmedoids segments by k-medoids on the Gower distance instead.
"""

_LIFT_EXAMPLES = """\
examples:
  segwise lift experiment.csv -o lift.csv --segment persona --arm variant --control control \\
      --metrics converted revenue
  segwise lift hillstrom.csv -o - --segment zip_code --arm segment --control "No E-Mail" \\
      --metrics visit conversion spend --correction holm --alpha 0.01

To test your own segments, join the output of `segwise segment` to the experiment first.
Writes one row per segment x metric x treatment arm (plus "(all)" rows); the summary goes
to stderr.
"""


_Formatter = argparse.RawDescriptionHelpFormatter  # keeps the examples' line breaks


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line (``segwise demo: error: argument --k: ...``), exit
    code 2, like the data errors; ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


def _add_io(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("input", metavar="IN", help=f"{what} (.csv, or .parquet/.pq; '-' = stdin CSV)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="output file (.csv, or .parquet/.pq; '-' = stdout CSV)",
    )


_DEPLOY_EXAMPLES = """\
examples:
  segwise segment rfm.csv -o segments.csv --id customer_id --k 5 --save model.json
  segwise assign --model model.json customers.parquet scored.parquet --id customer_id
  segwise sql --model model.json --dialect bigquery --table crm.customers --id customer_id
  segwise drift --model model.json customers_today.csv || echo "segments drifted"
"""


def _add_deploy_commands(sub: Any) -> None:
    assign = sub.add_parser(
        "assign",
        help="score a customer file with a saved model (streamed in chunks)",
        description="Assign every row of IN to its segment with a model file written by\n"
        "`segwise segment --save` or segwise.deploy.save_model; the file is read in chunks,\n"
        "so files larger than memory work.",
        epilog=_DEPLOY_EXAMPLES,
        formatter_class=_Formatter,
    )
    assign.add_argument("--model", metavar="MODEL", required=True, help="model file (JSON)")
    assign.add_argument("input", metavar="IN", help="customers (.csv, or .parquet/.pq)")
    assign.add_argument("output", metavar="OUT", help="output (.csv, .parquet/.pq, '-' = stdout)")
    assign.add_argument("--id", metavar="COL", default=None, help="id column copied to OUT")
    assign.add_argument(
        "--pseudonymize-id",
        action="store_true",
        help="replace the --id column by keyed HMAC-SHA256 pseudonyms as it is read, before "
        f"anything else (key from ${_KEY_ENV})",
    )
    assign.add_argument("--distance", action="store_true", help="also write the distance")
    assign.add_argument(
        "--chunksize", type=int, default=100_000, metavar="N", help="rows per chunk"
    )
    assign.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )
    sql = sub.add_parser(
        "sql",
        help="print the SQL SELECT that assigns segments inside a database",
        description="Write a saved model as one SQL SELECT (segwise.deploy.to_sql).",
        epilog=_DEPLOY_EXAMPLES,
        formatter_class=_Formatter,
    )
    sql.add_argument("--model", metavar="MODEL", required=True, help="model file (JSON)")
    sql.add_argument(
        "--dialect",
        choices=["duckdb", "sqlite", "postgres", "bigquery", "snowflake"],
        default="duckdb",
        help="SQL dialect (default: %(default)s)",
    )
    sql.add_argument("--table", default="customers", help="table to score (default: %(default)s)")
    sql.add_argument("--id", metavar="COL", default=None, help="id column to keep")
    sql.add_argument("--distance", action="store_true", help="also output the distance")
    sql.add_argument(
        "--min-segment-size",
        type=int,
        default=10,
        metavar="N",
        help="segments with fewer training customers trigger --on-small-segment "
        "(default: %(default)s)",
    )
    sql.add_argument(
        "--on-small-segment",
        choices=["warn", "error", "ignore"],
        default="warn",
        help="what a segment below --min-segment-size does (default: %(default)s)",
    )
    sql.add_argument("-o", "--output", metavar="OUT", default=None, help="file (default stdout)")
    drift = sub.add_parser(
        "drift",
        help="PSI of today's customers against a saved model's reference; exit 1 past a threshold",
        description="Population stability index of each feature and of the segment shares\n"
        "against the training reference stored in the model file (segwise.deploy.drift_check).\n"
        "Exit status 1 when a PSI reaches --threshold, so a scheduled job can alert.",
        epilog=_DEPLOY_EXAMPLES,
        formatter_class=_Formatter,
    )
    drift.add_argument("--model", metavar="MODEL", required=True, help="model file (JSON)")
    drift.add_argument("input", metavar="IN", help="today's customers (.csv or .parquet)")
    drift.add_argument(
        "--threshold", type=float, default=0.25, help="PSI alert level (default: %(default)s)"
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="segwise",
        description="Customer segmentation with a Rust core: scaling, k-means, segment quality.",
    )
    parser.add_argument("--version", action="version", version=f"segwise {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="segment the bundled CDNOW customers, then measure per-segment e-mail lift "
        "on Hillstrom",
        description=(
            "Per-customer recency / frequency / monetary value from the CDNOW transaction "
            "log -> log1p + standard scaling -> choose k (every criterion, a recommended k "
            "and why) -> k-means -> bootstrap stability per segment -> migration and PSI "
            "between the end of 1997 and the end of the log -> personas. Then Hillstrom's "
            "e-mail test: k-means segments from the pre-treatment columns and the lift of "
            "each e-mail against no e-mail on visit, conversion and spend, per segment."
        ),
    )
    demo.add_argument(
        "--out",
        metavar="DIR",
        type=_parse_out_dir,
        default=None,
        help="also write the tables as CSV and an HTML report with the plots into DIR "
        "(created if needed)",
    )
    demo.add_argument(
        "--k",
        metavar="K",
        type=_parse_demo_k,
        nargs="+",
        default=[2, 3, 4, 5, 6, 7, 8],
        help=f"numbers of segments to compare, each 2..{_DEMO_MAX_K} (default: 2 3 4 5 6 7 8)",
    )
    demo.add_argument(
        "--seed", type=_parse_seed, default=0, help="random seed, an int >= 0 (default: 0)"
    )

    rfm = sub.add_parser(
        "rfm",
        help="transaction log -> recency, frequency, monetary value (and scores) per customer",
        description="Summarise a transaction log per customer (segwise.rfm.rfm_table) and\n"
        "optionally score it 1..BINS with named segments (segwise.rfm.rfm_scores).",
        epilog=_RFM_EXAMPLES,
        formatter_class=_Formatter,
    )
    _add_io(rfm, "transaction log, one row per transaction")
    rfm.add_argument("--customer", metavar="COL", required=True, help="customer id column")
    rfm.add_argument("--date", metavar="COL", required=True, help="transaction date column")
    rfm.add_argument("--amount", metavar="COL", required=True, help="transaction amount column")
    rfm.add_argument(
        "--convention",
        choices=["segmentation", "btyd"],
        default="segmentation",
        help="'segmentation': frequency counts every purchase, monetary = total spend; "
        "'btyd': lifetimes' summary_data_from_transaction_data (repeat purchases, T) "
        "(default: %(default)s)",
    )
    rfm.add_argument(
        "--freq",
        choices=["D", "W", "h"],
        default="D",
        help="period: day, week or hour (default: %(default)s)",
    )
    rfm.add_argument(
        "--observation-end",
        metavar="DATE",
        type=_parse_date,
        default=None,
        help="end of the observation window (default: the last transaction date)",
    )
    rfm.add_argument(
        "--negative-amounts",
        choices=["net", "drop", "raise"],
        default="net",
        help="returns/refunds: net them out, drop those rows, or fail (default: %(default)s)",
    )
    rfm.add_argument(
        "--date-format",
        metavar="FMT",
        default=None,
        help="strftime format of the dates, e.g. %%Y%%m%%d (default: inferred)",
    )
    rfm.add_argument("--scores", action="store_true", help="add RFM scores and named segments")
    rfm.add_argument(
        "--bins", type=int, default=5, help="score levels (with --scores; default: %(default)s)"
    )
    rfm.add_argument(
        "--preset",
        choices=["rf_map", "rfm_package", "none"],
        default="rf_map",
        help="named segments (with --scores; default: %(default)s; the presets assume --bins 5)",
    )

    seg = sub.add_parser(
        "segment",
        help="customer table -> scaling + k-means/k-prototypes -> a segment per row",
        description="Scale the feature columns (optionally log1p first) and cluster the rows\n"
        "with segwise.cluster.KMeans, or with segwise.cluster.KPrototypes when some\n"
        "features are categorical.",
        epilog=_SEGMENT_EXAMPLES,
        formatter_class=_Formatter,
    )
    _add_io(seg, "one row per customer")
    seg.add_argument(
        "--k",
        type=_parse_k,
        required=True,
        metavar="K",
        help="number of segments, or 'auto' (segwise.stability.choose_k over --k-range)",
    )
    seg.add_argument(
        "--k-range",
        type=int,
        nargs=2,
        metavar=("KMIN", "KMAX"),
        default=[2, 10],
        help="the k tried by --k auto (default: 2 10)",
    )
    seg.add_argument(
        "--features",
        metavar="COL",
        nargs="+",
        default=None,
        help="feature columns (default: every numeric column but --id, and --categorical)",
    )
    seg.add_argument(
        "--categorical",
        metavar="COL",
        nargs="+",
        default=[],
        help="categorical feature columns (text and true/false features are categorical "
        "anyway); with any, the rows are clustered by segwise.cluster.KPrototypes on the "
        "scaled numeric and the categorical columns",
    )
    seg.add_argument(
        "--method",
        choices=["auto", "kmedoids"],
        default="auto",
        help="auto: k-means, or k-prototypes when some features are categorical; kmedoids: "
        "segwise.cluster.KMedoids on the Gower distance of the scaled numeric and the "
        "categorical columns (FasterPAM up to 10,000 rows, CLARA beyond; a medoid is a real "
        "customer's row) (default: %(default)s)",
    )
    seg.add_argument(
        "--log1p",
        metavar="COL",
        nargs="+",
        default=[],
        help="features to transform with log1p before scaling (skewed money columns)",
    )
    seg.add_argument(
        "--scale",
        choices=["standard", "robust", "minmax", "none"],
        default="standard",
        help="scaler applied to all features (default: %(default)s)",
    )
    seg.add_argument("--id", metavar="COL", default=None, help="id column copied to the output")
    seg.add_argument(
        "--seed",
        type=_parse_seed,
        default=0,
        help="random seed of the clustering, an int >= 0 (default: %(default)s)",
    )
    seg.add_argument(
        "--silhouette-sample",
        type=_parse_count,
        default=20_000,
        metavar="N",
        help="silhouette on a seeded sample of N rows when there are more; 0 skips it "
        "(default: %(default)s)",
    )

    seg.add_argument(
        "--save",
        metavar="MODEL",
        default=None,
        help="also save the fitted model (log1p, scaler, k-means / k-prototypes / k-medoids) "
        "as a JSON model file for `segwise assign`, `segwise sql` and `segwise drift`",
    )
    seg.add_argument(
        "--allow-customer-rows",
        action="store_true",
        help="with --method kmedoids --save: allow the model file to hold the medoids, which "
        "are real customers' rows",
    )
    seg.add_argument(
        "--pseudonymize-id",
        action="store_true",
        help="replace the --id column by keyed HMAC-SHA256 pseudonyms as it is read, before "
        f"anything else (key from ${_KEY_ENV})",
    )
    _add_deploy_commands(sub)

    lift = sub.add_parser(
        "lift",
        help="experiment table -> per-segment lift of each arm against the control",
        description="Per-segment A/B/n lift (segwise.abtest.segment_lift): means, absolute and\n"
        "relative lift with confidence intervals, adjusted p-values, sample-ratio checks.",
        epilog=_LIFT_EXAMPLES,
        formatter_class=_Formatter,
    )
    _add_io(lift, "one row per randomized unit (customer)")
    lift.add_argument(
        "--segment", metavar="COL", default=None, help="segment column (default: overall only)"
    )
    lift.add_argument("--arm", metavar="COL", required=True, help="arm (variant) column")
    lift.add_argument(
        "--control", metavar="VALUE", required=True, help="the control arm's value in --arm"
    )
    lift.add_argument(
        "--metrics",
        metavar="COL",
        nargs="+",
        required=True,
        help="metric columns (0/1 columns are tested as proportions, others with Welch's t)",
    )
    lift.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="for the intervals and the significance flag (default: %(default)s)",
    )
    lift.add_argument(
        "--correction",
        choices=list(P_ADJUST_METHODS),
        default="bh",
        help="multiple-testing correction over segments x metrics x arms (default: %(default)s)",
    )
    lift.add_argument(
        "--winsorize",
        type=float,
        default=None,
        metavar="Q",
        help="cap continuous metrics at this pooled quantile, e.g. 0.99",
    )
    return parser


def _run_demo(args: argparse.Namespace, err: TextIO) -> int:
    from .demo import run_demo

    if args.out is not None:
        # Made before any work, so that an --out that cannot be written fails at once.
        try:
            Path(args.out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _CliError(f"--out {args.out!r}: {exc.strerror or exc}") from None
    try:
        run_demo(out=args.out, k_values=args.k, random_state=args.seed)
    except OSError as exc:  # the disk filled up, the directory went away...
        if args.out is None:
            raise
        raise _CliError(f"could not write the report to {args.out!r}: {exc}") from None
    return 0


_COMMANDS = {
    "demo": _run_demo,
    "rfm": _run_rfm,
    "segment": _run_segment,
    "lift": _run_lift,
    "assign": _run_assign,
    "sql": _run_sql,
    "drift": _run_drift,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``segwise`` command; returns the exit code.

    Examples
    --------
    >>> from segwise.cli import main
    >>> main(["lift", "no-such-file.csv", "-o", "-", "--arm", "a", "--control", "c",
    ...       "--metrics", "m"])  # stderr: segwise: error: input file ... not found
    2
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command in _COMMANDS:
        try:
            return _COMMANDS[args.command](args, sys.stderr)
        except (SegwiseError, _CliError) as exc:
            print(f"segwise: error: {_one_line(str(exc))}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): point stdout at /dev/null so that
            # the interpreter's final flush does not fail again (Python docs' recipe).
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError, io.UnsupportedOperation):  # pragma: no cover
                pass
            return 1
    parser.print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
