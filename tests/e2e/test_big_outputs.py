"""Big logdirs stay fast in the browser (issue 17 item 8): a saved dashboard of 1,000 small runs and one of a
run with 2,000 tags, opened from a file in Chromium.

Checked: the output of 2,000 tags stays under 5 MB and its PNG pictures at most 24 charts; the charts built
before the first paint are bounded (placeholders of a chart's size stand for the others, built as they scroll
near the view, and the groups after the first few start folded); unfolding the last group and scrolling to
its end builds its last chart; 1,000 runs in a chart are a few shared glyphs, not four per run. The timings
(first chart within 5 s) are measured by ``benchmarks/bench_big_outputs.py``; here the limits are loose.
"""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from _big_outputs import CHART_DRAWN, FIRST_CHART, GLYPHS, GRID, build_output, write_many_runs, write_many_tags
from PIL import Image

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
BUILT_BEFORE_PAINT = 60  # charts a first screen may build (a 1400 x 2400 viewport holds about 30)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("big")
    out: dict[str, Any] = {}
    for name, write in (("runs", lambda p: write_many_runs(p, 1000)), ("tags", lambda p: write_many_tags(p, 2000))):
        logdir = write(root / name)
        page = root / f"{name}.html"
        out[name] = {"page": page, "logdir": logdir, **build_output(logdir, page)}
    return out


def _open(browser: Any, path: Path, shot: str) -> tuple[Any, dict[str, Any], list[str]]:
    page = browser.context.new_page()
    page.set_default_timeout(120_000)
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)[:500]))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text[:500]))
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    first_ms = page.wait_for_function(FIRST_CHART, polling="raf").json_value()
    page.wait_for_function("() => document.querySelector('[data-nbtrack-static]')?.dataset.nbtrackRendered === 'done'")
    page.wait_for_timeout(1500)  # let the builds near the view settle
    grid = page.evaluate(GRID)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
    return page, {"first_chart_ms": round(first_ms), "wall_s": round(time.perf_counter() - t0, 2), **grid}, errors


def test_2000_tags_output_is_small_and_builds_charts_as_they_scroll_in(browser, outputs):
    tags = outputs["tags"]
    assert tags["output_bytes"] < 5e6, tags
    png = Image.open(io.BytesIO(base64.b64decode(
        nbtrack.open(tags["logdir"]).show().bundle()["image/png"])))
    assert png.height < 8 * 2.3 * 72 + 100, f"the PNG pictures at most 24 charts: {png.size}"
    page, grid, errors = _open(browser, tags["page"], "big-2000-tags")
    try:
        assert grid["charts"] == 2000 and grid["rendered"] == "done", grid
        assert 0 < grid["built"] <= BUILT_BEFORE_PAINT, grid
        assert len(grid["folded"]) == 39, "groups after the first start folded (40 groups of 50)"
        last = grid["folded"][-1]
        page.locator(f'.nbtrack-group[data-group="{last}"] .nbtrack-group-title').click()
        slots = f'.nbtrack-group[data-group="{last}"] .nbtrack-chart-slot'
        page.evaluate(f"""() => [...document.querySelectorAll('{slots}')].at(-1).scrollIntoView()""")
        page.wait_for_function(CHART_DRAWN, arg=f"{last}/t01999")
        after = page.evaluate(GRID)
        assert after["built"] < grid["built"] + 100, after
        page.screenshot(path=str(ARTIFACTS / "big-2000-tags-end.png"))
        assert errors == []
        _record("tags_2000", {**{k: v for k, v in tags.items() if k not in ("page", "logdir")}, **grid,
                              "built_after_scroll": after["built"]})
    finally:
        page.close()


def test_1000_runs_share_a_few_glyphs_per_chart(browser, outputs):
    runs = outputs["runs"]
    page, grid, errors = _open(browser, runs["page"], "big-1000-runs")
    try:
        assert grid["charts"] == 4 and grid["built"] == 4, grid
        glyphs = page.evaluate(GLYPHS)
        assert glyphs["runs"] == 1000 and glyphs["lines"] == 1000, glyphs
        assert glyphs["renderers"] < 12, f"a few shared glyphs, not four per run: {glyphs['types']}"
        assert errors == []
        _record("runs_1000", {**{k: v for k, v in runs.items() if k not in ("page", "logdir")}, **grid,
                              "renderers": glyphs["renderers"]})
    finally:
        page.close()


def _record(name: str, numbers: dict[str, Any]) -> None:
    path = ARTIFACTS / "big-outputs.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = numbers
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(name, numbers)
