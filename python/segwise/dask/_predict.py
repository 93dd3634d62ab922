"""Segments of a fitted in-memory model for every row of a dask DataFrame, lazily."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._dask import fitted_frame, predict_partition, require_dask
from .._validation import check_fitted
from ..exceptions import InvalidParameterError

__all__ = ["predict"]


def predict(estimator: Any, X: Any) -> Any:
    """Labels of a fitted in-memory clusterer for every row of a dask DataFrame, lazily.

    For models whose fit cannot be split into partial statistics, such as
    :class:`segwise.cluster.KMedoids` (k-medoids needs distances between all pairs of
    rows): fit in memory on a sample (``method="clara"`` for a large one), then assign
    every row here. ``estimator.predict`` runs on each partition (``map_partitions``), so
    the labels equal the in-memory ``estimator.predict`` of the whole table; an empty
    partition gives no rows.

    Parameters
    ----------
    estimator : fitted estimator with ``predict``
        ``segwise.cluster.KMedoids``, ``KPrototypes``, ``KModes``, ``KMeans`` or any
        clusterer whose ``predict`` takes a pandas DataFrame and returns integer labels.
    X : dask DataFrame
        The columns seen in ``fit``, in order.

    Returns
    -------
    labels : dask Series of int32
        Named ``"segment"``, on ``X``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.cluster import KMedoids
    >>> from segwise.dask import predict
    >>> table = pd.DataFrame({"spend": [1.0, 2.0, 50.0, 52.0],
    ...                       "plan": ["a", "a", "b", "b"]})
    >>> km = KMedoids(n_clusters=2, random_state=0).fit(table)  # in memory (a sample)
    >>> predict(km, dd.from_pandas(table, npartitions=2)).compute().tolist()
    [0, 0, 1, 1]
    """
    require_dask()
    import dask.dataframe as dd

    if not callable(getattr(estimator, "predict", None)):
        raise InvalidParameterError(
            f"estimator must have a predict method, got {type(estimator).__name__}"
        )
    check_fitted(estimator, "n_features_in_")
    if not isinstance(X, dd.DataFrame):
        raise InvalidParameterError(f"X must be a dask DataFrame, got {type(X).__name__}")
    frame = fitted_frame(estimator, X)
    meta = pd.Series(np.empty(0, np.int32), name="segment")
    return frame.map_partitions(predict_partition, estimator.predict, meta=meta)
