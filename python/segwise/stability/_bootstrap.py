"""Per-segment bootstrap stability (Hennig's clusterboot)."""

from __future__ import annotations

__all__: list[str] = []
