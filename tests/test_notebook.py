"""nbtrack in a real Jupyter kernel, driven by nbclient."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import nbtrack

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _execute(nb, cwd: Path, logdir: Path) -> None:
    os.environ["NBTRACK_DIR"] = str(logdir)  # the kernel inherits the environment
    try:
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                         resources={"metadata": {"path": str(cwd)}})
        client.execute()
    finally:
        os.environ.pop("NBTRACK_DIR", None)


def _outputs(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_quickstart_notebook_runs_and_records(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    logdir = tmp_path / "nbruns"
    _execute(nb, tmp_path, logdir)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    runs = nbtrack.open(logdir).runs()
    assert len(runs) == 1 and runs.loc[0, "status"] == "finished" and runs.loc[0, "config.steps"] == 3000
    assert runs.loc[0, "summary.val/accuracy"] > 0.9  # the little network really learns the spirals
    history = nbtrack.open(logdir).run(runs.loc[0, "id"]).history()
    assert len(history) == 3000 and set(history.columns) >= {"train/loss", "val/loss", "lr", "train/grad_norm"}
    # the dashboard cell's output was replaced by the static output when the run finished
    dashboard = next(c for c in nb.cells if c.source.startswith("run = nbtrack.init"))
    (output,) = dashboard.outputs
    assert "data-nbtrack-static" in output["data"]["text/html"] and output["data"]["image/png"]
    assert "application/vnd.jupyter.widget-view+json" not in output["data"]
    # a report of that one finished run stays small enough to mail (issue 21: under 2 MB)
    report = nbtrack.report(logdir, tmp_path / "quickstart.html")
    assert report.stat().st_size < 2_000_000, report.stat().st_size


def test_current_run_survives_across_cells_and_is_finished_at_kernel_shutdown(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import nbtrack\nrun = nbtrack.init(name='left-open')"),
        nbformat.v4.new_code_cell("for i in range(10):\n    nbtrack.log({'x': float(i)})"),
        nbformat.v4.new_code_cell("nbtrack.config.lr = 0.5\nprint(nbtrack.run.step)"),
    ]
    logdir = tmp_path / "runs"
    _execute(nb, tmp_path, logdir)  # the notebook never calls finish()
    assert "10" in _outputs(nb.cells[2])
    r = nbtrack.open(logdir).run("left-open")
    assert r.status == "finished"  # finished by the atexit hook when the kernel shut down
    assert r.config == {"lr": 0.5} and len(r.history()) == 10


def test_compare_runs_notebook_records_a_sweep_and_shows_it(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "compare_runs.ipynb", as_version=4)
    _execute(nb, tmp_path, tmp_path / "unused")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    runs = nbtrack.open(tmp_path / "sweep_runs").runs()
    assert len(runs) == 8 and set(runs["status"]) == {"finished"}
    assert sorted(set(runs["config.lr"])) == [0.1, 0.3, 1.0, 2.0] and sorted(set(runs["config.hidden"])) == [16, 64]
    assert runs["summary.val/accuracy"].max() > 0.8
    (shown,) = nb.cells[-1].outputs
    assert "data-nbtrack-static" in shown["data"]["text/html"] and shown["data"]["image/png"]


def test_track_logdir_notebook_watches_two_training_processes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "track_logdir.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs are kept empty in git"
    _execute(nb, tmp_path, tmp_path / "unused")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    runs = nbtrack.open(tmp_path / "track_runs").runs()
    assert sorted(runs["name"]) == ["lr=0.5", "lr=2"] and set(runs["status"]) == {"finished"}
    assert all(len(nbtrack.open(tmp_path / "track_runs").run(rid).history()) == 60 for rid in runs["id"])
    shown, companion = next(c for c in nb.cells if c.source.startswith("%load_ext nbtrack")).outputs
    assert "application/vnd.jupyter.widget-view+json" in shown["data"], "the %track cell shows the live view"
    assert "text/plain" in companion["data"], "and its static companion (companion.py) beside it"


def test_tensorboard_logdir_notebook_follows_tensorboardx_then_records_with_nbtrack(tmp_path):
    pytest.importorskip("tensorboardX", reason="the notebook's first training processes write with tensorboardX")
    nb = nbformat.read(ROOT / "notebooks" / "tensorboard_logdir.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs are kept empty in git"
    _execute(nb, tmp_path, tmp_path / "unused")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    logdir = nbtrack.open(tmp_path / "tb_runs")
    kinds = {r.name: type(r).__name__ for r in logdir.readers()}
    assert kinds["tb-lr0.5"] == kinds["tb-lr2"] == "TensorBoardRun"
    assert kinds["nb-lr1"] == "RunReader"  # the same code after `from nbtrack import SummaryWriter`
    for name in ("tb-lr0.5", "tb-lr2", "nb-lr1"):
        run = logdir.run(name)
        assert run.scalars("train/loss")["step"].tolist() == list(range(60)), name
        assert len(run.histograms("weights")) == 6, name
    shown = next(c for c in nb.cells if c.source.startswith("%load_ext nbtrack")).outputs[0]
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]


def test_integrations_notebook_trains_keras_and_lightning_live(tmp_path):
    for module, why in (("torch", "Keras (torch backend) and Lightning train torch models here"),
                        ("keras", 'it needs Keras 3: pip install "nbtrack[keras]"'),
                        ("lightning", 'it needs Lightning: pip install "nbtrack[lightning]"')):
        if importlib.util.find_spec(module) is None:  # found, not imported: the kernel imports them
            pytest.skip(f"notebooks/integrations.ipynb: {why}")
    nb = nbformat.read(ROOT / "notebooks" / "integrations.ipynb", as_version=4)
    logdir = tmp_path / "nbruns"
    _execute(nb, tmp_path, logdir)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    runs = nbtrack.open(logdir).runs().set_index("name")
    assert set(runs.index) == {"keras-spirals", "lightning-spirals"} and set(runs["status"]) == {"finished"}
    assert runs.loc["keras-spirals", "summary.val/accuracy"] > 0.9
    assert runs.loc["lightning-spirals", "summary.val/accuracy"] > 0.9
    assert runs.loc["lightning-spirals", "config.hidden"] == 64  # save_hyperparameters()
    keras_tags = set(nbtrack.open(logdir).run("keras-spirals").history().columns)
    assert {"batch/loss", "val/loss", "epoch/learning_rate", "weights/hidden1/kernel"} <= keras_tags
    # each dashboard cell's output was replaced by the static output when its run finished
    for cell in (c for c in nb.cells if c.source.startswith("run = nbtrack.init")):
        (output,) = cell.outputs
        assert "data-nbtrack-static" in output["data"]["text/html"]
