"""segwise on Dask: the same analyses on data that does not fit on one machine.

Install with ``pip install "segwise[dask]"``. Every name here takes dask DataFrames or
Arrays (so Parquet on disk or object storage via ``dask.dataframe.read_parquet``) and gives
the same numbers as the in-memory API of the same name: each Rust kernel returns
mergeable partial statistics of one partition, merged in a fixed tree on the workers
(``segwise._dask``). Works with a ``distributed.Client`` (the active one is used) and
without one (dask's local scheduler). transform / predict stay lazy.

There is no dask ``KMedoids``: PAM and FasterPAM swap medoids against the distances
between all pairs of rows, which are not a sum of per-partition statistics. What scales
is CLARA's idea, swaps on a sample: fit :class:`segwise.cluster.KMedoids` (``method=
"clara"`` for a large sample) in memory on ``X.sample(frac=...).compute()``, then assign
every row lazily with :func:`segwise.dask.predict`, which runs a fitted in-memory
model's ``predict`` on each partition. (CLARA's choice between its samples' medoids is
then made on the sample pulled to the client, not on every row of the dask table.)
"""

from __future__ import annotations

from .._dask import require_dask

require_dask()

from .._profile_dask import profile_segments_dask as profile_segments  # noqa: E402
from .._rfm_dask import rfm_table_dask as rfm_table  # noqa: E402
from ..abtest._dask import segment_lift  # noqa: E402
from ..stability._dask import psi  # noqa: E402
from ._kmeans import KMeans  # noqa: E402
from ._kprototypes import KModes, KPrototypes  # noqa: E402
from ._minibatch import MiniBatchKMeans  # noqa: E402
from ._predict import predict  # noqa: E402
from ._preprocessing import (  # noqa: E402
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)

__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "KPrototypes",
    "KModes",
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "Log1pTransformer",
    "segment_lift",
    "psi",
    "profile_segments",
    "rfm_table",
    "predict",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
