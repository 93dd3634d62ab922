"""A numeric segmentation as an ONNX graph (:func:`to_onnx`), for ONNX Runtime and the
serving stacks built on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import UnsupportedModelError
from ._mixed import EuclideanMedoidStep, MixedStep
from ._model import check_model_rows, check_segment_sizes
from ._sql import as_model
from ._steps import AffineStep, CentroidStep, Log1pStep

#: The opset written (ONNX Runtime >= 1.10 reads it).
OPSET = 17


def to_onnx(
    model: Any,
    *,
    name: str = "segwise",
    allow_customer_rows: bool = False,
    min_segment_size: int = 10,
    on_small_segment: str = "warn",
) -> Any:
    """The model as an ONNX graph: input ``X`` (float64, ``n x n_features``, columns in
    :attr:`SegmentModel.feature_names` order), outputs ``label`` (int64) and
    ``distance`` (float64, to the segment's centre or medoid).

    Scalers, ``Log1pTransformer``, ``KMeans``, ``MiniBatchKMeans`` and Euclidean
    ``KMedoids``. The graph repeats the kernel's arithmetic: squared differences added
    feature by feature in order, the first segment on ties (``ArgMin``), so ONNX Runtime
    gives ``predict``'s labels (the tests require 100 % agreement); ``log1p`` is written
    ``Log(1 + x)``, which can differ from numpy's ``log1p`` in the last bit. Models with
    encoders, a ``ColumnTransformer``, float32 state or a mixed-type clustering (text
    inputs) raise :class:`~segwise.exceptions.UnsupportedModelError`: use
    :func:`to_sql` or the model file for those. Needs the ``onnx`` package
    (``pip install onnx``); nothing is written to disk (``onnx.save`` it yourself).

    Parameters
    ----------
    model : SegmentModel or fitted estimator
        What to convert (a fitted estimator or list of steps is converted with
        :meth:`SegmentModel.from_estimator`).
    name : str, default="segwise"
        The graph's name.
    allow_customer_rows : bool, default=False
        Allow writing a k-medoids model, whose medoids are real customers' rows, into the
        graph (as :func:`to_sql` and :func:`save_model`; not needed for a model loaded from
        a file saved with this permission). Without it such a model raises
        :class:`~segwise.exceptions.PrivacyError`.
    min_segment_size : int, default=10
        Segments with fewer training customers (the counts the model holds) trigger
        ``on_small_segment``, as in :func:`save_model` and :func:`to_sql`.
    on_small_segment : {"warn", "error", "ignore"}, default="warn"
        :class:`~segwise.exceptions.PrivacyWarning`,
        :class:`~segwise.exceptions.PrivacyError`, or nothing.

    Returns
    -------
    onnx.ModelProto

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import to_onnx
    >>> from segwise.preprocessing import StandardScaler
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> scaler = StandardScaler().fit(X)
    >>> km = KMeans(n_clusters=4, random_state=0).fit(scaler.transform(X))
    >>> onx = to_onnx([scaler, km])
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> label, distance = session.run(None, {"X": X})
    >>> bool((label == km.labels_).all())
    True
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError("to_onnx needs the onnx package: pip install onnx") from None
    m = as_model(model)
    clusterer = m._require_clusterer()
    if m.branches is not None or m.has_categorical or isinstance(clusterer, MixedStep):
        raise UnsupportedModelError(
            "to_onnx supports numeric models only (scalers, Log1pTransformer, KMeans, "
            "MiniBatchKMeans, Euclidean KMedoids); encoders, ColumnTransformers and "
            "mixed-type clusterings read text: use to_sql or the model file"
        )
    # The privacy guards of save_model and to_sql, once the model is known to convert.
    check_model_rows(m, allow_customer_rows, "write")
    check_segment_sizes(m, min_segment_size, on_small_segment, "written into the ONNX graph")
    nodes: list[Any] = []
    inits: list[Any] = []
    counter = iter(range(1 << 30))

    def fresh(prefix: str) -> str:
        return f"{prefix}_{next(counter)}"

    def const(values: Any, prefix: str, dtype: Any = np.float64) -> str:
        tensor_name = fresh(prefix)
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), tensor_name))
        return tensor_name

    def node(op: str, inputs: list[str], prefix: str, **attrs: Any) -> str:
        out = fresh(prefix)
        nodes.append(helper.make_node(op, inputs, [out], name=fresh(op), **attrs))
        return out

    z = "X"
    for step in m._pre:
        if isinstance(step, AffineStep):
            if step.dtype != np.float64:
                raise UnsupportedModelError(f"to_onnx: a float32 {step.kind} step")
            a, b = const(step.a, "a"), const(step.b, "b")
            if step.op == "subtract_divide":
                z = node("Div", [node("Sub", [z, a], "centred"), b], "scaled")
            else:
                z = node("Add", [node("Mul", [z, a], "scaled"), b], "shifted")
            if step.clip is not None:
                lo, hi = const(step.clip[0], "lo"), const(step.clip[1], "hi")
                z = node("Clip", [z, lo, hi], "clipped")
        elif isinstance(step, Log1pStep):
            mask = np.zeros(step.n_in, dtype=bool)
            mask[step.columns] = True
            logged = node("Log", [node("Add", [z, const(1.0, "one")], "plus_one")], "log1p")
            z = node("Where", [const(mask, "mask", bool), logged, z], "log1p_cols")
        else:  # pragma: no cover - every numeric step kind is handled above
            raise UnsupportedModelError(f"to_onnx: no conversion of a {step.kind} step")
    assert isinstance(clusterer, CentroidStep)
    centers = clusterer.centers
    if centers.dtype != np.float64:
        raise UnsupportedModelError("to_onnx: float32 centres (fit on float64 data)")
    d = centers.shape[1]
    # Squared differences added feature by feature, as the kernel: sum_j (z_j - c_j)^2.
    total = ""
    for j in range(d):
        col = node(
            "Slice",
            [
                z,
                const([j], "start", np.int64),
                const([j + 1], "stop", np.int64),
                const([1], "axis", np.int64),
            ],
            "col",
        )
        diff = node("Sub", [col, const(centers[:, j][None, :], "c")], "diff")
        sq = node("Mul", [diff, diff], "sq")
        total = sq if not total else node("Add", [total, sq], "ssq")
    if isinstance(clusterer, EuclideanMedoidStep):
        total = node("Sqrt", [total], "dist")
    nodes.append(
        helper.make_node(
            "ArgMin", [total], ["label"], name="argmin", axis=1, keepdims=0, select_last_index=0
        )
    )
    best = node("ReduceMin", [total], "best", axes=[1], keepdims=0)
    if isinstance(clusterer, EuclideanMedoidStep):
        nodes.append(helper.make_node("Identity", [best], ["distance"], name="distance"))
    else:
        nodes.append(helper.make_node("Sqrt", [best], ["distance"], name="distance"))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, len(m.feature_names)])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("distance", TensorProto.DOUBLE, [None]),
        ],
        inits,
    )
    onx = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="segwise"
    )
    onx.doc_string = "features: " + ", ".join(m.feature_names)
    onnx.checker.check_model(onx)
    return onx
