"""Recency, frequency and monetary value per customer, RFM scores and named RFM segments.

:func:`rfm_table` summarises a transaction log per customer in one Rust pass, in two
documented conventions; :func:`rfm_scores` turns the table into tie-safe 1..bins scores,
the RFM cell code and named segments.

Examples
--------
>>> from segwise.datasets import load_cdnow
>>> from segwise.rfm import rfm_scores, rfm_table
>>> table = rfm_table(load_cdnow(), amount="dollar_value")
>>> scores = rfm_scores(table)
>>> scores["segment"].value_counts().index[0]
'Hibernating'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._results import to_container
from ._validation import (
    DATE_RANGE,
    Constraints,
    Interval,
    StrOptions,
    as_pandas,
    check_date,
    check_dates,
    container_of,
    encode_labels,
    validate_params,
)
from .exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
)

__all__ = ["rfm_table", "rfm_scores", "RFM_PRESETS"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


_PERIOD_NS = {"D": 86_400 * 10**9, "h": 3_600 * 10**9, "W": 86_400 * 10**9}

_TABLE_PARAMS: Constraints = {
    "customer": [Hashable],
    "date": [Hashable],
    "amount": [Hashable, None],
    "convention": [StrOptions(["segmentation", "btyd"])],
    "freq": [StrOptions(_PERIOD_NS)],
    "negative_amounts": [StrOptions(["net", "drop", "raise"])],
    "date_format": [None, str],
    "freq_multiplier": [Interval(Real, 0, None, closed="neither")],
    "include_first_transaction": ["boolean"],
}


def _require_columns(df: pd.DataFrame, columns: Mapping[str, str]) -> None:
    missing = {arg: col for arg, col in columns.items() if col not in df.columns}
    if missing:
        named = ", ".join(f"{arg}={col!r}" for arg, col in missing.items())
        hint = "".join(
            f"; pass {arg}=None for data without {what}"
            for arg, what in (("amount", "amounts"), ("monetary", "a monetary column"))
            if arg in missing
        )
        raise ColumnNotFoundError(
            f"column(s) not found in the data: {named}; available: "
            f"{list(map(str, df.columns))}{hint}"
        )


def _parse_end(observation_end: Any) -> pd.Timestamp:
    """``observation_end`` as a Timestamp, or a typed error naming the bad value."""
    end = check_date(observation_end, "observation_end")
    if end.tz is not None:
        end = end.tz_localize(None)
    if not DATE_RANGE[0] <= end <= DATE_RANGE[1]:
        raise InvalidParameterError(
            f"observation_end {observation_end!r} is outside {DATE_RANGE[0]:%Y-%m-%d} to "
            f"{DATE_RANGE[1]:%Y-%m-%d} (the range of nanosecond timestamps)"
        )
    return end


def _to_periods(dates: np.ndarray, freq: str) -> np.ndarray:
    ns = np.asarray(dates, dtype="datetime64[ns]").view(np.int64)  # no copy of ns dates
    periods = np.floor_divide(ns, _PERIOD_NS[freq])
    if freq == "W":
        # weeks starting on Monday (pandas' "W" periods end on Sunday); 1970-01-01 is a Thursday
        periods = np.floor_divide(periods + 3, 7)
    return periods


def rfm_table(
    transactions: pd.DataFrame,
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
) -> pd.DataFrame:
    """Summarise a transaction log per customer: recency, frequency, monetary value.

    Rows of one customer in the same period (``freq``: day, week or hour) are merged into
    one purchase, as `lifetimes` does. Transactions after ``observation_end`` are ignored.

    Parameters
    ----------
    transactions : pandas or polars DataFrame
        One row per transaction.
    customer, date : str
        Column names. Dates may be datetimes, text that ``pandas.to_datetime`` parses
        (give ``date_format`` for anything ambiguous), or numbers in the YYYYMMDD layout
        (``20240131``, the most common CSV form; another layout of digits with
        ``date_format``, e.g. ``"%y%m%d"``). Other numbers (Unix seconds...) are refused
        rather than read as nanoseconds. Time-zone-aware dates are read in their own wall
        time; a column mixing time zones is an error.
    amount : str or None, default="amount"
        Column of the transaction amounts. ``None`` for a log without amounts: the table
        then has recency and frequency only (no ``monetary``, ``monetary_mean`` or
        ``monetary_value`` column).
    observation_end : date-like, optional
        End of the observation window (default: the last transaction date).
    convention : {"segmentation", "btyd"}
        ``"segmentation"`` (for RFM segments): ``recency`` = periods from the last purchase
        to ``observation_end``; ``frequency`` = number of purchases *including* the first;
        ``monetary`` = total spend; ``monetary_mean`` = spend per purchase; ``tenure`` =
        periods since the first purchase; plus ``first_purchase`` and ``last_purchase``.
        ``"btyd"`` (for buy-till-you-die models) equals lifetimes'
        ``summary_data_from_transaction_data``: ``frequency`` = repeat purchases,
        ``recency`` = last minus first purchase, ``T`` = ``observation_end`` minus first
        purchase, ``monetary_value`` = mean of the repeat purchases (0 if none).
    freq : {"D", "W", "h"}
        Period: day (default), week (starting Monday) or hour; recency and tenure are in
        these units.
    freq_multiplier : float, default=1
        Report recency, tenure and ``T`` in units of ``freq_multiplier`` periods, as
        lifetimes does (``freq="D", freq_multiplier=7``: purchases counted per day, times in
        weeks). Values other than 1 make those columns float.
    include_first_transaction : bool, default=False
        ``convention="btyd"`` only, as lifetimes: count the first purchase in ``frequency``
        and in the mean ``monetary_value`` (lifetimes' fitters expect False). The
        segmentation convention always includes the first purchase, so it ignores this.
    negative_amounts : {"net", "drop", "raise"}
        Returns and refunds: ``"net"`` (default, as lifetimes) keeps negative amounts, so a
        return lowers the spend of its purchase period; ``"drop"`` ignores those rows;
        ``"raise"`` raises :class:`~segwise.exceptions.InvalidParameterError`.
    date_format : str, optional
        ``strftime`` format of text dates.

    Returns
    -------
    DataFrame
        One row per customer, indexed by the customer column (sorted). Without ``amount``
        the monetary columns are absent. A polars log gives a polars DataFrame whose first
        column is the customer column (polars has no index).

    Raises
    ------
    ColumnNotFoundError
        A column named in the call is missing (the message names it).
    EmptyInputError
        No transactions (or none up to ``observation_end``).
    InvalidParameterError
        Unparsable dates (count and examples), numbers that are not YYYYMMDD dates,
        dates outside 1677-09-22 .. 2262-04-11, mixed time zones, ``observation_end``
        before the first purchase, negative amounts with ``negative_amounts="raise"``.
    NonFiniteError
        Missing or infinite amounts, or a customer's spend overflowing float64.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.rfm import rfm_table
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"],
    ...                    "amount": [10.0, 5.0, 20.0, 8.0]})
    >>> rfm_table(tx, observation_end="2024-01-31")[["recency", "frequency", "monetary"]]
                 recency  frequency  monetary
    customer_id
    a                 20          2      35.0
    b                 26          1       8.0
    >>> rfm_table(tx, observation_end="2024-01-31", convention="btyd")
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0     10.0  30.0            20.0
    b                  0.0      0.0  26.0             0.0

    A log without amounts, times in weeks:

    >>> rfm_table(tx[["customer_id", "date"]], amount=None, observation_end="2024-01-31",
    ...           freq_multiplier=7)[["recency", "frequency", "tenure"]]
                  recency  frequency    tenure
    customer_id
    a            2.857143          2  4.285714
    b            3.714286          1  3.714286
    """
    params = validate_params(locals(), _TABLE_PARAMS, caller="rfm_table")
    kind = container_of(transactions)
    transactions = as_pandas(transactions)
    if not isinstance(transactions, pd.DataFrame):
        raise InvalidParameterError(
            f"transactions must be a pandas or polars DataFrame, got {type(transactions).__name__}"
        )
    table = _summarise(transactions, customer, date, amount, observation_end, params)
    # polars has no index: the customer ids become its first column
    return to_container(table, kind, who="rfm_table")


def _summarise(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    amount: str | None,
    observation_end: Any,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """rfm_table on a pandas frame (``params`` already checked)."""
    convention, freq = params["convention"], params["freq"]
    negative_amounts = params["negative_amounts"]
    multiplier, include_first = params["freq_multiplier"], params["include_first_transaction"]
    columns = {"customer": customer, "date": date}
    if amount is not None:
        columns["amount"] = amount
    _require_columns(transactions, columns)
    if len(transactions) == 0:
        raise EmptyInputError("the transaction log is empty (0 rows)")

    ids = transactions[customer]
    if ids.isna().any():
        raise NonFiniteError(f"column {customer!r} has {int(ids.isna().sum())} missing id(s)")
    dates = check_dates(transactions[date], date, params["date_format"])
    money = _amounts(transactions, amount)
    keep = np.ones(len(money), dtype=bool)
    negative = money < 0
    if negative.any():
        if negative_amounts == "raise":
            raise InvalidParameterError(
                f"column {amount!r} has {int(negative.sum())} negative amount(s) (returns?); "
                "use negative_amounts='net' or 'drop'"
            )
        if negative_amounts == "drop":
            keep &= ~negative

    date_values = dates.to_numpy()
    periods = _to_periods(date_values, freq)
    end = (
        pd.Timestamp(date_values.max()) if observation_end is None else _parse_end(observation_end)
    )
    if end.tz is not None:
        end = end.tz_localize(None)
    end_period = int(_to_periods(np.array([end.to_datetime64()]), freq)[0])
    if end_period < periods.min():
        raise InvalidParameterError(
            f"observation_end {end} is before the first purchase ({dates.min()})"
        )
    keep &= periods <= end_period
    if not keep.any():
        raise EmptyInputError("no transactions left up to observation_end")

    if not keep.all():  # most logs keep every row: no masked copies then
        ids, periods, money, date_values = ids[keep], periods[keep], money[keep], date_values[keep]
    customers = encode_labels(ids, name=f"column {customer!r}")
    codes, distinct = customers.codes, customers.distinct
    n_periods, n_rows, first, last, total, repeat_total = _core.purchase_summary(
        codes,
        np.ascontiguousarray(periods),
        np.ascontiguousarray(money),
        n_customers=len(distinct),
    )
    overflow = ~np.isfinite(total) | ~np.isfinite(repeat_total)
    if overflow.any():
        who = [customers.uniques[i] for i in np.flatnonzero(overflow)[:3]]
        raise NonFiniteError(
            f"the spend of {int(overflow.sum())} customer(s) (e.g. {who}) overflows float64: "
            f"column {amount!r} sums to more than 1.8e308; rescale it first (e.g. to "
            "thousands)"
        )
    index = pd.Index(distinct, name=customer, dtype=ids.dtype, tupleize_cols=False)

    def span(periods: np.ndarray) -> np.ndarray:
        # lifetimes divides by freq_multiplier; whole periods stay integers when it is 1
        return periods if multiplier == 1 else periods / multiplier

    if convention == "btyd":
        counted = n_periods if include_first else n_periods - 1
        spend = total if include_first else repeat_total
        columns_btyd: dict[str, Any] = {
            "frequency": counted.astype(float),
            "recency": span(last - first).astype(float),
            "T": span(end_period - first).astype(float),
        }
        if amount is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(counted > 0, spend / np.maximum(counted, 1), 0.0)
            columns_btyd["monetary_value"] = mean
        return pd.DataFrame(columns_btyd, index=index)
    kept_dates = pd.Series(date_values)
    first_dates = kept_dates.groupby(codes).min().to_numpy()
    last_dates = kept_dates.groupby(codes).max().to_numpy()
    table: dict[str, Any] = {"recency": span(end_period - last), "frequency": n_periods}
    if amount is not None:
        table["monetary"] = total
        table["monetary_mean"] = total / n_periods
    table["tenure"] = span(end_period - first)
    table["first_purchase"] = first_dates
    table["last_purchase"] = last_dates
    return pd.DataFrame(table, index=index)


def _amounts(transactions: pd.DataFrame, amount: str | None) -> np.ndarray:
    """The amount column as finite float64 (zeros for a log without amounts)."""
    if amount is None:
        return np.zeros(len(transactions))
    money = transactions[amount]
    if not pd.api.types.is_numeric_dtype(money) or pd.api.types.is_bool_dtype(money):
        raise NonNumericError(f"column {amount!r} must be numeric, got dtype {money.dtype}")
    values = money.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise NonFiniteError(
            f"column {amount!r} has {int(bad.sum())} missing or infinite amount(s) of {len(values)}"
        )
    return values


def _score(values: pd.Series, bins: int, higher_is_better: bool) -> np.ndarray:
    """Tie-safe quantile score 1..bins: equal values always get the same score."""
    ranks = (values if higher_is_better else -values).rank(method="min").to_numpy()
    n = len(values)
    return (1 + np.floor(bins * (ranks - 1) / n)).astype(np.int64)


# (name, R range, F range, M range); first match wins; scores outside every rule: "Others".
RFM_PRESETS: dict[str, list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]] = {
    # The common R-F map (a partition of the 5 x 5 grid of recency and frequency scores).
    "rf_map": [
        ("Champions", (5, 5), (4, 5), (1, 5)),
        ("Loyal Customers", (3, 4), (4, 5), (1, 5)),
        ("Potential Loyalists", (4, 5), (2, 3), (1, 5)),
        ("New Customers", (5, 5), (1, 1), (1, 5)),
        ("Promising", (4, 4), (1, 1), (1, 5)),
        ("Need Attention", (3, 3), (3, 3), (1, 5)),
        ("About to Sleep", (3, 3), (1, 2), (1, 5)),
        ("At Risk", (1, 2), (3, 4), (1, 5)),
        ("Can't Lose Them", (1, 2), (5, 5), (1, 5)),
        ("Hibernating", (1, 2), (1, 2), (1, 5)),
    ],
    # The R rfm package's rfm_segment() default table (R, F and M ranges; with "Lost").
    "rfm_package": [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
        ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
        ("New Customers", (4, 5), (1, 1), (1, 1)),
        ("Promising", (3, 4), (1, 1), (1, 1)),
        ("Need Attention", (2, 3), (2, 3), (2, 3)),
        ("About To Sleep", (2, 3), (1, 2), (1, 2)),
        ("At Risk", (1, 2), (2, 5), (2, 5)),
        ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
        ("Lost", (1, 2), (1, 2), (1, 2)),
    ],
}


_RULE_SHAPE = "(name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi))"


def _check_rules(segments: Any, bins: int) -> list[tuple[Any, ...]]:
    """Custom segment rules: each ``(name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi))``
    with integer score ranges ``1 <= lo <= hi``; the error names the rule and the part."""
    rules = []
    for i, rule in enumerate(segments):
        where = f"segments[{i}] = {rule!r}"
        if not (isinstance(rule, tuple | list) and len(rule) == 4):
            raise InvalidParameterError(f"{where} must be a rule {_RULE_SHAPE}")
        name, *ranges = rule
        if not isinstance(name, str):
            raise InvalidParameterError(f"{where}: the segment name must be a str")
        for score, pair in zip("rfm", ranges, strict=True):
            ok = isinstance(pair, tuple | list) and len(pair) == 2
            ok = ok and all(isinstance(v, Integral) and not isinstance(v, bool) for v in pair)
            if not ok:
                raise InvalidParameterError(
                    f"{where}: the {score} range must be a pair of integer scores "
                    f"(lo, hi), got {pair!r}; a rule is {_RULE_SHAPE}"
                )
            lo, hi = int(pair[0]), int(pair[1])
            if not 1 <= lo <= hi:
                raise InvalidParameterError(
                    f"{where}: the {score} range ({lo}, {hi}) must satisfy 1 <= lo <= hi "
                    f"(scores run from 1 to bins={bins})"
                )
        rules.append((name, *(tuple(int(v) for v in pair) for pair in ranges)))
    return rules


_SCORES_PARAMS: Constraints = {
    "bins": [Interval(Integral, 2, 100, closed="both")],
    "recency": [Hashable],
    "frequency": [Hashable],
    "monetary": [Hashable, None],
    "segments": [StrOptions(RFM_PRESETS), None, "array-like"],
}


def rfm_scores(
    table: pd.DataFrame,
    bins: int = 5,
    recency: str = "recency",
    frequency: str = "frequency",
    monetary: str | None = "monetary",
    segments: str
    | Sequence[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]
    | None = "rf_map",
) -> pd.DataFrame:
    """Score recency, frequency and monetary value 1..``bins`` and name the segments.

    Scores are quantile ranks: customers with equal values always share a score (ties are
    never split at random), so a score may be skipped when one value covers many customers.
    Recency is reversed (recent customers score high).

    Parameters
    ----------
    table : pandas or polars DataFrame
        The output of :func:`rfm_table` (or any frame with the three columns).
    bins : int
        Number of score levels (default 5).
    recency, frequency : str
        Column names.
    monetary : str or None, default="monetary"
        Column name (for a ``convention="btyd"`` table use ``monetary="monetary_value"``);
        ``None`` scores recency and frequency only (a table from
        ``rfm_table(..., amount=None)``): no ``m_score``, a two-digit ``rfm_cell``, and the
        segment rules' monetary ranges are not used.
    segments : "rf_map", "rfm_package", a list of rules, or None
        Named segments. ``"rf_map"``: the common recency-frequency map (Champions, Loyal
        Customers, Potential Loyalists, New Customers, Promising, Need Attention, About to
        Sleep, At Risk, Can't Lose Them, Hibernating). ``"rfm_package"``: the R/F/M range
        table of R's ``rfm`` package (with "Lost"). Or rules ``(name, (r_lo, r_hi),
        (f_lo, f_hi), (m_lo, m_hi))`` on 1..5 scores: the first match wins; customers no
        rule matches are "Others". Presets assume ``bins=5``.

    Returns
    -------
    DataFrame
        ``r_score``, ``f_score``, ``m_score``, ``rfm_cell`` (e.g. "545"), ``rfm_score``
        (sum of the scores) and ``segment``, on the table's index. For a polars table, a
        polars DataFrame: the table's columns followed by these (polars has no index).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.rfm import rfm_scores
    >>> t = pd.DataFrame({"recency": [1, 50, 300, 2, 90], "frequency": [9, 3, 1, 1, 2],
    ...                   "monetary": [500.0, 80.0, 10.0, 15.0, 40.0]})
    >>> rfm_scores(t)[["r_score", "f_score", "m_score", "segment"]]
       r_score  f_score  m_score              segment
    0        5        5        5            Champions
    1        3        4        4      Loyal Customers
    2        1        1        1          Hibernating
    3        4        1        2            Promising
    4        2        3        3              At Risk
    """
    params = validate_params(locals(), _SCORES_PARAMS, caller="rfm_scores")
    bins, segments = params["bins"], params["segments"]
    kind = container_of(table)
    table = as_pandas(table)
    columns = {"recency": recency, "frequency": frequency}
    if monetary is not None:
        columns["monetary"] = monetary
    _require_columns(table, columns)
    if len(table) == 0:
        raise EmptyInputError("the RFM table is empty (0 rows)")
    for col in columns.values():
        if not pd.api.types.is_numeric_dtype(table[col]):
            raise NonNumericError(f"column {col!r} must be numeric, got {table[col].dtype}")
        n_bad = int((~np.isfinite(table[col].to_numpy(dtype=float, na_value=np.nan))).sum())
        if n_bad:
            raise NonFiniteError(f"column {col!r} has {n_bad} missing or infinite value(s)")
    r = _score(table[recency], bins, higher_is_better=False)
    f = _score(table[frequency], bins, higher_is_better=True)
    scores = {"r_score": r, "f_score": f}
    if monetary is not None:
        scores["m_score"] = _score(table[monetary], bins, higher_is_better=True)
    cells = zip(*scores.values(), strict=True)
    sep = "" if bins < 10 else "-"
    out = pd.DataFrame(scores, index=table.index)
    out["rfm_cell"] = [sep.join(map(str, cell)) for cell in cells]
    out["rfm_score"] = sum(scores.values())
    m = scores.get("m_score", np.ones(len(out), dtype=np.int64))
    if segments is not None:
        if isinstance(segments, str):
            if bins != 5:
                raise InvalidParameterError(
                    f"the {segments!r} preset is defined on 1..5 scores; use bins=5 or "
                    "give your own rules"
                )
            rules = RFM_PRESETS[segments]
        else:
            rules = _check_rules(segments, bins)
        names = np.full(len(out), "Others", dtype=object)
        unassigned = np.ones(len(out), dtype=bool)
        for name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi) in rules:
            hit = (
                unassigned
                & (r >= r_lo)
                & (r <= r_hi)
                & (f >= f_lo)
                & (f <= f_hi)
                & ((m >= m_lo) & (m <= m_hi) if monetary is not None else True)
            )
            names[hit] = name
            unassigned &= ~hit
        out["segment"] = names
    if kind == "polars":
        # polars has no index to carry the customer ids: keep the table's own columns
        out = pd.concat([table, out], axis=1)
    return to_container(out, kind, who="rfm_scores")
