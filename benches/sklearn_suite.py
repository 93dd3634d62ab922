"""scikit-learn's own k-means and scaler tests, run against segwise's estimators.

Runs the installed ``sklearn/cluster/tests/test_k_means.py`` and
``sklearn/preprocessing/tests/test_data.py`` with segwise's ``KMeans``,
``MiniBatchKMeans``, ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` and
``RobustScaler`` in place of scikit-learn's, and prints the outcome counts and the failing
tests grouped by test function and by whether they use sparse input.

The substitution is a pytest plugin (``Substitute`` below): while pytest imports one of the
two test modules it points those six names of ``sklearn.cluster`` /
``sklearn.preprocessing`` at segwise's classes, so the module's ``from sklearn.cluster
import KMeans`` and everything built at import time (``parametrize`` lists of classes or
instances) get segwise's; the attributes are put back as soon as the module is collected,
so scikit-learn's own code keeps its classes. A test "uses segwise" when a parameter is one
of segwise's classes or instances or when the test function (or a module-level helper it
calls) names one of the six; the other tests of the two modules (``normalize``,
``QuantileTransformer``, ...) are counted apart.

Not part of the test suite (it asserts nothing; about 40 s on 2 cores):

    python benches/sklearn_suite.py            # both modules
    python benches/sklearn_suite.py -k sparse  # extra arguments go to pytest
"""

from __future__ import annotations

import inspect
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
import segwise
import segwise.cluster
import segwise.preprocessing
import sklearn
import sklearn.cluster
import sklearn.preprocessing

SUBSTITUTES: dict[ModuleType, dict[str, type]] = {
    sklearn.cluster: {
        "KMeans": segwise.cluster.KMeans,
        "MiniBatchKMeans": segwise.cluster.MiniBatchKMeans,
    },
    sklearn.preprocessing: {
        name: getattr(segwise.preprocessing, name)
        for name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")
    },
}
NAMES = {name for names in SUBSTITUTES.values() for name in names}
SEGWISE_CLASSES = tuple(cls for names in SUBSTITUTES.values() for cls in names.values())
MODULES = ["cluster/tests/test_k_means.py", "preprocessing/tests/test_data.py"]
SPARSE_WORDS = ("sparse", "csr", "csc", "coo")
#: Global names that build sparse input inside a test body.
SPARSE_NAMES = {
    "sparse",
    "sp",
    "csr_matrix",
    "csc_matrix",
    "coo_matrix",
    "_sparse_random_array",
    "CSR_CONTAINERS",
    "CSC_CONTAINERS",
    "COO_CONTAINERS",
    "LIL_CONTAINERS",
    "DOK_CONTAINERS",
    "BSR_CONTAINERS",
    "DIA_CONTAINERS",
}


def _is_segwise(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_is_segwise(v) for v in value)
    return any(value is cls for cls in SEGWISE_CLASSES) or isinstance(value, SEGWISE_CLASSES)


def _is_sparse(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_is_sparse(v) for v in value)
    if isinstance(value, type) or callable(value):
        return getattr(value, "__module__", "").startswith("scipy.sparse")
    if isinstance(value, str):
        return value.startswith(("sparse", "csr", "csc"))
    return type(value).__module__.startswith("scipy.sparse")


def _global_names(func: Any, module: ModuleType, depth: int = 2) -> set[str]:
    """The global names ``func`` reads, and those of the module-level helpers it calls."""
    func = inspect.unwrap(func)
    if not isinstance(func, FunctionType):
        return set()
    names = set(func.__code__.co_names)
    for const in func.__code__.co_consts:  # nested functions and lambdas
        if inspect.iscode(const):
            names |= set(const.co_names)
    if depth:
        for name in list(names):
            helper = getattr(module, name, None)
            if isinstance(helper, FunctionType) and helper.__module__ == module.__name__:
                names |= _global_names(helper, module, depth - 1)
    return names


class Substitute:
    """The pytest plugin: swap the classes in while a test module is imported, then label
    each collected test and record its outcome."""

    def __init__(self) -> None:
        self.uses_segwise: dict[str, bool] = {}
        self.sparse: dict[str, bool] = {}
        self.outcome: dict[str, str] = {}
        self.message: dict[str, str] = {}
        self.swapped: dict[str, list[str]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        if not isinstance(collector, pytest.Module):
            return (yield)
        saved = {mod: {n: getattr(mod, n) for n in names} for mod, names in SUBSTITUTES.items()}
        for mod, names in SUBSTITUTES.items():
            for name, cls in names.items():
                setattr(mod, name, cls)
        try:
            return (yield)
        finally:
            for mod, names in saved.items():
                for name, cls in names.items():
                    setattr(mod, name, cls)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            module = getattr(item, "module", None)
            if module is not None and module.__name__ not in self.swapped:
                self.swapped[module.__name__] = sorted(
                    name
                    for names in SUBSTITUTES.values()
                    for name, cls in names.items()
                    if getattr(module, name, None) is cls
                )
            func = getattr(item, "function", None)
            params = getattr(getattr(item, "callspec", None), "params", {})
            names = _global_names(func, module) if module is not None else set()
            self.uses_segwise[item.nodeid] = bool(names & NAMES) or any(
                _is_segwise(v) for v in params.values()
            )
            own = _global_names(func, module, depth=0) if module is not None else set()
            self.sparse[item.nodeid] = (
                any(w in item.name.lower() for w in SPARSE_WORDS)
                or bool(own & SPARSE_NAMES)
                or any(_is_sparse(v) for v in params.values())
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.outcome == "skipped":
                outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
            elif report.outcome == "failed":
                outcome = "failed" if report.when == "call" else "error"
            else:
                outcome = "xpassed" if hasattr(report, "wasxfail") else "passed"
            if report.nodeid not in self.outcome or outcome in ("failed", "error"):
                self.outcome[report.nodeid] = outcome
            if outcome in ("failed", "error"):
                crash = getattr(report.longrepr, "reprcrash", None)
                message = crash.message if crash is not None else str(report.longrepr)
                self.message[report.nodeid] = message.strip().splitlines()[0][:110]


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(plugin: Substitute) -> str:
    kinds = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    groups: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    example: dict[tuple[str, str, str], str] = {}
    for nodeid, outcome in plugin.outcome.items():
        path, _, name = nodeid.partition("::")
        module = Path(path).name
        who = "uses segwise" if plugin.uses_segwise.get(nodeid) else "other tests"
        counts[(module, who)][outcome] += 1
        if outcome in ("failed", "error") and who == "uses segwise":
            sparse = "sparse" if plugin.sparse.get(nodeid) else "dense"
            key = (module, name.partition("[")[0], sparse)
            groups[key][outcome] += 1
            example.setdefault(key, plugin.message.get(nodeid, ""))
    rows = [
        [module, who, *(c[k] for k in kinds), sum(c.values())]
        for (module, who), c in sorted(counts.items())
    ]
    total = Counter[str]()
    for (_, who), c in counts.items():
        if who == "uses segwise":
            total.update(c)
    rows.append(["both", "uses segwise", *(total[k] for k in kinds), sum(total.values())])
    out = [
        f"segwise {segwise.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {sys.version.split()[0]}",
        *(f"{module}: segwise's {', '.join(names)}" for module, names in plugin.swapped.items()),
        "",
        _table(["module", "tests", *kinds, "total"], rows),
        "",
        "Failures and errors of the tests that use segwise, by test function:",
        "",
    ]
    fails = [
        [module, name, sparse, c["failed"] + c["error"], example[(module, name, sparse)]]
        for (module, name, sparse), c in sorted(groups.items())
    ]
    by_input = Counter[str]()
    for (_, _, sparse), c in groups.items():
        by_input[sparse] += c["failed"] + c["error"]
    out.append(_table(["module", "test", "input", "failed", "first message"], fails))
    out += ["", f"failed or errored: {by_input['dense']} dense, {by_input['sparse']} sparse"]
    return "\n".join(out)


def main(extra: list[str]) -> int:
    root = Path(sklearn.__file__).parent
    plugin = Substitute()
    sys.dont_write_bytecode = True  # no rewritten test modules cached in site-packages
    with tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n")  # not segwise's settings (warnings as errors)
        args = [
            *(str(root / m) for m in MODULES),
            "-c",
            str(ini),
            "--rootdir",
            str(root),
            "-p",
            "no:cacheprovider",  # nothing written into site-packages
            "-q",
            "--no-header",
            "-rN",
            "--tb=no",
            "--disable-warnings",
            *extra,
        ]
        code = pytest.main(args, plugins=[plugin])
    print()
    print(report(plugin))
    return 0 if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) else int(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
