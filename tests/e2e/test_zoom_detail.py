"""Zoom detail from the kernel: a finished 1,000,000-step run shown with nbtrack.open(...).show() reaches the
browser reduced; zooming into a narrow range while the kernel is idle brings that range at full resolution."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

STEPS = 1_000_000
CELLS = [
    "import nbtrack\n"
    "run = nbtrack.init(dir='zoomruns', name='long', flush_interval=5)\n"
    "row = {'x': 0.0}\n"
    f"for i in range({STEPS}):\n"
    "    row['x'] = (i % 1000) / 1000.0 + (1000.0 if i == 654_321 else 0.0)\n"
    "    run.log(row)\n"
    "run.finish()",
    "nbtrack.open('zoomruns').show()",
]

CHART = """() => { const b = document.querySelector('.nbtrack-chart[data-key="x"]');
  return b ? {...b.dataset, rendered: b.closest('[data-nbtrack-static]')?.dataset.nbtrackRendered} : null; }"""

# Zoom the chart's figure as a wheel zoom would: an interactive change of its x range.
ZOOM = """([x0, x1]) => {
  const plots = window.Bokeh.documents.flatMap(d => [...d.all_models]).filter(m => m.title?.text === 'x');
  const range = plots[plots.length - 1].x_range;
  range.have_updated_interactively = true;
  range.setv({start: x0, end: x1});
}"""

DRAWN_IN = """([x0, x1]) => window.Bokeh.documents.flatMap(d => [...d.all_models])
  .filter(m => m.data && m.data.x !== undefined && m.data.step !== undefined)
  .map(m => Array.from(m.data.x).filter(x => x >= x0 && x <= x1).length)"""


def _notebook(path):
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_zooming_a_reduced_series_fetches_full_resolution_from_the_idle_kernel(lab, tmp_path):
    lab.open_notebook(_notebook(tmp_path / "zoom.ipynb"))
    lab.run_all(timeout=180)
    lab._poll(lambda: (lab.page.evaluate(CHART) or {}).get("rendered") == "done", 30,
              lambda: f"static chart not drawn: {lab.page.evaluate(CHART)}")
    before = lab.page.evaluate(CHART)
    assert int(before["points"]) < STEPS // 10, "the browser holds the reduced series"
    assert float(before["yHigh"]) >= 1000.0, "the one-step spike survives the reduction"

    x0, x1 = 500_000, 500_400
    assert max(lab.page.evaluate(DRAWN_IN, [x0, x1])) < 50, "reduced: few points in a 400-step range"
    lab.page.evaluate(ZOOM, [x0, x1])
    lab._poll(lambda: lab.page.evaluate(CHART).get("detail") == "kernel", 20,
              lambda: f"no detail from the kernel: {lab.page.evaluate(CHART)}")
    assert max(lab.page.evaluate(DRAWN_IN, [x0, x1])) == x1 - x0 + 1, "every step of the range is drawn"
    lab.screenshot("zoom-detail")
    assert lab.page_errors == [] and lab.console_errors == []
