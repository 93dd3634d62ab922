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

__all__ = ["load_cdnow", "load_hillstrom", "provenance"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


def _path(name: str):  # type: ignore[no-untyped-def]
    return resources.files(__name__).joinpath(name)


def load_cdnow() -> pd.DataFrame:
    """CDNOW transaction log: 69,659 purchases by 23,570 customers (1997-01 to 1998-06).

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
    return df


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
