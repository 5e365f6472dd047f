"""show() on a run, a run folder or a logdir: static output for finished runs, the widget for live ones."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.static_output import StaticDashboard
from nbtrack.errors import RunNotFoundError


def test_dashboards_share_one_bokehjs_loader(logdir):
    """BokehJS travels once per kernel, in the loader's state, not in every dashboard's."""
    from nbtrack.dashboard.widget import BokehLoader

    run = nbtrack.init()
    first, second = run.show(), run.show()
    assert first.loader is second.loader is BokehLoader.instance()
    assert "Bokeh" in first.loader.bokeh_core and len(first.loader.bokeh_core) > 500_000
    assert first.loader.bokeh_api and "bokeh_core" not in first.trait_names()
    run.finish()


def _runs(tmp_path, n_runs=2, steps=50):
    for k in range(n_runs):
        with nbtrack.init(dir=tmp_path, name=f"run-{k}", config={"lr": 10.0 ** -k}) as run:
            for i in range(steps):
                run.log({"train/loss": 1.0 / (i + 1 + k), "lr": 10.0 ** -k})
    return nbtrack.open(tmp_path)


def test_logdir_show_overlays_the_chosen_runs(tmp_path):
    logdir = _runs(tmp_path, n_runs=3)
    dash = logdir.show(runs=["run-2", "run-0"])
    assert isinstance(dash, StaticDashboard) and dash.run_name == "2 runs"
    assert [r["name"] for r in dash.snapshot["runs"]] == ["run-2", "run-0"]
    assert len(logdir.show().snapshot["runs"]) == 3
    assert logdir.show(runs="run-1").run_name == "run-1"
    with pytest.raises(RunNotFoundError, match="nope"):
        logdir.show(runs=["nope"])
    with pytest.raises(TypeError, match=r"runs=.*got int"):
        logdir.show(runs=3)


def test_show_of_a_finished_run_is_static_and_of_a_live_run_is_the_widget(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="r", config={"lr": 0.1})
    run.log({"loss": 1.0})
    live = run.show()
    assert type(live).__name__ == "Dashboard" and live.config == {"lr": 0.1}
    run.finish()
    done = run.show()
    assert isinstance(done, StaticDashboard) and done.status == "finished"
    assert np.frombuffer(done.snapshot["series"][0]["values"]).tolist() == [1.0]
    live.close()


def test_open_on_a_run_folder_shows_that_run_and_an_empty_logdir_says_so(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name="only") as run:
        run.log({"x": 1.0})
    assert nbtrack.open(run.dir).show().run_name == "only"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no runs under .*empty"):
        nbtrack.open(tmp_path / "empty").show()


class _MarimoLikeComm:
    """Stands in for marimo's comm (``marimo._plugins.ui._impl.comm.MarimoComm``): only its module matters."""

    def __init__(self, comm_id):
        self.comm_id = comm_id

    def send(self, *args, **kwargs):
        pass

    def close(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass


_MarimoLikeComm.__module__ = "marimo._plugins.ui._impl.comm"


def test_in_marimo_a_finished_runs_view_stays_open_showing_finished(tmp_path):
    """marimo has no display ids to swap outputs by: closing the widget on finish() would empty the cell
    output (seen in marimo 0.25), so there the widget stays open and only its status changes."""
    from nbtrack.dashboard.widget import in_marimo

    run = nbtrack.init(dir=tmp_path, name="m")
    run.log({"loss": 1.0})
    jupyter, marimo = run.show(), run.show()
    original = marimo.comm
    marimo.comm = _MarimoLikeComm(original.comm_id)
    assert in_marimo(marimo) and not in_marimo(jupyter)
    run.finish()
    assert marimo.comm is not None and marimo.status == "finished"
    assert jupyter.comm is None  # Jupyter: closed as before (its outputs replaced by the static form)
    marimo.comm = original
    marimo.close()


def test_marimo_display_hook_of_a_closed_dashboard_is_its_static_output(tmp_path):
    """``_display_`` (called by marimo only): a widget closed before display would show "Model not found"."""
    run = nbtrack.init(dir=tmp_path, name="m")
    run.log({"loss": 1.0})
    dash = run.show()
    run.finish()  # outside marimo: the widget closes
    shown = dash._display_()
    assert isinstance(shown, StaticDashboard) and shown.status == "finished"
