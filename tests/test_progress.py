"""The progress-bar helper: silent when disabled, a text bar without tqdm, typed errors."""

from __future__ import annotations

import io
import sys

import pytest
from segwise import _progress
from segwise.exceptions import InvalidParameterError


def test_disabled_bar_writes_nothing(capsys):
    with _progress.progress(5, "work", enabled=False) as advance:
        for _ in range(5):
            advance(1)
    assert capsys.readouterr().err == ""


def test_auto_is_off_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress.progress_enabled(None) is False


def test_text_bar_without_tqdm(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes the import fail
    with _progress.progress(4, "replicates", enabled=True) as advance:
        advance(2)
        advance(2)
    out = stream.getvalue()
    assert "replicates" in out and "4/4" in out and out.endswith("\n")


def test_bad_enabled_value():
    with pytest.raises(InvalidParameterError, match="progress must be"):
        _progress.progress_enabled("yes")  # type: ignore[arg-type]
