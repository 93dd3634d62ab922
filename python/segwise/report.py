"""A small builder for self-contained HTML reports (one file: inline CSS, no JS, no network).

A :class:`Report` collects headings, paragraphs, tables (DataFrames rendered with every
value escaped) and figures (matplotlib, embedded as base64 PNG). Without matplotlib a
figure becomes a short note in the report instead of an error.

Examples
--------
>>> import pandas as pd
>>> from segwise.report import Report
>>> rep = Report("Segments")
>>> rep = rep.section("Sizes").text("Two segments.")
>>> rep = rep.table(pd.DataFrame({"size": [10, 20]}, index=["a", "b"]))
>>> "<h2 id='s1'>Sizes</h2>" in rep.to_html()
True
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
import re
from collections.abc import Callable
from numbers import Integral
from pathlib import Path
from typing import Any

import pandas as pd

from ._results import PLOT_EXTRA, detached_figure, html_table
from ._validation import Constraints, Interval, validate_params
from .exceptions import InvalidParameterError

__all__ = ["Report"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


_SECTION_PARAMS: Constraints = {"level": [Interval(Integral, 2, 4, closed="both")]}
_TABLE_PARAMS: Constraints = {"max_rows": [Interval(Integral, 1, None, closed="left")]}
_FIGURE_PARAMS: Constraints = {"dpi": [Interval(Integral, 10, None, closed="left")]}

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { border-bottom: 2px solid #446; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #ccd; padding-bottom: .15em; margin-top: 2em; }
table.sw, .segwise-result table { border-collapse: collapse; font-size: 88%;
       margin: .6em 0 1.2em 0; }
table.sw th, table.sw td, .segwise-result th, .segwise-result td {
       padding: 3px 9px; border-bottom: 1px solid #e3e3e8; }
table.sw thead th, .segwise-result thead th { background: #f0f0f5; text-align: center; }
table.sw td, .segwise-result td { text-align: right; font-variant-numeric: tabular-nums; }
table.sw tbody th, .segwise-result tbody th { text-align: left; font-weight: 600; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption, .caption { color: #555; font-size: 88%; }
.note { color: #8a4b00; background: #fff6e5; padding: .4em .7em; border-radius: 3px; }
nav ul { columns: 2; font-size: 92%; } .meta { color: #666; font-size: 88%; }
details { margin: -.6em 0 1.2em 0; font-size: 88%; } summary { cursor: pointer; color: #446; }
"""


class Report:
    """Build a one-file HTML report: sections, paragraphs, tables and figures.

    Every method returns the report, so calls chain. Nothing is written until
    :meth:`write`.

    Parameters
    ----------
    title : str
        The page title and top heading.
    subtitle : str, optional
        A line under the title (e.g. the data and the date).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.report import Report
    >>> rep = Report("Demo", subtitle="CDNOW")
    >>> _ = rep.section("Table").table(pd.DataFrame({"x": [1.5, 2.25]}), index=False)
    >>> page = rep.to_html()
    >>> page.startswith("<!DOCTYPE html>") and "<script" not in page
    True
    """

    def __init__(self, title: str, *, subtitle: str | None = None) -> None:
        self.title = str(title)
        self.subtitle = subtitle
        self._blocks: list[str] = []
        self._toc: list[tuple[str, str]] = []
        #: Figures left out because matplotlib is not installed (each has a note instead).
        self.figures_omitted = 0

    # ------------------------------------------------------------------ content
    def section(self, heading: str, *, level: int = 2) -> Report:
        """Start a section with a heading (level 2, or 3 for a subsection)."""
        level = validate_params(locals(), _SECTION_PARAMS, caller="Report.section")["level"]
        anchor = f"s{len(self._toc) + 1}"
        if level == 2:
            self._toc.append((anchor, str(heading)))
            self._blocks.append(f"<h2 id='{anchor}'>{html.escape(str(heading))}</h2>")
        else:
            self._blocks.append(f"<h{level}>{html.escape(str(heading))}</h{level}>")
        return self

    def text(self, paragraph: str, *, note: bool = False) -> Report:
        """Add a paragraph of plain text (escaped; a blank line starts a new paragraph).

        ``note=True`` shows it as a highlighted remark.
        """
        cls = " class='note'" if note else ""
        for part in re.split(r"\n\s*\n", str(paragraph).strip()):
            self._blocks.append(f"<p{cls}>{html.escape(part)}</p>")
        return self

    def preformatted(self, text: str) -> Report:
        """Add monospaced text as is (escaped), e.g. a ``summary()``."""
        self._blocks.append(f"<pre>{html.escape(str(text))}</pre>")
        return self

    def html(self, fragment: str) -> Report:
        """Add trusted HTML as is (e.g. a segwise result's ``_repr_html_()``).

        Scripts are refused: the report stays a static page.
        """
        if re.search(r"<\s*script|javascript:|<[^>]*\son\w+\s*=", fragment, re.IGNORECASE):
            raise InvalidParameterError("the report takes no scripts or event handlers")
        self._blocks.append(f"<div>{fragment}</div>")
        return self

    def table(
        self,
        df: pd.DataFrame | pd.Series,
        *,
        caption: str | None = None,
        index: bool = True,
        float_format: str | None = None,
        max_rows: int = 200,
        cell_style: Callable[[Any, Any, Any], str | None] | None = None,
        columns: list[Any] | None = None,
    ) -> Report:
        """Add a DataFrame as an HTML table; every label and value is escaped.

        Parameters
        ----------
        df : DataFrame or Series
        caption : str, optional
        index : bool, default True
            Show the index as the first column(s).
        float_format : str, optional
            ``str.format`` pattern for floats (default: 4 significant digits with
            thousands separators, no exponent); share columns (``share``, ``*_share``,
            ``retention``) show as percentages; NaN shows as an empty cell.
        max_rows : int, default 200
            Longer tables are cut, with a line saying how many rows were left out.
        cell_style : callable, optional
            ``cell_style(row_label, column, value) -> CSS`` (or None) for one cell,
            e.g. a background colour.
        columns : list, optional
            Show only these columns; the whole table follows behind a ``<details>``
            element ("All N columns"), closed until the reader opens it.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.report import Report
        >>> wide = pd.DataFrame({"psi": [0.02], "n_bins": [10], "note": [""]})
        >>> page = Report("PSI").table(wide, columns=["psi"]).to_html()
        >>> "<details><summary>All 3 columns</summary>" in page
        True
        """
        if isinstance(df, pd.Series):
            df = df.to_frame()
        if not isinstance(df, pd.DataFrame):
            raise InvalidParameterError(f"table needs a DataFrame, got {type(df).__name__}")
        max_rows = validate_params(locals(), _TABLE_PARAMS, caller="Report.table")["max_rows"]

        def style(label: Any, column: Any, value: Any) -> dict[str, str] | None:
            css = cell_style(label, column, value) if cell_style is not None else None
            return {"style": css} if css else None

        def render(frame: pd.DataFrame, cap: str | None) -> str:
            return html_table(
                frame,
                index=index,
                float_format=float_format,
                cell_attrs=style,
                css_class="sw",
                caption=cap,
                max_rows=max_rows,
            )

        if columns is None:
            self._blocks.append(render(df, caption))
            return self
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InvalidParameterError(f"columns not in the table: {missing}")
        self._blocks.append(render(df[list(columns)], caption))
        self._blocks.append(
            f"<details><summary>All {len(df.columns)} columns</summary>{render(df, None)}</details>"
        )
        return self

    def figure(
        self,
        fig_or_draw: Any,
        *,
        caption: str | None = None,
        figsize: tuple[float, float] = (7.0, 4.0),
        dpi: int = 100,
    ) -> Report:
        """Add a matplotlib figure as an embedded PNG.

        ``fig_or_draw`` is a matplotlib Figure (or Axes), or a callable ``draw(ax)`` that
        draws on a fresh Axes of a ``figsize`` figure (made without pyplot, so nothing
        opens on screen and no global state changes). Without matplotlib installed the
        report shows a note saying how to get the figure instead of failing.
        """
        dpi = validate_params(locals(), _FIGURE_PARAMS, caller="Report.figure")["dpi"]
        if callable(fig_or_draw) and not hasattr(fig_or_draw, "savefig"):
            fig = detached_figure(figsize)
            if fig is None:
                self.figures_omitted += 1
                what = f" ({caption})" if caption else ""
                return self.text(
                    f"Figure omitted{what}: matplotlib is not installed ({PLOT_EXTRA}).", note=True
                )
            fig_or_draw(fig.add_subplot())
        else:
            fig = getattr(fig_or_draw, "figure", fig_or_draw)
            if not hasattr(fig, "savefig"):
                raise InvalidParameterError(
                    "figure needs a matplotlib Figure or Axes, or a callable draw(ax)"
                )
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        alt = html.escape(caption or "figure")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._blocks.append(
            f"<figure><img alt='{alt}' src='data:image/png;base64,{data}'/>{cap}</figure>"
        )
        return self

    # ------------------------------------------------------------------ output
    def to_html(self) -> str:
        """The whole page as one string."""
        esc = html.escape
        sub = f"<p class='meta'>{esc(self.subtitle)}</p>" if self.subtitle else ""
        toc = ""
        if len(self._toc) > 1:
            items = "".join(f"<li><a href='#{a}'>{esc(h)}</a></li>" for a, h in self._toc)
            toc = f"<nav><ul>{items}</ul></nav>"
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        from . import __version__

        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(self.title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{esc(self.title)}</h1>{sub}{toc}{''.join(self._blocks)}"
            f"<p class='meta'>Made with segwise {esc(__version__)} on {stamp}.</p>"
            "</body></html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path`` (UTF-8) and return the path.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from segwise.report import Report
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     out = Report("Empty").write(pathlib.Path(tmp) / "r.html")
        ...     out.read_text(encoding="utf-8").count("<h1>")
        1
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path
