"""Media panels live in JupyterLab: images and text appear during the loop, the step slider moves while the
cell runs, the pixels shown equal the logged pixels, and the finished (static) output shows them too."""

from __future__ import annotations

import json

import numpy as np
import pytest
from labkit.page import START_RUN_ALL  # tests/e2e is on sys.path (conftest.py)

pytestmark = pytest.mark.e2e

STEPS = 1500
CELLS = [
    "import time\nimport numpy as np\nimport nbtrack\n"
    "run = nbtrack.init(dir='mediaruns', name='media', flush_interval=0.1)\nrun",
    f"for step in range({STEPS}):\n"
    "    row = {'loss': 1.0 / (step + 1)}\n"
    "    if step % 100 == 0:\n"
    "        pixels = np.random.default_rng(step).integers(0, 256, (6, 5, 3), dtype=np.uint8)\n"
    "        row['samples'] = nbtrack.Image(pixels, caption=f'<img src=x onerror=\"window.__xss=1\"> {step}')\n"
    "        row['notes'] = nbtrack.Markdown(f'**step** {step} <script>window.__xss=2</script>')\n"
    "    if step % 50 == 0:\n"
    "        row['weights'] = nbtrack.Histogram(np.random.default_rng(step).normal(step / 500, 1, 100_000))\n"
    "    run.log(row)\n"
    "    time.sleep(0.004)",
    "run.finish()",
]

PANEL = """(key) => [...document.querySelectorAll(`.nbtrack-media-panel[data-key="${key}"]`)].map(p => ({
  step: p.dataset.step, steps: +p.dataset.steps, latest: p.querySelector('.nbtrack-latest').checked,
  captions: [...p.querySelectorAll('.nbtrack-caption')].map(c => c.textContent),
  html: p.querySelector('.nbtrack-media-body').innerHTML,
  static: !!p.closest('[data-nbtrack-static]') }))"""

# The shown image's pixels, read back through a canvas (the PNG is decoded by the browser).
PIXELS = """async (key) => {
  const panels = [...document.querySelectorAll(`.nbtrack-media-panel[data-key="${key}"]`)];
  const img = panels[panels.length - 1].querySelector('img');
  await img.decode();
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return {w: img.naturalWidth, h: img.naturalHeight, rendering: img.style.imageRendering,
          data: Array.from(ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data)};
}"""


def _notebook(path):
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _expected_rgba(step: int) -> list[int]:
    pixels = np.random.default_rng(step).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    rgba = np.concatenate([pixels, np.full((6, 5, 1), 255, np.uint8)], axis=-1)
    return rgba.ravel().tolist()


def test_images_and_text_live_slider_while_running_exact_pixels_and_static(lab, tmp_path):
    lab.open_notebook(_notebook(tmp_path / "media.ipynb"))
    lab.page.evaluate(START_RUN_ALL, lab.path)

    def running() -> bool:
        return lab.cell_states()[1]["state"] == "running"

    lab._poll(lambda: running() and (lab.page.evaluate(PANEL, "samples") or [{}])[0].get("steps", 0) >= 3, 60,
              lambda: f"no image steps during the loop: {lab.page.evaluate(PANEL, 'samples')}")
    slider = lab.page.locator('.nbtrack-media-panel[data-key="samples"] .nbtrack-step-slider').first
    slider.fill("0")  # back to the first image, while the loop still logs
    lab._poll(lambda: lab.page.evaluate(PANEL, "samples")[0]["step"] == "0", 10,
              lambda: f"slider did not move: {lab.page.evaluate(PANEL, 'samples')}")
    assert running(), "the slider moved while the cell was running"
    notes = lab.page.evaluate(PANEL, "notes")[0]
    assert notes["step"] == "0" and not notes["latest"], "one step cursor for every panel"
    first = lab.page.evaluate(PIXELS, "samples")
    assert (first["w"], first["h"]) == (5, 6) and first["data"] == _expected_rgba(0)
    assert first["rendering"] == "pixelated"

    histogram = ".nbtrack-histogram"
    lab.page.locator(f"{histogram} .nbtrack-histogram-view").first.select_option("distribution")
    lab._poll(lambda: lab.page.evaluate(f"() => document.querySelector('{histogram}').dataset.view") == "distribution",
              10, lambda: "the histogram view did not switch")
    steps_then = int(lab.page.evaluate(f"() => document.querySelector('{histogram}').dataset.steps"))
    assert running(), "the histogram view switched while the cell was running"
    lab._poll(lambda: int(lab.page.evaluate(f"() => document.querySelector('{histogram}').dataset.steps")) > steps_then,
              30, lambda: "the histogram panel did not grow during the loop")
    assert running()

    lab.page.locator('.nbtrack-media-panel[data-key="samples"] .nbtrack-latest').first.check()
    lab.wait_all_executed(timeout=120)
    lab._poll(lambda: (lab.page.evaluate(PANEL, "samples") or [{}])[0].get("static"), 30,
              lambda: f"the output did not turn static: {lab.page.evaluate(PANEL, 'samples')}")
    final = lab.page.evaluate(PANEL, "samples")[0]
    assert final["steps"] == STEPS // 100 and final["step"] == str(STEPS - 100)
    assert lab.page.evaluate(PIXELS, "samples")["data"] == _expected_rgba(STEPS - 100)
    assert final["captions"] == [f'<img src=x onerror="window.__xss=1"> {STEPS - 100}']
    notes = lab.page.evaluate(PANEL, "notes")[0]
    assert "<strong>step</strong>" in notes["html"] and "&lt;script&gt;" in notes["html"]
    assert lab.page.evaluate("() => window.__xss") is None
    hist_steps = f"() => document.querySelector('{histogram}')?.dataset.steps"
    lab._poll(lambda: lab.page.evaluate(hist_steps) == str(STEPS // 50), 30,
              lambda: "every histogram reaches the static output")
    lab.screenshot("media-panels")
