"""The live data path in a real JupyterLab: snapshot for a late display, deltas during a loop, two views."""

from __future__ import annotations

import json
import time

import pytest
from labkit.page import START_RUN_ALL  # tests/e2e is on sys.path (conftest.py)

pytestmark = pytest.mark.e2e

ROW = "{'a': i * 1.0, 'b': -i * 1.0, 'c': 0.5, 'd': i * 0.25}"
CELLS = [
    "import time\nimport nbtrack\n"
    "run = nbtrack.init(dir='runs', name='live', flush_interval=0.1)\n"
    f"for i in range(1000):\n    run.log({ROW})",
    "dash = run.show()  # displayed after 1,000 steps: the snapshot brings them\ndash",
    f"for i in range(1000, 21000):\n    run.log({ROW})\n    if i % 50 == 0:\n        time.sleep(0.02)\nrun.flush()",
    "dash  # a second view of the same dashboard",
    "run.log({'late/tag': 7.0})  # a metric first logged at the end\nrun.finish()",
]

POINTS = """() => [...document.querySelectorAll('.nbtrack-summary')].map(t => Object.fromEntries(
  [...t.querySelectorAll('tr.nbtrack-series')].map(r => [r.dataset.key,
    {points: +r.dataset.points, last: [...r.cells].slice(2).map(c => c.textContent)}])))"""


# The chart boxes with what they say they draw, and every BokehJS data source in the page that holds x values
# (per chart: the y-extent helper, the raw and smoothed lines, the newest-point marker, the non-finite marks).
CHARTS = """() => ({
  scripts: document.querySelectorAll('script[data-nbtrack-bokeh]').length,
  boxes: [...document.querySelectorAll('.nbtrack-chart')].map(b => b.dataset.key),
  drawn: [...document.querySelectorAll('.nbtrack-chart')].map(b => ({key: b.dataset.key, points: +b.dataset.points,
    drawn: +b.dataset.drawn})),
  sources: (window.Bokeh?.documents ?? []).flatMap(d => [...d.all_models]
    .filter(m => m.data && m.data.x !== undefined)
    .map(m => ({n: m.data.x.length, last: m.data.x[m.data.x.length - 1]}))),
})"""


def _notebook(path):
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


CHART_A = """() => { const b = document.querySelector('.nbtrack-chart[data-key="a"]');
  return b ? {...b.dataset} : null; }"""


def _loop_running(lab) -> bool:
    return lab.cell_states()[2]["state"] == "running"


def _use_controls_while_the_loop_runs(lab) -> dict:
    """Move the smoothing slider and switch log y in the first view while cell 2 still runs."""
    lab._poll(lambda: _loop_running(lab) and lab.page.evaluate(CHART_A), 60, lambda: "loop or chart not started")
    lab.page.locator(".nbtrack-smoothing").first.fill("0.95")
    lab._poll(lambda: (lab.page.evaluate(CHART_A) or {}).get("smoothing") == "0.95", 10,
              lambda: f"smoothing not applied: {lab.page.evaluate(CHART_A)}")
    smoothed = lab.page.evaluate(CHART_A)
    smoothing_while_running = _loop_running(lab)
    lab.page.locator(".nbtrack-log-y").first.check()
    lab._poll(lambda: (lab.page.evaluate(CHART_A) or {}).get("logY") == "true", 10,
              lambda: f"log y not applied: {lab.page.evaluate(CHART_A)}")
    log_while_running = _loop_running(lab)
    count_log_scales = """() => (window.Bokeh?.documents ?? []).flatMap(d => [...d.all_models])
        .filter(m => m.type === 'LogScale' || m.constructor?.__name__ === 'LogScale').length"""
    # the grid rebuilds its charts one per task (the page paints in between): wait for all four
    lab._poll(lambda: lab.page.evaluate(count_log_scales) >= 4, 10, lambda: "charts not rebuilt with log y")
    log_scales = lab.page.evaluate(count_log_scales)
    return {"smoothed": smoothed, "smoothing_while_running": smoothing_while_running,
            "log_while_running": log_while_running, "log_scales": log_scales}


def test_dashboard_receives_every_point_live_and_late(lab, tmp_path):
    lab.open_notebook(_notebook(tmp_path / "live_data_path.ipynb"))
    lab.page.evaluate(START_RUN_ALL, lab.path)
    controls = _use_controls_while_the_loop_runs(lab)
    assert controls["smoothing_while_running"] and controls["log_while_running"], controls
    smoothed = controls["smoothed"]  # an increasing series: the EMA lags behind the raw value
    assert float(smoothed["smoothLast"]) < float(smoothed["rawLast"]), smoothed
    assert controls["log_scales"] >= 4, controls  # the first view's charts of a, b, c, d have log y scales
    seen_mid_loop = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # watch the first view while the loop cell runs
        states = lab.cell_states()
        views = lab.page.evaluate(POINTS)
        if states[2]["state"] == "running" and views and "a" in views[0]:
            seen_mid_loop.append(views[0]["a"]["points"])
        if all(c["count"] is not None and c["state"] != "running" for c in states):
            break
        time.sleep(0.1)
    lab.wait_all_executed(timeout=30)
    assert lab.error_outputs() == []
    assert any(1000 < n < 21000 for n in seen_mid_loop), f"no update seen during the loop: {seen_mid_loop[:20]}"

    def final():
        views = lab.page.evaluate(POINTS)
        return len(views) == 2 and all(v.get("late/tag", {}).get("points") == 1 for v in views)

    lab._poll(final, 30, lambda: f"views did not settle: {lab.page.evaluate(POINTS)}")
    for view in lab.page.evaluate(POINTS):  # both views, identical and complete
        for key, last_value in (("a", "20999"), ("b", "-20999"), ("c", "0.5"), ("d", "5249.75")):
            assert view[key]["points"] == 21000, (key, view[key])
            assert view[key]["last"] == ["20999", last_value]
    expected_points = {"a": 21000, "b": 21000, "c": 21000, "d": 21000, "late/tag": 1}

    def charts_settled():  # 5 charts in each of the 2 views, each drawing all of its points
        drawn = lab.page.evaluate(CHARTS)["drawn"]
        return len(drawn) == 10 and all(c["points"] == expected_points[c["key"]] and c["drawn"] > 0 for c in drawn)

    lab._poll(charts_settled, 30, lambda: f"charts did not settle: {lab.page.evaluate(CHARTS)}")
    charts = lab.page.evaluate(CHARTS)
    assert charts["scripts"] == 2, "BokehJS (core + api) must be injected once per page"
    assert sorted(charts["boxes"]) == sorted(["a", "b", "c", "d", "late/tag"] * 2)
    for chart in charts["drawn"]:  # M4: at most 4 points per pixel column of a 420-pixel chart
        assert chart["drawn"] <= 4 * 420 + 1, chart
    drawn = [s for s in charts["sources"] if s["n"]]  # the non-finite marks are empty here
    assert len(drawn) >= 30, charts["sources"]  # at least raw + smoothed + newest point for each of 10 charts
    for source in drawn:  # nothing drawn beyond M4's bound, the newest point always kept
        assert source["n"] <= 4 * 420 + 1 and source["last"] in (20999, 21000), source
    statuses = lab.page.evaluate("() => [...document.querySelectorAll('.nbtrack-status')].map(e => e.textContent)")
    assert statuses == ["finished", "finished"]
    lab.screenshot("dashboard-data-path")
    assert lab.page_errors == [] and lab.console_errors == []
    assert lab.blocked_requests == []
