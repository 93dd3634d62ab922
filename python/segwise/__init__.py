"""segwise: customer segmentation with a Rust core.

Scale customer features (:mod:`segwise.preprocessing`), cluster them into segments
(:mod:`segwise.cluster`), measure segment quality (:mod:`segwise.metrics`), and load the
bundled real datasets (:mod:`segwise.datasets`). Estimators follow scikit-learn's
conventions: pandas in, pandas out (index kept), numpy in, numpy out.

Examples
--------
>>> import segwise
>>> segwise.__version__
'0.1.0'
"""

from __future__ import annotations

from . import (
    abtest,
    cluster,
    datasets,
    deploy,
    exceptions,
    metrics,
    preprocessing,
    profile,
    rfm,
    stability,
)
from ._core import __version__, current_num_threads
from .exceptions import SegwiseError

__all__ = [
    "__version__",
    "abtest",
    "cluster",
    "current_num_threads",
    "datasets",
    "deploy",
    "exceptions",
    "metrics",
    "preprocessing",
    "profile",
    "rfm",
    "stability",
    "SegwiseError",
]
