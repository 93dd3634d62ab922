"""``rfm_table`` on a dask DataFrame of transactions: global checks in one pass, a shuffle
by customer, then the in-memory kernel per partition."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._dask import compute, require_dask, tree_reduce
from ._validation import DATE_RANGE, coerce_dates, outside_date_range, validate_params
from .exceptions import (
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
)
from .rfm import (
    _TABLE_PARAMS,
    _parse_end,
    _require_columns,
    _to_periods,
    rfm_table,
)

__all__ = ["rfm_table_dask"]

_COUNTS = ("rows", "missing_ids", "bad_dates", "outside", "bad_amounts", "negative")


def _scan(
    part: pd.DataFrame, customer: str, date: str, amount: str | None, fmt: str | None
) -> dict:
    """One partition's counts of bad values and its date range (dates read as in memory)."""
    dates = coerce_dates(part[date], date, fmt)
    bad_dates = dates.isna()
    outside = outside_date_range(dates)
    money = (
        np.zeros(len(part))
        if amount is None
        else part[amount].to_numpy(dtype=np.float64, na_value=np.nan)
    )
    ok = dates[~bad_dates & ~outside]
    return {
        "rows": len(part),
        "missing_ids": int(part[customer].isna().sum()),
        "bad_dates": int(bad_dates.sum()),
        "bad_examples": part[date][bad_dates].head(3).tolist(),
        "outside": int(outside.sum()),
        "outside_examples": part[date][outside].head(3).tolist(),
        "bad_amounts": int((~np.isfinite(money)).sum()),
        "negative": int((money < 0).sum()),
        "min": ok.min() if len(ok) else pd.NaT,
        "max": ok.max() if len(ok) else pd.NaT,
    }


def _merge_scans(a: dict, b: dict) -> dict:
    out = {k: a[k] + b[k] for k in _COUNTS}
    for k in ("bad_examples", "outside_examples"):
        out[k] = (a[k] + b[k])[:3]
    out["min"] = min((t for t in (a["min"], b["min"]) if not pd.isna(t)), default=pd.NaT)
    out["max"] = max((t for t in (a["max"], b["max"]) if not pd.isna(t)), default=pd.NaT)
    return out


def _summarise(
    part: pd.DataFrame, customer: str, kwargs: dict, meta: pd.DataFrame, id_dtype: Any
) -> Any:
    """The in-memory ``rfm_table`` of one partition (all rows of its customers)."""
    part = part.reset_index()
    # The shuffle may store the ids in another dtype (pyarrow strings): restore the input's.
    part[customer] = part[customer].astype(id_dtype)
    if len(part):
        dates = coerce_dates(part[kwargs["date"]], kwargs["date"], kwargs["date_format"])
        periods = _to_periods(dates.to_numpy().astype("datetime64[ns]"), kwargs["freq"])
        kept = periods <= kwargs["end_period"]
        if kwargs["negative_amounts"] == "drop" and kwargs["amount"] is not None:
            kept &= part[kwargs["amount"]].to_numpy(dtype=np.float64) >= 0
        if kept.any():
            args = {k: v for k, v in kwargs.items() if k != "end_period"}
            return rfm_table(part, customer=customer, **args)
    return meta


def rfm_table_dask(
    transactions: Any,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    observation_end: Any = None,
    convention: str = "segmentation",
    freq: str = "D",
    negative_amounts: str = "net",
    date_format: str | None = None,
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
) -> Any:
    """:func:`segwise.rfm.rfm_table` on a dask DataFrame of transactions partitioned any
    way (exported as ``segwise.dask.rfm_table``).

    One pass checks the whole log (missing ids, unparsable dates, missing or negative
    amounts: counted over every partition, with the same errors as in memory) and finds
    the last date; the log is then shuffled by customer (``set_index``, so customers come
    out sorted) and the in-memory Rust kernel summarises each partition. The result, a
    lazy dask DataFrame indexed by customer, equals the in-memory table row for row.

    Parameters
    ----------
    transactions : dask DataFrame
        One row per transaction.
    customer, date, amount, observation_end, convention, freq, negative_amounts, date_format
        As in :func:`segwise.rfm.rfm_table`; dates are read by the same rules (YYYYMMDD
        numbers included).
    freq_multiplier, include_first_transaction
        As in :func:`segwise.rfm.rfm_table` (lifetimes' options).

    Returns
    -------
    dask DataFrame
        One row per customer (sorted), the in-memory columns.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import rfm_table
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"],
    ...                    "amount": [10.0, 5.0, 20.0, 8.0]})
    >>> t = rfm_table(dd.from_pandas(tx, npartitions=2), observation_end="2024-01-31")
    >>> t.compute()[["recency", "frequency", "monetary"]]
                 recency  frequency  monetary
    customer_id
    a                 20          2      35.0
    b                 26          1       8.0
    """
    dask = require_dask()
    import dask.dataframe as dd

    if not isinstance(transactions, dd.DataFrame):
        raise InvalidParameterError(
            f"transactions must be a dask DataFrame, got {type(transactions).__name__}"
        )
    params = validate_params(locals(), _TABLE_PARAMS, caller="rfm_table")
    meta_in = transactions._meta
    named = {"customer": customer, "date": date} | ({} if amount is None else {"amount": amount})
    _require_columns(meta_in, named)
    if amount is not None:
        money = meta_in[amount]
        if not pd.api.types.is_numeric_dtype(money) or pd.api.types.is_bool_dtype(money):
            raise NonNumericError(f"column {amount!r} must be numeric, got dtype {money.dtype}")
    scan = compute(
        tree_reduce(
            [
                dask.delayed(_scan, pure=True)(p, customer, date, amount, date_format)
                for p in transactions.to_delayed()
            ],
            _merge_scans,
        )
    )[0]
    if scan is None or scan["rows"] == 0:
        raise EmptyInputError("the transaction log is empty (0 rows)")
    if scan["missing_ids"]:
        raise NonFiniteError(f"column {customer!r} has {scan['missing_ids']} missing id(s)")
    if scan["bad_dates"]:
        raise InvalidParameterError(
            f"column {date!r} has {scan['bad_dates']} missing or unparsable date(s) of "
            f"{scan['rows']}, e.g. {scan['bad_examples']}; pass date_format= or clean them first"
        )
    if scan["outside"]:
        raise InvalidParameterError(
            f"column {date!r} has {scan['outside']} date(s) outside "
            f"{DATE_RANGE[0]:%Y-%m-%d} to {DATE_RANGE[1]:%Y-%m-%d} (the range of "
            f"nanosecond timestamps), e.g. {scan['outside_examples']}; fix or drop them"
        )
    if scan["bad_amounts"]:
        raise NonFiniteError(
            f"column {amount!r} has {scan['bad_amounts']} missing or infinite amount(s) of "
            f"{scan['rows']}"
        )
    if scan["negative"] and params["negative_amounts"] == "raise":
        raise InvalidParameterError(
            f"column {amount!r} has {scan['negative']} negative amount(s) (returns?); "
            "use negative_amounts='net' or 'drop'"
        )
    end = scan["max"] if observation_end is None else _parse_end(observation_end)
    if end.tz is not None:
        end = end.tz_localize(None)
    freq = params["freq"]
    end_period = int(_to_periods(np.array([end.to_datetime64()]), freq)[0])
    first_period = int(_to_periods(np.array([scan["min"].to_datetime64()]), freq)[0])
    if end_period < first_period:
        raise InvalidParameterError(
            f"observation_end {end} is before the first purchase ({scan['min']})"
        )
    kwargs = {
        "date": date,
        "amount": amount,
        "observation_end": end,
        "convention": params["convention"],
        "freq": freq,
        "negative_amounts": params["negative_amounts"],
        "date_format": date_format,
        "freq_multiplier": params["freq_multiplier"],
        "include_first_transaction": params["include_first_transaction"],
        "end_period": end_period,
    }
    sample = transactions._meta_nonempty.iloc[:1].copy()
    sample[date] = end
    if amount is not None:
        sample[amount] = 1.0
    meta = rfm_table(
        sample, customer=customer, **{k: v for k, v in kwargs.items() if k != "end_period"}
    ).iloc[:0]
    by_customer = transactions.set_index(customer)
    id_dtype = meta_in[customer].dtype
    return by_customer.map_partitions(_summarise, customer, kwargs, meta, id_dtype, meta=meta)
