"""Saved notebook outputs made before the package moved (commit 91e79b0) still render (issue 16).

A finished dashboard's saved output is about 0.9 MB (it carries gzip'd BokehJS and the widget module), too big to
commit, so the module fixture makes one: ``git archive`` of the pre-move commit, its JS bundle built with the
current ``js/node_modules`` (a symlink, no second ``npm ci``), and a small notebook executed by nbclient in a
kernel whose ``PYTHONPATH`` is that old tree. The notebook records a run (300 steps of two scalars, an image and
a histogram every 50 steps) shown with ``run.show()`` and finished (so its output becomes the static bundle), then
shows the logdir with ``nbtrack.open(d).show()``. The same notebook executed by the current code gives the
outputs of today's version for the mixed case.

The saved files are then opened in JupyterLab (the current code installed, as in the other browser tests) with
no kernel: trusted, the old outputs draw their charts with their own module; untrusted, they show their PNG and
run no script; next to today's outputs in one notebook, both draw, each version's module loaded once.

Without git, node or the commit (a shallow clone) the tests are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from labkit.dashboards import (
    STATIC_BOXES,
    PageErrors,
    assert_not_blank,
    bad_output_texts,
    charts_complete,
    open_without_kernel,
    panel_state,
    wait_for_dashboards,
    watch_outputs,
)
from labkit.page import LabPage
from labkit.server import KERNEL_NAME, LabServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
PRE_MOVE = "91e79b0"  # the last commit before nbtrack/ was split into record/, store/ and dashboard/
STEPS = 300
EXPECTED = {"train/acc": STEPS, "train/loss": STEPS}  # points per scalar chart of the recorded run
MODULES = "() => Object.keys(globalThis.__nbtrackStaticModules ?? {})"
SOURCE_PREFIX = "NBTRACK_SOURCE "

CELLS = [
    '''\
import numpy as np
import nbtrack
print("{prefix}" + nbtrack.__file__)
LOGDIR = {logdir!r}
run = nbtrack.init(dir=LOGDIR, name={name!r}, config={{"lr": 0.1, "version": {name!r}}})
run.show()''',
    '''\
rng = np.random.default_rng(0)
for step in range({steps}):
    row = {{"train/loss": 1.0 / (1 + step), "train/acc": step / {steps}}}
    if step % 50 == 0:
        row["samples"] = nbtrack.Image(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
        row["weights"] = nbtrack.Histogram(rng.standard_normal(1000))
    run.log(row, step=step)
run.finish()''',
    "nbtrack.open(LOGDIR).show()",
]


@dataclass
class Saved:
    """The saved notebooks in the lab's root: ``old`` (pre-move outputs), ``mixed`` (old cells, then current)."""

    old: str
    mixed: str
    old_source: str  # where the old kernel imported nbtrack from
    new_source: str


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)


def _old_tree(dest: Path) -> Path:
    """The pre-move commit's files in ``dest``, with its widget bundle built; skips when that cannot be done."""
    if shutil.which("git") is None or shutil.which("node") is None:
        pytest.skip("needs git and node to rebuild the pre-move version's output")
    if _git("cat-file", "-e", f"{PRE_MOVE}^{{commit}}").returncode != 0:
        pytest.skip(f"commit {PRE_MOVE} (before the move) is not in this clone (shallow?): git fetch --unshallow")
    modules = ROOT / "js" / "node_modules"
    if not (modules / "esbuild").exists():
        pytest.skip(f"{modules} has no esbuild: cd js && npm ci")
    dest.mkdir(parents=True)
    archive = _git("archive", "--format=tar", PRE_MOVE)
    assert archive.returncode == 0, archive.stderr.decode(errors="replace")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=120)
    (dest / "js" / "node_modules").symlink_to(modules, target_is_directory=True)
    build = subprocess.run(["node", "build.mjs"], cwd=dest / "js", capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"building {PRE_MOVE}'s widget bundle failed:\n{build.stdout}\n{build.stderr}"
    assert (dest / "nbtrack" / "static" / "widget.js").stat().st_size > 10_000
    return dest


def _execute(source_tree: Path, workdir: Path, name: str) -> tuple[dict[str, Any], str]:
    """The notebook of :data:`CELLS`, executed by nbclient in a kernel importing nbtrack from ``source_tree``;
    returns it and the path the kernel imported nbtrack from."""
    import nbformat
    from nbclient import NotebookClient

    workdir.mkdir(parents=True, exist_ok=True)
    fmt = {"prefix": SOURCE_PREFIX, "logdir": str(workdir / "nbruns"), "name": name, "steps": STEPS}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.format(**fmt)) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (nbtrack e2e)", "language": "python"}
    env = {k: v for k, v in os.environ.items() if k != "NBTRACK_DIR"}
    env["PYTHONPATH"] = str(source_tree)
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=180, resources={"metadata": {"path": str(workdir)}}
                   ).execute(env=env)
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    source = next(line[len(SOURCE_PREFIX):] for line in printed.splitlines() if line.startswith(SOURCE_PREFIX))
    for i in (0, 2):  # the finished run's output and the logdir's: static bundles, no widget view
        data = nb.cells[i].outputs[-1]["data"]
        assert sorted(data) == ["image/png", "text/html", "text/plain"], f"{name}, cell {i}: {sorted(data)}"
    return nb, source


@pytest.fixture(scope="module")
def saved(lab_server: LabServer, tmp_path_factory: pytest.TempPathFactory) -> Saved:
    import nbformat
    from nbformat.sign import NotebookNotary

    scratch = tmp_path_factory.mktemp("older-versions")
    old_tree = _old_tree(scratch / "pre-move")
    old_nb, old_source = _execute(old_tree, scratch / "old-run", "pre-move")
    new_nb, new_source = _execute(ROOT, scratch / "new-run", "current")
    mixed = nbformat.v4.new_notebook(metadata=dict(old_nb.metadata))
    mixed.cells = [*old_nb.cells, *new_nb.cells]
    # signed with the lab's secret, as the author's own save would be: they reopen trusted
    notary = NotebookNotary(data_dir=str(lab_server.dirs["JUPYTER_DATA_DIR"]))
    for nb, name in ((old_nb, "pre-move-outputs.ipynb"), (mixed, "mixed-version-outputs.ipynb")):
        notary.sign(nb)
        nbformat.write(nb, lab_server.root_dir / name)
    return Saved("pre-move-outputs.ipynb", "mixed-version-outputs.ipynb", old_source, new_source)


def _open(lab: LabPage, path: str) -> PageErrors:
    watch_outputs(lab.page)
    errors = PageErrors().attach(lab.page)
    open_without_kernel(lab, path)
    return errors


def _all_drawn(dashes: list[dict[str, Any]], count: int) -> bool:
    """Every output rendered, every run dashboard's charts built and complete, and every logdir dashboard's
    charts drawn (charts are built one per task after the output renders, so "done" alone can come before the
    last chart: on a loaded CI machine the logdir's output was asserted with no chart built yet)."""
    return len(dashes) == count and all(d["rendered"] == "done" for d in dashes) and all(
        charts_complete(d, EXPECTED) for d in dashes[::2]) and all(
        d["charts"] and all(int(c["drawn"]) > 0 for c in d["charts"]) for d in dashes)  # the logdirs' too


def _assert_drawn(dashes: list[dict[str, Any]], names: list[str]) -> None:
    """Per notebook output: the run's dashboard (all its points, drawn) and the logdir's, both rendered."""
    assert len(dashes) == 2 * len(names), dashes
    for i, name in enumerate(names):
        run_dash, logdir_dash = dashes[2 * i], dashes[2 * i + 1]
        assert run_dash["runName"] == [name] and run_dash["status"] == ["finished"], run_dash
        assert charts_complete(run_dash, EXPECTED), run_dash["charts"]
        for d in (run_dash, logdir_dash):
            assert d["static"] and d["rendered"] == "done", d
            assert d["charts"] and all(int(c["drawn"]) > 0 for c in d["charts"]), d["charts"]


def _assert_clean(lab: LabPage, errors: PageErrors) -> None:
    assert bad_output_texts(lab.page) == []
    assert errors.unexpected(no_kernel=True) == [], "uncaught errors in the page"
    assert [e for e in lab.console_errors if "nbtrack" in e.lower()] == [], "nbtrack errors in the console"
    assert lab.dialogs == [] and lab.blocked_requests == []


def test_pre_move_outputs_come_from_the_old_code(saved: Saved) -> None:
    assert "pre-move" in saved.old_source, saved.old_source
    assert saved.new_source.startswith(str(ROOT / "nbtrack")), saved.new_source


def test_pre_move_outputs_draw_when_reopened_trusted(lab: LabPage, saved: Saved) -> None:
    errors = _open(lab, saved.old)
    assert all(t is not False for t in panel_state(lab)["trusted"]), panel_state(lab)
    dashes = wait_for_dashboards(lab, lambda ds: _all_drawn(ds, 2),
                                 what="the pre-move outputs")
    _assert_drawn(dashes, ["pre-move"])
    assert [b["png"]["display"] for b in lab.page.evaluate(STATIC_BOXES)] == ["none", "none"]
    assert len(lab.page.evaluate(MODULES)) == 1
    for cell in (0, 2):
        assert_not_blank(lab.screenshot_output(cell, f"older-versions-pre-move-cell{cell}"), "a pre-move output")
    _assert_clean(lab, errors)


def test_pre_move_outputs_show_their_picture_when_untrusted(lab: LabPage, saved: Saved) -> None:
    nb = json.loads((lab.server.root_dir / saved.old).read_text())
    nb["cells"][2]["source"] = "nbtrack.open(LOGDIR).show()  # edited outside JupyterLab"
    name = "pre-move-outputs-untrusted.ipynb"
    (lab.server.root_dir / name).write_text(json.dumps(nb, indent=1))  # the signature no longer matches
    errors = _open(lab, name)
    assert panel_state(lab)["trusted"][0] is False, panel_state(lab)
    pictures = lab.page.locator(".jp-OutputArea-output img")
    lab._poll(lambda: pictures.count() == 2, 30, lambda: f"{pictures.count()} pictures")
    for i in range(2):
        picture = pictures.nth(i)
        picture.wait_for(state="visible", timeout=30_000)
        lab.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    lab.page.wait_for_timeout(1000)  # a script, had one run, would have drawn by now
    ran = lab.page.evaluate("""() => ({ modules: typeof globalThis.__nbtrackStaticModules,
        dashboards: document.querySelectorAll('.nbtrack-dashboard').length,
        scripts: document.querySelectorAll('.jp-OutputArea-output script').length })""")
    assert ran == {"modules": "undefined", "dashboards": 0, "scripts": 0}, ran
    assert_not_blank(lab.screenshot_output(0, "older-versions-pre-move-untrusted"), "the untrusted output (its PNG)")
    _assert_clean(lab, errors)


def test_pre_move_and_current_outputs_draw_side_by_side(lab: LabPage, saved: Saved) -> None:
    errors = _open(lab, saved.mixed)
    dashes = wait_for_dashboards(lab, lambda ds: _all_drawn(ds, 4),
                                 what="pre-move and current outputs in one notebook")
    _assert_drawn(dashes, ["pre-move", "current"])
    modules = lab.page.evaluate(MODULES)
    assert len(modules) == 2, f"each version's module loaded once, keyed by its hash: {modules}"
    lab.screenshot("older-versions-mixed", full_page=True)
    for cell in (0, 3):
        assert_not_blank(lab.screenshot_output(cell, f"older-versions-mixed-cell{cell}"), f"output of cell {cell}")
    _assert_clean(lab, errors)
