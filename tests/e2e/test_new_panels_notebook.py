"""Every new panel of issue 23 in one notebook: live while the training cell runs (its controls answer while the
kernel is busy), then saved and reopened with no kernel (the static output draws the same panels).

The values: a matplotlib and a Bokeh figure, a PR curve, an embedding with labels, a video from frames, audio
and an image with a mask, logged at three steps by a cell that keeps running after the last one.
"""

from __future__ import annotations

import json

import pytest
from labkit.dashboards import open_without_kernel, save  # tests/e2e is on sys.path (conftest.py)
from labkit.page import START_RUN_ALL

pytestmark = pytest.mark.e2e

CELLS = [
    "import time\nimport numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "from bokeh.plotting import figure\nimport nbtrack\n"
    "run = nbtrack.init(dir='panelruns', name='panels', flush_interval=0.1)\nrun",
    "rng = np.random.default_rng(0)\n"
    "for step in range(3):\n"
    "    fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([0, 1, 2], [step, 1, 0]); ax.set_title(f'step {step}')\n"
    "    bfig = figure(width=300, height=200); bfig.line([0, 1, 2], [step, 2, 1])\n"
    "    labels = rng.integers(0, 2, 200); scores = np.clip(labels * 0.6 + rng.random(200) * 0.5, 0, 1)\n"
    "    vectors = rng.normal(size=(300, 8)); names = [f'p{i % 3}' for i in range(300)]\n"
    "    mask = np.zeros((12, 16), np.uint8); mask[2:6, 3:9] = 1\n"
    "    tone = np.sin(np.linspace(0, 200, 4000)).astype(np.float32)\n"
    "    run.log({'mpl': nbtrack.Figure(fig), 'bk': nbtrack.Figure(bfig),\n"
    "             'pr': nbtrack.PRCurve(labels, scores, num_thresholds=11),\n"
    "             'emb': nbtrack.Embedding(vectors, metadata=names),\n"
    "             'clip': nbtrack.Video(rng.integers(0, 255, (4, 8, 8, 3), dtype=np.uint8), fps=2),\n"
    "             'tone': nbtrack.Audio(tone, sample_rate=8000),\n"
    "             'seg': nbtrack.Image(np.zeros((12, 16, 3), np.uint8), masks={'m': {'mask_data': mask}}),\n"
    "             'loss': 1.0 / (step + 1)})\n"
    "    plt.close(fig)\n"
    "    time.sleep(1.5)\n"
    "time.sleep(12)",
    "run.finish()",
]

# each panel drawn under `root` (a live widget view, or a static output): kind -> whether it is there
PANELS = """(staticOnly) => {
  const inStatic = (el) => !!el.closest('[data-nbtrack-static]');
  const pick = (sel) => [...document.querySelectorAll(sel)].filter((el) => inStatic(el) === staticOnly);
  return {
    mpl: pick('.nbtrack-media-panel[data-key="mpl"] img.nbtrack-figure-img').length > 0,
    bokeh: pick('.nbtrack-media-panel[data-key="bk"] .nbtrack-bokeh-figure').length > 0,
    pr: pick('.nbtrack-pr-curve-plot').length > 0,
    embedding: pick('.nbtrack-embedding-plot').length > 0,
    video: pick('.nbtrack-media-panel[data-key="clip"] .nbtrack-video-player, '
      + '.nbtrack-media-panel[data-key="clip"] img.nbtrack-video').length > 0,
    audio: pick('.nbtrack-media-panel[data-key="tone"] .nbtrack-audio-block canvas').length > 0,
    mask: pick('.nbtrack-media-panel[data-key="seg"] canvas.nbtrack-mask-layer').length > 0,
  };
}"""

EMBEDDING = """(staticOnly) => {
  const panels = [...document.querySelectorAll('.nbtrack-media-panel[data-kind="embedding"]')]
    .filter((p) => !!p.closest('[data-nbtrack-static]') === staticOnly);
  return panels.length ? {...panels[0].dataset} : null;
}"""


def _notebook(tmp_path):
    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in CELLS]
    path = tmp_path / "panels.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_new_panels_live_then_reopened_without_a_kernel(lab, tmp_path):
    pytest.importorskip("matplotlib")
    lab.open_notebook(_notebook(tmp_path))
    lab.page.evaluate(START_RUN_ALL, lab.path)
    lab._poll(lambda: all(lab.page.evaluate(PANELS, False).values()), 90,
              lambda: f"live panels missing: {lab.page.evaluate(PANELS, False)}")
    running = [c["state"] for c in lab.cell_states()]
    assert "running" in running, f"the training cell still runs while the panels are checked: {running}"
    # a control answers while the kernel is busy: the embedding's components, computed in the browser
    select = lab.page.locator(".nbtrack-media-panel[data-kind='embedding'] select.nbtrack-embedding-components")
    select.first.select_option(index=1)
    lab._poll(lambda: (lab.page.evaluate(EMBEDDING, False) or {}).get("components") == "1", 10,
              lambda: f"component choice not applied: {lab.page.evaluate(EMBEDDING, False)}")
    assert int(lab.page.evaluate(EMBEDDING, False)["points"]) == 300
    lab.screenshot("new-panels-live", full_page=True)
    lab.wait_all_executed(timeout=120)

    save(lab, force=True)
    open_without_kernel(lab, lab.path)
    lab._poll(lambda: all(lab.page.evaluate(PANELS, True).values()), 90,
              lambda: f"panels missing after reopening: {lab.page.evaluate(PANELS, True)}")
    assert int(lab.page.evaluate(EMBEDDING, True)["points"]) == 300
    lab.screenshot("new-panels-reopened", full_page=True)
