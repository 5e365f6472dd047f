"""Logged names are data, never markup: a run whose name, tag names and config values hold HTML and script
payloads is shown live, finished (static output) and overlaid with other such runs
(``nbtrack.open(d).show()``) in JupyterLab, and no payload ever runs: ``window.__xss`` stays undefined, no
dialog opens, no element from a payload exists, and each payload reads as literal text in the header, the
summary table, the config panel, the group titles and the chart hover tooltip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from labkit.dashboards import (
    STATIC_BOXES,
    PageErrors,
    bad_output_texts,
    charts_complete,
    run_cell,
    wait_for_dashboards,
    watch_outputs,
)
from labkit.page import LabPage

pytestmark = pytest.mark.e2e

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
PAYLOAD = f"{IMG} {SCRIPT}"
TAGS = (IMG, SCRIPT, f"{IMG}/loss")  # the last one is grouped under a payload prefix
STEPS = 50
OTHERS = 2

SETUP = f"""import nbtrack
IMG = {IMG!r}
SCRIPT = {SCRIPT!r}
PAYLOAD = IMG + " " + SCRIPT

def config(i):
    return {{IMG: SCRIPT, "note": PAYLOAD, "nested": {{SCRIPT: IMG}}, "lr": 0.1 * (i + 1)}}

def train(run, i):
    for step in range({STEPS}):
        run.log({{IMG: (i + 1) / (step + 1), SCRIPT: step * 0.5 * (i + 1), IMG + "/loss": 2.0 - step * 0.01 * (i + 1)}})

run = nbtrack.init(dir="xss_runs", name=PAYLOAD, config=config(0), flush_interval=0.1)
train(run, 0)
run  # live"""
FINISH = "run.finish()"
OVERLAY = f"""for i in range(1, {OTHERS + 1}):
    with nbtrack.init(dir="xss_runs", name=f"{{PAYLOAD}} #{{i}}", config=config(i)) as other:
        train(other, i)
nbtrack.open("xss_runs").show()"""

# Anything a payload would have created or done, looked for in the whole page.
INJECTED = """() => ({
  xss: typeof window.__xss,
  imgX: document.querySelectorAll('img[src="x"]').length,
  scripts: [...document.scripts]
    .filter((s) => s.textContent.includes('window.__xss=2') && s.type !== 'application/json').length,
  onerror: document.querySelectorAll('.jp-OutputArea-output [onerror]').length,
})"""
CLEAN = {"xss": "undefined", "imgX": 0, "scripts": 0, "onerror": 0}


def _notebook(path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in (SETUP, FINISH, OVERLAY)]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _assert_literal(dash: dict[str, Any], names: list[str], with_config: bool) -> None:
    """Every payload shows as text where a person reads it."""
    shown = dash["runLabels"] if len(names) > 1 else dash["runName"]
    assert shown == names, f"run names shown literally: {shown}"
    for payload in (IMG, SCRIPT):
        assert payload in dash["summary"], f"{payload!r} not literal in the summary table: {dash['summary'][:500]!r}"
        if with_config:
            assert payload in dash["config"], f"{payload!r} not literal in the config panel: {dash['config'][:500]!r}"
    assert "<img src=x" in dash["header"]
    assert IMG in dash["groups"] and "<script>window.__xss=2<" in dash["groups"], dash["groups"]
    assert sorted(c["key"] for c in dash["charts"]) == sorted(TAGS)


def _hover_tooltip(lab: LabPage, dashboard_index: int, shot: str) -> str:
    """Move the mouse over the middle of the first chart of a dashboard; the hover tooltip's text (BokehJS
    draws it in a shadow DOM, which Playwright's CSS locators pierce)."""
    chart = lab.page.locator(".nbtrack-dashboard").nth(dashboard_index).locator(".nbtrack-chart").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    lab.page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    tooltip = lab.page.locator(".bk-tooltip-content", has_text="run:").filter(visible=True).first
    try:
        tooltip.wait_for(state="visible", timeout=5000)
        text = tooltip.inner_text()
        lab.artifacts.mkdir(parents=True, exist_ok=True)
        lab.page.screenshot(path=str(lab.artifacts / f"{shot}.png"), clip={
            "x": max(0, box["x"] - 400), "y": max(0, box["y"] - 40), "width": box["width"] + 500, "height": 320})
        return text
    except Exception as e:  # reported by the assertion on the text
        return f"no tooltip: {e}"
    finally:
        lab.page.mouse.move(5, 5)


def test_payloads_in_names_tags_and_config_stay_text(lab: LabPage, tmp_path: Path) -> None:
    errors = PageErrors().attach(lab.page)
    watch_outputs(lab.page)
    lab.open_notebook(_notebook(tmp_path / "dashboard_safety.ipynb"))
    expected = dict.fromkeys(TAGS, STEPS)

    run_cell(lab, 0)
    [live] = wait_for_dashboards(lab, lambda ds: len(ds) == 1 and not ds[0]["static"]
                                 and charts_complete(ds[0], expected), what="the live dashboard")
    _assert_literal(live, [PAYLOAD], with_config=True)
    lab.page.locator("details.nbtrack-config summary").first.click()  # open the config panel: rendered as text
    live_tooltip = _hover_tooltip(lab, 0, "safety-tooltip-live")
    assert lab.page.evaluate(INJECTED) == CLEAN, "live"
    lab.screenshot_output(0, "safety-live")

    run_cell(lab, 1)
    [static] = wait_for_dashboards(lab, lambda ds: len(ds) == 1 and ds[0]["rendered"] == "done"
                                   and charts_complete(ds[0], expected), what="the finished dashboard")
    _assert_literal(static, [PAYLOAD], with_config=True)
    [box] = lab.page.evaluate(STATIC_BOXES)
    assert box["png"]["alt"] == f"charts of {PAYLOAD} (finished)", box
    static_tooltip = _hover_tooltip(lab, 0, "safety-tooltip-finished")
    assert lab.page.evaluate(INJECTED) == CLEAN, "finished"

    run_cell(lab, 2)
    names = [PAYLOAD] + [f"{PAYLOAD} #{i}" for i in range(1, OTHERS + 1)]
    expected_all = dict.fromkeys(TAGS, STEPS * len(names))
    dashes = wait_for_dashboards(lab, lambda ds: len(ds) == 2 and all(d["rendered"] == "done" for d in ds)
                                 and charts_complete(ds[1], expected_all), what="the overlay of several runs")
    overlay = dashes[1]
    _assert_literal(overlay, names, with_config=False)
    assert all(c["runs"] == str(len(names)) for c in overlay["charts"]), overlay["charts"]
    overlay_tooltip = _hover_tooltip(lab, 1, "safety-tooltip-overlay")
    assert lab.page.evaluate(INJECTED) == CLEAN, "overlay"
    lab.screenshot_output(2, "safety-overlay")

    for where, text in (("live", live_tooltip), ("finished", static_tooltip), ("overlay", overlay_tooltip)):
        assert "<img src=x" in text, f"{where}: the hover tooltip shows the run name as text: {text!r}"
    assert lab.dialogs == [], "a payload opened a dialog"
    assert bad_output_texts(lab.page) == []
    assert errors.unexpected() == [] and lab.console_errors == []
    assert lab.error_outputs() == []
