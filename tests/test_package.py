"""Packaging promises: light import, docstring examples that run, no code execution from data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_needs_no_bundle_bokeh_pyarrow_or_frameworks(tmp_path):
    code = (
        "import sys, nbtrack, nbtrack.keras, nbtrack.lightning, nbtrack.transformers, nbtrack.integrations\n"
        "heavy = [m for m in ('bokeh', 'pyarrow', 'pandas', 'torch', 'jax', 'tensorflow', 'anywidget', "
        "'ipywidgets', 'keras', 'lightning', 'pytorch_lightning', 'transformers', 'accelerate') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         check=True)
    assert out.stdout.strip() == ""


def test_no_pickle_eval_or_exec_in_the_package():
    for path in (ROOT / "nbtrack").rglob("*.py"):
        text = path.read_text()
        for banned in ("import pickle", "eval(", "exec(", "import dill", "cloudpickle"):
            assert banned not in text, f"{path.name} uses {banned}"


PUBLIC_NAMES_BEFORE_THE_LAYOUT_MOVE = {
    "Audio", "Config", "Embedding", "Figure", "FormatError", "Histogram", "Html", "Image", "Logdir", "Markdown",
    "NbtrackError", "PRCurve", "Run", "RunNotFoundError", "RunReader", "RunWriteError", "Summary", "Table", "Text",
    "UnsupportedFormatError", "Value", "Video", "__version__", "config", "define_metric", "finish", "init", "log",
    "open", "run", "summary",
}


def test_every_public_name_of_the_face_is_still_exported():
    import nbtrack

    assert PUBLIC_NAMES_BEFORE_THE_LAYOUT_MOVE <= set(nbtrack.__all__)
    for name in PUBLIC_NAMES_BEFORE_THE_LAYOUT_MOVE - {"run", "config", "summary"}:  # those need a current run
        assert getattr(nbtrack, name) is not None, name


def test_a_missing_framework_names_the_extra_to_install(tmp_path):
    code = (
        "import sys\n"
        "for name in ('keras', 'lightning', 'pytorch_lightning', 'transformers'):\n"
        "    sys.modules[name] = None  # as if not installed\n"
        "for module, attr in (('keras', 'TrackCallback'), ('lightning', 'NbtrackLogger'), "
        "('transformers', 'TrackCallback')):\n"
        "    try:\n"
        "        getattr(__import__(f'nbtrack.{module}', fromlist=[attr]), attr)\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         check=True).stdout.splitlines()
    assert len(out) == 3
    for line, extra in zip(out, ("keras", "lightning", "transformers")):
        assert f'pip install "nbtrack[{extra}]"' in line, line


def test_integrations_are_attributes_of_the_face_without_importing_frameworks(tmp_path):
    code = (
        "import sys, nbtrack\n"
        "print(nbtrack.keras.__name__, nbtrack.lightning.__name__, nbtrack.transformers.__name__, "
        "any(m in sys.modules for m in ('keras', 'lightning', 'transformers', 'torch')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         check=True)
    assert out.stdout.split() == ["nbtrack.keras", "nbtrack.lightning", "nbtrack.transformers", "False"]
