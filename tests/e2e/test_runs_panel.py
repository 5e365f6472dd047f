"""Comparing 20 runs without a kernel: the run table filters and sorts, hiding a run removes it from every
chart, and brushing an axis of the parallel coordinates selects the matching runs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

ROWS = """() => [...document.querySelectorAll('tr.nbtrack-run-row')].filter(r => r.style.display !== 'none')
  .map(r => r.dataset.run)"""
ALL_CHARTS_DRAW = "(n) => [...document.querySelectorAll('.nbtrack-chart')].every(c => c.dataset.runs === String(n))"
CHART_RUNS = """() => Object.fromEntries([...document.querySelectorAll('.nbtrack-chart')]
  .map(c => [c.dataset.key, +c.dataset.runs]))"""


def _sweep(root: Path) -> dict[str, dict]:
    runs = {}
    for k, (lr, width) in enumerate(itertools.product([1e-4, 1e-3, 1e-2, 1e-1, 1.0], [64, 128, 256, 512])):
        name = f"run-{k:02d} <img src=x onerror=window.__xss=1>" if k == 7 else f"run-{k:02d}"
        with nbtrack.init(dir=root, name=name, config={"lr": lr, "width": width}) as run:
            for step in range(50):
                run.log({"train/loss": (1 + k) / (step + 1), "val/loss": k / 20 + 0.01 * step})
        runs[run.id] = {"name": name, "lr": lr, "width": width, "k": k}
    return runs


def test_run_table_and_parallel_coordinates_choose_what_the_charts_draw(browser, tmp_path):
    runs = _sweep(tmp_path / "runs")
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "sweep.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_viewport_size({"width": 1400, "height": 1800})
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('tr.nbtrack-run-row').length === 20 && "
                               "[...document.querySelectorAll('.nbtrack-chart')].every(c => c.dataset.runs === '20')")
        assert len(page.evaluate(ROWS)) == 20

        page.locator(".nbtrack-run-filter").fill("run-1")  # run-1, run-10 .. run-19
        page.wait_for_function(f"() => ({ROWS})().length === 10")
        page.locator(".nbtrack-run-filter").fill("/run-0[0-4]/")
        page.wait_for_function(f"() => ({ROWS})().length === 5")
        page.locator(".nbtrack-run-filter").fill("")

        page.locator("th", has_text="val/loss").first.click()  # ascending by val/loss: run-00 first
        first = page.evaluate(ROWS)[0]
        assert runs[first]["k"] == 0
        page.locator("th", has_text="val/loss").first.click()
        assert runs[page.evaluate(ROWS)[0]]["k"] == 19, "a second click sorts descending"

        hide = [rid for rid, r in runs.items() if r["k"] in (3, 4)]
        for rid in hide:
            page.locator(f'tr.nbtrack-run-row[data-run="{rid}"] .nbtrack-run-visible').uncheck()
        page.wait_for_function(ALL_CHARTS_DRAW, arg=18)
        assert page.evaluate(CHART_RUNS) == {"train/loss": 18, "val/loss": 18}

        axis = page.locator('.nbtrack-hparam-hit[data-axis="config.lr"]').bounding_box()
        x = axis["x"] + axis["width"] / 2
        page.mouse.move(x, axis["y"] + 2)  # drag from the top of the lr axis to a third of the way down
        page.mouse.down()
        page.mouse.move(x, axis["y"] + axis["height"] * 0.3, steps=5)
        page.mouse.up()
        page.wait_for_function("() => +document.querySelector('.nbtrack-hparams').dataset.selected < 20")
        selected = int(page.evaluate("() => document.querySelector('.nbtrack-hparams').dataset.selected"))
        big_lr = {rid for rid, r in runs.items() if r["lr"] >= 0.1}
        assert selected == len(big_lr) == 8, "the brush holds the runs with the largest learning rates"
        shown_rows = set(page.evaluate(ROWS))
        assert shown_rows == big_lr, "the table lists the selected runs"
        drawn = len(big_lr - set(hide))
        page.wait_for_function(ALL_CHARTS_DRAW, arg=drawn)
        page.screenshot(path=str(ARTIFACTS / "runs-panel-brushed.png"), full_page=True)
        assert page.evaluate("() => window.__xss") is None
        assert "<img src=x" in page.locator("table").first.inner_text() or any(
            "<img src=x" in t for t in page.locator("tr.nbtrack-run-row").all_inner_texts())
        assert errors == []
    finally:
        page.close()
