"""``%track`` in Jupyter Notebook 7 (``jupyter notebook``): the live view of a logdir draws and updates there
too. Skipped, saying why, when Notebook 7 is not installed (see ``labkit.server.notebook7_missing``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _track import (  # tests/e2e on sys.path
    TRACK,
    WRITER,
    charts_complete,
    run_id,
    series_points,
    start_writer,
    track_notebook,
)
from labkit.dashboards import run_cell

pytestmark = pytest.mark.e2e

# Notebook 7's own: thrown by its settings loading (notebook_core.js, _.load -> emit) on a page with a one-cell
# notebook and no nbtrack at all (seen with notebook 7.6.5 beside JupyterLab 4.6.6); not ours to fix.
NOTEBOOK7_OWN_ERRORS = {"Cannot read properties of undefined (reading 'schema')"}


def _notebook(path: Path, logdir: Path) -> Path:
    return track_notebook(path, ["%load_ext nbtrack", f"%track --logdir {json.dumps(str(logdir))} --reload 0.5"])


def test_track_draws_and_updates_in_notebook7(notebook7, tmp_path):
    nb = notebook7
    logdir = tmp_path / "logdir"
    logdir.mkdir()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    nb.open_notebook(_notebook(tmp_path / "track_nb7.ipynb", logdir))
    assert "/notebooks/" in nb.page.url, "a Notebook 7 page, not JupyterLab"
    assert nb.page.locator("#main-panel, .jp-NotebookApp, #jp-top-panel").count() > 0
    state = lambda: nb.page.evaluate(TRACK)  # noqa: E731
    procs = []
    try:
        run_cell(nb, 0)
        run_cell(nb, 1)
        nb._poll(lambda: state() is not None, 30, lambda: "no %track output")
        assert "no runs yet" in state()["notice"], state()

        procs.append(start_writer(script, logdir, "alpha", 0.1, 3000, tmp_path / "alpha.log"))
        alpha = run_id(tmp_path / "alpha.log", procs[0])
        nb._poll(lambda: series_points(state(), alpha) > 0 and charts_complete(state(), 1), 30,
                 lambda: f"alpha not shown: {state()}")
        seen = [series_points(state(), alpha)]
        for _ in range(2):
            nb._poll(lambda: series_points(state(), alpha) > seen[-1], 10,
                     lambda: f"alpha stopped growing at {seen[-1]}: {state()}")
            seen.append(series_points(state(), alpha))

        procs.append(start_writer(script, logdir, "beta", 1.0, 40, tmp_path / "beta.log"))
        beta = run_id(tmp_path / "beta.log", procs[1])
        nb._poll(lambda: set(state()["rows"]) == {alpha, beta} and charts_complete(state(), 2), 30,
                 lambda: f"beta not shown: {state()}")
        procs[1].wait(30)  # beta logs 40 steps and finishes; alpha goes on
        nb._poll(lambda: state()["rows"][beta]["status"] == "finished" and series_points(state(), beta) == 40, 20,
                 lambda: f"beta not finished: {state()}")
        assert state()["rows"][alpha]["status"] == "running"
        drawn = nb.page.evaluate("""() => (window.Bokeh?.documents ?? []).flatMap(d => [...d.all_models])
            .filter(m => m.data && m.data.x !== undefined && m.data.x.length > 0).length""")
        assert drawn >= 4, "BokehJS data sources with points for both runs in both charts"
        nb.screenshot_output(1, "track-notebook7")
        assert nb.error_outputs() == []
        assert [e for e in nb.page_errors if e not in NOTEBOOK7_OWN_ERRORS] == [] and nb.blocked_requests == []
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
