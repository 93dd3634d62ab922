"""Segments over time: label alignment, migration and population stability."""

from __future__ import annotations

__all__: list[str] = []
