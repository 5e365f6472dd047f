"""PR-curve panels in a static file output (``nbtrack.open(d).show().save(p)``): one panel per tag with both
runs' curves overlaid, drawn by BokehJS with one point per drawn threshold; the step slider moves every
run's curve; hovering a point shows its threshold and counts; a hostile tag and run name show as text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
XSS = '<img src=x onerror="window.__xss=1">'
TAG = f"pr/{XSS}"
THRESHOLDS = 21
STEPS = (0, 10, 20)

# The PR-curve panels' figures: per panel, its dataset and what its glyph renderers hold.
PROBE = """() => {
  const views = [...(window.Bokeh?.index?.roots ?? [])];
  return [...document.querySelectorAll('.nbtrack-pr-curve-panel')].map((panel) => {
    const view = views.find((v) => v.model?.type === 'Figure' && panel.contains(v.el));
    if (!view) return { key: panel.dataset.key, figure: false };
    const fig = view.model;
    const lines = fig.renderers.find((r) => r.glyph?.type === 'MultiLine').data_source.data;
    const dots = fig.renderers.find((r) => r.glyph?.type === 'Scatter').data_source.data;
    const hover = fig.toolbar.tools.find((t) => t.type === 'HoverTool');
    return { key: panel.dataset.key, figure: true, step: panel.dataset.step, lengths: lines.xs.map((x) => x.length),
      recall: lines.xs.map((x) => [...x]), colors: [...lines.color], runs: [...lines.run],
      dots: dots.recall.length, tooltips: hover.tooltips.map((t) => t[0]),
      range: [fig.x_range.start, fig.x_range.end, fig.y_range.start, fig.y_range.end],
      title: fig.title.text, xLabel: fig.below[0].axis_label, yLabel: fig.left[0].axis_label };
  });
}"""

# Where a curve's point is on the page: the scatter's screen coordinates within its canvas.
POINT = """([run, i]) => {
  const views = [...window.Bokeh.index.roots];
  const panel = document.querySelector('.nbtrack-pr-curve-panel');
  const view = views.find((v) => v.model?.type === 'Figure' && panel.contains(v.el));
  const dots = view.model.renderers.find((r) => r.glyph?.type === 'Scatter');
  const { x_scale, y_scale } = view.frame;
  const k = dots.data_source.data.run.findIndex((name, j) => name === run
    && dots.data_source.data.run.slice(0, j).filter((n) => n === run).length === i);
  const box = view.el.getBoundingClientRect();
  const data = dots.data_source.data;
  return { x: box.left + x_scale.compute(data.recall[k]), y: box.top + y_scale.compute(data.precision[k]),
    threshold: data.threshold[k] };
}"""


def _scores(step: int, shift: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.random(400) < 0.5
    spread = 0.1 + step / 40  # the curves change with the step
    return labels, np.clip(np.where(labels, 0.5 + shift, 0.5 - shift) + rng.normal(0, spread, 400), 0, 0.999)


def _save(tmp_path: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(3)
    logged: dict = {}
    for name, shift in (("alpha", 0.2), (XSS, 0.1)):
        with nbtrack.init(dir=tmp_path / "runs", name=name) as run:
            for step in STEPS:
                labels, scores = _scores(step, shift, rng)
                curve = nbtrack.PRCurve(labels, scores, num_thresholds=THRESHOLDS)
                logged[name, step] = curve.curve()
                run.log({TAG: curve, "loss": 1.0 / (step + 1)}, step=step)
    return nbtrack.open(tmp_path / "runs").show().save(tmp_path / "pr.html"), logged


def _drawn(curve: dict) -> int:
    """Thresholds drawn: TensorBoard leaves out the tail where no example is predicted positive."""
    positive = curve["tp"] + curve["fp"] > 0
    return int(np.nonzero(positive)[0][-1] + 1)


def test_pr_curve_panels_overlay_runs_follow_the_slider_and_hover(browser, tmp_path):
    path, logged = _save(tmp_path)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.console = []
    page.on("console", lambda m: page.console.append(m.text))
    page.set_viewport_size({"width": 1200, "height": 1100})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelector('.nbtrack-pr-curve-panel')?.dataset.runs === '2'")
        page.wait_for_function(f"() => ({PROBE})().every((p) => p.figure)")
        (probe,) = page.evaluate(PROBE)
        panel = page.locator(".nbtrack-pr-curve-panel")
        assert page.locator(".nbtrack-pr-curve-panel").count() == 1, "one panel for the tag, both runs in it"
        assert probe["key"] == TAG and probe["title"] == TAG
        assert page.locator(".nbtrack-pr-curve-panel .nbtrack-media-title").inner_text() == TAG
        assert probe["runs"] == ["alpha", XSS]
        legend = panel.locator(".nbtrack-pr-curve-run").all_inner_texts()
        assert [" ".join(t.split()) for t in legend] == ["alpha step 20", f"{XSS} step 20"], "run names as text"
        assert probe["colors"] == ["#1f77b4", "#ff7f0e"], "the runs' colours (colors.js)"
        assert (probe["xLabel"], probe["yLabel"]) == ("recall", "precision")
        assert probe["range"] == [-0.02, 1.02, -0.02, 1.02]
        assert {"threshold", "precision", "recall", "TP", "FP", "TN", "FN"} <= set(probe["tooltips"])
        newest = [logged["alpha", 20], logged[XSS, 20]]
        assert probe["lengths"] == [_drawn(c) for c in newest]
        assert probe["dots"] == sum(probe["lengths"])
        for drawn, curve in zip(probe["recall"], newest):
            np.testing.assert_allclose(drawn, curve["recall"][:len(drawn)])
        assert max(probe["lengths"]) <= THRESHOLDS
        panel.screenshot(path=str(ARTIFACTS / "pr-curve-newest.png"))

        slider = panel.locator(".nbtrack-step-slider")
        slider.evaluate("s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
        page.wait_for_function("() => document.querySelector('.nbtrack-pr-curve-panel').dataset.step === '0'")
        (first,) = page.evaluate(PROBE)
        assert first["recall"] != probe["recall"], "the drawn points change with the step"
        for drawn, curve in zip(first["recall"], [logged["alpha", 0], logged[XSS, 0]]):
            np.testing.assert_allclose(drawn, curve["recall"][:len(drawn)])
        assert panel.locator(".nbtrack-step-label").inner_text().startswith("step 0 (1 of 3)")

        page.wait_for_timeout(300)
        point = page.evaluate(POINT, ["alpha", 3])
        page.mouse.move(point["x"] + 40, point["y"] + 40)
        page.mouse.move(point["x"], point["y"])
        # BokehJS draws the tooltip in its shadow DOM; Playwright's text locators look inside it
        page.get_by_text("threshold:", exact=True).wait_for(state="visible", timeout=5000)
        for shown in (f"{point['threshold']:.3f}", "TP:", "FN:"):
            assert page.get_by_text(shown, exact=True).first.is_visible(), shown
        page.screenshot(path=str(ARTIFACTS / "pr-curve-hover.png"), full_page=True)
        assert page.evaluate("() => [window.__xss, document.querySelectorAll('img[src=\"x\"]').length]") == [None, 0]
        assert not [m for m in page.console if "nbtrack" in m and "fail" in m], page.console
    finally:
        page.close()


LIVE_CELLS = [
    "import time\nimport numpy as np\nimport nbtrack\n"
    "run = nbtrack.init(dir='prruns', name='live', flush_interval=0.1)\nrun",
    "rng = np.random.default_rng(0)\n"
    "for step in range(8):\n"
    "    labels = rng.random(200) < 0.5\n"
    "    scores = np.clip(np.where(labels, 0.6, 0.4) + rng.normal(0, 0.3 - step * 0.03, 200), 0, 1)\n"
    "    run.log({'pr': nbtrack.PRCurve(labels, scores, num_thresholds=11), 'loss': 1 / (step + 1)}, step=step)\n"
    "    time.sleep(1.0)",
    "run.finish()",
]
LIVE_PANEL = """() => [...document.querySelectorAll('.nbtrack-pr-curve-panel')].map((p) => ({
  steps: +p.dataset.steps, step: p.dataset.step, runs: p.dataset.runs, points: p.dataset.points,
  static: !!p.closest('[data-nbtrack-static]') }))"""


def test_pr_curve_panel_grows_live_in_lab_and_stays_in_the_static_output(lab, tmp_path):
    from labkit.page import START_RUN_ALL  # tests/e2e is on sys.path (conftest.py)

    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in LIVE_CELLS]
    notebook = tmp_path / "pr.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    lab.open_notebook(notebook)
    lab.page.evaluate(START_RUN_ALL, lab.path)
    panels = lambda: lab.page.evaluate(LIVE_PANEL)  # noqa: E731
    lab._poll(lambda: lab.cell_states()[1]["state"] == "running" and (panels() or [{}])[0].get("steps", 0) >= 2, 60,
              lambda: f"no PR curve steps during the loop: {panels()}")
    during = panels()[0]
    assert during["runs"] == "1" and int(during["points"]) >= 2 and not during["static"]
    lab.wait_all_executed(timeout=120)
    lab._poll(lambda: (panels() or [{}])[0].get("static") and panels()[0]["steps"] == 8, 30,
              lambda: f"the static output lacks the curves: {panels()}")
    assert panels()[0]["step"] == "7"
    lab.screenshot("pr-curve-live")
