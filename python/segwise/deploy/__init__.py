"""Put a segmentation to work: a model file, SQL for the warehouse, one-customer scoring,
drift checks and pseudonymous ids.

* :func:`save_model` / :func:`load_model`: a JSON model file (schema version, SHA-256
  checksum, numbers that round-trip exactly, no pickle: loading runs no code) for a fitted
  segwise estimator (k-means, and the mixed-type k-prototypes, k-modes and k-medoids) or a
  scikit-learn ``Pipeline`` / ``ColumnTransformer`` of supported steps. The loaded
  :class:`SegmentModel` predicts exactly what the fitted model does.
* :func:`to_sql`: one SELECT that assigns segments inside DuckDB, SQLite, PostgreSQL,
  BigQuery or Snowflake.
* :func:`to_onnx`: a numeric model (scalers, k-means, Euclidean k-medoids) as an ONNX
  graph for ONNX Runtime (optional ``onnx`` package); :func:`register_skl2onnx` lets
  ``skl2onnx.to_onnx`` convert Pipelines holding segwise's scalers and k-means.
* :meth:`SegmentModel.predict_one`: a customer as a dict, scored in microseconds.
* :func:`drift_check`: PSI of the features and segment shares against the reference
  distributions stored in the model file.
* :func:`refresh`: refit on today's customers from the old centres, keeping the segment
  ids (Hungarian matching), with a :class:`RefreshReport` (migration, PSI, born/vanished
  segments, a verdict in words).
* :func:`pseudonymize`: keyed HMAC-SHA256 of customer ids.

Nothing here sends data anywhere or writes a file it was not asked to write; model files
hold aggregates only (centres, scaler statistics, category levels, decile edges, counts),
with a warning or error (``min_segment_size``) for segments so small that a centre comes
close to one customer's row.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> import pandas as pd
>>> from sklearn.pipeline import make_pipeline
>>> from segwise.cluster import KMeans
>>> from segwise.preprocessing import StandardScaler
>>> from segwise.deploy import load_model, save_model
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.gamma(2.0, 50.0, size=(500, 3)), columns=["r", "f", "m"])
>>> pipe = make_pipeline(StandardScaler(), KMeans(n_clusters=4, random_state=0)).fit(X)
>>> with tempfile.TemporaryDirectory() as d:
...     path = save_model(pipe, pathlib.Path(d) / "segments.json", X=X)
...     model = load_model(path)
>>> bool((model.predict(X) == pipe.predict(X)).all())
True
>>> model.predict_one({"r": 10.0, "f": 80.0, "m": 120.0}) in range(4)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import InvalidParameterError, ModelFileError
from . import _mixed  # noqa: F401  (registers KPrototypes, KModes, KMedoids)
from ._drift import DriftReport, drift_check
from ._model import (
    SCHEMA_VERSION,
    SegmentModel,
    fingerprint,
)
from ._model import (
    check_customer_rows as _check_customer_rows,
)
from ._model import (
    loads_file as _loads_file,
)
from ._onnx import register_skl2onnx, to_onnx
from ._privacy import pseudonymize
from ._refresh import RefreshReport, refresh
from ._sql import to_sql
from ._steps import Step, register_step

__all__ = [
    "SCHEMA_VERSION",
    "DriftReport",
    "RefreshReport",
    "SegmentModel",
    "Step",
    "drift_check",
    "fingerprint",
    "load_model",
    "pseudonymize",
    "refresh",
    "register_skl2onnx",
    "register_step",
    "save_model",
    "to_onnx",
    "to_sql",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


def save_model(
    model: Any,
    path: str | Path,
    *,
    X: Any = None,
    segment_names: Sequence[str] | Mapping[int, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    min_segment_size: int = 10,
    on_small_segment: str = "warn",
    allow_customer_rows: bool = False,
) -> Path:
    """Save a fitted segmentation as a JSON model file.

    The file holds a format tag, the schema version, a SHA-256 checksum of the payload
    (an edited or truncated file is refused by :func:`load_model`) and the payload: input
    feature names, kinds and dtypes; each step's fitted numbers (written with Python's
    shortest round-trip ``repr``, so they read back bit for bit) and category levels;
    segment names; who/what/when metadata (segwise version, the fit date ``fitted_at``,
    the file's write time ``created_at``, training rows and data fingerprint, your
    ``metadata``); and, with ``X``, the reference distributions
    for :func:`drift_check` (training deciles and counts per feature, segment counts).

    Parameters
    ----------
    model : fitted estimator or SegmentModel
        A segwise scaler / ``Log1pTransformer`` / ``KMeans`` / ``MiniBatchKMeans``, or a
        scikit-learn ``Pipeline`` / ``ColumnTransformer`` of those with scikit-learn's
        ``OneHotEncoder`` / ``OrdinalEncoder`` / scalers; or a mixed-type ``KPrototypes``,
        ``KModes`` or ``KMedoids`` (``metric="gower"`` or ``"euclidean"``), alone or after
        numeric scalers fitted on its numeric columns (category levels, ``gamma``, column
        roles, Gower ranges and weights are stored). Anything else (e.g.
        ``KMedoids(metric="precomputed")``) raises
        :class:`~segwise.exceptions.UnsupportedModelError` naming the step.
    path : str or Path
        Where to write (the only file written).
    X : DataFrame or array, optional
        The training data, for the row count, fingerprint, dtypes and drift reference
        (aggregates only are stored).
    segment_names : list or dict, optional
        A name per segment id.
    metadata : dict, optional
        Your own JSON-serialisable entries (owner, purpose, ...).
    min_segment_size : int, default=10
        Segments with fewer training customers trigger ``on_small_segment``.
    on_small_segment : {"warn", "error", "ignore"}, default="warn"
        :class:`~segwise.exceptions.PrivacyWarning`,
        :class:`~segwise.exceptions.PrivacyError`, or nothing.
    allow_customer_rows : bool, default=False
        Allow saving a model whose state is made of real customers' rows (k-medoids).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import numpy as np
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import save_model
    >>> X = np.repeat([[0.0, 1.0], [5.0, 5.0]], 20, axis=0)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(km, pathlib.Path(d) / "m.json", segment_names=["a", "b"])
    ...     doc = json.loads(path.read_text())
    >>> doc["format"], doc["schema_version"], doc["payload"]["segment_names"]
    ('segwise-model', 1, ['a', 'b'])
    """
    if isinstance(model, SegmentModel):
        if X is not None or segment_names is not None or metadata is not None:
            raise InvalidParameterError(
                "X, segment_names and metadata are set when the SegmentModel is built "
                "(SegmentModel.from_estimator); pass the fitted estimator here instead"
            )
        m = model
    else:
        _check_customer_rows(model, allow_customer_rows)
        m = SegmentModel.from_estimator(model, X=X, segment_names=segment_names, metadata=metadata)
    return m.save(
        path,
        min_segment_size=min_segment_size,
        on_small_segment=on_small_segment,
        allow_customer_rows=allow_customer_rows,
    )


def load_model(path: str | Path) -> SegmentModel:
    """Read a model file written by :func:`save_model` (no code is run: plain JSON).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SegmentModel

    Raises
    ------
    ModelFileError
        Not a segwise model file, written by a newer schema version, truncated, or
        edited after it was written (checksum mismatch).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import load_model, save_model
    >>> X = np.repeat([[0.0], [9.0]], 20, axis=0)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     model = load_model(save_model(km, pathlib.Path(d) / "m.json"))
    >>> model.predict(np.array([[8.0]]))[0] == km.predict(np.array([[8.0]]))[0]
    np.True_
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"model file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"cannot read model file {str(p)!r}: {exc}") from None
    return SegmentModel.from_dict(_loads_file(text, source=f"model file {str(p)!r}"))
