"""k-prototypes and k-modes: segments of tables with numeric and categorical columns."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._base import BaseEstimator, ClusterMixin, TransformerMixin
from .._validation import (
    ITERATIONS,
    N_INIT,
    Checked,
    Constraints,
    Fitted,
    Interval,
    MixedChecked,
    StrOptions,
    check_features,
    check_fitted,
    check_mixed,
    check_random_state,
    check_sample_weight,
)
from ..exceptions import (
    ConstantColumnWarning,
    InvalidParameterError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    _convergence_warning,
)
from ._kmeans import _warn_if_fewer_clusters

__all__ = ["KModes", "KPrototypes"]

_SEEDINGS = ("cao", "huang", "random")
_COMMON_PARAMS: Constraints = {
    "n_clusters": [Interval(Integral, 1, None, closed="left")],
    "n_init": [StrOptions(["auto"]), N_INIT],
    "max_iter": [ITERATIONS],
    "algorithm": [StrOptions(["lloyd", "huang"])],
    "categorical": [None, "array-like", str, Integral],
    "missing": [StrOptions(["error", "level"])],
    "unknown": [StrOptions(["error", "mismatch"])],
    "random_state": ["random_state"],
}


def kmodes_gamma(numeric: np.ndarray) -> float:
    """kmodes' default weight of a categorical mismatch: half the mean standard
    deviation (ddof=0) of the numeric columns (``0.5 * np.mean(Xnum.std(axis=0))``)."""
    return float(0.5 * np.mean(numeric.std(axis=0)))


def lambdaest(numeric: np.ndarray, categorical: np.ndarray, n_levels: np.ndarray) -> float:
    """clustMixType's ``lambdaest`` (its default rule): the mean variance (ddof=1) of the
    numeric columns over the mean concentration ``1 - sum_l p_l^2`` of the categorical
    ones."""
    var = float(np.mean(numeric.var(axis=0, ddof=1))) if numeric.shape[0] > 1 else 0.0
    conc = []
    for j in range(categorical.shape[1]):
        share = np.bincount(categorical[:, j], minlength=int(n_levels[j])) / categorical.shape[0]
        conc.append(1.0 - float(np.sum(share**2)))
    cat = float(np.mean(conc))
    if not (var > 0 and cat > 0):
        which = "numeric columns have no variance" if not var > 0 else "categorical columns"
        if var > 0:
            which += " have a single level each"
        raise InvalidParameterError(
            f"gamma='lambdaest' is undefined here: the {which}; pass a number for gamma"
        )
    return var / cat


def _decode(codes: np.ndarray, levels: list[Any], dtype: Any) -> pd.Series:
    """Level codes -> the column's values in the input's dtype (categoricals keep their
    categories and order)."""
    values = [levels[c] for c in codes.tolist()]
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values, dtype=dtype))
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):  # e.g. None (missing as a level) in a bool column
        return pd.Series(values, dtype=object)


class _MixedClusterer(TransformerMixin, ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """What KPrototypes and KModes share: the fit, predict and prototypes of a mixed table."""

    _parameter_constraints: Constraints = _COMMON_PARAMS
    #: The name of greedy k-means++ seeding in ``init``.
    _plus_plus = "k-prototypes++"
    init: Any
    categorical: Any
    missing: str
    unknown: str
    random_state: Any

    # -------------------------------------------------------------------- subclass hooks

    def _read(self, X: Any, **kwargs: Any) -> MixedChecked:
        raise NotImplementedError

    def _check_columns(self, m: MixedChecked) -> None:
        """Raise when the table's columns do not suit the estimator."""

    def _resolve_gamma(self, m: MixedChecked) -> float:
        return 1.0

    # -------------------------------------------------------------------- fit / predict

    def _n_init(self, n_init: Any, init: Any) -> int:
        deterministic = not isinstance(init, str) or init == "cao"
        if n_init == "auto":
            return 1 if deterministic else 10
        if deterministic and n_init != 1:
            what = "Cao's seeding is deterministic" if init == "cao" else "prototypes are given"
            warnings.warn(
                f"{what}: performing one run in {type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
        return 1 if deterministic else int(n_init)

    def _warn_if_not_converged(self, converged: bool, max_iter: int) -> None:
        """ConvergenceWarning when the best run stopped at ``max_iter`` (the warning
        points at the caller of ``fit``)."""
        if not converged:
            warnings.warn(
                f"{type(self).__name__} stopped after max_iter={max_iter} iterations before "
                "converging (rows still changed segment and the cost still decreased); raise "
                "max_iter",
                _convergence_warning(),
                stacklevel=4,
            )

    def _init_blocks(self, m: MixedChecked, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Given initial prototypes (``init``) as the two blocks, in the fitted levels."""
        init = self.init
        if isinstance(m.index, pd.Index) and not isinstance(init, pd.DataFrame):
            raise InvalidParameterError(
                f"{type(self).__name__}: with a DataFrame X, pass init as a DataFrame of "
                "k prototype rows with the same columns"
            )
        if isinstance(init, pd.DataFrame) and list(init.columns) != list(m.columns):
            raise ShapeMismatchError(
                f"init has columns {list(init.columns)} but X has {list(m.columns)}"
            )
        positions = list(np.flatnonzero(m.is_categorical))
        given = check_mixed(
            init,
            categorical=positions if not isinstance(init, pd.DataFrame) else self._names(m),
            levels=m.levels,
            missing=self.missing,
            unknown="error",
            name="init",
        )
        if len(given.columns) != len(m.columns):
            raise ShapeMismatchError(
                f"init has {len(given.columns)} column(s) but X has {len(m.columns)}"
            )
        if given.numeric.shape[0] != k:
            raise ShapeMismatchError(
                f"init has {given.numeric.shape[0]} prototype row(s) but n_clusters={k}"
            )
        return given.numeric, given.categorical

    @staticmethod
    def _names(m: MixedChecked) -> list[Any]:
        return m.categorical_columns

    def _fit(self, X: Any, sample_weight: Any) -> Any:
        params = self._validate_params()
        k, init = params["n_clusters"], params["init"]
        name = type(self).__name__
        m = self._read(X, missing=params["missing"])
        self._check_columns(m)
        for j, levels in enumerate(m.levels):
            if len(levels) == 1:
                warnings.warn(
                    f"{name}: categorical column {m.categorical_columns[j]!r} has a single "
                    f"level ({levels[0]!r}); it adds the same cost to every prototype and "
                    "cannot separate segments",
                    ConstantColumnWarning,
                    stacklevel=3,
                )
        n = m.numeric.shape[0]
        if n < k:
            raise NotEnoughSamplesError(f"n_samples={n} should be >= n_clusters={k}.")
        n_levels = m.n_levels
        distinct = _core.kprototypes_distinct_rows(m.numeric, m.categorical, n_levels, limit=k)
        if distinct < k:
            raise NotEnoughSamplesError(
                f"X has only {distinct} distinct row(s) among its {n} rows, fewer than "
                f"n_clusters={k}; use n_clusters <= {distinct}"
            )
        weights = check_sample_weight(sample_weight, n)
        gamma = self._resolve_gamma(m)
        seed = check_random_state(self.random_state)
        init_numeric = init_categorical = None
        if not isinstance(init, str):
            init_numeric, init_categorical = self._init_blocks(m, k)
        runs = self._n_init(params["n_init"], init)
        seeding = "cao"  # not read when prototypes are given
        if isinstance(init, str):
            seeding = "k-prototypes++" if init == self._plus_plus else init
        num, cat, labels, cost, n_iter, converged = _core.kprototypes_fit(
            m.numeric,
            m.categorical,
            n_levels,
            sample_weight=weights,
            n_clusters=k,
            init=seeding,
            init_numeric=init_numeric,
            init_categorical=init_categorical,
            n_init=runs,
            max_iter=params["max_iter"],
            gamma=gamma,
            algorithm=params["algorithm"],
            seed=seed,
        )
        _warn_if_fewer_clusters(labels, k)
        self._warn_if_not_converged(converged, params["max_iter"])
        named = m.index is not None or hasattr(X, "to_pandas")
        check_features(self, self._feature_check(m, named), reset=True)
        self._fitted_mixed = m.is_categorical.copy()
        self._fitted_dtypes = list(m.dtypes)
        self._num_prototypes = num
        self._cat_prototypes = cat
        self._n_levels = np.array([len(levels) for levels in m.levels], dtype=np.int64)
        self.categories_ = [list(levels) for levels in m.levels]
        self.categorical_columns_ = list(m.categorical_columns)
        self.labels_ = labels
        self.cost_ = float(cost)
        self.n_iter_ = int(n_iter)
        self._gamma = gamma
        self.prototypes_ = self._prototype_frame(m.columns)
        return self

    @staticmethod
    def _feature_check(m: MixedChecked, named: bool) -> Checked:
        """The table's shape and names as :func:`check_features` reads them."""
        columns = [str(c) for c in m.columns] if named else None
        return Checked(np.empty((0, len(m.columns))), columns, m.index)

    def _prototype_frame(self, columns: list[Any]) -> pd.DataFrame:
        data: dict[Any, Any] = {}
        i_num = i_cat = 0
        kinds = zip(columns, self._fitted_mixed, self._fitted_dtypes, strict=True)
        for col, is_cat, dtype in kinds:
            if is_cat:
                codes = self._cat_prototypes[:, i_cat]
                data[col] = _decode(codes, self.categories_[i_cat], dtype)
                i_cat += 1
            else:
                data[col] = pd.Series(self._num_prototypes[:, i_num])
                i_num += 1
        frame = pd.DataFrame(data, columns=pd.Index(columns))
        frame.index.name = "cluster"
        return frame

    def _test_table(self, X: Any) -> MixedChecked:
        """``X`` at predict time: the fitted columns, coded with the fitted levels."""
        check_fitted(self, "prototypes_")
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) == 2:  # names and width first: clearer messages
            columns = getattr(X, "columns", None)
            names = None if columns is None else [str(c) for c in columns]
            check_features(self, Checked(np.empty((0, shape[1])), names, None), reset=False)
        m = self._read(
            X,
            levels=self.categories_,
            missing=self.missing,
            unknown=self.unknown,
            known=self._fitted_mixed,
        )
        named = m.index is not None or hasattr(X, "to_pandas")
        check_features(self, self._feature_check(m, named), reset=False)
        return m

    def _prototype_blocks(self) -> tuple[np.ndarray, np.ndarray]:
        return self._num_prototypes, self._cat_prototypes

    def predict(self, X: Any) -> np.ndarray:
        """The closest prototype of each row (the first on ties).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            New customers, with the columns seen in ``fit``. A categorical level that
            ``fit`` never saw raises :class:`~segwise.exceptions.UnknownCategoryError`, or
            with ``unknown="mismatch"`` matches no prototype (a mismatch on that column).

        Returns
        -------
        labels : numpy.ndarray of shape (n_samples,), int32

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop", "shop"],
        ...                   "region": ["north", "north", "south", "south"]})
        >>> km = KModes(n_clusters=2).fit(X)
        >>> bool(km.predict(X.iloc[[0]])[0] == km.labels_[0])
        True
        """
        m = self._test_table(X)
        return _core.kprototypes_predict(
            m.numeric, m.categorical, m.n_levels, self._prototype_blocks(), gamma=self._gamma
        )

    def transform(self, X: Any) -> Any:
        """The cost of each row against each prototype (the quantity ``fit`` minimises).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            New customers, with the columns seen in ``fit``.

        Returns
        -------
        costs : numpy.ndarray or DataFrame of shape (n_samples, n_clusters)
            Squared Euclidean distance on the numeric columns plus ``gamma`` per
            categorical mismatch; a DataFrame with ``X``'s index for a DataFrame ``X``.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop"], "new": [True, True, False]})
        >>> KModes(n_clusters=2).fit(X).transform(X).shape
        (3, 2)
        """
        m = self._test_table(X)
        out = _core.kprototypes_transform(
            m.numeric, m.categorical, m.n_levels, self._prototype_blocks(), gamma=self._gamma
        )
        named = m.index is not None or hasattr(X, "to_pandas")
        return self._wrap_output(out, self._feature_check(m, named))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names of :meth:`transform`: the class name in lower case followed
        by the segment number.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked against the fitted feature names; not used otherwise.

        Returns
        -------
        names : numpy.ndarray of str objects

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop"]})
        >>> KModes(n_clusters=2).fit(X).get_feature_names_out().tolist()
        ['kmodes0', 'kmodes1']
        """
        check_fitted(self, "prototypes_")
        self._feature_names(input_features)
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{c}" for c in range(len(self.prototypes_))], dtype=object)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) cost of ``X`` against the fitted prototypes.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        score : float

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop", "app"]})
        >>> km = KModes(n_clusters=2).fit(X)
        >>> float(km.score(X)) == -km.cost_
        True
        """
        m = self._test_table(X)
        weights = check_sample_weight(sample_weight, m.numeric.shape[0])
        _, cost = _core.kprototypes_labels_cost(
            m.numeric,
            m.categorical,
            m.n_levels,
            self._prototype_blocks(),
            gamma=self._gamma,
            sample_weight=weights,
        )
        return -float(cost)


class KPrototypes(_MixedClusterer):
    """k-prototypes clustering of tables with numeric and categorical columns (Huang 1997).

    The cost of a customer against a prototype is the squared Euclidean distance on the
    numeric columns plus ``gamma`` times the number of categorical columns where their
    levels differ; a prototype holds the mean of its customers' numeric values and the
    most frequent level (mode) of each categorical column. Columns are categorical by
    their pandas dtype (category, object, string, bool) unless ``categorical`` names them.
    Scale the numeric columns first (e.g. :class:`~segwise.preprocessing.StandardScaler`):
    ``gamma`` trades one mismatch against squared units of the numeric columns.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of segments.
    gamma : float, "lambdaest" or None, default=None
        Weight of one categorical mismatch (> 0). None: kmodes' default, half the mean
        standard deviation (ddof=0) of the numeric columns; ``"lambdaest"``: clustMixType's
        rule, the mean variance (ddof=1) of the numeric columns over the mean
        ``1 - sum_l p_l^2`` of the categorical ones. The value used is ``gamma_``.
    init : {"k-prototypes++", "cao", "huang", "random"} or DataFrame, default="k-prototypes++"
        ``"k-prototypes++"``: greedy k-means++ seeding on the k-prototypes cost;
        ``"cao"``: Cao et al. (2009), the densest customer first, then each time the one
        maximising density times cost to the closest prototype chosen (deterministic);
        ``"huang"``: Huang (1998), each column drawn by frequency, then each prototype
        moved to its closest distinct customer; ``"random"``: ``n_clusters`` distinct
        customers. Or ``n_clusters`` prototype rows with the columns of ``X`` (a
        DataFrame for a DataFrame ``X``; levels must occur in ``X``).
    n_init : "auto" or int, default="auto"
        Restarts, run in parallel; the lowest cost wins (the earliest on ties). "auto": 1
        for "cao" or given prototypes (deterministic), 10 otherwise (as kmodes). At most
        10,000. Only the best restart's labels are kept, so memory does not grow with
        ``n_init``: at most 24 bytes per row for each running restart plus 4 for the best
        labels (``"lloyd"`` runs restarts one after another from 65,536 rows on;
        ``"huang"``, sequential within a restart, runs two per thread at a time).
    max_iter : int, default=100
        Maximum iterations per restart (at most 10,000,000). A run converges when no
        customer changes segment or the cost stops decreasing (kmodes' rule); when the best
        run reaches ``max_iter`` first, ``fit`` issues a
        :class:`~segwise.exceptions.ConvergenceWarning`.
    algorithm : {"lloyd", "huang"}, default="lloyd"
        ``"huang"``: Huang's incremental updates, row by row in row order, as kmodes 0.12:
        from the same initial prototypes it gives the same labels, prototypes, cost and
        iteration count as ``kmodes.kprototypes.KPrototypes`` (see Notes). ``"lloyd"``:
        batch updates (assign every customer, then recompute every prototype), parallel
        over rows, the same answer on any number of threads; it stops when no customer
        changes segment or the cost stops decreasing (customers tied between two
        prototypes could otherwise change segment back and forth).
    categorical : column label, position or list of them, optional
        Exactly the categorical columns (then every other column must be numeric).
        Default: by dtype.
    missing : {"error", "level"}, default="error"
        A missing categorical value raises :class:`~segwise.exceptions.NonFiniteError`
        naming the column, or becomes a level of its own (``missing="level"``).
        Missing numbers always raise.
    unknown : {"error", "mismatch"}, default="error"
        At predict time, a level ``fit`` never saw raises
        :class:`~segwise.exceptions.UnknownCategoryError`, or (``"mismatch"``) matches no
        prototype: it costs ``gamma`` against every prototype.
    random_state : int, numpy RandomState/Generator or None, default=None
        Seed of the restarts' random streams (one per restart, so results do not depend
        on the number of threads).

    Attributes
    ----------
    labels_ : numpy.ndarray of shape (n_samples,), int32
        Segment of each customer (its closest final prototype).
    cost_ : float
        Weighted sum of every customer's cost against its prototype.
    n_iter_ : int
        Iterations of the best restart.
    gamma_ : float
        The weight of a mismatch that was used.
    prototypes_ : pandas.DataFrame of shape (n_clusters, n_features)
        The prototypes, one row per segment, with ``X``'s column names and dtypes
        (numeric columns as float means, categorical columns as their levels).
    categories_ : list of lists
        The levels of each categorical column, in code order.
    categorical_columns_ : list
        The categorical columns (labels; positions for an array).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray of shape (n_features_in_,)
        Column names seen in ``fit`` (DataFrame input only).

    Raises
    ------
    InvalidParameterError
        A table with only numeric columns (use :class:`~segwise.cluster.KMeans`) or only
        categorical ones (use :class:`KModes`), ``gamma <= 0``, a bad parameter.
    NotEnoughSamplesError
        Fewer rows, or fewer distinct rows, than ``n_clusters``.
    NonFiniteError, EmptyInputError, UnknownCategoryError
        Missing numbers, a column with no values, a level of ``init`` not in ``X``.

    Warns
    -----
    ConstantColumnWarning
        A categorical column with a single level.
    HighCardinalityWarning
        A categorical column with more than 100 levels (an id or free text?).

    Notes
    -----
    *Moving over from kmodes*: kmodes' ``init=[numeric, categorical]`` takes the
    categorical prototypes as codes, each column's levels numbered in sorted order
    (``np.unique``); pass the same prototypes here as rows of levels. kmodes changes the
    arrays passed as ``init`` in place (pass copies). Where kmodes draws at random during a
    run (an empty cluster after the first assignment, or a cluster emptied by a move), this
    implementation moves the customer farthest from its prototype instead, so results
    differ from then on. With ``sample_weight``, kmodes 0.12 counts a moved row with
    weight 1 in the numeric means; this implementation uses its weight throughout.

    The work runs on rayon's thread pool (``RAYON_NUM_THREADS``); results are
    bit-identical for any number of threads.

    References
    ----------
    Huang, Z. (1998). Extensions to the k-means algorithm for clustering large data sets
    with categorical values. Data Mining and Knowledge Discovery 2, 283-304.
    Cao, F., Liang, J., Bai, L. (2009). A new initialization method for categorical data
    clustering. Expert Systems with Applications 36, 10223-10228.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.cluster import KPrototypes
    >>> X = pd.DataFrame({
    ...     "spend": [10.0, 12.0, 11.0, 95.0, 90.0, 99.0],
    ...     "channel": ["web", "web", "web", "shop", "shop", "web"],
    ... })
    >>> kp = KPrototypes(n_clusters=2, random_state=0).fit(X)
    >>> kp.prototypes_.round(2)
             spend channel
    cluster
    0        11.00     web
    1        94.67    shop
    >>> kp.predict(pd.DataFrame({"spend": [15.0], "channel": ["web"]})).tolist()
    [0]
    """

    _fitted_state = {
        "_num_prototypes": Fitted((None, None)),
        "_cat_prototypes": Fitted((None, None), kinds="iu", upper="_n_levels"),
    }
    _parameter_constraints: Constraints = {
        **_COMMON_PARAMS,
        "gamma": [None, StrOptions(["lambdaest"]), Interval(Real, 0, None, closed="neither")],
        "init": [StrOptions(["k-prototypes++", *_SEEDINGS]), "array-like"],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        gamma: float | str | None = None,
        init: Any = "k-prototypes++",
        n_init: str | int = "auto",
        max_iter: int = 100,
        algorithm: str = "lloyd",
        categorical: Any = None,
        missing: str = "error",
        unknown: str = "error",
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.gamma = gamma
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.algorithm = algorithm
        self.categorical = categorical
        self.missing = missing
        self.unknown = unknown
        self.random_state = random_state

    def _read(self, X: Any, **kwargs: Any) -> MixedChecked:
        known = kwargs.pop("known", None)
        categorical = self.categorical
        if known is not None and categorical is None:
            categorical = list(np.flatnonzero(known))
        return check_mixed(X, categorical=categorical, estimator="KPrototypes", **kwargs)

    def _check_columns(self, m: MixedChecked) -> None:
        if not m.is_categorical.any():
            raise InvalidParameterError(
                f"KPrototypes: X has {len(m.columns)} feature(s), all numeric (no category, "
                "string, object or bool column, and categorical= names none); use "
                "segwise.cluster.KMeans, or name the categorical columns with categorical="
            )
        if m.is_categorical.all():
            raise InvalidParameterError(
                f"KPrototypes: X has {len(m.columns)} feature(s), all categorical; use "
                "segwise.cluster.KModes"
            )

    def _resolve_gamma(self, m: MixedChecked) -> float:
        gamma = self.gamma
        if gamma is None:
            gamma = kmodes_gamma(m.numeric)
            if not gamma > 0:
                n = m.numeric.shape[0]
                raise InvalidParameterError(
                    f"KPrototypes: the numeric columns have no variation across the {n} "
                    f"row(s) (n_samples={n}), so the default gamma (half their mean standard "
                    "deviation) is 0; pass gamma > 0"
                )
        elif gamma == "lambdaest":
            gamma = lambdaest(m.numeric, m.categorical, m.n_levels)
        return float(gamma)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KPrototypes:
        """Compute the k-prototypes segments of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric and categorical columns (see ``categorical``); polars frames and
            object arrays are accepted.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (not all zero): weighted means, modes, cost and seeding.

        Returns
        -------
        self : KPrototypes

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KPrototypes
        >>> X = pd.DataFrame({"age": [23.0, 25, 61, 64],
        ...                   "plan": ["basic", "basic", "gold", "gold"]})
        >>> KPrototypes(n_clusters=2, random_state=0).fit(X).gamma_ > 0
        True
        """
        self._fit(X, sample_weight)
        self.gamma_ = self._gamma
        return self

    def fit_predict(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> np.ndarray:
        """Fit and return ``labels_``.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KPrototypes
        >>> X = pd.DataFrame({"age": [23.0, 25, 61, 64],
        ...                   "plan": ["basic", "basic", "gold", "gold"]})
        >>> labels = KPrototypes(n_clusters=2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
        True
        """
        return self.fit(X, sample_weight=sample_weight).labels_


class KModes(_MixedClusterer):
    """k-modes clustering of categorical tables (Huang 1998).

    k-prototypes without numeric columns: every column is categorical (numbers become
    levels), the cost of a customer against a prototype is the number of columns where
    their levels differ, and a prototype holds each column's most frequent level.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of segments.
    init : {"cao", "k-modes++", "huang", "random"} or DataFrame, default="cao"
        As in :class:`KPrototypes` (``"k-modes++"`` is its k-prototypes++). The default,
        Cao's deterministic seeding, is kmodes' default too.
    n_init : "auto" or int, default="auto"
        Restarts; "auto": 1 for "cao" or given prototypes, 10 otherwise. At most 10,000;
        memory does not grow with it (as in :class:`KPrototypes`).
    max_iter : int, default=100
        Maximum iterations per restart, at most 10,000,000 (a
        :class:`~segwise.exceptions.ConvergenceWarning` when the best run reaches it before
        converging, as in :class:`KPrototypes`).
    algorithm : {"lloyd", "huang"}, default="lloyd"
        ``"huang"`` reproduces ``kmodes.kmodes.KModes`` (labels, modes, cost, iterations)
        from the same initial prototypes, and with ``init="cao"`` from kmodes' default
        seeding, since both compute Cao's method the same way.
    categorical : column label, position or list of them, optional
        The columns to use as categorical; default: all of them.
    missing, unknown, random_state
        As in :class:`KPrototypes`.

    Attributes
    ----------
    labels_, cost_, n_iter_, prototypes_, categories_, categorical_columns_
        As in :class:`KPrototypes` (``cost_`` counts mismatches).
    n_features_in_, feature_names_in_
        As in :class:`KPrototypes`.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.cluster import KModes
    >>> X = pd.DataFrame({
    ...     "channel": ["web", "web", "web", "shop", "shop", "shop"],
    ...     "region": ["north", "north", "south", "south", "south", "south"],
    ... })
    >>> km = KModes(n_clusters=2).fit(X)
    >>> km.prototypes_
            channel region
    cluster
    0            web  north
    1           shop  south
    >>> km.cost_
    1.0
    """

    _fitted_state = {"_cat_prototypes": Fitted((None, None), kinds="iu", upper="_n_levels")}
    _parameter_constraints: Constraints = {
        **_COMMON_PARAMS,
        "init": [StrOptions(["k-modes++", *_SEEDINGS]), "array-like"],
    }
    _plus_plus = "k-modes++"

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "cao",
        n_init: str | int = "auto",
        max_iter: int = 100,
        algorithm: str = "lloyd",
        categorical: Any = None,
        missing: str = "error",
        unknown: str = "error",
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.algorithm = algorithm
        self.categorical = categorical
        self.missing = missing
        self.unknown = unknown
        self.random_state = random_state

    def _read(self, X: Any, **kwargs: Any) -> MixedChecked:
        kwargs.pop("known", None)
        categorical = slice(None) if self.categorical is None else self.categorical
        return check_mixed(X, categorical=categorical, estimator="KModes", **kwargs)

    def _check_columns(self, m: MixedChecked) -> None:
        if not m.is_categorical.all():
            numeric = m.numeric_columns
            raise InvalidParameterError(
                f"KModes: column(s) {numeric} are numeric but categorical= leaves them out; "
                "use segwise.cluster.KPrototypes for numeric and categorical columns"
            )

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KModes:
        """Compute the k-modes segments of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Categorical columns (any values; numbers are levels).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (not all zero).

        Returns
        -------
        self : KModes

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"plan": ["basic", "basic", "gold"], "region": ["n", "n", "s"]})
        >>> KModes(n_clusters=2).fit(X).labels_.tolist()
        [0, 0, 1]
        """
        return self._fit(X, sample_weight)  # type: ignore[no-any-return]

    def fit_predict(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> np.ndarray:
        """Fit and return ``labels_``.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.cluster import KModes
        >>> X = pd.DataFrame({"plan": ["basic", "basic", "gold"], "region": ["n", "n", "s"]})
        >>> KModes(n_clusters=2).fit_predict(X).tolist()
        [0, 0, 1]
        """
        return self.fit(X, sample_weight=sample_weight).labels_
