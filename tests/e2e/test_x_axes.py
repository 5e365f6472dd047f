"""A chart's x axis in real BokehJS (a static output opened from a file, no kernel): a define_metric step
metric as x, titled by the metric; the system group on relative time under the step control."""

from __future__ import annotations

import time
from typing import Any

import pytest

import nbtrack

pytestmark = pytest.mark.e2e

# the x values and the axis title BokehJS holds for a chart's raw line (see test_controls.py)
DRAWN = """(key) => { const plots = window.Bokeh.documents.flatMap(d => [...d.all_models])
    .filter(m => m.title?.text === key);
  const plot = plots[plots.length - 1];
  const raw = plot.renderers.map(r => r.data_source).find(s => s.data.y && !s.data.step && s.data.x.length > 2);
  return {x: Array.from(raw.data.x), label: plot.below[0].axis_label,
          box: {...document.querySelector(`.nbtrack-chart[data-key="${key}"]`).dataset}}; }"""


def test_step_metric_and_system_axes_in_the_browser(browser, tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name="axes") as run:
        run.define_metric("epoch/*", step_metric="epoch")
        for step in range(12):
            row = {"train/loss": 1.0 / (step + 1)}
            if step % 3 == 2:
                row |= {"epoch": step // 3, "epoch/loss": 2.0 / (step + 1)}
            for sample in range(3):  # several system samples at one step, at their own times
                run.log({"system/cpu": 10.0 * step + sample}, commit=False)
                time.sleep(0.002)
            run.log(row)
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "axes.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.nbtrack-chart[data-x-mode]').length === 4")
        drawn: dict[str, Any] = {key: page.evaluate(DRAWN, key) for key in ("epoch/loss", "system/cpu", "train/loss")}
        assert drawn["epoch/loss"]["label"] == "epoch"
        assert drawn["epoch/loss"]["x"] == [0, 1, 2, 3]
        assert drawn["epoch/loss"]["box"]["xMode"] == "metric"
        assert "relative time" in drawn["system/cpu"]["label"] and "system" in drawn["system/cpu"]["label"]
        xs = drawn["system/cpu"]["x"]
        assert xs[0] == 0 and xs == sorted(xs) and len(set(xs)) > 12, "samples spread over time, not stacked by step"
        assert drawn["train/loss"]["label"] == "step" and drawn["train/loss"]["x"][:3] == [0, 1, 2]
        page.screenshot(path=str(tmp_path / "axes-step.png"))
        page.locator(".nbtrack-x-axis").select_option("relative")
        page.wait_for_function("""() => document.querySelector('.nbtrack-chart[data-key="epoch/loss"]')
          ?.dataset.xMode === 'relative'""")
        assert page.evaluate(DRAWN, "epoch/loss")["label"] == "relative time (s)"
        page.screenshot(path=str(tmp_path / "axes.png"))
        assert errors == []
    finally:
        page.close()
