"""The example notebooks run from top to bottom and show what their text promises.

Each notebook is executed with nbclient in a fresh kernel running *this* interpreter (a
kernelspec pointing at ``sys.executable`` is installed into a temporary directory and put
first on ``JUPYTER_PATH``), on a copy of the notebooks directory. A cell that raises, or
that writes to stderr (a warning in a tutorial is a bug), fails the test.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = [
    "01_quickstart.ipynb",
    "02_rfm_personas_cdnow.ipynb",
    "03_segment_lift_hillstrom.ipynb",
    "04_mixed_types_hillstrom.ipynb",
    "05_clv_cdnow.ipynb",
]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A "python3" kernelspec running sys.executable, first on JUPYTER_PATH."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no platformdirs migration warning
        # Headless and still rendering: figures become PNG outputs the tests can see
        # (Agg would render nothing into the notebook).
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        spec = KernelSpecManager().get_kernel_spec("python3")
        assert spec.argv[0] == sys.executable
        yield "python3"


def _run(name: str, kernel: str, tmp_path: Path) -> nbformat.NotebookNode:
    work = tmp_path / "notebooks"
    shutil.copytree(NB_DIR, work)
    return _execute(nbformat.read(work / name, as_version=4), kernel, work)


def _execute(nb: nbformat.NotebookNode, kernel: str, work: Path) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb, kernel_name=kernel, timeout=300, resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _stdout(nb) -> str:
    return "".join(
        o.get("text", "")
        for c in _code_cells(nb)
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stdout"
    )


def _n_images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in _code_cells(nb) for o in c.outputs)


def _last_table_html(nb) -> str:
    last = _code_cells(nb)[-1]
    results = [o for o in last.outputs if o.output_type == "execute_result"]
    assert results, "the last cell shows no result"
    return results[-1]["data"]["text/html"]


def _check_common(nb) -> None:
    stderr = [
        o.text
        for c in _code_cells(nb)
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert not stderr, f"cells wrote to stderr: {stderr}"
    assert all(c.execution_count is not None for c in _code_cells(nb))


def _check_adjusted_intervals(html: str) -> None:
    """The lift table shows the intervals that agree with `pvalue_adj` / `significant`
    (the adjusted ones), not the unadjusted 95% intervals of the raw p-value."""
    for column in ("rel_lift_low_adj", "rel_lift_high_adj", "ci_level_adj", "significant"):
        assert f"<th>{column}</th>" in html
    for column in ("rel_lift_low", "rel_lift_high"):
        assert f"<th>{column}</th>" not in html


def test_quickstart(kernel, tmp_path):
    nb = _run("01_quickstart.ipynb", kernel, tmp_path)
    _check_common(nb)
    out = _stdout(nb)
    score = float(out.split("silhouette = ")[1].split()[0])
    assert 0 < score < 1
    assert "Lift report: 3 segment(s), 3 metric(s), 2 treatment arm(s)" in out
    assert _n_images(nb) == 2  # segment sizes, forest plot
    html = _last_table_html(nb)
    for word in ("<th>segment</th>", "rel_lift", "Urban", "(all)"):
        assert word in html
    _check_adjusted_intervals(html)


def test_rfm_personas_cdnow(kernel, tmp_path):
    nb = _run("02_rfm_personas_cdnow.ipynb", kernel, tmp_path)
    _check_common(nb)
    out = _stdout(nb)
    assert "is the largest k with prediction strength" in out or "Fallback: " in out
    assert "silhouette = " in out
    assert "Bootstrap stability: " in out and "Hennig's scale" in out
    assert "% of customers" in out  # the persona descriptions
    # named segments, choose-k small multiples, stability bars, persona heat map
    assert _n_images(nb) == 4
    html = _last_table_html(nb)
    assert "top_rfm_segment" in html and "<th>segment</th>" in html
    text = _code_cells(nb)[-1].outputs[-1]["data"]["text/plain"]
    assert "Champions" in text
    assert not [c for c in _code_cells(nb) if "INTEGRATE" in c.source]


def test_segment_lift_hillstrom(kernel, tmp_path):
    nb = _run("03_segment_lift_hillstrom.ipynb", kernel, tmp_path)
    _check_common(nb)
    out = _stdout(nb)
    assert "Lift report: 4 segment(s), 3 metric(s), 2 treatment arm(s)" in out
    assert "no report-level warnings" in out
    assert _n_images(nb) == 1  # forest plot
    html = _last_table_html(nb)
    for word in ("<th>segment</th>", "rel_lift", "pvalue_adj", "Womens E-Mail"):
        assert word in html
    _check_adjusted_intervals(html)


def test_mixed_types_hillstrom(kernel, tmp_path):
    nb = _run("04_mixed_types_hillstrom.ipynb", kernel, tmp_path)
    _check_common(nb)
    out = _stdout(nb)
    assert "gamma = " in out and "Recommended k = " in out
    assert "Bootstrap stability: " in out
    assert "% of customers" in out  # the persona descriptions
    assert "Lift report: 4 segment(s), 3 metric(s), 2 treatment arm(s)" in out
    html = _last_table_html(nb)
    for word in ("<th>segment</th>", "rel_lift", "pvalue_adj", "Womens E-Mail"):
        assert word in html
    _check_adjusted_intervals(html)


def test_committed_notebooks_are_the_generated_ones_without_outputs():
    spec = importlib.util.spec_from_file_location("_build", NB_DIR / "_build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert sorted(build.NOTEBOOKS) == NOTEBOOKS
    for name, cells in build.NOTEBOOKS.items():
        committed = nbformat.read(NB_DIR / name, as_version=4)
        assert committed == build.build(cells, name), (
            f"{name} differs from notebooks/_build.py: run `python notebooks/_build.py`"
        )
        for cell in _code_cells(committed):
            assert cell.outputs == [] and cell.execution_count is None


def test_the_harness_fails_on_errors_and_warnings(kernel, tmp_path):
    broken = new_notebook(cells=[new_code_cell("import segwise"), new_code_cell("1 / 0")])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _execute(broken, kernel, tmp_path)
    noisy = new_notebook(
        cells=[
            new_code_cell(
                "import sys, warnings, segwise\n"
                "warnings.warn('something is off')\n"
                "print(sys.executable)"
            )
        ]
    )
    nb = _execute(noisy, kernel, tmp_path)
    assert _stdout(nb).strip() == sys.executable  # the kernel runs this interpreter
    with pytest.raises(AssertionError, match="something is off"):
        _check_common(nb)
