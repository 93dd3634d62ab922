"""Score customers where they live: the model as one SQL SELECT (:func:`to_sql`)."""

from __future__ import annotations

from typing import Any

from ..exceptions import InvalidParameterError, UnsupportedModelError
from ._mixed import MixedStep
from ._model import SegmentModel, check_model_rows, check_segment_sizes
from ._steps import DIALECTS, CentroidStep, Dialect


def as_model(model: Any) -> SegmentModel:
    """A :class:`SegmentModel` from itself or from a fitted estimator."""
    return model if isinstance(model, SegmentModel) else SegmentModel.from_estimator(model)


def to_sql(
    model: Any,
    dialect: str = "duckdb",
    *,
    table: str = "customers",
    id_column: str | None = None,
    distance: bool = False,
    segment_column: str = "segment",
    allow_customer_rows: bool = False,
    min_segment_size: int = 10,
    on_small_segment: str = "warn",
) -> str:
    """One SQL SELECT that assigns every row of ``table`` to its segment, in the database.

    The query repeats the model's preprocessing (scalers, ``log1p``, one-hot / ordinal
    encodings) and the closest-centre rule: squared distances are summed feature by
    feature in the same order as segwise's kernel, and ties go to the lowest segment id
    (as ``argmin``), so on doubles the database gives exactly ``predict``'s answer (tests
    require 100% agreement in DuckDB and SQLite). Numbers are written so that they read
    back as the same doubles. ``log1p`` is written as ``LN(1 + x)``, which can differ from
    numpy's ``log1p`` in the last bit (SQLite needs its math functions, 3.35+).

    NULLs: a row with a NULL (or, for an encoder with ``handle_unknown="error"``, an
    unknown level) in a column the model uses gets a NULL segment, where ``predict``
    raises; with ``handle_unknown="ignore"`` an unknown or NULL level is encoded as all
    zeros, as scikit-learn does.

    Mixed-type models: ``KPrototypes`` / ``KModes`` write the cost (squared differences
    summed in the kernel's pairwise order, plus ``gamma`` times the mismatches),
    ``KMedoids`` Gower's distance (range-scaled differences capped at 1, mismatches,
    weighted and divided by the weights of the columns present, as the estimator) or the
    Euclidean distance to each medoid. Unseen levels and NULLs follow the estimator's
    ``unknown`` / ``missing`` policies: a row its ``predict`` refuses gets a NULL segment,
    otherwise the same segment (a NULL is a level with ``missing="level"``, is left out
    of Gower's distance with ``missing="ignore"``). ``distance=True`` outputs the cost or
    the distance to the medoid. Categorical columns are compared with the saved levels
    as literals (text, numbers, TRUE/FALSE): the column must have the type they had in
    ``fit``.

    Parameters
    ----------
    model : SegmentModel or fitted estimator
        What to write (a fitted estimator is converted with
        :meth:`SegmentModel.from_estimator`).
    dialect : {"duckdb", "sqlite", "postgres", "bigquery", "snowflake"}, default="duckdb"
        Quoting of names (backticks for BigQuery), the double type the inputs are cast
        to, and the row-wise minimum (``MIN`` in SQLite, ``LEAST`` elsewhere).
    table : str, default="customers"
        The table (or view) to score; ``"schema.table"`` is quoted part by part.
    id_column : str, optional
        A column copied to the output (the customer id).
    distance : bool, default=False
        Also output ``distance``: the Euclidean distance to the segment's centre.
    segment_column : str, default="segment"
        Name of the output column (``segment_name`` is added when the model has names).
    allow_customer_rows : bool, default=False
        Allow writing a k-medoids model, whose medoids are real customers' rows, into the
        query (not needed for a model loaded from a file saved with this permission).
    min_segment_size : int, default=10
        Segments with fewer training customers (the counts the model holds: from ``X=``,
        or the fitted estimator's ``labels_``) trigger ``on_small_segment``, as in
        :func:`save_model`: the query holds their centres.
    on_small_segment : {"warn", "error", "ignore"}, default="warn"
        :class:`~segwise.exceptions.PrivacyWarning`,
        :class:`~segwise.exceptions.PrivacyError`, or nothing.

    Returns
    -------
    str
        The SELECT statement (no trailing semicolon).

    Examples
    --------
    >>> import sqlite3
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import to_sql
    >>> X = pd.DataFrame({"spend": [1.0, 2.0, 40.0, 42.0] * 10})
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> con = sqlite3.connect(":memory:")
    >>> _ = X.assign(id=range(40)).to_sql("customers", con, index=False)
    >>> sql = to_sql(km, "sqlite", table="customers", id_column="id")
    >>> [s for _, s in con.execute(sql + " ORDER BY id")] == km.labels_.tolist()
    True
    """
    m = as_model(model)
    check_model_rows(m, allow_customer_rows, "write")
    check_segment_sizes(m, min_segment_size, on_small_segment, "written into the SQL")
    if not isinstance(dialect, str) or dialect not in DIALECTS:
        raise InvalidParameterError(f"dialect must be one of {sorted(DIALECTS)}, got {dialect!r}")
    d = DIALECTS[dialect]
    clusterer = m._require_clusterer()
    if not isinstance(table, str) or not table:
        raise InvalidParameterError("table must be a non-empty table name")
    inputs = {}
    for name, kind in zip(m.feature_names, m.feature_kinds, strict=True):
        col = d.ident(name)
        inputs[name] = d.as_double(col) if kind == "numeric" else col
    if isinstance(clusterer, MixedStep):
        exprs = clusterer.sql_features([inputs[n] for n in m.feature_names], d)
    elif m.branches is None:
        if m.has_categorical:  # pragma: no cover - an encoder alone is compiled as a branch
            raise UnsupportedModelError("encoders need a ColumnTransformer")
        exprs = [inputs[n] for n in m.feature_names]
    else:
        exprs = []
        for b in m.branches:
            part = [inputs[m.feature_names[p]] for p in b.columns]
            for s in b.steps:
                part = s.sql(part, d)
            exprs += part
    for s in m._pre:
        exprs = s.sql(exprs, d)

    # Three nested SELECTs: the features z, the squared distances d, the argmin.
    keep = [d.ident(id_column)] if id_column is not None else []
    z_cols = [f"{e} AS {d.ident(f'z{j}')}" for j, e in enumerate(exprs)]
    inner = f"SELECT {', '.join(keep + z_cols)}\n  FROM {d.table(table)}"
    zs = [d.ident(f"z{j}") for j in range(len(exprs))]
    dist = clusterer.sql(zs, d)
    valid = clusterer.sql_validity(zs) if isinstance(clusterer, MixedStep) else None
    if valid is not None:  # a row predict refuses: every distance NULL, so the segment too
        dist = [f"CASE WHEN {valid} THEN {e} END" for e in dist]
    ds = [d.ident(f"d{c}") for c in range(len(dist))]
    middle = (
        f"SELECT {', '.join(keep + [f'{e} AS {n}' for e, n in zip(dist, ds, strict=True)])}"
        f"\n  FROM ({inner}) AS z"
    )
    return _argmin_select(d, keep, ds, middle, m, distance, segment_column, clusterer)


def _argmin_select(
    d: Dialect,
    keep: list[str],
    ds: list[str],
    middle: str,
    m: SegmentModel,
    distance: bool,
    segment_column: str,
    clusterer: CentroidStep | MixedStep,
) -> str:
    best = f"{d.least}({', '.join(ds)})" if len(ds) > 1 else ds[0]
    # The first segment whose distance equals the minimum: argmin's lowest index on ties.
    # A NULL input makes every distance NULL, so no branch matches and the segment is NULL.
    whens = " ".join(f"WHEN {n} = {best} THEN {c}" for c, n in enumerate(ds))
    cols = [*keep, f"CASE {whens} END AS {d.ident(segment_column)}"]
    if m.segment_names is not None:
        names = " ".join(
            f"WHEN {n} = {best} THEN {d.text(name)}"
            for n, name in zip(ds, m.segment_names, strict=True)
        )
        cols.append(f"CASE {names} END AS {d.ident(segment_column + '_name')}")
    if distance:
        cols.append(f"{clusterer.sql_distance(best)} AS {d.ident('distance')}")
    return f"SELECT {', '.join(cols)}\nFROM ({middle}) AS d"
