"""A numeric segmentation as an ONNX graph (:func:`to_onnx`), for ONNX Runtime and the
serving stacks built on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exceptions import InvalidParameterError, UnsupportedModelError
from ._mixed import EuclideanMedoidStep, MixedStep
from ._model import SegmentModel, check_model_rows, check_segment_sizes
from ._sql import as_model
from ._steps import AffineStep, CentroidStep, Log1pStep

#: The opset written (ONNX Runtime >= 1.10 reads it).
OPSET = 17


class _Graph:
    """The one graph builder: segwise's steps as ONNX nodes, written through ``add_init``
    and ``add_node`` so that :func:`to_onnx` and the skl2onnx converters
    (:func:`register_skl2onnx`) emit the same arithmetic."""

    def __init__(
        self,
        opset: int,
        unique: Callable[[str], str],
        add_init: Callable[[Any], None],
        add_node: Callable[[str, list[str], list[str], str, dict[str, Any]], None],
    ) -> None:
        self.opset, self.unique, self._add_init, self._add_node = opset, unique, add_init, add_node

    def const(self, values: Any, prefix: str, dtype: Any = np.float64) -> str:
        from onnx import numpy_helper

        name = self.unique(prefix)
        self._add_init(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], prefix: str, out: str = "", **attrs: Any) -> str:
        out = out or self.unique(prefix)
        self._add_node(op, inputs, [out], self.unique(op), attrs)
        return out

    def transform(self, steps: list[Any], z: str) -> str:
        """Scalers and ``log1p`` applied to the tensor ``z``; returns the output's name."""
        for step in steps:
            if isinstance(step, AffineStep):
                if step.dtype != np.float64:
                    raise UnsupportedModelError(f"to_onnx: a float32 {step.kind} step")
                a, b = self.const(step.a, "a"), self.const(step.b, "b")
                if step.op == "subtract_divide":
                    z = self.node("Div", [self.node("Sub", [z, a], "centred"), b], "scaled")
                else:
                    z = self.node("Add", [self.node("Mul", [z, a], "scaled"), b], "shifted")
                if step.clip is not None:
                    lo, hi = self.const(step.clip[0], "lo"), self.const(step.clip[1], "hi")
                    z = self.node("Clip", [z, lo, hi], "clipped")
            elif isinstance(step, Log1pStep):
                mask = np.zeros(step.n_in, dtype=bool)
                mask[step.columns] = True
                plus_one = self.node("Add", [z, self.const(1.0, "one")], "plus_one")
                logged = self.node("Log", [plus_one], "log1p")
                z = self.node("Where", [self.const(mask, "mask", bool), logged, z], "log1p_cols")
            else:
                raise UnsupportedModelError(f"to_onnx: no conversion of a {step.kind} step")
        return z

    def assign(self, clusterer: CentroidStep, z: str, label: str, distance: str) -> None:
        """The closest centre (or Euclidean medoid) of each row of ``z``: outputs ``label``
        (int64) and ``distance`` (float64)."""
        centers = clusterer.centers
        if centers.dtype != np.float64:
            raise UnsupportedModelError("to_onnx: float32 centres (fit on float64 data)")
        # Squared differences added feature by feature, as the kernel: sum_j (z_j - c_j)^2.
        total = ""
        for j in range(centers.shape[1]):
            bounds = [self.const([j], "start", np.int64), self.const([j + 1], "stop", np.int64)]
            col = self.node("Slice", [z, *bounds, self.const([1], "axis", np.int64)], "col")
            diff = self.node("Sub", [col, self.const(centers[:, j][None, :], "c")], "diff")
            sq = self.node("Mul", [diff, diff], "sq")
            total = sq if not total else self.node("Add", [total, sq], "ssq")
        medoids = isinstance(clusterer, EuclideanMedoidStep)
        if medoids:
            total = self.node("Sqrt", [total], "dist")
        self.node("ArgMin", [total], "argmin", label, axis=1, keepdims=0, select_last_index=0)
        if self.opset >= 18:  # ReduceMin's axes became an input in opset 18
            axes = self.const([1], "axes", np.int64)
            best = self.node("ReduceMin", [total, axes], "best", keepdims=0)
        else:
            best = self.node("ReduceMin", [total], "best", axes=[1], keepdims=0)
        self.node("Identity" if medoids else "Sqrt", [best], "distance", distance)


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
    The graph is built with ``onnx`` directly, so skl2onnx is not needed; to convert a
    scikit-learn ``Pipeline`` with ``skl2onnx.to_onnx`` instead, call
    :func:`register_skl2onnx` first (its converters emit the same nodes).

    Parameters
    ----------
    model : SegmentModel or fitted estimator
        What to convert (a fitted estimator or list of steps is converted with
        :meth:`SegmentModel.from_estimator`).
    name : str, default="segwise"
        The graph's name (not empty).
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
    if not isinstance(name, str) or not name:  # onnx's checker needs a graph name
        raise InvalidParameterError(f"to_onnx: name must be a non-empty str, got {name!r}")
    try:
        import onnx
        from onnx import TensorProto, helper
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

    def add_node(op: str, ins: list[str], outs: list[str], name: str, attrs: Any) -> None:
        nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))

    b = _Graph(OPSET, lambda prefix: f"{prefix}_{next(counter)}", inits.append, add_node)
    assert isinstance(clusterer, CentroidStep)
    b.assign(clusterer, b.transform(m._pre, "X"), "label", "distance")
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


# --------------------------------------------------------------------------- skl2onnx


def _alias(est: Any) -> str:
    return f"Segwise{type(est).__name__}"


def _check_double(operator: Any) -> Any:
    from skl2onnx.common.data_types import DoubleTensorType

    x = operator.inputs[0]
    if not isinstance(x.type, DoubleTensorType):
        raise UnsupportedModelError(
            f"segwise's {type(operator.raw_operator).__name__} converts with float64 input "
            f"only (the kernels work in float64): declare DoubleTensorType, not {x.type}"
        )
    return x.get_first_dimension()


def _transformer_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import DoubleTensorType

    n = _check_double(operator)
    operator.outputs[0].type = DoubleTensorType([n, int(operator.raw_operator.n_features_in_)])


def _clusterer_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType

    n = _check_double(operator)
    operator.outputs[0].type = Int64TensorType([n])
    operator.outputs[1].type = DoubleTensorType([n])


def _parse_clusterer(scope: Any, model: Any, inputs: Any, custom_parsers: Any = None) -> Any:
    from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType

    operator = scope.declare_local_operator(_alias(model), model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("distance", DoubleTensorType()))
    return operator.outputs


def _graph_in(scope: Any, container: Any) -> _Graph:
    def add_node(op: str, ins: list[str], outs: list[str], name: str, attrs: Any) -> None:
        container.add_node(op, ins, outs, name=name, **attrs)

    return _Graph(
        int(container.target_opset),
        scope.get_unique_variable_name,
        lambda tensor: container.add_initializer(tensor.name, None, None, tensor),
        add_node,
    )


def _convert_step(scope: Any, operator: Any, container: Any) -> None:
    m = SegmentModel.from_estimator(operator.raw_operator)
    b = _graph_in(scope, container)
    x = operator.inputs[0].full_name
    if m._clusterer is None:
        z = b.transform(m.steps, x)
        container.add_node("Identity", [z], [operator.outputs[0].full_name], name=b.unique("out"))
        return
    # Defaults of to_onnx's guard (a PrivacyWarning); skl2onnx passes no settings through.
    check_segment_sizes(m, 10, "warn", "written into the ONNX graph")
    assert isinstance(m._clusterer, CentroidStep)
    label, distance = (v.full_name for v in operator.outputs)
    b.assign(m._clusterer, b.transform(m._pre, x), label, distance)


def register_skl2onnx() -> None:
    """Teach skl2onnx segwise's numeric steps, so ``skl2onnx.to_onnx`` converts a
    scikit-learn ``Pipeline`` that contains them.

    Registers converters for segwise's ``StandardScaler``, ``RobustScaler``,
    ``MinMaxScaler``, ``MaxAbsScaler``, ``Log1pTransformer``, ``KMeans`` and
    ``MiniBatchKMeans``. They emit the nodes :func:`to_onnx` writes (one graph builder,
    the same arithmetic, so ONNX Runtime gives ``predict``'s labels). A clustering step
    outputs ``label`` (int64) and ``distance`` (float64, to the segment's centre), as
    :func:`to_onnx`; declare the input as ``DoubleTensorType`` (segwise works in
    float64; float32 input raises :class:`~segwise.exceptions.UnsupportedModelError`).
    The ``min_segment_size`` guard runs with its defaults (a
    :class:`~segwise.exceptions.PrivacyWarning` below 10 customers). k-medoids is not
    registered: its medoids are customers' rows, which need :func:`to_onnx`'s
    ``allow_customer_rows=True``. Call it once; it needs ``pip install skl2onnx``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx as skl2onnx_to_onnx
    >>> from skl2onnx.common.data_types import DoubleTensorType
    >>> from sklearn.pipeline import make_pipeline
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import register_skl2onnx
    >>> from segwise.preprocessing import StandardScaler
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> pipe = make_pipeline(StandardScaler(), KMeans(n_clusters=4, random_state=0)).fit(X)
    >>> register_skl2onnx()
    >>> onx = skl2onnx_to_onnx(pipe, initial_types=[("X", DoubleTensorType([None, 3]))])
    >>> label, distance = ort.InferenceSession(onx.SerializeToString()).run(None, {"X": X})
    >>> bool((label == pipe.predict(X)).all())
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError:
        raise ImportError("register_skl2onnx needs skl2onnx: pip install skl2onnx") from None
    from .. import preprocessing
    from ..cluster import KMeans, MiniBatchKMeans

    transformers = [
        preprocessing.StandardScaler,
        preprocessing.RobustScaler,
        preprocessing.MinMaxScaler,
        preprocessing.MaxAbsScaler,
        preprocessing.Log1pTransformer,
    ]
    for cls in transformers:
        update_registered_converter(cls, _alias(cls()), _transformer_shape, _convert_step)
    for cluster_cls in (KMeans, MiniBatchKMeans):
        update_registered_converter(
            cluster_cls,
            _alias(cluster_cls()),
            _clusterer_shape,
            _convert_step,
            parser=_parse_clusterer,
        )
