"""Progress bars for the long steps (bootstrap replicates, choose_k, the demo).

``progress(total, desc, enabled)`` is a context manager yielding ``advance(n=1)``. It uses
tqdm (``tqdm.auto``, so a widget in Jupyter) when it is installed, else a one-line text bar
on stderr; ``enabled=None`` shows a bar only when stderr is a terminal or in a notebook.
Callers run their work in chunks and call ``advance`` between chunks, so Ctrl-C is
honoured between chunks (the Rust core never holds the GIL while it works).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["progress", "progress_enabled"]


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - defensive
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def progress_enabled(enabled: bool | None) -> bool:
    """Resolve the ``progress`` argument: ``None`` means "a terminal or a notebook"."""
    if enabled is None:
        stream = sys.stderr
        return bool(getattr(stream, "isatty", lambda: False)()) or _in_notebook()
    if not isinstance(enabled, bool):
        from .exceptions import InvalidParameterError

        raise InvalidParameterError(f"progress must be True, False or None, got {enabled!r}")
    return enabled


class _TextBar:
    """A dependency-free bar: ``desc  37/100 [#####.....]  2.1s``, redrawn in place."""

    def __init__(self, total: int, desc: str, stream: Any) -> None:
        self.total, self.desc, self.stream = max(int(total), 0), desc, stream
        self.done, self.start, self.last = 0, time.perf_counter(), 0.0
        self._draw(force=True)

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self._draw(force=self.done >= self.total)

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\r{self.desc}  {self.done}/{self.total} [{bar}] {now - self.start:.1f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _ignore(n: int = 1) -> None:
    """The ``advance`` of a disabled bar."""


@contextmanager
def progress(total: int, desc: str, enabled: bool | None = None) -> Iterator[Callable[[int], None]]:
    """Show a progress bar over ``total`` steps; yields ``advance(n)``.

    Examples
    --------
    >>> from segwise._progress import progress
    >>> with progress(3, "replicates", enabled=False) as advance:
    ...     for _ in range(3):
    ...         advance(1)
    """
    if not progress_enabled(enabled):
        yield _ignore
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        bar: Any = _TextBar(total, desc, sys.stderr)
    else:
        bar = tqdm(total=total, desc=desc, leave=False)

    def advance(n: int = 1) -> None:
        bar.update(n)

    try:
        yield advance
    finally:
        bar.close()
