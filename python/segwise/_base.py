"""scikit-learn's estimator contract without importing scikit-learn.

``get_params``/``set_params`` read ``__init__``'s signature, so ``sklearn.clone``,
``Pipeline`` and ``GridSearchCV`` work; ``__sklearn_tags__`` imports scikit-learn lazily,
only when scikit-learn itself asks. Mixins go to the left of :class:`BaseEstimator`.
"""

from __future__ import annotations

import functools
import html
import inspect
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._results import polars, to_container
from ._validation import (
    Checked,
    CheckedSparse,
    Constraints,
    StrOptions,
    check_features,
    label_array,
    validate_params,
)
from .exceptions import InconsistentVersionWarning


@functools.cache
def _init_param_names(init: Any) -> tuple[str, ...]:
    """The sorted parameter names of an ``__init__`` (read once per function: reading a
    signature costs ~20 µs, as much as a small fit's arithmetic)."""
    if init is object.__init__:
        return ()
    sig = inspect.signature(init)
    return tuple(
        sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )
    )


class BaseEstimator:
    """Parameter handling, repr and notebook display shared by every segwise estimator."""

    _estimator_type: str | None = None
    _allow_nan: bool = False
    _preserves_dtype: tuple[str, ...] = ("float64",)
    #: When fit recorded the state (UTC, ISO 8601), stamped by ``check_features``; None
    #: until fitted (or for a pickle from a segwise that did not stamp it).
    _fitted_at: str | None = None
    #: What each ``__init__`` parameter may be (see ``segwise._validation.validate_params``).
    _parameter_constraints: Constraints = {}

    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        return _init_param_names(cls.__init__)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator, as scikit-learn's ``get_params``."""
        out: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for k, v in value.get_params().items():
                    out[f"{name}__{k}"] = v
            out[name] = value
        return out

    def set_params(self, **params: Any) -> BaseEstimator:
        """Set parameters (``nested__param`` for nested estimators); returns ``self``."""
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {list(valid)}."
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __getstate__(self) -> dict[str, Any]:
        # The version that wrote the fitted state travels with it (as scikit-learn does).
        state = dict(self.__dict__)
        state["_segwise_version"] = _core.__version__
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        version = state.pop("_segwise_version", None)
        if version != _core.__version__:
            warnings.warn(
                f"Unpickling a {type(self).__name__} written by segwise "
                f"{version or 'of an unknown version'} with segwise {_core.__version__}: its "
                "fitted state may not mean the same; it is checked at predict/transform, "
                "but refitting is safest.",
                InconsistentVersionWarning,
                stacklevel=2,
            )
            state["_pickled_by_version"] = version or "unknown"
        self.__dict__.update(state)

    def _validate_params(self) -> dict[str, Any]:
        """Every parameter checked against ``_parameter_constraints``, normalised; called at
        the start of ``fit`` (``__init__`` only stores)."""
        return validate_params(
            self.get_params(deep=False), self._parameter_constraints, caller=type(self).__name__
        )

    def _changed_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        changed = {}
        for name in self._param_names():
            default = sig.parameters[name].default
            value = getattr(self, name, None)
            same = value is default
            if not same:
                try:
                    same = bool(value == default)
                except Exception:  # arrays and the like
                    same = False
            if not same:
                changed[name] = value
        return changed

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._changed_params().items())
        return f"{type(self).__name__}({args})"

    def _repr_html_(self) -> str:
        fitted = self.__sklearn_is_fitted__()
        rows = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(repr(v))}</td></tr>"
            for k, v in self.get_params(deep=False).items()
        )
        status = "fitted" if fitted else "not fitted"
        return (
            f"<div><strong>{type(self).__name__}</strong> <em>({status})</em>"
            f"<table>{rows}</table></div>"
        )

    def _sparse_ok(self) -> bool:
        """Whether this estimator, as configured, takes scipy sparse input (never densified)."""
        return False

    def __sklearn_is_fitted__(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=False),
            transformer_tags=(
                TransformerTags(preserves_dtype=list(self._preserves_dtype))
                if isinstance(self, TransformerMixin)
                else None
            ),
            input_tags=InputTags(allow_nan=self._allow_nan, sparse=self._sparse_ok()),
        )

    def _check_features(self, checked: Checked | CheckedSparse, *, reset: bool) -> None:
        check_features(self, checked, reset=reset)


def output_columns(names: Any, checked: Checked) -> pd.Index:
    """The columns of an output frame: the input frame's own column Index when the output
    has the same labels (a one-to-one transform keeps ints, a MultiIndex and its level
    names), else an Index of ``names`` (tuples become a MultiIndex)."""
    labels = list(names)
    if checked.column_index is not None and list(checked.column_index) == labels:
        return checked.column_index
    return pd.Index(labels)


class ClusterMixin:
    """``fit_predict`` for clusterers (``labels_`` after ``fit``)."""

    _estimator_type = "clusterer"

    def fit_predict(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit and return ``labels_`` (int32)."""
        return self.fit(X, y, **fit_params).labels_  # type: ignore[attr-defined, no-any-return]


_SET_OUTPUT_PARAMS: Constraints = {
    "transform": [None, StrOptions(["default", "pandas", "polars"])],
}


class TransformerMixin:
    """``fit_transform`` and ``set_output`` (pandas output keeps the input's index; polars
    in, polars out)."""

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit to ``X`` then transform it."""
        return self.fit(X, y, **fit_params).transform(X)  # type: ignore[attr-defined]

    def set_output(self, *, transform: str | None = None) -> Any:
        """Choose the container ``transform`` returns, as scikit-learn's ``set_output``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            "default" returns what came in: a pandas DataFrame for a DataFrame (same index
            and columns), a polars DataFrame for a polars one, a numpy array for an array.
            "pandas" / "polars" return that kind of DataFrame whatever came in (polars
            needs the ``segwise[polars]`` extra). None keeps the current setting. Until it
            is set, ``sklearn.set_config(transform_output=...)`` decides, as in
            scikit-learn.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.preprocessing import MaxAbsScaler
        >>> MaxAbsScaler().set_output(transform="pandas").fit_transform(np.array([[1.0], [-2.0]]))
            x0
        0  0.5
        1 -1.0
        """
        transform = validate_params(
            {"transform": transform}, _SET_OUTPUT_PARAMS, caller=f"{type(self).__name__}.set_output"
        )["transform"]
        if transform is None:
            return self
        if transform == "polars":
            polars(f"{type(self).__name__}.set_output(transform='polars')")
        # scikit-learn's attribute: sklearn.clone carries it over to the clone.
        config = dict(getattr(self, "_sklearn_output_config", {}))
        config["transform"] = transform
        self._sklearn_output_config = config
        return self

    def _output_kind(self, checked: Checked | CheckedSparse) -> str:
        mode = getattr(self, "_sklearn_output_config", {}).get("transform")
        if mode is None:
            # scikit-learn's global setting, read only when scikit-learn is in use
            sklearn = sys.modules.get("sklearn")
            mode = sklearn.get_config().get("transform_output", "default") if sklearn else None
        return checked.kind if mode in (None, "default") else str(mode)

    def _wrap_output(self, values: np.ndarray, checked: Checked) -> Any:
        kind = self._output_kind(checked)
        if checked.out_dtype is not None:  # float16, computed in float32
            values = values.astype(checked.out_dtype)
        if kind == "numpy":
            return values
        names = self.get_feature_names_out()  # type: ignore[attr-defined]
        return to_container(
            values,
            kind,
            columns=output_columns(names, checked),
            index=checked.index,
            who=f"{type(self).__name__}.transform",
        )

    def _feature_names(self, input_features: Any = None) -> np.ndarray:
        n = self.n_features_in_  # type: ignore[attr-defined]
        fitted = getattr(self, "feature_names_in_", None)
        if input_features is None:
            if fitted is not None:
                return np.asarray(fitted, dtype=object)
            return np.asarray([f"x{i}" for i in range(n)], dtype=object)
        names = label_array(input_features)
        if len(names) != n:
            raise ValueError(f"input_features should have length {n}, got {len(names)}")
        if fitted is not None and list(names) != list(fitted):
            raise ValueError("input_features is not equal to feature_names_in_")
        return names
