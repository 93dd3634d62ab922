"""Hygiene: every public module lists only its public names in ``dir()``.

``dir(segwise)``, ``dir(segwise.cluster)``, ``dir(segwise.report)``, ... show what a user may
call (the module's ``__all__``), not ``annotations``, ``np``, ``pd`` or private helpers.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import pytest
import segwise

# Command-line programs (``python -m segwise.demo``, the ``segwise`` command), not library
# modules: their names are not an API.
_PROGRAMS = {"segwise.demo", "segwise.cli", "segwise.__main__"}


def _public_modules() -> list[str]:
    names = ["segwise"]
    for info in pkgutil.walk_packages(segwise.__path__, prefix="segwise."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or info.name in _PROGRAMS:
            continue
        names.append(info.name)
    return names


PUBLIC_MODULES = _public_modules()


def test_the_walk_finds_the_public_modules() -> None:
    expected = {"segwise", "segwise.cluster", "segwise.report", "segwise.metrics"}
    assert expected <= set(PUBLIC_MODULES)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_dir_shows_only_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert len(set(public)) == len(public), f"{name}.__all__ has duplicates"
    assert sorted(dir(module)) == sorted(public)
    for attr in public:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which does not exist"
    hidden = {"annotations", "np", "pd", "warnings", "math", "Any"}
    assert not hidden & set(dir(module))


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_lists_every_public_definition(name: str) -> None:
    # A public class or function defined in the module (or its private submodules) and not in
    # __all__ would be hidden from dir(): the documented names must be complete.
    module = importlib.import_module(name)
    for attr, obj in vars(module).items():
        if attr.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        home = getattr(obj, "__module__", "")
        if home == name or home.startswith(name + "._"):
            assert attr in module.__all__, f"{name}.{attr} is public but not in __all__"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_name_is_documented(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        obj = getattr(module, attr)
        if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, types.ModuleType):
            assert (obj.__doc__ or "").strip(), f"{name}.{attr} has no docstring"


def test_lift_report_html_shows_the_readable_columns_not_all(hillstrom) -> None:
    import re

    from segwise.abtest import segment_lift

    rep = segment_lift(
        hillstrom.iloc[:3000],
        segment="zip_code",
        variant="segment",
        control="No E-Mail",
        metrics=["visit"],
    )
    html = rep._repr_html_()
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S)
    shown = {re.sub(r"<[^>]+>", "", h).strip() for h in headers} - {""}
    assert len(rep.table.columns) > 20  # the full table stays available as a DataFrame
    assert 0 < len(shown) <= 12
    for raw in ("n_control", "abs_diff_low", "abs_diff_high", "stat", "ci_method"):
        assert raw not in shown
    # the HTML shows what the text summary shows
    text = rep.summary()
    assert all(h in text for h in shown)
