"""segwise's exceptions and warnings.

Every error segwise raises on bad input is a :class:`SegwiseError`, which subclasses
``ValueError`` so that code written for scikit-learn (``except ValueError``) keeps working.
Errors about the *type* of the input also subclass ``TypeError``; using an estimator before
``fit`` also subclasses ``AttributeError``, as scikit-learn's ``NotFittedError`` does.

Examples
--------
>>> import numpy as np
>>> from segwise.cluster import KMeans
>>> from segwise.exceptions import SegwiseError
>>> try:
...     KMeans(n_clusters=5).fit(np.zeros((3, 2)))
... except SegwiseError as err:
...     print(type(err).__name__)
NotEnoughSamplesError
"""

from __future__ import annotations

import sys

__all__ = [
    "SegwiseError",
    "InvalidParameterError",
    "EmptyInputError",
    "NotEnoughSamplesError",
    "ShapeMismatchError",
    "NonFiniteError",
    "InvalidWeightsError",
    "NonNumericError",
    "ColumnNotFoundError",
    "FeatureNamesError",
    "UnknownCategoryError",
    "NotFittedError",
    "FittedStateError",
    "AllocationError",
    "SegwiseInternalError",
    "ConstantColumnWarning",
    "ModelFileError",
    "UnsupportedModelError",
    "PrivacyError",
    "ConvergenceWarning",
    "PrivacyWarning",
    "HighCardinalityWarning",
    "InconsistentVersionWarning",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


class SegwiseError(ValueError):
    """Base class of every segwise error (a ``ValueError``)."""


class InvalidParameterError(SegwiseError):
    """A parameter is outside its valid range or of the wrong kind."""


class EmptyInputError(SegwiseError):
    """The input has no rows or no columns."""


class NotEnoughSamplesError(SegwiseError):
    """Fewer samples than the method needs (e.g. fewer rows than clusters)."""


class ShapeMismatchError(SegwiseError):
    """Inputs whose lengths or widths must agree do not."""


class NonFiniteError(SegwiseError):
    """NaN or infinity where finite values are required; the message names the columns."""


class InvalidWeightsError(SegwiseError):
    """Sample weights that are negative, not finite or all zero."""


class NonNumericError(SegwiseError, TypeError):
    """Columns that are not numeric; the message names them."""


class ColumnNotFoundError(SegwiseError):
    """A column named in the call is not in the DataFrame; the message names it."""


class UnknownCategoryError(SegwiseError):
    """A categorical column holds a level that ``fit`` never saw; the message names the
    column, how many rows and a few of the levels."""


class FeatureNamesError(SegwiseError):
    """Columns at predict/transform time differ from those seen in ``fit``."""


class NotFittedError(SegwiseError, AttributeError):
    """The estimator is used before ``fit``.

    When scikit-learn is already imported, the error raised is also an instance of
    ``sklearn.exceptions.NotFittedError`` (so scikit-learn's own checks and
    ``except sklearn.exceptions.NotFittedError`` recognise it); segwise never imports
    scikit-learn to do so.
    """


def _sklearn_flavoured(ours: type, base: type) -> type:
    """``ours``, or, when scikit-learn is already imported, a subclass of ``ours`` and of
    scikit-learn's class of the same name in ``sklearn.exceptions`` (made once per
    scikit-learn class, so ``type(a) is type(b)`` holds); segwise never imports
    scikit-learn to do so."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sklearn_exceptions, ours.__name__, None)
    if not (isinstance(theirs, type) and issubclass(theirs, base)):
        return ours
    cls = _SKLEARN_FLAVOURED.get(theirs)
    if cls is None:
        # `_reduce`: unpickles as segwise's own class (the other process may not have
        # scikit-learn loaded).
        namespace = {"__module__": __name__, "__doc__": ours.__doc__, "__reduce__": _reduce}
        cls = type(ours.__name__, (ours, theirs), namespace)
        _SKLEARN_FLAVOURED[theirs] = cls
    return cls


def _not_fitted_error(message: str) -> NotFittedError:
    """A :class:`NotFittedError`, also scikit-learn's when scikit-learn is loaded."""
    cls: type[NotFittedError] = _sklearn_flavoured(NotFittedError, Exception)
    return cls(message)


def _reduce(self: Exception) -> tuple[type[Exception], tuple[object, ...]]:
    return type(self).__mro__[1], self.args


_SKLEARN_FLAVOURED: dict[type, type] = {}


class FittedStateError(SegwiseError):
    """A fitted estimator's attributes are not what ``fit`` leaves (NaN centres, another
    dtype or shape): they were edited, or unpickled from another segwise version. The
    message names the attribute; refit the estimator."""


class AllocationError(SegwiseError, MemoryError):
    """A size parameter (bins, restarts, replicates, neighbours...) or the data asks for
    more memory than can be allocated, or than a documented cap (an n x n distance
    matrix); the message says for what and how much, and what to do instead. Raised
    before the work starts, never an abort; also a ``MemoryError``."""


class SegwiseInternalError(SegwiseError):
    """An invariant broke inside the Rust core: a bug, please report it."""


class ModelFileError(SegwiseError):
    """A model file that cannot be trusted: not a segwise model, written by a newer schema
    version, truncated, or edited after it was written (its checksum does not match)."""


class UnsupportedModelError(SegwiseError, TypeError):
    """A model (or one of its steps) that :mod:`segwise.deploy` cannot save, score or
    write as SQL; the message names the step."""


class PrivacyError(SegwiseError):
    """Exporting or reporting would reveal too little aggregated data: a segment smaller
    than ``min_segment_size``, or a real customer's row (a k-medoids medoid)."""


class PrivacyWarning(UserWarning):
    """As :class:`PrivacyError`, when the caller asked for a warning instead of an error."""


class HighCardinalityWarning(UserWarning):
    """A categorical column has so many levels that matching on it says little (an id or a
    free-text column passed as a category?)."""


class InconsistentVersionWarning(UserWarning):
    """An estimator is unpickled with another segwise version than the one that pickled
    it: its fitted state may not mean the same (checked at predict/transform)."""


class ConstantColumnWarning(UserWarning):
    """A column has a single value (a categorical column with one level): it is the same
    for every customer and cannot separate segments."""


class ConvergenceWarning(UserWarning):
    """An iterative method stopped early or found fewer clusters than asked for.

    When scikit-learn is already imported, the warning issued is also an instance of
    ``sklearn.exceptions.ConvergenceWarning``, so filters and ``pytest.warns`` on
    scikit-learn's class catch it too.
    """


def _convergence_warning() -> type[ConvergenceWarning]:
    """The class segwise issues its :class:`ConvergenceWarning` as: also scikit-learn's
    when scikit-learn is loaded."""
    cls: type[ConvergenceWarning] = _sklearn_flavoured(ConvergenceWarning, Warning)
    return cls
