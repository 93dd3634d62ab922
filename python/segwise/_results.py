"""Plumbing shared by segwise's result objects: number formats, tables, summaries, plots.

A result (:class:`~segwise.abtest.LiftReport`, :class:`~segwise.profile.SegmentProfile`,
:class:`~segwise.stability.GapResult`, ...) describes itself once, as a :class:`Summary`: a
title, a few lines, its tables, notes and warnings. :class:`ResultMixin` renders that one
description as the text of ``summary()`` and ``repr()`` and as the HTML of ``_repr_html_()``
(Jupyter), and hands ``plot()`` its Axes through the one optional matplotlib import. The
HTML table and the cell formats are those of :class:`segwise.report.Report` too.

The statistical tests' results unpack to ``(statistic, pvalue)`` (statsmodels' habit)
through :class:`Unpacks`.

Examples
--------
>>> import pandas as pd
>>> from segwise._results import Summary, Table, fmt_share
>>> s = Summary("Sizes: 2 segments", lines=["largest first"],
...             tables=[Table(pd.DataFrame({"share": [0.75, 0.25]}, index=["a", "b"]),
...                           formats={"share": fmt_share})])
>>> print(s.text())
Sizes: 2 segments
largest first
  share
a 75.0%
b 25.0%
>>> "<td>75.0%</td>" in s.html()
True
"""

from __future__ import annotations

import html
import math
import numbers
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = [
    "PLOT_EXTRA",
    "ResultMixin",
    "Summary",
    "TEXT_WIDTH",
    "Table",
    "Unpacks",
    "detached_figure",
    "fmt_cell",
    "fmt_change",
    "fmt_count",
    "fmt_interval",
    "fmt_number",
    "fmt_pvalue",
    "fmt_share",
    "html_table",
    "is_share_column",
    "is_missing",
    "new_axes",
    "pyplot",
    "text_table",
]

#: How to get the plots: the one message of every missing-matplotlib path.
PLOT_EXTRA = 'pip install "segwise[plot]"'

Format = Callable[[Any], str]
#: ``(row label, column, value) -> {attribute: value}`` for one ``<td>`` (HTML only).
CellAttrs = Callable[[Any, Any, Any], Mapping[str, str] | None]
#: ``row label -> {attribute: value}`` for one ``<tr>`` (HTML only).
RowAttrs = Callable[[Any], Mapping[str, str] | None]


# --------------------------------------------------------------------------- numbers


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA/NaT (not for strings or containers)."""
    if value is None:
        return True
    if isinstance(value, str | bytes | tuple | list | np.ndarray):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: Any, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, with thousands separators and without
    an exponent between 1e-4 and 1e15 (``"n/a"`` when missing). The one number format of
    every table: counts stored as floats read ``12,500``, not ``1.25e+04``.

    Examples
    --------
    >>> fmt_number(1234.5678), fmt_number(0.000123456, 2), fmt_number(float("nan"))
    ('1,235', '0.00012', 'n/a')
    >>> fmt_number(12500.0), fmt_number(0.5754), fmt_number(2.1), fmt_number(3e-7)
    ('12,500', '0.5754', '2.1', '3e-07')
    """
    if is_missing(value):
        return "n/a"
    v = float(value)
    if not math.isfinite(v) or v == 0 or not 1e-4 <= abs(v) < 1e15:
        return f"{v:.{digits}g}"
    magnitude = math.floor(math.log10(abs(v)))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{v:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_share(value: Any, digits: int = 1) -> str:
    """A share as a percentage (``"n/a"`` when missing).

    Examples
    --------
    >>> fmt_share(0.4286), fmt_share(0.5, 0)
    ('42.9%', '50%')
    """
    return "n/a" if is_missing(value) else f"{float(value):.{digits}%}"


def fmt_change(value: Any, digits: int = 1) -> str:
    """A relative change as a signed percentage (``"n/a"`` when missing).

    Examples
    --------
    >>> fmt_change(0.1234), fmt_change(-0.05), fmt_change(float("nan"))
    ('+12.3%', '-5.0%', 'n/a')
    """
    return "n/a" if is_missing(value) else f"{float(value):+.{digits}%}"


def fmt_pvalue(value: Any) -> str:
    """A p-value: 3 significant digits, ``"<0.0001"`` below 1e-4 (``"n/a"`` when missing).

    Examples
    --------
    >>> fmt_pvalue(0.04567), fmt_pvalue(3e-9), fmt_pvalue(1.0)
    ('0.0457', '<0.0001', '1')
    """
    if is_missing(value):
        return "n/a"
    return "<0.0001" if float(value) < 1e-4 else f"{float(value):.3g}"


def fmt_interval(low: Any, high: Any, fmt: Format) -> str:
    """``[low, high]`` with ``fmt`` for both ends; ``"unbounded"`` when an end is missing.

    Examples
    --------
    >>> fmt_interval(-0.012, 0.034, fmt_change)
    '[-1.2%, +3.4%]'
    """
    if is_missing(low) or is_missing(high):
        return "unbounded"
    return f"[{fmt(low)}, {fmt(high)}]"


def fmt_count(value: Any) -> str:
    """A count with thousands separators; a non-integral (weighted) count as ``:g``.

    Examples
    --------
    >>> fmt_count(23570), fmt_count(12.5)
    ('23,570', '12.5')
    """
    if is_missing(value):
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):g}"


def fmt_cell(value: Any, float_format: str | None = None, na_rep: str = "") -> str:
    """One table cell: booleans as yes/no, floats by ``float_format`` (default:
    :func:`fmt_number`), ints with thousands separators, missing values as ``na_rep``,
    anything else as ``str``.

    Examples
    --------
    >>> fmt_cell(True), fmt_cell(1.23456), fmt_cell(12345), fmt_cell(float("nan"))
    ('yes', '1.235', '12,345', '')
    """
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if is_missing(value):
        return na_rep
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return fmt_number(value) if float_format is None else float_format.format(float(value))
    return str(value)


def is_share_column(column: Any) -> bool:
    """Columns shown as percentages wherever no format is given: ``share``, ``*_share``
    and ``retention`` (one convention for every table, so a share never reads 0.1428 in
    one table and 14.3% in another)."""
    name = str(column)
    return name in ("share", "retention") or name.endswith("_share")


def _label(value: Any) -> str:
    """A column label; the levels of a MultiIndex label joined by " / "."""
    if isinstance(value, tuple):
        return " / ".join(str(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- tables


def _attrs(attrs: Mapping[str, str] | None) -> str:
    if not attrs:
        return ""
    return "".join(f" {name}='{html.escape(str(v))}'" for name, v in attrs.items() if v)


def html_table(
    df: pd.DataFrame,
    *,
    index: bool = True,
    float_format: str | None = None,
    formats: Mapping[Any, Format] | None = None,
    cell_attrs: CellAttrs | None = None,
    row_attrs: RowAttrs | None = None,
    css_class: str | None = None,
    caption: str | None = None,
    max_rows: int | None = None,
) -> str:
    """``df`` as an HTML ``<table>``; every label and value is escaped.

    Cells are formatted by ``formats[column]`` when given, share columns
    (:func:`is_share_column`) as percentages, else by :func:`fmt_cell` with
    ``float_format`` (missing values are empty cells). ``cell_attrs``/``row_attrs`` add
    attributes (a style, a tooltip) to one ``<td>``/``<tr>``. Longer tables than
    ``max_rows`` are cut, with a line saying how many rows were left out.

    Examples
    --------
    >>> import pandas as pd
    >>> html_table(pd.DataFrame({"<x>": [0.5]}, index=pd.Index(["a"], name="k")))
    '<table><thead><tr><th>k</th><th>&lt;x&gt;</th></tr></thead><tbody><tr><th>a</th><td>0.5</td></tr></tbody></table>'
    """  # noqa: E501
    esc = html.escape
    formats = formats or {}
    shown = df if max_rows is None else df.iloc[:max_rows]
    names = list(shown.index.names) if index else []
    head = "".join(f"<th>{esc('' if n is None else str(n))}</th>" for n in names)
    head += "".join(f"<th>{esc(_label(c))}</th>" for c in shown.columns)
    body = []
    for label, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        cells = ""
        if index:
            parts = label if isinstance(label, tuple) else (label,)
            cells += "".join(f"<th>{esc(fmt_cell(p, float_format))}</th>" for p in parts)
        for col, value in zip(shown.columns, row, strict=True):
            attrs = _attrs(cell_attrs(label, col, value)) if cell_attrs is not None else ""
            fmt = _column_format(formats, col)
            cells += f"<td{attrs}>{esc(_cell(value, fmt, float_format, ''))}</td>"
        body.append(f"<tr{_attrs(row_attrs(label)) if row_attrs is not None else ''}>{cells}</tr>")
    cls = f" class='{esc(css_class)}'" if css_class else ""
    cap = f"<caption class='caption'>{esc(caption)}</caption>" if caption else ""
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f"<p class='caption'>({len(df) - max_rows:,} more rows not shown)</p>"
    return (
        f"<table{cls}>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{more}"
    )


def text_table(
    df: pd.DataFrame,
    *,
    index: bool = True,
    float_format: str | None = None,
    formats: Mapping[Any, Format] | None = None,
) -> str:
    """``df`` as aligned plain text, its cells formatted as in :func:`html_table`
    (missing values show as ``NaN``).

    Examples
    --------
    >>> import pandas as pd
    >>> print(text_table(pd.DataFrame({"x": [1.23456, float("nan")], "ok": [True, False]})))
          x  ok
    0 1.235 yes
    1   NaN  no
    """
    formats = formats or {}
    cells = pd.DataFrame(
        {
            j: [_cell(v, _column_format(formats, col), float_format, "NaN") for v in df.iloc[:, j]]
            for j, col in enumerate(df.columns)
        },
        index=df.index,
    )
    cells.columns = df.columns
    return cells.to_string(index=index)


def _column_format(formats: Mapping[Any, Format], column: Any) -> Format | None:
    if column in formats:
        return formats[column]
    return fmt_share if is_share_column(column) else None


def _cell(value: Any, fmt: Format | None, float_format: str | None, na_rep: str) -> str:
    if fmt is None:
        return fmt_cell(value, float_format, na_rep)
    return na_rep if is_missing(value) else fmt(value)


@dataclass(frozen=True)
class Table:
    """A table of a result with how to show it (see :func:`html_table`)."""

    frame: pd.DataFrame
    caption: str | None = None
    index: bool = True
    float_format: str | None = None
    formats: Mapping[Any, Format] = field(default_factory=dict)
    cell_attrs: CellAttrs | None = None
    row_attrs: RowAttrs | None = None

    def text(self) -> str:
        """The caption (if any) on its own line, then the table as text."""
        body = text_table(
            self.frame, index=self.index, float_format=self.float_format, formats=self.formats
        )
        return f"{self.caption}:\n{body}" if self.caption else body

    def html(self) -> str:
        """The table as HTML, the caption in ``<caption>``."""
        return html_table(
            self.frame,
            index=self.index,
            float_format=self.float_format,
            formats=self.formats,
            cell_attrs=self.cell_attrs,
            row_attrs=self.row_attrs,
            caption=self.caption,
        )


#: Where the text of a summary wraps: a terminal of 100 columns.
TEXT_WIDTH = 100


def _wrap(line: str) -> str:
    """``line`` wrapped at :data:`TEXT_WIDTH`, continuation lines indented like it."""
    if len(line) <= TEXT_WIDTH:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.fill(line, TEXT_WIDTH, subsequent_indent=indent + "  ", break_on_hyphens=False)


@dataclass(frozen=True)
class Summary:
    """What a result says, once: rendered as text and as HTML.

    ``title`` is the first line of the text (the heading of the HTML); ``lines`` follow it
    (an empty string is a blank line in the text, nothing in HTML); then the ``tables``;
    then the ``after`` lines (notes, legends) and the ``warnings`` (``WARNING: `` in the
    text, highlighted in HTML).
    """

    title: str
    lines: Sequence[str] = ()
    tables: Sequence[Table] = ()
    after: Sequence[str] = ()
    warnings: Sequence[str] = ()

    def text(self) -> str:
        """Plain text, one part per line; lines longer than :data:`TEXT_WIDTH` wrap (the
        tables do not)."""
        parts = [_wrap(self.title), *map(_wrap, self.lines)]
        parts += [t.text() for t in self.tables]
        parts += [*map(_wrap, self.after), *(_wrap(f"WARNING: {w}") for w in self.warnings)]
        return "\n".join(parts)

    def html(self) -> str:
        """A ``<div>`` for Jupyter or :meth:`segwise.report.Report.html`; all text escaped."""
        esc = html.escape
        lines = "".join(f"<p>{esc(line)}</p>" for line in self.lines if line)
        tables = "".join(t.html() for t in self.tables)
        after = "".join(f"<p>{esc(line)}</p>" for line in self.after if line)
        warn = "".join(f"<li>{esc(w)}</li>" for w in self.warnings)
        warn_html = f"<ul style='color:#a33'>{warn}</ul>" if warn else ""
        return (
            f"<div class='segwise-result'><b>{esc(self.title)}</b>"
            f"{lines}{tables}{after}{warn_html}</div>"
        )


# --------------------------------------------------------------------------- plots


def pyplot(who: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError saying that ``who`` needs the plot extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{who} needs matplotlib: {PLOT_EXTRA}") from exc
    return plt


def new_axes(
    ax: Any,
    who: str,
    *,
    figsize: tuple[float, float] | None = None,
    grid: tuple[int, int] | None = None,
) -> Any:
    """Where ``who`` draws: ``ax`` when it is an Axes (or an array of them); new Axes on
    ``ax`` when it is a matplotlib Figure (resized to ``figsize``); else a new pyplot
    figure. With ``grid=(rows, columns)`` the new Axes are a 2-D array."""
    if ax is None:
        plt = pyplot(who)
        if grid is None:
            _, ax = plt.subplots(figsize=figsize)
        else:
            _, ax = plt.subplots(*grid, figsize=figsize, squeeze=False)
        return ax
    if hasattr(ax, "add_subplot"):  # a Figure
        if figsize is not None:
            ax.set_size_inches(*figsize)
        return ax.add_subplot() if grid is None else ax.subplots(*grid, squeeze=False)
    return ax


def detached_figure(figsize: tuple[float, float] | None = None) -> Any:
    """A matplotlib Figure made without pyplot (nothing opens on screen, no global
    state), or None when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(figsize=figsize)


# --------------------------------------------------------------------------- the mixins


class ResultMixin:
    """``summary()``, ``repr()`` and ``_repr_html_()`` of a result from its one
    :meth:`_summary`, and ``plot()``'s Axes from :meth:`_axes`.

    Use it on a frozen dataclass declared with ``repr=False`` (otherwise the dataclass
    writes its own ``__repr__`` over this one).
    """

    def _summary(self) -> Summary:
        raise NotImplementedError

    def summary(self) -> str:
        """Plain-text summary: the headline, the settings, the table(s), notes and warnings.

        Returns
        -------
        text : str

        Examples
        --------
        >>> from segwise.stability import psi
        >>> print(psi([0, 0, 1, 1], [0, 1, 1, 1]).summary().splitlines()[0][:40])
        Population stability index (labels); emp
        """
        return self._summary().text()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self._summary().html()

    def _axes(
        self,
        ax: Any,
        *,
        figsize: tuple[float, float] | None = None,
        grid: tuple[int, int] | None = None,
    ) -> Any:
        return new_axes(ax, f"{type(self).__name__}.plot", figsize=figsize, grid=grid)


class Unpacks:
    """A result that unpacks like a tuple of the fields named in ``_unpack``:
    ``statistic, pvalue = welch_test(a, b)`` as with statsmodels.

    Examples
    --------
    >>> from segwise.abtest import welch_test
    >>> t, p = welch_test([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0])
    >>> round(t, 4), round(p, 4)
    (-1.0954, 0.3153)
    """

    _unpack: ClassVar[tuple[str, ...]] = ("statistic", "pvalue")

    def __iter__(self) -> Iterator[Any]:
        return iter(tuple(getattr(self, name) for name in self._unpack))
