"""Real datasets shipped with segwise (offline); provenance in ``PROVENANCE.md`` beside them.

Examples
--------
>>> from segwise.datasets import load_cdnow, load_hillstrom
>>> tx = load_cdnow()
>>> tx.shape
(69659, 4)
>>> load_hillstrom()["segment"].value_counts().sort_index().tolist()
[21307, 21306, 21387]
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_cdnow", "load_cdnow_summary", "load_hillstrom", "provenance"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


def _path(name: str):  # type: ignore[no-untyped-def]
    return resources.files(__name__).joinpath(name)


def load_cdnow(sample: bool = False) -> pd.DataFrame:
    """CDNOW transaction log: 69,659 purchases by 23,570 customers (1997-01 to 1998-06).

    Parameters
    ----------
    sample : bool, default False
        Only the 2,357 customers of Fader & Hardie's 1/10th sample (6,919 purchases), the
        data of the published BG/NBD, Pareto/NBD and Gamma-Gamma estimates (the sample
        lifetimes ships as ``CDNOW_sample.txt``, under the master file's customer ids).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (zero-padded text), ``date`` (datetime64),
        ``number_of_cds`` (int) and ``dollar_value`` (float). Several rows can share a
        customer and a day; 80 rows are $0.

    Examples
    --------
    >>> from segwise.datasets import load_cdnow
    >>> load_cdnow()["customer_id"].nunique()
    23570
    >>> load_cdnow(sample=True).shape
    (6919, 4)
    """
    with _path("cdnow_master.txt.gz").open("rb") as fh:
        df = pd.read_csv(
            fh,
            sep=r"\s+",
            compression="gzip",
            dtype={"customer_id": str, "date": str},
        )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["dollar_value"] = df["dollar_value"].astype(float)
    if sample:
        with _path("cdnow_sample_ids.txt").open("r", encoding="utf-8") as fh:
            ids = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
        df = df[df["customer_id"].isin(ids)].reset_index(drop=True)
    return df


def load_cdnow_summary() -> pd.DataFrame:
    """The CDNOW sample summarised as in Fader, Hardie & Lee (2005): one row per customer
    of the 2,357-customer sample, calibration period up to 1997-09-30, time in weeks.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ID`` (1..2,357: the sample's own numbering, by first purchase date
        and then customer id, as in lifetimes' ``cdnow_customers_summary.csv``); columns
        ``frequency`` (repeat purchases), ``recency`` and ``T`` (weeks from the first
        purchase to the last one and to 1997-09-30) and ``monetary_value`` (mean value of
        the repeat purchases, 0 without any), as ``rfm_table(..., convention="btyd")``
        computes them from :func:`load_cdnow` with ``sample=True`` (days divided by 7).

    Examples
    --------
    >>> from segwise.datasets import load_cdnow_summary
    >>> s = load_cdnow_summary()
    >>> s.shape, int(s["frequency"].sum())
    ((2357, 4), 2457)
    """
    from ..rfm import rfm_table

    table = rfm_table(
        load_cdnow(sample=True),
        amount="dollar_value",
        observation_end="1997-09-30",
        convention="btyd",
    )
    table["recency"] /= 7.0
    table["T"] /= 7.0
    # The sample's numbering: by first purchase (the longest T first), then customer id.
    order = pd.DataFrame({"T": -table["T"].to_numpy(), "id": table.index})
    order = order.sort_values(["T", "id"])
    table = table.iloc[order.index.to_numpy()]
    table.index = pd.RangeIndex(1, len(table) + 1, name="ID")
    return table


def load_hillstrom() -> pd.DataFrame:
    """Hillstrom's MineThatData e-mail experiment: 64,000 customers, three random arms.

    Returns
    -------
    pandas.DataFrame
        Pre-treatment columns (recency, history_segment, history, mens, womens, zip_code,
        newbie, channel), the arm ``segment`` ("Mens E-Mail", "Womens E-Mail",
        "No E-Mail") and outcomes ``visit``, ``conversion``, ``spend``.

    Examples
    --------
    >>> from segwise.datasets import load_hillstrom
    >>> df = load_hillstrom()
    >>> float(round(df.groupby("segment")["conversion"].mean()["Mens E-Mail"], 4))
    0.0125
    """
    with _path("hillstrom.csv.gz").open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")


def provenance() -> str:
    """Where the bundled datasets come from (the text of ``PROVENANCE.md``)."""
    return _path("PROVENANCE.md").read_text(encoding="utf-8")
