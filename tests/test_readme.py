"""The README runs as written: every Python block on its own in a fresh interpreter, and
the command-line block in a fresh directory (it writes its own input files)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[tuple[str, str]]:
    """``(heading, code)`` of every fenced block in ``language``, in order."""
    text = README.read_text(encoding="utf-8")
    out = []
    for match in FENCE.finditer(text):
        if match.group(1) != language:
            continue
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        out.append((headings[-1] if headings else "top", match.group(2)))
    return out


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"  # no window; plot() calls still run
    # `python` and `segwise` are those of this interpreter's environment.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


PYTHON_BLOCKS = _blocks("python")


def test_the_readme_has_its_examples():
    headings = [h for h, _ in PYTHON_BLOCKS]
    assert len(PYTHON_BLOCKS) >= 6, headings
    for expected in ("Quickstart", "RFM", "Segments over time", "Personas"):
        assert any(expected in h for h in headings), headings


@pytest.mark.parametrize("code", [c for _, c in PYTHON_BLOCKS], ids=[h for h, _ in PYTHON_BLOCKS])
def test_python_block_runs_alone(code, tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert not list(tmp_path.iterdir()), "a README example wrote files it was not asked to"


def _commands(block: str) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def test_command_line_block_runs_on_the_files_it_writes(tmp_path):
    (block,) = [code for h, code in _blocks("bash") if h == "Command line"]
    commands = _commands(block)
    assert [c.split()[:2] for c in commands[1:]] == [
        ["segwise", "rfm"],
        ["segwise", "segment"],
        ["segwise", "lift"],
    ]
    for command in commands:
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, f"{command}\n{run.stderr[-3000:]}"
    for name, columns in (
        ("rfm.csv", "customer_id"),
        ("segments.csv", "customer_id,segment"),
        ("lift.csv", "segment,metric"),
    ):
        header = (tmp_path / name).read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith(columns), (name, header)
