"""What the dashboard looks like to a person, as screenshots saved in test-artifacts/e2e/ and checked by
program: one quickstart-like run live and finished, four runs with different learning rates overlaid
(``nbtrack.open(d).show()``), and the same with log y switched on.

Each picture must be non-blank; every chart box must lie inside it, show real content (pixel variance,
many colours) and overlap no other chart box; a constant learning-rate series must sit inside its chart's
y range (not on a -1..1 axis, where 0.001 would look like 0); an overlay must draw each run in its own
colour. The screenshots are for people to look at too: the checks cannot say whether a chart reads well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from labkit.dashboards import (
    PageErrors,
    assert_not_blank,
    bad_output_texts,
    charts_complete,
    overlaps,
    region_variance,
    run_cell,
    wait_for_dashboards,
    wait_for_quiet_dashboards,
    watch_outputs,
)
from labkit.page import LabPage
from PIL import Image

pytestmark = pytest.mark.e2e

STEPS = 1500
VAL_EVERY = 50
ONE_LR = 0.001  # a small constant: on a -1..1 axis it would look like 0
SWEEP = (0.3, 0.1, 0.03, 0.01)
MEASURED: dict[str, Any] = {}  # per screenshot: chart boxes, datasets, pixel statistics (looks.json)
TOOLBAR = 45  # pixels at the right of a chart box taken by BokehJS's toolbar
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")  # js/src/colors.js: the first four run colours

SETUP = f"""import numpy as np
import nbtrack

def train(run, lr, speed, seed=0):
    \"\"\"Quickstart-like curves: a noisy loss falling at `speed`, validation now and then, a constant lr.\"\"\"
    rng = np.random.default_rng(seed)
    for step in range({STEPS}):
        decay = np.exp(-speed * step / {STEPS})
        metrics = {{"train/loss": 0.1 + 0.6 * decay + rng.normal(0, 0.04) * (0.3 + decay),
                   "train/grad_norm": abs(rng.normal(0.4, 0.2)) * (1 + 2 * decay), "lr": lr}}
        if step % {VAL_EVERY} == 0:
            metrics["val/loss"] = 0.15 + 0.5 * decay + rng.normal(0, 0.02)
            metrics["val/accuracy"] = 0.95 - 0.4 * decay + rng.normal(0, 0.02)
        run.log(metrics, step=step)"""
CELLS = [
    SETUP,
    f"run = nbtrack.init(dir='looks_runs', name='one-run', config={{'lr': {ONE_LR}, 'hidden': 64}}, "
    "flush_interval=0.2)\nrun",
    "train(run, lr=run.config.lr, speed=4)\nrun.flush()",
    "run.finish()",
    f"for i, lr in enumerate({SWEEP!r}):\n"
    "    with nbtrack.init(dir='sweep_runs', name=f'lr={lr}', config={'lr': lr}) as r:\n"
    "        train(r, lr, speed=30 * lr, seed=i)\n"
    "nbtrack.open('sweep_runs').show()",
]
SHOWN, TRAIN, FINISH, OVERLAY = 1, 2, 3, 4
EXPECTED = {"train/loss": STEPS, "train/grad_norm": STEPS, "lr": STEPS,
            "val/loss": STEPS // VAL_EVERY, "val/accuracy": STEPS // VAL_EVERY}

# The chart boxes of the n-th dashboard in a cell's output, relative to that output area (the screenshot),
# with their datasets and the y range BokehJS actually draws (its padded DataRange1d, read from the figure
# whose view sits in the box).
GEOMETRY = """([cell, n]) => {
  const area = document.querySelectorAll('.jp-Notebook .jp-Cell')[cell].querySelector('.jp-OutputArea');
  const origin = area.getBoundingClientRect();
  const dash = area.querySelectorAll('.nbtrack-dashboard')[n];
  const views = [...(window.Bokeh?.index?.roots ?? [])];
  const chart = (c) => {
    const r = c.getBoundingClientRect();
    const fig = views.find((v) => v.model?.type === 'Figure' && c.contains(v.el))?.model;
    return { key: c.dataset.key, x: r.x - origin.x, y: r.y - origin.y, width: r.width, height: r.height,
             data: { ...c.dataset }, yRange: fig ? [fig.y_range.start, fig.y_range.end] : null };
  };
  return {
    area: { width: origin.width, height: origin.height },
    charts: [...dash.querySelectorAll('.nbtrack-chart')].map(chart),
    swatches: [...dash.querySelectorAll('.nbtrack-swatch')].map((s) => getComputedStyle(s).backgroundColor),
  }; }"""


def _notebook(path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _colour_pixels(image: Image.Image, box: dict[str, float], colour: str, tolerance: int = 40) -> int:
    """Pixels inside ``box`` within ``tolerance`` (per channel) of ``colour``."""
    rgb = np.asarray(image.convert("RGB").crop((round(box["x"]), round(box["y"]), round(box["x"] + box["width"]),
                                                 round(box["y"] + box["height"]))), dtype=np.int16)
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(rgb - target).max(axis=-1) <= tolerance).sum())


def _check_picture(lab: LabPage, cell: int, name: str, n: int = 0, runs: int = 1) -> dict[str, Any]:
    """Screenshot a cell's output and check the n-th dashboard in it (each chart shows a line in each run's
    colour); returns its geometry."""
    path = lab.screenshot_output(cell, name)
    geometry = lab.page.evaluate(GEOMETRY, [cell, n])
    image = Image.open(path)
    assert_not_blank(image, name)
    charts = geometry["charts"]
    assert charts, f"{name}: no charts"
    for c in charts:
        inside = c["x"] >= 0 and c["y"] >= 0 and c["x"] + c["width"] <= image.width + 1 \
            and c["y"] + c["height"] <= image.height + 1
        assert inside, f"{name}: chart {c['key']} {c} lies outside the {image.size} picture"
        assert c["width"] >= 200 and c["height"] >= 120, f"{name}: chart {c['key']} is tiny: {c}"
        spread = region_variance(image, c)
        region = image.crop((c["x"], c["y"], c["x"] + c["width"], c["y"] + c["height"]))
        colours = len(region.getcolors(1 << 20) or [])
        c["measured"] = {"grey_std": round(spread, 1), "colours": colours}
        assert spread > 12 and colours >= 20, f"{name}: {c['key']} looks empty: std {spread:.1f}, {colours} colours"
        plot = {**c, "width": c["width"] - TOOLBAR}  # the toolbar's logo is colourful: leave it out
        counts = {colour: _colour_pixels(image, plot, colour) for colour in PALETTE[:runs]}
        c["measured"]["run_colour_pixels"] = counts
        assert all(v >= 30 for v in counts.values()), f"{name}: chart {c['key']} lacks a run's line: {counts}"
    assert overlaps(charts) == [], f"{name}: chart boxes overlap"
    MEASURED[name] = {"picture": image.size, "charts": charts}
    (lab.artifacts / "looks.json").write_text(json.dumps(MEASURED, indent=1) + "\n")
    return geometry


def _check_lr(geometry: dict[str, Any], values: tuple[float, ...], log: bool = False) -> None:
    """The constant lr series lie inside the chart's y extent (strictly, for one run) and strictly inside
    the range BokehJS draws, which fits them: not -1..1, where 0.001 would look like 0."""
    [lr] = [c for c in geometry["charts"] if c["key"] == "lr"]
    low, high = float(lr["data"]["yLow"]), float(lr["data"]["yHigh"])
    if len(values) == 1:
        assert low < values[0] < high, f"lr {values[0]} not strictly inside its y extent [{low}, {high}]"
    else:
        assert low <= min(values) and max(values) <= high, f"lr {values} outside its y extent [{low}, {high}]"
    assert (low, high) != (-1.0, 1.0), "a constant series on a -1..1 axis"
    assert lr["yRange"], "no BokehJS figure found in the lr chart"
    start, end = lr["yRange"]
    assert start < min(values) and max(values) < end, f"lr {values} not inside the drawn y range {start}..{end}"
    if log:
        assert start > 0, f"log axis from {start}"
        assert np.log10(end / start) <= np.log10(max(values) / min(values)) + 2, f"log span too wide: {start}..{end}"
    else:
        assert end - start <= 4 * max(values), f"the y range {start}..{end} dwarfs the values {values}"


def test_dashboard_screenshots(lab: LabPage, tmp_path: Path) -> None:
    errors = PageErrors().attach(lab.page)
    watch_outputs(lab.page)
    lab.open_notebook(_notebook(tmp_path / "dashboard_looks.ipynb"))
    for i in range(TRAIN + 1):
        run_cell(lab, i)
    wait_for_quiet_dashboards(lab, lambda ds: len(ds) == 1 and not ds[0]["static"]
                              and {c["key"] for c in ds[0]["charts"]} == set(EXPECTED), what="the live dashboard")
    live = _check_picture(lab, SHOWN, "looks-one-run-live")
    _check_lr(live, (ONE_LR,))

    run_cell(lab, FINISH)
    wait_for_dashboards(lab, lambda ds: len(ds) == 1 and ds[0]["rendered"] == "done"
                        and charts_complete(ds[0], EXPECTED), what="the finished dashboard")
    lab.page.wait_for_timeout(500)
    finished = _check_picture(lab, SHOWN, "looks-one-run-finished")
    _check_lr(finished, (ONE_LR,))

    run_cell(lab, OVERLAY)
    overlay_expected = {k: n * len(SWEEP) for k, n in EXPECTED.items()}
    wait_for_dashboards(lab, lambda ds: len(ds) == 2 and all(d["rendered"] == "done" for d in ds)
                        and charts_complete(ds[1], overlay_expected), what="the overlay of four runs")
    lab.page.wait_for_timeout(500)
    overlay = _check_picture(lab, OVERLAY, "looks-four-runs", runs=len(SWEEP))
    _check_lr(overlay, SWEEP)
    assert len(set(overlay["swatches"])) == len(SWEEP), f"one colour per run: {overlay['swatches']}"
    assert all(c["data"]["runs"] == str(len(SWEEP)) for c in overlay["charts"])

    lab.page.locator(".jp-Notebook .jp-Cell").nth(OVERLAY).locator(".nbtrack-log-y").check()
    wait_for_dashboards(lab, lambda ds: len(ds) == 2 and all(c["logY"] == "true" and int(c["drawn"]) > 0
                                                             for c in ds[1]["charts"])
                        and len(ds[1]["charts"]) == len(EXPECTED), what="log y on the overlay")
    lab.page.wait_for_timeout(500)
    log_y = _check_picture(lab, OVERLAY, "looks-four-runs-log-y", runs=len(SWEEP))
    _check_lr(log_y, SWEEP, log=True)
    log_scales = lab.page.evaluate("""() => (window.Bokeh?.documents ?? []).flatMap((d) => [...d.all_models])
        .filter((m) => m.type === 'LogScale').length""")
    assert log_scales >= len(EXPECTED), f"log scales in the page: {log_scales}"

    assert bad_output_texts(lab.page) == []
    assert errors.unexpected() == [] and lab.console_errors == [] and lab.dialogs == []
    assert lab.blocked_requests == []
