"""The mixed-type clusterings in the step registry: k-prototypes, k-modes and k-medoids
(Gower or Euclidean).

A mixed step is the last step of a model and reads the whole input table (numeric and
categorical columns) through segwise's own mixed-type funnel (:func:`check_mixed`, with the
fitted levels and the estimator's ``missing`` / ``unknown`` policies), then calls the same
Rust kernel as the estimator's ``predict``: the deployed model answers exactly what the
fitted one does, NULLs and unseen levels included. Numeric preprocessing fitted on the
numeric columns alone (``[Log1pTransformer, StandardScaler, KPrototypes]``, the chain the
CLI fits) is folded into the step and applied to its numeric block.

SQL repeats each kernel's arithmetic in its order: the k-prototypes cost (squared
differences summed in numpy's pairwise order, plus ``gamma`` times the mismatch count) and
Gower's distance (range-scaled differences capped at 1 and weighted, then nominal
mismatches, divided by the weights of the columns both rows have), so ties and rounding
agree with ``predict``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._distance import GowerData, GowerModel, GowerScales, euclidean_fill, euclidean_nearest
from .._validation import MISSING_CODE, UNSEEN_CODE, MixedChecked, check_mixed
from ..exceptions import ModelFileError, UnknownCategoryError, UnsupportedModelError
from ._steps import (
    STEP_CLASSES,
    CentroidStep,
    Dialect,
    Step,
    _fitted,
    _level,
    decode_array,
    encode_array,
    register_step,
)

# --------------------------------------------------------------------------- levels


def _level_key(v: Any) -> tuple[str, Any] | None:
    """The funnel's label rule as a dict key: 1 and 1.0 are one level, True and "1" two
    others; None for a missing or unusual value (left to the funnel)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, str):
        return ("s", v)
    if isinstance(v, int | float) and v == v:
        return ("n", v)
    return None


def _sql_level(value: Any, dialect: Dialect) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return dialect.text(value)


def numpy_order_sum(terms: Sequence[str]) -> str:
    """The SQL sum of ``terms`` in numpy's pairwise order (``np.sum`` of a row: 8
    accumulators up to 128 terms, halves beyond), as the k-prototypes kernel adds them."""
    n = len(terms)
    if n == 0:
        return "0e0"
    if n < 8:
        return "(" + " + ".join(terms) + ")"
    if n <= 128:
        r = list(terms[:8])
        end = n - n % 8
        for i in range(8, end, 8):
            for j in range(8):
                r[j] = f"({r[j]} + {terms[i + j]})"
        res = f"((({r[0]} + {r[1]}) + ({r[2]} + {r[3]})) + (({r[4]} + {r[5]}) + ({r[6]} + {r[7]})))"
        for t in terms[end:]:
            res = f"({res} + {t})"
        return res
    half = n // 2
    half -= half % 8
    return f"({numpy_order_sum(terms[:half])} + {numpy_order_sum(terms[half:])})"


# --------------------------------------------------------------------------- steps


class MixedStep(Step):
    """The final clustering of a table with numeric and categorical columns (abstract)."""

    consumes = "mixed"
    holds_customer_rows = False
    estimator = ""  # the estimator's name in the funnel's messages

    def __init__(
        self,
        columns: list[str],
        named: bool,
        is_categorical: list[bool],
        levels: list[list[Any]],
        missing: str,
        unknown: str,
        numeric_steps: list[Step],
        n_segments: int,
    ) -> None:
        if missing not in ("error", "level", "ignore") or unknown not in ("error", "mismatch"):
            raise ModelFileError(f"unknown missing/unknown policy {missing!r}/{unknown!r}")
        if len(levels) != sum(is_categorical) or len(columns) != len(is_categorical):
            raise ModelFileError("the mixed step's columns, kinds and levels disagree")
        self.columns, self.named = columns, named
        self.is_categorical = [bool(c) for c in is_categorical]
        self.levels = levels
        self.missing, self.unknown = missing, unknown
        self.numeric_steps = numeric_steps
        self.n_in = len(columns)
        self.n_out = int(n_segments)
        self.numeric_names = [
            c for c, cat in zip(columns, self.is_categorical, strict=True) if not cat
        ]
        # Labels as the estimator saw them: names, or positions for an array.
        self._labels: list[Any] = list(columns) if named else list(range(len(columns)))
        self._cat_labels = [
            lab for lab, cat in zip(self._labels, self.is_categorical, strict=True) if cat
        ]
        self._n_levels = np.asarray([len(lv) for lv in levels], dtype=np.int64)
        self._lookup = [
            {key: i for i, v in enumerate(lv) if (key := _level_key(v)) is not None}
            for lv in levels
        ]
        width = len(self.numeric_names)
        for s in numeric_steps:
            if s.consumes != "numeric" or s.n_in != width:
                raise UnsupportedModelError(
                    f"a {s.kind} step before {self.estimator} must transform its "
                    f"{len(self.numeric_names)} numeric column(s) {self.numeric_names}"
                )
            width = s.n_out

    # ------------------------------------------------------------------ state

    def _common_state(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "named": self.named,
            "is_categorical": self.is_categorical,
            "levels": [[_level(v, allow_bool=True) for v in lv] for lv in self.levels],
            "missing": self.missing,
            "unknown": self.unknown,
            "numeric_steps": [{"kind": s.kind, "state": s.state()} for s in self.numeric_steps],
            "n_segments": self.n_out,
        }

    @staticmethod
    def _common_args(state: dict[str, Any]) -> list[Any]:
        steps = []
        for item in state["numeric_steps"]:
            cls = STEP_CLASSES.get(item["kind"])
            if cls is None or cls.consumes != "numeric":
                raise ModelFileError(f"unknown numeric step kind {item['kind']!r}")
            steps.append(cls.from_state(item["state"]))
        return [
            [str(c) for c in state["columns"]],
            bool(state["named"]),
            [bool(c) for c in state["is_categorical"]],
            [list(lv) for lv in state["levels"]],
            str(state["missing"]),
            str(state["unknown"]),
            steps,
            int(state["n_segments"]),
        ]

    # ------------------------------------------------------------------ scoring

    @property
    def allow_nan(self) -> bool:
        return False

    def read(self, X: Any) -> MixedChecked:
        """``X`` (the model's columns: a DataFrame in the model's order or a 2-D array)
        through the estimator's funnel, with the fitted levels, its numeric block
        preprocessed."""
        if isinstance(X, pd.DataFrame) and self.named:
            X = X[self.columns]
        m = check_mixed(
            X,
            categorical=self._cat_labels,
            levels=self.levels,
            missing=self.missing,
            unknown=self.unknown,
            allow_nan=self.allow_nan,
            estimator=self.estimator or None,
        )
        if not self.numeric_steps:
            return m
        numeric = m.numeric
        for s in self.numeric_steps:
            numeric = s.apply(numeric, self.numeric_names)
        return dataclasses.replace(m, numeric=np.ascontiguousarray(numeric, dtype=np.float64))

    def apply(self, X: Any, names: Sequence[str]) -> np.ndarray:
        m = self.read(X)
        return self.predict_blocks(m.numeric, m.categorical)

    def predict_blocks(self, numeric: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Segments of rows given as the preprocessed numeric block and level codes."""
        raise NotImplementedError

    def predict_one(self, customer: Mapping[str, Any]) -> int | None:
        """The segment of one customer given as plain numbers and known levels, without
        the DataFrame funnel (microseconds); None when a value is missing, unseen or of an
        unusual type, for the general path to place or refuse exactly as ``predict``."""
        numeric: list[float] = []
        codes: list[int] = []
        lookup = iter(self._lookup)
        for name, is_cat in zip(self.columns, self.is_categorical, strict=True):
            v = customer[name]
            if is_cat:
                key = _level_key(v)
                code = None if key is None else next(lookup).get(key)
                if code is None:
                    return None
                codes.append(code)
                continue
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                return None
            numeric.append(float(v))
        Z = np.array([numeric], dtype=np.float64).reshape(1, len(numeric))
        for s in self.numeric_steps:
            Z = s.apply(Z, self.numeric_names)
        if not np.isfinite(Z).all():
            return None
        cat = np.array([codes], dtype=np.int32).reshape(1, len(codes))
        return int(self.predict_blocks(np.ascontiguousarray(Z, dtype=np.float64), cat)[0])

    def distances(self, X: Any) -> np.ndarray:
        """The distance (or cost) of every row to every segment, ``(n, k)``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ SQL

    def sql_features(self, raw: list[str], dialect: Dialect) -> list[str]:
        """The per-row inputs of the distances: the preprocessed numeric columns, then a
        level code per categorical column (NULL where ``predict`` would raise)."""
        numeric = [e for e, cat in zip(raw, self.is_categorical, strict=True) if not cat]
        for s in self.numeric_steps:
            numeric = s.sql(numeric, dialect)
        codes = []
        for e, levels in zip(
            [e for e, cat in zip(raw, self.is_categorical, strict=True) if cat],
            self.levels,
            strict=True,
        ):
            if None in levels:
                null_code = str(levels.index(None))
            elif self.missing == "ignore":
                null_code = str(MISSING_CODE)
            else:
                null_code = "NULL"  # predict raises: a missing value it cannot place
            whens = " ".join(
                f"WHEN {e} = {_sql_level(lv, dialect)} THEN {i}"
                for i, lv in enumerate(levels)
                if lv is not None
            )
            unseen = str(UNSEEN_CODE) if self.unknown == "mismatch" else "NULL"
            codes.append(f"(CASE WHEN {e} IS NULL THEN {null_code} {whens} ELSE {unseen} END)")
        return numeric + codes

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        raise NotImplementedError

    def sql_distance(self, best: str) -> str:
        return best

    def sql_validity(self, exprs: list[str]) -> str | None:
        """A condition true for the rows ``predict`` accepts, where the distances alone
        do not say it (None: they do, a refused row's distances are NULL)."""
        return None


class PrototypeStep(MixedStep):
    """k-prototypes / k-modes: squared Euclidean distance on the numeric columns plus
    ``gamma`` per categorical mismatch; the first prototype on ties."""

    kind = "prototypes"

    def __init__(
        self,
        *common: Any,
        gamma: float,
        numeric_prototypes: np.ndarray,
        categorical_prototypes: np.ndarray,
        estimator: str = "KPrototypes",
    ) -> None:
        self.estimator = estimator
        super().__init__(*common)
        self.gamma = float(gamma)
        self.numeric_prototypes = np.ascontiguousarray(numeric_prototypes, dtype=np.float64)
        self.categorical_prototypes = np.ascontiguousarray(categorical_prototypes, dtype=np.int32)
        k = self.n_out
        if self.numeric_prototypes.shape != (k, len(self.numeric_names)) or (
            self.categorical_prototypes.shape != (k, len(self.levels))
        ):
            raise ModelFileError("the prototypes' shapes do not match the model's columns")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise ModelFileError(f"gamma must be finite and > 0, got {self.gamma}")

    def state(self) -> dict[str, Any]:
        return {
            **self._common_state(),
            "estimator": self.estimator,
            "gamma": self.gamma,
            "numeric_prototypes": encode_array(self.numeric_prototypes),
            "categorical_prototypes": encode_array(self.categorical_prototypes),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PrototypeStep:
        return cls(
            *cls._common_args(state),
            gamma=float(state["gamma"]),
            numeric_prototypes=decode_array(state["numeric_prototypes"], "prototypes"),
            categorical_prototypes=decode_array(state["categorical_prototypes"], "prototypes"),
            estimator=str(state["estimator"]),
        )

    def _blocks(self) -> tuple[np.ndarray, np.ndarray]:
        return self.numeric_prototypes, self.categorical_prototypes

    def reordered(self, order: Sequence[int]) -> PrototypeStep:
        """The same step with segment ``i`` being this step's segment ``order[i]``."""
        return PrototypeStep.from_state(
            {
                **self.state(),
                "numeric_prototypes": encode_array(self.numeric_prototypes[list(order)]),
                "categorical_prototypes": encode_array(self.categorical_prototypes[list(order)]),
            }
        )

    def predict_blocks(self, numeric: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return _core.kprototypes_predict(  # type: ignore[no-any-return]
            numeric, codes, self._n_levels, self._blocks(), gamma=self.gamma
        )

    def distances(self, X: Any) -> np.ndarray:
        m = self.read(X)
        return _core.kprototypes_transform(  # type: ignore[no-any-return]
            m.numeric, m.categorical, m.n_levels, self._blocks(), gamma=self.gamma
        )

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        p = len(self.numeric_names)
        num, codes = exprs[:p], exprs[p:]
        out = []
        for c in range(self.n_out):
            squares = [
                f"(({e} - {dialect.number(v)}) * ({e} - {dialect.number(v)}))"
                for e, v in zip(num, self.numeric_prototypes[c].tolist(), strict=True)
            ]
            # NULL code (a value predict refuses) -> NULL cost; no ELSE on purpose.
            mismatches = " + ".join(
                f"(CASE WHEN {z} = {int(v)} THEN 0 WHEN {z} <> {int(v)} THEN 1 END)"
                for z, v in zip(codes, self.categorical_prototypes[c].tolist(), strict=True)
            )
            cost = f"{dialect.number(self.gamma)} * ({mismatches})" if codes else ""
            if squares and cost:
                out.append(f"{numpy_order_sum(squares)} + {cost}")
            else:
                out.append(numpy_order_sum(squares) if squares else cost)
        return out


class GowerMedoidStep(MixedStep):
    """k-medoids under Gower's distance: the nearest medoid (the first on ties)."""

    kind = "gower_medoids"
    holds_customer_rows = True
    estimator = "KMedoids"

    def __init__(
        self,
        *common: Any,
        scales: GowerScales,
        medoid_numeric: np.ndarray,
        medoid_codes: np.ndarray,
    ) -> None:
        super().__init__(*common)
        self.scales = scales
        self.medoids = GowerData(
            np.ascontiguousarray(medoid_numeric, dtype=np.float64),
            np.ascontiguousarray(medoid_codes, dtype=np.int32),
        )
        self._model = GowerModel(scales, self._labels, self._cat_labels, self.levels, self.missing)
        if self.medoids.numeric.shape != (self.n_out, len(self.numeric_names)) or (
            self.medoids.codes.shape != (self.n_out, len(self.levels))
        ):
            raise ModelFileError("the medoids' shapes do not match the model's columns")

    @property
    def allow_nan(self) -> bool:
        return self.missing != "error"

    def state(self) -> dict[str, Any]:
        s = self.scales
        return {
            **self._common_state(),
            "numeric_min": encode_array(s.numeric_min),
            "numeric_range": encode_array(s.numeric_range),
            "ordinal": [bool(o) for o in s.ordinal],
            "level_rank": encode_array(s.level_rank),
            "weights": encode_array(s.weights),
            "undefined": float(s.undefined),
            "medoid_numeric": encode_array(self.medoids.numeric),
            "medoid_codes": encode_array(self.medoids.codes),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GowerMedoidStep:
        common = cls._common_args(state)
        levels = common[3]
        scales = GowerScales(
            n_levels=np.asarray([len(lv) for lv in levels], dtype=np.int64),
            numeric_min=decode_array(state["numeric_min"], "Gower scales"),
            numeric_range=decode_array(state["numeric_range"], "Gower scales"),
            ordinal=np.asarray(state["ordinal"], dtype=bool),
            level_rank=decode_array(state["level_rank"], "Gower scales"),
            weights=decode_array(state["weights"], "Gower weights"),
            undefined=float(state["undefined"]),
        )
        return cls(
            *common,
            scales=scales,
            medoid_numeric=decode_array(state["medoid_numeric"], "medoids"),
            medoid_codes=decode_array(state["medoid_codes"], "medoids"),
        )

    def reordered(self, order: Sequence[int]) -> GowerMedoidStep:
        """The same step with segment ``i`` being this step's segment ``order[i]``."""
        return GowerMedoidStep.from_state(
            {
                **self.state(),
                "medoid_numeric": encode_array(self.medoids.numeric[list(order)]),
                "medoid_codes": encode_array(self.medoids.codes[list(order)]),
            }
        )

    def column_weights(self) -> list[float]:
        """The Gower weight of each column, in the table's column order."""
        w = self.scales.weights.tolist()
        p = len(self.numeric_names)
        num, cat = iter(w[:p]), iter(w[p:])
        return [next(cat) if c else next(num) for c in self.is_categorical]

    def _data(self, m: MixedChecked) -> GowerData:
        return GowerData(m.numeric, m.categorical)

    def predict_blocks(self, numeric: np.ndarray, codes: np.ndarray) -> np.ndarray:
        labels, _ = self._model.nearest(GowerData(numeric, codes), self.medoids)
        return labels.astype(np.int32)  # type: ignore[no-any-return]

    def distances(self, X: Any) -> np.ndarray:
        return self._model.distances(self._data(self.read(X)), self.medoids)

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        s = self.scales
        p = len(self.numeric_names)
        num, codes = exprs[:p], exprs[p:]
        n = dialect.number
        scale = [r if r > 0 else 1.0 for r in s.numeric_range.tolist()]
        lo = s.numeric_min.tolist()
        weights = s.weights.tolist()
        offsets = np.concatenate([[0], np.cumsum(s.n_levels)]).astype(int).tolist()
        # The customer's side: numeric columns scaled as the kernel does, ordinal ranks.
        scaled = [f"(({e} - {n(lo[f])}) / {n(scale[f])})" for f, e in enumerate(num)]
        ordinal = [
            g for g in range(len(codes)) if s.ordinal[g] and weights[p + g] > 0
        ]  # kernel order: numeric, ordinal, nominal
        nominal = [g for g in range(len(codes)) if not s.ordinal[g] and weights[p + g] > 0]

        def rank_of(g: int) -> str:
            ranks = s.level_rank[offsets[g] : offsets[g + 1]].tolist()
            whens = " ".join(f"WHEN {i} THEN {n(r)}" for i, r in enumerate(ranks))
            return f"(CASE {codes[g]} {whens} WHEN {UNSEEN_CODE} THEN 4e0 END)"

        def value_term(
            x: str, b: float, w: float, num_terms: list[str], den_terms: list[str]
        ) -> None:
            if math.isnan(b):  # the medoid misses it: the column is left out
                return
            t = f"ABS({x} - {n(b)})"
            num_terms.append(
                f"(CASE WHEN {x} IS NULL THEN 0e0 WHEN {t} < 1e0 THEN {n(w)} * {t} ELSE {n(w)} END)"
            )
            den_terms.append(f"(CASE WHEN {x} IS NULL THEN 0e0 ELSE {n(w)} END)")

        out = []
        for c in range(self.n_out):
            num_terms: list[str] = []
            den_terms: list[str] = []

            for f in range(p):
                if weights[f] > 0:
                    b = self.medoids.numeric[c, f]
                    b = (b - lo[f]) / scale[f]
                    value_term(scaled[f], float(b), weights[f], num_terms, den_terms)
            for g in ordinal:
                code = int(self.medoids.codes[c, g])
                b = math.nan if code == MISSING_CODE else float(s.level_rank[offsets[g] + code])
                value_term(rank_of(g), b, weights[p + g], num_terms, den_terms)
            for g in nominal:
                code = int(self.medoids.codes[c, g])
                if code == MISSING_CODE:
                    continue
                w = n(weights[p + g])
                z = codes[g]
                num_terms.append(
                    f"(CASE WHEN {z} = {MISSING_CODE} THEN 0e0 WHEN {z} = {code} THEN 0e0 "
                    f"ELSE {w} END)"
                )
                den_terms.append(f"(CASE WHEN {z} = {MISSING_CODE} THEN 0e0 ELSE {w} END)")
            undefined = n(s.undefined)
            if not num_terms:
                out.append(undefined)
                continue
            o = " + ".join(num_terms)
            d = " + ".join(den_terms)
            out.append(f"(CASE WHEN ({d}) > 0e0 THEN ({o}) / ({d}) ELSE {undefined} END)")
        return out

    def sql_validity(self, exprs: list[str]) -> str | None:
        # A NULL is skipped by the distance, so the refused rows are named here.
        p = len(self.numeric_names)
        conds = [f"{z} IS NOT NULL" for z in exprs[p:]]
        if self.missing == "error":
            conds += [f"{z} IS NOT NULL" for z in exprs[:p]]
        return " AND ".join(conds) if conds else None


class EuclideanMedoidStep(CentroidStep):
    """k-medoids under the Euclidean distance: the nearest medoid (first on ties)."""

    kind = "euclidean_medoids"
    holds_customer_rows = True

    def apply(self, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
        labels, _ = euclidean_nearest(np.ascontiguousarray(X, dtype=np.float64), self.centers)
        return labels.astype(np.int32)  # type: ignore[no-any-return]

    def distances(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty((X.shape[0], self.n_out), dtype=np.float64)
        return euclidean_fill(X, self.centers, out)

    def sql(self, exprs: list[str], dialect: Dialect) -> list[str]:
        # The kernel sums the squares in feature order, then takes the square root.
        return [f"SQRT({s})" for s in super().sql(exprs, dialect)]

    def sql_distance(self, best: str) -> str:
        return best

    def reordered(self, order: Sequence[int]) -> EuclideanMedoidStep:
        return EuclideanMedoidStep(np.ascontiguousarray(self.centers[list(order)]))

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EuclideanMedoidStep:
        centers = decode_array(state["centers"], "medoids")
        if centers.ndim != 2 or centers.shape[0] == 0 or centers.dtype != np.float64:
            raise ModelFileError(f"the medoids have shape {centers.shape}; expected (k, d)")
        return cls(centers)


# --------------------------------------------------------------------------- converters


def _common(est: Any, m_columns: list[Any], is_cat: Sequence[bool], levels: Any) -> list[Any]:
    named = hasattr(est, "feature_names_in_")
    columns = [str(c) for c in (est.feature_names_in_ if named else m_columns)]
    if not named:
        columns = [f"x{j}" for j in range(len(m_columns))]
    return [
        columns,
        named,
        [bool(c) for c in is_cat],
        [[_level(v, allow_bool=True) for v in lv] for lv in levels],
        est.missing,
        est.unknown,
        [],
        None,
    ]


def _prototypes(est: Any) -> list[Step]:
    protos = _fitted(est, "prototypes_")
    mask = np.asarray(est._fitted_mixed, dtype=bool)
    common = _common(est, list(range(len(mask))), mask.tolist(), est.categories_)
    common[-1] = len(protos)
    name = type(est).__name__
    num = getattr(est, "_num_prototypes", None)
    if num is None:
        num = np.empty((len(protos), 0), dtype=np.float64)
    return [
        PrototypeStep(
            *common,
            gamma=float(est._gamma),
            numeric_prototypes=num,
            categorical_prototypes=est._cat_prototypes,
            estimator=name,
        )
    ]


def _kmedoids(est: Any) -> list[Step]:
    medoids = _fitted(est, "medoid_indices_")
    if est.metric == "precomputed":
        raise UnsupportedModelError(
            "KMedoids(metric='precomputed') cannot be deployed: scoring a new customer needs "
            "its distances to every training customer; refit with metric='gower' or "
            "'euclidean'"
        )
    if est.metric == "euclidean":
        return [EuclideanMedoidStep(np.asarray(est._medoid_values, dtype=np.float64))]
    gower: GowerModel = est._gower
    labels = list(gower.columns)
    is_cat = [c in gower.categorical for c in labels]
    common = _common(est, labels, is_cat, gower.levels)
    common[4] = gower.missing
    common[-1] = len(medoids)
    data: GowerData = est._medoid_data
    return [
        GowerMedoidStep(
            *common,
            scales=gower.scales,
            medoid_numeric=data.numeric,
            medoid_codes=data.codes,
        )
    ]


for _cls in (PrototypeStep, GowerMedoidStep, EuclideanMedoidStep):
    STEP_CLASSES[_cls.kind] = _cls
register_step("segwise.cluster._kprototypes.KPrototypes", _prototypes)
register_step("segwise.cluster._kprototypes.KModes", _prototypes)
register_step("segwise.cluster._kmedoids.KMedoids", _kmedoids, holds_customer_rows=True)


# --------------------------------------------------------------------------- refresh


def _nearest_rows(d: np.ndarray) -> np.ndarray:
    """For each column of ``d`` (rows x segments), the closest row not taken by an earlier
    segment: a warm start for k-medoids from the old medoids."""
    taken: set[int] = set()
    out = []
    for c in range(d.shape[1]):
        for i in np.argsort(d[:, c], kind="stable").tolist():
            if i not in taken:
                taken.add(i)
                out.append(i)
                break
    return np.asarray(out, dtype=np.int64)


def refit(
    step: Step, data: Any, k: int, warm_start: bool, random_state: int, max_iter: int
) -> tuple[Any, Step]:
    """Refit a k-prototypes / k-modes / k-medoids step on ``data`` (the model's columns,
    preprocessing included): the warm start is the old prototypes (k-prototypes' ``init``)
    or the new customers closest to the old medoids (k-medoids' ``init``). Returns (the
    fitted estimator, its step with the old numeric preprocessing)."""
    from ..cluster import KMedoids, KModes, KPrototypes

    warm = warm_start and k == step.n_out
    est: Any
    if isinstance(step, EuclideanMedoidStep):
        Z = np.ascontiguousarray(data, dtype=np.float64)
        init: Any = _nearest_rows(step.distances(Z)) if warm else "k-medoids++"
        method = "fasterpam" if Z.shape[0] <= 10_000 else "clara"
        est = KMedoids(
            n_clusters=k,
            metric="euclidean",
            method=method,
            init=init,
            max_iter=max_iter,
            random_state=random_state,
        ).fit(Z)
        return est, EuclideanMedoidStep(np.asarray(est._medoid_values, dtype=np.float64))
    assert isinstance(step, MixedStep)
    m = step.read(data)
    frame = (data if isinstance(data, pd.DataFrame) else pd.DataFrame(data).infer_objects()).copy()
    numeric_at = [j for j, c in enumerate(step.is_categorical) if not c]
    for i, j in enumerate(numeric_at):
        frame.iloc[:, j] = m.numeric[:, i]
    if numeric_at:
        frame = frame.astype({frame.columns[j]: np.float64 for j in numeric_at})
    labels = list(frame.columns)
    cats = [labels[j] for j, c in enumerate(step.is_categorical) if c]
    if isinstance(step, GowerMedoidStep):
        init = _nearest_rows(step.distances(data)) if warm else "k-medoids++"
        est = KMedoids(
            n_clusters=k,
            metric="gower",
            method="fasterpam" if len(frame) <= 10_000 else "clara",
            init=init,
            max_iter=max_iter,
            categorical=cats,
            weights=step.column_weights(),
            missing=step.missing,
            unknown=step.unknown,
            random_state=random_state,
        ).fit(frame)
        new = _kmedoids(est)[0]
    else:
        assert isinstance(step, PrototypeStep)
        common: dict[str, Any] = {
            "n_clusters": k,
            "categorical": cats,
            "missing": step.missing,
            "unknown": step.unknown,
            "max_iter": max_iter,
            "random_state": random_state,
        }
        kmodes = step.estimator == "KModes"
        est = KModes(**common) if kmodes else KPrototypes(gamma=step.gamma, **common)
        if warm:
            rows: dict[Any, Any] = {}
            num = iter(range(step.numeric_prototypes.shape[1]))
            cat = iter(range(step.categorical_prototypes.shape[1]))
            for lab, is_cat in zip(labels, step.is_categorical, strict=True):
                if is_cat:
                    g = next(cat)
                    rows[lab] = [step.levels[g][c] for c in step.categorical_prototypes[:, g]]
                else:
                    rows[lab] = step.numeric_prototypes[:, next(num)]
            init_frame = pd.DataFrame(rows, columns=frame.columns)
            try:
                est.set_params(init=init_frame, n_init=1).fit(frame)
            except UnknownCategoryError:  # an old prototype's level is gone: cold start
                warm = False
        if not warm:
            est.set_params(init="k-modes++" if kmodes else "k-prototypes++", n_init="auto")
            est.fit(frame)
        new = _prototypes(est)[0]
    assert isinstance(new, MixedStep)
    new.numeric_steps = step.numeric_steps
    return est, new
