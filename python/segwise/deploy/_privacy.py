"""Pseudonymous customer ids: keyed HMAC-SHA256 (:func:`pseudonymize`)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InvalidParameterError, NonFiniteError


def pseudonymize(ids: Any, key: str | bytes) -> Any:
    """Replace customer ids by their keyed HMAC-SHA256 (64 hex characters).

    The same id and key always give the same pseudonym (joins keep working); without the
    key the id cannot be recovered or tested against a guess. Ids are hashed as text
    (``str(id)``, UTF-8), so ``42`` and ``"42"`` agree. Keep the key out of the data.

    Parameters
    ----------
    ids : pandas.Series, array-like or scalar
        Customer ids; missing ids (None, NaN, NA) are an error.
    key : str or bytes
        The secret key (non-empty).

    Returns
    -------
    pandas.Series (same index and name), numpy array of str, or str for a scalar

    Examples
    --------
    >>> from segwise.deploy import pseudonymize
    >>> p = pseudonymize(["c1", "c2", "c1"], key="s3cret")
    >>> bool(p[0] == p[2] and p[0] != p[1]), len(p[0])
    (True, 64)
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes | bytearray) or len(key) == 0:
        raise InvalidParameterError("key must be a non-empty str or bytes (the secret)")
    if isinstance(ids, str | int | np.integer):
        return _one(bytes(key), ids)
    series = ids if isinstance(ids, pd.Series) else pd.Series(list(np.asarray(ids, dtype=object)))
    missing = series.isna()
    if missing.any():
        raise NonFiniteError(
            f"ids has {int(missing.sum())} missing value(s) (e.g. at position "
            f"{int(np.flatnonzero(missing.to_numpy())[0])}): a missing id cannot be pseudonymized"
        )
    k = bytes(key)
    out = [_one(k, v) for v in series.tolist()]
    if isinstance(ids, pd.Series):
        return pd.Series(out, index=ids.index, name=ids.name, dtype=object)
    return np.asarray(out, dtype=object)


def _one(key: bytes, value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 42.0 (an int column read with NaN) is the id 42
    return hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
