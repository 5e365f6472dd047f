"""Every docstring example in the package runs (collected from the package itself, not from a list)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import nbtrack

MODULES = sorted(info.name for info in pkgutil.walk_packages(nbtrack.__path__, "nbtrack.")
                 if info.name != "nbtrack.__main__")


def test_every_module_is_collected():
    assert {"nbtrack.record.run", "nbtrack.store.reader", "nbtrack.dashboard.widget", "nbtrack.values.image",
            "nbtrack.codecs.png"} <= set(MODULES)


@pytest.mark.parametrize("module", ["nbtrack", *MODULES])
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:  # an integration whose framework is not installed names its extra
        if 'pip install "nbtrack[' not in str(exc):
            raise
        pytest.skip(str(exc))
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    nbtrack.finish()
    assert result.failed == 0
