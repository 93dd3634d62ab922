"""segwise.deploy.to_onnx: the graph run in ONNX Runtime gives predict's labels and
distances (the oracle: SegmentModel.predict / distance, themselves checked against the
fitted estimators in test_deploy.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from segwise.cluster import KMeans, KMedoids, KPrototypes, MiniBatchKMeans
from segwise.deploy import SegmentModel, to_onnx
from segwise.exceptions import PrivacyError, UnsupportedModelError
from segwise.preprocessing import Log1pTransformer, MaxAbsScaler, MinMaxScaler, StandardScaler


def _run(model: SegmentModel, X: np.ndarray, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    session = ort.InferenceSession(to_onnx(model, **kwargs).SerializeToString())
    label, distance = session.run(None, {"X": np.ascontiguousarray(X, dtype=np.float64)})
    return label, distance


@pytest.fixture(scope="module")
def X() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.gamma(2.0, 30.0, size=(5000, 12)), columns=[f"f{j}" for j in range(12)])


@pytest.mark.parametrize(
    "name", ["log1p_standard_kmeans", "minmax_clip_minibatch", "maxabs_kmedoids"]
)
def test_onnx_runtime_agrees_with_predict(name: str, X: pd.DataFrame) -> None:
    if name == "log1p_standard_kmeans":
        steps = [Log1pTransformer(columns=["f0", "f5"]), StandardScaler()]
        final = KMeans(n_clusters=8, random_state=0)
    elif name == "minmax_clip_minibatch":
        steps = [MinMaxScaler(clip=True)]
        final = MiniBatchKMeans(n_clusters=6, random_state=0)
    else:
        steps = [MaxAbsScaler()]
        final = KMedoids(n_clusters=5, metric="euclidean", method="clara", random_state=0)
    Z = X
    for s in steps:
        Z = s.fit_transform(Z)
    model = SegmentModel.from_estimator([*steps, final.fit(Z)])
    new = X.sample(2000, random_state=1) * 1.3  # outside the fitted ranges too (clip)
    # k-medoids' medoids are customers' rows: the graph holds them only with the opt-in.
    opt_in = {"allow_customer_rows": True} if model.holds_customer_rows else {}
    for data in (X, new):
        label, distance = _run(model, data.to_numpy(), **opt_in)
        np.testing.assert_array_equal(label, model.predict(data))
        np.testing.assert_allclose(distance, model.distance(data), rtol=1e-13, atol=1e-13)


def test_onnx_ties_go_to_the_first_segment() -> None:
    km = KMeans(n_clusters=2, random_state=0).fit(np.array([[-1.0], [1.0]]))
    model = SegmentModel.from_estimator(km)
    label, distance = _run(model, np.array([[0.0], [0.5], [-0.5]]), on_small_segment="ignore")
    np.testing.assert_array_equal(label, km.predict(np.array([[0.0], [0.5], [-0.5]])))
    assert label[0] == 0 and distance[0] == 1.0


def test_onnx_refuses_text_models() -> None:
    X = pd.DataFrame({"spend": [1.0, 2.0, 40.0, 42.0], "channel": ["a", "a", "b", "b"]})
    kp = KPrototypes(n_clusters=2, random_state=0).fit(X)
    with pytest.raises(UnsupportedModelError, match="to_sql"):
        to_onnx(kp)


def test_onnx_refuses_customer_rows_without_the_opt_in(X: pd.DataFrame) -> None:
    kmed = KMedoids(n_clusters=3, metric="euclidean", method="clara", random_state=0)
    kmed.fit(X.iloc[:500])
    with pytest.raises(PrivacyError, match="allow_customer_rows=True"):
        to_onnx(kmed)
    # The same guard as to_sql and save_model, with the same opt-in.
    label, _ = _run(SegmentModel.from_estimator(kmed), X.to_numpy()[:500], allow_customer_rows=True)
    np.testing.assert_array_equal(label, kmed.labels_)
    # k-means centres are not customers' rows: no opt-in needed.
    km = KMeans(n_clusters=3, random_state=0).fit(X.iloc[:500])
    assert to_onnx(km) is not None


@pytest.mark.parametrize(
    "name", ["log1p_standard_kmeans", "minmax_clip_minibatch", "robust_maxabs_kmeans"]
)
def test_skl2onnx_converts_pipelines_of_segwise_steps(name: str, X: pd.DataFrame) -> None:
    # Skipped only where skl2onnx is not installed (the test extra installs it).
    skl2onnx = pytest.importorskip("skl2onnx")
    from segwise.deploy import register_skl2onnx
    from segwise.preprocessing import RobustScaler
    from skl2onnx.common.data_types import DoubleTensorType
    from sklearn.pipeline import make_pipeline

    if name == "log1p_standard_kmeans":
        steps = [Log1pTransformer(columns=[0, 5]), StandardScaler()]
        final = KMeans(n_clusters=8, random_state=0)
    elif name == "minmax_clip_minibatch":
        steps = [MinMaxScaler(clip=True)]
        final = MiniBatchKMeans(n_clusters=6, random_state=0)
    else:
        steps = [RobustScaler(), MaxAbsScaler()]
        final = KMeans(n_clusters=5, random_state=0)
    A = X.to_numpy()
    pipe = make_pipeline(*steps, final).fit(A)
    register_skl2onnx()
    onx = skl2onnx.to_onnx(pipe, initial_types=[("X", DoubleTensorType([None, A.shape[1]]))])
    session = ort.InferenceSession(onx.SerializeToString())
    model = SegmentModel.from_estimator(pipe)
    ours = ort.InferenceSession(to_onnx(model).SerializeToString())
    new = A[::3] * 1.3  # outside the fitted ranges too (clip)
    for data in (A, new):
        label, distance = session.run(None, {"X": data})
        np.testing.assert_array_equal(label, pipe.predict(data))
        np.testing.assert_allclose(distance, model.distance(data), rtol=1e-13, atol=1e-13)
        # The same graph builder as segwise's own to_onnx: the same numbers.
        label_ours, distance_ours = ours.run(None, {"X": data})
        np.testing.assert_array_equal(label, label_ours)
        np.testing.assert_array_equal(distance, distance_ours)


def test_skl2onnx_refuses_float32_input(X: pd.DataFrame) -> None:
    skl2onnx = pytest.importorskip("skl2onnx")
    from segwise.deploy import register_skl2onnx
    from skl2onnx.common.data_types import FloatTensorType

    register_skl2onnx()
    km = KMeans(n_clusters=3, random_state=0).fit(X.to_numpy())
    with pytest.raises(UnsupportedModelError, match="DoubleTensorType"):
        skl2onnx.to_onnx(km, initial_types=[("X", FloatTensorType([None, X.shape[1]]))])
