"""The dashboard's controls in a static output opened from a file (no kernel): x axis step / relative / wall
time, ignore outliers, log y with non-positive values, and a group per tag prefix."""

from __future__ import annotations

import time
from typing import Any

import pytest

import nbtrack

pytestmark = pytest.mark.e2e

CHART = """(key) => { const b = document.querySelector(`.nbtrack-chart[data-key="${key}"]`);
  return b ? {...b.dataset, note: b.querySelector('.nbtrack-chart-note')?.textContent ?? ''} : null; }"""

# x values BokehJS draws for a chart's raw line (the first renderer with a step column is the smoothed line;
# the raw line's source has only x and y, and is the first source of the figure)
RAW_X = """(key) => { const box = document.querySelector(`.nbtrack-chart[data-key="${key}"]`);
  const plots = window.Bokeh.documents.flatMap(d => [...d.all_models]).filter(m => m.title?.text === key);
  const plot = plots[plots.length - 1];
  const raw = plot.renderers.map(r => r.data_source).find(s => s.data.y && !s.data.step && s.data.x.length > 2);
  return {first: raw.data.x[0], last: raw.data.x[raw.data.x.length - 1], axis: plot.below[0].type ?? ''}; }"""


def _page(browser: Any, tmp_path) -> Any:
    with nbtrack.init(dir=tmp_path / "runs", name="controls") as run:
        for i in range(400):
            run.log({"train/loss": 1000.0 if i == 200 else 1.0 + (i % 10) / 100, "train/acc": i / 400,
                     "offset": float(i - 100)})
            time.sleep(0.0005)
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "controls.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.nbtrack-chart').length === 3")
    return page, run, errors


def _wait(page: Any, key: str, check: Any, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = page.evaluate(CHART, key)
        if state and check(state):
            return state
        page.wait_for_timeout(50)
    raise AssertionError(f"{what}: {page.evaluate(CHART, key)}")


def test_x_axis_outliers_log_y_and_groups_work_without_a_kernel(browser, tmp_path):
    page, run, errors = _page(browser, tmp_path)
    try:
        groups = page.evaluate("() => [...document.querySelectorAll('.nbtrack-group')].map(g => g.dataset.group)")
        assert groups == ["", "train"], "ungrouped tags first, then one group per prefix"

        loss = _wait(page, "train/loss", lambda s: s.get("yHigh"), "loss chart")
        assert float(loss["yHigh"]) == 1000.0, "the spike sets the range"
        page.locator(".nbtrack-outliers").check()
        clipped = _wait(page, "train/loss", lambda s: float(s["yHigh"]) < 2, "ignore outliers")
        assert float(clipped["yLow"]) >= 1.0

        page.locator(".nbtrack-x-axis").select_option("relative")
        _wait(page, "train/acc", lambda s: s["xAxis"] == "relative", "relative time")
        rel = page.evaluate(RAW_X, "train/acc")
        assert rel["first"] == 0 and 0 < rel["last"] < 60, f"seconds since the run's first point: {rel}"

        page.locator(".nbtrack-x-axis").select_option("wall")
        _wait(page, "train/acc", lambda s: s["xAxis"] == "wall", "wall time")
        wall = page.evaluate(RAW_X, "train/acc")
        assert abs(wall["first"] / 1000 - run.start_time) < 60, f"epoch milliseconds: {wall}"

        page.locator(".nbtrack-x-axis").select_option("step")
        page.locator(".nbtrack-log-y").check()
        offset = _wait(page, "offset", lambda s: s["logY"] == "true", "log y")
        assert "not drawn on a log axis" in offset["note"], "values <= 0 on a log axis are explained"
        assert float(offset["yLow"]) > 0
        assert errors == []
    finally:
        page.close()


# The overlay's hover quads: one per drawn bin, with the bin's edges and its stored count.
BINS = """() => window.Bokeh.documents.flatMap(d => [...d.all_models])
  .filter(m => m.data && m.data.count !== undefined && m.data.left !== undefined)
  .map(m => ({left: Array.from(m.data.left), right: Array.from(m.data.right), count: Array.from(m.data.count),
              step: Array.from(m.data.step)}))"""


def test_histogram_bins_in_the_browser_equal_the_stored_counts_and_edges(browser, tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    with nbtrack.init(dir=tmp_path / "runs", name="hist") as run:
        for step in range(0, 100, 10):
            run.log({"w": nbtrack.Histogram(rng.normal(step / 50, 1, 5000), bins=32)}, step=step)
        run.log({"w": nbtrack.Histogram(np_histogram=([1, 5, 2], [-1.0, 0.0, 0.5, 3.0]))}, step=100)
    stored = nbtrack.open(tmp_path / "runs").run("hist").histograms("w")
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "hist.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelector('.nbtrack-histogram')?.dataset.steps === '11'")
        panel = page.evaluate("() => ({...document.querySelector('.nbtrack-histogram').dataset})")
        assert panel["lastStep"] == "100" and panel["bins"] == "3" and panel["view"] == "overlay"
        (bins,) = [b for b in page.evaluate(BINS) if b["step"]]
        last = stored.iloc[-1]
        drawn = [(lo, hi, c) for lo, hi, c, s in zip(bins["left"], bins["right"], bins["count"], bins["step"])
                 if s == 100]
        assert drawn == [(float(lo), float(hi), float(c)) for lo, hi, c in
                         zip(last["edges"][:-1], last["edges"][1:], last["counts"])]
        first = stored.iloc[0]
        drawn0 = [c for c, s in zip(bins["count"], bins["step"]) if s == 0]
        assert drawn0 == [float(c) for c in first["counts"]]
        for view in ("ridgeline", "distribution"):
            page.locator(".nbtrack-histogram-view").select_option(view)
            page.wait_for_function(f"() => document.querySelector('.nbtrack-histogram').dataset.view === '{view}'")
        page.screenshot(path=str(tmp_path / "hist.png"))
    finally:
        page.close()


def test_one_step_cursor_a_click_on_a_chart_or_an_image_slider_moves_every_panel(browser, tmp_path):
    import numpy as np

    with nbtrack.init(dir=tmp_path / "runs", name="cursor") as run:
        for step in range(300):
            row = {"loss": 1.0 / (step + 1)}
            if step % 50 == 0:
                row["pic"] = nbtrack.Image(np.full((4, 4), step, np.uint8))
                row["note"] = nbtrack.Text(f"step {step}")
                row["w"] = nbtrack.Histogram(np.arange(100.0) + step, bins=10)
            run.log(row)
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "cursor.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    steps = """() => Object.fromEntries([...document.querySelectorAll('.nbtrack-media-panel')]
      .map(p => [p.dataset.key, p.dataset.step]))"""
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelector('.nbtrack-chart')?.dataset.points === '300' && "
                               "document.querySelectorAll('.nbtrack-media-panel').length === 3 && "
                               "document.querySelector('.nbtrack-histogram')?.dataset.steps === '6'")
        assert page.evaluate(steps) == {"pic": "250", "note": "250", "w": None}, "latest by default"
        box = page.locator('.nbtrack-chart[data-key="loss"] canvas').first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
        page.wait_for_function("() => document.querySelector('.nbtrack-chart').dataset.cursor !== ''")
        cursor = int(page.evaluate("() => document.querySelector('.nbtrack-chart').dataset.cursor"))
        assert 50 <= cursor <= 250
        shown = page.evaluate(steps)
        assert shown["pic"] == shown["note"] == str(cursor // 50 * 50), (cursor, shown)
        page.locator('.nbtrack-media-panel[data-key="pic"] .nbtrack-step-slider').fill("1")
        page.wait_for_function("() => document.querySelector('.nbtrack-chart').dataset.cursor === '50'")
        assert page.evaluate(steps) == {"pic": "50", "note": "50", "w": None}
        assert page.evaluate("() => document.querySelector('.nbtrack-histogram').dataset.cursor") == "50", \
            "the histogram outlines the cursor's step"
    finally:
        page.close()
