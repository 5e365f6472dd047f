"""Image masks and boxes in the live widget in JupyterLab: the mask pixels travel in the media message
(``inline_overlays`` in the live feed) and are drawn while the run is running."""

from __future__ import annotations

import json

import pytest
from labkit.page import START_RUN_ALL  # tests/e2e is on sys.path (conftest.py)

pytestmark = pytest.mark.e2e

CELLS = [
    "import time\nimport numpy as np\nimport nbtrack\n"
    "run = nbtrack.init(dir='overlayruns', name='seg', flush_interval=0.1)\nrun",
    "mask = np.zeros((12, 16), np.uint8)\nmask[2:6, 3:9] = 4\n"
    "boxes = {'p': {'box_data': [{'position': {'minX': 2, 'maxX': 10, 'minY': 1, 'maxY': 7}, 'domain': 'pixel',"
    " 'class_id': 4, 'box_caption': '<b>car</b>'}], 'class_labels': {4: 'car'}}}\n"
    "run.log({'seg': nbtrack.Image(np.zeros((12, 16, 3), np.uint8), masks={'m': {'mask_data': mask}},"
    " boxes=boxes)})\n"
    "time.sleep(6)",
    "run.finish()",
]

LIVE = """() => {
  const fig = document.querySelector('.nbtrack-media-panel[data-key="seg"] figure');
  if (!fig || fig.dataset.overlays !== 'ready' || fig.closest('[data-nbtrack-static]')) return null;
  const c = fig.querySelector('canvas.nbtrack-mask-layer');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const drawn = [];
  for (let i = 3; i < d.length; i += 4) drawn.push(d[i] ? 1 : 0);
  return { w: c.width, h: c.height, drawn, caption: fig.querySelector('.nbtrack-box').textContent };
}"""

DEBUG = """() => [...document.querySelectorAll('.nbtrack-media-panel')].map(p => [p.dataset.key,
  p.closest('[data-nbtrack-static]') ? 'static' : 'live', p.querySelector('figure')?.dataset.overlays,
  p.querySelector('.nbtrack-media-body')?.innerHTML.slice(0, 300)])"""


def test_masks_and_boxes_drawn_in_the_live_widget(lab, tmp_path):
    path = tmp_path / "overlays.ipynb"
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    lab.open_notebook(path)
    lab.page.evaluate(START_RUN_ALL, lab.path)
    lab._poll(lambda: lab.page.evaluate(LIVE) is not None, 60,
              lambda: f"no overlay drawn while the run is live: {lab.page.evaluate(DEBUG)}")
    live = lab.page.evaluate(LIVE)
    assert (live["w"], live["h"]) == (16, 12)
    expected = [1 if 2 <= y < 6 and 3 <= x < 9 else 0 for y in range(12) for x in range(16)]
    assert live["drawn"] == [1] * (16 * 12), "class 0 is drawn too (every class is shown at first)"
    toggle = '.nbtrack-media-panel[data-key="seg"] input.nbtrack-overlay-toggle[data-class-id="0"]'
    lab.page.locator(toggle).first.uncheck()
    assert lab.page.evaluate(LIVE)["drawn"] == expected
    assert live["caption"] == "<b>car</b>"
    lab.screenshot("media-overlays-live")
    lab.wait_all_executed(timeout=60)
