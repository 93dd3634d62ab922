"""Plumbing shared by segwise's result objects (summaries, HTML, plots)."""

from __future__ import annotations

from typing import Any


def pyplot(who: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError saying that ``who`` needs the plot extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f'{who} needs matplotlib: pip install "segwise[plot]"') from exc
    return plt
